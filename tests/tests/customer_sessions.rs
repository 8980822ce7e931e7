//! Customers through the token and revocation functions (API Gateway v2 events): the password
//! grant, refresh-token rotation and reuse detection, login lockout, and revocation.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::clock::{Clock, ManualClock};
use gatehouse_core::grant_hint::GrantHint;
use gatehouse_core::model::{Mode, OwnerType, RefreshTokenRecord};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::secret::SecretHash;
use gatehouse_core::sign_in::SignInPolicy;
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::runtime::Runtime;
use gatehouse_revoke::RevokeService;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::{Import, RefreshTokens, Store};
use gatehouse_tests::*;
use gatehouse_token::{handle, TokenService};
use serde_json::{json, Value};

const ALICE: (&str, &str) = ("alice@example.com", "alice-demo-password"); // in the VIP group
const BOB: (&str, &str) = ("bob@example.com", "bob-demo-password"); // in no group

struct Session {
    runtime: Runtime<dyn Store>,
    service: TokenService,
    revoke: RevokeService,
    clock: Arc<ManualClock>,
}

impl Session {
    fn on(store: Arc<dyn Store>) -> Self {
        let clock = manual_clock();
        let runtime = runtime(
            Arc::clone(&store),
            clock.clone(),
            RateLimitPolicy::default(),
        );
        Self {
            service: TokenService::new(&runtime, test_keys()),
            revoke: RevokeService::new(&runtime, test_verifier()),
            runtime,
            clock,
        }
    }

    /// The token function again, on the same store and clock, with `change` made to its
    /// configuration.
    fn configure(&mut self, change: impl FnOnce(&mut ServiceConfig)) {
        change(&mut self.runtime.config);
        self.service = TokenService::new(&self.runtime, test_keys());
    }

    fn new() -> Self {
        Self::on(Arc::new(MemoryStore::from_catalog(&demo_catalog())))
    }

    async fn post(&self, pairs: &[(&str, &str)]) -> (u16, http::HeaderMap, Value) {
        let response = handle(TokenEvent::form(pairs).request(), &self.service).await;
        (
            response.status().as_u16(),
            response.headers().clone(),
            body_json(&response),
        )
    }

    async fn login(&self, (email, password): (&str, &str), scope: &str) -> (u16, Value) {
        let (status, _, body) = self
            .post(&[
                ("grant_type", "password"),
                ("client_id", STOREFRONT),
                ("username", email),
                ("password", password),
                ("scope", scope),
            ])
            .await;
        (status, body)
    }

    async fn refresh(&self, refresh_token: &str, scope: Option<&str>) -> (u16, Value) {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("client_id", STOREFRONT),
            ("refresh_token", refresh_token),
        ];
        if let Some(scope) = scope {
            pairs.push(("scope", scope));
        }
        let (status, _, body) = self.post(&pairs).await;
        (status, body)
    }

    async fn revoke(&self, body: Value) -> (u16, Value) {
        let response =
            gatehouse_revoke::handle(TokenEvent::json(&body).request(), &self.revoke).await;
        (response.status().as_u16(), body_json(&response))
    }

    fn advance(&self, duration: Duration) {
        self.clock.advance(duration);
    }
}

fn refresh_token(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

#[tokio::test]
async fn a_customer_logs_in_and_gets_an_owned_token_with_a_refresh_token() {
    let session = Session::new();
    let (status, body) = session.login(BOB, "market:1001").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["owner_id"].as_str(), body["owner_type"].as_str()),
        (Some("cus_bob"), Some("customer"))
    );
    assert_eq!(body["scope"], "market:1001");
    assert_eq!(body["expires_in"], 14_400);
    let refresh = refresh_token(&body);
    assert!(refresh.len() >= 43, "at least 256 bits, base64url");
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &test_keys(),
        session.clock.as_ref(),
    );
    let owner = claims.owner.expect("an owner claim");
    assert_eq!(
        (owner.id.as_str(), owner.owner_type.as_str()),
        ("cus_bob", "Customer")
    );
    assert_eq!(claims.iat, session.clock.now().floor_seconds().0);
}

