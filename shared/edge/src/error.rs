//! The one error type of Gatehouse's HTTP boundary, and its one mapping to a response.
//!
//! Body: RFC 6749 §5.2 `error` and `error_description`, and beside them the JSON:API form
//! `errors: [{title, detail, code, status}]` that Commerce Layer style SDKs read, written by
//! the JSON:API error writer ([`crate::jsonapi`]).

use std::borrow::Cow;
use std::error::Error as StdError;

use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::json;

use crate::jsonapi::{self, JsonApiError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    /// A JWT bearer assertion refused: `invalid_grant` (RFC 7523 §3.1: "the value of the
    /// "error" parameter MUST be the "invalid_grant" error code"), titled `invalid_assertion`
    /// in the JSON:API form, as Commerce Layer answers.
    InvalidAssertion,
    UnauthorizedClient,
    /// RFC 7009 §2.1: a client revoking a token that was issued to another client.
    TokenOfAnotherClient,
    UnsupportedGrantType,
    InvalidScope,
    TooManyRequests,
    TemporarilyUnavailable,
    ServerError,
    NotFound,
    MethodNotAllowed,
    /// Admin API: no or wrong admin credentials.
    Unauthorized,
    /// Admin API: the caller is known but not allowed (no IAM identity behind API Gateway).
    Forbidden,
    /// Admin API: the change contradicts what is stored (a client_id already taken).
    Conflict,
    /// Admin API: a body larger than the endpoint accepts.
    PayloadTooLarge,
    /// Admin API: an `Idempotency-Key` sent before with another request. The idempotency-key
    /// draft: "If there is an attempt to reuse an idempotency key with a different request
    /// payload, the resource server SHOULD reply with a HTTP 422 status code".
    UnprocessableContent,
    /// `gatehouse serve`: the body did not arrive within the body-read timeout. RFC 9110
    /// §15.5.9: "The 408 (Request Timeout) status code indicates that the server did not
    /// receive a complete request message within the time that it was prepared to wait."
    /// A 400 would tell the client its request was wrong; it was only slow, and may be retried.
    RequestTimeout,
}

impl ErrorCode {
    /// The `error` field and the status of each code.
    fn parts(self) -> (&'static str, StatusCode) {
        match self {
            Self::InvalidRequest => ("invalid_request", StatusCode::BAD_REQUEST),
            Self::InvalidClient => ("invalid_client", StatusCode::UNAUTHORIZED),
            Self::InvalidGrant | Self::InvalidAssertion => {
                ("invalid_grant", StatusCode::BAD_REQUEST)
            }
            Self::UnauthorizedClient => ("unauthorized_client", StatusCode::BAD_REQUEST),
            Self::TokenOfAnotherClient => ("unauthorized_client", StatusCode::FORBIDDEN),
            Self::UnsupportedGrantType => ("unsupported_grant_type", StatusCode::BAD_REQUEST),
            Self::InvalidScope => ("invalid_scope", StatusCode::BAD_REQUEST),
            Self::TooManyRequests => ("too_many_requests", StatusCode::TOO_MANY_REQUESTS),
            Self::TemporarilyUnavailable => {
                ("temporarily_unavailable", StatusCode::SERVICE_UNAVAILABLE)
            }
            Self::ServerError => ("server_error", StatusCode::INTERNAL_SERVER_ERROR),
            Self::NotFound => ("not_found", StatusCode::NOT_FOUND),
            Self::MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED),
            Self::Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED),
            Self::Forbidden => ("forbidden", StatusCode::FORBIDDEN),
            Self::Conflict => ("conflict", StatusCode::CONFLICT),
            Self::PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            Self::UnprocessableContent => {
                ("unprocessable_content", StatusCode::UNPROCESSABLE_ENTITY)
            }
            Self::RequestTimeout => ("request_timeout", StatusCode::REQUEST_TIMEOUT),
        }
    }

    /// The `error` field.
    pub fn as_str(self) -> &'static str {
        self.parts().0
    }

    pub fn status(self) -> StatusCode {
        self.parts().1
    }

    /// The JSON:API error's `title`: the `error` field, but for an assertion's refusal.
    pub fn title(self) -> &'static str {
        match self {
            Self::InvalidAssertion => "invalid_assertion",
            _ => self.as_str(),
        }
    }
}

