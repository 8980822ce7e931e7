//! Configuration read once per cold start from the environment.

use crate::cors::CorsPolicy;
use crate::hashing::{HashingLimits, MAX_HASHING_CONCURRENCY, MAX_HASHING_DEADLINE_MS};
use gatehouse_core::model::Organization;
use gatehouse_core::ratelimit::{
    RateLimitPolicy, RateLimitPolicyError, DEFAULT_LIMIT, DEFAULT_WINDOW_SECONDS,
};
use gatehouse_core::sign_in::{
    SignInPolicy, SignInWindow, DEFAULT_ACCOUNT_LIMIT, DEFAULT_ACCOUNT_WINDOW_SECONDS,
    DEFAULT_FROM_ADDRESS_LIMIT, DEFAULT_FROM_ADDRESS_WINDOW_SECONDS,
};
use gatehouse_core::url_rules::is_https_or_loopback_http;

/// Environment variables Gatehouse reads (documented in the README).
pub mod vars {
    pub const ISSUER: &str = "GATEHOUSE_ISSUER";
    pub const ORGANIZATION_ID: &str = "GATEHOUSE_ORGANIZATION_ID";
    pub const ORGANIZATION_SLUG: &str = "GATEHOUSE_ORGANIZATION_SLUG";
    pub const SIGNING_KEYS: &str = "GATEHOUSE_SIGNING_KEYS";
    pub const SIGNING_KEYS_SECRET_ARN: &str = "GATEHOUSE_SIGNING_KEYS_SECRET_ARN";
    pub const SIGNING_KEYS_SECRET_VERSION: &str = "GATEHOUSE_SIGNING_KEYS_SECRET_VERSION";
    pub const SIGNING_KEYS_FILE: &str = "GATEHOUSE_SIGNING_KEYS_FILE";
    pub const PUBLISHED_KEYS: &str = "GATEHOUSE_PUBLISHED_KEYS";
    pub const TABLE: &str = "GATEHOUSE_TABLE";
    pub const RATE_LIMIT: &str = "GATEHOUSE_RATE_LIMIT";
    pub const RATE_LIMIT_WINDOW: &str = "GATEHOUSE_RATE_LIMIT_WINDOW_SECONDS";
    /// Requests of one access token to the resource API.
    pub const API_RATE_LIMIT: &str = "GATEHOUSE_API_RATE_LIMIT";
    pub const API_RATE_LIMIT_WINDOW: &str = "GATEHOUSE_API_RATE_LIMIT_WINDOW_SECONDS";
    /// How many verified access tokens the resource API keeps, to skip their signature check.
    pub const VERIFIED_TOKEN_CACHE: &str = "GATEHOUSE_VERIFIED_TOKEN_CACHE_ENTRIES";
    /// Failed sign-ins of one account from one address.
    pub const LOGIN_FAILURE_LIMIT: &str = "GATEHOUSE_LOGIN_FAILURE_LIMIT";
    pub const LOGIN_FAILURE_WINDOW: &str = "GATEHOUSE_LOGIN_FAILURE_WINDOW_SECONDS";
    /// Failed sign-ins of one account from every address.
    pub const ACCOUNT_FAILURE_LIMIT: &str = "GATEHOUSE_ACCOUNT_FAILURE_LIMIT";
    pub const ACCOUNT_FAILURE_WINDOW: &str = "GATEHOUSE_ACCOUNT_FAILURE_WINDOW_SECONDS";
    pub const REFRESH_REUSE_GRACE: &str = "GATEHOUSE_REFRESH_REUSE_GRACE_SECONDS";
    pub const CORS_ALLOWED_ORIGINS: &str = "GATEHOUSE_CORS_ALLOWED_ORIGINS";
    pub const SECRET_ROTATION_OVERLAP: &str = "GATEHOUSE_SECRET_ROTATION_OVERLAP_SECONDS";
    pub const ADMIN_TOKEN: &str = "GATEHOUSE_ADMIN_TOKEN";
    pub const PASSWORD_HASHING_CONCURRENCY: &str = "GATEHOUSE_PASSWORD_HASHING_CONCURRENCY";
    pub const PASSWORD_HASHING_DEADLINE: &str = "GATEHOUSE_PASSWORD_HASHING_DEADLINE_MS";
    /// The backend secret that makes `x-true-client-ip` count ([`crate::forwarded`]): its
    /// Secrets Manager ARN, a file holding it, or the secret itself.
    pub const BACKEND_AUTH_SECRET_ARN: &str = "GATEHOUSE_BACKEND_AUTH_SECRET_ARN";
    pub const BACKEND_AUTH_SECRET_FILE: &str = "GATEHOUSE_BACKEND_AUTH_SECRET_FILE";
    pub const BACKEND_AUTH_SECRET: &str = "GATEHOUSE_BACKEND_AUTH_SECRET";
}

