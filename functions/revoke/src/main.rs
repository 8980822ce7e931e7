//! The revocation Lambda: configuration and the DynamoDB client are built once per cold start.

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_revoke::{handle, RevokeService};
use gatehouse_shared::config::{required_env, vars, ConfigError, ServiceConfig};
use gatehouse_shared::init::exit_at_init;
use gatehouse_shared::store::dynamo::{self, DynamoStore};
use lambda_http::{service_fn, Error, Request};

async fn init() -> Result<RevokeService, ConfigError> {
    let config = ServiceConfig::from_env()?;
    let table = required_env(vars::TABLE)?;
    let store = Arc::new(DynamoStore::new(dynamo::client(None).await, table));
    Ok(RevokeService {
        clients: store.clone(),
        refresh_tokens: store,
        cors: config.cors,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let observer = gatehouse_shared::observe::init::lambda()
        .unwrap_or_else(|error| exit_at_init("revoke", &error));
    let service = Arc::new(
        init()
            .await
            .unwrap_or_else(|error| exit_at_init("revoke", &error)),
    );
    lambda_http::run(service_fn(move |request: Request| {
        let service = Arc::clone(&service);
        let observer = observer.clone();
        async move {
            let response = observer.observe(request, |r| handle(r, &service)).await;
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
