//! Revocation by scope of damage: an epoch per application, owner or market, from the admin
//! command and from the owner's own "log out everywhere". Each ends the tokens it should, by
//! their issue or their login's start, and no others.

use std::time::Duration;

use gatehouse_core::clock::Clock;
use gatehouse_core::model::Mode;
use gatehouse_core::revocation::{epoch_at, EpochSubject};

use super::*;

/// A second later: what is issued from then on is after an epoch written now.
const NEXT_SECOND: Duration = Duration::from_secs(1);

async fn an_application_epoch_ends_every_token_of_the_application_and_no_other(
    store: Arc<dyn Store>,
) {
    let shop = Shop::on(store);
    let customer = shop.login().await;
    let storefront = shop.client_token(STOREFRONT, None, "market:1001").await;
    let integration = shop.integration_token().await;
    let revocation = shop
        .revoke_all(json!({"application": STOREFRONT}))
        .await
        .unwrap();
    assert_eq!(
        revocation,
        Revocation {
            subject: EpochSubject::Application {
                id: "app_storefront".into()
            },
            epoch: epoch_at(shop.clock.now()),
        }
    );
    shop.assert_revoked(&storefront, "the application's token")
        .await;
    shop.assert_revoked(&customer.access, "its customer's token")
        .await;
    assert_eq!(
        shop.refresh(&customer.refresh).await.0,
        400,
        "its customer's login"
    );
    shop.assert_alive(&integration, "another application's token")
        .await;
    // Issued after the epoch: alive.
    shop.clock.advance(NEXT_SECOND);
    let after = shop.client_token(STOREFRONT, None, "market:1001").await;
    shop.assert_alive(&after, "issued after the epoch").await;
    let login = shop.login().await;
    assert_eq!(
        shop.refresh(&login.refresh).await.0,
        200,
        "a login after the epoch"
    );
}

async fn an_owner_epoch_ends_every_login_of_the_owner_and_no_other(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let (first, second) = (shop.login().await, shop.login().await);
    let alice = shop.login_as(ALICE, "market:1001").await;
    let revocation = shop
        .revoke_all(json!({"customer": "cus_bob", "mode": "test"}))
        .await
        .unwrap();
    assert_eq!(revocation.epoch, epoch_at(shop.clock.now()));
    for (login, what) in [(&first, "first"), (&second, "second")] {
        shop.assert_revoked(&login.access, what).await;
        assert_eq!(shop.refresh(&login.refresh).await.0, 400, "{what}");
    }
    shop.assert_alive(&alice.access, "another customer").await;
    assert_eq!(shop.refresh(&alice.refresh).await.0, 200);
    shop.clock.advance(NEXT_SECOND);
    let again = shop.login().await;
    shop.assert_alive(&again.access, "a login after the epoch")
        .await;
}

async fn a_login_older_than_an_epoch_stays_ended_however_it_is_refreshed(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let login = shop.login().await;
    // Refreshed a while later: its tokens are newer than the login.
    shop.clock.advance(Duration::from_secs(600));
    let (status, body) = shop.refresh(&login.refresh).await;
    assert_eq!(status, 200, "{body}");
    let refreshed = Login::of(&body);
    shop.revoke_all(json!({"customer": "cus_bob", "mode": "test"}))
        .await
        .unwrap();
    shop.clock.advance(Duration::from_secs(600));
    shop.assert_revoked(&refreshed.access, "refreshed before the epoch")
        .await;
    assert_eq!(shop.refresh(&refreshed.refresh).await.0, 400);
}

async fn a_market_epoch_ends_the_tokens_scoped_to_it_and_no_others(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let eu = shop.client_token(STOREFRONT, None, "market:1001").await;
    let us = shop.client_token(STOREFRONT, None, "market:1002").await;
    let all = shop.integration_token().await;
    let customer = shop.login().await;
    let revocation = shop.revoke_all(json!({"market": "mkt_eu"})).await.unwrap();
    assert_eq!(
        revocation.subject,
        EpochSubject::Market {
            mode: Mode::Test,
            id: "mkt_eu".into()
        }
    );
    shop.assert_revoked(&eu, "scoped to the market").await;
    shop.assert_revoked(&customer.access, "a customer's, scoped to it")
        .await;
    assert_eq!(shop.refresh(&customer.refresh).await.0, 400);
    shop.assert_alive(&us, "scoped to another market").await;
    shop.assert_alive(&all, "of every market").await;
}

