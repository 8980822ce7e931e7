//! The well-known documents Lambda.

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_shared::config::{required_env, vars, ServiceConfig};
use gatehouse_shared::jwt::PublishedKeys;
use gatehouse_wellknown::{handle, WellKnown};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = ServiceConfig::from_env()?;
    // Public keys only: this function publishes keys and never signs.
    let keys = PublishedKeys::from_public_pem(&required_env(vars::PUBLISHED_KEYS)?)?;
    let documents = Arc::new(WellKnown::new(&config, keys.jwks()));
    lambda_http::run(service_fn(move |request: Request| {
        let documents = Arc::clone(&documents);
        async move { Ok::<_, Infallible>(handle(request, &documents).await) }
    }))
    .await
}
