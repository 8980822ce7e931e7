//! `GET /oauth/authorize` shows the sign-in page of the authorization code flow (RFC 6749
//! §4.1) to an organization user; `POST /oauth/authorize` signs them in and sends them back to
//! the webapp with a code, or with an error.

mod checked;
pub mod csrf;
pub mod page;
pub mod refusal;
pub mod request;
mod sign_in;

use std::sync::Arc;

use gatehouse_core::clock::Clock;
use gatehouse_core::grant::GrantType;
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::error::ApiError;
use gatehouse_edge::gate::{Endpoint, Gate};
use gatehouse_edge::hashing::PasswordHashing;
use gatehouse_edge::http::rate_limit_headers;
use gatehouse_edge::oauth_request::{parse_form, Params, MAX_BODY_BYTES};
use gatehouse_edge::observe::RequestFacts;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::{Clients, Concerns, SignIns, Users};
use http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};

use csrf::CsrfCookie;
use refusal::{answer, Form, Refusal};
use request::AuthorizationRequest;

pub const AUTHORIZE_PATH: &str = "/oauth/authorize";

/// Everything the authorize endpoint depends on, built once per cold start
/// ([`AuthorizeService::new`]).
pub struct AuthorizeService {
    pub clients: Arc<dyn Clients>,
    pub users: Arc<dyn Users>,
    /// The sign-in protection, which also stores the code of a successful sign-in.
    pub sign_ins: Arc<dyn SignIns>,
    pub clock: Arc<dyn Clock>,
    pub config: ServiceConfig,
    /// The per-address limit of sign-in attempts (`config.rate_limit`, its own count): the
    /// account lockout alone would let one address try a few passwords on every account, and
    /// lock them all out.
    pub gate: Gate,
    /// The process's one bound on password hashing (`gatehouse serve` shares the token
    /// endpoint's).
    pub hashing: PasswordHashing,
}

impl AuthorizeService {
    /// The authorize endpoint of `runtime`'s process.
    pub fn new<S: ?Sized + Concerns>(runtime: &Runtime<S>) -> Self {
        Self {
            clients: runtime.store().clients(),
            users: runtime.store().users(),
            sign_ins: runtime.store().sign_ins(),
            clock: Arc::clone(&runtime.clock),
            config: runtime.config.clone(),
            gate: runtime.gate(),
            hashing: runtime.hashing.clone(),
        }
    }

    fn csrf(&self) -> CsrfCookie {
        CsrfCookie::for_issuer(&self.config.issuer)
    }
}

/// `uri` with `pairs` added to its query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{query}")
}

/// A redirect back to the client. RFC 9700 §4.11: 303, so that the browser does not repost
/// the form (and the password) to the client. RFC 9207: `iss` names who answers.
fn redirect_back<'a>(
    service: &'a AuthorizeService,
    redirect_uri: &str,
    state: Option<&'a str>,
    mut pairs: Vec<(&'a str, &'a str)>,
) -> Response<Body> {
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", &service.config.issuer));
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&with_query(redirect_uri, &pairs)) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The sign-in page for a checked request, with a CSRF cookie.
fn sign_in_page(
    service: &AuthorizeService,
    request: &AuthorizationRequest,
    headers: &http::HeaderMap,
    status: u16,
    email: &str,
    alert: Option<&str>,
) -> Response<Body> {
    let csrf = service.csrf();
    let (value, new) = csrf.value(headers);
    let markup = page::sign_in(
        request,
        &page::SignIn {
            organization: &service.config.organization.slug,
            csrf: &value,
            email,
            alert,
        },
    );
    let mut response = page::respond(status, markup, Some(&request.redirect_uri));
    if new {
        if let Ok(cookie) = HeaderValue::from_str(&csrf.set_cookie(&value)) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

fn form_params(request: &Request) -> Result<Params, ApiError> {
    let body = gatehouse_edge::http::body_bytes(request);
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::invalid_request("the form is too large"));
    }
    let body = std::str::from_utf8(body)
        .map_err(|_| ApiError::invalid_request("the form is not valid UTF-8"))?;
    parse_form(body)
}