#[tokio::test]
async fn emails_match_whatever_their_case() {
    let (status, body) = Session::new()
        .login(("  Bob@Example.COM", BOB.1), "market:1001")
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let session = Session::new();
    let (s1, wrong_password) = session
        .login((BOB.0, "not-bobs-password"), "market:1001")
        .await;
    let (s2, unknown_email) = session
        .login(("nobody@example.com", BOB.1), "market:1001")
        .await;
    assert_eq!((s1, s2), (400, 400));
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password["error"], "invalid_grant");
}

#[tokio::test]
async fn a_private_market_is_granted_to_its_groups_customers_only() {
    let session = Session::new();
    let (status, body) = session.login(ALICE, "market:code:vip").await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("market:code:vip")),
        "{body}"
    );
    let (status, body) = session.login(BOB, "market:code:vip").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope")),
        "{body}"
    );
    let (status, body) = session.login(BOB, "").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope")),
        "a sales channel must scope a market: {body}"
    );
}

#[tokio::test]
async fn the_password_grant_needs_its_parameters_and_a_sales_channel() {
    let session = Session::new();
    let (status, _, body) = session
        .post(&[
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", BOB.0),
            ("scope", "market:1001"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (status, _, body) = session
        .post(&[
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("password", BOB.1),
            ("scope", "market:1001"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (status, body) = session
        .login(
            (&format!("{}@example.com", "x".repeat(300)), "p"),
            "market:1001",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn an_account_locks_after_the_configured_failures_and_unlocks_when_they_age_out() {
    let mut session = Session::new();
    session.configure(|config| config.sign_in = SignInPolicy::new((3, 900), (50, 3600)).unwrap());
    for _ in 0..3 {
        assert_eq!(session.login((BOB.0, "wrong"), "market:1001").await.0, 400);
    }
    let response = handle(
        TokenEvent::form(&[
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", BOB.0),
            ("password", BOB.1),
            ("scope", "market:1001"),
        ])
        .request(),
        &session.service,
    )
    .await;
    assert_eq!(
        response.status(),
        400,
        "locked even with the right password"
    );
    let body = body_json(&response);
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("too many failed sign-ins to this account from your network"),
        "{body}"
    );
    assert_eq!(response.headers()["retry-after"], "900");
    // Another customer is not affected; an unknown email locks the same way.
    assert_eq!(session.login(ALICE, "market:1001").await.0, 200);
    session.advance(Duration::from_secs(900));
    assert_eq!(session.login(BOB, "market:1001").await.0, 200);
}

#[tokio::test]
async fn a_right_password_with_a_scope_it_may_not_have_is_told_so_only_while_the_window_has_room() {
    let mut session = Session::new();
    session.configure(|config| config.sign_in = SignInPolicy::new((3, 900), (50, 3600)).unwrap());
    // Bob is in no group: the VIP market (1003) is not his to ask for.
    let (status, body) = session.login(BOB, "market:1003").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    for _ in 0..2 {
        assert_eq!(session.login((BOB.0, "wrong"), "market:1001").await.0, 400);
    }
    // Three attempts counted (the scope error among them): now held off, and a right password
    // with that scope must not tell a guesser it was right.
    let (status, body) = session.login(BOB, "market:1003").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("too many failed sign-ins"),
        "{body}"
    );
}

/// A session on an embedded store the test can reach, after `customer` logged in for `scope`,
/// with the record of the refresh token they got.
async fn logged_in_on_a_store_of_its_own(
    customer: (&str, &str),
    scope: &str,
) -> (Session, Arc<MemoryStore>, RefreshTokenRecord) {
    let store = Arc::new(MemoryStore::from_catalog(&demo_catalog()));
    let session = Session::on(store.clone());
    let (status, body) = session.login(customer, scope).await;
    assert_eq!(status, 200, "{body}");
    let record = store
        .find_refresh_token(&SecretHash::of(&refresh_token(&body)))
        .await
        .unwrap()
        .expect("stored")
        .record;
    (session, store, record)
}

#[tokio::test]
async fn a_refresh_token_issued_without_a_hint_still_refreshes() {
    let session = Session::new();
    let (status, body) = session.login(BOB, "market:1001").await;
    assert_eq!(status, 200, "{body}");
    let hinted = refresh_token(&body);
    let (secret, hint) = hinted.split_once('.').expect("new tokens carry a hint");
    assert!(GrantHint::of(&hinted).is_some(), "{hint}");
    // A value without its hint is another (unknown) token...
    assert_eq!(session.refresh(secret, None).await.0, 400);
    // ...and a token stored before hints existed is read the slower way.
    let (session, store, record) = logged_in_on_a_store_of_its_own(ALICE, "market:1003").await;
    let old_style = RefreshTokenRecord {
        token_hash: SecretHash::of("an-old-style-token-without-any-hint-0123456789"),
        family_id: format!("{}-old", record.family_id),
        // Kept before answers were kept: the refresh answers the scope's normal form.
        scope: None,
        ..record
    };
    store.create_refresh_token(&old_style).await.unwrap();
    let (status, body) = session
        .refresh("an-old-style-token-without-any-hint-0123456789", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "market:1003");
    assert!(
        GrantHint::of(&refresh_token(&body)).is_some(),
        "its successor has one"
    );
}

#[tokio::test]
async fn a_hint_that_names_other_records_than_the_tokens_own_is_not_believed() {
    let (session, store, record) = logged_in_on_a_store_of_its_own(BOB, "market:1001").await;
    // A value whose hint names Alice and her VIP market, stored (hash and all) as Bob's token
    // for market 1001: only a broken server could issue it, and it must still act as Bob's.
    let lying = GrantHint {
        mode: Mode::Test,
        family_id: format!("{}-lying", record.family_id),
        owner_id: "cus_alice".into(),
        owner_type: OwnerType::Customer,
        market_id: Some("mkt_vip".into()),
        stock_location_ids: vec![],
    }
    .attach_to("lying-secret-0123456789".into());
    store
        .create_refresh_token(&RefreshTokenRecord {
            token_hash: SecretHash::of(&lying),
            family_id: format!("{}-lying", record.family_id),
            ..record
        })
        .await
        .unwrap();
    let (status, body) = session.refresh(&lying, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["owner_id"], "cus_bob");
    assert_eq!(body["scope"], "market:1001");
}

#[tokio::test]
async fn a_successful_login_clears_the_failures() {
    let mut session = Session::new();
    session.configure(|config| config.sign_in = SignInPolicy::new((3, 900), (50, 3600)).unwrap());
    for _ in 0..2 {
        assert_eq!(session.login((BOB.0, "wrong"), "market:1001").await.0, 400);
    }
    assert_eq!(session.login(BOB, "market:1001").await.0, 200);
    for _ in 0..2 {
        assert_eq!(session.login((BOB.0, "wrong"), "market:1001").await.0, 400);
    }
    assert_eq!(session.login(BOB, "market:1001").await.0, 200);
}

#[tokio::test]
async fn each_refresh_rotates_the_token_and_keeps_the_scope() {
    let session = Session::new();
    let (_, login) = session.login(BOB, "market:1001").await;
    let first = refresh_token(&login);
    session.advance(Duration::from_secs(60));
    let (status, body) = session.refresh(&first, None).await;
    assert_eq!(status, 200, "{body}");
    let second = refresh_token(&body);
    assert_ne!(first, second);
    assert_eq!(
        (body["scope"].as_str(), body["owner_id"].as_str()),
        (Some("market:1001"), Some("cus_bob"))
    );
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &test_keys(),
        session.clock.as_ref(),
    );
    assert_eq!(claims.owner.unwrap().id, "cus_bob");
    let (status, body) = session.refresh(&second, None).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_narrower_scope_may_be_asked_for_and_a_wider_one_is_refused() {
    let session = Session::new();
    let (_, login) = session.login(BOB, "market:1001").await;
    let (status, body) = session
        .refresh(
            &refresh_token(&login),
            Some("market:1001 stock_location:code:ams"),
        )
        .await;
    // The narrower scope, as the refresh asked it.
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("market:1001 stock_location:code:ams")),
        "{body}"
    );
    // RFC 6749 §6: the new refresh token keeps the original grant's scope.
    let (status, body) = session.refresh(&refresh_token(&body), None).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("market:1001")),
        "{body}"
    );

    let (_, narrow) = session.login(BOB, "market:1001 stock_location:101").await;
    let narrow = refresh_token(&narrow);
    for wider in [
        "market:1001",
        "market:1001 stock_location:102",
        "market:1002",
        "market:all",
    ] {
        let (status, body) = session.refresh(&narrow, Some(wider)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{wider}: {body}"
        );
    }
    let (status, _) = session.refresh(&narrow, None).await;
    assert_eq!(status, 200, "refused scopes did not consume the token");
}

#[tokio::test]
async fn a_refresh_needs_the_market_still_active_and_the_customer_still_in_its_group() {
    let store = Arc::new(MemoryStore::from_catalog(&demo_catalog()));
    let session = Session::on(store.clone());
    let (_, eu) = session.login(BOB, "market:1001").await;
    let (_, vip) = session.login(ALICE, "market:1003").await;

    let mut catalog = demo_catalog();
    catalog
        .markets
        .iter_mut()
        .find(|m| m.id == "mkt_eu")
        .unwrap()
        .active = false;
    catalog
        .customers
        .iter_mut()
        .find(|c| c.id == "cus_alice")
        .unwrap()
        .customer_group_id = None;
    store.import(&catalog).await.unwrap();

    let (status, body) = session.refresh(&refresh_token(&eu), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{body}"
    );
    let (status, body) = session.refresh(&refresh_token(&vip), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("private"),
        "{body}"
    );
}

#[tokio::test]
async fn a_refresh_token_works_only_for_its_own_application_and_until_it_expires() {
    let session = Session::new();
    let (_, login) = session.login(BOB, "market:1001").await;
    let token = refresh_token(&login);
    let (status, _, body) = session
        .post(&[
            ("grant_type", "refresh_token"),
            ("client_id", LIVE_STOREFRONT),
            ("refresh_token", &token),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, body) = session.refresh("made-up-token", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, _, body) = session
        .post(&[("grant_type", "refresh_token"), ("client_id", STOREFRONT)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );

    session.advance(Duration::from_secs(14 * 86_400));
    let (status, body) = session.refresh(&token, None).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("the refresh token has expired")),
        "{body}"
    );
}

#[tokio::test]
async fn reuse_within_the_grace_period_is_refused_without_revoking_the_family() {
    let session = Session::new();
    let (_, login) = session.login(BOB, "market:1001").await;
    let first = refresh_token(&login);
    let (_, body) = session.refresh(&first, None).await;
    let second = refresh_token(&body);
    session.advance(Duration::from_secs(9));
    let (status, body) = session.refresh(&first, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("just exchanged"),
        "{body}"
    );
    let (status, body) = session.refresh(&second, None).await;
    assert_eq!(status, 200, "the family lives on: {body}");
}

#[tokio::test]
async fn reuse_after_the_grace_period_revokes_every_token_of_the_family() {
    let session = Session::new();
    let (_, login) = session.login(BOB, "market:1001").await;
    let (_, other_login) = session.login(BOB, "market:1001").await;
    let first = refresh_token(&login);
    let (_, body) = session.refresh(&first, None).await;
    let second = refresh_token(&body);
    session.advance(Duration::from_secs(11));
    let (status, body) = session.refresh(&first, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    let (status, body) = session.refresh(&second, None).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("the refresh token has been revoked")),
        "{body}"
    );
    let (status, _) = session.refresh(&refresh_token(&other_login), None).await;
    assert_eq!(
        status, 200,
        "another login of the same customer is another family"
    );
}

#[tokio::test]
async fn the_grace_period_is_configurable() {
    let mut session = Session::new();
    session.configure(|config| config.refresh_reuse_grace = Duration::ZERO);
    let (_, login) = session.login(BOB, "market:1001").await;
    let first = refresh_token(&login);
    let (_, body) = session.refresh(&first, None).await;
    let second = refresh_token(&body);
    // Presented again at the very instant of its exchange: a concurrent request, refused
    // only, whatever the grace period (see the race tests below).
    let (status, _) = session.refresh(&first, None).await;
    assert_eq!(status, 400);
    let (status, body) = session.refresh(&second, None).await;
    assert_eq!(status, 200, "{body}");
    let third = refresh_token(&body);
    // Three seconds later, with no grace period, presenting it again is reuse.
    session.advance(Duration::from_secs(3));
    let (status, body) = session.refresh(&first, None).await;
    assert_eq!(status, 400);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    let (status, body) = session.refresh(&third, None).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("the refresh token has been revoked"))
    );
}

