//! Administering applications and markets ([`gatehouse_store::Administration`]), on
//! both stores: each change is read back through the token endpoint's own lookups and leaves
//! exactly one audit record; a refused change leaves none.

use super::*;
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::grant::GrantType;
use gatehouse_core::idempotency::{record_name, IdempotencyKey, SealedSecret};
use gatehouse_core::lifetime::TokenLifetime;
use gatehouse_core::model::Application;
use gatehouse_store::{
    AdminError, ApplicationUpdate, AuditAction, ChangeContext, ChangeRequest, PageRequest,
};

/// A change by `actor`, `offset` ms after the start, answering a request of its own.
fn by(actor: &str, offset: u64) -> ChangeContext {
    ChangeContext {
        actor: actor.to_owned(),
        at: at(offset),
        request: ChangeRequest {
            name: record_name(actor, &IdempotencyKey::generate()),
            fingerprint: "a request of its own".into(),
        },
    }
}

/// A secret sealed for a request's retries (what it is sealed under does not matter here).
fn sealed(secret: &str) -> SealedSecret {
    SealedSecret::seal(secret, &IdempotencyKey::generate(), "record")
}

fn integration(client_id: &str, secret: &str) -> Application {
    Application {
        id: format!("app_new_{client_id}"),
        name: "ERP connector".into(),
        kind: ApplicationKind::Integration,
        mode: Mode::Live,
        client_id: client_id.into(),
        client_secret_hash: Some(SecretHash::of(secret)),
        token_lifetime: None,
        redirect_uris: vec![],
        enabled: true,
        previous_client_secret: None,
        grant_types: None,
        jwt_bearer: None,
    }
}

fn client_ids(applications: &[Application]) -> Vec<&str> {
    applications.iter().map(|a| a.client_id.as_str()).collect()
}

async fn audit_actions(store: &dyn Store) -> Vec<(AuditAction, String)> {
    store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.target))
        .collect()
}

async fn applications_are_listed_by_client_id_optionally_by_environment(store: Arc<dyn Store>) {
    let all = store.list_applications(None).await.unwrap();
    assert_eq!(
        client_ids(&all),
        [INTEGRATION, STOREFRONT, WEBAPP, LIVE_STOREFRONT]
    );
    assert!(all.iter().all(|a| a.enabled));
    let test = store.list_applications(Some(Mode::Test)).await.unwrap();
    assert_eq!(client_ids(&test), [INTEGRATION, STOREFRONT, WEBAPP]);
    let live = store.list_applications(Some(Mode::Live)).await.unwrap();
    assert_eq!(client_ids(&live), [LIVE_STOREFRONT]);
    assert_eq!(store.application(WEBAPP).await.unwrap(), all[2]);
    assert!(matches!(
        store.application("nobody").await,
        Err(AdminError::NotFound(_))
    ));
}

async fn an_application_is_created_once_and_its_client_id_cannot_be_taken_again(
    store: Arc<dyn Store>,
) {
    let erp = integration("erp", "erp-secret");
    store
        .create_application(&erp, None, &by("alice", 1))
        .await
        .unwrap();
    assert_eq!(
        store.find_application("erp").await.unwrap(),
        Some(erp.clone())
    );
    assert_eq!(store.application("erp").await.unwrap(), erp);
    let live = store.list_applications(Some(Mode::Live)).await.unwrap();
    assert_eq!(client_ids(&live), ["erp", LIVE_STOREFRONT]);

    let mut taken = integration(STOREFRONT, "another-secret");
    taken.id = "app_other".into();
    assert!(matches!(
        store.create_application(&taken, None, &by("bob", 2)).await,
        Err(AdminError::Conflict(message)) if message.contains(STOREFRONT)
    ));
    let storefront = store.find_application(STOREFRONT).await.unwrap().unwrap();
    assert_eq!(storefront.kind, ApplicationKind::SalesChannel);
    let mut same_id = integration("erp-2", "another-secret");
    same_id.id = "app_erp".into();
    assert!(matches!(
        store.create_application(&same_id, None, &by("bob", 3)).await,
        Err(AdminError::Conflict(message)) if message.contains("app_erp")
    ));
    assert_eq!(store.find_application("erp-2").await.unwrap(), None);

    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (
            log[0].action,
            log[0].target.as_str(),
            log[0].actor.as_str(),
            log[0].at
        ),
        (AuditAction::ApplicationCreated, "erp", "alice", at(1))
    );
    assert_eq!(log[0].detail, "integration live application");
}

