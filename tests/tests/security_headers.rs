//! What every answer of the token and revocation functions carries, whatever it says: RFC 6749
//! §5.1 `Cache-Control: no-store` and `Pragma: no-cache` (a token, or an error about one, is
//! never kept by a cache), and `X-Content-Type-Options: nosniff` (a JSON body that echoes
//! request input is never sniffed as HTML). Each kind of answer is produced through a Lambda
//! event: every 200, every error code, the 429 of the rate limit and the 503 of a storage
//! failure. And CORS for browser sales channels on both endpoints: none allowed by default, an
//! allowed origin reads the answer (errors included), any other origin does not.
//!
//! A preflight's 204 has no body and OPTIONS answers are not cacheable (RFC 9110 §9.3.7), so
//! it is checked for its CORS headers only.

use std::sync::Arc;

use gatehouse_core::clock::SystemClock;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::cors::CorsPolicy;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use lambda_http::{Body, Request, Response};
use serde_json::json;

const SHOP: &str = "https://shop.example.com";

fn assert_never_cached_nor_sniffed(name: &str, response: &Response<Body>) {
    let headers = response.headers();
    assert_eq!(headers["cache-control"], "no-store", "{name}");
    assert_eq!(headers["pragma"], "no-cache", "{name}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{name}");
    assert_eq!(headers["content-type"], "application/json", "{name}");
}

fn demo_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

fn storefront_cc() -> TokenEvent {
    TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
    ])
}

/// `event` (built as a token request) sent to `POST /oauth/revoke`.
fn revoke_request(event: &TokenEvent) -> Request {
    let mut event = event.event().clone();
    event["rawPath"] = json!("/oauth/revoke");
    event["requestContext"]["http"]["path"] = json!("/oauth/revoke");
    event["routeKey"] = json!("POST /oauth/revoke");
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

async fn token(service: &TokenService, event: TokenEvent) -> Response<Body> {
    gatehouse_token::handle(event.request(), service).await
}

/// One request of each kind the token function answers, and the status and error it gets.
#[tokio::test]
async fn every_token_answer_is_never_cached_nor_sniffed() {
    let service = token_service(demo_store(), manual_clock(), RateLimitPolicy::default());
    let login = token(
        &service,
        TokenEvent::form(&[
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", "alice@example.com"),
            ("password", "alice-demo-password"),
            ("scope", "market:1001"),
        ]),
    )
    .await;
    assert_eq!(login.status(), 200, "{}", body_json(&login));
    assert_never_cached_nor_sniffed("password grant", &login);
    let refresh_token = body_json(&login)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases: Vec<(&str, TokenEvent, u16, Option<&str>)> = vec![
        ("client_credentials", storefront_cc(), 200, None),
        (
            "client_credentials with a secret",
            TokenEvent::form(&[("grant_type", "client_credentials")])
                .basic(INTEGRATION, INTEGRATION_SECRET),
            200,
            None,
        ),
        (
            "refresh_token",
            TokenEvent::form(&[
                ("grant_type", "refresh_token"),
                ("client_id", STOREFRONT),
                ("refresh_token", &refresh_token),
            ]),
            200,
            None,
        ),
        (
            "no content type",
            TokenEvent::new().body("grant_type=client_credentials"),
            400,
            Some("invalid_request"),
        ),
        (
            "an unknown grant",
            TokenEvent::form(&[("grant_type", "magic"), ("client_id", STOREFRONT)]),
            400,
            Some("unsupported_grant_type"),
        ),
        (
            "a scope that does not exist",
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", STOREFRONT),
                ("scope", "market:9999"),
            ]),
            400,
            Some("invalid_scope"),
        ),
        (
            "a wrong password",
            TokenEvent::form(&[
                ("grant_type", "password"),
                ("client_id", STOREFRONT),
                ("username", "bob@example.com"),
                ("password", "not-bobs-password"),
                ("scope", "market:1001"),
            ]),
            400,
            Some("invalid_grant"),
        ),
        (
            "a grant outside the kind's table",
            TokenEvent::form(&[("grant_type", "client_credentials")]).basic(WEBAPP, WEBAPP_SECRET),
            400,
            Some("unauthorized_client"),
        ),
        (
            "a wrong secret in the body",
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", INTEGRATION),
                ("client_secret", "wrong-wrong-wrong-wrong-wrong-wrong"),
            ]),
            401,
            Some("invalid_client"),
        ),
        (
            "a wrong secret with Basic",
            TokenEvent::form(&[("grant_type", "client_credentials")])
                .basic(INTEGRATION, "wrong-wrong-wrong-wrong-wrong-wrong"),
            401,
            Some("invalid_client"),
        ),
        (
            "GET",
            TokenEvent::new().method("GET"),
            405,
            Some("method_not_allowed"),
        ),
    ];
    for (name, event, status, error) in cases {
        let response = token(&service, event.source_ip("203.0.113.9")).await;
        assert_eq!(
            response.status(),
            status,
            "{name}: {}",
            body_json(&response)
        );
        assert_never_cached_nor_sniffed(name, &response);
        if let Some(error) = error {
            let body = body_json(&response);
            assert_eq!(
                assert_error_format(status, response.headers(), &body),
                error,
                "{name}"
            );
        }
    }

    // 429: the limit's second request from one address.
    let limited = token_service(
        demo_store(),
        manual_clock(),
        RateLimitPolicy::new(1, 60).unwrap(),
    );
    assert_eq!(token(&limited, storefront_cc()).await.status(), 200);
    let response = token(&limited, storefront_cc()).await;
    assert_eq!(response.status(), 429);
    assert_never_cached_nor_sniffed("429", &response);
    assert!(response.headers().contains_key("retry-after"));

    // 503: storage down.
    let faulty = FaultyStore::new(MemoryStore::from_catalog(&demo_catalog()));
    faulty.fail("*");
    let down = token_service(
        Arc::new(faulty),
        Arc::new(SystemClock),
        RateLimitPolicy::default(),
    );
    let response = token(&down, storefront_cc()).await;
    assert_eq!(response.status(), 503);
    assert_never_cached_nor_sniffed("503", &response);
}

