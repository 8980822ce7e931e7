//! The local server (`gatehouse serve`) over real HTTP, on the embedded store and on DynamoDB.

use std::sync::Arc;

use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
const STOREFRONT_FORM: &str =
    "grant_type=client_credentials&client_id=demo-storefront&scope=market%3A1001";

async fn burst_of_40_in_waves_of_20(store: Arc<dyn Store>) {
    let address = spawn_server(store, RateLimitPolicy::default()).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let wave = race(20, |_| {
            http_request(address, "POST", "/oauth/token", &[FORM], STOREFRONT_FORM)
        });
        for response in wave.await {
            if response.status == 429 {
                let retry: u64 = response.headers["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&retry), "Retry-After {retry}");
                assert_eq!(response.body["error"], "too_many_requests");
            } else {
                assert_eq!(response.status, 200, "{}", response.body);
            }
            assert!(response.headers.contains_key("ratelimit-reset"));
            statuses.push(response.status);
        }
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        30,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        10,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_40_over_http_gets_exactly_30_tokens_on_the_embedded_store() {
    burst_of_40_in_waves_of_20(Arc::new(MemoryStore::from_catalog(&demo_catalog()))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_burst_of_40_over_http_gets_exactly_30_tokens_on_dynamodb() {
    burst_of_40_in_waves_of_20(Arc::new(demo_dynamo_store().await)).await;
}

#[tokio::test]
async fn a_token_fetched_over_http_verifies_against_the_jwks_fetched_over_http() {
    let address = spawn_server(
        Arc::new(MemoryStore::from_catalog(&demo_catalog())),
        RateLimitPolicy::default(),
    )
    .await;
    let token = http_request(address, "POST", "/oauth/token", &[FORM], STOREFRONT_FORM).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let jwks = http_request(address, "GET", "/.well-known/jwks.json", &[], "").await;
    assert_eq!(jwks.status, 200);
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body).unwrap();
    let access_token = token.body["access_token"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(access_token)
        .unwrap()
        .kid
        .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    let key = jsonwebtoken::DecodingKey::from_jwk(set.find(&kid).unwrap()).unwrap();
    let claims = jsonwebtoken::decode::<serde_json::Value>(access_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["market"]["number"], 1001);
}

#[tokio::test]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn the_token_endpoint_answers_over_dynamodb_like_over_the_embedded_store() {
    let address = spawn_server(
        Arc::new(demo_dynamo_store().await),
        RateLimitPolicy::default(),
    )
    .await;
    let cases = [
        ("grant_type=client_credentials&client_id=demo-storefront&scope=market%3Acode%3Aeu+stock_location%3Acode%3Aber", 200, "market:code:eu stock_location:code:ber"),
        ("grant_type=client_credentials&client_id=demo-integration&client_secret=demo-integration-secret-change-me-0123456789", 200, "market:all"),
        ("grant_type=client_credentials&client_id=demo-storefront&scope=market%3A1003", 400, "invalid_scope"),
        ("grant_type=client_credentials&client_id=demo-storefront&scope=market%3A2001", 400, "invalid_scope"),
        ("grant_type=client_credentials&client_id=demo-integration&client_secret=nope", 401, "invalid_client"),
    ];
    for (body, status, expected) in cases {
        let response = http_request(address, "POST", "/oauth/token", &[FORM], body).await;
        assert_eq!(response.status, status, "{body}: {}", response.body);
        let got = if status == 200 {
            &response.body["scope"]
        } else {
            &response.body["error"]
        };
        assert_eq!(got, expected, "{body}");
    }
}

#[tokio::test]
async fn unknown_paths_wrong_methods_and_oversized_bodies_get_documented_errors() {
    let address = spawn_server(
        Arc::new(MemoryStore::from_catalog(&demo_catalog())),
        RateLimitPolicy::default(),
    )
    .await;
    let not_found = http_request(address, "GET", "/oauth/device", &[], "").await;
    assert_eq!(
        assert_error_format(404, &not_found.headers, &not_found.body),
        "not_found"
    );
    let wrong_method = http_request(address, "GET", "/oauth/token", &[], "").await;
    assert_eq!(
        assert_error_format(405, &wrong_method.headers, &wrong_method.body),
        "method_not_allowed"
    );
    let huge = "a".repeat(200 * 1024);
    let oversized = http_request(address, "POST", "/oauth/token", &[FORM], &huge).await;
    assert_eq!(
        assert_error_format(400, &oversized.headers, &oversized.body),
        "invalid_request"
    );
    let post_jwks = http_request(address, "POST", "/.well-known/jwks.json", &[], "").await;
    assert_eq!(post_jwks.status, 405);
}
