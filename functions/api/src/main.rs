//! The API Lambda: configuration, published keys and the DynamoDB client are built once per
//! cold start.

use gatehouse_api::{handle, ApiService};
use gatehouse_edge::bearer::{BearerVerifier, REVOCATION_STALENESS};
use gatehouse_edge::config::{vars, ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use gatehouse_edge::signing_keys::load_published_keys;
use lambda_http::Error;

async fn init() -> Result<ApiService, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServiceConfig::from_lookup(&env)?;
    let keys = load_published_keys(&env)?;
    let verification_keys = keys
        .verification_keys()
        .map_err(|error| ConfigError::invalid(vars::PUBLISHED_KEYS, error))?;
    let verifier = BearerVerifier::new(verification_keys, config.issuer.clone());
    Ok(ApiService::new(
        &Runtime::on_dynamodb(config).await?,
        verifier,
        REVOCATION_STALENESS,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function("api", init(), |request, service| async move {
        handle(request, &service).await
    })
    .await
}
