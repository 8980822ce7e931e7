//! Start-up of logging and metrics, for a Lambda function and for `gatehouse serve`.

use super::logging::{self, Host, LogSettings, LAMBDA_FUNCTION_VAR};
use super::metrics::MetricsOutput;
use super::request_log::Observer;
use crate::config::ConfigError;

/// Lambda: logs on standard output (JSON by default), EMF metrics on by default, the function's
/// name as the metrics' `Function` dimension.
pub fn lambda() -> Result<Observer, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    logging::init(&LogSettings::from_env(Host::Lambda)?, std::io::stdout)?;
    let metrics = MetricsOutput::from_lookup(&env, MetricsOutput::Emf)?;
    let function = env(LAMBDA_FUNCTION_VAR).unwrap_or_else(|| "gatehouse".to_owned());
    Ok(Observer::new(metrics, &function))
}

/// The `gatehouse` command: logs on standard error (text by default), since `keys generate` and
/// `keys public` print keys on standard output.
pub fn cli() -> Result<(), ConfigError> {
    logging::init(&LogSettings::from_env(Host::Cli)?, std::io::stderr)
}

/// `gatehouse serve`: logs as for the other commands, but written in batches by a background
/// thread (see [`super::batched`]); the caller flushes the returned writer before it exits.
pub fn serve_logging() -> Result<super::batched::BatchedWriter, ConfigError> {
    let writer = super::batched::BatchedWriter::spawn(std::io::stderr()).map_err(|error| {
        ConfigError::invalid(
            logging::RUST_LOG_VAR,
            format!("cannot start the log writer: {error}"),
        )
    })?;
    logging::init(&LogSettings::from_env(Host::Cli)?, writer.clone())?;
    Ok(writer)
}

/// `gatehouse serve`'s observer: EMF metrics only when `GATEHOUSE_METRICS=emf`.
pub fn serve() -> Result<Observer, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    Ok(Observer::new(
        MetricsOutput::from_lookup(&env, MetricsOutput::Off)?,
        "gatehouse-serve",
    ))
}
