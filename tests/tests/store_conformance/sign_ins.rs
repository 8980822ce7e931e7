//! The sign-in protection ([`gatehouse_store::SignIns`]), on both stores: failures
//! counted per account and address and per account, a sign-in that stores its grant only while
//! both windows have room, and one attacker address against many.

use super::refresh_tokens::refresh_record;
use super::*;
use gatehouse_core::model::AuthorizationCodeRecord;
use gatehouse_core::sign_in::{AccountKind, SignInCheck, SignInKeys, SignInPolicy, SignInWindow};
use gatehouse_store::{SignInGrant, SignIns};

/// 3 failures per account and address in 15 minutes, 7 per account in an hour: small enough
/// to fill in a test, and the account's window fills from three addresses.
fn policy() -> SignInPolicy {
    SignInPolicy::new((3, 900), (7, 3600)).unwrap()
}

fn keys(email: &str, address: &str) -> SignInKeys {
    SignInKeys::of(Mode::Test, AccountKind::Customer, email, address)
}

/// Counts a failure; its check.
async fn fail(store: &dyn SignIns, keys: &SignInKeys, now: UnixMillis) -> SignInCheck {
    store
        .count_failed_sign_in(keys, &policy(), now)
        .await
        .unwrap()
}

/// Signs in with a new refresh token `value`; the check, and whether the token was stored.
async fn sign_in(
    store: &Arc<dyn Store>,
    keys: &SignInKeys,
    value: &str,
    now: UnixMillis,
) -> (SignInCheck, bool) {
    let record = refresh_record(value, &format!("family-{value}"), now);
    let check = store
        .complete_sign_in(keys, &policy(), SignInGrant::RefreshToken(&record), now)
        .await
        .unwrap();
    let stored = store
        .find_refresh_token(&SecretHash::of(value))
        .await
        .unwrap()
        .is_some();
    (check, stored)
}

/// The window that holds, and its `Retry-After`.
fn hold(check: SignInCheck) -> Option<(SignInWindow, u64)> {
    match check {
        SignInCheck::Admitted => None,
        SignInCheck::Held { window, outcome } => {
            assert!(!outcome.allowed);
            Some((window, outcome.reset_seconds))
        }
    }
}

async fn a_sign_in_stores_its_grant_and_forgets_this_addresss_failures_only_while_it_may(
    store: Arc<dyn Store>,
) {
    let here = keys("alice@example.com", "192.0.2.1");
    // Two failures: room for one more. The sign-in succeeds and forgets both.
    for time in [at(0), at(500)] {
        assert_eq!(
            fail(store.as_ref(), &here, time).await,
            SignInCheck::Admitted
        );
    }
    assert_eq!(
        sign_in(&store, &here, "signed-in", at(1_000)).await,
        (SignInCheck::Admitted, true)
    );
    // Three more fit from here (the window was cleared), the fourth is held.
    for time in [at(2_000), at(3_000), at(4_000)] {
        assert_eq!(
            fail(store.as_ref(), &here, time).await,
            SignInCheck::Admitted
        );
    }
    // The right password is now refused like a wrong one, and nothing is stored. The oldest
    // failure (at 2 s) leaves the 900 s window at 902 s: 897 s from 5 s.
    let (check, stored) = sign_in(&store, &here, "while-held", at(5_000)).await;
    assert_eq!(hold(check), Some((SignInWindow::FromAddress, 897)));
    assert!(!stored);
    assert_eq!(
        hold(fail(store.as_ref(), &here, at(5_000)).await),
        Some((SignInWindow::FromAddress, 897))
    );
    // Once that failure has left the window, there is room again.
    assert_eq!(
        sign_in(&store, &here, "later", at(902_000)).await,
        (SignInCheck::Admitted, true)
    );
}