/// An error to show a client. `description` is what the client reads; `source` is only logged.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    /// RFC 6749 §5.2: with Basic authentication, a 401 carries `WWW-Authenticate`.
    pub basic_auth_used: bool,
    /// The `WWW-Authenticate` challenge of another scheme's 401 (the admin API's bearer
    /// token). RFC 9110 §11.6.1: "A server generating a 401 (Unauthorized) response MUST send
    /// a WWW-Authenticate header field containing at least one challenge."
    pub challenge: Option<&'static str>,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
    /// The methods a 405 names in `Allow`.
    pub allow: Option<&'static str>,
    pub source: Option<Box<dyn StdError + Send + Sync>>,
    /// The limit that refused the request, for the request line and the metrics.
    pub limited_by: Option<crate::observe::facts::Limit>,
    /// The fault of ours behind a 5xx, for the request line and the metrics.
    pub fault: Option<crate::observe::facts::Fault>,
}

impl ApiError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            basic_auth_used: false,
            challenge: None,
            retry_after: None,
            allow: None,
            source: None,
            limited_by: None,
            fault: None,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// The same description for every failed client authentication, so that the answer does
    /// not tell which client ids exist.
    pub fn invalid_client() -> Self {
        Self::new(ErrorCode::InvalidClient, "client authentication failed")
    }

    /// Storage did not answer: the client should retry shortly.
    pub fn temporarily_unavailable(source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            retry_after: Some(1),
            source: Some(Box::new(source)),
            ..Self::new(
                ErrorCode::TemporarilyUnavailable,
                "the service is temporarily unavailable, retry shortly",
            )
        }
    }

    /// A fault of ours that retrying will not fix. The client sees no internals.
    pub fn server_error(source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            source: Some(Box::new(source)),
            ..Self::new(ErrorCode::ServerError, "internal error")
        }
    }

    /// The signing key refused to sign: a fault of ours, counted apart (`Faults`, `signing`).
    pub fn signing_failed(source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            fault: Some(crate::observe::facts::Fault::Signing),
            ..Self::server_error(source)
        }
    }

    /// A request refused by `limit`, a per-address limit of `what` (e.g. "token requests").
    pub fn too_many_requests(
        what: &str,
        limit: crate::observe::facts::Limit,
        policy: &gatehouse_core::ratelimit::RateLimitPolicy,
        outcome: &gatehouse_core::ratelimit::RateLimitOutcome,
    ) -> Self {
        Self {
            retry_after: Some(outcome.reset_seconds.max(1)),
            limited_by: Some(limit),
            ..Self::new(
                ErrorCode::TooManyRequests,
                format!(
                    "too many {what} from this address: at most {} in any {} seconds",
                    policy.limit,
                    policy.window.as_secs()
                ),
            )
        }
    }

    /// A request with a method the endpoint does not serve; `allow` lists those it does.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(ErrorCode::MethodNotAllowed, format!("use {allow}"))
        }
    }

    pub fn with_basic_auth(mut self, used: bool) -> Self {
        self.basic_auth_used = used;
        self
    }

    /// The error with `challenge` as its `WWW-Authenticate`.
    pub fn with_challenge(mut self, challenge: &'static str) -> Self {
        self.challenge = Some(challenge);
        self
    }

    /// The one mapping from error to HTTP response.
    pub fn into_response(self) -> Response<Body> {
        let status = self.code.status();
        // The source's messages only, never its Debug form: an SDK error's Debug holds the
        // raw HTTP response, body included.
        let source = self.source.as_deref().map(|source| error_chain(source));
        // The JSON:API error object carries the description as its detail, cleaned once, and
        // the headers.
        let mut jsonapi = JsonApiError::new(
            status,
            self.code.title(),
            jsonapi::status_code(status),
            self.description,
        );
        let basic = (self.code == ErrorCode::InvalidClient && self.basic_auth_used)
            .then_some("Basic realm=\"gatehouse\", charset=\"UTF-8\"");
        jsonapi.challenge = self.challenge.or(basic);
        jsonapi.retry_after = self.retry_after;
        jsonapi.allow = self.allow;
        if status.is_server_error() {
            tracing::error!(error = self.code.as_str(), source, "request failed");
        } else if let Some(source) = source {
            tracing::info!(error = self.code.as_str(), source, "request refused");
        }
        let body = json!({
            "error": self.code.as_str(),
            "error_description": jsonapi.detail(),
            "errors": [jsonapi.object_with_numeric_status()],
        });
        let mut response = crate::http::json_response(status, &body);
        jsonapi.insert_headers(response.headers_mut());
        let facts = crate::observe::RequestFacts::of(&mut response);
        facts.refused(self.code.as_str());
        facts.rate_limited = self.limited_by;
        facts.fault = self.fault;
        response
    }
}

