//! The admin Lambda: configuration and the DynamoDB client are built once per cold start.
//! Callers are IAM identities, checked by API Gateway (AWS_IAM authorization).

use std::sync::Arc;

use gatehouse_admin::{handle, AdminAccess, AdminApi, AdminService};
use gatehouse_core::clock::SystemClock;
use gatehouse_edge::config::{
    required_env, secret_rotation_overlap_from_lookup, vars, ConfigError,
};
use gatehouse_edge::init::run_function;
use gatehouse_store::dynamo::{self, DynamoStore};
use lambda_http::Error;

async fn init() -> Result<AdminApi, ConfigError> {
    let table = required_env(vars::TABLE)?;
    let rotation_overlap = secret_rotation_overlap_from_lookup(&|name| std::env::var(name).ok())?;
    let store = Arc::new(DynamoStore::new(dynamo::client(None).await, table));
    Ok(AdminApi {
        service: AdminService::new(store, Arc::new(SystemClock), rotation_overlap),
        access: AdminAccess::IamCaller,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_function("admin", init(), |request, api| async move {
        handle(request, &api).await
    })
    .await
}
