//! The catalog on DynamoDB (moto), with what a shop's catalog asks of it. Pages followed by
//! their `next` cursor read the page alone, however deep. Re-importing an
//! unchanged catalog writes nothing and one changed price writes its two entries; markets past
//! 41 with six stock locations and 36-character ids import (an item that listed every listing
//! once passed DynamoDB's 400 KB there); and an import stopped half-way, its process gone, is
//! finished by the next run, every list exact after. The stop is injected at the HTTP layer:
//! from the chosen write on, no request reaches the table.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use gatehouse_core::model::{CatalogView, Mode};
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_store::{CatalogReads, Import, PageRequest, Store};
use gatehouse_tests::catalogs::{changed, generated, lists_are_those_of};
use gatehouse_tests::catalogs::{lists_in_views_are_those_of, wide};
use gatehouse_tests::*;
use serde_json::Value;

/// Counts the items a client's requests put, update or delete, and, once `stop_after`
/// `BatchWriteItem`s have been sent, lets no request through: the process is gone. Records each
/// `Query`'s `Limit` and whether it read keys only.
#[derive(Clone, Debug)]
struct Writes {
    items: Arc<AtomicU64>,
    stop_after: Arc<AtomicI64>,
    queries: Arc<Mutex<Vec<(u64, bool)>>>,
}

impl Writes {
    fn new(stop_after: i64) -> Self {
        Self {
            items: Arc::default(),
            stop_after: Arc::new(AtomicI64::new(stop_after)),
            queries: Arc::default(),
        }
    }

    fn taken(&self) -> u64 {
        self.items.swap(0, Ordering::SeqCst)
    }

    /// A store on `table` whose requests go through this.
    async fn store(&self, table: &str) -> DynamoStore {
        let client = dynamo::client(Some(&dynamodb_endpoint())).await;
        let config = client.config().to_builder().interceptor(self.clone());
        DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config.build()), table)
    }
}

impl Intercept for Writes {
    fn name(&self) -> &'static str {
        "Writes"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.stop_after.load(Ordering::SeqCst) < 0 {
            return Err("the importing process is gone".into());
        }
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or("");
        if target.ends_with(".Query") {
            let body: Value = serde_json::from_slice(request.body().bytes().unwrap_or_default())?;
            let limit = body["Limit"].as_u64().unwrap_or(u64::MAX);
            let keys_only = body["ProjectionExpression"] == "SK";
            self.queries.lock().unwrap().push((limit, keys_only));
        }
        let operation = target.rsplit('.').next().unwrap_or("");
        let body = || serde_json::from_slice::<Value>(request.body().bytes().unwrap_or_default());
        let written = match operation {
            "BatchWriteItem" => {
                if self.stop_after.fetch_sub(1, Ordering::SeqCst) <= 0 {
                    return Err("the importing process is gone".into());
                }
                (body()?["RequestItems"].as_object().into_iter())
                    .flat_map(|tables| tables.values())
                    .map(|requests| requests.as_array().map_or(0, Vec::len) as u64)
                    .sum::<u64>()
            }
            "TransactWriteItems" => body()?["TransactItems"].as_array().map_or(0, Vec::len) as u64,
            "PutItem" | "UpdateItem" | "DeleteItem" => 1,
            _ => 0,
        };
        self.items.fetch_add(written, Ordering::SeqCst);
        Ok(())
    }
}

