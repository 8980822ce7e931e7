//! JWT bearer assertions used ([`gatehouse_store::Assertions`]): a `jti` accepted once per
//! application while it is remembered, with the login it begins stored in the same step, on both
//! stores. Each answer is what was written, read back.

use gatehouse_core::clock::UnixSeconds;
use gatehouse_store::{AssertionUse, UsedAssertion};

use super::refresh_tokens::refresh_record;
use super::*;

fn used<'a>(application_id: &'a str, jti: &'a str, seconds_after_t0: u64) -> UsedAssertion<'a> {
    UsedAssertion {
        application_id,
        jti,
        kept_until: UnixSeconds(t0().floor_seconds().0 + seconds_after_t0),
    }
}

async fn a_jti_is_accepted_once_per_application_until_it_is_forgotten(store: Arc<dyn Store>) {
    let first = used("app_a", "jti-1", 60);
    assert_eq!(
        store.use_assertion(&first, None, t0()).await.unwrap(),
        AssertionUse::Accepted
    );
    assert_eq!(
        store.use_assertion(&first, None, at(1_000)).await.unwrap(),
        AssertionUse::Replayed
    );
    // Another application's jti of the same text is its own.
    let other = used("app_b", "jti-1", 60);
    assert_eq!(
        store.use_assertion(&other, None, at(1_000)).await.unwrap(),
        AssertionUse::Accepted
    );
    // A jti that looks like a key's separator is only text.
    let tricky = used("app_a", "jti-1\napp_b", 60);
    assert_eq!(
        store.use_assertion(&tricky, None, at(1_000)).await.unwrap(),
        AssertionUse::Accepted
    );
    // Remembered until its time, whatever TTL has not swept yet.
    assert_eq!(
        store.use_assertion(&first, None, at(59_999)).await.unwrap(),
        AssertionUse::Replayed
    );
    assert_eq!(
        store.use_assertion(&first, None, at(60_000)).await.unwrap(),
        AssertionUse::Accepted
    );
}

async fn the_login_an_assertion_begins_is_stored_with_it_or_not_at_all(store: Arc<dyn Store>) {
    let assertion = used("app_storefront", "jti-login", 60);
    let login = refresh_record("jwt-first", "family-jwt", t0());
    let outcome = store
        .use_assertion(&assertion, Some(&login), t0())
        .await
        .unwrap();
    assert_eq!(outcome, AssertionUse::Accepted);
    let found = store
        .find_refresh_token(&SecretHash::of("jwt-first"))
        .await
        .unwrap();
    assert_eq!(
        found.map(|state| (state.record, state.family_revoked)),
        Some((login, false))
    );
    // A replay writes nothing: its login is not stored.
    let second = refresh_record("jwt-second", "family-jwt-2", at(1));
    let outcome = store
        .use_assertion(&assertion, Some(&second), at(1))
        .await
        .unwrap();
    assert_eq!(outcome, AssertionUse::Replayed);
    assert_eq!(
        store
            .find_refresh_token(&SecretHash::of("jwt-second"))
            .await
            .unwrap(),
        None
    );
    // A custom claim is kept with the login.
    let mut enriched = refresh_record("jwt-third", "family-jwt-3", at(2));
    enriched.custom_claim = serde_json::json!({"tier": "gold", "n": 1})
        .as_object()
        .cloned();
    let third = used("app_storefront", "jti-third", 60);
    store
        .use_assertion(&third, Some(&enriched), at(2))
        .await
        .unwrap();
    let found = store
        .find_refresh_token(&SecretHash::of("jwt-third"))
        .await
        .unwrap();
    assert_eq!(
        found.map(|state| state.record.custom_claim),
        Some(enriched.custom_claim)
    );
}

async fn of_ten_concurrent_uses_of_one_jti_exactly_one_is_accepted(store: Arc<dyn Store>) {
    let outcomes = race(10, |i| {
        let store = Arc::clone(&store);
        async move {
            let login = refresh_record(&format!("raced-{i}"), &format!("family-raced-{i}"), t0());
            let assertion = used("app_storefront", "jti-raced", 60);
            store.use_assertion(&assertion, Some(&login), t0()).await
        }
    })
    .await;
    let accepted = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(AssertionUse::Accepted)))
        .count();
    assert_eq!(accepted, 1, "{outcomes:?}");
    let mut stored = 0;
    for i in 0..10 {
        let found = store
            .find_refresh_token(&SecretHash::of(&format!("raced-{i}")))
            .await
            .unwrap();
        stored += found.is_some() as usize;
    }
    assert_eq!(stored, 1, "exactly the accepted use's login exists");
}

conformance!(
    a_jti_is_accepted_once_per_application_until_it_is_forgotten,
    the_login_an_assertion_begins_is_stored_with_it_or_not_at_all,
    of_ten_concurrent_uses_of_one_jti_exactly_one_is_accepted,
);
