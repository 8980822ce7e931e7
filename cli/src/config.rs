//! `gatehouse serve`'s flags, and its [`ServiceConfig`] built from them by the function the
//! Lambda functions use, [`ServiceConfig::from_lookup`]: the flags become the `GATEHOUSE_*`
//! settings they stand for, so every default, range and message is the Lambdas' own. Only the
//! names differ, so an error about a setting is reported under its flag ([`FLAGS`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use gatehouse_core::model::Organization;
use gatehouse_core::ratelimit;
use gatehouse_core::sign_in;
use gatehouse_edge::config::{
    vars, ConfigError, ServiceConfig, DEFAULT_API_RATE_LIMIT,
    DEFAULT_API_RATE_LIMIT_WINDOW_SECONDS, DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
    DEFAULT_SECRET_ROTATION_OVERLAP_SECONDS, DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES,
};
use gatehouse_edge::hashing::{HashingLimits, DEFAULT_HASHING_DEADLINE_MS};

use crate::connection_limits::{self, ConnectionLimits};
use crate::read_file;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Seed file for the embedded store (default: the demo seed). With DynamoDB, only its
    /// organization is read.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Requests accepted per client IP in any window (at most 300), counted apart for token
    /// requests, revocations and sign-in attempts.
    #[arg(long, default_value_t = ratelimit::DEFAULT_LIMIT)]
    pub rate_limit: u32,
    /// The rate-limit window, in seconds.
    #[arg(long, default_value_t = ratelimit::DEFAULT_WINDOW_SECONDS)]
    pub rate_limit_window: u64,
    /// Requests to /api accepted per access token in any window (at most 300).
    #[arg(long, default_value_t = DEFAULT_API_RATE_LIMIT)]
    pub api_rate_limit: u32,
    /// That window, in seconds.
    #[arg(long, default_value_t = DEFAULT_API_RATE_LIMIT_WINDOW_SECONDS)]
    pub api_rate_limit_window: u64,
    /// Verified access tokens /api keeps until they expire, to skip their signature check
    /// (0: none).
    #[arg(long, default_value_t = DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES)]
    pub verified_token_cache_entries: usize,
    /// Failed sign-ins to one account from one address (IPv6 by /64) before that address is
    /// held off the account until the oldest leaves the window (at most 100).
    #[arg(long, default_value_t = sign_in::DEFAULT_FROM_ADDRESS_LIMIT)]
    pub login_failure_limit: u32,
    /// That window, in seconds.
    #[arg(long, default_value_t = sign_in::DEFAULT_FROM_ADDRESS_WINDOW_SECONDS)]
    pub login_failure_window: u64,
    /// Failed sign-ins to one account from every address together before every address is
    /// held off it until the oldest leaves the window (at most 100).
    #[arg(long, default_value_t = sign_in::DEFAULT_ACCOUNT_LIMIT)]
    pub account_failure_limit: u32,
    /// That window, in seconds.
    #[arg(long, default_value_t = sign_in::DEFAULT_ACCOUNT_WINDOW_SECONDS)]
    pub account_failure_window: u64,
    /// Seconds after a refresh token's exchange in which presenting it again is refused
    /// without revoking its family (at most 30).
    #[arg(long, default_value_t = DEFAULT_REFRESH_REUSE_GRACE_SECONDS)]
    pub refresh_reuse_grace: u64,
    /// Password checks (argon2 runs, 19 MiB each) at once, shared by the password grant and
    /// the sign-in page (default: the machine's cores).
    #[arg(long)]
    pub password_hashing_concurrency: Option<usize>,
    /// Milliseconds a password check waits for its turn before the answer is 503 with
    /// Retry-After.
    #[arg(long, default_value_t = DEFAULT_HASHING_DEADLINE_MS)]
    pub password_hashing_deadline_ms: u64,
    /// Serve from DynamoDB at this endpoint instead of the embedded store (needs --table).
    #[arg(long, requires = "table")]
    pub dynamodb_endpoint: Option<String>,
    #[arg(long, requires = "dynamodb_endpoint")]
    pub table: Option<String>,
    /// PEM file of signing keys. Default: $GATEHOUSE_SIGNING_KEYS, else a development key
    /// generated once and kept in .gatehouse/.
    #[arg(long)]
    pub signing_keys: Option<PathBuf>,
    /// Algorithm of the generated development key.
    #[arg(long, default_value = "ES256", value_parser = ["ES256", "RS512"])]
    pub algorithm: String,
    /// The `iss` claim and base URL (default: http://<host>:<port>).
    #[arg(long)]
    pub issuer: Option<String>,
    /// Browser origins allowed to call /oauth/token and /oauth/revoke, comma-separated
    /// (e.g. http://localhost:5173); none by default.
    #[arg(long, default_value = "")]
    pub cors_allowed_origins: String,
    /// Serve the admin API under /admin/ to `Authorization: Bearer <the token in this file>`
    /// (at least 32 characters; a final line break is ignored). Or set GATEHOUSE_ADMIN_TOKEN.
    /// Without either, /admin/ does not exist. Never on the command line, where `ps` shows it.
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    /// Take the client address the rate limit counts by from this request header (e.g.
    /// x-bench-client-ip) instead of the connection: for benchmarks, where one load generator
    /// stands for many clients, or behind a proxy that sets it. Whoever can reach the server
    /// directly can then pick any address: never expose it with this set.
    #[arg(long)]
    pub client_ip_header: Option<hyper::header::HeaderName>,
    /// Seconds a client secret replaced by a rotation stays valid, unless the rotation says.
    #[arg(long, env = vars::SECRET_ROTATION_OVERLAP, default_value_t = DEFAULT_SECRET_ROTATION_OVERLAP_SECONDS)]
    pub secret_rotation_overlap: u64,
    /// Seconds a client has to send a request's headers, counted from when the connection is
    /// ready for a request: also how long an idle keep-alive connection is kept.
    #[arg(long, default_value_t = connection_limits::DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout: u64,
    /// Seconds a client has to send a request's body once its headers are in; past them the
    /// answer is 408 and the connection is closed.
    #[arg(long, default_value_t = connection_limits::DEFAULT_BODY_READ_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_read_timeout: u64,
    /// Connections held at once; more wait in the listen backlog until one ends. Keep it
    /// below the process's open-file limit (`ulimit -n`).
    #[arg(long, default_value_t = connection_limits::DEFAULT_MAX_CONNECTIONS as u32,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Connections held at once from one client address (an IPv6 client: its /64), always the
    /// connection's own address, even with --client-ip-header. Past it, a new connection from
    /// that address is closed at once, so that one address cannot keep the others out.
    #[arg(long, default_value_t = connection_limits::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS as u32,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections_per_address: u32,
}