async fn fresh_table() -> String {
    fresh_dynamo_store(&dynamodb_endpoint())
        .await
        .table()
        .to_owned()
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn an_unchanged_catalog_writes_nothing_and_a_changed_price_its_two_entries() {
    let writes = Writes::new(i64::MAX);
    let store = writes.store(&fresh_table().await).await;
    let catalog = generated(3, 10);
    store.import(&catalog).await.unwrap();
    assert!(writes.taken() > catalog.skus.len() as u64);
    store.import(&catalog).await.unwrap();
    assert_eq!(writes.taken(), 0, "the same catalog again");
    let mut one_price = catalog.clone();
    one_price.prices[0].amount_cents += 1;
    store.import(&one_price).await.unwrap();
    // The price in every price, and in its price list's.
    assert_eq!(writes.taken(), 2, "one changed price");
    lists_are_those_of(&store, &one_price).await;
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn markets_past_41_with_six_locations_and_36_character_ids_import() {
    let store = fresh_dynamo_store(&dynamodb_endpoint()).await;
    let catalog = wide(42, 6, 20);
    store.import(&catalog).await.unwrap();
    // One of the markets, whole and narrowed, and the environment: exact.
    let mut views = vec![CatalogView::All { mode: Mode::Test }];
    for market in catalog.markets.iter().filter(|m| m.number >= 5000).take(1) {
        views.push(CatalogView::of_market(market, &[]));
        let locations = &market.stock_location_ids;
        views.push(CatalogView::of_market(market, &locations[1..4]));
    }
    lists_in_views_are_those_of(&store, &catalog, views).await;
    let markets = store.list_markets(
        Mode::Test,
        PageRequest {
            number: 2,
            size: 25,
            after: None,
        },
    );
    let markets = markets.await.unwrap();
    let test_markets = catalog
        .markets
        .iter()
        .filter(|m| m.mode == Mode::Test)
        .count();
    assert_eq!(markets.record_count, test_markets as u64);
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn an_import_stopped_half_way_is_finished_by_the_next_run() {
    let first = generated(5, 12);
    let second = changed(&first);
    // How many batches the change takes, on a table of its own.
    let counting = Writes::new(i64::MAX);
    let table = fresh_table().await;
    let store = counting.store(&table).await;
    store.import(&first).await.unwrap();
    let batches_before = counting.stop_after.load(Ordering::SeqCst);
    store.import(&second).await.unwrap();
    let batches = batches_before - counting.stop_after.load(Ordering::SeqCst);
    assert!(batches >= 4, "the change takes {batches} batches");

    let table = fresh_table().await;
    Writes::new(i64::MAX)
        .store(&table)
        .await
        .import(&first)
        .await
        .unwrap();
    let stopping = Writes::new(batches / 2);
    let stopped = stopping.store(&table).await.import(&second).await;
    assert!(stopped.is_err(), "the import was stopped half-way");
    assert!(
        stopping.taken() > 0,
        "some writes went through before it stopped"
    );
    let store: Arc<dyn Store> = Arc::new(Writes::new(i64::MAX).store(&table).await);
    store.import(&second).await.unwrap();
    lists_are_those_of(store.as_ref(), &second).await;
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_page_followed_by_its_cursor_reads_that_page_alone() {
    let log = Writes::new(i64::MAX);
    let store = log.store(&fresh_table().await).await;
    let catalog = generated(9, 20);
    store.import(&catalog).await.unwrap();
    let market = |id: &str| catalog.markets.iter().find(|m| m.id == id).unwrap().clone();
    let eu = market("mkt_eu");
    let views = [
        CatalogView::All { mode: Mode::Test },
        CatalogView::of_market(&eu, &[]),
        // A merge of two locations' listings.
        CatalogView::of_market(&eu, &eu.stock_location_ids),
    ];
    let size = 2;
    for view in &views {
        for list in ["skus", "prices", "stock_items"] {
            let mut after = None;
            for number in 1..=5u64 {
                let page = PageRequest {
                    number,
                    size,
                    after: after.take(),
                };
                log.queries.lock().unwrap().clear();
                let read = match list {
                    "skus" => store.list_skus(view, page).await.unwrap().next,
                    "prices" => store.list_prices(view, page).await.unwrap().next,
                    _ => store.list_stock_items(view, page).await.unwrap().next,
                };
                let queries = std::mem::take(&mut *log.queries.lock().unwrap());
                if number > 1 {
                    // From the cursor: no query steps over earlier entries or reads more
                    // than a page (a merge's size was counted with page 1).
                    assert!(
                        queries
                            .iter()
                            .all(|(limit, keys_only)| *limit <= size && !keys_only),
                        "{list} of {view:?}, page {number}: {queries:?}"
                    );
                }
                match read {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
    }
    // Page 5 by its number alone steps over the 8 entries before it, reading their keys.
    log.queries.lock().unwrap().clear();
    let page = PageRequest {
        number: 5,
        size,
        after: None,
    };
    store.list_skus(&views[0], page).await.unwrap();
    let queries = std::mem::take(&mut *log.queries.lock().unwrap());
    assert_eq!(queries, [(8, true), (size, false)]);
}
