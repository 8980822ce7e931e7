//! The authorize Lambda: configuration and the DynamoDB client are built once per cold start.

use std::sync::Arc;

use gatehouse_authorize::{handle, AuthorizeService};
use gatehouse_core::clock::SystemClock;
use gatehouse_edge::config::{required_env, vars, ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::dynamo::{self, DynamoStore};
use lambda_http::Error;

async fn init() -> Result<AuthorizeService, ConfigError> {
    let config = ServiceConfig::from_env()?;
    let table = required_env(vars::TABLE)?;
    let store = Arc::new(DynamoStore::new(dynamo::client(None).await, table));
    let runtime = Runtime::new(store, config, Arc::new(SystemClock));
    Ok(AuthorizeService::new(&runtime))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function("authorize", init(), |request, service| async move {
        handle(request, &service).await
    })
    .await
}
