//! The API Lambda: configuration, published keys and the DynamoDB client are built once per
//! cold start.

use gatehouse_api::{handle, ApiService};
use gatehouse_edge::bearer::REVOCATION_STALENESS;
use gatehouse_edge::config::{ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use gatehouse_edge::signing_keys::published_verifier;
use lambda_http::Error;

async fn init() -> Result<ApiService, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServiceConfig::from_lookup(&env)?;
    let verifier = published_verifier(&env, &config.issuer)?;
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
