//! Bearer access tokens on the resource API (docs/api.md, "The resource API"):
//! RFC 6750 §2.1 `Authorization: Bearer <token>`, verified against the published keys.
//!
//! The algorithm a token is verified with is the one its key is pinned to, never the one its
//! header names: a header `alg` other than the key's is refused before any signature check,
//! which defeats `alg: none` and HS256 signed with the public key. Time comes from the injected
//! clock, never from jsonwebtoken's own `exp` check, which reads the wall clock.

use base64::Engine;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Deserialize;

use gatehouse_core::clock::Clock;
use gatehouse_core::jwt::{AccessTokenClaims, SigningAlgorithm, VerificationKey};

use crate::jsonapi::JsonApiError;

mod cache;
mod revocation;
pub use cache::{VerifiedTokens, MAX_CACHED_TOKEN_BYTES};
pub use revocation::{RevocationCheck, REVOCATION_STALENESS};

/// How far, in seconds, the clocks of the token function and of the API may disagree: a token
/// is accepted up to this long after its `exp`, and with an `iat` up to this far ahead.
pub const CLOCK_LEEWAY_SECONDS: u64 = 60;

/// Why a bearer token was refused. The message is for logs; the client gets
/// [`BearerError::into_response`], which never echoes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    #[error("no Authorization header")]
    Missing,
    /// RFC 6750 §3.1: a request authenticated with another scheme lacks bearer credentials.
    #[error("the Authorization header does not use the Bearer scheme")]
    NotBearer,
    #[error("the bearer token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the token's kid is not a published key")]
    UnknownKey,
    #[error("the token's header alg is not {expected}, the algorithm of its key")]
    WrongAlgorithm { expected: &'static str },
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token expired at {exp}, {seconds_ago} s ago")]
    Expired { exp: u64, seconds_ago: u64 },
    #[error("the token is issued at {iat}, {seconds_ahead} s in the future")]
    NotYetValid { iat: u64, seconds_ahead: u64 },
    #[error("the token was revoked: {0:?}")]
    Revoked(gatehouse_core::revocation::Ended),
}

impl BearerError {
    /// The `detail` the client reads: short, and the same for every signature failure.
    fn detail(&self) -> &'static str {
        match self {
            BearerError::Missing => {
                "an access token is required: send Authorization: Bearer <token>"
            }
            BearerError::NotBearer => "the Authorization header must use the Bearer scheme",
            BearerError::Malformed(_) => "the access token is malformed",
            BearerError::UnknownKey
            | BearerError::WrongAlgorithm { .. }
            | BearerError::BadSignature => "the access token's signature is not valid",
            BearerError::WrongIssuer => "the access token was not issued by this server",
            BearerError::Expired { .. } => "the access token has expired",
            BearerError::NotYetValid { .. } => "the access token is not valid yet",
            BearerError::Revoked(_) => "the access token has been revoked",
        }
    }

    /// RFC 6750 §3.1: a request without bearer credentials gets no error code.
    fn www_authenticate(&self) -> &'static str {
        match self {
            BearerError::Missing | BearerError::NotBearer => r#"Bearer realm="gatehouse""#,
            _ => r#"Bearer realm="gatehouse", error="invalid_token""#,
        }
    }

    /// The refusal the resource API answers with, logged: a 401 with RFC 6750 §3
    /// `WWW-Authenticate` and a JSON:API `INVALID_TOKEN` error.
    pub fn refusal(&self) -> JsonApiError {
        tracing::info!(reason = %self, "bearer token refused");
        JsonApiError::new(
            StatusCode::UNAUTHORIZED,
            "Invalid token",
            "INVALID_TOKEN",
            self.detail(),
        )
        .with_challenge(self.www_authenticate())
    }

    /// [`BearerError::refusal`] as the JSON:API writer answers it.
    pub fn into_response(self) -> Response<Body> {
        self.refusal().into_response()
    }
}

/// The part of a JOSE header read before choosing a key.
#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Verifies the bearer tokens of the resource API. Built once per cold start.
#[derive(Debug, Clone)]
pub struct BearerVerifier {
    keys: Vec<VerificationKey>,
    issuer: String,
}

