//! Request bodies over the limit are refused before they are parsed, in the documented error
//! format: through the Lambda handlers (token, revocation, the sign-in form, the admin API)
//! and through `gatehouse serve`, whose reader stops at 64 KiB and leaves the functions' own
//! 16 KiB limit to answer below that.
//!
//! "Before parsing": an oversized body that would also fail to parse (no Content-Type, not
//! UTF-8, not JSON) gets the size refusal, not the parse error; a body of exactly the limit
//! is parsed.

use std::sync::Arc;

use gatehouse_admin::{AdminAccess, AdminApi, AdminToken};
use gatehouse_core::clock::SystemClock;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::oauth_request::MAX_BODY_BYTES;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use lambda_http::{Body, Request, Response};
use serde_json::json;

const TOO_LARGE: &str = "the request body is larger than 16384 bytes";

fn demo_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

/// A storefront client_credentials form padded with an ignored parameter to `size` bytes.
fn form_of_size(size: usize) -> String {
    let head = format!(
        "grant_type=client_credentials&client_id={STOREFRONT}&scope=market%3A1001&padding="
    );
    format!("{head}{}", "a".repeat(size - head.len()))
}

/// Events whose bodies are one byte over the limit, each also unparseable another way.
fn oversized_events() -> Vec<(&'static str, TokenEvent)> {
    let over = MAX_BODY_BYTES + 1;
    vec![
        (
            "a form",
            TokenEvent::new()
                .header("content-type", "application/x-www-form-urlencoded")
                .body(&form_of_size(over)),
        ),
        (
            "invalid JSON",
            TokenEvent::new()
                .header("content-type", "application/json")
                .body(&format!("{{\"grant_type\": {}", "9".repeat(over - 15))),
        ),
        (
            "no content type",
            TokenEvent::new().body(&form_of_size(over)),
        ),
        (
            "base64-encoded bytes that are not UTF-8",
            TokenEvent::new()
                .header("content-type", "application/x-www-form-urlencoded")
                .binary_body(&vec![0xff; over]),
        ),
    ]
}

fn assert_too_large(name: &str, response: &Response<Body>) {
    let body = body_json(response);
    assert_eq!(
        assert_error_format(400, response.headers(), &body),
        "invalid_request",
        "{name}: {body}"
    );
    assert_eq!(body["error_description"], TOO_LARGE, "{name}");
}

#[tokio::test]
async fn a_token_request_over_16_kib_is_refused_before_parsing_and_one_at_16_kib_is_served() {
    let service = token_service(demo_store(), manual_clock(), RateLimitPolicy::default());
    for (name, event) in oversized_events() {
        let response = gatehouse_token::handle(event.request(), &service).await;
        assert_eq!(response.status(), 400, "{name}");
        assert_too_large(name, &response);
    }
    let at_limit = TokenEvent::new()
        .header("content-type", "application/x-www-form-urlencoded")
        .body(&form_of_size(MAX_BODY_BYTES));
    let response = gatehouse_token::handle(at_limit.request(), &service).await;
    assert_eq!(response.status(), 200, "{}", body_json(&response));
}

fn revoke_request(event: &TokenEvent) -> Request {
    let mut event = event.event().clone();
    event["rawPath"] = json!("/oauth/revoke");
    event["requestContext"]["http"]["path"] = json!("/oauth/revoke");
    event["routeKey"] = json!("POST /oauth/revoke");
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

#[tokio::test]
async fn a_revocation_over_16_kib_is_refused_before_parsing() {
    let service = revoke_service(demo_store(), manual_clock());
    for (name, event) in oversized_events() {
        let response = gatehouse_revoke::handle(revoke_request(&event), &service).await;
        assert_eq!(response.status(), 400, "{name}");
        assert_too_large(name, &response);
    }
    let head = format!("client_id={STOREFRONT}&token=unknown&padding=");
    let at_limit = TokenEvent::new()
        .header("content-type", "application/x-www-form-urlencoded")
        .body(&format!(
            "{head}{}",
            "a".repeat(MAX_BODY_BYTES - head.len())
        ));
    let response = gatehouse_revoke::handle(revoke_request(&at_limit), &service).await;
    assert_eq!(response.status(), 200, "{}", body_json(&response));
}

/// The sign-in form answers with pages: an oversized one gets the 400 error page, uncached.
#[tokio::test]
async fn a_sign_in_form_over_16_kib_is_refused_with_an_error_page() {
    let service = authorize_service(demo_store(), manual_clock(), RateLimitPolicy::default());
    let mut event = TokenEvent::new()
        .header("content-type", "application/x-www-form-urlencoded")
        .body(&format!(
            "client_id={WEBAPP}&padding={}",
            "a".repeat(MAX_BODY_BYTES)
        ))
        .event()
        .clone();
    event["rawPath"] = json!("/oauth/authorize");
    event["requestContext"]["http"]["path"] = json!("/oauth/authorize");
    event["routeKey"] = json!("POST /oauth/authorize");
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = gatehouse_authorize::handle(request, &service).await;
    assert_eq!(response.status(), 400);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let page = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    assert!(page.contains("the form is too large"), "{page}");
}

/// Through `gatehouse serve`: between the functions' 16 KiB and the server's 64 KiB the
/// function answers; past 64 KiB the server stops reading and answers in the same format.
#[tokio::test]
async fn over_http_each_endpoint_refuses_an_oversized_body_in_the_documented_format() {
    let admin_token = "an-admin-token-for-the-body-limit-test-0123456789";
    let store = demo_store();
    let admin = AdminApi {
        service: admin_service(store.clone(), Arc::new(SystemClock)),
        access: AdminAccess::Token(AdminToken::new(admin_token).unwrap()),
    };
    let address = spawn_server_with_admin(store, RateLimitPolicy::default(), Some(admin)).await;
    let form = ("content-type", "application/x-www-form-urlencoded");
    let twenty_kib = form_of_size(20 * 1024);
    let huge = "a".repeat(200 * 1024);
    for path in ["/oauth/token", "/oauth/revoke"] {
        let response = http_request(address, "POST", path, &[form], &twenty_kib).await;
        assert_eq!(
            assert_error_format(400, &response.headers, &response.body),
            "invalid_request",
            "{path}"
        );
        assert_eq!(response.body["error_description"], TOO_LARGE, "{path}");
        let response = http_request(address, "POST", path, &[form], &huge).await;
        assert_eq!(
            assert_error_format(400, &response.headers, &response.body),
            "invalid_request",
            "{path}"
        );
    }
    let bearer = format!("Bearer {admin_token}");
    let json_body = format!("{{\"name\": \"{}\"}}", "a".repeat(20 * 1024));
    let response = http_request(
        address,
        "POST",
        "/admin/applications",
        &[
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
        ],
        &json_body,
    )
    .await;
    assert_eq!(
        assert_error_format(413, &response.headers, &response.body),
        "payload_too_large"
    );
}
