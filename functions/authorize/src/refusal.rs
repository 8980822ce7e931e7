//! Why the authorize endpoint answers without a code, as data, and the one function that
//! answers each refusal: the error page, the sign-in page shown again with an alert, or a
//! redirect back to the client; its status, `Retry-After` and `RateLimit-*` headers; and
//! what the request line says (its error code, the limit that refused it).

use std::borrow::Cow;

use gatehouse_core::input::description_text;
use gatehouse_core::ratelimit::RateLimitOutcome;
use gatehouse_edge::error::ApiError;
use gatehouse_edge::http::rate_limit_headers;
use gatehouse_edge::observe::facts::Limit;
use gatehouse_edge::observe::RequestFacts;
use http::{header, HeaderMap, HeaderValue};
use lambda_http::{Body, Response};

use crate::checked::AuthorizationRequest;
use crate::{page, redirect_back, sign_in_page, AuthorizeService};

/// One answer for an unknown email and a wrong password, so that nobody learns which emails
/// have accounts.
pub(crate) const BAD_CREDENTIALS: &str = "The email or password is not valid.";

/// Why a request gets no code.
#[derive(Debug)]
pub enum Refusal {
    /// The request does not parse, or its client or redirect URI cannot be trusted: the error
    /// page, never a redirect.
    Page { status: u16, message: String },
    /// Sent back to the client (RFC 6749 §4.1.2.1).
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
    /// Storage failed, or no password hashing could start in time: try again later.
    Unavailable(ApiError),
    /// The sign-in form came without its CSRF cookie, or with another one.
    CsrfExpired,
    /// The sign-in form came without an email or a password.
    MissingFields,
    /// The email or the password is not valid: one answer for both.
    BadCredentials,
    /// The sign-in protection holds the account off, for this address or for every one.
    Held { message: String, retry_after: u64 },
    /// The address is past its own limit of sign-in attempts.
    AddressLimited(RateLimitOutcome),
}

impl Refusal {
    /// A query or form that does not parse.
    pub fn unparsed(error: ApiError) -> Self {
        Refusal::Page {
            status: 400,
            message: error.description.into_owned(),
        }
    }

    /// The user cancelled on the sign-in page: back to the client with `access_denied`.
    pub fn declined(checked: &AuthorizationRequest) -> Self {
        Refusal::Redirect {
            redirect_uri: checked.redirect_uri.clone(),
            state: checked.state.clone(),
            error: "access_denied",
            description: "the user declined to sign in".to_owned(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Refusal::Page { status, .. } => *status,
            // RFC 9700 §4.11: 303, so that the browser does not repost the form to the client.
            Refusal::Redirect { .. } => 303,
            Refusal::Unavailable(_) => 503,
            Refusal::CsrfExpired => 403,
            Refusal::MissingFields => 400,
            Refusal::BadCredentials => 401,
            Refusal::Held { .. } | Refusal::AddressLimited(_) => 429,
        }
    }

    /// The error code of the request line.
    pub fn error_code(&self) -> &'static str {
        match self {
            Refusal::Page { .. } | Refusal::MissingFields => "invalid_request",
            Refusal::Redirect { error, .. } => error,
            Refusal::Unavailable(_) => "temporarily_unavailable",
            Refusal::CsrfExpired => "csrf_expired",
            Refusal::BadCredentials => "access_denied",
            Refusal::Held { .. } | Refusal::AddressLimited(_) => "too_many_requests",
        }
    }

    /// The limit that refused the request, for the request line and the metrics.
    pub fn limit(&self) -> Option<Limit> {
        match self {
            Refusal::Unavailable(error) => error.limited_by,
            Refusal::Held { .. } => Some(Limit::SignIn),
            Refusal::AddressLimited(_) => Some(Limit::SignInRequests),
            _ => None,
        }
    }

    /// When to come back, in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Refusal::Unavailable(error) => Some(error.retry_after.unwrap_or(1)),
            Refusal::Held { retry_after, .. } => Some(*retry_after),
            Refusal::AddressLimited(outcome) => Some(outcome.reset_seconds),
            _ => None,
        }
    }

    /// Whether the answer is the sign-in form again (with [`Refusal::message`] as its alert):
    /// the refusals of a sign-in attempt, which the user may correct or retry there.
    fn shows_form(&self) -> bool {
        matches!(
            self,
            Refusal::CsrfExpired
                | Refusal::MissingFields
                | Refusal::BadCredentials
                | Refusal::Held { .. }
                | Refusal::AddressLimited(_)
        )
    }

    /// What the page tells the user.
    fn message(&self) -> Cow<'_, str> {
        match self {
            Refusal::Page { message, .. } | Refusal::Held { message, .. } => message.into(),
            Refusal::Redirect { description, .. } => description.into(),
            Refusal::Unavailable(_) => {
                "Sign-in is unavailable for a moment. Try again in a few seconds.".into()
            }
            Refusal::CsrfExpired => "This page expired. Sign in again.".into(),
            Refusal::MissingFields => "Enter your email and password.".into(),
            Refusal::BadCredentials => BAD_CREDENTIALS.into(),
            Refusal::AddressLimited(outcome) => format!(
                "Too many sign-in attempts from your network. Try again in {} seconds.",
                outcome.reset_seconds
            )
            .into(),
        }
    }
}

