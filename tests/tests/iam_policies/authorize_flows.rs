//! The authorize function's paths: the sign-in page, a sign-in that issues a code, wrong
//! passwords up to the account's lockout, a client address past its limit, a success that
//! clears the account's window while a later failure stays counted, and the same on a store
//! whose windows are too large for one condition (it reads and rewrites them instead).

use std::sync::Arc;
use std::time::Duration;

use gatehouse_authorize::AuthorizeService;
use gatehouse_core::clock::Clock;
use gatehouse_core::pkce::s256_challenge;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::dynamo::DynamoStore;
use gatehouse_tests::request_log::RequestLog;
use gatehouse_tests::*;
use serde_json::{json, Value};

use crate::flows::{clock_at, settings, Answer, Fixture, HOUR};

pub const REDIRECT: &str = "http://localhost:8080/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "admin-demo-password";

/// The authorize function as its `main.rs` builds it.
fn function(store: DynamoStore, clock: Arc<dyn Clock>, rate_limit: RateLimitPolicy) -> Page {
    let runtime = Runtime::new(Arc::new(store), settings(rate_limit), clock);
    Page(AuthorizeService::new(&runtime))
}

struct Page(AuthorizeService);

fn event(method: &str, query: &str, body: Option<&str>, cookie: Option<&str>, ip: &str) -> Value {
    let mut event = TokenEvent::new()
        .method(method)
        .source_ip(ip)
        .event()
        .clone();
    event["rawPath"] = json!("/oauth/authorize");
    event["requestContext"]["http"]["path"] = json!("/oauth/authorize");
    event["routeKey"] = json!(format!("{method} /oauth/authorize"));
    event["rawQueryString"] = json!(query);
    let headers = event["headers"].as_object_mut().unwrap();
    headers.remove("content-type");
    match body {
        Some(body) => {
            headers.insert(
                "content-type".into(),
                json!("application/x-www-form-urlencoded"),
            );
            event["body"] = json!(body);
        }
        None => event["body"] = Value::Null,
    }
    if let Some(cookie) = cookie {
        event["cookies"] = json!([cookie]);
    }
    event
}

fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Page {
    async fn send(&self, event: Value) -> lambda_http::Response<lambda_http::Body> {
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        gatehouse_authorize::handle(request, &self.0).await
    }

    /// Opens the sign-in page, then submits its form from `ip`.
    async fn sign_in(&self, ip: &str, email: &str, password: &str, action: &str) -> Answer {
        let challenge = s256_challenge(VERIFIER).unwrap();
        let params = [
            ("response_type", "code"),
            ("client_id", WEBAPP),
            ("redirect_uri", REDIRECT),
            ("scope", "market:code:eu"),
            ("state", "s"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let page = self
            .send(event("GET", &encode(&params), None, None, ip))
            .await;
        assert_eq!(page.status(), 200, "the sign-in page");
        let html = String::from_utf8_lossy(page.body().as_ref()).into_owned();
        let start = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
        let csrf = &html[start..start + 43];
        let cookie = page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut form = params.to_vec();
        form.extend([
            ("csrf", csrf),
            ("email", email),
            ("password", password),
            ("action", action),
        ]);
        let response = self
            .send(event("POST", "", Some(&encode(&form)), Some(&cookie), ip))
            .await;
        let mut answer = Answer::of(&response);
        if let Some(location) = response.headers().get("location") {
            answer.body = json!(location.to_str().unwrap());
        }
        answer
    }

    /// Wrong passwords for `email` until the account is locked (a 429 that says when to come
    /// back), at most its limit and one more.
    async fn lock(&self, ip: &str, email: &str, limit: u32) {
        for _ in 0..=limit {
            let answer = self.sign_in(ip, email, "not-the-password", "allow").await;
            if answer.status == 429 && answer.retry_after {
                return;
            }
            answer.expect(401, "a wrong password");
        }
        panic!("{email} was never locked");
    }
}

/// Runs the authorize function's paths; returns a code it issued for the demo webapp (PKCE
/// verifier [`VERIFIER`]), for the token function to redeem.
pub async fn run(fixture: &Fixture, log: &RequestLog) -> String {
    let lockout = settings(RateLimitPolicy::default())
        .sign_in
        .from_address
        .limit;
    let per_address = RateLimitPolicy::default();
    let page = function(
        fixture.store(log).await,
        clock_at(Duration::ZERO),
        per_address,
    );

    // A sign-in that issues a code (the first from its address and for its account).
    let issued = page
        .sign_in("198.51.100.30", ADMIN_EMAIL, ADMIN_PASSWORD, "allow")
        .await
        .expect(303, "a sign-in");
    let location = issued.body.as_str().unwrap().to_owned();
    let code = form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(name, _)| name == "code")
        .expect("a code")
        .1
        .into_owned();
    // Declined: back to the webapp with access_denied, and nothing counted.
    page.sign_in("198.51.100.30", ADMIN_EMAIL, "", "deny")
        .await
        .expect(303, "declined");
    // Unknown account, then wrong passwords until the account is locked.
    page.sign_in("198.51.100.30", "nobody@example.com", "x", "allow")
        .await
        .expect(401, "an unknown account");
    page.lock("198.51.100.30", ADMIN_EMAIL, lockout).await;

    // An address past its own limit: refused before any account is counted.
    let tight = function(
        fixture.store(log).await,
        clock_at(HOUR),
        RateLimitPolicy::new(1, 60).unwrap(),
    );
    tight
        .sign_in("198.51.100.31", ADMIN_EMAIL, "wrong", "allow")
        .await
        .expect(401, "the address's one attempt");
    tight
        .sign_in("198.51.100.31", ADMIN_EMAIL, "wrong", "allow")
        .await
        .expect(429, "the address past its limit");

    // A failure counted a second after a success's time (another instance, whose clock runs
    // ahead): the success clears the window but keeps that failure.
    for (hour, store) in [
        (2, fixture.store(log).await),
        (3, fixture.store(log).await.with_places_in_one_condition(1)),
    ] {
        let at = HOUR * hour;
        let ahead = function(
            fixture.store(log).await,
            clock_at(at + Duration::from_secs(1)),
            per_address,
        );
        ahead
            .sign_in("198.51.100.32", ADMIN_EMAIL, "wrong", "allow")
            .await
            .expect(401, "a failure counted ahead");
        let now = function(store, clock_at(at), per_address);
        now.sign_in("198.51.100.32", ADMIN_EMAIL, ADMIN_PASSWORD, "allow")
            .await
            .expect(303, "a success beside a later failure");
        if hour == 3 {
            // Past one condition, the lockout too.
            now.lock("198.51.100.32", ADMIN_EMAIL, lockout).await;
        }
    }
    code
}