async fn an_owner_logs_out_everywhere_with_their_own_token(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let (here, elsewhere) = (shop.login().await, shop.login().await);
    let alice = shop.login_as(ALICE, "market:1001").await;
    let (status, body) = shop
        .revoke_event(TokenEvent::logout_everywhere(&here.access))
        .await;
    assert_eq!((status, body), (200, json!({})));
    for (login, what) in [(&here, "this login"), (&elsewhere, "another login")] {
        shop.assert_revoked(&login.access, what).await;
        assert_eq!(shop.refresh(&login.refresh).await.0, 400, "{what}");
    }
    shop.assert_alive(&alice.access, "another customer").await;
    // Its token ended, it cannot be used again; a token without an owner has nobody to log out.
    let (status, _) = shop
        .revoke_event(TokenEvent::logout_everywhere(&here.access))
        .await;
    assert_eq!(status, 401);
    let integration = shop.integration_token().await;
    let (status, body) = shop
        .revoke_event(TokenEvent::logout_everywhere(&integration))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, _) = shop
        .revoke_event(TokenEvent::logout_everywhere("not.a.token"))
        .await;
    assert_eq!(status, 401);
}

async fn an_epoch_racing_a_refresh_leaves_no_token_of_the_login_alive(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    for round in 0..4 {
        let login = shop.login().await;
        let outcomes = race(2, |i| {
            let (shop, refresh) = (Arc::clone(&shop), login.refresh.clone());
            async move {
                match i {
                    0 => shop.refresh(&refresh).await,
                    _ => {
                        let asked = json!({"customer": "cus_bob", "mode": "test"});
                        let revoked = shop.revoke_all(asked).await;
                        (if revoked.is_ok() { 200 } else { 500 }, json!({}))
                    }
                }
            }
        })
        .await;
        assert_eq!(outcomes[1].0, 200, "round {round}");
        // Later, whatever the order was.
        shop.clock.advance(Duration::from_secs(5));
        shop.assert_revoked(&login.access, "the login's first token")
            .await;
        let (status, body) = &outcomes[0];
        if *status == 200 {
            let successor = Login::of(body);
            shop.assert_revoked(&successor.access, "the refresh's access token")
                .await;
            assert_eq!(
                shop.refresh(&successor.refresh).await.0,
                400,
                "round {round}"
            );
        }
        shop.clock.advance(NEXT_SECOND);
    }
}

async fn a_revocation_names_one_existing_subject(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let refused = [
        json!({}),
        json!({"application": STOREFRONT, "market": "mkt_eu"}),
        json!({"customer": "cus_bob"}),
        json!({"application": STOREFRONT, "mode": "test"}),
    ];
    for asked in refused {
        let error = shop.revoke_all(asked.clone()).await.unwrap_err();
        assert!(
            matches!(error, CommandError::Invalid(_)),
            "{asked}: {error}"
        );
    }
    let unknown = [
        json!({"application": "no-such-client"}),
        json!({"market": "mkt_nowhere"}),
        json!({"customer": "cus_bob", "mode": "live"}),
        json!({"user": "usr_nobody", "mode": "test"}),
    ];
    for asked in unknown {
        let error = shop.revoke_all(asked.clone()).await.unwrap_err();
        assert!(
            matches!(error, CommandError::NotFound(_)),
            "{asked}: {error}"
        );
    }
    let user = shop
        .revoke_all(json!({"user": "usr_admin", "mode": "test"}))
        .await
        .unwrap();
    assert_eq!(user.subject.key(), "owner#test#User#usr_admin");
}

on_both_stores!(crate::memory, crate::dynamodb;
    an_application_epoch_ends_every_token_of_the_application_and_no_other,
    an_owner_epoch_ends_every_login_of_the_owner_and_no_other,
    a_login_older_than_an_epoch_stays_ended_however_it_is_refreshed,
    a_market_epoch_ends_the_tokens_scoped_to_it_and_no_others,
    an_owner_logs_out_everywhere_with_their_own_token,
    an_epoch_racing_a_refresh_leaves_no_token_of_the_login_alive,
    a_revocation_names_one_existing_subject,
);
