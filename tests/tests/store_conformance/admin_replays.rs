//! Administrative changes answered, not made again, when their request comes back
//! ([`gatehouse_store::replays`]), on both stores: every change sent again under its
//! request answers its first outcome, whatever it is sent with and whatever happened since;
//! a request's name with another fingerprint is refused and changes nothing; a record stands
//! 24 hours; a refused change is not remembered.

use super::*;
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::idempotency::{record_name, IdempotencyKey, SealedSecret};
use gatehouse_core::model::Application;
use gatehouse_store::{
    AdminError, AdminOutcome, ApplicationUpdate, AuditAction, ChangeContext, ChangeRequest,
};

/// A request of `ops` under a key of its own, asking `fingerprint`, made `offset` ms in.
struct Request {
    key: IdempotencyKey,
    fingerprint: &'static str,
}

impl Request {
    fn new(fingerprint: &'static str) -> Self {
        Self {
            key: IdempotencyKey::generate(),
            fingerprint,
        }
    }

    fn at(&self, offset: u64) -> ChangeContext {
        self.asking(self.fingerprint, offset)
    }

    /// The same key with another request.
    fn asking(&self, fingerprint: &str, offset: u64) -> ChangeContext {
        ChangeContext {
            actor: "ops".into(),
            at: at(offset),
            request: ChangeRequest {
                name: record_name("ops", &self.key),
                fingerprint: fingerprint.into(),
            },
        }
    }

    fn sealed(&self, secret: &str) -> SealedSecret {
        SealedSecret::seal(secret, &self.key, &record_name("ops", &self.key))
    }
}

fn erp(client_id: &str) -> Application {
    Application {
        id: format!("app_new_{client_id}"),
        name: "ERP".into(),
        kind: ApplicationKind::Integration,
        mode: Mode::Live,
        client_id: client_id.into(),
        client_secret_hash: Some(SecretHash::of("erp-secret")),
        token_lifetime: None,
        redirect_uris: vec![],
        enabled: true,
        previous_client_secret: None,
        grant_types: None,
        jwt_bearer: None,
    }
}

fn disable() -> ApplicationUpdate {
    ApplicationUpdate {
        enabled: Some(false),
        ..Default::default()
    }
}

async fn audit_actions(store: &dyn Store) -> Vec<AuditAction> {
    let mut log = store.audit_log(100).await.unwrap();
    log.reverse();
    log.into_iter().map(|record| record.action).collect()
}

async fn every_change_sent_again_under_its_request_answers_its_first_outcome_once(
    store: Arc<dyn Store>,
) {
    let create = Request::new("create erp");
    let created = store
        .create_application(
            &erp("erp"),
            Some(&create.sealed("erp-secret")),
            &create.at(1),
        )
        .await
        .unwrap();
    // Sent again with another application (a retry generates its id and secret anew).
    let mut second = erp("erp-2");
    second.id = "app_new_erp_2".into();
    let again = store
        .create_application(&second, Some(&create.sealed("other")), &create.at(1000))
        .await
        .unwrap();
    assert_eq!(again, created);
    assert_eq!(store.replay(&create.at(2000)).await.unwrap(), Some(created));
    assert_eq!(store.find_application("erp-2").await.unwrap(), None);

    let rotate = Request::new("rotate");
    let until = UnixSeconds(at(3_600_000).floor_seconds().0);
    let rotation = |secret: &'static str, offset: u64| {
        let (store, rotate) = (store.clone(), &rotate);
        async move {
            store
                .rotate_client_secret(
                    INTEGRATION,
                    &SecretHash::of(secret),
                    &rotate.sealed(secret),
                    until,
                    &rotate.at(offset),
                )
                .await
                .unwrap()
        }
    };
    let rotated = rotation("second-secret", 2).await;
    assert_eq!(rotation("third-secret", 1002).await, rotated);
    let integration = store.find_application(INTEGRATION).await.unwrap().unwrap();
    assert!(integration.secret_matches("second-secret", at(1002)));
    assert!(integration.secret_matches(INTEGRATION_SECRET, at(1002)));
    assert!(!integration.secret_matches("third-secret", at(1002)));

    let update = Request::new("disable the webapp");
    let disabled = store
        .update_application(WEBAPP, ApplicationKind::Webapp, &disable(), &update.at(3))
        .await
        .unwrap();
    let enable = ApplicationUpdate {
        enabled: Some(true),
        ..Default::default()
    };
    store
        .update_application(
            WEBAPP,
            ApplicationKind::Webapp,
            &enable,
            &Request::new("enable").at(4),
        )
        .await
        .unwrap();
    // The first request again: its own answer, and the application stays enabled.
    let again = store
        .update_application(
            WEBAPP,
            ApplicationKind::Webapp,
            &disable(),
            &update.at(1004),
        )
        .await
        .unwrap();
    assert_eq!(again, disabled);
    assert!(store.application(WEBAPP).await.unwrap().enabled);

    let market = Request::new("disable eu");
    let switched = store
        .set_market_active("mkt_eu", false, &market.at(5))
        .await
        .unwrap();
    assert_eq!(
        store
            .set_market_active("mkt_eu", false, &market.at(1005))
            .await
            .unwrap(),
        switched
    );

    let delete = Request::new("delete the storefront");
    let deleted = store
        .delete_application(STOREFRONT, &delete.at(6))
        .await
        .unwrap();
    assert_eq!(deleted, AdminOutcome::Deleted(STOREFRONT.into()));
    // Gone since, by this very request: answered, not "not found".
    assert_eq!(
        store
            .delete_application(STOREFRONT, &delete.at(1006))
            .await
            .unwrap(),
        deleted
    );
    // The rotation's application gone too: its request is still answered.
    store
        .delete_application(INTEGRATION, &Request::new("delete").at(7))
        .await
        .unwrap();
    assert_eq!(rotation("fourth-secret", 1007).await, rotated);
    assert_eq!(
        store
            .update_application(WEBAPP, ApplicationKind::Webapp, &disable(), &update.at(8))
            .await
            .unwrap(),
        disabled
    );

    assert_eq!(
        audit_actions(store.as_ref()).await,
        [
            AuditAction::ApplicationCreated,
            AuditAction::SecretRotated,
            AuditAction::ApplicationUpdated,
            AuditAction::ApplicationUpdated,
            AuditAction::MarketDisabled,
            AuditAction::ApplicationDeleted,
            AuditAction::ApplicationDeleted,
        ]
    );
}

