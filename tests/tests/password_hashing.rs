//! Password hashing through the token function's password grant and the sign-in page (API
//! Gateway v2 events): the one bound on argon2 runs (a request that gets no turn before the
//! deadline is answered 503 with Retry-After), and the cost of a sign-in, counted in argon2
//! runs rather than timed: exactly one for a known or an unknown account, first attempt or
//! later, on both stores (the embedded one hashes seed passwords on first use).

use std::sync::Arc;
use std::time::Duration;

use gatehouse_authorize::AuthorizeService;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::seed::{parse_seed, DEMO_SEED};
use gatehouse_edge::hashing::{HashingLimits, PasswordHashing};
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

const REDIRECT: &str = "http://localhost:8080/callback";
const ADMIN: (&str, &str) = ("admin@example.com", "admin-demo-password");

/// One run at a time, and a deadline no run outlasts: a second request at once gets no turn.
fn tiny_bound() -> PasswordHashing {
    PasswordHashing::new(HashingLimits {
        concurrency: 1,
        deadline: Duration::from_millis(1),
    })
}

/// The demo seed freshly parsed, so that its passwords are not hashed yet.
async fn fresh_embedded_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&parse_seed(DEMO_SEED).unwrap()))
}

async fn demo_dynamodb_store() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

fn token(store: Arc<dyn Store>, hashing: PasswordHashing) -> TokenService {
    let mut runtime = runtime(store, manual_clock(), RateLimitPolicy::default());
    runtime.hashing = hashing;
    TokenService::new(&runtime, test_keys())
}

async fn password_grant(service: &TokenService, (email, password): (&str, &str)) -> Response<Body> {
    let event = TokenEvent::form(&[
        ("grant_type", "password"),
        ("client_id", STOREFRONT),
        ("username", email),
        ("password", password),
        ("scope", "market:1001"),
    ]);
    gatehouse_token::handle(event.request(), service).await
}

// ------------------------------------------------------------------ the sign-in page -------

