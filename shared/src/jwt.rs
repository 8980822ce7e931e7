//! Access tokens: JWTs signed with ES256 (default) or RS512, `kid` = RFC 7638 thumbprint.
//!
//! Keys come from configuration as PEM blocks. The first private key signs; every key, private
//! or public-only, is published at `/.well-known/jwks.json`, so that a new key can be published
//! before it signs and an old one can stay published until its tokens have expired.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::model::{ApplicationKind, Organization};

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

    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::Rs512 => Algorithm::RS512,
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
    #[error("PEM block {index} is a private key: only PUBLIC KEY blocks are published (see `gatehouse public-key`)")]
    PrivateKeyNotAllowed { index: usize },
    #[error("PEM block {index} ({tag}) is not a P-256 EC or RSA (2048 bits or more) key")]
    Unsupported { index: usize, tag: String },
    #[error("PEM block {index}: {source}")]
    Jwt {
        index: usize,
        source: jsonwebtoken::errors::Error,
    },
}

/// The key that signs new tokens.
pub struct SigningKey {
    pub algorithm: SigningAlgorithm,
    pub kid: String,
    encoding_key: EncodingKey,
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
    match algorithm {
        SigningAlgorithm::Es256 => {
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, block.contents())
                .ok()?;
            let der: PublicKeyX509Der = pair.public_key().as_der().ok()?;
            Some(der.as_ref().to_vec())
        }
        SigningAlgorithm::Rs512 => {
            let pair = match block.tag() {
                "RSA PRIVATE KEY" => aws_lc_rs::rsa::KeyPair::from_der(block.contents()).ok()?,
                _ => aws_lc_rs::rsa::KeyPair::from_pkcs8(block.contents()).ok()?,
            };
            let der: PublicKeyX509Der = pair.public_key().as_der().ok()?;
            Some(der.as_ref().to_vec())
        }
    }
}

/// Reads every PEM block of `text`: `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1) and
/// `RSA PRIVATE KEY` (PKCS#1) can sign; `PUBLIC KEY` can only be published. EC keys are
/// P-256 for ES256, RSA keys are for RS512.
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
                let pem_text = pem::encode(&normalized);
                let encoding_key = match algorithm {
                    SigningAlgorithm::Es256 => EncodingKey::from_ec_pem(pem_text.as_bytes()),
                    SigningAlgorithm::Rs512 => EncodingKey::from_rsa_pem(pem_text.as_bytes()),
                }
                .map_err(jwt_error)?;
                let jwk = Jwk::from_encoding_key(&encoding_key, algorithm.jwt_algorithm())
                    .map_err(jwt_error)?;
                let (kid, jwk) = public_jwk(jwk, index)?;
                let signing = SigningKey {
                    algorithm,
                    kid,
                    encoding_key,
                };
                // Sign once now, so that a bad key fails at start and not at a request.
                jsonwebtoken::encode(
                    &signing.header(),
                    &serde_json::json!({}),
                    &signing.encoding_key,
                )
                .map_err(jwt_error)?;
                let public_spki = public_spki(algorithm, &normalized).ok_or_else(unsupported)?;
                ParsedKey {
                    jwk,
                    public_spki,
                    signing: Some(signing),
                }
            }
            None => {
                let pem_text = pem::encode(block);
                let (decoding_key, algorithm) = match DecodingKey::from_ec_pem(pem_text.as_bytes())
                {
                    Ok(key) => (key, Algorithm::ES256),
                    Err(_) => (
                        DecodingKey::from_rsa_pem(pem_text.as_bytes())
                            .map_err(|_| unsupported())?,
                        Algorithm::RS512,
                    ),
                };
                let jwk =
                    Jwk::from_decoding_key(&decoding_key, Some(algorithm)).map_err(jwt_error)?;
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

/// `PUBLIC KEY` PEM blocks for every key in `text`, private or public: what the well-known
/// function publishes (`gatehouse public-key`).
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
}

impl KeySet {
    /// Reads one or more PEM blocks: private keys in any of the forms above, and public keys.
    /// The first private key signs; every key is published by [`KeySet::jwks`].
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let mut signing = None;
        let mut published = Vec::new();
        for key in parse_keys(text)? {
            if signing.is_none() {
                signing = key.signing;
            }
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

    pub fn sign(&self, claims: &AccessTokenClaims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&self.signing.header(), claims, &self.signing.encoding_key)
    }
}

impl SigningKey {
    fn header(&self) -> Header {
        let mut header = Header::new(self.algorithm.jwt_algorithm());
        header.kid = Some(self.kid.clone());
        header
    }
}

/// A new private key in PKCS#8 PEM: P-256 for ES256, 2048-bit RSA for RS512.
pub fn generate_private_key_pem(algorithm: SigningAlgorithm) -> String {
    let der = match algorithm {
        SigningAlgorithm::Es256 => {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .expect("P-256 key generation failed")
                .as_ref()
                .to_vec()
        }
        SigningAlgorithm::Rs512 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .expect("RSA key generation failed");
            AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                .expect("RSA key serialization failed")
                .as_ref()
                .to_vec()
        }
    };
    pem::encode(&pem::Pem::new("PRIVATE KEY", der))
}

