//! The tracing subscriber: timestamps on every line, JSON or text, the level from `RUST_LOG`,
//! and a clamp on the crates that log what goes over the wire.

use lambda_http::tracing::subscriber::filter::{EnvFilter, LevelFilter, Targets};
use lambda_http::tracing::subscriber::fmt::{self, MakeWriter};
use lambda_http::tracing::subscriber::layer::{Layer, SubscriberExt};
use lambda_http::tracing::subscriber::registry::Registry;
use tracing::Subscriber;

use crate::config::ConfigError;

pub const LOG_FORMAT_VAR: &str = "GATEHOUSE_LOG_FORMAT";
pub const RUST_LOG_VAR: &str = "RUST_LOG";
/// Lambda's advanced logging controls: `JSON` or `Text`.
pub const LAMBDA_LOG_FORMAT_VAR: &str = "AWS_LAMBDA_LOG_FORMAT";
/// Set by Lambda in every function's environment.
pub const LAMBDA_FUNCTION_VAR: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// Crates that, at trace, log whole HTTP requests and responses or the SDK's parsed output:
/// `aws_smithy_runtime`'s orchestrator logs every DynamoDB request and response with its body
/// and every deserialized output (items with the stored hashes of client secrets, refresh
/// tokens and codes, and argon2 password hashes). Whatever `RUST_LOG` asks, these log at most
/// at [`WIRE_CLAMP`]. The clamp is a filter of its own beside `RUST_LOG`'s, and an event must
/// pass both: a `RUST_LOG` directive can lower these crates further but never raise them.
/// (Prefixes: `aws_smithy` covers every `aws_smithy_*` crate.)
pub const WIRE_TARGETS: &[&str] = &[
    "aws_smithy",
    "aws_sdk",
    "aws_config",
    "aws_runtime",
    "aws_sigv4",
    "aws_credential_types",
    "aws_types",
    "hyper",
    "h2",
    "rustls",
    "tower",
];

/// The most detail [`WIRE_TARGETS`] may log: debug shows attempts, retries and timeouts,
/// never a body.
pub const WIRE_CLAMP: LevelFilter = LevelFilter::DEBUG;

/// The filter that holds [`WIRE_TARGETS`] at [`WIRE_CLAMP`] and lets everything else through.
pub fn wire_clamp() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(WIRE_TARGETS.iter().map(|target| (*target, WIRE_CLAMP)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// Where the process runs, which decides the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// A Lambda function: JSON, `info`.
    Lambda,
    /// The `gatehouse` command: text, `info` (so that `serve` shows its request lines).
    Cli,
}

/// How to log, read from the environment once at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSettings {
    pub format: LogFormat,
    /// `RUST_LOG` directives (`info`, `gatehouse=debug,aws_smithy_runtime=warn`, ...).
    pub directives: String,
}

impl LogSettings {
    pub fn from_env(host: Host) -> Result<Self, ConfigError> {
        Self::from_lookup(host, &|name| std::env::var(name).ok())
    }

    /// `GATEHOUSE_LOG_FORMAT` (`json` | `text`) decides the format; unset, JSON when Lambda's
    /// `AWS_LAMBDA_LOG_FORMAT` is `JSON` or the process is a Lambda function, text otherwise.
    /// `RUST_LOG` decides the level, `info` by default; it is checked here so that a typo
    /// stops the start with its reason instead of silently logging at another level.
    pub fn from_lookup(
        host: Host,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let format = match set(LOG_FORMAT_VAR) {
            Some(value) if value.trim().eq_ignore_ascii_case("json") => LogFormat::Json,
            Some(value) if value.trim().eq_ignore_ascii_case("text") => LogFormat::Text,
            Some(value) => {
                return Err(ConfigError::invalid(
                    LOG_FORMAT_VAR,
                    format!("'{}' is neither json nor text", value.escape_debug()),
                ))
            }
            None if set(LAMBDA_LOG_FORMAT_VAR).is_some_and(|v| v.eq_ignore_ascii_case("json")) => {
                LogFormat::Json
            }
            None if host == Host::Lambda => LogFormat::Json,
            None => LogFormat::Text,
        };
        let directives = set(RUST_LOG_VAR).unwrap_or_else(|| "info".to_owned());
        env_filter(&directives)?;
        Ok(Self { format, directives })
    }
}

fn env_filter(directives: &str) -> Result<EnvFilter, ConfigError> {
    EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse(directives)
        .map_err(|error| ConfigError::invalid(RUST_LOG_VAR, error))
}

