//! The token Lambda: configuration, keys and the DynamoDB client are built once per cold start.

use std::sync::Arc;

use gatehouse_edge::config::{ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use gatehouse_edge::signing_keys::load_signing_keys;
use gatehouse_token::{handle, TokenService};
use lambda_http::Error;

async fn init() -> Result<TokenService, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let runtime = Runtime::on_dynamodb(ServiceConfig::from_lookup(&env)?)
        .await?
        .trusting_backends()
        .await?;
    let keys = load_signing_keys(&env).await?;
    Ok(TokenService::new(&runtime, Arc::new(keys)))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function("token", init(), |request, service| async move {
        handle(request, &service).await
    })
    .await
}
