//! The SDK client, built once per cold start.

use std::time::Duration;

use aws_sdk_dynamodb::Client;

use crate::observe::storage_timing::StorageTiming;

/// Builds a DynamoDB client once per cold start. `endpoint` points it at a local DynamoDB API
/// (moto); then, with no AWS credentials in the environment, placeholder ones are used.
/// Every attempt is timed for the request that makes it ([`StorageTiming`]).
pub async fn client(endpoint: Option<&str>) -> Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build();
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
    let config = aws_sdk_dynamodb::config::Builder::from(&loader.load().await)
        .interceptor(StorageTiming)
        .build();
    Client::from_conf(config)
}
