//! The signing algorithms Gatehouse offers, and why a key cannot be used: the words the key
//! parsers, the one-line form and the signer share.

/// The signing algorithms Gatehouse offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlgorithm {
    Es256,
    Rs512,
}

impl SigningAlgorithm {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "ES256" => Some(Self::Es256),
            "RS512" => Some(Self::Rs512),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs512 => "RS512",
        }
    }

    pub fn jwt_algorithm(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
            Self::Rs512 => jsonwebtoken::Algorithm::RS512,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no PEM block found")]
    Empty,
    #[error("the PEM text is not valid: {0}")]
    Pem(#[from] pem::PemError),
    #[error("no private key to sign with: give at least one PRIVATE KEY block")]
    NoPrivateKey,
    #[error("PEM block {index} is a private key: only PUBLIC KEY blocks are published (see `gatehouse keys public`)")]
    PrivateKeyNotAllowed { index: usize },
    #[error("PEM block {index} ({tag}) is not a P-256 EC or RSA (2048 bits or more) key")]
    Unsupported { index: usize, tag: String },
    #[error("published key {index} of the one-line form is not base64 DER: {reason}")]
    OneLine { index: usize, reason: String },
    #[error("PEM block {index}: {source}")]
    Jwt {
        index: usize,
        source: jsonwebtoken::errors::Error,
    },
}
