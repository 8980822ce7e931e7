//! Small HTTP helpers shared by the functions.

use http::{header, HeaderMap, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

/// A JSON response that no cache may keep: every Gatehouse answer carries tokens or errors
/// about them. RFC 6749 §5.1: "Cache-Control: no-store" and "Pragma: no-cache". And
/// `X-Content-Type-Options: nosniff`, so that no browser takes a body that echoes request
/// input (an error description) for HTML or script.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    typed_json_response(status, body, "application/json")
}

/// [`json_response`] with another JSON media type (JSON:API's). The headers are sized once for
/// these four and the few a handler adds (`RateLimit-*`, `Retry-After`, `WWW-Authenticate`).
pub fn typed_json_response(
    status: StatusCode,
    body: &serde_json::Value,
    content_type: &'static str,
) -> Response<Body> {
    // Room for a token response at once, instead of growing from 128 bytes by doubling.
    let mut text = Vec::with_capacity(1024);
    // A `Value` always serializes (its maps' keys are strings), and serde_json writes UTF-8.
    serde_json::to_writer(&mut text, body).expect("a JSON body serializes");
    let text = String::from_utf8(text).expect("serde_json writes UTF-8");
    json_text_response(status, text, content_type)
}

/// A response whose body is `text`, JSON already written, with [`json_response`]'s headers.
pub fn json_text_response(
    status: StatusCode,
    text: String,
    content_type: &'static str,
) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let mut headers = HeaderMap::with_capacity(12);
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    *response.headers_mut() = headers;
    response
}

/// The client's IP address as API Gateway saw it (`requestContext.http.sourceIp`). The local
/// server puts the peer address there too. Headers such as X-Forwarded-For are not trusted:
/// any client can write them.
pub fn client_ip(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        // Only the HTTP API (v2) event is enabled; other shapes carry no address we read.
        _ => None,
    }
}

/// The key a per-address rate limit counts `request` under: its client address as
/// [`gatehouse_core::ratelimit::client_key`] keys it (IPv6 by /64).
pub fn client_rate_key(request: &Request) -> String {
    gatehouse_core::ratelimit::client_key(client_ip(request).as_deref().unwrap_or("unknown"))
}

/// The request body as bytes, whatever form lambda_http decoded it to.
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// The `RateLimit-*` headers of a rate-limited endpoint's answer (on 200s and 429s alike).
pub fn rate_limit_headers(
    response: &mut Response<Body>,
    outcome: &gatehouse_core::ratelimit::RateLimitOutcome,
) {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(outcome.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(outcome.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(outcome.reset_seconds));
}
