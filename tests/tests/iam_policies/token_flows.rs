//! The token function's paths: every grant and its refusals, the per-address limit in storage
//! and then remembered, failed sign-ins up to the lockout, a sign-in while locked, a sign-in
//! beside a failed attempt counted after its time (the path whose `ConditionCheck` no policy
//! granted, issue 19), the same on a store whose windows are too large for one condition,
//! refresh rotation, reuse (which revokes the family), a replayed code (which does too).

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::clock::Clock;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::dynamo::DynamoStore;
use gatehouse_tests::request_log::RequestLog;
use gatehouse_tests::*;
use gatehouse_token::TokenService;

use crate::authorize_flows::{REDIRECT, VERIFIER};
use crate::flows::{clock_at, settings, Answer, Fixture, HOUR};

const ALICE: (&str, &str) = ("alice@example.com", "alice-demo-password");
const BOB: (&str, &str) = ("bob@example.com", "bob-demo-password");

/// The token function as its `main.rs` builds it.
pub fn function(
    store: DynamoStore,
    clock: Arc<dyn Clock>,
    rate_limit: RateLimitPolicy,
) -> TokenService {
    let runtime = Runtime::new(Arc::new(store), settings(rate_limit), clock);
    TokenService::new(&runtime, test_keys())
}

pub async fn call(service: &TokenService, event: TokenEvent) -> Answer {
    Answer::of(&gatehouse_token::handle(event.request(), service).await)
}

pub fn client_credentials(ip: &str) -> TokenEvent {
    TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:code:eu stock_location:code:ams"),
    ])
    .source_ip(ip)
}

pub fn password((email, password): (&str, &str), scope: &str) -> TokenEvent {
    TokenEvent::form(&[
        ("grant_type", "password"),
        ("client_id", STOREFRONT),
        ("username", email),
        ("password", password),
        ("scope", scope),
    ])
}

fn refresh(token: &str) -> TokenEvent {
    TokenEvent::form(&[
        ("grant_type", "refresh_token"),
        ("client_id", STOREFRONT),
        ("refresh_token", token),
    ])
}

fn wrong(email: &str) -> (&str, &str) {
    (email, "not-the-password")
}

/// Wrong passwords for `email` until the account is locked (an answer that says when to come
/// back), then its right password, refused while locked.
async fn lock(service: &TokenService, (email, right): (&str, &str)) {
    let limit = service.config.sign_in.from_address.limit;
    let mut locked = false;
    for _ in 0..=limit {
        let answer = call(service, password(wrong(email), "market:code:eu")).await;
        assert_eq!(answer.status, 400, "a wrong password: {}", answer.body);
        if answer.retry_after {
            locked = true;
            break;
        }
    }
    assert!(locked, "{email} was never locked");
    let answer = call(service, password((email, right), "market:code:eu"))
        .await
        .expect(400, "the right password while locked");
    assert!(answer.retry_after, "locked: {}", answer.body);
}

/// A failed attempt counted a second after a sign-in's time (another instance, whose clock
/// runs ahead), then that sign-in: the refresh family starts while the window still has room,
/// and only the attempts up to the sign-in are forgotten.
async fn sign_in_beside_a_later_failure(
    fixture: &Fixture,
    log: &RequestLog,
    store: DynamoStore,
    at: Duration,
) {
    let ahead = function(
        fixture.store(log).await,
        clock_at(at + Duration::from_secs(1)),
        RateLimitPolicy::default(),
    );
    call(&ahead, password(wrong(ALICE.0), "market:code:eu"))
        .await
        .expect(400, "a failure counted ahead");
    let now = function(store, clock_at(at), RateLimitPolicy::default());
    call(&now, password(ALICE, "market:code:eu"))
        .await
        .expect(200, "a sign-in beside a later failure");
}

pub async fn run(fixture: &Fixture, log: &RequestLog, code: String) {
    let clock = clock_at(Duration::ZERO);
    let main = function(
        fixture.store(log).await,
        clock.clone(),
        RateLimitPolicy::default(),
    );

    // client_credentials from a new address (its window is created), then again.
    let mut issued = None;
    for _ in 0..2 {
        let answer = call(&main, client_credentials("198.51.100.10"))
            .await
            .expect(200, "client_credentials");
        issued = answer.body["access_token"].as_str().map(str::to_owned);
    }
    // The status list the token names (its block of indexes was reserved above).
    let claims = verify(&issued.unwrap(), &test_keys(), clock.as_ref());
    let uri = claims.status.unwrap().status_list.uri;
    let path = uri.strip_prefix(ISSUER).unwrap();
    call(&main, TokenEvent::new().method("GET").path(path))
        .await
        .expect(200, "the token's status list");
    // Past the address's limit: refused in storage, then by this process alone.
    let tight = function(
        fixture.store(log).await,
        clock.clone(),
        RateLimitPolicy::new(1, 60).unwrap(),
    );
    call(&tight, client_credentials("198.51.100.11"))
        .await
        .expect(200, "the address's one request");
    for _ in 0..2 {
        call(&tight, client_credentials("198.51.100.11"))
            .await
            .expect(429, "the address past its limit");
    }

    // The authorization code from the sign-in page, then its replay (which revokes its tokens).
    let exchange = || {
        TokenEvent::form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .basic(WEBAPP, WEBAPP_SECRET)
    };
    call(&main, exchange())
        .await
        .expect(200, "a code exchanged");
    call(&main, exchange()).await.expect(400, "a code replayed");

    // Password: a sign-in; an unknown account; a scope the customer may not have, refused
    // after the password checked (and counted as a failure).
    let signed_in = call(&main, password(ALICE, "market:code:vip"))
        .await
        .expect(200, "a sign-in");
    call(
        &main,
        password(("nobody@example.com", "x"), "market:code:eu"),
    )
    .await
    .expect(400, "an unknown account");
    call(&main, password(BOB, "market:code:vip"))
        .await
        .expect(400, "a scope the customer may not have");
    lock(&main, BOB).await;

    // Refresh: rotated; the old token again at once (a retry); a garbage token (no hint: read
    // by its hash alone); the old token after the grace (reuse: the family is revoked); the
    // new one of that revoked family.
    let first = signed_in.body["refresh_token"].as_str().unwrap().to_owned();
    let rotated = call(&main, refresh(&first)).await.expect(200, "a rotation");
    call(&main, refresh(&first))
        .await
        .expect(400, "a retry within the grace");
    call(&main, refresh("not-a-refresh-token"))
        .await
        .expect(400, "an unknown refresh token");
    clock.advance(Duration::from_secs(60));
    call(&main, refresh(&first))
        .await
        .expect(400, "reuse after the grace");
    let second = rotated.body["refresh_token"].as_str().unwrap();
    call(&main, refresh(second))
        .await
        .expect(400, "a token of a revoked family");

    // A failed attempt counted beside a successful one, on both ways of checking a window,
    // and the lockout past one condition.
    sign_in_beside_a_later_failure(fixture, log, fixture.store(log).await, HOUR).await;
    let past_one_condition = || async { fixture.store(log).await.with_places_in_one_condition(1) };
    sign_in_beside_a_later_failure(fixture, log, past_one_condition().await, HOUR * 2).await;
    let fallback = function(
        past_one_condition().await,
        clock_at(HOUR * 3),
        RateLimitPolicy::default(),
    );
    call(&fallback, password(ALICE, "market:code:eu"))
        .await
        .expect(200, "a sign-in with no window yet");
    lock(&fallback, BOB).await;
}
