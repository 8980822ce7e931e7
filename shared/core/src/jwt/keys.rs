//! Key sets from PEM: the signing key and the published JWKS ([`KeySet`]), the public keys the
//! well-known function publishes ([`PublishedKeys`]), and the one rule for which keys are
//! usable at all ([`public_key_algorithm`]).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    EcdsaKeyPair, ParsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{DecodingKey, EncodingKey};

use super::algorithm::{KeyError, SigningAlgorithm};
use super::claims::AccessTokenClaims;
use super::signer::{SignError, TokenSigner};

/// The key that signs new tokens.
pub struct SigningKey {
    pub algorithm: SigningAlgorithm,
    pub kid: String,
    signer: TokenSigner,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The signing key and every published public key.
#[derive(Debug)]
pub struct KeySet {
    signing: SigningKey,
    published: Vec<Jwk>,
}

fn public_jwk(mut jwk: Jwk, index: usize) -> Result<(String, Jwk), KeyError> {
    let kid = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|source| KeyError::Jwt { index, source })?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok((kid, jwk))
}

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// The one rule for which keys Gatehouse signs with or publishes, applied to the public half
/// (SubjectPublicKeyInfo DER) of every key, private or public: a P-256 EC key is for ES256, an
/// RSA key of at least [`MIN_RSA_BITS`] (and, as aws-lc-rs has it, at most 8192) for RS512.
/// Anything else, a P-384 EC key or a 1024-bit RSA key among them, is for nothing.
fn public_key_algorithm(spki: &[u8]) -> Option<SigningAlgorithm> {
    // Parsing for P-256 verification checks the curve named in the key.
    if ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, spki).is_ok() {
        return Some(SigningAlgorithm::Es256);
    }
    // aws-lc-rs's RSA public key type checks the size as its RSA key pairs do; the comparison
    // states the rule here rather than leaving it to the library.
    let rsa = aws_lc_rs::rsa::PublicEncryptingKey::from_der(spki).ok()?;
    (rsa.key_size_bits() >= MIN_RSA_BITS).then_some(SigningAlgorithm::Rs512)
}

/// Which algorithm a PKCS#8 private key is for, by trying it with each.
fn pkcs8_algorithm(der: &[u8]) -> Option<SigningAlgorithm> {
    if EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).is_ok() {
        Some(SigningAlgorithm::Es256)
    } else if aws_lc_rs::rsa::KeyPair::from_pkcs8(der).is_ok() {
        Some(SigningAlgorithm::Rs512)
    } else {
        None
    }
}

/// One key read from a PEM block.
struct ParsedKey {
    /// The public JWK, with its `kid`.
    jwk: Jwk,
    /// The public key as X.509 SubjectPublicKeyInfo DER (a `PUBLIC KEY` PEM block's content).
    public_spki: Vec<u8>,
    /// Present for private keys.
    signing: Option<SigningKey>,
}

/// The public half of a private key, as SubjectPublicKeyInfo DER.
fn public_spki(algorithm: SigningAlgorithm, block: &pem::Pem) -> Option<Vec<u8>> {
    use aws_lc_rs::encoding::PublicKeyX509Der;
    use aws_lc_rs::signature::KeyPair;
    let der: PublicKeyX509Der = match algorithm {
        SigningAlgorithm::Es256 => {
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, block.contents())
                .ok()?;
            pair.public_key().as_der().ok()?
        }
        SigningAlgorithm::Rs512 => {
            let pair = match block.tag() {
                "RSA PRIVATE KEY" => aws_lc_rs::rsa::KeyPair::from_der(block.contents()).ok()?,
                _ => aws_lc_rs::rsa::KeyPair::from_pkcs8(block.contents()).ok()?,
            };
            pair.public_key().as_der().ok()?
        }
    };
    Some(der.as_ref().to_vec())
}

