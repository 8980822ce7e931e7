//! DynamoDB applies a write and its answer is lost: the SDK's attempt times out and it sends
//! the request again. A resend must find the write done and say so, never make it twice,
//! never take its own earlier write for someone else's (a replay, a reuse, a lockout).
//! Each of these tests waits out one attempt timeout (2 s).

use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_store::RateLimits;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_rotation_whose_answer_was_lost_rotates_once_and_its_successor_works() {
    let harness = Harness::new().await;
    let first = refresh_token_of(&harness.login().await.assert_ok("login"));
    let before = harness.state().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    let body = harness.refresh(&first).await.assert_ok("the refresh");
    let after = harness.state().await;
    assert_eq!(after.refresh_tokens, before.refresh_tokens + 1);
    assert_eq!(
        after.consumed_refresh_tokens,
        before.consumed_refresh_tokens + 1
    );
    assert_eq!(after.revoked_families, 0);
    harness
        .refresh(&refresh_token_of(&body))
        .await
        .assert_ok("the successor refreshes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_rotation_still_in_progress_when_resent_is_waited_for_and_rotates_once() {
    let harness = Harness::new().await;
    let first = refresh_token_of(&harness.login().await.assert_ok("login"));
    let before = harness.state().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, in_progress());
    let body = harness.refresh(&first).await.assert_ok("the refresh");
    let after = harness.state().await;
    assert_eq!(after.refresh_tokens, before.refresh_tokens + 1);
    assert_eq!(after.revoked_families, 0);
    harness
        .refresh(&refresh_token_of(&body))
        .await
        .assert_ok("the successor refreshes");
}