async fn one_address_is_held_off_an_account_and_no_other_address_is(store: Arc<dyn Store>) {
    let attacker = keys("bob@example.com", "198.51.100.7");
    for time in [at(0), at(1), at(2)] {
        assert_eq!(
            fail(store.as_ref(), &attacker, time).await,
            SignInCheck::Admitted
        );
    }
    // However long it goes on, the attacker only holds itself off, and its held attempts
    // count nowhere: the account's own window (7) is never reached.
    for i in 0..10 {
        let check = fail(store.as_ref(), &attacker, at(10 + i)).await;
        assert_eq!(hold(check).map(|(w, _)| w), Some(SignInWindow::FromAddress));
    }
    let (check, stored) = sign_in(&store, &attacker, "attacker-knows", at(100)).await;
    assert_eq!(
        (hold(check).map(|(w, _)| w), stored),
        (Some(SignInWindow::FromAddress), false)
    );
    // The owner, from elsewhere (an IPv6 /64), signs in, and may still fail twice first.
    let owner = keys("bob@example.com", "2001:db8:1:2::");
    for time in [at(200), at(201)] {
        assert_eq!(
            fail(store.as_ref(), &owner, time).await,
            SignInCheck::Admitted
        );
    }
    assert_eq!(
        sign_in(&store, &owner, "owner", at(300)).await,
        (SignInCheck::Admitted, true)
    );
    // Another account is not touched by either.
    let other = keys("carol@example.com", "198.51.100.7");
    assert_eq!(
        fail(store.as_ref(), &other, at(400)).await,
        SignInCheck::Admitted
    );
}

async fn failures_from_many_addresses_hold_every_address_off_the_account(store: Arc<dyn Store>) {
    // Seven addresses, one failure each, fill the account's window (7 an hour).
    for i in 0..7 {
        let from = keys("dave@example.com", &format!("203.0.113.{i}"));
        assert_eq!(
            fail(store.as_ref(), &from, at(i * 1_000)).await,
            SignInCheck::Admitted
        );
    }
    // An eighth address, the owner's say, is held off: the oldest failure (at 0 s) leaves the
    // hour at 3600 s, 3590 s from 10 s.
    let sixth = keys("dave@example.com", "203.0.113.99");
    assert_eq!(
        hold(fail(store.as_ref(), &sixth, at(10_000)).await),
        Some((SignInWindow::Account, 3590))
    );
    let (check, stored) = sign_in(&store, &sixth, "during-hold", at(10_000)).await;
    assert_eq!(
        (hold(check), stored),
        (Some((SignInWindow::Account, 3590)), false)
    );
    // Not the other accounts.
    let elsewhere = keys("erin@example.com", "203.0.113.99");
    assert_eq!(
        sign_in(&store, &elsewhere, "erin", at(10_000)).await,
        (SignInCheck::Admitted, true)
    );
    // The hold ends by itself, as the oldest failure leaves the window.
    assert_eq!(
        sign_in(&store, &sixth, "after-hold", at(3_600_000)).await,
        (SignInCheck::Admitted, true)
    );
    // A sign-in does not forgive the account's failures: one place was freed, and the
    // failures at 1..6 s still fill the rest until they leave in turn.
    assert_eq!(
        fail(store.as_ref(), &sixth, at(3_600_001)).await,
        SignInCheck::Admitted
    );
    assert_eq!(
        hold(fail(store.as_ref(), &sixth, at(3_600_002)).await).map(|(w, _)| w),
        Some(SignInWindow::Account)
    );
}