async fn an_update_changes_only_the_fields_it_names(store: Arc<dyn Store>) {
    let before = store.application(INTEGRATION).await.unwrap();
    let update = ApplicationUpdate {
        name: Some("Renamed".into()),
        token_lifetime: Some(Some(TokenLifetime::try_from(7_200).unwrap())),
        enabled: Some(false),
        ..Default::default()
    };
    let updated = store
        .update_application(
            INTEGRATION,
            ApplicationKind::Integration,
            &update,
            &by("ops", 1),
        )
        .await
        .unwrap()
        .into_application()
        .unwrap();
    let mut expected = before.clone();
    update.apply_to(&mut expected);
    assert_eq!(updated, expected);
    assert!(!updated.enabled && updated.name == "Renamed");
    assert_eq!(
        store.find_application(INTEGRATION).await.unwrap(),
        Some(expected)
    );

    let storefront = ApplicationUpdate {
        grant_types: Some(Some(vec![GrantType::Password, GrantType::RefreshToken])),
        jwt_bearer: None,
        ..Default::default()
    };
    let narrowed = store
        .update_application(
            STOREFRONT,
            ApplicationKind::SalesChannel,
            &storefront,
            &by("ops", 2),
        )
        .await
        .unwrap()
        .into_application()
        .unwrap();
    assert!(!narrowed.may_use_grant(GrantType::ClientCredentials));
    let reset = ApplicationUpdate {
        token_lifetime: Some(None),
        grant_types: Some(None),
        jwt_bearer: None,
        enabled: Some(true),
        ..Default::default()
    };
    let back = store
        .update_application(
            INTEGRATION,
            ApplicationKind::Integration,
            &reset,
            &by("ops", 3),
        )
        .await
        .unwrap()
        .into_application()
        .unwrap();
    assert_eq!(
        (back.token_lifetime, back.grant_types.clone()),
        (None, None)
    );
    assert_eq!(back.client_secret_hash, before.client_secret_hash);
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [
            (AuditAction::ApplicationUpdated, INTEGRATION.to_owned()),
            (AuditAction::ApplicationUpdated, STOREFRONT.to_owned()),
            (AuditAction::ApplicationUpdated, INTEGRATION.to_owned()),
        ]
    );
    assert_eq!(
        store.audit_log(1).await.unwrap()[0].detail,
        "token_lifetime=default, grant_types=all of its kind, enabled=true"
    );
}

async fn an_update_of_a_missing_or_other_kind_application_is_refused_unrecorded(
    store: Arc<dyn Store>,
) {
    let update = ApplicationUpdate {
        enabled: Some(false),
        ..Default::default()
    };
    assert!(matches!(
        store
            .update_application(
                "nobody",
                ApplicationKind::Integration,
                &update,
                &by("ops", 1)
            )
            .await,
        Err(AdminError::NotFound(_))
    ));
    assert!(matches!(
        store
            .update_application(WEBAPP, ApplicationKind::Integration, &update, &by("ops", 2))
            .await,
        Err(AdminError::Conflict(_))
    ));
    assert!(
        store
            .find_application(WEBAPP)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    assert!(store.audit_log(10).await.unwrap().is_empty());
}

async fn a_deleted_application_is_gone_from_every_lookup(store: Arc<dyn Store>) {
    store
        .delete_application(WEBAPP, &by("ops", 1))
        .await
        .unwrap();
    assert_eq!(store.find_application(WEBAPP).await.unwrap(), None);
    let all = store.list_applications(None).await.unwrap();
    assert_eq!(client_ids(&all), [INTEGRATION, STOREFRONT, LIVE_STOREFRONT]);
    assert!(matches!(
        store.delete_application(WEBAPP, &by("ops", 2)).await,
        Err(AdminError::NotFound(_))
    ));
    // Its client_id is free again.
    let mut again = integration(WEBAPP, "new-secret");
    again.id = "app_webapp_again".into();
    store
        .create_application(&again, None, &by("ops", 3))
        .await
        .unwrap();
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [
            (AuditAction::ApplicationCreated, WEBAPP.to_owned()),
            (AuditAction::ApplicationDeleted, WEBAPP.to_owned()),
        ]
    );
}