/// Reads every PEM block of `text`: `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1) and
/// `RSA PRIVATE KEY` (PKCS#1) can sign; `PUBLIC KEY` can only be published. Either way the
/// key's public half must pass [`public_key_algorithm`].
fn parse_keys(text: &str) -> Result<Vec<ParsedKey>, KeyError> {
    let blocks = pem::parse_many(text)?;
    if blocks.is_empty() {
        return Err(KeyError::Empty);
    }
    let mut keys = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        let unsupported = || KeyError::Unsupported {
            index,
            tag: block.tag().to_owned(),
        };
        let jwt_error = |source| KeyError::Jwt { index, source };
        let private = match block.tag() {
            "PRIVATE KEY" => Some((
                pkcs8_algorithm(block.contents()).ok_or_else(unsupported)?,
                block.clone(),
            )),
            "EC PRIVATE KEY" => {
                let pair = EcdsaKeyPair::from_private_key_der(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    block.contents(),
                )
                .map_err(|_| unsupported())?;
                let pkcs8 = pair.to_pkcs8v1().map_err(|_| unsupported())?;
                Some((
                    SigningAlgorithm::Es256,
                    pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec()),
                ))
            }
            "RSA PRIVATE KEY" => Some((SigningAlgorithm::Rs512, block.clone())),
            "PUBLIC KEY" => None,
            _ => return Err(unsupported()),
        };
        let key = match private {
            Some((algorithm, normalized)) => {
                let public_spki = public_spki(algorithm, &normalized).ok_or_else(unsupported)?;
                if public_key_algorithm(&public_spki) != Some(algorithm) {
                    return Err(unsupported());
                }
                let pem_text = pem::encode(&normalized);
                let encoding_key = match algorithm {
                    SigningAlgorithm::Es256 => EncodingKey::from_ec_pem(pem_text.as_bytes()),
                    SigningAlgorithm::Rs512 => EncodingKey::from_rsa_pem(pem_text.as_bytes()),
                }
                .map_err(jwt_error)?;
                let jwk = Jwk::from_encoding_key(&encoding_key, algorithm.jwt_algorithm())
                    .map_err(jwt_error)?;
                let (kid, jwk) = public_jwk(jwk, index)?;
                let signer =
                    TokenSigner::new(algorithm, &kid, &normalized).ok_or_else(unsupported)?;
                // Sign once now, so that a bad key fails at start and not at a request.
                signer
                    .sign(&serde_json::json!({}))
                    .map_err(|_| unsupported())?;
                let signing = SigningKey {
                    algorithm,
                    kid,
                    signer,
                };
                ParsedKey {
                    jwk,
                    public_spki,
                    signing: Some(signing),
                }
            }
            None => {
                let algorithm = public_key_algorithm(block.contents()).ok_or_else(unsupported)?;
                let pem_text = pem::encode(block);
                let decoding_key = match algorithm {
                    SigningAlgorithm::Es256 => DecodingKey::from_ec_pem(pem_text.as_bytes()),
                    SigningAlgorithm::Rs512 => DecodingKey::from_rsa_pem(pem_text.as_bytes()),
                }
                .map_err(|_| unsupported())?;
                let jwk = Jwk::from_decoding_key(&decoding_key, Some(algorithm.jwt_algorithm()))
                    .map_err(jwt_error)?;
                ParsedKey {
                    jwk: public_jwk(jwk, index)?.1,
                    public_spki: block.contents().to_vec(),
                    signing: None,
                }
            }
        };
        keys.push(key);
    }
    Ok(keys)
}

/// A published key as a token verifier needs it: its `kid`, the one algorithm it is pinned to
/// (never the one a token's header names), and the key itself.
#[derive(Clone, Debug)]
pub struct VerificationKey {
    pub kid: String,
    pub algorithm: SigningAlgorithm,
    pub key: DecodingKey,
}

