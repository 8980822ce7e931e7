//! Refresh tokens: storage by hash, rotation, families ([`gatehouse_store::RefreshTokens`]), on both stores.

use super::*;

pub(crate) fn refresh_record(
    value: &str,
    family: &str,
    issued_at: UnixMillis,
) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: SecretHash::of(value),
        family_id: family.to_owned(),
        application_id: "app_storefront".into(),
        client_id: STOREFRONT.into(),
        mode: Mode::Test,
        owner_id: "cus_alice".into(),
        owner_type: OwnerType::Customer,
        market_id: Some("mkt_vip".into()),
        stock_location_ids: vec!["sl_ams".into()],
        scope: Some("market:code:eu".into()),
        issued_at,
        authenticated_at: issued_at,
        custom_claim: None,
        expires_at: issued_at + Duration::from_secs(14 * 86_400),
        consumed_at: None,
    }
}

async fn refresh_tokens_are_stored_by_hash_with_their_binding(store: Arc<dyn RefreshTokens>) {
    let record = refresh_record("first", "family-1", t0());
    store.create_refresh_token(&record).await.unwrap();
    let state = store
        .find_refresh_token(&SecretHash::of("first"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(state.record, record);
    assert!(!state.family_revoked);
    assert!(store
        .find_refresh_token(&SecretHash::of("other"))
        .await
        .unwrap()
        .is_none());
}

async fn rotation_consumes_the_presented_token_once_and_stores_its_successor(
    store: Arc<dyn RefreshTokens>,
) {
    store
        .create_refresh_token(&refresh_record("first", "family-1", t0()))
        .await
        .unwrap();
    let second = refresh_record("second", "family-1", at(1_000));
    assert_eq!(
        store
            .rotate_refresh_token(&SecretHash::of("first"), &second, at(1_000))
            .await
            .unwrap(),
        Rotation::Rotated
    );
    let first = store
        .find_refresh_token(&SecretHash::of("first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.record.consumed_at, Some(at(1_000)));
    assert_eq!(
        store
            .find_refresh_token(&SecretHash::of("second"))
            .await
            .unwrap()
            .unwrap()
            .record,
        second
    );
    let third = refresh_record("third", "family-1", at(2_000));
    match store
        .rotate_refresh_token(&SecretHash::of("first"), &third, at(2_000))
        .await
        .unwrap()
    {
        Rotation::NotActive(Some(state)) => {
            assert_eq!(state.record.consumed_at, Some(at(1_000)))
        }
        other => panic!("a consumed token rotated again: {other:?}"),
    }
    assert!(
        store
            .find_refresh_token(&SecretHash::of("third"))
            .await
            .unwrap()
            .is_none(),
        "no successor stored"
    );
    assert!(matches!(
        store
            .rotate_refresh_token(&SecretHash::of("unknown"), &third, t0())
            .await
            .unwrap(),
        Rotation::NotActive(None)
    ));
}

async fn expired_tokens_and_revoked_families_do_not_rotate(store: Arc<dyn RefreshTokens>) {
    let record = refresh_record("old", "family-old", t0());
    store.create_refresh_token(&record).await.unwrap();
    let late = refresh_record("late", "family-old", record.expires_at);
    assert!(matches!(
        store
            .rotate_refresh_token(&SecretHash::of("old"), &late, record.expires_at)
            .await
            .unwrap(),
        Rotation::NotActive(Some(_))
    ));
    store
        .create_refresh_token(&refresh_record("a", "family-2", t0()))
        .await
        .unwrap();
    let b = refresh_record("b", "family-2", at(1));
    assert_eq!(
        store
            .rotate_refresh_token(&SecretHash::of("a"), &b, at(1))
            .await
            .unwrap(),
        Rotation::Rotated
    );
    store.revoke_refresh_family("family-2").await.unwrap();
    for value in ["a", "b"] {
        assert!(
            store
                .find_refresh_token(&SecretHash::of(value))
                .await
                .unwrap()
                .unwrap()
                .family_revoked,
            "{value}"
        );
    }
    let c = refresh_record("c", "family-2", at(2));
    assert!(matches!(
        store.rotate_refresh_token(&SecretHash::of("b"), &c, at(2)).await.unwrap(),
        Rotation::NotActive(Some(state)) if state.family_revoked
    ));
    store.revoke_refresh_family("no-such-family").await.unwrap();
}

async fn of_ten_concurrent_rotations_of_one_token_exactly_one_wins(store: Arc<dyn RefreshTokens>) {
    store
        .create_refresh_token(&refresh_record("contested", "family-c", t0()))
        .await
        .unwrap();
    let successors: Vec<RefreshTokenRecord> = (0..10)
        .map(|i| refresh_record(&format!("successor-{i}"), "family-c", at(1)))
        .collect();
    let outcomes = race(10, |i| {
        let (store, successor) = (Arc::clone(&store), successors[i].clone());
        async move {
            store
                .rotate_refresh_token(&SecretHash::of("contested"), &successor, at(1))
                .await
        }
    })
    .await;
    let winners = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Rotation::Rotated)))
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    let mut stored = 0;
    for i in 0..10 {
        stored += store
            .find_refresh_token(&SecretHash::of(&format!("successor-{i}")))
            .await
            .unwrap()
            .is_some() as usize;
    }
    assert_eq!(stored, 1, "exactly one successor exists");
}

async fn a_token_read_beside_its_hinted_family_reads_as_it_does_alone(
    store: Arc<dyn RefreshTokens>,
) {
    let record = refresh_record("hinted", "family-h", t0());
    store.create_refresh_token(&record).await.unwrap();
    let hash = SecretHash::of("hinted");
    let alone = store.find_refresh_token(&hash).await.unwrap().unwrap();
    assert!(!alone.family_revoked);
    for hint in ["family-h", "family-of-someone-else"] {
        let beside = store
            .find_refresh_token_in_family(&hash, hint)
            .await
            .unwrap();
        assert_eq!(beside.as_ref(), Some(&alone), "hint {hint}");
    }
    store.revoke_refresh_family("family-h").await.unwrap();
    for hint in ["family-h", "family-of-someone-else"] {
        let beside = store
            .find_refresh_token_in_family(&hash, hint)
            .await
            .unwrap();
        assert!(beside.unwrap().family_revoked, "hint {hint}");
    }
    assert_eq!(
        store
            .find_refresh_token_in_family(&SecretHash::of("unknown"), "family-h")
            .await
            .unwrap(),
        None
    );
}

conformance!(
    a_token_read_beside_its_hinted_family_reads_as_it_does_alone,
    refresh_tokens_are_stored_by_hash_with_their_binding,
    rotation_consumes_the_presented_token_once_and_stores_its_successor,
    expired_tokens_and_revoked_families_do_not_rotate,
    of_ten_concurrent_rotations_of_one_token_exactly_one_wins,
);