/// The access token's claims (DESIGN.md "Access tokens").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    pub scope: String,
    /// The application's environment: true in test mode.
    pub test: bool,
    pub organization: Organization,
    pub application: ApplicationClaim,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub market: Option<MarketClaim>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<OwnerClaim>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationClaim {
    pub id: String,
    pub client_id: String,
    pub kind: ApplicationKind,
    pub public: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketClaim {
    pub id: String,
    pub number: u64,
    pub price_list_id: String,
    /// The market's stock locations, or only those in scope when the scope names some.
    pub stock_location_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerClaim {
    pub id: String,
    /// `Customer` or `User`.
    #[serde(rename = "type")]
    pub owner_type: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, Validation};

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://auth.example".into(),
            iat: 1,
            exp: 4_000_000_000,
            jti: "j".into(),
            scope: "market:all".into(),
            test: true,
            organization: Organization {
                id: "o".into(),
                slug: "acme".into(),
            },
            application: ApplicationClaim {
                id: "a".into(),
                client_id: "c".into(),
                kind: ApplicationKind::Integration,
                public: false,
            },
            market: None,
            owner: None,
        }
    }

    fn verify_with_jwks(keys: &KeySet, token: &str) -> AccessTokenClaims {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(keys.jwks()).unwrap();
        let jwk = jwks
            .find(header.kid.as_deref().unwrap())
            .expect("kid published");
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&["https://auth.example"]);
        decode::<AccessTokenClaims>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn tokens_signed_with_each_algorithm_verify_against_the_published_jwks() {
        for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs512] {
            let keys = KeySet::from_pem(&generate_private_key_pem(algorithm)).unwrap();
            assert_eq!(keys.signing_key().algorithm, algorithm);
            let token = keys.sign(&claims()).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.alg, algorithm.jwt_algorithm());
            assert_eq!(verify_with_jwks(&keys, &token), claims());
        }
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint_of_the_public_key() {
        let keys = KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
        let jwk = &keys.jwks()["keys"][0];
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
            jwk["x"], jwk["y"]
        );
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
        use base64::Engine;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
        assert_eq!(keys.signing_key().kid, expected);
        assert_eq!(jwk["kid"], expected);
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], "ES256");
    }

    #[test]
    fn several_keys_are_published_and_the_first_private_key_signs() {
        let new = generate_private_key_pem(SigningAlgorithm::Es256);
        let old = generate_private_key_pem(SigningAlgorithm::Rs512);
        let keys = KeySet::from_pem(&format!("{new}\n{old}")).unwrap();
        assert_eq!(keys.signing_key().algorithm, SigningAlgorithm::Es256);
        let published = keys.jwks()["keys"].as_array().unwrap().clone();
        assert_eq!(published.len(), 2);
        assert_eq!(published[0]["kid"], keys.signing_key().kid.as_str());
        assert_eq!(published[1]["kty"], "RSA");
    }

    #[test]
    fn public_keys_derived_from_private_ones_publish_the_same_jwks() {
        for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs512] {
            let private = generate_private_key_pem(algorithm);
            let keys = KeySet::from_pem(&private).unwrap();
            let public = public_pem(&private).unwrap();
            assert!(
                public.starts_with("-----BEGIN PUBLIC KEY-----") && !public.contains("PRIVATE")
            );
            let published = PublishedKeys::from_public_pem(&public).unwrap();
            assert_eq!(published.jwks(), keys.jwks(), "{algorithm:?}");
            assert_eq!(
                public_pem(&public).unwrap(),
                public,
                "public keys pass through"
            );
        }
    }

    #[test]
    fn the_published_keys_refuse_private_key_material() {
        let private = generate_private_key_pem(SigningAlgorithm::Es256);
        let public = public_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
        let mixed = format!("{public}{private}");
        assert!(matches!(
            PublishedKeys::from_public_pem(&mixed),
            Err(KeyError::PrivateKeyNotAllowed { index: 1 })
        ));
    }

    #[test]
    fn unusable_key_material_is_refused_with_a_reason() {
        assert!(matches!(KeySet::from_pem(""), Err(KeyError::Empty)));
        assert!(matches!(
            KeySet::from_pem("not a pem"),
            Err(KeyError::Empty)
        ));
        let garbage = pem::encode(&pem::Pem::new("PRIVATE KEY", vec![1, 2, 3]));
        assert!(matches!(
            KeySet::from_pem(&garbage),
            Err(KeyError::Unsupported { .. })
        ));
        let cert = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
        assert!(matches!(
            KeySet::from_pem(&cert),
            Err(KeyError::Unsupported { .. })
        ));
    }
}