/// The verification keys of published JWKs. The algorithm follows from the key, by the rule of
/// [`public_key_algorithm`]: a P-256 EC key verifies ES256 only, an RSA key RS512 only.
fn verification_keys(published: &[Jwk]) -> Result<Vec<VerificationKey>, KeyError> {
    published
        .iter()
        .enumerate()
        .map(|(index, jwk)| {
            let unsupported = || KeyError::Unsupported {
                index,
                tag: "JWK".to_owned(),
            };
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    SigningAlgorithm::Es256
                }
                AlgorithmParameters::RSA(_) => SigningAlgorithm::Rs512,
                _ => return Err(unsupported()),
            };
            let kid = jwk.common.key_id.clone().ok_or_else(unsupported)?;
            let key =
                DecodingKey::from_jwk(jwk).map_err(|source| KeyError::Jwt { index, source })?;
            Ok(VerificationKey {
                kid,
                algorithm,
                key,
            })
        })
        .collect()
}

/// `PUBLIC KEY` PEM blocks for every key in `text`, private or public: what the well-known
/// function publishes (`gatehouse keys public`).
pub fn public_pem(text: &str) -> Result<String, KeyError> {
    Ok(parse_keys(text)?
        .iter()
        .map(|key| pem::encode(&pem::Pem::new("PUBLIC KEY", key.public_spki.clone())))
        .collect())
}

/// The keys the well-known function publishes. Built from public keys only: that function
/// never needs, so never gets, a private key.
#[derive(Debug)]
pub struct PublishedKeys {
    published: Vec<Jwk>,
}

impl PublishedKeys {
    /// Reads the published keys from configuration: `PUBLIC KEY` PEM blocks, or the same keys
    /// in the one-line form (`super::compact`) that a template parameter can carry.
    pub fn from_config(text: &str) -> Result<Self, KeyError> {
        if super::compact::is_pem(text) {
            Self::from_public_pem(text)
        } else {
            Self::from_public_pem(&super::compact::one_line_to_pem(text)?)
        }
    }

    /// Whether the key with this `kid` is published: a key must be before it signs.
    pub fn publishes(&self, kid: &str) -> bool {
        self.published
            .iter()
            .any(|jwk| jwk.common.key_id.as_deref() == Some(kid))
    }

    pub fn from_public_pem(text: &str) -> Result<Self, KeyError> {
        let keys = parse_keys(text)?;
        if let Some(index) = keys.iter().position(|k| k.signing.is_some()) {
            return Err(KeyError::PrivateKeyNotAllowed { index });
        }
        Ok(Self {
            published: keys.into_iter().map(|k| k.jwk).collect(),
        })
    }

    /// The JWK Set document (RFC 7517 §5).
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.published })
    }

    /// Every published key, to verify access tokens with (the edge's bearer verifier).
    pub fn verification_keys(&self) -> Result<Vec<VerificationKey>, KeyError> {
        verification_keys(&self.published)
    }
}

impl KeySet {
    /// Reads one or more PEM blocks: private keys in any of the forms above, and public keys.
    /// The first private key signs; every key is published by [`KeySet::jwks`].
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let mut signing = None;
        let mut published = Vec::new();
        for key in parse_keys(text)? {
            signing = signing.or(key.signing);
            published.push(key.jwk);
        }
        let signing = signing.ok_or(KeyError::NoPrivateKey)?;
        Ok(Self { signing, published })
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The JWK Set document (RFC 7517 §5).
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.published })
    }

    /// Every published key, the signing one among them, to verify access tokens with.
    pub fn verification_keys(&self) -> Result<Vec<VerificationKey>, KeyError> {
        verification_keys(&self.published)
    }

    /// The signed access token (see [`TokenSigner`]).
    pub fn sign(&self, claims: &AccessTokenClaims) -> Result<String, SignError> {
        self.signing.signer.sign(claims)
    }

    /// The signed status list token ([`crate::status_list`]).
    pub fn sign_status_list(
        &self,
        claims: &crate::status_list::StatusListClaims,
    ) -> Result<String, SignError> {
        self.signing.signer.sign_status_list(claims)
    }
}

/// The one-line form of every key in `text` (PEM, private or public): what
/// `gatehouse keys public --one-line` prints.
pub fn public_one_line(text: &str) -> Result<String, KeyError> {
    let blocks = pem::parse_many(public_pem(text)?)?;
    Ok(blocks
        .iter()
        .map(|block| STANDARD.encode(block.contents()))
        .collect::<Vec<_>>()
        .join(","))
}
