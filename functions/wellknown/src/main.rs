//! The well-known documents Lambda.

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_shared::config::{required_env, vars, ServiceConfig};
use gatehouse_shared::jwt::PublishedKeys;
use gatehouse_wellknown::{handle, WellKnown};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let observer = gatehouse_shared::observe::init::lambda()?;
    let config = ServiceConfig::from_env()?;
    // Public keys only: this function publishes keys and never signs.
    let keys = PublishedKeys::from_public_pem(&required_env(vars::PUBLISHED_KEYS)?)?;
    let documents = Arc::new(WellKnown::new(&config, keys.jwks()));
    lambda_http::run(service_fn(move |request: Request| {
        let documents = Arc::clone(&documents);
        let observer = observer.clone();
        async move {
            let response = observer.observe(request, |r| handle(r, &documents)).await;
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