fn in_progress() -> Fault {
    Fault::Refuse {
        status: 400,
        body: json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionInProgressException",
            "message": "Transaction is ongoing for the given ClientRequestToken",
        })
        .to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_code_redemption_whose_answer_was_lost_is_not_taken_for_a_replay() {
    let harness = Harness::new().await;
    let code = harness.code().await;
    let before = harness.state().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    let body = harness.exchange(&code).await.assert_ok("the exchange");
    let after = harness.state().await;
    assert_eq!(after.consumed_codes, before.consumed_codes + 1);
    assert_eq!(after.families, before.families + 1);
    assert_eq!(after.refresh_tokens, before.refresh_tokens + 1);
    assert_eq!(after.revoked_families, 0);
    let refreshed = harness
        .token(
            TokenEvent::form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token_of(&body)),
            ])
            .basic(WEBAPP, WEBAPP_SECRET),
        )
        .await;
    refreshed.assert_ok("the code's refresh token works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_code_redemption_still_in_progress_when_resent_is_not_taken_for_a_replay() {
    let harness = Harness::new().await;
    let code = harness.code().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, in_progress());
    harness.exchange(&code).await.assert_ok("the exchange");
    assert_eq!(harness.state().await.revoked_families, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_login_whose_answer_was_lost_starts_one_family() {
    let harness = Harness::new().await;
    harness
        .client_credentials()
        .await
        .assert_ok("the window exists");
    let before = harness.state().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    let body = harness.login().await.assert_ok("the login");
    let after = harness.state().await;
    assert_eq!(after.families, before.families + 1);
    assert_eq!(after.refresh_tokens, before.refresh_tokens + 1);
    harness
        .refresh(&refresh_token_of(&body))
        .await
        .assert_ok("its refresh token works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_code_whose_sign_in_answer_was_lost_is_issued_once_and_exchanges() {
    let harness = Harness::new().await;
    // A failure first, so that the sign-in's transaction also clears a window.
    assert_eq!(harness.sign_in_with("wrong").await.status, 401);
    let before = harness.state().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    let code = harness.code().await;
    assert_eq!(harness.state().await.codes, before.codes + 1);
    harness
        .exchange(&code)
        .await
        .assert_ok("the code exchanges");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_revocation_whose_answer_was_lost_revokes_the_family() {
    let harness = Harness::new().await;
    let token = refresh_token_of(&harness.login().await.assert_ok("login"));
    harness.proxy.fail("UpdateItem", 0, 1, Fault::AnswerTooLate);
    let answer = harness.revoke(&token).await;
    // Either the SDK's resend answered, or the revocation is a 503 to retry: never a 500.
    assert!(
        answer.status == 200 || answer.status == 503,
        "{}",
        answer.text
    );
    if answer.status == 503 {
        answer.assert_unavailable("the revocation");
        harness
            .revoke(&token)
            .await
            .assert_ok("the retried revocation");
    }
    assert_eq!(harness.state().await.revoked_families, 1);
    let refused = harness.refresh(&token).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
}

/// An access token's revocation is a put of its `jti`'s item beside its login's and its bit's
/// updates: a lost answer is resent or a 503 to retry, and either way the token, its login and
/// its bit end up revoked, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn an_access_token_revocation_whose_answer_was_lost_revokes_it_and_its_login() {
    use gatehouse_core::revocation::TokenSubjects;
    use gatehouse_store::{Revocations, StatusLists};
    let harness = Harness::new().await;
    let login = harness.login().await.assert_ok("login");
    let (access, refresh) = (
        login["access_token"].as_str().unwrap().to_owned(),
        refresh_token_of(&login),
    );
    // The revocation's first put makes its address's window; the second is the jti's item.
    harness.proxy.fail("PutItem", 1, 1, Fault::AnswerTooLate);
    let answer = harness.revoke(&access).await;
    assert!(
        answer.status == 200 || answer.status == 503,
        "{}",
        answer.text
    );
    if answer.status == 503 {
        answer.assert_unavailable("the revocation");
        harness
            .revoke(&access)
            .await
            .assert_ok("the retried revocation");
    }
    let claims = verify(&access, &test_keys(), harness.clock.as_ref());
    let state = harness
        .store
        .revocation_state(&TokenSubjects::of(&claims))
        .await
        .unwrap();
    assert!(state.token && state.family, "{state:?}");
    let status = claims.status.unwrap().status_list;
    let window = gatehouse_core::status_list::window_of(claims.iat);
    let list = harness.store.status_list(window).await.unwrap();
    assert_eq!(list.revoked, [status.idx]);
    assert_eq!(harness.refresh(&refresh).await.status, 400);
}

/// The window's update is not resent: a lost answer is a 503, the place it took stays taken
/// (an accepted request counts, whatever happens next) and is taken once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_window_update_whose_answer_was_lost_counts_once_and_a_refusal_stays_a_refusal() {
    let harness = Harness::new().await;
    let policy = RateLimitPolicy::new(2, 60).unwrap();
    let store: &dyn RateLimits = harness.store.as_ref();
    let now = test_start();
    let key = "198.51.100.7";
    assert!(
        store
            .hit_rate_limit(key, &policy, now)
            .await
            .unwrap()
            .allowed
    );

    // The last place, taken by a write whose answer is lost.
    harness.proxy.fail("UpdateItem", 0, 1, Fault::AnswerTooLate);
    assert!(store.hit_rate_limit(key, &policy, now).await.is_err());
    assert_eq!(harness.state().await.counted, 2, "the place is taken once");

    // A full window: a refusal whose answer is lost is an error, never an admission.
    harness.proxy.fail("UpdateItem", 0, 1, Fault::AnswerTooLate);
    assert!(store.hit_rate_limit(key, &policy, now).await.is_err());
    assert_eq!(harness.state().await.counted, 2);
    let refused = store.hit_rate_limit(key, &policy, now).await.unwrap();
    assert!(!refused.allowed);
    assert!((1..=60).contains(&refused.reset_seconds), "{refused:?}");
}

/// A JWT bearer assertion's use, beginning a login, for the store to write.
fn assertion_use(
    harness: &Harness,
    jti: &'static str,
) -> (
    gatehouse_store::UsedAssertion<'static>,
    gatehouse_core::model::RefreshTokenRecord,
) {
    use gatehouse_core::clock::Clock;
    let now = harness.clock.now();
    let used = gatehouse_store::UsedAssertion {
        application_id: "app_storefront",
        jti,
        kept_until: gatehouse_core::clock::UnixSeconds(now.floor_seconds().0 + 60),
    };
    let login = gatehouse_core::model::RefreshTokenRecord {
        token_hash: gatehouse_core::secret::SecretHash::of(jti),
        family_id: format!("family-{jti}"),
        application_id: "app_storefront".into(),
        client_id: STOREFRONT.into(),
        mode: gatehouse_core::model::Mode::Test,
        owner_id: "cus_bob".into(),
        owner_type: gatehouse_core::model::OwnerType::Customer,
        market_id: Some("mkt_eu".into()),
        stock_location_ids: vec![],
        scope: Some("market:1001".into()),
        issued_at: now,
        authenticated_at: now,
        custom_claim: None,
        expires_at: now + std::time::Duration::from_secs(14 * 86_400),
        consumed_at: None,
    };
    (used, login)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn an_assertion_whose_answer_was_lost_is_not_taken_for_a_replay() {
    use gatehouse_core::clock::Clock;
    use gatehouse_store::{AssertionUse, Assertions, RefreshTokens};
    let harness = Harness::new().await;
    for (jti, in_progress_too) in [("jti-lost", false), ("jti-in-progress", true)] {
        let (used, login) = assertion_use(&harness, jti);
        let before = harness.state().await;
        harness
            .proxy
            .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
        if in_progress_too {
            harness
                .proxy
                .fail("TransactWriteItems", 0, 1, in_progress());
        }
        let now = harness.clock.now();
        let outcome = harness.store.use_assertion(&used, Some(&login), now).await;
        assert_eq!(outcome.unwrap(), AssertionUse::Accepted, "{jti}");
        let after = harness.state().await;
        assert_eq!(after.families, before.families + 1, "{jti}: one login");
        assert_eq!(after.refresh_tokens, before.refresh_tokens + 1, "{jti}");
        let found = harness.store.find_refresh_token(&login.token_hash).await;
        assert!(found.unwrap().is_some(), "{jti}: its login is stored");
        // The assertion sent again, for real, is a replay.
        let (_, another) = assertion_use(&harness, "jti-other-login");
        let again = harness
            .store
            .use_assertion(&used, Some(&another), now)
            .await;
        assert_eq!(again.unwrap(), AssertionUse::Replayed, "{jti}");
    }
}