impl ServeArgs {
    /// The admin token, from `GATEHOUSE_ADMIN_TOKEN` (read with `env`) or `--admin-token-file`,
    /// or None when neither is set. Not a flag's value: every user of the machine can read a
    /// process's arguments (`ps`, /proc/<pid>/cmdline), while its environment and a file of
    /// mode 0600 are its owner's.
    pub fn admin_token(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, String> {
        match (&self.admin_token_file, env(vars::ADMIN_TOKEN)) {
            (Some(_), Some(_)) => Err(format!(
                "set {} or --admin-token-file, not both",
                vars::ADMIN_TOKEN
            )),
            (None, token) => Ok(token),
            (Some(path), None) => {
                let text =
                    read_file(path).map_err(|error| format!("--admin-token-file: {error}"))?;
                Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
            }
        }
    }

    /// The timeouts and the connection cap of `gatehouse serve`.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read: Duration::from_secs(self.header_read_timeout),
            body_read: Duration::from_secs(self.body_read_timeout),
            max_connections: self.max_connections as usize,
            max_connections_per_address: self.max_connections_per_address as usize,
        }
    }
}

/// Every setting `gatehouse serve` hands to [`ServiceConfig::from_lookup`], and the flag it
/// comes from. The organization comes from the seed file.
pub const FLAGS: [(&str, &str); 16] = [
    (vars::ISSUER, "--issuer"),
    (vars::ORGANIZATION_ID, "--seed"),
    (vars::ORGANIZATION_SLUG, "--seed"),
    (vars::RATE_LIMIT, "--rate-limit"),
    (vars::RATE_LIMIT_WINDOW, "--rate-limit-window"),
    (vars::API_RATE_LIMIT, "--api-rate-limit"),
    (vars::API_RATE_LIMIT_WINDOW, "--api-rate-limit-window"),
    (vars::VERIFIED_TOKEN_CACHE, "--verified-token-cache-entries"),
    (vars::LOGIN_FAILURE_LIMIT, "--login-failure-limit"),
    (vars::LOGIN_FAILURE_WINDOW, "--login-failure-window"),
    (vars::ACCOUNT_FAILURE_LIMIT, "--account-failure-limit"),
    (vars::ACCOUNT_FAILURE_WINDOW, "--account-failure-window"),
    (vars::REFRESH_REUSE_GRACE, "--refresh-reuse-grace"),
    (vars::CORS_ALLOWED_ORIGINS, "--cors-allowed-origins"),
    (
        vars::PASSWORD_HASHING_CONCURRENCY,
        "--password-hashing-concurrency",
    ),
    (
        vars::PASSWORD_HASHING_DEADLINE,
        "--password-hashing-deadline-ms",
    ),
];

