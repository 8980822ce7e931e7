//! The revocation Lambda: configuration and the DynamoDB client are built once per cold start.

use gatehouse_edge::config::{ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use gatehouse_revoke::{handle, RevokeService};
use lambda_http::Error;

async fn init() -> Result<RevokeService, ConfigError> {
    let runtime = Runtime::on_dynamodb(ServiceConfig::from_env()?).await?;
    Ok(RevokeService::new(&runtime))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function("revoke", init(), |request, service| async move {
        handle(request, &service).await
    })
    .await
}