/// A failure counted with a time after the sign-in's (by a request that ran alongside it) is
/// not forgotten with the failures before it.
async fn a_sign_in_keeps_the_failures_counted_after_it(store: Arc<dyn Store>) {
    let here = keys("frank@example.com", "192.0.2.9");
    // One failure before the sign-in at 2 s, one after: so keeping the wrong side shows.
    for time in [at(1_000), at(3_000)] {
        assert_eq!(
            fail(store.as_ref(), &here, time).await,
            SignInCheck::Admitted
        );
    }
    assert_eq!(
        sign_in(&store, &here, "between", at(2_000)).await,
        (SignInCheck::Admitted, true)
    );
    // The failure at 3 s stays: two more fit, the third is held.
    for time in [at(4_000), at(4_001)] {
        assert_eq!(
            fail(store.as_ref(), &here, time).await,
            SignInCheck::Admitted
        );
    }
    assert!(hold(fail(store.as_ref(), &here, at(4_002)).await).is_some());
}

async fn a_sign_in_page_code_is_stored_under_the_same_protection(store: Arc<dyn Store>) {
    let here = SignInKeys::of(
        Mode::Test,
        AccountKind::User,
        "admin@example.com",
        "192.0.2.3",
    );
    let code = |value: &str, now: UnixMillis| AuthorizationCodeRecord {
        code_hash: SecretHash::of(value),
        application_id: "app_webapp".into(),
        client_id: WEBAPP.into(),
        mode: Mode::Test,
        user_id: "usr_admin".into(),
        redirect_uri: "http://localhost:8080/callback".into(),
        market_id: None,
        stock_location_ids: vec![],
        scope: None,
        code_challenge: None,
        family_id: format!("family-{value}"),
        issued_at: now,
        expires_at: now + Duration::from_secs(600),
        consumed_at: None,
    };
    for time in [at(0), at(1), at(2)] {
        assert_eq!(
            fail(store.as_ref(), &here, time).await,
            SignInCheck::Admitted
        );
    }
    let held = code("held", at(3));
    let check = store
        .complete_sign_in(
            &here,
            &policy(),
            SignInGrant::AuthorizationCode(&held),
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(hold(check).map(|(w, _)| w), Some(SignInWindow::FromAddress));
    let found = |value: &str| {
        let store = Arc::clone(&store);
        let hash = SecretHash::of(value);
        async move { store.find_authorization_code(&hash).await.unwrap() }
    };
    assert_eq!(found("held").await, None);
    // A customer's windows are not a user's, though the email is the same.
    let customer = keys("admin@example.com", "192.0.2.3");
    assert_eq!(
        fail(store.as_ref(), &customer, at(4)).await,
        SignInCheck::Admitted
    );
    let later = code("later", at(900_000));
    let check = store
        .complete_sign_in(
            &here,
            &policy(),
            SignInGrant::AuthorizationCode(&later),
            at(900_000),
        )
        .await
        .unwrap();
    assert_eq!(check, SignInCheck::Admitted);
    assert_eq!(found("later").await, Some(later));
}

/// Of concurrent failures from one address, exactly as many as its window holds are counted.
async fn concurrent_failures_are_counted_exactly_up_to_the_limit(store: Arc<dyn Store>) {
    let here = keys("grace@example.com", "192.0.2.77");
    let checks = race(8, |_| {
        let store = Arc::clone(&store);
        let here = here.clone();
        async move {
            store
                .count_failed_sign_in(&here, &policy(), at(0))
                .await
                .unwrap()
        }
    })
    .await;
    let admitted = checks
        .iter()
        .filter(|c| **c == SignInCheck::Admitted)
        .count();
    assert_eq!(admitted, 3, "{checks:?}");
}

conformance!(
    a_sign_in_stores_its_grant_and_forgets_this_addresss_failures_only_while_it_may,
    one_address_is_held_off_an_account_and_no_other_address_is,
    failures_from_many_addresses_hold_every_address_off_the_account,
    a_sign_in_keeps_the_failures_counted_after_it,
    a_sign_in_page_code_is_stored_under_the_same_protection,
    concurrent_failures_are_counted_exactly_up_to_the_limit,
);

past_one_condition!(
    a_sign_in_keeps_the_failures_counted_after_it,
    a_sign_in_stores_its_grant_and_forgets_this_addresss_failures_only_while_it_may,
);