/// The flag a setting comes from; the variable's own name for a setting without one.
pub fn flag_for(variable: &str) -> &str {
    FLAGS
        .iter()
        .find(|(name, _)| *name == variable)
        .map_or(variable, |(_, flag)| flag)
}

/// A configuration error, told in terms of the command line.
pub fn flag_error(error: &ConfigError) -> String {
    match error {
        ConfigError::Missing(name) => format!("{} is required", flag_for(name)),
        ConfigError::Invalid { name, reason } => format!("{}: {reason}", flag_for(name)),
        ConfigError::MissingEither(one, other) => {
            format!("set {} or {}", flag_for(one), flag_for(other))
        }
    }
}

/// The flags as the `GATEHOUSE_*` settings they stand for.
fn settings(args: &ServeArgs, organization: &Organization) -> HashMap<&'static str, String> {
    let issuer = args.issuer.clone().unwrap_or_else(|| match args.host {
        std::net::IpAddr::V6(host) => format!("http://[{host}]:{}", args.port),
        std::net::IpAddr::V4(host) => format!("http://{host}:{}", args.port),
    });
    HashMap::from([
        (vars::ISSUER, issuer),
        (vars::ORGANIZATION_ID, organization.id.clone()),
        (vars::ORGANIZATION_SLUG, organization.slug.clone()),
        (vars::RATE_LIMIT, args.rate_limit.to_string()),
        (vars::RATE_LIMIT_WINDOW, args.rate_limit_window.to_string()),
        (vars::API_RATE_LIMIT, args.api_rate_limit.to_string()),
        (
            vars::API_RATE_LIMIT_WINDOW,
            args.api_rate_limit_window.to_string(),
        ),
        (
            vars::VERIFIED_TOKEN_CACHE,
            args.verified_token_cache_entries.to_string(),
        ),
        (
            vars::LOGIN_FAILURE_LIMIT,
            args.login_failure_limit.to_string(),
        ),
        (
            vars::LOGIN_FAILURE_WINDOW,
            args.login_failure_window.to_string(),
        ),
        (
            vars::ACCOUNT_FAILURE_LIMIT,
            args.account_failure_limit.to_string(),
        ),
        (
            vars::ACCOUNT_FAILURE_WINDOW,
            args.account_failure_window.to_string(),
        ),
        (
            vars::REFRESH_REUSE_GRACE,
            args.refresh_reuse_grace.to_string(),
        ),
        (
            vars::CORS_ALLOWED_ORIGINS,
            args.cors_allowed_origins.clone(),
        ),
        (
            vars::PASSWORD_HASHING_CONCURRENCY,
            args.password_hashing_concurrency
                .unwrap_or_else(HashingLimits::default_concurrency)
                .to_string(),
        ),
        (
            vars::PASSWORD_HASHING_DEADLINE,
            args.password_hashing_deadline_ms.to_string(),
        ),
    ])
}

