//! Signing a JWS (RFC 7515, compact serialization) with a key prepared once, at start.
//!
//! jsonwebtoken's `encode` parses and checks its PKCS#8 key again for every token, which on
//! P-256 costs about as much as the signature itself (a scalar multiplication to check the
//! public key): a token cost 31 µs where the signature alone costs 18. Here the key pair is
//! parsed once and each token is the header (serialized once), the claims and one signature.
//! Verification stays with jsonwebtoken (the edge's bearer verifier), which reads what this writes.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA512};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Header;
use serde::Serialize;

use super::algorithm::SigningAlgorithm;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the claims do not serialize: {0}")]
    Claims(#[from] serde_json::Error),
    #[error("the signing key refused to sign")]
    Crypto,
}

enum PreparedKey {
    Es256(EcdsaKeyPair),
    Rs512(RsaKeyPair),
}

/// One private key, ready to sign, with its JWS header already encoded.
pub struct TokenSigner {
    key: PreparedKey,
    /// BASE64URL(UTF8(JWS Protected Header)): `{"typ":"JWT","alg":…,"kid":…}`.
    encoded_header: String,
    /// The same with the status list's `typ` ([`crate::status_list::TYP`]).
    encoded_status_list_header: String,
    random: SystemRandom,
}

impl TokenSigner {
    /// Prepares `block` (PKCS#8 `PRIVATE KEY`, or `RSA PRIVATE KEY` for RS512) to sign as
    /// `kid`; None when it is not a key of `algorithm`.
    pub fn new(algorithm: SigningAlgorithm, kid: &str, block: &pem::Pem) -> Option<Self> {
        let key = match algorithm {
            SigningAlgorithm::Es256 => PreparedKey::Es256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, block.contents())
                    .ok()?,
            ),
            SigningAlgorithm::Rs512 => PreparedKey::Rs512(match block.tag() {
                "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()).ok()?,
                _ => RsaKeyPair::from_pkcs8(block.contents()).ok()?,
            }),
        };
        let mut header = Header::new(algorithm.jwt_algorithm());
        header.kid = Some(kid.to_owned());
        let encoded = |header: &Header| {
            serde_json::to_vec(header)
                .ok()
                .map(|h| URL_SAFE_NO_PAD.encode(h))
        };
        let encoded_header = encoded(&header)?;
        header.typ = Some(crate::status_list::TYP.to_owned());
        let encoded_status_list_header = encoded(&header)?;
        Some(Self {
            key,
            encoded_header,
            encoded_status_list_header,
            random: SystemRandom::new(),
        })
    }

    /// `header.claims.signature`, each part base64url without padding (RFC 7515 §7.1).
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, SignError> {
        self.sign_under(&self.encoded_header, claims)
    }

    /// [`TokenSigner::sign`] with the status list token's header (`typ: statuslist+jwt`).
    pub fn sign_status_list(&self, claims: &impl Serialize) -> Result<String, SignError> {
        self.sign_under(&self.encoded_status_list_header, claims)
    }

    fn sign_under(
        &self,
        encoded_header: &str,
        claims: &impl Serialize,
    ) -> Result<String, SignError> {
        let claims = atob_safe(serde_json::to_vec(claims)?);
        let mut token = String::with_capacity(encoded_header.len() + claims.len() * 4 / 3 + 700);
        token.push_str(encoded_header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        match &self.key {
            PreparedKey::Es256(pair) => {
                let signature = pair
                    .sign(&self.random, token.as_bytes())
                    .map_err(|_| SignError::Crypto)?;
                token.push('.');
                URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut token);
            }
            PreparedKey::Rs512(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA512,
                    &self.random,
                    token.as_bytes(),
                    &mut signature,
                )
                .map_err(|_| SignError::Crypto)?;
                token.push('.');
                URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
            }
        }
        Ok(token)
    }
}

/// The claims' JSON with `>`, `?`, `~`, DEL and every non-ASCII character written as `\uXXXX`
/// escapes: the same text to any JSON reader, whose base64url then has no `-` or `_`.
///
/// Commerce Layer's SDK reads a token's claims with `atob`, which refuses those two characters:
/// it would then neither find the organization nor see the token expire. In the base64 of
/// ASCII text they come only from a third byte of a group whose last six bits are 62 or 63,
/// `>`, `?`, `~` or DEL; serde_json writes those, and non-ASCII text, only inside strings,
/// where an escape means the same character.
fn atob_safe(json: Vec<u8>) -> Vec<u8> {
    let unsafe_byte = |b: &u8| matches!(b, b'>' | b'?' | b'~' | 0x7F) || !b.is_ascii();
    if !json.iter().any(unsafe_byte) {
        return json;
    }
    let text = match String::from_utf8(json) {
        Ok(text) => text,
        // Never: serde_json writes UTF-8.
        Err(error) => return error.into_bytes(),
    };
    let mut escaped = String::with_capacity(text.len() + 32);
    for c in text.chars() {
        if matches!(c, '>' | '?' | '~' | '\u{7f}') || !c.is_ascii() {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            escaped.push(c);
        }
    }
    escaped.into_bytes()
}
