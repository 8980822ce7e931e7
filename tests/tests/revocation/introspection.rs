//! `POST /oauth/introspect` (RFC 7662): active tokens described from their own claims and
//! records, every other token the same `{"active": false}`, only to confidential clients.

use super::*;

/// What the integration's introspection says of `token`.
async fn introspect(shop: &Shop, token: &str, hint: Option<&str>) -> (u16, Value) {
    let mut pairs = vec![("token", token)];
    pairs.extend(hint.map(|hint| ("token_type_hint", hint)));
    let event = TokenEvent::form(&pairs)
        .path("/oauth/introspect")
        .basic(INTEGRATION, INTEGRATION_SECRET);
    shop.revoke_event(event).await
}

fn inactive() -> (u16, Value) {
    (200, json!({"active": false}))
}

async fn an_active_access_token_is_described_by_its_claims(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let login = shop.login().await;
    let claims = verify(&login.access, &test_keys(), shop.clock.as_ref());
    let (status, body) = introspect(&shop, &login.access, None).await;
    assert_eq!(status, 200, "{body}");
    let owner = claims.owner.as_ref().unwrap();
    assert_eq!(
        body,
        json!({
            "active": true,
            "token_type": "bearer",
            "token_use": "access_token",
            "scope": claims.scope,
            "client_id": claims.application.client_id,
            "sub": owner.id,
            "owner_type": owner.owner_type,
            "iss": claims.iss,
            "iat": claims.iat,
            "exp": claims.exp,
            "jti": claims.jti,
            "market_id": claims.market.as_ref().unwrap().id,
            "test": true,
        })
    );
    // A token without an owner is its client's.
    let integration = shop.integration_token().await;
    let (_, body) = introspect(&shop, &integration, Some("access_token")).await;
    assert_eq!(
        (body["active"].as_bool(), body["sub"].as_str()),
        (Some(true), Some(INTEGRATION))
    );
}

async fn an_active_refresh_token_is_described_by_its_record(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let login = shop.login().await;
    let claims = verify(&login.access, &test_keys(), shop.clock.as_ref());
    let (_, body) = introspect(&shop, &login.refresh, Some("refresh_token")).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["token_use"], "refresh_token");
    assert_eq!(body["client_id"], STOREFRONT);
    assert_eq!(body["sub"], claims.owner.unwrap().id);
    assert_eq!(body["scope"], claims.scope);
    assert_eq!(body["iat"], claims.iat);
    // Exchanged: the old one is no longer active, its successor is.
    let (status, refreshed) = shop.refresh(&login.refresh).await;
    assert_eq!(status, 200);
    assert_eq!(introspect(&shop, &login.refresh, None).await, inactive());
    let successor = Login::of(&refreshed);
    assert_eq!(
        introspect(&shop, &successor.refresh, None).await.1["active"],
        true
    );
}

async fn every_token_that_is_not_active_gets_the_same_answer(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    // Revoked by itself; its login with it.
    let revoked = shop.login().await;
    shop.revoke(json!({"client_id": STOREFRONT, "token": revoked.access}))
        .await;
    // Ended by an epoch.
    let ended = shop.client_token(STOREFRONT, None, "market:1001").await;
    shop.revoke_all(json!({"application": STOREFRONT}))
        .await
        .unwrap();
    // Of the other environment.
    let live = shop
        .client_token(LIVE_STOREFRONT, None, "market:2001")
        .await;
    // Expired a moment from now.
    let expiring = shop.integration_token().await;
    for (token, what) in [
        (revoked.access.as_str(), "a revoked access token"),
        (revoked.refresh.as_str(), "the refresh token of its login"),
        (ended.as_str(), "a token an epoch ended"),
        (live.as_str(), "a live token, asked by a test client"),
        ("unknown-token", "an unknown string"),
        ("a.b.c", "a malformed token"),
    ] {
        assert_eq!(introspect(&shop, token, None).await, inactive(), "{what}");
    }
    shop.expire(&expiring);
    assert_eq!(
        introspect(&shop, &expiring, None).await,
        inactive(),
        "expired"
    );
}

async fn only_a_confidential_client_may_introspect(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let token = shop.integration_token().await;
    let public =
        TokenEvent::form(&[("token", &token), ("client_id", STOREFRONT)]).path("/oauth/introspect");
    let (status, body) = shop.revoke_event(public).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    let wrong = TokenEvent::form(&[("token", &token)])
        .path("/oauth/introspect")
        .basic(INTEGRATION, "not-the-secret");
    assert_eq!(shop.revoke_event(wrong).await.0, 401);
    let without_token = TokenEvent::form(&[])
        .path("/oauth/introspect")
        .basic(INTEGRATION, INTEGRATION_SECRET);
    let (status, body) = shop.revoke_event(without_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

on_both_stores!(crate::memory, crate::dynamodb;
    an_active_access_token_is_described_by_its_claims,
    an_active_refresh_token_is_described_by_its_record,
    every_token_that_is_not_active_gets_the_same_answer,
    only_a_confidential_client_may_introspect,
);
