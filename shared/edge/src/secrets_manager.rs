//! Reading a secret's text from AWS Secrets Manager, once per cold start (the token function's
//! signing keys). Built only with the `secrets-manager` feature: the other functions hold no
//! secret and do not link this client.

use std::time::Duration;

use aws_sdk_secretsmanager::error::DisplayErrorContext;

/// The `SecretString` of the secret with this ARN (or name): of the version `version_id` when
/// given (a deployment pins the version it signs with), else the current one. The endpoint
/// and credentials come from the AWS default chain: the function's role in AWS,
/// `AWS_ENDPOINT_URL` for a local API such as moto.
pub async fn secret_string(arn: &str, version_id: Option<&str>) -> Result<String, String> {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_timeout(Duration::from_secs(5))
        .build();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await;
    let output = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(arn)
        .set_version_id(version_id.map(str::to_owned))
        .send()
        .await
        .map_err(|error| DisplayErrorContext(error).to_string())?;
    output
        .secret_string()
        .map(str::to_owned)
        .ok_or_else(|| "the secret has no text value: store the PEM as a SecretString".into())
}
