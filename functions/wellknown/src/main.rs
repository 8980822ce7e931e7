//! The well-known documents Lambda: the documents are built once per cold start.

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_shared::config::{ConfigError, ServiceConfig};
use gatehouse_shared::init::exit_at_init;
use gatehouse_shared::signing_keys::load_published_keys;
use gatehouse_wellknown::{handle, WellKnown};
use lambda_http::{service_fn, Error, Request};

fn init() -> Result<WellKnown, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServiceConfig::from_lookup(&env)?;
    // Public keys only: this function publishes keys and never signs.
    let keys = load_published_keys(&env)?;
    Ok(WellKnown::new(&config, keys.jwks()))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let observer = gatehouse_shared::observe::init::lambda()
        .unwrap_or_else(|error| exit_at_init("wellknown", &error));
    let documents = Arc::new(init().unwrap_or_else(|error| exit_at_init("wellknown", &error)));
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
