//! Revocation one token at a time, at `/oauth/revoke`.

use gatehouse_core::revocation::TokenSubjects;

use super::*;

async fn revoking_a_customers_access_token_ends_it_and_its_login(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let login = shop.login().await;
    let other = shop.login().await;
    shop.assert_alive(&login.access, "before").await;
    let (status, body) = shop
        .revoke(json!({"client_id": STOREFRONT, "token": login.access}))
        .await;
    assert_eq!((status, &body), (200, &json!({})));
    shop.assert_revoked(&login.access, "the access token").await;
    // Its login ends with it: the customer's logout with the access token alone.
    let (status, body) = shop.refresh(&login.refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Another login of the same customer is another session.
    shop.assert_alive(&other.access, "another login").await;
    assert_eq!(shop.refresh(&other.refresh).await.0, 200);
    // Revoking again changes nothing and says nothing new.
    let again = shop
        .revoke(json!({"client_id": STOREFRONT, "token": login.access}))
        .await;
    assert_eq!(again, (200, json!({})));
}

async fn revoking_a_refresh_token_ends_every_access_token_of_its_login(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let first = shop.login().await;
    let (status, body) = shop.refresh(&first.refresh).await;
    assert_eq!(status, 200, "{body}");
    let second = Login::of(&body);
    let (status, _) = shop
        .revoke(json!({
            "client_id": STOREFRONT, "token": second.refresh, "token_type_hint": "refresh_token"
        }))
        .await;
    assert_eq!(status, 200);
    shop.assert_revoked(&first.access, "issued by the password grant")
        .await;
    shop.assert_revoked(&second.access, "issued by the refresh grant")
        .await;
    assert_eq!(shop.refresh(&second.refresh).await.0, 400);
}

async fn a_token_without_a_login_is_revoked_alone(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let (revoked, kept) = (
        shop.integration_token().await,
        shop.integration_token().await,
    );
    // A confidential client revokes with its secret, here by HTTP Basic and a form.
    let event = TokenEvent::form(&[("token", &revoked)]).basic(INTEGRATION, INTEGRATION_SECRET);
    assert_eq!(shop.revoke_event(event).await.0, 200);
    shop.assert_revoked(&revoked, "the revoked token").await;
    shop.assert_alive(&kept, "its application's other token")
        .await;
}

async fn a_hint_only_says_where_to_look_first(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    // An access token hinted as a refresh token, and the reverse: both found.
    let login = shop.login().await;
    let hinted =
        json!({"client_id": STOREFRONT, "token": login.access, "token_type_hint": "refresh_token"});
    assert_eq!(shop.revoke(hinted).await.0, 200);
    shop.assert_revoked(&login.access, "hinted as a refresh token")
        .await;
    let login = shop.login().await;
    let hinted =
        json!({"client_id": STOREFRONT, "token": login.refresh, "token_type_hint": "access_token"});
    assert_eq!(shop.revoke(hinted).await.0, 200);
    assert_eq!(shop.refresh(&login.refresh).await.0, 400);
    shop.assert_revoked(&login.access, "its login's access token")
        .await;
    // An unknown hint is no hint.
    let login = shop.login().await;
    let hinted =
        json!({"client_id": STOREFRONT, "token": login.access, "token_type_hint": "id_token"});
    assert_eq!(shop.revoke(hinted).await.0, 200);
    shop.assert_revoked(&login.access, "with an unknown hint")
        .await;
}

async fn another_clients_token_is_refused_and_left_alive(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let customer = shop.login().await;
    let integration = shop.integration_token().await;
    let by_integration =
        |token: &str| TokenEvent::form(&[("token", token)]).basic(INTEGRATION, INTEGRATION_SECRET);
    for token in [&customer.access, &customer.refresh] {
        let (status, body) = shop.revoke_event(by_integration(token)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("unauthorized_client")),
            "{body}"
        );
    }
    let (status, body) = shop
        .revoke(json!({"client_id": STOREFRONT, "token": integration}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("unauthorized_client"))
    );
    shop.assert_alive(&customer.access, "the customer's token")
        .await;
    assert_eq!(shop.refresh(&customer.refresh).await.0, 200);
    shop.assert_alive(&integration, "the integration's token")
        .await;
}