/// A setting that is missing or not valid. Each names its variable, so that a caller that
/// takes the settings from elsewhere (the CLI, from flags) can report them under its own names.
#[derive(thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("set {0} or {1}")]
    MissingEither(&'static str, &'static str),
}

impl ConfigError {
    /// [`ConfigError::Invalid`]: `name`'s value is not valid, for `reason`.
    pub fn invalid(name: &'static str, reason: impl ToString) -> Self {
        Self::Invalid {
            name,
            reason: reason.to_string(),
        }
    }
}

/// As its message: a function whose start fails returns this from `main`, and Rust prints
/// the error's Debug form, which should then read as the variable and the reason.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// What every function needs to know about the deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The `iss` claim and the base of the metadata URLs, without a trailing slash.
    pub issuer: String,
    pub organization: Organization,
    pub rate_limit: RateLimitPolicy,
    /// The resource API's limit, per access token (its own count and policy).
    pub api_rate_limit: RateLimitPolicy,
    /// How many verified access tokens the resource API keeps until they expire (0: none).
    pub verified_token_cache: usize,
    /// The sign-in protection's two windows of failed sign-ins (see [`gatehouse_core::sign_in`]).
    pub sign_in: SignInPolicy,
    /// How long after a refresh token was exchanged presenting it again is taken for a retry
    /// (refused, family kept) rather than for theft (refused, family revoked).
    pub refresh_reuse_grace: std::time::Duration,
    /// Browser origins allowed to call the token and revocation endpoints (none by default).
    pub cors: CorsPolicy,
    /// The bound on password hashing (argon2 runs at once, and the wait for one).
    pub password_hashing: HashingLimits,
}

/// The resource API's limit per token by default: 100 requests in any 10 seconds, 600 a
/// minute, which no storefront's pages reach. A short window rather than a large limit: the
/// DynamoDB window item grows with the limit (about 11 bytes a place, see the store's
/// `rate_limits`), and at 100 places each request's update stays within two write units.
pub const DEFAULT_API_RATE_LIMIT: u32 = 100;
pub const DEFAULT_API_RATE_LIMIT_WINDOW_SECONDS: u64 = 10;
/// Verified tokens kept by default: a few MB (an entry is its claims, well under 2 KB).
pub const DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES: usize = 10_000;
/// The most verified tokens kept: the memory of a Lambda is small.
pub const MAX_VERIFIED_TOKEN_CACHE_ENTRIES: usize = 100_000;

/// The longest refresh-token reuse grace period allowed.
pub const MAX_REFRESH_REUSE_GRACE_SECONDS: u64 = 30;
/// The refresh-token reuse grace period, by default.
pub const DEFAULT_REFRESH_REUSE_GRACE_SECONDS: u64 = 10;

fn required(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    env(name)
        .filter(|value| !value.trim().is_empty())
        .ok_or(ConfigError::Missing(name))
}

fn number<T: std::str::FromStr>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match env(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .map_err(|_| ConfigError::invalid(name, format!("'{value}' is not a whole number"))),
    }
}

/// Checks an issuer URL: https, or http on a loopback host for local runs (the rule redirect
/// URIs follow too, [`is_https_or_loopback_http`]). RFC 8414 §2: the issuer "has no query or
/// fragment components".
pub fn normalize_issuer(issuer: &str) -> Result<String, String> {
    let issuer = issuer.trim().trim_end_matches('/');
    if !is_https_or_loopback_http(issuer) {
        return Err("must be an https URL (http only on localhost)".into());
    }
    if issuer.contains(['?', '#']) {
        return Err("must not have a query or fragment".into());
    }
    Ok(issuer.to_owned())
}

impl ServiceConfig {
    pub fn default_refresh_reuse_grace() -> std::time::Duration {
        std::time::Duration::from_secs(DEFAULT_REFRESH_REUSE_GRACE_SECONDS)
    }