async fn a_rotated_secret_is_current_and_the_old_one_previous_until_its_deadline(
    store: Arc<dyn Store>,
) {
    let until = UnixSeconds(at(86_400_000).floor_seconds().0);
    let rotated = store
        .rotate_client_secret(
            INTEGRATION,
            &SecretHash::of("second"),
            &sealed("second"),
            until,
            &by("ops", 1),
        )
        .await
        .unwrap()
        .into_application()
        .unwrap();
    let found = store.find_application(INTEGRATION).await.unwrap().unwrap();
    assert_eq!(found, rotated);
    assert!(found.client_secret_hash.as_ref().unwrap().verify("second"));
    let previous = found.previous_client_secret.as_ref().unwrap();
    assert!(previous.hash.verify(INTEGRATION_SECRET));
    assert_eq!(previous.valid_until, until);
    assert!(found.secret_matches(INTEGRATION_SECRET, at(1)));
    assert!(!found.secret_matches(INTEGRATION_SECRET, at(86_400_000)));

    // A second rotation forgets the first secret.
    let again = store
        .rotate_client_secret(
            INTEGRATION,
            &SecretHash::of("third"),
            &sealed("third"),
            until,
            &by("ops", 2),
        )
        .await
        .unwrap()
        .into_application()
        .unwrap();
    assert!(again
        .previous_client_secret
        .as_ref()
        .unwrap()
        .hash
        .verify("second"));
    assert!(!again.secret_matches(INTEGRATION_SECRET, at(3)));

    assert!(matches!(
        store
            .rotate_client_secret(
                STOREFRONT,
                &SecretHash::of("x"),
                &sealed("x"),
                until,
                &by("ops", 3)
            )
            .await,
        Err(AdminError::Conflict(_))
    ));
    assert!(matches!(
        store
            .rotate_client_secret(
                "nobody",
                &SecretHash::of("x"),
                &sealed("x"),
                until,
                &by("ops", 4)
            )
            .await,
        Err(AdminError::NotFound(_))
    ));
    let storefront = store.find_application(STOREFRONT).await.unwrap().unwrap();
    assert!(storefront.client_secret_hash.is_none() && storefront.previous_client_secret.is_none());
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.action == AuditAction::SecretRotated
        && r.detail
            .starts_with("new secret; the previous one is accepted until")
        && !r.detail.contains("sha256")));
}

async fn a_market_is_disabled_and_enabled_under_every_name_and_in_its_listing(
    store: Arc<dyn Store>,
) {
    let disabled = store
        .set_market_active("mkt_eu", false, &by("ops", 1))
        .await
        .unwrap()
        .into_market()
        .unwrap();
    assert!(!disabled.active && disabled.number == 1001);
    for reference in [Number(1001), Code("eu".into()), Id("mkt_eu".into())] {
        let found = store
            .find_markets(Mode::Test, std::slice::from_ref(&reference))
            .await
            .unwrap();
        assert!(found.len() == 1 && !found[0].active, "{reference:?}");
    }
    let listed = |store: Arc<dyn Store>| async move {
        store
            .list_markets(
                Mode::Test,
                PageRequest {
                    number: 1,
                    size: 100,
                    after: None,
                },
            )
            .await
            .unwrap()
            .records
            .into_iter()
            .find(|m| m.id == "mkt_eu")
            .unwrap()
            .active
    };
    assert!(!listed(store.clone()).await);
    store
        .set_market_active("mkt_eu", true, &by("ops", 2))
        .await
        .unwrap();
    assert!(listed(store.clone()).await);
    assert!(
        store
            .find_markets(Mode::Test, &[Code("eu".into())])
            .await
            .unwrap()[0]
            .active
    );
    // A live market, found by id without naming its environment.
    let live = store
        .set_market_active("mkt_live_eu", false, &by("ops", 3))
        .await
        .unwrap()
        .into_market()
        .unwrap();
    assert_eq!(live.mode, Mode::Live);
    assert!(matches!(
        store
            .set_market_active("mkt_nowhere", true, &by("ops", 4))
            .await,
        Err(AdminError::NotFound(_))
    ));
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [
            (AuditAction::MarketDisabled, "mkt_live_eu".to_owned()),
            (AuditAction::MarketEnabled, "mkt_eu".to_owned()),
            (AuditAction::MarketDisabled, "mkt_eu".to_owned()),
        ]
    );
}

async fn the_audit_log_lists_the_newest_records_first_up_to_the_limit(store: Arc<dyn Store>) {
    for (i, active) in [false, true, false, true].into_iter().enumerate() {
        store
            .set_market_active(
                "mkt_us",
                active,
                &by(&format!("actor-{i}"), i as u64 * 1000),
            )
            .await
            .unwrap();
    }
    let newest = store.audit_log(2).await.unwrap();
    let actors: Vec<&str> = newest.iter().map(|r| r.actor.as_str()).collect();
    assert_eq!(actors, ["actor-3", "actor-2"]);
    assert_eq!(newest[0].at, at(3000));
    assert_eq!(store.audit_log(100).await.unwrap().len(), 4);
    assert!(store.audit_log(0).await.unwrap().is_empty());
}

conformance!(
    applications_are_listed_by_client_id_optionally_by_environment,
    an_application_is_created_once_and_its_client_id_cannot_be_taken_again,
    an_update_changes_only_the_fields_it_names,
    an_update_of_a_missing_or_other_kind_application_is_refused_unrecorded,
    a_deleted_application_is_gone_from_every_lookup,
    a_rotated_secret_is_current_and_the_old_one_previous_until_its_deadline,
    a_market_is_disabled_and_enabled_under_every_name_and_in_its_listing,
    the_audit_log_lists_the_newest_records_first_up_to_the_limit,
);
