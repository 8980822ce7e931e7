//! What a request that never reached DynamoDB says: the SDK's own error reads "dispatch
//! failure" and nothing else, which tells an operator neither where the request went nor what
//! to check. An interceptor ([`Reachability`]) rewrites such an error, once the SDK has given
//! up on it, into an [`Unreachable`] that names the endpoint and the region; the error keeps
//! its kind (a connection that timed out is still a timeout, which `rate_limits.rs` reads), and
//! [`crate::StoreError::unavailable`] shows it in place of the SDK's words.
//!
//! For logs and the `gatehouse` command only: a client is answered 503 as for any storage
//! failure, with nothing of this.

use std::error::Error;

use aws_sdk_dynamodb::config::endpoint::Endpoint;
use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_dynamodb::error::{BoxError, ConnectorError};
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;

/// DynamoDB could not be reached: no connection, no answer in time, or no request sent at all
/// (no credentials to sign it with).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot reach DynamoDB at {endpoint} ({}): {cause}; check {check}", match region {
    Some(region) => format!("region {region}"),
    None => "no region set: set AWS_REGION".to_owned(),
})]
pub struct Unreachable {
    pub endpoint: String,
    pub region: Option<String>,
    pub cause: String,
    /// What the operator should look at.
    pub check: &'static str,
}

/// What to check when the connection failed or timed out.
pub const CHECK_CONNECTION: &str = "the endpoint URL, the network and that the service is running";
/// What to check when the request could not be sent (its credentials or signature failed).
pub const CHECK_CREDENTIALS: &str =
    "the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role) and the region";

impl Unreachable {
    /// The first [`Unreachable`] in `error`'s source chain, `error` included.
    pub fn in_chain<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a Unreachable> {
        chain(error).find_map(|error| error.downcast_ref())
    }
}

/// `error` and its sources, outermost first.
fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&error| error.source())
}

/// What went wrong, in a few words: the I/O error's kind where there is one (the connector
/// wraps it in several layers of its own), else the innermost message.
fn cause(error: &(dyn Error + 'static)) -> String {
    use std::io::ErrorKind;
    let said =
        chain(error).find_map(
            |error| match error.downcast_ref::<std::io::Error>()?.kind() {
                ErrorKind::ConnectionRefused => Some("connection refused"),
                ErrorKind::ConnectionReset => Some("connection reset"),
                ErrorKind::ConnectionAborted => Some("connection aborted"),
                ErrorKind::TimedOut => Some("timed out"),
                ErrorKind::HostUnreachable => Some("host unreachable"),
                ErrorKind::NetworkUnreachable => Some("network unreachable"),
                ErrorKind::AddrNotAvailable => Some("address not available"),
                _ => None,
            },
        );
    match said {
        Some(said) => said.to_owned(),
        None => chain(error).last().unwrap_or(error).to_string(),
    }
}

/// The interceptor: added to every DynamoDB client (`client.rs`).
#[derive(Debug)]
pub(super) struct Reachability;

impl Reachability {
    fn unreachable(cfg: &ConfigBag, cause: String, check: &'static str) -> Unreachable {
        Unreachable {
            // Resolved before the first attempt, after the credentials.
            endpoint: cfg
                .load::<Endpoint>()
                .map_or("the AWS endpoint of its region".to_owned(), |e| {
                    e.url().to_owned()
                }),
            region: cfg.load::<Region>().map(Region::to_string),
            cause: cause.trim_end_matches('.').to_owned(),
            check,
        }
    }
}

impl Intercept for Reachability {
    fn name(&self) -> &'static str {
        "Reachability"
    }

    /// Runs once per operation, after its last attempt (and after an operation timeout).
    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Only an error that came without an answer: DynamoDB's own refusals, and answers
        // that could not be read, say what they are.
        let answered = context.response().is_some();
        let Some(Err(error)) = context.output_or_error_mut() else {
            return Ok(());
        };
        if let Some(connector) = error.as_connector_error() {
            let unreachable = Self::unreachable(cfg, cause(connector), CHECK_CONNECTION);
            let unreachable: BoxError = Box::new(unreachable);
            let kept = if connector.is_timeout() {
                ConnectorError::timeout(unreachable)
            } else if connector.is_io() {
                ConnectorError::io(unreachable)
            } else if connector.is_user() {
                ConnectorError::user(unreachable)
            } else {
                ConnectorError::other(unreachable, None)
            };
            *error = OrchestratorError::connector(kept);
        } else if error.is_timeout_error() {
            let cause = "no answer in time".to_owned();
            let unreachable = Self::unreachable(cfg, cause, CHECK_CONNECTION);
            *error = OrchestratorError::timeout(Box::new(unreachable));
        } else if !answered
            && !error.is_operation_error()
            && !error.is_interceptor_error()
            && !error.is_response_error()
        {
            // An error of the SDK's own before the request went out: the credentials chain
            // found none, or signing failed. The SDK calls it a dispatch failure too.
            let unreachable = Self::unreachable(cfg, cause(&*error), CHECK_CREDENTIALS);
            *error = OrchestratorError::other(unreachable);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_the_io_errors_kind_or_the_innermost_message() {
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect)")]
        struct Outer(#[source] std::io::Error);
        let refused = Outer(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(cause(&refused), "connection refused");
        let dns = Outer(std::io::Error::other(
            "failed to lookup address information",
        ));
        assert_eq!(cause(&dns), "failed to lookup address information");
    }

    #[test]
    fn an_unreachable_error_is_found_anywhere_in_a_chain() {
        let unreachable = Unreachable {
            endpoint: "http://127.0.0.1:9".into(),
            region: Some("eu-west-1".into()),
            cause: "connection refused".into(),
            check: CHECK_CONNECTION,
        };
        assert_eq!(
            unreachable.to_string(),
            "cannot reach DynamoDB at http://127.0.0.1:9 (region eu-west-1): connection refused; check the endpoint URL, the network and that the service is running"
        );
        let wrapped = ConnectorError::io(Box::new(unreachable.clone()));
        assert_eq!(Unreachable::in_chain(&wrapped), Some(&unreachable));
        let other = std::io::Error::other("dispatch failure");
        assert_eq!(Unreachable::in_chain(&other), None);
    }
}
