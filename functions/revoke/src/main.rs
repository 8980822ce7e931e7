//! The revocation Lambda: configuration, published keys and the DynamoDB client are built once
//! per cold start.

use gatehouse_edge::bearer::BearerVerifier;
use gatehouse_edge::config::{vars, ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use gatehouse_edge::signing_keys::load_published_keys;
use gatehouse_revoke::{handle, RevokeService};
use lambda_http::Error;

async fn init() -> Result<RevokeService, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServiceConfig::from_lookup(&env)?;
    // Access tokens are revoked too: they are known by the keys that the API verifies with.
    let keys = load_published_keys(&env)?;
    let verification_keys = keys
        .verification_keys()
        .map_err(|error| ConfigError::invalid(vars::PUBLISHED_KEYS, error))?;
    let verifier = BearerVerifier::new(verification_keys, config.issuer.clone());
    Ok(RevokeService::new(
        &Runtime::on_dynamodb(config).await?,
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