/// The answer to a sign-in form whose request checked.
async fn sign_in_form(
    request: &Request,
    service: &AuthorizeService,
    form: &Params,
    checked: &AuthorizationRequest,
) -> Response<Body> {
    let email = form.get("email").unwrap_or("").trim();
    let shown = Form {
        checked,
        headers: request.headers(),
        email,
    };
    let refused = |refusal| answer(service, refusal, Some(&shown));
    if !service.csrf().verify(request.headers(), form.get("csrf")) {
        return refused(Refusal::CsrfExpired);
    }
    if form.get("action") == Some("deny") {
        return refused(Refusal::declined(checked));
    }
    let password = form.get("password").unwrap_or("");
    if email.is_empty() || password.is_empty() {
        return refused(Refusal::MissingFields);
    }
    // The address's count comes before the account's own, so that an address past its limit
    // costs no account an attempt.
    let address = match service.gate.admit(Endpoint::SignIn, request).await {
        Ok(admission) => admission.outcome(),
        // A trusted backend's forwarded address that is none: the request's fault, a 400.
        Err(error) if error.code.status().is_client_error() => {
            return refused(Refusal::unparsed(error))
        }
        Err(error) => return refused(Refusal::Unavailable(error)),
    };
    if !address.allowed {
        return refused(Refusal::AddressLimited(address));
    }
    let mut response = match sign_in::attempt(request, service, checked, email, password).await {
        Ok(Ok(code)) => redirect_back(
            service,
            &checked.redirect_uri,
            checked.state.as_deref(),
            vec![("code", &code)],
        ),
        Ok(Err(refusal)) => refused(refusal),
        Err(error) => refused(Refusal::Unavailable(error)),
    };
    // Every answer to an attempt the address made reports its count.
    rate_limit_headers(&mut response, &address);
    response
}

/// Handles `GET` and `POST /oauth/authorize`.
pub async fn handle(request: Request, service: &AuthorizeService) -> Response<Body> {
    let params = match *request.method() {
        Method::GET | Method::HEAD => parse_form(request.uri().query().unwrap_or("")),
        Method::POST => form_params(&request),
        _ => return ApiError::method_not_allowed("GET, POST").into_response(),
    };
    let params = match params {
        Ok(params) => params,
        Err(error) => return answer(service, Refusal::unparsed(error), None),
    };
    // A form's request parameters come back as hidden fields: checked again, never trusted.
    let checked = match request::check(&params, service).await {
        Ok(checked) => checked,
        Err(refusal) => return answer(service, refusal, None),
    };
    let mut response = if request.method() == Method::POST {
        sign_in_form(&request, service, &params, &checked).await
    } else {
        sign_in_page(service, &checked, request.headers(), 200, "", None)
    };
    // The client of a checked request, for the request line.
    let facts = RequestFacts::of(&mut response);
    facts.grant = Some(GrantType::AuthorizationCode);
    facts.client(&checked.application.client_id, checked.application.kind);
    response
}

#[cfg(test)]
mod fixture;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_added_to_the_redirect_uris_own_query() {
        assert_eq!(
            with_query(
                "https://app.example/cb",
                &[("code", "a b"), ("state", "x&y")]
            ),
            "https://app.example/cb?code=a+b&state=x%26y"
        );
        assert_eq!(
            with_query("https://app.example/cb?tenant=1", &[("code", "c")]),
            "https://app.example/cb?tenant=1&code=c"
        );
    }

    /// A query or form that does not even parse is refused like any other bad request: the
    /// request line names `invalid_request`.
    #[tokio::test]
    async fn a_query_or_form_that_does_not_parse_is_refused_as_invalid_request() {
        let service = fixture::service();
        let too_large = format!("a={}", "x".repeat(MAX_BODY_BYTES));
        for (name, request) in [
            (
                "repeated parameter",
                fixture::get("client_id=a&client_id=b"),
            ),
            ("form not UTF-8", fixture::post("client_id=%FF")),
            ("form too large", fixture::post(too_large)),
        ] {
            let mut response = handle(request, &service).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
            let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
            assert!(text.contains("This sign-in link does not work"), "{name}");
            assert_eq!(
                RequestFacts::of(&mut response).error.as_deref(),
                Some("invalid_request"),
                "{name}"
            );
        }
    }
}
