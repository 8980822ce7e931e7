//! Authorization codes ([`gatehouse_store::AuthorizationCodes`]), on both stores. A
//! redemption also writes through [`gatehouse_store::RefreshTokens`], so these checks
//! take the whole store.

use super::*;
use gatehouse_core::model::AuthorizationCodeRecord;
use gatehouse_store::Redemption;

fn code_record(value: &str, family: &str, issued_at: UnixMillis) -> AuthorizationCodeRecord {
    AuthorizationCodeRecord {
        code_hash: SecretHash::of(value),
        application_id: "app_webapp".into(),
        client_id: WEBAPP.into(),
        mode: Mode::Test,
        user_id: "usr_admin".into(),
        redirect_uri: "http://localhost:8080/callback".into(),
        market_id: Some("mkt_eu".into()),
        stock_location_ids: vec![],
        scope: Some("market:code:eu".into()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        family_id: family.into(),
        issued_at,
        expires_at: issued_at + Duration::from_secs(600),
        consumed_at: None,
    }
}

/// The first refresh token a redemption of `code` stores.
fn first_token(value: &str, code: &AuthorizationCodeRecord, at: UnixMillis) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: SecretHash::of(value),
        family_id: code.family_id.clone(),
        application_id: code.application_id.clone(),
        client_id: code.client_id.clone(),
        mode: code.mode,
        owner_id: code.user_id.clone(),
        owner_type: OwnerType::User,
        market_id: code.market_id.clone(),
        stock_location_ids: code.stock_location_ids.clone(),
        scope: Some("market:code:eu".into()),
        issued_at: at,
        authenticated_at: at,
        custom_claim: None,
        expires_at: at + Duration::from_secs(14 * 86_400),
        consumed_at: None,
    }
}

async fn codes_are_stored_by_hash_with_their_binding(store: Arc<dyn Store>) {
    let record = code_record("code-1", "family-a", t0());
    store.create_authorization_code(&record).await.unwrap();
    assert_eq!(
        store
            .find_authorization_code(&SecretHash::of("code-1"))
            .await
            .unwrap(),
        Some(record)
    );
    assert!(store
        .find_authorization_code(&SecretHash::of("code-2"))
        .await
        .unwrap()
        .is_none());
}

async fn a_code_is_redeemed_once_with_the_first_token_of_its_family(store: Arc<dyn Store>) {
    let record = code_record("code-1", "family-a", t0());
    store.create_authorization_code(&record).await.unwrap();
    let first = first_token("refresh-1", &record, at(1_000));
    assert_eq!(
        store
            .redeem_authorization_code(&SecretHash::of("code-1"), &first, at(1_000))
            .await
            .unwrap(),
        Redemption::Redeemed
    );
    let stored = store
        .find_refresh_token(&SecretHash::of("refresh-1"))
        .await
        .unwrap()
        .expect("the first refresh token is stored");
    assert!(!stored.family_revoked);
    assert_eq!(stored.record, first);
    // A second redemption finds it used, and revoking its family reaches the token it issued.
    let again = first_token("refresh-2", &record, at(2_000));
    match store
        .redeem_authorization_code(&SecretHash::of("code-1"), &again, at(2_000))
        .await
        .unwrap()
    {
        Redemption::NotActive(Some(used)) => assert_eq!(used.consumed_at, Some(at(1_000))),
        other => panic!("{other:?}"),
    }
    assert!(store
        .find_refresh_token(&SecretHash::of("refresh-2"))
        .await
        .unwrap()
        .is_none());
    store.revoke_refresh_family("family-a").await.unwrap();
    assert!(
        store
            .find_refresh_token(&SecretHash::of("refresh-1"))
            .await
            .unwrap()
            .unwrap()
            .family_revoked
    );
}

async fn expired_unknown_and_misbound_codes_are_not_redeemed(store: Arc<dyn Store>) {
    let record = code_record("code-1", "family-a", t0());
    store.create_authorization_code(&record).await.unwrap();
    let expired_at = record.expires_at;
    let token = first_token("refresh-1", &record, expired_at);
    assert!(matches!(
        store
            .redeem_authorization_code(&SecretHash::of("code-1"), &token, expired_at)
            .await
            .unwrap(),
        Redemption::NotActive(Some(found)) if found.consumed_at.is_none()
    ));
    let other_family = RefreshTokenRecord {
        family_id: "family-b".into(),
        ..first_token("refresh-1", &record, at(1))
    };
    assert!(matches!(
        store
            .redeem_authorization_code(&SecretHash::of("code-1"), &other_family, at(1))
            .await
            .unwrap(),
        Redemption::NotActive(Some(_))
    ));
    // Another application, even one that took over the code's client_id: the binding is to
    // the application's id.
    let other_client = RefreshTokenRecord {
        application_id: "app_recreated".into(),
        ..first_token("refresh-1", &record, at(1))
    };
    assert!(matches!(
        store
            .redeem_authorization_code(&SecretHash::of("code-1"), &other_client, at(1))
            .await
            .unwrap(),
        Redemption::NotActive(Some(_))
    ));
    assert_eq!(
        store
            .redeem_authorization_code(&SecretHash::of("unknown"), &token, at(1))
            .await
            .unwrap(),
        Redemption::NotActive(None)
    );
    assert!(store
        .find_refresh_token(&SecretHash::of("refresh-1"))
        .await
        .unwrap()
        .is_none());
    // Still redeemable by its own client and family before it expires.
    assert_eq!(
        store
            .redeem_authorization_code(
                &SecretHash::of("code-1"),
                &first_token("refresh-1", &record, at(1)),
                at(1)
            )
            .await
            .unwrap(),
        Redemption::Redeemed
    );
}

async fn of_ten_concurrent_redemptions_of_one_code_exactly_one_wins(store: Arc<dyn Store>) {
    let record = code_record("contested", "family-c", t0());
    store.create_authorization_code(&record).await.unwrap();
    let outcomes = race(10, |i| {
        let store = Arc::clone(&store);
        let token = first_token(&format!("refresh-{i}"), &record, at(1));
        async move {
            store
                .redeem_authorization_code(&SecretHash::of("contested"), &token, at(1))
                .await
        }
    })
    .await;
    let winners = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Redemption::Redeemed)))
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    let mut stored = 0;
    for i in 0..10 {
        stored += store
            .find_refresh_token(&SecretHash::of(&format!("refresh-{i}")))
            .await
            .unwrap()
            .is_some() as usize;
    }
    assert_eq!(stored, 1, "exactly one first refresh token exists");
}

conformance!(
    codes_are_stored_by_hash_with_their_binding,
    a_code_is_redeemed_once_with_the_first_token_of_its_family,
    expired_unknown_and_misbound_codes_are_not_redeemed,
    of_ten_concurrent_redemptions_of_one_code_exactly_one_wins,
);
