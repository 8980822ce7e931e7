//! The revocation Lambda: configuration, published keys and the DynamoDB client are built once
//! per cold start.

use gatehouse_edge::config::{ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use gatehouse_edge::signing_keys::published_verifier;
use gatehouse_revoke::{handle, RevokeService};
use lambda_http::Error;

async fn init() -> Result<RevokeService, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServiceConfig::from_lookup(&env)?;
    // Access tokens are revoked too: they are known by the keys that the API verifies with.
    let verifier = published_verifier(&env, &config.issuer)?;
    Ok(RevokeService::new(
        &Runtime::on_dynamodb(config)
            .await?
            .trusting_backends()
            .await?,
        verifier,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function("revoke", init(), |request, service| async move {
        handle(request, &service).await
    })
    .await
}
