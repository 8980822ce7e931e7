//! The API Lambda: configuration, published keys and the DynamoDB client are built once per
//! cold start.

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_api::{handle, ApiService};
use gatehouse_shared::bearer::BearerVerifier;
use gatehouse_shared::clock::SystemClock;
use gatehouse_shared::config::{required_env, vars, ServiceConfig};
use gatehouse_shared::jwt::PublishedKeys;
use gatehouse_shared::store::dynamo::{self, DynamoStore};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let observer = gatehouse_shared::observe::init::lambda()?;
    let config = ServiceConfig::from_env()?;
    let keys = PublishedKeys::from_public_pem(&required_env(vars::PUBLISHED_KEYS)?)?;
    let verifier = BearerVerifier::new(keys.verification_keys()?, config.issuer.clone());
    let table = required_env(vars::TABLE)?;
    let store = Arc::new(DynamoStore::new(dynamo::client(None).await, table));
    let service = Arc::new(ApiService::on(
        store,
        verifier,
        Arc::new(SystemClock),
        config.issuer,
    ));
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