/// A storefront's refresh token, from a password login on `service`.
async fn storefront_refresh_token(service: &TokenService) -> String {
    let response = token(
        service,
        TokenEvent::form(&[
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", "bob@example.com"),
            ("password", "bob-demo-password"),
            ("scope", "market:1001"),
        ]),
    )
    .await;
    body_json(&response)["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

#[tokio::test]
async fn every_revocation_answer_is_never_cached_nor_sniffed() {
    let store = demo_store();
    let tokens = token_service(store.clone(), manual_clock(), RateLimitPolicy::default());
    let revoke = revoke_service(store, manual_clock());
    let refresh_token = storefront_refresh_token(&tokens).await;
    let cases: Vec<(&str, TokenEvent, u16, Option<&str>)> = vec![
        (
            "a refresh token revoked",
            TokenEvent::form(&[("client_id", STOREFRONT), ("token", &refresh_token)]),
            200,
            None,
        ),
        (
            "an unknown token",
            TokenEvent::form(&[("client_id", STOREFRONT), ("token", "not-a-token")]),
            200,
            None,
        ),
        (
            "no token",
            TokenEvent::form(&[("client_id", STOREFRONT)]),
            400,
            Some("invalid_request"),
        ),
        (
            "a wrong secret",
            TokenEvent::form(&[("token", &refresh_token)])
                .basic(INTEGRATION, "wrong-wrong-wrong-wrong-wrong-wrong"),
            401,
            Some("invalid_client"),
        ),
        (
            "another client's token",
            TokenEvent::form(&[("token", &refresh_token)]).basic(WEBAPP, WEBAPP_SECRET),
            403,
            Some("unauthorized_client"),
        ),
        (
            "GET",
            TokenEvent::new().method("GET"),
            405,
            Some("method_not_allowed"),
        ),
    ];
    for (name, event, status, error) in cases {
        let response = gatehouse_revoke::handle(revoke_request(&event), &revoke).await;
        assert_eq!(
            response.status(),
            status,
            "{name}: {}",
            body_json(&response)
        );
        assert_never_cached_nor_sniffed(name, &response);
        if let Some(error) = error {
            let body = body_json(&response);
            assert_eq!(
                assert_error_format(status, response.headers(), &body),
                error,
                "{name}"
            );
        }
    }
    let faulty = FaultyStore::new(MemoryStore::from_catalog(&demo_catalog()));
    faulty.fail("*");
    let down = revoke_service(Arc::new(faulty), Arc::new(SystemClock));
    let event = TokenEvent::form(&[("client_id", STOREFRONT), ("token", &refresh_token)]);
    let response = gatehouse_revoke::handle(revoke_request(&event), &down).await;
    assert_eq!(response.status(), 503);
    assert_never_cached_nor_sniffed("503", &response);
}

/// What a browser on `origin` is told: the preflight's allow headers, and whether it may
/// read the answer to a POST (an `invalid_client` refusal, which it must be able to act on,
/// then a token).
struct CorsAnswers {
    preflight_allow_origin: Option<String>,
    preflight_allow_methods: Option<String>,
    error_allow_origin: Option<String>,
    ok_allow_origin: Option<String>,
    vary: Option<String>,
}

fn header(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn token_cors(policy: &str, origin: Option<&str>) -> CorsAnswers {
    let mut runtime = runtime(demo_store(), manual_clock(), RateLimitPolicy::default());
    runtime.config.cors = CorsPolicy::parse(policy).unwrap();
    let service = TokenService::new(&runtime, test_keys());
    let with_origin = |event: TokenEvent| match origin {
        Some(origin) => event.header("origin", origin),
        None => event,
    };
    let preflight = with_origin(
        TokenEvent::new()
            .method("OPTIONS")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type"),
    );
    let preflight = token(&service, preflight).await;
    assert_eq!(preflight.status(), 204);
    let refused = with_origin(TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "no-such-client"),
    ]));
    let refused = token(&service, refused).await;
    assert_eq!(refused.status(), 401);
    let ok = token(&service, with_origin(storefront_cc())).await;
    assert_eq!(ok.status(), 200);
    CorsAnswers {
        preflight_allow_origin: header(&preflight, "access-control-allow-origin"),
        preflight_allow_methods: header(&preflight, "access-control-allow-methods"),
        error_allow_origin: header(&refused, "access-control-allow-origin"),
        ok_allow_origin: header(&ok, "access-control-allow-origin"),
        vary: header(&ok, "vary"),
    }
}