/// The subscriber `settings` describe, writing each line to `writer`: `RUST_LOG`'s filter,
/// then the [`wire_clamp`], then the formatter. Every line has a UTC timestamp (RFC 3339, in
/// microseconds); JSON lines put the event's fields at the top level, beside `timestamp`,
/// `level`, `target` and the current span.
pub fn subscriber<W>(
    settings: &LogSettings,
    writer: W,
) -> Result<impl Subscriber + Send + Sync + 'static, ConfigError>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = env_filter(&settings.directives)?;
    let format = match settings.format {
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
        LogFormat::Text => fmt::layer().with_ansi(false).with_writer(writer).boxed(),
    };
    Ok(Registry::default()
        .with(filter)
        .with(wire_clamp())
        .with(format))
}

/// Installs the subscriber for the whole process.
pub fn init<W>(settings: &LogSettings, writer: W) -> Result<(), ConfigError>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing::subscriber::set_global_default(subscriber(settings, writer)?).map_err(|error| {
        ConfigError::invalid(RUST_LOG_VAR, format!("logging is already set up: {error}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(host: Host, pairs: &[(&str, &str)]) -> Result<LogSettings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LogSettings::from_lookup(host, &move |name| map.get(name).cloned())
    }

    #[test]
    fn lambda_logs_json_and_the_cli_text_unless_told_otherwise() {
        let lambda = settings(Host::Lambda, &[]).unwrap();
        assert_eq!(lambda.format, LogFormat::Json);
        assert_eq!(lambda.directives, "info");
        assert_eq!(settings(Host::Cli, &[]).unwrap().format, LogFormat::Text);
        let cases = [
            (Host::Cli, LAMBDA_LOG_FORMAT_VAR, "JSON", LogFormat::Json),
            (Host::Cli, LOG_FORMAT_VAR, "json", LogFormat::Json),
            (Host::Lambda, LOG_FORMAT_VAR, "TEXT", LogFormat::Text),
        ];
        for (host, name, value, format) in cases {
            assert_eq!(
                settings(host, &[(name, value)]).unwrap().format,
                format,
                "{name}={value}"
            );
        }
    }

    /// The lines `settings` produce for a few events, one per target and level.
    fn lines_of(settings: &LogSettings) -> Vec<String> {
        use std::sync::{Arc, Mutex};
        let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
        let writer = {
            let buffer = Arc::clone(&buffer);
            move || Capture(Arc::clone(&buffer))
        };
        struct Capture(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Capture {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        tracing::subscriber::with_default(subscriber(settings, writer).unwrap(), || {
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "wire trace");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "wire debug");
            tracing::trace!(target: "aws_sigv4::http_request::sign", "wire trace");
            tracing::trace!(target: "gatehouse_token", "own trace");
        });
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn no_rust_log_directive_raises_the_wire_crates_above_debug() {
        let settings = LogSettings {
            format: LogFormat::Json,
            directives: "trace,aws_smithy_runtime=trace,aws_sigv4=trace".to_owned(),
        };
        let lines = lines_of(&settings);
        let messages: Vec<String> = lines
            .iter()
            .map(|line| {
                let line: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(line["timestamp"].is_string(), "{line}");
                line["message"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(messages, ["wire debug", "own trace"]);
    }

    #[test]
    fn text_lines_carry_a_timestamp_too() {
        let settings = LogSettings {
            format: LogFormat::Text,
            directives: "info,gatehouse_token=trace".to_owned(),
        };
        let lines = lines_of(&settings);
        assert_eq!(lines.len(), 1, "{lines:?}");
        // 2026-01-02T03:04:05.678901Z  TRACE gatehouse_token: own trace
        let stamp = lines[0].split_whitespace().next().unwrap();
        assert!(
            stamp.len() >= 20 && stamp.ends_with('Z') && stamp.contains('T'),
            "{lines:?}"
        );
        assert!(lines[0].ends_with("own trace"), "{lines:?}");
    }

    #[test]
    fn a_bad_setting_names_its_variable_and_the_reason() {
        let cases = [
            (
                LOG_FORMAT_VAR,
                "xml",
                "GATEHOUSE_LOG_FORMAT is not valid: 'xml'",
            ),
            (
                RUST_LOG_VAR,
                "info,gatehouse=loud",
                "RUST_LOG is not valid: ",
            ),
        ];
        for (name, value, start) in cases {
            let error = settings(Host::Lambda, &[(name, value)])
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(start), "{name}={value}: {error}");
        }
    }
}