/// Ten refreshes of one token released together (with `grace` as the reuse grace period):
/// exactly one wins, every loser is an `invalid_grant`. Returns the store, the presented
/// token and the winner's new one, for the checks on the family.
async fn ten_concurrent_refreshes_of_one_token(
    store: Arc<dyn Store>,
    grace: Duration,
) -> (Arc<dyn Store>, Arc<Session>, String, String) {
    let mut session = Session::on(Arc::clone(&store));
    session.configure(|config| config.refresh_reuse_grace = grace);
    let session = Arc::new(session);
    let (status, login) = session.login(BOB, "market:1001").await;
    assert_eq!(status, 200, "{login}");
    let token = refresh_token(&login);
    let outcomes = race(10, |_| {
        let (session, token) = (Arc::clone(&session), token.clone());
        async move { session.refresh(&token, None).await }
    })
    .await;
    let winners: Vec<&Value> = outcomes
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    for (status, body) in outcomes.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(
            (*status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
    }
    let winner = refresh_token(winners[0]);
    // The presented token is consumed once, and the winner's token is its family's successor.
    let presented = store
        .find_refresh_token(&SecretHash::of(&token))
        .await
        .unwrap()
        .expect("the presented token is kept");
    assert_eq!(presented.record.consumed_at, Some(session.clock.now()));
    let successor = store
        .find_refresh_token(&SecretHash::of(&winner))
        .await
        .unwrap()
        .expect("the winner's token is stored");
    assert_eq!(successor.record.family_id, presented.record.family_id);
    assert_eq!(successor.record.consumed_at, None);
    (store, session, token, winner)
}

/// Ten concurrent refreshes with `grace`: the losers are refused and nothing is revoked, so the
/// winner's token refreshes.
async fn ten_concurrent_refreshes_leave_the_family_alive(store: Arc<dyn Store>, grace: Duration) {
    let (store, session, token, winner) = ten_concurrent_refreshes_of_one_token(store, grace).await;
    let presented = store
        .find_refresh_token(&SecretHash::of(&token))
        .await
        .unwrap()
        .unwrap();
    assert!(!presented.family_revoked);
    let (status, body) = session.refresh(&winner, None).await;
    assert_eq!(status, 200, "{body}");
}

/// Within the grace period (the default), the losers were retries.
async fn of_ten_concurrent_refreshes_exactly_one_succeeds_and_the_family_lives_on(
    store: Arc<dyn Store>,
) {
    let grace = Session::new().service.config.refresh_reuse_grace;
    assert!(grace > Duration::ZERO);
    ten_concurrent_refreshes_leave_the_family_alive(store, grace).await;
}

/// With no grace period the losers still only lost a race with the client's own request
/// (they read the token while it was active, or within moments of its exchange): refused,
/// never taken for reuse, so the winner's new token lives on. Reuse proper, later, is
/// `the_grace_period_is_configurable`.
async fn of_ten_concurrent_refreshes_with_no_grace_exactly_one_succeeds_and_the_family_lives_on(
    store: Arc<dyn Store>,
) {
    ten_concurrent_refreshes_leave_the_family_alive(store, Duration::ZERO).await;
}

/// A password-grant attempt for `customer` from `address`: status and body.
async fn login_from(
    session: &Session,
    address: &str,
    (email, password): (&str, &str),
) -> (u16, Value) {
    let request = TokenEvent::form(&[
        ("grant_type", "password"),
        ("client_id", STOREFRONT),
        ("username", email),
        ("password", password),
        ("scope", "market:1001"),
    ])
    .source_ip(address)
    .request();
    let response = handle(request, &session.service).await;
    (response.status().as_u16(), body_json(&response))
}

fn held_off(outcome: &(u16, Value), from_your_network: bool) -> bool {
    let description = outcome.1["error_description"].as_str().unwrap_or("");
    outcome.0 == 400
        && description.contains("too many failed sign-ins to this account")
        && description.contains("from your network") == from_your_network
}

/// The sign-in protection at its defaults (5 failures per account and address in 15 minutes,
/// 50 per account in an hour), through the token endpoint: one address guessing holds only
/// itself off; it takes ten addresses to hold the account off everywhere, and only until the
/// oldest failure leaves the hour.
async fn one_guessing_address_never_holds_the_owner_off_and_many_do_only_for_the_window(
    store: Arc<dyn Store>,
) {
    let session = Session::on(store);
    let policy = SignInPolicy::default();
    let attacker = "198.51.100.66";
    for _ in 0..policy.from_address.limit {
        let refused = login_from(&session, attacker, (BOB.0, "guess")).await;
        assert_eq!(
            refused.1["error_description"],
            "the email or password is not valid"
        );
    }
    // The address keeps trying (the right password too): held off, and counted nowhere.
    for password in ["guess", BOB.1, "guess"] {
        let held = login_from(&session, attacker, (BOB.0, password)).await;
        assert!(held_off(&held, true), "{held:?}");
    }
    // Bob, from his own network, is not touched.
    let (status, body) = login_from(&session, "203.0.113.10", BOB).await;
    assert_eq!(status, 200, "{body}");

    // Ten addresses, five failures each, fill Bob's hour: now every address is held off...
    let addresses = policy.account.limit / policy.from_address.limit;
    for i in 0..addresses {
        let address = format!("2001:db8:{i}::1");
        for _ in 0..policy.from_address.limit {
            let refused = login_from(&session, &address, (BOB.0, "guess")).await;
            // The attacker's first five failures above count in the hour too: the last five
            // attempts find it full.
            let not_valid = refused.1["error_description"] == "the email or password is not valid";
            assert!(not_valid || held_off(&refused, false), "{refused:?}");
        }
    }
    let held = login_from(&session, "203.0.113.10", BOB).await;
    assert!(held_off(&held, false), "{held:?}");
    // ...Bob only, and only for the window.
    assert_eq!(login_from(&session, "203.0.113.10", ALICE).await.0, 200);
    session.advance(Duration::from_secs(3600));
    let (status, body) = login_from(&session, "203.0.113.10", BOB).await;
    assert_eq!(status, 200, "{body}");
}

async fn embedded_store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb_store() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

on_both_stores!(crate::embedded_store, crate::dynamodb_store;
    one_guessing_address_never_holds_the_owner_off_and_many_do_only_for_the_window,
    of_ten_concurrent_refreshes_exactly_one_succeeds_and_the_family_lives_on,
    of_ten_concurrent_refreshes_with_no_grace_exactly_one_succeeds_and_the_family_lives_on,
);

#[tokio::test]
async fn a_storage_failure_during_rotation_is_a_503_and_leaves_the_old_token_usable() {
    let store = Arc::new(FaultyStore::new(MemoryStore::from_catalog(&demo_catalog())));
    let session = Session::on(store.clone());
    let (_, login) = session.login(BOB, "market:1001").await;
    let token = refresh_token(&login);
    store.fail("rotate_refresh_token");
    let response = handle(
        TokenEvent::form(&[
            ("grant_type", "refresh_token"),
            ("client_id", STOREFRONT),
            ("refresh_token", &token),
        ])
        .request(),
        &session.service,
    )
    .await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(body_json(&response)["error"], "temporarily_unavailable");
    store.heal();
    let (status, body) = session.refresh(&token, None).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn revocation_requests_are_limited_per_address_and_a_refused_one_revokes_nothing() {
    let mut session = Session::new();
    let mut limited = session.runtime.clone();
    limited.config.rate_limit = RateLimitPolicy::new(3, 60).unwrap();
    session.revoke = RevokeService::new(&limited, test_verifier());
    let (_, login) = session.login(BOB, "market:1001").await;
    let token = refresh_token(&login);
    let revoke = |ip: &str, token: &str| {
        let event =
            TokenEvent::json(&json!({"client_id": STOREFRONT, "token": token})).source_ip(ip);
        gatehouse_revoke::handle(event.request(), &session.revoke)
    };
    for remaining in ["2", "1", "0"] {
        let response = revoke("2001:db8:7:7::1", "not-a-token").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-remaining"], remaining);
    }
    // Same /64: refused, and the real token it names is left alone.
    let refused = revoke("2001:db8:7:7::2", &token).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "60");
    assert_eq!(refused.headers()["ratelimit-limit"], "3");
    assert_eq!(
        assert_error_format(429, refused.headers(), &body_json(&refused)),
        "too_many_requests"
    );
    let (status, body) = session.refresh(&token, None).await;
    assert_eq!(
        status, 200,
        "the refused revocation revoked nothing: {body}"
    );
    // Another address has its own count; the token endpoint's count is separate too.
    assert_eq!(revoke("198.51.100.30", "not-a-token").await.status(), 200);
    session.advance(Duration::from_secs(60));
    assert_eq!(revoke("2001:db8:7:7::3", "not-a-token").await.status(), 200);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let session = Session::new();
    let (_, login) = session.login(BOB, "market:1001").await;
    let first = refresh_token(&login);
    let (_, body) = session.refresh(&first, None).await;
    let second = refresh_token(&body);
    let (status, body) = session
        .revoke(json!({"client_id": STOREFRONT, "token": first}))
        .await;
    assert_eq!((status, body), (200, json!({})));
    let (status, body) = session.refresh(&second, None).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("the refresh token has been revoked")),
        "{body}"
    );
    let (status, body) = session
        .revoke(json!({"client_id": STOREFRONT, "token": second}))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({})),
        "an already revoked token is fine"
    );
}

