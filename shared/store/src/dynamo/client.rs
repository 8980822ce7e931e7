//! The SDK client, built once per cold start.

use std::time::Duration;

use aws_sdk_dynamodb::Client;

use super::reach::Reachability;
use crate::timing::StorageTiming;

/// How often the SDK sends one operation: the first attempt and at most two retries, of a
/// throttling error, a 5xx or an attempt that timed out. Pinned here rather than left to
/// `BehaviorVersion::latest()`, whose DynamoDB default has changed between SDK releases (it
/// is 4 attempts under retry behavior 2.1): a token request's wait must not grow with an SDK
/// upgrade. The bound: 3 attempts of at most 2 s each, cut at 5 s by the operation timeout;
/// a request makes at most two storage round trips one after the other, so it answers within
/// the functions' 10 s Lambda timeout. The backoff starts at 25 ms (DynamoDB answers in
/// milliseconds, and the client is waiting) and never exceeds 1 s.
///
/// A retry resends the very request: the same condition, the same times, and for a
/// transaction the same `ClientRequestToken`. So a retried rate-limit update is decided by
/// the same condition as its first send, and a denied check never becomes an allow (see
/// `rate_limits.rs`).
pub const MAX_ATTEMPTS: u32 = 3;

/// Builds a DynamoDB client once per cold start. `endpoint` points it at a local DynamoDB API
/// (moto); then, with no AWS credentials in the environment, placeholder ones are used.
/// Every attempt is timed for the request that makes it ([`StorageTiming`]), and a request
/// that never reached DynamoDB fails with an error that says where it went ([`Reachability`]).
pub async fn client(endpoint: Option<&str>) -> Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build();
    let retries = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(25))
        .with_max_backoff(Duration::from_secs(1));
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "gatehouse-local",
            ));
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            loader = loader.region(aws_config::Region::new("us-east-1"));
        }
    }
    // Set on the DynamoDB client itself: the SDK would otherwise raise a shared config's
    // retry settings to its own DynamoDB defaults.
    let config = aws_sdk_dynamodb::config::Builder::from(&loader.load().await)
        .retry_config(retries)
        .interceptor(StorageTiming)
        .interceptor(Reachability)
        .build();
    Client::from_conf(config)
}
