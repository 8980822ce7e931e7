//! How many DynamoDB requests a token costs, counted at the HTTP layer of the SDK: the warm
//! client_credentials path (an address seen before) is two requests, one BatchGetItem and one
//! UpdateItem, sent together; every other grant takes at most two round trips (the requests
//! sent together count as one; see `observe::storage_timing`).
//!
//! `scripts/bench` runs these with `--nocapture` and reads the `grant=` lines they print.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::clock::Clock;
use gatehouse_core::grant_hint::GrantHint;
use gatehouse_core::model::{AuthorizationCodeRecord, Mode, OwnerType};
use gatehouse_core::pkce::s256_challenge;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::secret::{random_token, SecretHash};
use gatehouse_edge::bearer::REVOCATION_STALENESS;
use gatehouse_store::dynamo::DynamoStore;
use gatehouse_store::timing::{measure, StorageUse};
use gatehouse_store::{AuthorizationCodes, Import, Store};
use gatehouse_tests::request_log::RequestLog;
use gatehouse_tests::*;
use gatehouse_token::handle;
use gatehouse_token::TokenService;
use lambda_http::Request;
use serde_json::Value;

/// A fresh table with the demo catalog, and a store on it whose requests `RequestLog` records.
async fn logged_demo_store() -> (DynamoStore, RequestLog) {
    let endpoint = dynamodb_endpoint();
    let seeded = fresh_dynamo_store(&endpoint).await;
    seeded.import(&demo_catalog()).await.unwrap();
    let log = RequestLog::default();
    let store = log.store(&endpoint, seeded.table()).await;
    (store, log)
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_warm_client_credentials_token_costs_one_batch_get_and_one_update() {
    let (store, log) = logged_demo_store().await;
    // A clock that stays in one hour: a new hour's first token reserves a block of its list.
    let service = token_service(Arc::new(store), manual_clock(), RateLimitPolicy::default());
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

    // The first request from an address also creates its rate-limit window; the process's
    // first token reserves its block of status list indexes (one UpdateItem per 1,024 tokens).
    assert_eq!(handle(request(), &service).await.status(), 200);
    assert_eq!(
        log.take(),
        ["BatchGetItem", "PutItem", "UpdateItem", "UpdateItem"]
    );

    for _ in 0..3 {
        assert_eq!(handle(request(), &service).await.status(), 200);
        assert_eq!(log.take(), ["BatchGetItem", "UpdateItem"]);
    }
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_client_refused_once_is_refused_again_without_a_dynamodb_request_until_its_window_frees()
{
    let (store, log) = logged_demo_store().await;
    let clock = manual_clock();
    let service = token_service(
        Arc::new(store),
        clock.clone(),
        RateLimitPolicy::new(2, 60).unwrap(),
    );
    let request = || {
        TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:1001"),
        ])
        .source_ip("198.51.100.20")
        .request()
    };
    for _ in 0..2 {
        assert_eq!(handle(request(), &service).await.status(), 200);
    }
    log.take();
    // The first refusal is storage's: the window update and the reads sent beside it.
    let first = handle(request(), &service).await;
    assert_eq!(first.status(), 429);
    assert_eq!(log.take(), ["BatchGetItem", "UpdateItem"]);
    // Then, until the window frees a place, this process answers alone, headers and all.
    clock.advance(Duration::from_millis(59_999));
    let again = handle(request(), &service).await;
    assert_eq!(again.status(), 429);
    assert_eq!(again.headers()["retry-after"], "1");
    assert_eq!(again.headers()["ratelimit-remaining"], "0");
    assert_eq!(
        assert_error_format(429, again.headers(), &body_json(&again)),
        "too_many_requests"
    );
    assert_eq!(log.take(), Vec::<String>::new());
    // From the instant the place frees, storage decides again, and admits.
    clock.advance(Duration::from_millis(1));
    assert_eq!(handle(request(), &service).await.status(), 200);
    assert_eq!(log.take(), ["BatchGetItem", "UpdateItem"]);
}

