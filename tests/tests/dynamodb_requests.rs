//! How many DynamoDB requests a token costs, counted at the HTTP layer of the SDK: the warm
//! path (an address seen before) is two requests, one BatchGetItem and one UpdateItem.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use gatehouse_shared::clock::SystemClock;
use gatehouse_shared::ratelimit::RateLimitPolicy;
use gatehouse_shared::store::dynamo::{self, DynamoStore};
use gatehouse_shared::store::Import;
use gatehouse_tests::*;
use gatehouse_token::handle;

/// Records the operation (`X-Amz-Target`) of every HTTP request the SDK sends, retries included.
#[derive(Debug, Clone, Default)]
struct RequestLog(Arc<Mutex<Vec<String>>>);

impl RequestLog {
    fn take(&self) -> Vec<String> {
        let mut operations = std::mem::take(&mut *self.0.lock().unwrap());
        operations.sort();
        operations
    }
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?");
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        self.0.lock().unwrap().push(operation);
        Ok(())
    }
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_warm_client_credentials_token_costs_one_batch_get_and_one_update() {
    let endpoint = dynamodb_endpoint();
    let seeded = fresh_dynamo_store(&endpoint).await;
    seeded.import(&demo_catalog()).await.unwrap();
    let log = RequestLog::default();
    let client = dynamo::client(Some(&endpoint)).await;
    let config = client
        .config()
        .to_builder()
        .interceptor(log.clone())
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), seeded.table());
    let service = token_service(
        Arc::new(store),
        Arc::new(SystemClock),
        RateLimitPolicy::default(),
    );
    let request = || {
        TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            (
                "scope",
                "market:code:eu stock_location:101 stock_location:code:ber",
            ),
        ])
        .request()
    };

    // The first request from an address also creates its rate-limit window.
    assert_eq!(handle(request(), &service).await.status(), 200);
    assert_eq!(log.take(), ["BatchGetItem", "PutItem", "UpdateItem"]);

    for _ in 0..3 {
        assert_eq!(handle(request(), &service).await.status(), 200);
        assert_eq!(log.take(), ["BatchGetItem", "UpdateItem"]);
    }
}
