//! What a resource API request costs, through Lambda events on both stores: a token verified
//! once is not verified again (its signature check is half a request's CPU), and each token
//! has its own rate limit, reported by the `RateLimit-*` headers of every answer and enforced
//! with a JSON:API 429 past it.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_api::ApiService;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::bearer::{BearerVerifier, REVOCATION_STALENESS};
use gatehouse_edge::observe::facts::Limit;
use gatehouse_edge::observe::RequestFacts;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use lambda_http::{Body, Response};

struct Api {
    token: TokenService,
    api: ApiService,
    clock: Arc<ManualClock>,
}

impl Api {
    /// The token and API functions on `store`, the API with `per_token` as its limit.
    fn on(store: Arc<dyn Store>, per_token: RateLimitPolicy) -> Self {
        let clock = manual_clock();
        let mut process = runtime(store.clone(), clock.clone(), RateLimitPolicy::default());
        process.config.api_rate_limit = per_token;
        let verifier = BearerVerifier::new(test_keys().verification_keys().unwrap(), ISSUER);
        Self {
            token: token_service(store, clock.clone(), RateLimitPolicy::default()),
            api: ApiService::new(&process, verifier, REVOCATION_STALENESS),
            clock,
        }
    }

    async fn storefront(&self) -> String {
        let event = TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:1001"),
        ]);
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        body_json(&response)["access_token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    async fn get(&self, token: &str, path_and_query: &str) -> Response<Body> {
        gatehouse_api::handle(api_request(token, path_and_query), &self.api).await
    }
}

fn rate_limit(response: &Response<Body>) -> [String; 3] {
    ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map(|name| {
        response.headers()[name]
            .to_str()
            .expect("a RateLimit header")
            .to_owned()
    })
}

async fn a_token_seen_before_is_not_verified_again(store: Arc<dyn Store>) {
    let api = Api::on(store, RateLimitPolicy::new(100, 10).unwrap());
    let (first, second) = (api.storefront().await, api.storefront().await);
    assert_ne!(first, second);
    for _ in 0..3 {
        let response = api.get(&first, "/api/skus?page[size]=25").await;
        assert_eq!(response.status(), 200, "{}", body_json(&response));
    }
    assert_eq!(
        api.api.tokens.full_checks(),
        1,
        "one signature check for three requests"
    );
    assert_eq!(api.get(&second, "/api/skus").await.status(), 200);
    assert_eq!(
        api.api.tokens.full_checks(),
        2,
        "another token is checked in full"
    );
    // Past its expiry (the demo storefront's 4 h, and the leeway) the kept token is refused
    // as a fresh one would be.
    api.clock.advance(Duration::from_secs(14_400 + 60));
    let expired = api.get(&first, "/api/skus").await;
    assert_eq!(expired.status(), 401);
    assert_eq!(body_json(&expired)["errors"][0]["code"], "INVALID_TOKEN");
}

async fn each_token_has_a_limit_reported_on_every_answer(store: Arc<dyn Store>) {
    let api = Api::on(store, RateLimitPolicy::new(2, 60).unwrap());
    let (token, other) = (api.storefront().await, api.storefront().await);
    let first = api.get(&token, "/api/skus").await;
    assert_eq!(first.status(), 200);
    assert_eq!(rate_limit(&first), ["2", "1", "60"]);
    // A refusal of the catalog's is counted too, and says so.
    let missing = api.get(&token, "/api/orders").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(rate_limit(&missing), ["2", "0", "60"]);
    api.clock.advance(Duration::from_secs(15));
    for _ in 0..2 {
        let refused = api.get(&token, "/api/skus").await;
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["retry-after"], "45");
        assert_eq!(rate_limit(&refused), ["2", "0", "45"]);
        assert_eq!(
            refused.headers()["content-type"],
            "application/vnd.api+json"
        );
        let body = body_json(&refused);
        assert!(body.get("data").is_none(), "no data past the limit: {body}");
        let error = &body["errors"][0];
        assert_eq!(error["status"], "429");
        assert_eq!(error["code"], "TOO_MANY_REQUESTS");
        assert_eq!(
            error["detail"],
            "too many API requests with this token: at most 2 in any 60 seconds"
        );
        let facts = refused.extensions().get::<RequestFacts>().unwrap();
        assert_eq!(facts.rate_limited, Some(Limit::ApiRequests));
        assert_eq!(facts.error.as_deref(), Some("too_many_requests"));
    }
    // Another token of the same client, from the same address, has its own count.
    let apart = api.get(&other, "/api/skus").await;
    assert_eq!(apart.status(), 200);
    assert_eq!(rate_limit(&apart), ["2", "1", "60"]);
    // The window frees both places 60 s after the first two requests.
    api.clock.advance(Duration::from_secs(45));
    let again = api.get(&token, "/api/skus").await;
    assert_eq!(again.status(), 200);
    assert_eq!(rate_limit(&again), ["2", "1", "60"]);
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

on_both_stores!(crate::memory, crate::dynamodb;
    a_token_seen_before_is_not_verified_again,
    each_token_has_a_limit_reported_on_every_answer,
);