    /// The resource API's limit per token when none is configured.
    pub fn default_api_rate_limit() -> RateLimitPolicy {
        RateLimitPolicy {
            limit: DEFAULT_API_RATE_LIMIT,
            window: std::time::Duration::from_secs(DEFAULT_API_RATE_LIMIT_WINDOW_SECONDS),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let issuer = normalize_issuer(&required(env, vars::ISSUER)?)
            .map_err(|reason| ConfigError::invalid(vars::ISSUER, reason))?;
        let organization = Organization {
            id: required(env, vars::ORGANIZATION_ID)?,
            slug: required(env, vars::ORGANIZATION_SLUG)?,
        };
        let rate_limit = policy(
            env,
            (vars::RATE_LIMIT, DEFAULT_LIMIT),
            (vars::RATE_LIMIT_WINDOW, DEFAULT_WINDOW_SECONDS),
        )?;
        let api_rate_limit = policy(
            env,
            (vars::API_RATE_LIMIT, DEFAULT_API_RATE_LIMIT),
            (
                vars::API_RATE_LIMIT_WINDOW,
                DEFAULT_API_RATE_LIMIT_WINDOW_SECONDS,
            ),
        )?;
        let verified_token_cache = number(
            env,
            vars::VERIFIED_TOKEN_CACHE,
            DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES,
        )?;
        if verified_token_cache > MAX_VERIFIED_TOKEN_CACHE_ENTRIES {
            return Err(ConfigError::invalid(
                vars::VERIFIED_TOKEN_CACHE,
                format!(
                    "must be from 0 to {MAX_VERIFIED_TOKEN_CACHE_ENTRIES}, got {verified_token_cache}"
                ),
            ));
        }
        let sign_in = SignInPolicy::new(
            (
                number(env, vars::LOGIN_FAILURE_LIMIT, DEFAULT_FROM_ADDRESS_LIMIT)?,
                number(
                    env,
                    vars::LOGIN_FAILURE_WINDOW,
                    DEFAULT_FROM_ADDRESS_WINDOW_SECONDS,
                )?,
            ),
            (
                number(env, vars::ACCOUNT_FAILURE_LIMIT, DEFAULT_ACCOUNT_LIMIT)?,
                number(
                    env,
                    vars::ACCOUNT_FAILURE_WINDOW,
                    DEFAULT_ACCOUNT_WINDOW_SECONDS,
                )?,
            ),
        )
        .map_err(|error| ConfigError::Invalid {
            name: match (error.window, error.limit_at_fault) {
                (SignInWindow::FromAddress, true) => vars::LOGIN_FAILURE_LIMIT,
                (SignInWindow::FromAddress, false) => vars::LOGIN_FAILURE_WINDOW,
                (SignInWindow::Account, true) => vars::ACCOUNT_FAILURE_LIMIT,
                (SignInWindow::Account, false) => vars::ACCOUNT_FAILURE_WINDOW,
            },
            reason: error.reason,
        })?;
        let grace: u64 = number(
            env,
            vars::REFRESH_REUSE_GRACE,
            DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
        )?;
        if grace > MAX_REFRESH_REUSE_GRACE_SECONDS {
            return Err(ConfigError::invalid(
                vars::REFRESH_REUSE_GRACE,
                format!("at most {MAX_REFRESH_REUSE_GRACE_SECONDS} seconds, got {grace}"),
            ));
        }
        let cors = CorsPolicy::parse(&env(vars::CORS_ALLOWED_ORIGINS).unwrap_or_default())
            .map_err(|reason| ConfigError::invalid(vars::CORS_ALLOWED_ORIGINS, reason))?;
        Ok(Self {
            issuer,
            organization,
            rate_limit,
            api_rate_limit,
            verified_token_cache,
            sign_in,
            refresh_reuse_grace: std::time::Duration::from_secs(grace),
            cors,
            password_hashing: password_hashing_from_lookup(env)?,
        })
    }
}

/// A rate-limit policy from its two variables, `(name, default)` each; an error is blamed on
/// the variable that set the part at fault.
fn policy(
    env: &dyn Fn(&str) -> Option<String>,
    (limit_name, default_limit): (&'static str, u32),
    (window_name, default_window): (&'static str, u64),
) -> Result<RateLimitPolicy, ConfigError> {
    RateLimitPolicy::new(
        number(env, limit_name, default_limit)?,
        number(env, window_name, default_window)?,
    )
    .map_err(|error| match error {
        RateLimitPolicyError::Limit(_) => ConfigError::invalid(limit_name, error),
        RateLimitPolicyError::Window(_) => ConfigError::invalid(window_name, error),
    })
}

/// The bound on password hashing: one run per core and a 2 s deadline unless told otherwise
/// (also read on its own by `gatehouse import`).
pub fn password_hashing_from_lookup(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<HashingLimits, ConfigError> {
    let default = HashingLimits::default();
    let concurrency = number(env, vars::PASSWORD_HASHING_CONCURRENCY, default.concurrency)?;
    if !(1..=MAX_HASHING_CONCURRENCY).contains(&concurrency) {
        return Err(ConfigError::invalid(
            vars::PASSWORD_HASHING_CONCURRENCY,
            format!("must be from 1 to {MAX_HASHING_CONCURRENCY}, got {concurrency}"),
        ));
    }
    let deadline = number(
        env,
        vars::PASSWORD_HASHING_DEADLINE,
        default.deadline.as_millis() as u64,
    )?;
    if !(1..=MAX_HASHING_DEADLINE_MS).contains(&deadline) {
        return Err(ConfigError::invalid(
            vars::PASSWORD_HASHING_DEADLINE,
            format!("must be from 1 to {MAX_HASHING_DEADLINE_MS} milliseconds, got {deadline}"),
        ));
    }
    Ok(HashingLimits {
        concurrency,
        deadline: std::time::Duration::from_millis(deadline),
    })
}

/// How long a client secret replaced by a rotation stays valid, by default (24 hours).
pub const DEFAULT_SECRET_ROTATION_OVERLAP_SECONDS: u64 = 24 * 3600;
/// The longest overlap allowed (30 days): a leaked secret must not outlive its rotation long.
pub const MAX_SECRET_ROTATION_OVERLAP_SECONDS: u64 = 30 * 24 * 3600;

/// Checks a secret-rotation overlap, from configuration or from a request.
pub fn secret_rotation_overlap(seconds: u64) -> Result<std::time::Duration, String> {
    if seconds > MAX_SECRET_ROTATION_OVERLAP_SECONDS {
        return Err(format!(
            "must be from 0 to {MAX_SECRET_ROTATION_OVERLAP_SECONDS} seconds, got {seconds}"
        ));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// The default secret-rotation overlap of the admin function and commands
/// (`GATEHOUSE_SECRET_ROTATION_OVERLAP_SECONDS`).
pub fn secret_rotation_overlap_from_lookup(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<std::time::Duration, ConfigError> {
    let name = vars::SECRET_ROTATION_OVERLAP;
    secret_rotation_overlap(number(env, name, DEFAULT_SECRET_ROTATION_OVERLAP_SECONDS)?)
        .map_err(|reason| ConfigError::invalid(name, reason))
}

/// Reads a required variable, for the functions' wiring.
pub fn required_env(name: &'static str) -> Result<String, ConfigError> {
    required(&|n| std::env::var(n).ok(), name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const BASE: [(&str, &str); 3] = [
        (vars::ISSUER, "https://auth.example.com/"),
        (vars::ORGANIZATION_ID, "org"),
        (vars::ORGANIZATION_SLUG, "acme"),
    ];

    #[test]
    fn defaults_apply_and_the_issuer_loses_its_trailing_slash() {
        let config = ServiceConfig::from_lookup(&lookup(&BASE)).unwrap();
        assert_eq!(config.issuer, "https://auth.example.com");
        assert_eq!(config.rate_limit, RateLimitPolicy::default());
        assert_eq!(
            config.api_rate_limit,
            RateLimitPolicy::new(100, 10).unwrap()
        );
        assert_eq!(
            config.api_rate_limit,
            ServiceConfig::default_api_rate_limit()
        );
        assert_eq!(config.verified_token_cache, 10_000);
        assert_eq!(config.sign_in, SignInPolicy::default());
        assert_eq!(
            config.refresh_reuse_grace,
            ServiceConfig::default_refresh_reuse_grace()
        );
        assert_eq!(config.password_hashing, HashingLimits::default());
    }

    #[test]
    fn the_password_hashing_bound_is_read_in_runs_and_milliseconds() {
        let mut pairs = BASE.to_vec();
        pairs.push((vars::PASSWORD_HASHING_CONCURRENCY, "3"));
        pairs.push((vars::PASSWORD_HASHING_DEADLINE, "250"));
        let config = ServiceConfig::from_lookup(&lookup(&pairs)).unwrap();
        assert_eq!(
            config.password_hashing,
            HashingLimits {
                concurrency: 3,
                deadline: std::time::Duration::from_millis(250),
            }
        );
    }

    #[test]
    fn the_api_limit_and_the_token_cache_are_read_apart_from_the_token_endpoints() {
        let mut pairs = BASE.to_vec();
        pairs.push((vars::API_RATE_LIMIT, "120"));
        pairs.push((vars::API_RATE_LIMIT_WINDOW, "10"));
        pairs.push((vars::VERIFIED_TOKEN_CACHE, "0"));
        let config = ServiceConfig::from_lookup(&lookup(&pairs)).unwrap();
        assert_eq!(
            config.api_rate_limit,
            RateLimitPolicy::new(120, 10).unwrap()
        );
        assert_eq!(config.rate_limit, RateLimitPolicy::default());
        assert_eq!(config.verified_token_cache, 0);
    }

    #[test]
    fn a_loopback_issuer_may_use_http_with_a_port() {
        for issuer in [
            "http://localhost:3000",
            "http://127.0.0.1:3000/",
            "http://[::1]:8080",
        ] {
            let mut pairs = BASE.to_vec();
            pairs[0] = (vars::ISSUER, issuer);
            let config = ServiceConfig::from_lookup(&lookup(&pairs)).unwrap();
            assert_eq!(config.issuer, issuer.trim_end_matches('/'));
        }
    }

    #[test]
    fn the_rotation_overlap_defaults_to_a_day_and_is_at_most_30_days() {
        let overlap = |value: Option<&str>| {
            let pairs: Vec<(&str, &str)> = value
                .map(|v| vec![(vars::SECRET_ROTATION_OVERLAP, v)])
                .unwrap_or_default();
            secret_rotation_overlap_from_lookup(&lookup(&pairs)).map(|d| d.as_secs())
        };
        assert_eq!(overlap(None).unwrap(), 86_400);
        assert_eq!(overlap(Some("0")).unwrap(), 0);
        assert_eq!(overlap(Some("2592000")).unwrap(), 2_592_000);
        for bad in ["2592001", "-1", "a day"] {
            let error = overlap(Some(bad)).unwrap_err().to_string();
            assert!(
                error.starts_with(vars::SECRET_ROTATION_OVERLAP),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn missing_or_invalid_settings_name_the_variable() {
        let missing = ServiceConfig::from_lookup(&lookup(&BASE[1..])).unwrap_err();
        assert_eq!(missing.to_string(), "GATEHOUSE_ISSUER is not set");
        let cases = [
            (vars::ISSUER, "http://auth.example.com"),
            (vars::ISSUER, "https://auth.example.com?x=1"),
            (vars::ISSUER, "http://localhost.evil.example"),
            (vars::ISSUER, "http://127.0.0.1.nip.io"),
            (vars::RATE_LIMIT, "lots"),
            (vars::RATE_LIMIT, "0"),
            (vars::RATE_LIMIT_WINDOW, "0"),
            (vars::API_RATE_LIMIT, "0"),
            (vars::API_RATE_LIMIT, "301"),
            (vars::API_RATE_LIMIT_WINDOW, "0"),
            (vars::VERIFIED_TOKEN_CACHE, "100001"),
            (vars::VERIFIED_TOKEN_CACHE, "-1"),
            (vars::LOGIN_FAILURE_LIMIT, "0"),
            (vars::LOGIN_FAILURE_WINDOW, "7200"),
            (vars::ACCOUNT_FAILURE_LIMIT, "101"),
            (vars::ACCOUNT_FAILURE_WINDOW, "0"),
            (vars::REFRESH_REUSE_GRACE, "31"),
            (vars::CORS_ALLOWED_ORIGINS, "*"),
            (vars::CORS_ALLOWED_ORIGINS, "https://shop.example.com/"),
            (vars::PASSWORD_HASHING_CONCURRENCY, "0"),
            (vars::PASSWORD_HASHING_CONCURRENCY, "257"),
            (vars::PASSWORD_HASHING_DEADLINE, "0"),
            (vars::PASSWORD_HASHING_DEADLINE, "60001"),
            (vars::PASSWORD_HASHING_DEADLINE, "2s"),
        ];
        for (name, value) in cases {
            let mut pairs = BASE.to_vec();
            pairs.push((name, value));
            let error = ServiceConfig::from_lookup(&lookup(&pairs))
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(name), "{name}={value}: {error}");
        }
    }
}
