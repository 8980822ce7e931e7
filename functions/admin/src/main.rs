//! The admin Lambda: configuration and the DynamoDB client are built once per cold start.
//! Callers are IAM identities, checked by API Gateway (AWS_IAM authorization).

use std::convert::Infallible;
use std::sync::Arc;

use gatehouse_admin::{handle, AdminAccess, AdminApi, AdminService};
use gatehouse_shared::clock::SystemClock;
use gatehouse_shared::config::{required_env, secret_rotation_overlap_from_lookup, vars};
use gatehouse_shared::store::dynamo::{self, DynamoStore};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let table = required_env(vars::TABLE)?;
    let rotation_overlap = secret_rotation_overlap_from_lookup(&|name| std::env::var(name).ok())?;
    let store = Arc::new(DynamoStore::new(dynamo::client(None).await, table));
    let api = Arc::new(AdminApi {
        service: AdminService {
            store,
            clock: Arc::new(SystemClock),
            rotation_overlap,
        },
        access: AdminAccess::IamCaller,
    });
    lambda_http::run(service_fn(move |request: Request| {
        let api = Arc::clone(&api);
        async move { Ok::<_, Infallible>(handle(request, &api).await) }
    }))
    .await
}
