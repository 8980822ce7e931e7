//! The JSON:API error writer (https://jsonapi.org/format/#errors): the one place an error
//! object is shaped. The resource API answers with it alone; the OAuth errors
//! ([`crate::error::ApiError`]) carry the same object in their `errors` member, beside
//! RFC 6749's `error` and `error_description`, for Commerce Layer style SDKs.

use std::borrow::Cow;

use http::{header, HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use gatehouse_core::input::description_text;

pub const CONTENT_TYPE: &str = "application/vnd.api+json";

/// The JSON:API `code` for a status when no more precise one is given: its reason phrase in
/// upper snake case (`BAD_REQUEST`, `TOO_MANY_REQUESTS`).
pub fn status_code(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("ERROR")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
}

/// One JSON:API error, and the headers its answer carries besides the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonApiError {
    pub status: StatusCode,
    /// A short summary of the problem (`Invalid token`).
    pub title: Cow<'static, str>,
    /// Upper snake case (`INVALID_TOKEN`, `MARKET_DISABLED`); in lower case, the error code
    /// of the request line.
    pub code: Cow<'static, str>,
    /// Held to the OAuth error descriptions' rules when made (see [`JsonApiError::new`]).
    detail: Cow<'static, str>,
    /// `WWW-Authenticate`: RFC 9110 §11.6.1, "A server generating a 401 (Unauthorized)
    /// response MUST send a WWW-Authenticate header field containing at least one challenge."
    pub challenge: Option<&'static str>,
    /// `Retry-After`, in seconds, for 429 and 503.
    pub retry_after: Option<u64>,
    /// The methods a 405 names in `Allow`.
    pub allow: Option<&'static str>,
    /// The limit that refused the request, for the request line and the metrics.
    pub limited_by: Option<crate::observe::facts::Limit>,
    /// The fault of ours behind a 5xx, for the request line and the metrics.
    pub fault: Option<crate::observe::facts::Fault>,
}

impl JsonApiError {
    /// An error whose `detail` is cleaned and cut short as an OAuth `error_description` is
    /// ([`description_text`]), whatever input it quotes.
    pub fn new(
        status: StatusCode,
        title: impl Into<Cow<'static, str>>,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        let detail = detail.into();
        let detail = match description_text(&detail) {
            Cow::Borrowed(_) => detail,
            Cow::Owned(cleaned) => Cow::Owned(cleaned),
        };
        Self {
            status,
            title: title.into(),
            code: code.into(),
            detail,
            challenge: None,
            retry_after: None,
            allow: None,
            limited_by: None,
            fault: None,
        }
    }

    /// The `detail` as sent.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn with_challenge(mut self, challenge: &'static str) -> Self {
        self.challenge = Some(challenge);
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_allow(mut self, allow: &'static str) -> Self {
        self.allow = Some(allow);
        self
    }

    /// The error object. JSON:API: `status`, "the HTTP status code applicable to this
    /// problem, expressed as a string value".
    pub fn object(&self) -> Value {
        self.object_with(json!(self.status.as_str()))
    }

    /// The error object of an OAuth error's `errors` member, whose `status` has been a number
    /// since the first release: clients read it so.
    pub(crate) fn object_with_numeric_status(&self) -> Value {
        self.object_with(json!(self.status.as_u16()))
    }

    fn object_with(&self, status: Value) -> Value {
        json!({
            "title": self.title,
            "detail": self.detail,
            "code": self.code,
            "status": status,
        })
    }

    /// Adds the error's `WWW-Authenticate`, `Retry-After` and `Allow`, those it has.
    pub(crate) fn insert_headers(&self, headers: &mut HeaderMap) {
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
    }

    /// The one JSON:API error answer: `{"errors": [object]}` ([`response`]), with the error's
    /// headers; the request line names its code in lower case.
    pub fn into_response(self) -> Response<Body> {
        let mut response = response(self.status, &json!({ "errors": [self.object()] }));
        self.insert_headers(response.headers_mut());
        let facts = crate::observe::RequestFacts::of(&mut response);
        facts.refused(self.code.to_ascii_lowercase());
        facts.rate_limited = self.limited_by;
        facts.fault = self.fault;
        response
    }
}

/// A JSON:API document as `application/vnd.api+json`, uncacheable
/// ([`crate::http::json_response`]).
pub fn response(status: StatusCode, body: &Value) -> Response<Body> {
    crate::http::typed_json_response(status, body, CONTENT_TYPE)
}

/// [`response`] of a document already written as JSON text.
pub fn text_response(status: StatusCode, text: String) -> Response<Body> {
    crate::http::json_text_response(status, text, CONTENT_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::RequestFacts;
    use gatehouse_core::input::DESCRIPTION_MAX_CHARS;

    fn body_of(response: &Response<Body>) -> Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn the_answer_is_one_error_object_with_its_status_as_a_string_and_no_caching() {
        let error = JsonApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Market disabled",
            "MARKET_DISABLED",
            "market:1 has been disabled",
        );
        let mut response = error.into_response();
        assert_eq!(response.status(), 422);
        assert_eq!(
            response.body().as_ref(),
            br#"{"errors":[{"code":"MARKET_DISABLED","detail":"market:1 has been disabled","status":"422","title":"Market disabled"}]}"#
        );
        let headers = response.headers();
        assert_eq!(headers["content-type"], CONTENT_TYPE);
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["pragma"], "no-cache");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        for absent in ["www-authenticate", "retry-after", "allow"] {
            assert!(headers.get(absent).is_none(), "{absent}");
        }
        assert_eq!(
            RequestFacts::of(&mut response).error.as_deref(),
            Some("market_disabled")
        );
    }

    #[test]
    fn each_header_an_error_holds_is_sent() {
        let error = |status| JsonApiError::new(status, "Title", status_code(status), "why");
        let cases = [
            (
                error(StatusCode::UNAUTHORIZED).with_challenge(r#"Bearer realm="x""#),
                "www-authenticate",
                r#"Bearer realm="x""#,
            ),
            (
                error(StatusCode::SERVICE_UNAVAILABLE).with_retry_after(7),
                "retry-after",
                "7",
            ),
            (
                error(StatusCode::METHOD_NOT_ALLOWED).with_allow("GET, HEAD"),
                "allow",
                "GET, HEAD",
            ),
        ];
        for (error, name, value) in cases {
            let code = error.code.clone();
            let response = error.into_response();
            assert_eq!(response.headers()[name], value, "{name}");
            assert_eq!(body_of(&response)["errors"][0]["code"], *code);
        }
    }

    #[test]
    fn a_detail_is_held_to_the_error_description_rules() {
        let quoted = JsonApiError::new(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "BAD_REQUEST",
            format!("line\r\nbreak {}", "y".repeat(2000)),
        );
        assert!(quoted.detail().starts_with("line??break y"));
        assert_eq!(quoted.detail().len(), DESCRIPTION_MAX_CHARS + 3);
        assert_eq!(
            body_of(&quoted.into_response())["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .len(),
            DESCRIPTION_MAX_CHARS + 3
        );
    }

    #[test]
    fn the_oauth_errors_member_is_the_same_object_with_a_numeric_status() {
        let error = JsonApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            status_code(StatusCode::TOO_MANY_REQUESTS),
            "slow down",
        );
        let mut expected = error.object();
        expected["status"] = json!(429);
        assert_eq!(error.object_with_numeric_status(), expected);
        assert_eq!(error.object()["status"], "429");
    }
}