/// The one mapping from storage trouble to what a client sees.
impl From<gatehouse_store::StoreError> for ApiError {
    fn from(error: gatehouse_store::StoreError) -> Self {
        let fault = crate::observe::facts::Fault::of_storage(&error);
        let error = match error {
            gatehouse_store::StoreError::Unavailable(_) => ApiError::temporarily_unavailable(error),
            gatehouse_store::StoreError::Corrupt { .. } => ApiError::server_error(error),
        };
        ApiError {
            fault: Some(fault),
            ..error
        }
    }
}

/// Every password-hashing slot stayed taken past the deadline: the client should retry after it.
impl From<crate::hashing::HashingBusy> for ApiError {
    fn from(busy: crate::hashing::HashingBusy) -> Self {
        Self {
            retry_after: Some(busy.retry_after_seconds()),
            source: Some(Box::new(busy)),
            limited_by: Some(crate::observe::facts::Limit::PasswordHashing),
            ..Self::new(
                ErrorCode::TemporarilyUnavailable,
                "too many sign-ins at once, retry shortly",
            )
        }
    }
}

/// An error and its sources' messages, `outer: inner: innermost`.
pub fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let message = inner.to_string();
        // Some errors repeat their source's message in their own.
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = inner.source();
    }
    text
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::input::{description_text, DESCRIPTION_MAX_CHARS};

    fn body_of(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn every_code_maps_to_its_status_and_jsonapi_code() {
        let cases = [
            (ErrorCode::InvalidRequest, 400, "BAD_REQUEST"),
            (ErrorCode::InvalidClient, 401, "UNAUTHORIZED"),
            (ErrorCode::InvalidGrant, 400, "BAD_REQUEST"),
            (ErrorCode::UnauthorizedClient, 400, "BAD_REQUEST"),
            (ErrorCode::TokenOfAnotherClient, 403, "FORBIDDEN"),
            (ErrorCode::UnsupportedGrantType, 400, "BAD_REQUEST"),
            (ErrorCode::InvalidScope, 400, "BAD_REQUEST"),
            (ErrorCode::TooManyRequests, 429, "TOO_MANY_REQUESTS"),
            (
                ErrorCode::TemporarilyUnavailable,
                503,
                "SERVICE_UNAVAILABLE",
            ),
            (ErrorCode::ServerError, 500, "INTERNAL_SERVER_ERROR"),
            (ErrorCode::NotFound, 404, "NOT_FOUND"),
            (ErrorCode::MethodNotAllowed, 405, "METHOD_NOT_ALLOWED"),
            (ErrorCode::Unauthorized, 401, "UNAUTHORIZED"),
            (ErrorCode::Forbidden, 403, "FORBIDDEN"),
            (ErrorCode::Conflict, 409, "CONFLICT"),
            (ErrorCode::PayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"),
            (ErrorCode::UnprocessableContent, 422, "UNPROCESSABLE_ENTITY"),
            (ErrorCode::RequestTimeout, 408, "REQUEST_TIMEOUT"),
        ];
        for (code, status, jsonapi) in cases {
            let response = ApiError::new(code, "why").into_response();
            assert_eq!(response.status().as_u16(), status, "{code:?}");
            let body = body_of(&response);
            assert_eq!(body["error"], code.as_str());
            assert_eq!(body["error_description"], "why");
            assert_eq!(body["errors"][0]["title"], code.as_str());
            assert_eq!(body["errors"][0]["detail"], "why");
            assert_eq!(body["errors"][0]["code"], jsonapi, "{code:?}");
            assert_eq!(body["errors"][0]["status"], status);
            assert_eq!(response.headers()["cache-control"], "no-store");
            assert_eq!(response.headers()["pragma"], "no-cache");
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            assert_eq!(response.headers()["content-type"], "application/json");
        }
    }

    #[test]
    fn invalid_client_carries_www_authenticate_only_when_basic_was_used() {
        let with = ApiError::invalid_client()
            .with_basic_auth(true)
            .into_response();
        assert!(with.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
        let without = ApiError::invalid_client().into_response();
        assert!(without.headers().get("www-authenticate").is_none());
    }

    #[test]
    fn a_challenge_of_another_scheme_is_sent_as_www_authenticate() {
        let challenge = r#"Bearer realm="gatehouse-admin""#;
        let response = ApiError::new(ErrorCode::Unauthorized, "send the token")
            .with_challenge(challenge)
            .into_response();
        assert_eq!(response.headers()["www-authenticate"], challenge);
        let without = ApiError::new(ErrorCode::Unauthorized, "send the token").into_response();
        assert!(without.headers().get("www-authenticate").is_none());
    }

    #[test]
    fn descriptions_carry_only_the_characters_rfc_6749_allows() {
        let cases = [
            ("plain text, 'quoted' [ok] ~", "plain text, 'quoted' [ok] ~"),
            ("line\r\nbreak", "line??break"),
            (
                "a \"quote\" and a back\\slash",
                "a ?quote? and a back?slash",
            ),
            ("tab\there", "tab?here"),
            ("caf\u{e9} \u{2026} \u{1F600}", "caf? ? ?"),
            ("\u{7f}\u{0}", "??"),
        ];
        for (written, sent) in cases {
            let response = ApiError::invalid_request(written.to_owned()).into_response();
            let body = body_of(&response);
            assert_eq!(body["error_description"], sent, "{written:?}");
            assert_eq!(body["errors"][0]["detail"], sent, "{written:?}");
        }
    }

    #[test]
    fn a_whole_description_is_cut_to_512_characters() {
        let long = "y".repeat(2000);
        let response = ApiError::invalid_request(long.clone()).into_response();
        let body = body_of(&response);
        let sent = body["error_description"].as_str().unwrap();
        assert_eq!(sent, format!("{}...", "y".repeat(DESCRIPTION_MAX_CHARS)));
        assert_eq!(body["errors"][0]["detail"], sent);
        let exact = "y".repeat(DESCRIPTION_MAX_CHARS);
        assert!(matches!(description_text(&exact), Cow::Borrowed(_)));
    }

    #[test]
    fn server_errors_show_no_internals() {
        let source = std::io::Error::other("table gatehouse-prod: secret detail");
        let response = ApiError::temporarily_unavailable(source).into_response();
        assert_eq!(response.headers()["retry-after"], "1");
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(!text.contains("secret detail"), "{text}");
    }

    #[test]
    fn faults_of_ours_are_named_for_the_metrics_and_the_wire_keeps_its_code() {
        use crate::observe::facts::Fault;
        use gatehouse_store::StoreError;
        let cases: [(ApiError, u16, &str, Fault); 3] = [
            (
                StoreError::Unavailable("timed out".into()).into(),
                503,
                "temporarily_unavailable",
                Fault::StorageUnavailable,
            ),
            (
                StoreError::Corrupt {
                    key: "CLIENT#x".into(),
                    reason: "no kind".into(),
                }
                .into(),
                500,
                "server_error",
                Fault::StorageCorrupt,
            ),
            (
                ApiError::signing_failed(std::io::Error::other("key refused")),
                500,
                "server_error",
                Fault::Signing,
            ),
        ];
        for (error, status, code, fault) in cases {
            let mut response = error.into_response();
            assert_eq!(response.status().as_u16(), status);
            let facts = crate::observe::RequestFacts::of(&mut response).clone();
            assert_eq!(facts.fault, Some(fault));
            assert_eq!(facts.error.as_deref(), Some(code));
        }
        let mut refusal = ApiError::invalid_client().into_response();
        assert_eq!(crate::observe::RequestFacts::of(&mut refusal).fault, None);
    }
}