async fn a_confidential_client_must_authenticate_to_revoke(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let token = shop.integration_token().await;
    let (status, body) = shop
        .revoke(json!({"client_id": INTEGRATION, "token": token}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let wrong = TokenEvent::form(&[("token", &token)]).basic(INTEGRATION, "not-the-secret");
    assert_eq!(shop.revoke_event(wrong).await.0, 401);
    shop.assert_alive(&token, "after refused revocations").await;
}

async fn invalid_tokens_are_answered_as_revoked(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let token = shop.integration_token().await;
    // RFC 7009 §2.2: "invalid tokens do not cause an error response".
    // One character in the middle of the signature changed.
    let at = token.len() - 20;
    let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
    let tampered = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
    for invalid in ["not-a-token", "a.b.c", tampered.as_str()] {
        let event = TokenEvent::form(&[("token", invalid)]).basic(INTEGRATION, INTEGRATION_SECRET);
        assert_eq!(
            shop.revoke_event(event).await,
            (200, json!({})),
            "{invalid}"
        );
    }
    // An expired token is invalid too, and nothing is written for it.
    let claims = verify(&token, &test_keys(), shop.clock.as_ref());
    shop.expire(&token);
    let event = TokenEvent::form(&[("token", &token)]).basic(INTEGRATION, INTEGRATION_SECRET);
    assert_eq!(shop.revoke_event(event).await, (200, json!({})));
    let state = shop
        .store
        .revocation_state(&TokenSubjects::of(&claims))
        .await
        .unwrap();
    assert!(!state.token, "no revocation is kept for an expired token");
}

async fn a_revocation_racing_a_refresh_leaves_no_token_of_the_login_alive(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    for round in 0..4 {
        let login = shop.login().await;
        // By the access token in even rounds, by the refresh token in odd ones.
        let revoked = if round % 2 == 0 {
            &login.access
        } else {
            &login.refresh
        };
        let body = json!({"client_id": STOREFRONT, "token": revoked});
        let outcomes = race(2, |i| {
            let (shop, body, refresh) = (Arc::clone(&shop), body.clone(), login.refresh.clone());
            async move {
                match i {
                    0 => shop.refresh(&refresh).await,
                    _ => shop.revoke(body).await,
                }
            }
        })
        .await;
        assert_eq!(outcomes[1].0, 200, "round {round}: {:?}", outcomes[1]);
        shop.assert_revoked(&login.access, "the first access token")
            .await;
        assert_eq!(shop.refresh(&login.refresh).await.0, 400, "round {round}");
        let (status, body) = &outcomes[0];
        if *status == 200 {
            // The refresh won the race: what it issued belongs to the revoked login.
            let successor = Login::of(body);
            shop.assert_revoked(&successor.access, "the refresh's access token")
                .await;
            assert_eq!(
                shop.refresh(&successor.refresh).await.0,
                400,
                "round {round}"
            );
        }
    }
}

/// The status of `GET /api/markets` with `token` on `api`.
async fn status_on(api: &ApiService, token: &str) -> u16 {
    let request = api_request(token, "/api/markets");
    gatehouse_api::handle(request, api).await.status().as_u16()
}

async fn a_lambda_process_sees_a_revocation_within_its_staleness_and_no_later(
    store: Arc<dyn Store>,
) {
    use gatehouse_edge::bearer::REVOCATION_STALENESS;
    let shop = Shop::on(store.clone());
    // The API as a Lambda process runs it: storage's "not revoked" is taken for 5 seconds.
    let lambda =
        api_service_seeing_revocations_after(store, shop.clock.clone(), REVOCATION_STALENESS);
    let token = shop.integration_token().await;
    assert_eq!(status_on(&lambda, &token).await, 200);
    shop.revoke_event(
        TokenEvent::form(&[("token", &token)]).basic(INTEGRATION, INTEGRATION_SECRET),
    )
    .await;
    // Within the bound the process may still take it (its answer and its verified token are
    // both kept); `serve`'s API, which keeps no answer, refuses it at once.
    assert_eq!(status_on(&lambda, &token).await, 200);
    shop.assert_revoked(&token, "on serve").await;
    shop.clock
        .advance(REVOCATION_STALENESS - std::time::Duration::from_millis(1));
    assert_eq!(status_on(&lambda, &token).await, 200);
    shop.clock.advance(std::time::Duration::from_millis(1));
    assert_eq!(
        status_on(&lambda, &token).await,
        401,
        "refused once the bound has passed"
    );
}

on_both_stores!(crate::memory, crate::dynamodb;
    revoking_a_customers_access_token_ends_it_and_its_login,
    revoking_a_refresh_token_ends_every_access_token_of_its_login,
    a_token_without_a_login_is_revoked_alone,
    a_hint_only_says_where_to_look_first,
    another_clients_token_is_refused_and_left_alive,
    a_confidential_client_must_authenticate_to_revoke,
    invalid_tokens_are_answered_as_revoked,
    a_revocation_racing_a_refresh_leaves_no_token_of_the_login_alive,
    a_lambda_process_sees_a_revocation_within_its_staleness_and_no_later,
);