impl BearerVerifier {
    /// `keys` from [`gatehouse_core::jwt::PublishedKeys::verification_keys`] (or a key set's);
    /// `issuer` is the `iss` every token must carry.
    pub fn new(keys: Vec<VerificationKey>, issuer: impl Into<String>) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
        }
    }

    /// The claims of the token in `authorization_header` (the `Authorization` header's value),
    /// or why it is refused. The caller still checks the environment ([`AccessTokenClaims::mode`]).
    pub fn verify(
        &self,
        authorization_header: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<AccessTokenClaims, BearerError> {
        self.verify_token(bearer_token(authorization_header)?, clock)
    }

    /// [`BearerVerifier::verify`] of a token given on its own (revocation, introspection).
    pub fn verify_token(
        &self,
        token: &str,
        clock: &dyn Clock,
    ) -> Result<AccessTokenClaims, BearerError> {
        let header = jose_header(token)?;
        let key = self
            .keys
            .iter()
            .find(|key| header.kid.as_ref() == Some(&key.kid))
            .ok_or(BearerError::UnknownKey)?;
        if header.alg != key.algorithm.as_str() {
            return Err(BearerError::WrongAlgorithm {
                expected: key.algorithm.as_str(),
            });
        }
        let claims = decode(token, key.algorithm, &key.key)?;
        if claims.iss != self.issuer {
            return Err(BearerError::WrongIssuer);
        }
        let now = clock.now().floor_seconds().0;
        // RFC 7519 §4.1.4: valid only before `exp`; the leeway extends that.
        if now >= claims.exp.saturating_add(CLOCK_LEEWAY_SECONDS) {
            return Err(BearerError::Expired {
                exp: claims.exp,
                seconds_ago: now.saturating_sub(claims.exp),
            });
        }
        if claims.iat > now.saturating_add(CLOCK_LEEWAY_SECONDS) {
            return Err(BearerError::NotYetValid {
                iat: claims.iat,
                seconds_ahead: claims.iat - now,
            });
        }
        Ok(claims)
    }
}

/// The token of `Bearer <token>`: the scheme is case-insensitive (RFC 7235 §2.1), the token a
/// b64token (RFC 6750 §2.1), which a JWT's base64url parts and dots always are.
pub(super) fn bearer_token(authorization_header: Option<&str>) -> Result<&str, BearerError> {
    let value = authorization_header.ok_or(BearerError::Missing)?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::NotBearer);
    }
    let token = rest.trim_start_matches(' ').trim_end();
    if token.is_empty() {
        return Err(BearerError::Malformed("no token after Bearer"));
    }
    // Bytes, not chars: every allowed character is ASCII. A fold, not `all`: without an early
    // exit the compiler checks many bytes at a time, and a token is read at each request.
    let jwt_byte = |b: u8| b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.');
    if !token.bytes().fold(true, |jwt, b| jwt & jwt_byte(b)) {
        return Err(BearerError::Malformed("not a compact JWT"));
    }
    Ok(token)
}

/// The token's header, read without trusting it: only to find the key and compare algorithms.
fn jose_header(token: &str) -> Result<JoseHeader, BearerError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BearerError::Malformed("not three dot-separated parts"));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| BearerError::Malformed("header is not base64url"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| BearerError::Malformed("header is not a JOSE header"))
}

/// Signature and claims' shape, with the pinned algorithm only. Time and issuer are checked by
/// the caller: jsonwebtoken's `exp` check reads the wall clock.
fn decode(
    token: &str,
    algorithm: SigningAlgorithm,
    key: &jsonwebtoken::DecodingKey,
) -> Result<AccessTokenClaims, BearerError> {
    use jsonwebtoken::errors::ErrorKind;
    let mut validation = jsonwebtoken::Validation::new(algorithm.jwt_algorithm());
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    match jsonwebtoken::decode::<AccessTokenClaims>(token, key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(error) => Err(match error.kind() {
            ErrorKind::InvalidSignature => BearerError::BadSignature,
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
                BearerError::WrongAlgorithm {
                    expected: algorithm.as_str(),
                }
            }
            ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidClaimFormat(_) => {
                BearerError::Malformed("claims are missing or of the wrong type")
            }
            ErrorKind::Json(_) => BearerError::Malformed("claims are not the access token's"),
            ErrorKind::Base64(_) | ErrorKind::Utf8(_) | ErrorKind::InvalidToken => {
                BearerError::Malformed("not a compact JWT")
            }
            // A key or provider failure: the token cannot be verified, so it is refused.
            _ => BearerError::BadSignature,
        }),
    }
}

#[cfg(test)]
mod tests;
