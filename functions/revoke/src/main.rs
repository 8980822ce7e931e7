//! The revocation Lambda: the DynamoDB client is built once per cold start.

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_revoke::{handle, RevokeService};
use gatehouse_shared::clock::SystemClock;
use gatehouse_shared::config::{required_env, vars};
use gatehouse_shared::store::dynamo::{self, DynamoStore};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let table = required_env(vars::TABLE)?;
    let store = Arc::new(DynamoStore::new(dynamo::client(None).await, table));
    let service = Arc::new(RevokeService {
        clients: store.clone(),
        refresh_tokens: store,
        clock: Arc::new(SystemClock),
    });
    lambda_http::run(service_fn(move |request: Request| {
        let service = Arc::clone(&service);
        async move { Ok::<_, Infallible>(handle(request, &service).await) }
    }))
    .await
}