/// `gatehouse serve`'s configuration, through the Lambdas' own path; errors name the flag.
pub fn service_config(
    args: &ServeArgs,
    organization: &Organization,
) -> Result<ServiceConfig, String> {
    let settings = settings(args, organization);
    ServiceConfig::from_lookup(&|name| settings.get(name).cloned())
        .map_err(|error| flag_error(&error))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn organization() -> Organization {
        Organization {
            id: "org".into(),
            slug: "acme".into(),
        }
    }

    fn config_from(flags: &[&str]) -> Result<ServiceConfig, String> {
        let serve = Serve::try_parse_from(std::iter::once("serve").chain(flags.iter().copied()))
            .expect("the flags parse");
        service_config(&serve.args, &organization())
    }

    #[test]
    fn every_setting_the_shared_configuration_reads_comes_from_a_flag_that_exists() {
        let serve = Serve::try_parse_from(["serve"]).unwrap();
        let settings = settings(&serve.args, &organization());
        let read = RefCell::new(Vec::new());
        ServiceConfig::from_lookup(&|name| {
            read.borrow_mut().push(name.to_owned());
            settings.get(name).cloned()
        })
        .unwrap();
        let command = Serve::command();
        for name in read.into_inner() {
            let flag = flag_for(&name);
            let long = flag
                .strip_prefix("--")
                .unwrap_or_else(|| panic!("{name} has no flag"));
            assert!(
                command
                    .get_arguments()
                    .any(|arg| arg.get_long() == Some(long)),
                "{name} maps to {flag}, which `gatehouse serve` does not have"
            );
        }
    }

    #[test]
    fn a_setting_without_a_flag_keeps_its_variable_name() {
        assert_eq!(flag_for(vars::RATE_LIMIT), "--rate-limit");
        assert_eq!(flag_for(vars::TABLE), vars::TABLE);
        assert_eq!(
            flag_error(&ConfigError::Missing(vars::ISSUER)),
            "--issuer is required"
        );
    }

    #[test]
    fn the_defaults_are_the_lambdas_defaults() {
        let config = config_from(&[]).unwrap();
        assert_eq!(config.issuer, "http://127.0.0.1:3000");
        assert_eq!(config.organization, organization());
        assert_eq!(config.rate_limit, ratelimit::RateLimitPolicy::default());
        assert_eq!(config.sign_in, sign_in::SignInPolicy::default());
        assert_eq!(
            config.refresh_reuse_grace,
            ServiceConfig::default_refresh_reuse_grace()
        );
        assert_eq!(config.password_hashing, HashingLimits::default());
        let config = config_from(&["--host", "::1", "--port", "8080"]).unwrap();
        assert_eq!(config.issuer, "http://[::1]:8080");
    }

    #[test]
    fn the_connection_limits_default_to_the_servers_and_are_set_by_their_flags() {
        let parse = |flags: &[&str]| {
            Serve::try_parse_from(std::iter::once("serve").chain(flags.iter().copied()))
                .map(|serve| serve.args.connection_limits())
        };
        assert_eq!(parse(&[]).unwrap(), ConnectionLimits::default());
        let set = parse(&[
            "--header-read-timeout",
            "3",
            "--body-read-timeout",
            "4",
            "--max-connections",
            "100",
            "--max-connections-per-address",
            "10",
        ])
        .unwrap();
        assert_eq!(
            set,
            ConnectionLimits {
                header_read: Duration::from_secs(3),
                body_read: Duration::from_secs(4),
                max_connections: 100,
                max_connections_per_address: 10,
            }
        );
        for bad in [
            ["--header-read-timeout", "0"],
            ["--body-read-timeout", "0"],
            ["--max-connections", "0"],
            ["--max-connections-per-address", "0"],
            ["--body-read-timeout", "3601"],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }

    /// `ps` shows every process's command line to every user of the machine: the admin token
    /// is never one of its arguments, only an environment variable or a file.
    #[test]
    fn the_admin_token_comes_from_the_environment_or_a_file_never_the_command_line() {
        let parse = |flags: &[&str]| {
            Serve::try_parse_from(std::iter::once("serve").chain(flags.iter().copied()))
        };
        let token = "an-admin-token-of-at-least-32-characters-0123";
        assert!(parse(&["--admin-token", token]).is_err());
        assert!(parse(&[&format!("--admin-token={token}")]).is_err());

        let none = |_: &str| None;
        let from_env = |name: &str| (name == vars::ADMIN_TOKEN).then(|| token.to_owned());
        let serve = parse(&[]).unwrap();
        assert_eq!(serve.args.admin_token(&none).unwrap(), None);
        assert_eq!(
            serve.args.admin_token(&from_env).unwrap().as_deref(),
            Some(token)
        );

        let file =
            std::env::temp_dir().join(format!("gatehouse-admin-token-{}", std::process::id()));
        // A file written by `echo` or an editor ends with a line break, which is no part of it.
        std::fs::write(&file, format!("{token}\n")).unwrap();
        let path = file.to_str().unwrap();
        let serve = parse(&["--admin-token-file", path]).unwrap();
        assert_eq!(
            serve.args.admin_token(&none).unwrap().as_deref(),
            Some(token)
        );
        assert_eq!(
            serve.args.admin_token(&from_env).unwrap_err(),
            "set GATEHOUSE_ADMIN_TOKEN or --admin-token-file, not both"
        );
        std::fs::remove_file(&file).unwrap();
        let missing = serve.args.admin_token(&none).unwrap_err();
        assert!(
            missing.starts_with(&format!("--admin-token-file: cannot read {path}: ")),
            "{missing}"
        );
    }

    #[test]
    fn the_password_hashing_bound_is_set_by_its_flags() {
        let config = config_from(&[
            "--password-hashing-concurrency",
            "3",
            "--password-hashing-deadline-ms",
            "250",
        ])
        .unwrap();
        assert_eq!(
            config.password_hashing,
            HashingLimits {
                concurrency: 3,
                deadline: Duration::from_millis(250),
            }
        );
    }

    #[test]
    fn an_invalid_flag_is_reported_under_its_own_name() {
        let cases: [(&[&str], &str); 10] = [
            (&["--rate-limit", "1000"], "--rate-limit: the rate limit must be from 1 to 300 requests per window, got 1000"),
            (&["--rate-limit", "0"], "--rate-limit: the rate limit must be from 1 to 300 requests per window, got 0"),
            (&["--rate-limit-window", "0"], "--rate-limit-window: the rate-limit window must be from 1 to 3600 seconds, got 0"),
            (&["--login-failure-limit", "301"], "--login-failure-limit: a sign-in limit is at most 100 failures, got 301"),
            (&["--account-failure-window", "0"], "--account-failure-window: the rate-limit window must be from 1 to 3600 seconds, got 0"),
            (&["--login-failure-window", "7200"], "--login-failure-window: the rate-limit window must be from 1 to 3600 seconds, got 7200"),
            (&["--refresh-reuse-grace", "31"], "--refresh-reuse-grace: at most 30 seconds, got 31"),
            (&["--issuer", "http://localhost.evil.example"], "--issuer: must be an https URL (http only on localhost)"),
            (&["--password-hashing-concurrency", "0"], "--password-hashing-concurrency: must be from 1 to 256, got 0"),
            (&["--password-hashing-deadline-ms", "0"], "--password-hashing-deadline-ms: must be from 1 to 60000 milliseconds, got 0"),
        ];
        for (flags, expected) in cases {
            assert_eq!(config_from(flags).unwrap_err(), expected, "{flags:?}");
        }
    }
}
