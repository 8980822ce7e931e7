//! Webapps: the authorization code flow through the authorize and token functions (API
//! Gateway v2 events), on both stores: the sign-in page, its refusals, the code exchange with
//! PKCE, every refusal of a code, and refresh.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_authorize::AuthorizeService;
use gatehouse_core::clock::Clock;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::model::Catalog;
use gatehouse_core::pkce::s256_challenge;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::secret::SecretHash;
use gatehouse_core::seed::{parse_seed, DEMO_SEED};
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

const REDIRECT: &str = "http://localhost:8080/callback";
const ADMIN: (&str, &str) = ("admin@example.com", "admin-demo-password");
const OTHER_WEBAPP: &str = "other-webapp";
const OTHER_WEBAPP_SECRET: &str = "other-webapp-secret-change-me-0123456789abcdef";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The demo seed and a second webapp with the same redirect URI.
fn catalog() -> Catalog {
    let mut seed: Value = serde_json::from_str(DEMO_SEED).unwrap();
    seed["applications"].as_array_mut().unwrap().push(json!({
        "id": "app_other", "mode": "test", "name": "Other webapp", "kind": "webapp",
        "client_id": OTHER_WEBAPP, "client_secret": OTHER_WEBAPP_SECRET,
        "token_lifetime": null, "redirect_uris": [REDIRECT]
    }));
    parse_seed(&seed.to_string()).unwrap()
}

/// The client address of the API Gateway event fixture (`requestContext.http.sourceIp`).
const FIXTURE_ADDRESS: &str = "203.0.113.7";

struct Flow {
    authorize: AuthorizeService,
    token: TokenService,
    clock: Arc<ManualClock>,
    /// Headers every form post carries (a trusted backend's forwarded address).
    forwarded: std::sync::Mutex<Vec<(String, String)>>,
}