#[tokio::test]
async fn revoking_an_unknown_token_answers_200_as_rfc_7009_asks() {
    let session = Session::new();
    for token in ["made-up", "eyJhbGciOiJFUzI1NiJ9.e30.sig"] {
        let (status, body) = session
            .revoke(json!({"client_id": STOREFRONT, "token": token}))
            .await;
        assert_eq!((status, body), (200, json!({})), "{token}");
    }
}

#[tokio::test]
async fn a_token_of_another_application_is_refused_with_403_and_stays_valid() {
    let session = Session::new();
    let (_, login) = session.login(BOB, "market:1001").await;
    let token = refresh_token(&login);
    let (status, body) = session
        .revoke(
            json!({"client_id": INTEGRATION, "client_secret": INTEGRATION_SECRET, "token": token}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("unauthorized_client")),
        "{body}"
    );
    assert_eq!(body["errors"][0]["code"], "FORBIDDEN");
    let (status, _) = session.refresh(&token, None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn revocation_authenticates_the_client_and_needs_a_token() {
    let session = Session::new();
    let (status, body) = session
        .revoke(json!({"client_id": INTEGRATION, "client_secret": "wrong", "token": "x"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    let (status, body) = session.revoke(json!({"token": "x"})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    let (status, body) = session.revoke(json!({"client_id": STOREFRONT})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    // RFC 7009's own form: form body and HTTP Basic.
    let (_, login) = session.login(BOB, "market:1001").await;
    let event = TokenEvent::form(&[
        ("token", refresh_token(&login).as_str()),
        ("token_type_hint", "refresh_token"),
    ])
    .basic(STOREFRONT, "");
    let response = gatehouse_revoke::handle(event.request(), &session.revoke).await;
    assert_eq!(response.status(), 200, "{}", body_json(&response));
    assert_eq!(session.refresh(&refresh_token(&login), None).await.0, 400);
}
