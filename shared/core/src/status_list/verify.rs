//! A verifier's check of a status list token: what a service that verifies Gatehouse's access
//! tokens without calling it does with a list it fetched (docs/api.md, "The status list"),
//! before [`super::revoked_in`] reads a token's bit.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::{StatusListClaims, TYP};
use crate::clock::UnixSeconds;
use crate::jwt::VerificationKey;

/// Why a list token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("the list is not a JWS with a JSON header")]
    Malformed,
    #[error("the header's typ is not {TYP}")]
    WrongType,
    #[error("the list's kid is not a published key, or its alg not that key's")]
    UnknownKey,
    #[error("the list's signature does not verify")]
    BadSignature,
    #[error("the list has expired")]
    Expired,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
}

/// The claims of `token`, a status list signed by one of `keys` (the JWKS's), when its `typ`
/// is the status list's, its algorithm its key's, and it has not expired at `now`.
pub fn verify_list(
    token: &str,
    keys: &[VerificationKey],
    now: UnixSeconds,
) -> Result<StatusListClaims, ListError> {
    let encoded = token.split('.').next().ok_or(ListError::Malformed)?;
    let header = URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Header>(&bytes).ok())
        .ok_or(ListError::Malformed)?;
    // The draft's §5.1: "The JWT MUST contain ... typ ... statuslist+jwt", so that no other
    // token of the issuer (an access token) can pass for a list.
    if header.typ.as_deref() != Some(TYP) {
        return Err(ListError::WrongType);
    }
    let key = keys
        .iter()
        .find(|key| header.kid.as_deref() == Some(key.kid.as_str()))
        .filter(|key| key.algorithm.as_str() == header.alg)
        .ok_or(ListError::UnknownKey)?;
    let mut validation = jsonwebtoken::Validation::new(key.algorithm.jwt_algorithm());
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let claims = jsonwebtoken::decode::<StatusListClaims>(token, &key.key, &validation)
        .map_err(|error| match error.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => ListError::BadSignature,
            _ => ListError::Malformed,
        })?
        .claims;
    if now.0 >= claims.exp {
        return Err(ListError::Expired);
    }
    Ok(claims)
}