/// An API Gateway v2 event for `/oauth/authorize`.
fn authorize_event(method: &str, query: &str, body: Option<&str>, cookie: Option<&str>) -> Value {
    let mut event = TokenEvent::new().method(method).event().clone();
    event["rawPath"] = json!("/oauth/authorize");
    event["requestContext"]["http"]["path"] = json!("/oauth/authorize");
    event["routeKey"] = json!(format!("{method} /oauth/authorize"));
    event["rawQueryString"] = json!(query);
    match body {
        Some(body) => {
            event["body"] = json!(body);
            event["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
        }
        None => {
            event["body"] = Value::Null;
            event["headers"]
                .as_object_mut()
                .unwrap()
                .remove("content-type");
        }
    }
    if let Some(cookie) = cookie {
        event["cookies"] = json!([cookie]);
    }
    event
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn text(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The query parameters of a redirect's Location.
fn location_params(response: &Response<Body>) -> Vec<(String, String)> {
    let location = header(response, "location").expect("a Location header");
    let (base, query) = location.split_once('?').expect("a query");
    assert!(base == REDIRECT, "{location}");
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The value of the page's hidden `csrf` field.
fn csrf_field(page: &str) -> String {
    let start = page.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    page[start..start + 43].to_owned()
}

/// `name=value` of the Set-Cookie header, as a browser would send it back.
fn cookie_of(response: &Response<Body>) -> String {
    header(response, "set-cookie")
        .expect("a Set-Cookie header")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn authorize_params(client_id: &str, challenge: Option<&str>) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("response_type", "code".to_owned()),
        ("client_id", client_id.to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("scope", "market:code:eu".to_owned()),
        ("state", "xyz-<state>&".to_owned()),
    ];
    if let Some(challenge) = challenge {
        params.push(("code_challenge", challenge.to_owned()));
        params.push(("code_challenge_method", "S256".to_owned()));
    }
    params
}

impl Flow {
    async fn on(store: Arc<dyn Store>) -> Self {
        Self::with_rate_limit(store, RateLimitPolicy::default())
    }

    /// The flow with `rate_limit` as the per-address limit of both endpoints.
    fn with_rate_limit(store: Arc<dyn Store>, rate_limit: RateLimitPolicy) -> Self {
        let clock = manual_clock();
        Self {
            authorize: authorize_service(store.clone(), clock.clone(), rate_limit),
            token: token_service(store, clock.clone(), rate_limit),
            clock,
            forwarded: Default::default(),
        }
    }

    /// The flow on a deployment that trusts backends presenting [`BACKEND_SECRET`].
    fn trusting_backends(store: Arc<dyn Store>, rate_limit: RateLimitPolicy) -> Self {
        let clock = manual_clock();
        let secret = gatehouse_edge::forwarded::BackendSecret::new(BACKEND_SECRET).unwrap();
        let runtime = runtime(store, clock.clone(), rate_limit).with_backend_secret(Some(secret));
        Self {
            authorize: AuthorizeService::new(&runtime),
            token: TokenService::new(&runtime, test_keys()),
            clock,
            forwarded: Default::default(),
        }
    }

    /// Every form post from now on sent as a trusted backend forwarding `address`.
    fn forward(&self, address: &str) {
        *self.forwarded.lock().unwrap() = vec![
            ("x-backend-auth".into(), BACKEND_SECRET.into()),
            ("x-true-client-ip".into(), address.into()),
        ];
    }

    async fn get(&self, query: &str) -> Response<Body> {
        let event = authorize_event("GET", query, None, None);
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        gatehouse_authorize::handle(request, &self.authorize).await
    }

    async fn post(&self, form: &str, cookie: Option<&str>) -> Response<Body> {
        self.post_from(FIXTURE_ADDRESS, form, cookie).await
    }

    async fn post_from(&self, address: &str, form: &str, cookie: Option<&str>) -> Response<Body> {
        let mut event = authorize_event("POST", "", Some(form), cookie);
        event["requestContext"]["http"]["sourceIp"] = json!(address);
        for (name, value) in self.forwarded.lock().unwrap().iter() {
            event["headers"][name] = json!(value);
        }
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        gatehouse_authorize::handle(request, &self.authorize).await
    }

    /// Opens the page, then submits its form with `email`, `password` and `action`.
    async fn sign_in(
        &self,
        params: &[(&'static str, String)],
        credentials: (&str, &str),
        action: &str,
    ) -> Response<Body> {
        self.sign_in_from(FIXTURE_ADDRESS, params, credentials, action)
            .await
    }

    /// [`Flow::sign_in`] with the form sent from `address`.
    async fn sign_in_from(
        &self,
        address: &str,
        params: &[(&'static str, String)],
        (email, password): (&str, &str),
        action: &str,
    ) -> Response<Body> {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = self.get(&query(&pairs)).await;
        assert_eq!(page.status(), 200, "{}", text(&page));
        let csrf = csrf_field(&text(&page));
        let mut form = pairs.clone();
        form.extend([
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("action", action),
        ]);
        self.post_from(address, &query(&form), Some(&cookie_of(&page)))
            .await
    }

    /// A code for the demo admin, approved for the demo webapp.
    async fn code(&self, challenge: Option<&str>) -> String {
        let response = self
            .sign_in(&authorize_params(WEBAPP, challenge), ADMIN, "allow")
            .await;
        assert_eq!(response.status(), 303, "{}", text(&response));
        let params = location_params(&response);
        assert_eq!(param(&params, "state"), Some("xyz-<state>&"));
        assert_eq!(param(&params, "iss"), Some(ISSUER));
        param(&params, "code").expect("a code").to_owned()
    }

    async fn exchange(
        &self,
        (client, secret): (&str, &str),
        code: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
    ) -> (u16, Value) {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        if let Some(verifier) = verifier {
            pairs.push(("code_verifier", verifier));
        }
        let event = TokenEvent::form(&pairs).basic(client, secret);
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        (response.status().as_u16(), body_json(&response))
    }

    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        let event = TokenEvent::form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .basic(WEBAPP, WEBAPP_SECRET);
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        (response.status().as_u16(), body_json(&response))
    }
}

fn refused_with(outcome: &(u16, Value), error: &str, description_part: &str) {
    let (status, body) = outcome;
    assert_eq!(
        (*status, body["error"].as_str()),
        (400, Some(error)),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains(description_part),
        "{body}"
    );
}

// ---------------------------------------------------------------- the flow ----------------

async fn a_user_signs_in_and_the_webapp_exchanges_the_code_with_pkce_for_owned_tokens(
    store: Arc<dyn Store>,
) {
    let flow = Flow::on(store).await;
    let challenge = s256_challenge(VERIFIER).unwrap();
    let code = flow.code(Some(&challenge)).await;
    // The code names what its exchange reads, so that all of it is read in one round trip.
    let hint = gatehouse_core::grant_hint::GrantHint::of(&code).expect("a hint");
    assert_eq!(
        (hint.owner_id.as_str(), hint.market_id.as_deref()),
        ("usr_admin", Some("mkt_eu"))
    );
    let (status, body) = flow
        .exchange((WEBAPP, WEBAPP_SECRET), &code, REDIRECT, Some(VERIFIER))
        .await;
    assert_eq!(status, 200, "{body}");
    // As the authorization request asked it (`authorize_params`).
    assert_eq!(body["scope"], "market:code:eu");
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["owner_id"], "usr_admin");
    assert_eq!(body["owner_type"], "user");
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &test_keys(),
        flow.clock.as_ref(),
    );
    let owner = claims.owner.expect("an owner");
    assert_eq!(
        (owner.id.as_str(), owner.owner_type.as_str()),
        ("usr_admin", "User")
    );
    assert_eq!(claims.application.client_id, WEBAPP);
    assert_eq!(claims.exp - claims.iat, 7200);
    assert!(claims.test);

    // Refresh, with the client secret, rotates as for sales channels.
    flow.clock.advance(Duration::from_secs(60));
    let (status, refreshed) = flow.refresh(body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["owner_type"], "user");
    assert_ne!(refreshed["refresh_token"], body["refresh_token"]);
    let without_secret = TokenEvent::form(&[
        ("grant_type", "refresh_token"),
        ("client_id", WEBAPP),
        (
            "refresh_token",
            refreshed["refresh_token"].as_str().unwrap(),
        ),
    ]);
    let response = gatehouse_token::handle(without_secret.request(), &flow.token).await;
    assert_eq!(response.status(), 401);
}

async fn a_second_use_of_a_code_is_refused_and_revokes_the_tokens_it_issued(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let code = flow.code(None).await;
    let (status, first) = flow
        .exchange((WEBAPP, WEBAPP_SECRET), &code, REDIRECT, None)
        .await;
    assert_eq!(status, 200, "{first}");
    let again = flow
        .exchange((WEBAPP, WEBAPP_SECRET), &code, REDIRECT, None)
        .await;
    refused_with(&again, "invalid_grant", "already used");
    let refresh = flow.refresh(first["refresh_token"].as_str().unwrap()).await;
    refused_with(&refresh, "invalid_grant", "revoked");
}

async fn of_ten_concurrent_exchanges_of_one_code_exactly_one_succeeds(store: Arc<dyn Store>) {
    let flow = Arc::new(Flow::on(Arc::clone(&store)).await);
    let code = flow.code(None).await;
    let outcomes = race(10, |_| {
        let (flow, code) = (Arc::clone(&flow), code.clone());
        async move {
            flow.exchange((WEBAPP, WEBAPP_SECRET), &code, REDIRECT, None)
                .await
        }
    })
    .await;
    let winners: Vec<&Value> = outcomes
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    for (status, body) in outcomes.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(
            (*status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    // Every loser was a second use of the code: RFC 6749 §4.1.2, the server "SHOULD revoke
    // (when possible) all tokens previously issued based on that authorization code". The
    // code is spent and the one family it started is revoked, the winner's token with it.
    let refresh = winners[0]["refresh_token"].as_str().unwrap();
    let issued = store
        .find_refresh_token(&SecretHash::of(refresh))
        .await
        .unwrap()
        .expect("the winner's refresh token is stored");
    assert!(issued.family_revoked);
    assert_eq!(issued.record.consumed_at, None);
    let code = store
        .find_authorization_code(&SecretHash::of(&code))
        .await
        .unwrap()
        .expect("the code is kept");
    assert_eq!(code.consumed_at, Some(flow.clock.now()));
    assert_eq!(code.family_id, issued.record.family_id);
    refused_with(&flow.refresh(refresh).await, "invalid_grant", "revoked");
}

async fn every_broken_binding_of_a_code_is_refused_and_leaves_it_unused(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let challenge = s256_challenge(VERIFIER).unwrap();
    let code = flow.code(Some(&challenge)).await;
    let webapp = (WEBAPP, WEBAPP_SECRET);
    let other_verifier = "a".repeat(43);
    refused_with(
        &flow
            .exchange(webapp, "not-a-code", REDIRECT, Some(VERIFIER))
            .await,
        "invalid_grant",
        "not valid",
    );
    refused_with(
        &flow
            .exchange(
                (OTHER_WEBAPP, OTHER_WEBAPP_SECRET),
                &code,
                REDIRECT,
                Some(VERIFIER),
            )
            .await,
        "invalid_grant",
        "not valid",
    );
    refused_with(
        &flow
            .exchange(
                webapp,
                &code,
                "http://localhost:8080/callback/",
                Some(VERIFIER),
            )
            .await,
        "invalid_grant",
        "redirect_uri",
    );
    refused_with(
        &flow.exchange(webapp, &code, REDIRECT, None).await,
        "invalid_grant",
        "code_verifier is required",
    );
    refused_with(
        &flow
            .exchange(webapp, &code, REDIRECT, Some(&other_verifier))
            .await,
        "invalid_grant",
        "does not match",
    );
    refused_with(
        &flow.exchange(webapp, &code, REDIRECT, Some("short")).await,
        "invalid_request",
        "code_verifier must be",
    );
    let (status, body) = flow.exchange(webapp, &code, "", Some(VERIFIER)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // None of that used the code up.
    let (status, body) = flow.exchange(webapp, &code, REDIRECT, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{body}");
}

async fn a_verifier_for_a_code_without_a_challenge_is_a_refused_downgrade(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let code = flow.code(None).await;
    refused_with(
        &flow
            .exchange((WEBAPP, WEBAPP_SECRET), &code, REDIRECT, Some(VERIFIER))
            .await,
        "invalid_grant",
        "no code_challenge",
    );
}

async fn a_code_expires_after_ten_minutes(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let code = flow.code(None).await;
    flow.clock.advance(Duration::from_secs(600));
    refused_with(
        &flow
            .exchange((WEBAPP, WEBAPP_SECRET), &code, REDIRECT, None)
            .await,
        "invalid_grant",
        "expired",
    );
}

// ---------------------------------------------------------------- the page ----------------

async fn the_sign_in_page_is_protected_escaped_and_names_the_app_and_scope(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let params = authorize_params(WEBAPP, None);
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = flow.get(&query(&pairs)).await;
    assert_eq!(page.status(), 200);
    let csp = header(&page, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(
        csp.contains("form-action 'self' http://localhost:8080"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(header(&page, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&page, "cache-control"), Some("no-store"));
    assert_eq!(
        header(&page, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let cookie = header(&page, "set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-gatehouse-csrf="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure")
    );
    let html = text(&page);
    assert!(
        html.contains("Sign in to continue to Demo back office"),
        "{html}"
    );
    assert!(html.contains("Europe (market 1001)"), "{html}");
    assert!(!html.contains("<script"), "no script at all");
    // Enter in a field submits with the form's first submit button: it must be "allow".
    let first_button = html.find("<button").expect("a button");
    assert!(
        html[first_button..]
            .starts_with(r#"<button class="primary" type="submit" name="action" value="allow""#),
        "{html}"
    );
    assert!(
        html.contains("xyz-&lt;state&gt;&amp;"),
        "the state is escaped"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external asset"
    );
}

async fn an_untrusted_client_or_redirect_uri_gets_an_error_page_and_never_a_redirect(
    store: Arc<dyn Store>,
) {
    let flow = Flow::on(store).await;
    let long_client_id = "c".repeat(3000);
    let cases: [(&str, &[(&str, &str)]); 7] = [
        (
            "a client_id no record could have",
            &[
                ("response_type", "code"),
                ("client_id", &long_client_id),
                ("redirect_uri", REDIRECT),
            ],
        ),
        (
            "no client_id",
            &[("response_type", "code"), ("redirect_uri", REDIRECT)],
        ),
        (
            "an unknown client",
            &[
                ("response_type", "code"),
                ("client_id", "nobody"),
                ("redirect_uri", REDIRECT),
            ],
        ),
        (
            "a sales channel",
            &[
                ("response_type", "code"),
                ("client_id", STOREFRONT),
                ("redirect_uri", REDIRECT),
            ],
        ),
        (
            "no redirect_uri",
            &[("response_type", "code"), ("client_id", WEBAPP)],
        ),
        (
            "an unregistered redirect_uri",
            &[
                ("response_type", "code"),
                ("client_id", WEBAPP),
                ("redirect_uri", "https://evil.example/cb"),
            ],
        ),
        (
            "a redirect_uri that only starts like one",
            &[
                ("response_type", "code"),
                ("client_id", WEBAPP),
                ("redirect_uri", "http://localhost:8080/callback.evil"),
            ],
        ),
    ];
    for (name, pairs) in cases {
        for response in [
            flow.get(&query(pairs)).await,
            flow.post(&query(pairs), None).await,
        ] {
            assert_eq!(response.status(), 400, "{name}");
            assert!(header(&response, "location").is_none(), "{name}");
            assert!(
                text(&response).contains("This sign-in link does not work"),
                "{name}"
            );
            assert_eq!(header(&response, "x-frame-options"), Some("DENY"), "{name}");
        }
    }
}

async fn other_errors_go_back_to_the_client_with_their_state(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let base = [
        ("client_id", WEBAPP),
        ("redirect_uri", REDIRECT),
        ("state", "s1"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        query(&pairs)
    };
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[], "invalid_request"),
        (
            &[
                ("response_type", "code"),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
            ],
            "invalid_request",
        ),
        (
            &[
                ("response_type", "code"),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            &[("response_type", "code"), ("scope", "market:1003")],
            "invalid_scope",
        ),
        (
            &[("response_type", "code"), ("scope", "market:9999")],
            "invalid_scope",
        ),
        (
            &[("response_type", "code"), ("scope", "warehouse:1")],
            "invalid_scope",
        ),
    ];
    for (extra, error) in cases {
        let response = flow.get(&with(extra)).await;
        assert_eq!(response.status(), 303, "{extra:?}: {}", text(&response));
        let params = location_params(&response);
        assert_eq!(param(&params, "error"), Some(error), "{extra:?}");
        assert_eq!(param(&params, "state"), Some("s1"));
        assert_eq!(param(&params, "iss"), Some(ISSUER));
        assert!(param(&params, "error_description").is_some_and(|d| !d.is_empty()));
        assert!(param(&params, "code").is_none());
    }
}

async fn a_form_without_its_csrf_cookie_is_refused(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let params = authorize_params(WEBAPP, None);
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = flow.get(&query(&pairs)).await;
    let csrf = csrf_field(&text(&page));
    let mut form = pairs.clone();
    form.extend([
        ("csrf", csrf.as_str()),
        ("email", ADMIN.0),
        ("password", ADMIN.1),
    ]);
    let forged_value = format!("__Host-gatehouse-csrf={}", "A".repeat(43));
    for cookie in [None, Some(forged_value.as_str())] {
        let response = flow.post(&query(&form), cookie).await;
        assert_eq!(response.status(), 403);
        assert!(header(&response, "location").is_none());
        assert!(text(&response).contains("This page expired"));
    }
}

/// The sign-in protection at its defaults, on the sign-in page: wrong passwords and unknown
/// emails get one answer until the address is held off the account; the user signs in from
/// elsewhere; many addresses hold every address off, until the oldest failure leaves the hour.
async fn one_guessing_address_is_held_off_alone_and_many_hold_the_account_for_the_window(
    store: Arc<dyn Store>,
) {
    let flow = Flow::on(store).await;
    let policy = gatehouse_core::sign_in::SignInPolicy::default();
    let params = authorize_params(WEBAPP, None);
    let attacker = "198.51.100.9";
    let unknown = flow
        .sign_in_from(
            attacker,
            &params,
            ("nobody@example.com", "whatever"),
            "allow",
        )
        .await;
    assert_eq!(unknown.status(), 401);
    assert!(text(&unknown).contains("The email or password is not valid."));
    for _ in 0..policy.from_address.limit {
        let wrong = flow
            .sign_in_from(attacker, &params, (ADMIN.0, "wrong password"), "allow")
            .await;
        assert_eq!(wrong.status(), 401);
        assert!(text(&wrong).contains("The email or password is not valid."));
        assert!(header(&wrong, "location").is_none());
    }
    let held = flow.sign_in_from(attacker, &params, ADMIN, "allow").await;
    assert_eq!(held.status(), 429, "the right password, but held off");
    assert!(text(&held).contains("Too many failed sign-ins to this account from your network"));
    assert_eq!(header(&held, "retry-after"), Some("900"));
    // The user, elsewhere, signs in.
    assert_eq!(flow.sign_in(&params, ADMIN, "allow").await.status(), 303);

    // Addresses enough to fill the account's hour (the attacker's failures count in it too).
    let addresses = policy.account.limit / policy.from_address.limit;
    for i in 0..addresses {
        for _ in 0..policy.from_address.limit {
            let address = format!("2001:db8:{i}::9");
            let response = flow
                .sign_in_from(&address, &params, (ADMIN.0, "wrong password"), "allow")
                .await;
            assert!([401, 429].contains(&response.status().as_u16()));
        }
    }
    let held = flow.sign_in(&params, ADMIN, "allow").await;
    assert_eq!(held.status(), 429);
    assert!(text(&held).contains("Too many failed sign-ins to this account: try again in"));
    flow.clock.advance(Duration::from_secs(3600));
    assert_eq!(flow.sign_in(&params, ADMIN, "allow").await.status(), 303);
}

/// One address may try passwords at the token endpoint's rate, on its own count: past it, a
/// 429 page, and the attempts it refuses cost no account its lockout count.
async fn one_address_past_its_limit_gets_a_429_page_and_costs_no_account_an_attempt(
    store: Arc<dyn Store>,
) {
    let flow = Flow::with_rate_limit(store, RateLimitPolicy::new(3, 60).unwrap());
    let params = authorize_params(WEBAPP, None);
    let guesser = "198.51.100.7";
    for remaining in ["2", "1", "0"] {
        let wrong = flow
            .sign_in_from(guesser, &params, (ADMIN.0, "wrong password"), "allow")
            .await;
        assert_eq!(wrong.status(), 401);
        assert_eq!(header(&wrong, "ratelimit-remaining"), Some(remaining));
    }
    // More than the sign-in protection (5 per account and address) would allow, had they
    // been counted against it.
    for _ in 0..12 {
        let refused = flow
            .sign_in_from(guesser, &params, (ADMIN.0, "wrong password"), "allow")
            .await;
        assert_eq!(refused.status(), 429);
        assert!(text(&refused).contains("Too many sign-in attempts from your network"));
        assert_eq!(header(&refused, "retry-after"), Some("60"));
        assert_eq!(header(&refused, "ratelimit-remaining"), Some("0"));
        assert!(header(&refused, "location").is_none());
    }
    // Viewing the page is not an attempt: it still opens from that address.
    assert_eq!(
        flow.get(&query(
            &params
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>()
        ))
        .await
        .status(),
        200
    );
    // Another address (IPv6, keyed by its /64) signs in: the account was not locked.
    let signed_in = flow
        .sign_in_from("2001:db8:1:2::7", &params, ADMIN, "allow")
        .await;
    assert_eq!(signed_in.status(), 303, "{}", text(&signed_in));
    // The guesser's window frees its oldest place 60 s after it was taken.
    flow.clock.advance(Duration::from_secs(60));
    assert_eq!(
        flow.sign_in_from(guesser, &params, ADMIN, "allow")
            .await
            .status(),
        303
    );
}

async fn cancel_sends_the_user_back_with_access_denied(store: Arc<dyn Store>) {
    let flow = Flow::on(store).await;
    let response = flow
        .sign_in(&authorize_params(WEBAPP, None), ("", ""), "deny")
        .await;
    assert_eq!(response.status(), 303);
    let params = location_params(&response);
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(param(&params, "state"), Some("xyz-<state>&"));
}

/// A deleted application's codes and refresh tokens die with it, even when a new application
/// takes over its client_id: they are bound to the application's id.
async fn a_new_application_with_a_deleted_ones_client_id_inherits_none_of_its_tokens(
    store: Arc<dyn Store>,
) {
    let flow = Flow::on(Arc::clone(&store)).await;
    let admin = admin_service(Arc::clone(&store), flow.clock.clone());
    let unused_code = flow.code(None).await;
    let (status, tokens) = flow
        .exchange(
            (WEBAPP, WEBAPP_SECRET),
            &flow.code(None).await,
            REDIRECT,
            None,
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    admin
        .delete(WEBAPP, &gatehouse_admin::Caller::new("test-admin"))
        .await
        .unwrap();
    let created = admin
        .create(
            gatehouse_admin::NewApplication {
                name: "Same client_id, new application".into(),
                kind: gatehouse_core::model::ApplicationKind::Webapp,
                mode: gatehouse_core::model::Mode::Test,
                confidential: None,
                client_id: Some(WEBAPP.into()),
                token_lifetime: None,
                redirect_uris: vec![REDIRECT.into()],
                grant_types: None,
                jwt_bearer: None,
            },
            &gatehouse_admin::Caller::new("test-admin"),
        )
        .await
        .unwrap();
    let secret = created.client_secret.expect("a webapp has a secret");

    let exchange = flow
        .exchange((WEBAPP, &secret), &unused_code, REDIRECT, None)
        .await;
    refused_with(&exchange, "invalid_grant", "not valid");
    let event = TokenEvent::form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ])
    .basic(WEBAPP, &secret);
    let response = gatehouse_token::handle(event.request(), &flow.token).await;
    refused_with(
        &(response.status().as_u16(), body_json(&response)),
        "invalid_grant",
        "not valid",
    );
    let revoke = revoke_service(store, flow.clock.clone());
    let event = TokenEvent::form(&[("token", refresh_token)]).basic(WEBAPP, &secret);
    let response = gatehouse_revoke::handle(event.request(), &revoke).await;
    assert_eq!(response.status(), 403, "{}", body_json(&response));
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(dynamo_store_holding(&catalog()).await)
}

const BACKEND_SECRET: &str = "sign-in-backend-secret-0123456789abcdef";

/// A server that relays its users' sign-ins, trusted: each forwarded address has its own
/// count of attempts (here 2 a minute), and a forwarded address that is none is a 400 page.
async fn a_trusted_backends_sign_ins_are_counted_by_the_forwarded_address(store: Arc<dyn Store>) {
    let flow = Flow::trusting_backends(store, RateLimitPolicy::new(2, 60).unwrap());
    let params = authorize_params(WEBAPP, None);
    let wrong = (ADMIN.0, "wrong password");
    for n in 1..=4 {
        flow.forward(&format!("198.18.3.{n}"));
        let response = flow.sign_in(&params, wrong, "allow").await;
        assert_ne!(response.status(), 429, "user {n}: {}", text(&response));
    }
    flow.forward("198.18.4.1");
    for expected in [200, 200, 429] {
        let response = flow.sign_in(&params, wrong, "allow").await;
        assert_eq!(
            response.status() == 429,
            expected == 429,
            "{}",
            text(&response)
        );
    }
    flow.forward("a shopper");
    let response = flow.sign_in(&params, wrong, "allow").await;
    assert_eq!(response.status(), 400, "{}", text(&response));
    assert!(
        text(&response).contains("x-true-client-ip"),
        "{}",
        text(&response)
    );
}

on_both_stores!(crate::memory, crate::dynamodb;
    a_trusted_backends_sign_ins_are_counted_by_the_forwarded_address,
    a_new_application_with_a_deleted_ones_client_id_inherits_none_of_its_tokens,
    a_user_signs_in_and_the_webapp_exchanges_the_code_with_pkce_for_owned_tokens,
    a_second_use_of_a_code_is_refused_and_revokes_the_tokens_it_issued,
    of_ten_concurrent_exchanges_of_one_code_exactly_one_succeeds,
    every_broken_binding_of_a_code_is_refused_and_leaves_it_unused,
    a_verifier_for_a_code_without_a_challenge_is_a_refused_downgrade,
    a_code_expires_after_ten_minutes,
    the_sign_in_page_is_protected_escaped_and_names_the_app_and_scope,
    an_untrusted_client_or_redirect_uri_gets_an_error_page_and_never_a_redirect,
    other_errors_go_back_to_the_client_with_their_state,
    a_form_without_its_csrf_cookie_is_refused,
    one_guessing_address_is_held_off_alone_and_many_hold_the_account_for_the_window,
    one_address_past_its_limit_gets_a_429_page_and_costs_no_account_an_attempt,
    cancel_sends_the_user_back_with_access_denied,
);
