//! One conformance suite, run against every store: the embedded one and DynamoDB (moto's
//! server, a fresh table per test). One file per storage concern; each check takes the one
//! trait it exercises (import checks take the whole store, to read back what was written).

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::clock::UnixMillis;

use gatehouse_core::model::{ApplicationKind, Mode, OwnerType, RefreshTokenRecord};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::scope::ResourceRef::{self, Code, Id, Number};
use gatehouse_core::secret::SecretHash;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::{
    CatalogReads, Clients, Customers, Page, RateLimits, RefreshTokens, Rotation, Store, Users,
};
use gatehouse_tests::*;

/// The suite's "now": the real time of the test run (see `test_start`), never a date
/// written into the test.
fn t0() -> UnixMillis {
    test_start()
}

/// `offset` milliseconds after [`t0`].
fn at(offset: u64) -> UnixMillis {
    t0() + Duration::from_millis(offset)
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    let mut ids: Vec<String> = records.iter().map(|r| id(r).to_owned()).collect();
    ids.sort();
    ids
}

async fn market_ids(store: &dyn Clients, mode: Mode, refs: &[ResourceRef]) -> Vec<String> {
    ids(&store.find_markets(mode, refs).await.unwrap(), |m| &m.id)
}

async fn location_ids(store: &dyn Clients, mode: Mode, refs: &[ResourceRef]) -> Vec<String> {
    ids(
        &store.find_stock_locations(mode, refs).await.unwrap(),
        |l| &l.id,
    )
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

/// The conformance checks of one concern, on both stores.
macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        gatehouse_tests::on_both_stores!(crate::memory, crate::dynamodb; $($check),*);
    };
}

/// DynamoDB told to name at most one place of a rate-limit window in one condition: every
/// window then takes the path that real ones take only past 200 places (read the window, then
/// rewrite it with a condition that it did not change). Windows that large cannot be filled in
/// a test: moto takes about 0.6 s to apply one 200-place update.
async fn dynamodb_past_one_condition() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await.with_places_in_one_condition(1))
}

/// Checks of rate-limit windows, run again on [`dynamodb_past_one_condition`].
macro_rules! past_one_condition {
    ($($check:ident),* $(,)?) => {
        mod dynamodb_past_one_condition {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
                async fn $check() {
                    super::$check(crate::dynamodb_past_one_condition().await).await;
                }
            )*
        }
    };
}

mod admin_replays;
mod administration;
mod assertions;
mod authorization_codes;
mod catalog;
mod catalog_changes;
mod catalog_related;
mod clients;
mod customers;
mod import;
mod rate_limits;
mod refresh_tokens;
mod revocations;
mod sign_ins;
mod status_lists;
mod users;