/// A checked request's sign-in form as it came: what showing it again takes.
pub(crate) struct Form<'a> {
    pub checked: &'a AuthorizationRequest,
    pub headers: &'a HeaderMap,
    /// The email the user typed, shown again in its field.
    pub email: &'a str,
}

/// The one answer to a refusal. `form` is the sign-in form it refuses, when there is one: an
/// attempt's refusal shows it again; without it (never, today) the error page says the same.
pub(crate) fn answer(
    service: &AuthorizeService,
    refusal: Refusal,
    form: Option<&Form<'_>>,
) -> Response<Body> {
    if let Refusal::Unavailable(error) = &refusal {
        tracing::error!(error = %error, "authorize: unavailable");
    }
    let status = refusal.status();
    let mut response = match (&refusal, form) {
        (
            Refusal::Redirect {
                redirect_uri,
                state,
                error,
                description,
            },
            _,
        ) => redirect_back(
            service,
            redirect_uri,
            state.as_deref(),
            vec![
                ("error", error),
                ("error_description", &description_text(description)),
            ],
        ),
        (_, Some(form)) if refusal.shows_form() => sign_in_page(
            service,
            form.checked,
            form.headers,
            status,
            form.email,
            Some(&refusal.message()),
        ),
        _ => page::respond(
            status,
            page::error(&service.config.organization.slug, &refusal.message()),
            None,
        ),
    };
    if let Some(seconds) = refusal.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Refusal::AddressLimited(outcome) = &refusal {
        rate_limit_headers(&mut response, outcome);
    }
    let facts = RequestFacts::of(&mut response);
    facts.rate_limited = refusal.limit();
    if let Refusal::Unavailable(error) = &refusal {
        facts.fault = error.fault;
    }
    facts.refused(refusal.error_code());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, AUTHORIZATION_REQUEST, ISSUER, REDIRECT};
    use gatehouse_edge::error::ErrorCode;
    use gatehouse_edge::oauth_request::parse_form;

    /// What one refusal's answer must be.
    struct Expected {
        status: u16,
        error: &'static str,
        limit: Option<Limit>,
        retry_after: Option<&'static str>,
        /// `RateLimit-Limit`, `-Remaining` and `-Reset`.
        rate_limit: Option<[&'static str; 3]>,
        /// The sign-in form again (or else the error page), with this text.
        form: bool,
        text: &'static str,
    }

    fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
        response.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[tokio::test]
    async fn each_refusal_is_answered_with_its_page_status_headers_and_request_line() {
        let service = fixture::service();
        let params = parse_form(AUTHORIZATION_REQUEST).unwrap();
        let checked = crate::request::check(&params, &service).await.unwrap();
        let headers = HeaderMap::new();
        let form = Form {
            checked: &checked,
            headers: &headers,
            email: "someone@example.com",
        };
        let busy = ApiError {
            retry_after: Some(3),
            limited_by: Some(Limit::PasswordHashing),
            ..ApiError::new(ErrorCode::TemporarilyUnavailable, "busy")
        };
        let outcome = RateLimitOutcome {
            allowed: false,
            limit: 30,
            remaining: 0,
            reset_seconds: 42,
            refused_until: None,
        };
        let page = |status, error, text| Expected {
            status,
            error,
            limit: None,
            retry_after: None,
            rate_limit: None,
            form: false,
            text,
        };
        let on_form = |status, error, text| Expected {
            form: true,
            ..page(status, error, text)
        };
        let cases = [
            (
                Refusal::Page {
                    status: 400,
                    message: "No client_id <here>.".into(),
                },
                page(400, "invalid_request", "No client_id &lt;here&gt;."),
            ),
            (
                Refusal::Unavailable(ApiError::temporarily_unavailable(std::io::Error::other(
                    "down",
                ))),
                Expected {
                    retry_after: Some("1"),
                    ..page(503, "temporarily_unavailable", "Sign-in is unavailable")
                },
            ),
            (
                Refusal::Unavailable(busy),
                Expected {
                    retry_after: Some("3"),
                    limit: Some(Limit::PasswordHashing),
                    ..page(503, "temporarily_unavailable", "Sign-in is unavailable")
                },
            ),
            (
                Refusal::CsrfExpired,
                on_form(403, "csrf_expired", "This page expired. Sign in again."),
            ),
            (
                Refusal::MissingFields,
                on_form(400, "invalid_request", "Enter your email and password."),
            ),
            (
                Refusal::BadCredentials,
                on_form(401, "access_denied", BAD_CREDENTIALS),
            ),
            (
                Refusal::Held {
                    message: "Too many failed sign-ins.".into(),
                    retry_after: 900,
                },
                Expected {
                    retry_after: Some("900"),
                    limit: Some(Limit::SignIn),
                    ..on_form(429, "too_many_requests", "Too many failed sign-ins.")
                },
            ),
            (
                Refusal::AddressLimited(outcome),
                Expected {
                    retry_after: Some("42"),
                    rate_limit: Some(["30", "0", "42"]),
                    limit: Some(Limit::SignInRequests),
                    ..on_form(
                        429,
                        "too_many_requests",
                        "Too many sign-in attempts from your network. Try again in 42 seconds.",
                    )
                },
            ),
        ];
        for (refusal, expected) in cases {
            let name = format!("{refusal:?}");
            let mut response = answer(&service, refusal, Some(&form));
            assert_eq!(response.status(), expected.status, "{name}");
            assert_eq!(
                header(&response, "content-type"),
                Some("text/html; charset=utf-8"),
                "{name}"
            );
            assert_eq!(header(&response, "cache-control"), Some("no-store"));
            assert!(header(&response, "location").is_none(), "{name}");
            assert_eq!(
                header(&response, "retry-after"),
                expected.retry_after,
                "{name}"
            );
            let rate_limit = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"]
                .map(|name| header(&response, name));
            assert_eq!(
                rate_limit,
                expected.rate_limit.map(|r| r.map(Some)).unwrap_or_default(),
                "{name}"
            );
            let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
            assert!(text.contains(expected.text), "{name}: {text}");
            assert_eq!(
                text.contains(r#"name="password""#),
                expected.form,
                "{name}: the sign-in form or the error page"
            );
            if expected.form {
                assert!(text.contains(r#"value="someone@example.com""#), "{name}");
            }
            let facts = RequestFacts::of(&mut response);
            assert_eq!(facts.error.as_deref(), Some(expected.error), "{name}");
            assert_eq!(facts.rate_limited, expected.limit, "{name}");
        }
    }

    #[tokio::test]
    async fn a_redirect_goes_back_with_the_error_its_cleaned_description_state_and_issuer() {
        let service = fixture::service();
        let params = parse_form(AUTHORIZATION_REQUEST).unwrap();
        let checked = crate::request::check(&params, &service).await.unwrap();
        for (refusal, error, description) in [
            (
                Refusal::declined(&checked),
                "access_denied",
                "the user declined to sign in",
            ),
            (
                Refusal::Redirect {
                    redirect_uri: REDIRECT.to_owned(),
                    state: Some("s1".into()),
                    error: "invalid_scope",
                    description: "no \"market\"\r\n".into(),
                },
                "invalid_scope",
                "no ?market???",
            ),
        ] {
            let mut response = answer(&service, refusal, None);
            assert_eq!(response.status(), 303);
            assert_eq!(header(&response, "cache-control"), Some("no-store"));
            assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"));
            assert!(header(&response, "retry-after").is_none());
            let location = header(&response, "location").unwrap();
            let (base, query) = location.split_once('?').unwrap();
            assert_eq!(base, REDIRECT);
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let expected = [
                ("error", error),
                ("error_description", description),
                ("state", "s1"),
                ("iss", ISSUER),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
            assert_eq!(pairs, expected);
            assert!(response.body().is_empty());
            let facts = RequestFacts::of(&mut response);
            assert_eq!(facts.error.as_deref(), Some(error));
            assert_eq!(facts.rate_limited, None);
        }
    }

    /// A refusal of an attempt answered without its form (no caller does that) still gets
    /// its status, headers and words, on the error page.
    #[tokio::test]
    async fn an_attempts_refusal_without_its_form_is_still_answered_on_the_error_page() {
        let service = fixture::service();
        let mut response = answer(
            &service,
            Refusal::Held {
                message: "Held off.".into(),
                retry_after: 5,
            },
            None,
        );
        assert_eq!(response.status(), 429);
        assert_eq!(header(&response, "retry-after"), Some("5"));
        let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        assert!(text.contains("This sign-in link does not work"), "{text}");
        assert!(text.contains("Held off."), "{text}");
        assert_eq!(
            RequestFacts::of(&mut response).rate_limited,
            Some(Limit::SignIn)
        );
    }
}
