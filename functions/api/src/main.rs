//! The API Lambda: configuration, published keys and the DynamoDB client are built once per
//! cold start.

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_api::{handle, ApiService};
use gatehouse_shared::bearer::BearerVerifier;
use gatehouse_shared::clock::SystemClock;
use gatehouse_shared::config::{required_env, vars, ConfigError, ServiceConfig};
use gatehouse_shared::init::exit_at_init;
use gatehouse_shared::signing_keys::load_published_keys;
use gatehouse_shared::store::dynamo::{self, DynamoStore};
use lambda_http::{service_fn, Error, Request};

async fn init() -> Result<ApiService, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServiceConfig::from_lookup(&env)?;
    let keys = load_published_keys(&env)?;
    let verification_keys = keys
        .verification_keys()
        .map_err(|error| ConfigError::Invalid {
            name: vars::PUBLISHED_KEYS,
            reason: error.to_string(),
        })?;
    let verifier = BearerVerifier::new(verification_keys, config.issuer.clone());
    let table = required_env(vars::TABLE)?;
    let store = Arc::new(DynamoStore::new(dynamo::client(None).await, table));
    Ok(ApiService::on(
        store,
        verifier,
        Arc::new(SystemClock),
        config.issuer,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let observer = gatehouse_shared::observe::init::lambda()
        .unwrap_or_else(|error| exit_at_init("api", &error));
    let service = Arc::new(
        init()
            .await
            .unwrap_or_else(|error| exit_at_init("api", &error)),
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