async fn revoke_cors(policy: &str, origin: Option<&str>) -> CorsAnswers {
    let store = demo_store();
    let tokens = token_service(store.clone(), manual_clock(), RateLimitPolicy::default());
    let mut runtime = runtime(store, manual_clock(), RateLimitPolicy::default());
    runtime.config.cors = CorsPolicy::parse(policy).unwrap();
    let service = gatehouse_revoke::RevokeService::new(&runtime, test_verifier());
    let refresh_token = storefront_refresh_token(&tokens).await;
    let with_origin = |event: TokenEvent| match origin {
        Some(origin) => event.header("origin", origin),
        None => event,
    };
    let preflight = with_origin(
        TokenEvent::new()
            .method("OPTIONS")
            .header("access-control-request-method", "POST"),
    );
    let preflight = gatehouse_revoke::handle(revoke_request(&preflight), &service).await;
    assert_eq!(preflight.status(), 204);
    let refused = with_origin(TokenEvent::form(&[("client_id", STOREFRONT)]));
    let refused = gatehouse_revoke::handle(revoke_request(&refused), &service).await;
    assert_eq!(refused.status(), 400);
    let ok = with_origin(TokenEvent::form(&[
        ("client_id", STOREFRONT),
        ("token", &refresh_token),
    ]));
    let ok = gatehouse_revoke::handle(revoke_request(&ok), &service).await;
    assert_eq!(ok.status(), 200);
    CorsAnswers {
        preflight_allow_origin: header(&preflight, "access-control-allow-origin"),
        preflight_allow_methods: header(&preflight, "access-control-allow-methods"),
        error_allow_origin: header(&refused, "access-control-allow-origin"),
        ok_allow_origin: header(&ok, "access-control-allow-origin"),
        vary: header(&ok, "vary"),
    }
}

/// Each endpoint, each policy, each origin: (policy, origin, whether that origin may call).
#[tokio::test]
async fn cross_origin_calls_are_refused_by_default_and_allowed_only_from_a_named_origin() {
    let cases = [
        // The default: no origin allowed, not even one that looks like ours.
        ("", Some(SHOP), false),
        ("", None, false),
        // An allowed origin, exactly.
        (SHOP, Some(SHOP), true),
        (
            "https://a.example, https://shop.example.com",
            Some(SHOP),
            true,
        ),
        // Any other: another host, a suffix, a prefix, http for https, another port, a path.
        (SHOP, Some("https://evil.example"), false),
        (SHOP, Some("https://shop.example.com.evil.example"), false),
        (SHOP, Some("https://evilshop.example.com"), false),
        (SHOP, Some("http://shop.example.com"), false),
        (SHOP, Some("https://shop.example.com:8443"), false),
        (SHOP, Some("null"), false),
        (SHOP, None, false),
    ];
    for (policy, origin, allowed) in cases {
        for (endpoint, answers) in [
            ("token", token_cors(policy, origin).await),
            ("revoke", revoke_cors(policy, origin).await),
        ] {
            let name = format!("{endpoint}: policy {policy:?}, origin {origin:?}");
            let expected_origin = allowed.then(|| origin.unwrap().to_owned());
            assert_eq!(answers.preflight_allow_origin, expected_origin, "{name}");
            assert_eq!(
                answers.preflight_allow_methods,
                allowed.then(|| "POST".to_owned()),
                "{name}"
            );
            assert_eq!(answers.error_allow_origin, expected_origin, "{name}");
            assert_eq!(answers.ok_allow_origin, expected_origin, "{name}");
            // Whenever an origin may be allowed, caches must key the answer on Origin.
            assert_eq!(
                answers.vary,
                (!policy.is_empty()).then(|| "Origin".to_owned()),
                "{name}"
            );
        }
    }
}

#[test]
fn a_wildcard_or_anything_but_an_origin_is_refused_as_configuration() {
    for bad in [
        "*",
        "https://shop.example.com/",
        "shop.example.com",
        "http://shop.example.com",
    ] {
        assert!(CorsPolicy::parse(bad).is_err(), "{bad}");
    }
}
