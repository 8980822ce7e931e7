//! The authorize function's unit tests' service and requests: the demo seed on the embedded
//! store, a clock that moves only when a test moves it.

use std::sync::Arc;

use gatehouse_core::clock::{ManualClock, UnixMillis};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::seed::{parse_seed, DEMO_SEED};
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::memory::MemoryStore;
use lambda_http::{Body, Request};

use crate::AuthorizeService;

pub const ISSUER: &str = "https://auth.example";
pub const REDIRECT: &str = "http://localhost:8080/callback";

/// The demo seed's webapp asking for a code: the query of its authorization request.
pub const AUTHORIZATION_REQUEST: &str = "response_type=code&client_id=demo-webapp\
    &redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&scope=market%3Acode%3Aeu&state=s1";

/// The authorize service on the demo seed, with the default limits.
pub fn service() -> AuthorizeService {
    let catalog = parse_seed(DEMO_SEED).expect("the demo seed is valid");
    let config = ServiceConfig {
        issuer: ISSUER.to_owned(),
        organization: catalog.organization.clone(),
        rate_limit: RateLimitPolicy::default(),
        api_rate_limit: ServiceConfig::default_api_rate_limit(),
        verified_token_cache: gatehouse_edge::config::DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES,
        sign_in: Default::default(),
        refresh_reuse_grace: ServiceConfig::default_refresh_reuse_grace(),
        cors: Default::default(),
        password_hashing: Default::default(),
    };
    // A fixed instant: nothing here depends on the date a test runs.
    let clock = Arc::new(ManualClock::at(UnixMillis(1_700_000_000_000)));
    let store = Arc::new(MemoryStore::from_catalog(&catalog));
    AuthorizeService::new(&Runtime::new(store, config, clock))
}

pub fn get(query: &str) -> Request {
    http::Request::builder()
        .method("GET")
        .uri(format!("/oauth/authorize?{query}"))
        .body(Body::Empty)
        .unwrap()
}

pub fn post(form: impl Into<String>) -> Request {
    http::Request::builder()
        .method("POST")
        .uri("/oauth/authorize")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::Text(form.into()))
        .unwrap()
}
