//! The authorize Lambda: configuration and the DynamoDB client are built once per cold start.

use gatehouse_authorize::{handle, AuthorizeService};
use gatehouse_edge::config::{ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use lambda_http::Error;

async fn init() -> Result<AuthorizeService, ConfigError> {
    let runtime = Runtime::on_dynamodb(ServiceConfig::from_env()?)
        .await?
        .trusting_backends()
        .await?;
    Ok(AuthorizeService::new(&runtime))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function("authorize", init(), |request, service| async move {
        handle(request, &service).await
    })
    .await
}
