//! Trusted forwarded addresses. A storefront rendered on a server sends every shopper's token
//! request from its own few addresses; counted by those, 30 requests a minute would cap the whole
//! shop. A backend that presents the deployment's secret in `x-backend-auth` is trusted to name
//! the shopper's address in `x-true-client-ip`, and the gate counts that address instead
//! (Commerce Layer's two headers, honoured only together).
//!
//! A wrong or missing secret: both headers are ignored, and the request is counted against the
//! address it came from, like any other. The secret is compared as a SHA-256 digest, in constant
//! time. A trusted backend's forwarded address that is not one IP address is refused (400). An
//! IPv6 address is keyed by its /64, as the connection's is.

use std::net::IpAddr;

use gatehouse_core::ratelimit::client_key;
use gatehouse_core::secret::SecretHash;
use lambda_http::Request;

use crate::config::{vars, ConfigError};
use crate::error::ApiError;
use crate::http::client_rate_key;

pub const BACKEND_AUTH_HEADER: &str = "x-backend-auth";
pub const TRUE_CLIENT_IP_HEADER: &str = "x-true-client-ip";

/// The shortest secret accepted: as for client secrets, 32 characters.
pub const MIN_BACKEND_SECRET_LENGTH: usize = gatehouse_core::secret::MIN_SECRET_LENGTH;

/// The deployment's backend secret, kept only as its digest.
pub struct BackendSecret(SecretHash);

impl BackendSecret {
    pub fn new(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        if secret.len() < MIN_BACKEND_SECRET_LENGTH {
            return Err(format!(
                "the backend secret must be at least {MIN_BACKEND_SECRET_LENGTH} characters"
            ));
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the backend secret must be visible ASCII characters, as a header holds".into(),
            );
        }
        Ok(Self(SecretHash::of(secret)))
    }

    fn admits(&self, presented: &str) -> bool {
        self.0.verify(presented)
    }
}

impl std::fmt::Debug for BackendSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackendSecret(..)")
    }
}

/// The key a per-address limit counts `request` under: the forwarded address when a trusted
/// backend sent it, else the connection's ([`client_rate_key`]).
pub fn caller_key(request: &Request, secret: Option<&BackendSecret>) -> Result<String, ApiError> {
    let headers = request.headers();
    let trusted = match (secret, headers.get(BACKEND_AUTH_HEADER)) {
        (Some(secret), Some(presented)) => presented.to_str().is_ok_and(|p| secret.admits(p)),
        _ => false,
    };
    match (trusted, headers.get(TRUE_CLIENT_IP_HEADER)) {
        (true, Some(forwarded)) => forwarded
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<IpAddr>().ok())
            .map(|address| client_key(&address.to_string()))
            .ok_or_else(|| {
                ApiError::invalid_request("x-true-client-ip must be one IPv4 or IPv6 address")
            }),
        // Not trusted, or nothing forwarded: the connection's address.
        _ => Ok(client_rate_key(request)),
    }
}

/// The backend secret a process is configured with, if any: from Secrets Manager (its ARN in
/// `GATEHOUSE_BACKEND_AUTH_SECRET_ARN`, on AWS), from a file (`GATEHOUSE_BACKEND_AUTH_SECRET_FILE`)
/// or from `GATEHOUSE_BACKEND_AUTH_SECRET`; at most one of the three. Never a command-line value:
/// those show in every process listing.
pub async fn load_backend_secret(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<BackendSecret>, ConfigError> {
    let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let sources = [
        (
            vars::BACKEND_AUTH_SECRET_ARN,
            set(vars::BACKEND_AUTH_SECRET_ARN),
        ),
        (
            vars::BACKEND_AUTH_SECRET_FILE,
            set(vars::BACKEND_AUTH_SECRET_FILE),
        ),
        (vars::BACKEND_AUTH_SECRET, set(vars::BACKEND_AUTH_SECRET)),
    ];
    let mut given = sources.into_iter().filter(|(_, value)| value.is_some());
    let Some((name, Some(value))) = given.next() else {
        return Ok(None);
    };
    if let Some((other, _)) = given.next() {
        return Err(ConfigError::invalid(
            other,
            format!("set only one of {name} and {other}"),
        ));
    }
    let text = match name {
        vars::BACKEND_AUTH_SECRET_ARN => secret_from_arn(&value).await?,
        // The error names the variable, never its value: set by mistake to the secret itself,
        // it would otherwise be printed.
        vars::BACKEND_AUTH_SECRET_FILE => std::fs::read_to_string(&value).map_err(|error| {
            ConfigError::invalid(name, format!("the file it names cannot be read: {error}"))
        })?,
        _ => value,
    };
    BackendSecret::new(&text)
        .map(Some)
        .map_err(|reason| ConfigError::invalid(name, reason))
}

#[cfg(feature = "secrets-manager")]
async fn secret_from_arn(arn: &str) -> Result<String, ConfigError> {
    crate::secrets_manager::secret_string(arn, None)
        .await
        .map_err(|reason| ConfigError::invalid(vars::BACKEND_AUTH_SECRET_ARN, reason))
}

#[cfg(not(feature = "secrets-manager"))]
async fn secret_from_arn(_arn: &str) -> Result<String, ConfigError> {
    Err(ConfigError::invalid(
        vars::BACKEND_AUTH_SECRET_ARN,
        "this function does not count per address, and reads no secret",
    ))
}

#[cfg(test)]
mod tests;