/// A resource API request with a market token reads the market and a page of the catalog, and
/// counts the token in its rate-limit window (the API's limit is per token): the window's
/// update is sent beside the reads, so it adds a request and no round trip. So is the read of
/// the token's revocations, once per staleness interval of a Lambda process.
/// (Before the API had a limit: the same reads, and no write; before revocation, no
/// revocation read.)
#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_warm_api_request_counts_its_token_beside_the_catalog_reads() {
    let (store, log) = logged_demo_store().await;
    let store: Arc<dyn Store> = Arc::new(store);
    let clock = manual_clock();
    let token = token_service(store.clone(), clock.clone(), RateLimitPolicy::default());
    let api = api_service_seeing_revocations_after(store, clock.clone(), REVOCATION_STALENESS);
    let (body, _) = issue(
        &token,
        TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:1001"),
        ])
        .request(),
    )
    .await;
    let bearer = body["access_token"].as_str().unwrap();
    log.take();
    let page = || api_request(bearer, "/api/skus?page[size]=25");
    // The token's first request also creates its window.
    let first = gatehouse_api::handle(page(), &api).await;
    assert_eq!(first.status(), 200);
    let reads = ["BatchGetItem", "GetItem", "Query"];
    // The revocation read is the second BatchGetItem.
    let revocations = ["BatchGetItem"];
    assert_eq!(
        log.take(),
        sorted([&reads[..], &revocations, &["PutItem", "UpdateItem"]])
    );
    for _ in 0..2 {
        let (response, warm) = measure(gatehouse_api::handle(page(), &api)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(log.take(), sorted([&reads[..], &[], &["UpdateItem"]]));
        // The market, then the page; the count goes with the first.
        assert!(warm.rounds <= 2, "{warm:?}");
    }
    // Once the answer is as old as the bound, the token's revocations are read again, beside
    // the rest: no round trip added.
    clock.advance(REVOCATION_STALENESS);
    let (response, stale) = measure(gatehouse_api::handle(page(), &api)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        log.take(),
        sorted([&reads[..], &revocations, &["UpdateItem"]])
    );
    assert!(stale.rounds <= 2, "{stale:?}");
}

fn sorted<const N: usize>(parts: [&[&str]; N]) -> Vec<String> {
    let mut all: Vec<String> = parts.concat().into_iter().map(str::to_owned).collect();
    all.sort();
    all
}

/// Runs one token request, measuring its storage use; fails unless it issued a token.
async fn issue(service: &TokenService, request: Request) -> (Value, StorageUse) {
    let (response, used) = measure(handle(request, service)).await;
    let body = body_json(&response);
    assert_eq!(response.status(), 200, "{body}");
    (body, used)
}

fn report(grant: &str, used: StorageUse) {
    // The line scripts/bench reads.
    println!(
        "grant={grant} requests={} rounds={}",
        used.requests, used.rounds
    );
}

/// A code as `/oauth/authorize` issues it (with its hint), for the demo admin and webapp.
async fn authorization_code(
    store: &DynamoStore,
    now: gatehouse_core::clock::UnixMillis,
    verifier: &str,
) -> String {
    let family_id = random_token(16);
    let code = GrantHint {
        mode: Mode::Test,
        family_id: family_id.clone(),
        owner_id: "usr_admin".into(),
        owner_type: OwnerType::User,
        market_id: Some("mkt_eu".into()),
        stock_location_ids: vec![],
    }
    .attach_to(random_token(32));
    let record = AuthorizationCodeRecord {
        code_hash: SecretHash::of(&code),
        application_id: "app_backoffice".into(),
        client_id: WEBAPP.into(),
        mode: Mode::Test,
        user_id: "usr_admin".into(),
        redirect_uri: "http://localhost:8080/callback".into(),
        market_id: Some("mkt_eu".into()),
        stock_location_ids: vec![],
        scope: None,
        code_challenge: Some(s256_challenge(verifier).unwrap()),
        family_id,
        issued_at: now,
        expires_at: now + Duration::from_secs(600),
        consumed_at: None,
    };
    store.create_authorization_code(&record).await.unwrap();
    code
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn every_grant_on_a_warm_function_takes_at_most_two_round_trips() {
    let store = Arc::new(demo_dynamo_store().await);
    // One hour throughout: the warm-up's token reserved the process's block of status list
    // indexes, and no new hour's first token reserves another while the grants are measured.
    let clock = manual_clock();
    let service = token_service(store.clone(), clock.clone(), RateLimitPolicy::default());
    let client_credentials = || {
        TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:code:eu"),
        ])
        .request()
    };
    // Warm: the function has served this address before.
    issue(&service, client_credentials()).await;

    let (_, used) = issue(&service, client_credentials()).await;
    report("client_credentials", used);
    assert_eq!((used.requests, used.rounds), (2, 1), "{used:?}");

    let password = TokenEvent::form(&[
        ("grant_type", "password"),
        ("client_id", STOREFRONT),
        ("username", "alice@example.com"),
        ("password", "alice-demo-password"),
        ("scope", "market:code:vip"),
    ]);
    let (login, used) = issue(&service, password.request()).await;
    report("password", used);
    assert!(used.rounds <= 2, "{used:?}");

    let refresh = TokenEvent::form(&[
        ("grant_type", "refresh_token"),
        ("client_id", STOREFRONT),
        ("refresh_token", login["refresh_token"].as_str().unwrap()),
    ]);
    let (_, used) = issue(&service, refresh.request()).await;
    report("refresh_token", used);
    assert!(used.rounds <= 2, "{used:?}");

    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let code = authorization_code(&store, clock.now(), verifier).await;
    let exchange = TokenEvent::form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "http://localhost:8080/callback"),
        ("code_verifier", verifier),
    ])
    .basic(WEBAPP, WEBAPP_SECRET);
    let (_, used) = issue(&service, exchange.request()).await;
    report("authorization_code", used);
    assert!(used.rounds <= 2, "{used:?}");
}