async fn a_request_sent_again_asking_something_else_is_refused_and_changes_nothing(
    store: Arc<dyn Store>,
) {
    let request = Request::new("disable the webapp");
    store
        .update_application(WEBAPP, ApplicationKind::Webapp, &disable(), &request.at(1))
        .await
        .unwrap();
    let other = || request.asking("something else", 2);
    let refusals = [
        store.replay(&other()).await.map(|_| ()),
        store
            .create_application(&erp("erp"), None, &other())
            .await
            .map(|_| ()),
        store
            .update_application(
                INTEGRATION,
                ApplicationKind::Integration,
                &disable(),
                &other(),
            )
            .await
            .map(|_| ()),
        store
            .rotate_client_secret(
                INTEGRATION,
                &SecretHash::of("x"),
                &request.sealed("x"),
                UnixSeconds(at(0).floor_seconds().0),
                &other(),
            )
            .await
            .map(|_| ()),
        store
            .set_market_active("mkt_eu", false, &other())
            .await
            .map(|_| ()),
        store
            .delete_application(STOREFRONT, &other())
            .await
            .map(|_| ()),
    ];
    for refusal in refusals {
        assert!(
            matches!(refusal, Err(AdminError::KeyReused(_))),
            "{refusal:?}"
        );
    }
    assert_eq!(store.find_application("erp").await.unwrap(), None);
    let integration = store.application(INTEGRATION).await.unwrap();
    assert!(integration.enabled && integration.previous_client_secret.is_none());
    assert!(store.find_application(STOREFRONT).await.unwrap().is_some());
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [AuditAction::ApplicationUpdated]
    );
}

async fn a_request_is_remembered_24_hours_and_a_refused_one_not_at_all(store: Arc<dyn Store>) {
    let day = 24 * 3_600_000;
    let request = Request::new("disable eu");
    let first = store
        .set_market_active("mkt_eu", false, &request.at(0))
        .await
        .unwrap();
    assert_eq!(
        store.replay(&request.at(day - 1)).await.unwrap(),
        Some(first)
    );
    assert_eq!(store.replay(&request.at(day)).await.unwrap(), None);
    // Past its day, even asking something else, the key is a new request's.
    assert_eq!(
        store.replay(&request.asking("other", day)).await.unwrap(),
        None
    );
    store
        .set_market_active("mkt_eu", false, &request.at(day))
        .await
        .unwrap();

    let refused = Request::new("create over the storefront");
    let mut taken = erp(STOREFRONT);
    taken.id = "app_taken".into();
    assert!(matches!(
        store.create_application(&taken, None, &refused.at(1)).await,
        Err(AdminError::Conflict(_))
    ));
    assert_eq!(store.replay(&refused.at(2)).await.unwrap(), None);
    store
        .delete_application(STOREFRONT, &Request::new("delete").at(3))
        .await
        .unwrap();
    // Sent again once the client_id is free, it is decided again: made.
    let created = store
        .create_application(&taken, None, &refused.at(4))
        .await
        .unwrap();
    assert_eq!(created.into_application().unwrap().id, "app_taken");
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [
            AuditAction::MarketDisabled,
            AuditAction::ApplicationDeleted,
            AuditAction::ApplicationCreated,
            AuditAction::MarketDisabled,
        ]
    );
}

conformance!(
    every_change_sent_again_under_its_request_answers_its_first_outcome_once,
    a_request_sent_again_asking_something_else_is_refused_and_changes_nothing,
    a_request_is_remembered_24_hours_and_a_refused_one_not_at_all,
);