fn authorize(store: Arc<dyn Store>, hashing: PasswordHashing) -> AuthorizeService {
    let mut runtime = runtime(store, manual_clock(), RateLimitPolicy::default());
    runtime.hashing = hashing;
    AuthorizeService::new(&runtime)
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn authorize_event(method: &str, query: &str, body: Option<&str>, cookie: Option<&str>) -> Value {
    let mut event = TokenEvent::new().method(method).event().clone();
    event["rawPath"] = json!("/oauth/authorize");
    event["requestContext"]["http"]["path"] = json!("/oauth/authorize");
    event["routeKey"] = json!(format!("{method} /oauth/authorize"));
    event["rawQueryString"] = json!(query);
    event["body"] = body.map_or(Value::Null, |body| json!(body));
    if body.is_some() {
        event["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
    } else {
        event["headers"]
            .as_object_mut()
            .unwrap()
            .remove("content-type");
    }
    if let Some(cookie) = cookie {
        event["cookies"] = json!([cookie]);
    }
    event
}

async fn call(service: &AuthorizeService, event: Value) -> Response<Body> {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    gatehouse_authorize::handle(request, service).await
}

fn text(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

/// Opens the demo webapp's sign-in page and submits it with these credentials.
async fn sign_in(service: &AuthorizeService, (email, password): (&str, &str)) -> Response<Body> {
    let params = [
        ("response_type", "code"),
        ("client_id", WEBAPP),
        ("redirect_uri", REDIRECT),
        ("scope", "market:code:eu"),
    ];
    let page = call(service, authorize_event("GET", &query(&params), None, None)).await;
    assert_eq!(page.status(), 200, "{}", text(&page));
    let markup = text(&page);
    let start = markup.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    let csrf = &markup[start..start + 43];
    let cookie = page.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap();
    let mut form = params.to_vec();
    form.extend([
        ("csrf", csrf),
        ("email", email),
        ("password", password),
        ("action", "allow"),
    ]);
    let event = authorize_event("POST", "", Some(&query(&form)), Some(cookie));
    call(service, event).await
}

// ------------------------------------------------------------------------ the bound -------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_grant_that_gets_no_hashing_turn_before_the_deadline_is_told_to_retry() {
    let service = token(fresh_embedded_store().await, tiny_bound());
    let alice = ("alice@example.com", "alice-demo-password");
    let bob = ("bob@example.com", "bob-demo-password");
    let nobody = ("nobody@example.com", "a guess");
    let (first, second, third) = tokio::join!(
        password_grant(&service, alice),
        password_grant(&service, bob),
        password_grant(&service, nobody),
    );
    let mut statuses: Vec<u16> = [&first, &second, &third]
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    statuses.sort();
    // One got the only turn (200, or 400 for the unknown account); the others waited past
    // the deadline for it.
    assert_eq!(&statuses[1..], [503, 503], "{statuses:?}");
    assert!(statuses[0] == 200 || statuses[0] == 400, "{statuses:?}");
    assert_eq!(service.hashing.runs(), 1, "a refused grant runs no argon2");
    for response in [first, second, third] {
        if response.status() != 503 {
            continue;
        }
        let body = body_json(&response);
        let error = assert_error_format(503, response.headers(), &body);
        assert_eq!(error, "temporarily_unavailable");
        assert_eq!(response.headers()["retry-after"], "1");
    }
    // With the turn free again, a grant goes through.
    let later = password_grant(&service, bob).await;
    assert_eq!(later.status(), 200, "{:?}", body_json(&later));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_gets_no_hashing_turn_before_the_deadline_gets_the_503_page() {
    let service = authorize(fresh_embedded_store().await, tiny_bound());
    let (first, second) = tokio::join!(
        sign_in(&service, ADMIN),
        sign_in(&service, ("nobody@example.com", "a guess"))
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort();
    assert!(
        statuses == [303, 503] || statuses == [401, 503],
        "{statuses:?}"
    );
    let refused = if first.status() == 503 { first } else { second };
    assert_eq!(refused.headers()["retry-after"], "1");
    assert!(refused.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        text(&refused).contains("Sign-in is unavailable for a moment"),
        "{}",
        text(&refused)
    );
    assert_eq!(service.hashing.runs(), 1);
}

// ------------------------------------------------ one run per attempt, whoever asks -------

/// Each attempt, known or unknown account, first or later, right or wrong password: its
/// status and the argon2 runs it cost (one each).
async fn each_password_grant_costs_one_argon2_run(store: Arc<dyn Store>) {
    let service = token(store, PasswordHashing::default());
    let attempts = [
        (
            "known, first, right",
            ("alice@example.com", "alice-demo-password"),
            200,
        ),
        (
            "known, later, right",
            ("alice@example.com", "alice-demo-password"),
            200,
        ),
        ("known, first, wrong", ("bob@example.com", "not bob's"), 400),
        (
            "known, later, right",
            ("bob@example.com", "bob-demo-password"),
            200,
        ),
        ("unknown, first", ("nobody@example.com", "a guess"), 400),
        ("unknown, later", ("nobody@example.com", "a guess"), 400),
    ];
    for (attempt, credentials, status) in attempts {
        let before = service.hashing.runs();
        let response = password_grant(&service, credentials).await;
        assert_eq!(
            response.status(),
            status,
            "{attempt}: {:?}",
            body_json(&response)
        );
        assert_eq!(service.hashing.runs() - before, 1, "{attempt}");
    }
}

async fn each_sign_in_costs_one_argon2_run(store: Arc<dyn Store>) {
    let service = authorize(store, PasswordHashing::default());
    let attempts = [
        ("known, first, right", ADMIN, 303),
        ("known, later, wrong", (ADMIN.0, "not the admin's"), 401),
        ("unknown, first", ("nobody@example.com", "a guess"), 401),
        ("unknown, later", ("nobody@example.com", "a guess"), 401),
    ];
    for (attempt, credentials, status) in attempts {
        let before = service.hashing.runs();
        let response = sign_in(&service, credentials).await;
        assert_eq!(response.status(), status, "{attempt}: {}", text(&response));
        assert_eq!(service.hashing.runs() - before, 1, "{attempt}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sign_in_with_a_wrong_password_costs_one_argon2_run_too() {
    let service = authorize(fresh_embedded_store().await, PasswordHashing::default());
    let response = sign_in(&service, (ADMIN.0, "not the admin's")).await;
    assert_eq!(response.status(), 401, "{}", text(&response));
    assert_eq!(service.hashing.runs(), 1);
    let response = sign_in(&service, ADMIN).await;
    assert_eq!(response.status(), 303, "{}", text(&response));
    assert_eq!(service.hashing.runs(), 2);
}

on_both_stores!(crate::fresh_embedded_store, crate::demo_dynamodb_store;
    each_password_grant_costs_one_argon2_run,
    each_sign_in_costs_one_argon2_run,
);
