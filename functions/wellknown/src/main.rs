//! The well-known documents Lambda: the documents are built once per cold start.

use gatehouse_edge::config::{ConfigError, ServiceConfig};
use gatehouse_edge::init::run_function;
use gatehouse_edge::signing_keys::load_published_keys;
use gatehouse_wellknown::{handle, WellKnown};
use lambda_http::Error;

fn init() -> Result<WellKnown, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let config = ServiceConfig::from_lookup(&env)?;
    // Public keys only: this function publishes keys and never signs.
    let keys = load_published_keys(&env)?;
    Ok(WellKnown::new(&config, keys.jwks()))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function(
        "wellknown",
        async { init() },
        |request, documents| async move { handle(request, &documents).await },
    )
    .await
}
