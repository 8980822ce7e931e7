//! The admin API's `Idempotency-Key`, on both stores: a change sent again under its key is
//! answered with the first one's outcome (a create's secret included) and made once; a key
//! sent with another request is refused with 422; a key is its caller's own and is kept for
//! 24 hours. Lost answers on DynamoDB, where the retry is the SDK's, are in
//! `dynamodb_faults/admin.rs`.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_admin::{handle, AdminAccess, AdminApi};
use gatehouse_core::clock::{Clock, ManualClock};
use gatehouse_core::model::Mode;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::{AuditAction, Store};
use gatehouse_tests::*;
use serde_json::{json, Value};

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

/// A key as the draft recommends one: a UUID.
const KEY: &str = "8e03978e-40d5-43e8-bc93-6894a57f9324";
const OTHER_CALLER_ARN: &str = "arn:aws:iam::123456789012:user/ops-bob";

struct Admin {
    api: AdminApi,
    clock: Arc<ManualClock>,
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Value,
    text: String,
}

impl Admin {
    fn on(store: Arc<dyn Store>) -> Self {
        let clock = manual_clock();
        Self {
            api: AdminApi {
                service: admin_service(store, clock.clone()),
                access: AdminAccess::IamCaller,
            },
            clock,
        }
    }

    /// `method path` with `body`, by `caller`, under each of `keys` (an `Idempotency-Key`
    /// header field apiece).
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        caller: &str,
        keys: &[&str],
    ) -> Answer {
        let mut request = admin_event(method, path, "", body.as_ref(), Some(caller));
        for key in keys {
            request.headers_mut().append(
                "idempotency-key",
                http::HeaderValue::from_bytes(key.as_bytes()).unwrap(),
            );
        }
        let response = handle(request, &self.api).await;
        let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// `method path` with `body` by the usual caller under `key`.
    async fn keyed(&self, method: &str, path: &str, body: Option<Value>, key: &str) -> Answer {
        self.send(method, path, body, ADMIN_CALLER_ARN, &[key])
            .await
    }
}

/// An [`Admin`] whose clock moves a millisecond before each request.
struct Ticking(Admin);

impl Ticking {
    async fn keyed(&self, method: &str, path: &str, body: Option<Value>, key: &str) -> Answer {
        self.0.clock.advance(Duration::from_millis(1));
        self.0.keyed(method, path, body, key).await
    }
}

async fn audit_actions(store: &dyn Store) -> Vec<AuditAction> {
    let mut log = store.audit_log(100).await.unwrap();
    log.reverse();
    log.into_iter().map(|record| record.action).collect()
}

async fn a_create_sent_again_under_its_key_answers_the_same_application_and_secret(
    store: Arc<dyn Store>,
) {
    let admin = Admin::on(store.clone());
    // No client_id: a random one is made, which a second create would make anew.
    let body = json!({"name": "ERP", "kind": "integration", "mode": "live"});
    let first = admin
        .keyed("POST", "/admin/applications", Some(body.clone()), KEY)
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    admin.clock.advance(Duration::from_secs(30));
    // The draft's form of the field, an sf-string, names the same key.
    let again = admin
        .keyed(
            "POST",
            "/admin/applications",
            Some(body),
            &format!("\"{KEY}\""),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body, first.body);

    let secret = first.body["client_secret"].as_str().unwrap();
    let client_id = first.body["client_id"].as_str().unwrap();
    let created = store.find_application(client_id).await.unwrap().unwrap();
    assert!(created.secret_matches(secret, admin.clock.now()));
    let live = store.list_applications(Some(Mode::Live)).await.unwrap();
    assert_eq!(live.len(), 2, "one application made: {live:?}");
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [AuditAction::ApplicationCreated]
    );
}

async fn a_rotation_sent_again_under_its_key_keeps_the_first_ones_overlap(store: Arc<dyn Store>) {
    let admin = Admin::on(store.clone());
    let path = "/admin/applications/demo-integration/secret";
    let body = json!({"overlap_seconds": 3600});
    let first = admin.keyed("POST", path, Some(body.clone()), KEY).await;
    assert_eq!(first.status, 200, "{}", first.text);
    admin.clock.advance(Duration::from_secs(30));
    let again = admin.keyed("POST", path, Some(body), KEY).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, first.body);

    let now = admin.clock.now();
    let integration = store.find_application(INTEGRATION).await.unwrap().unwrap();
    assert!(integration
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify(first.body["client_secret"].as_str().unwrap()));
    // The secret it replaced is still accepted, until the first rotation's deadline.
    let previous = integration.previous_client_secret.as_ref().unwrap();
    assert!(previous.hash.verify(INTEGRATION_SECRET));
    assert_eq!(
        previous.valid_until.0,
        test_start().floor_seconds().0 + 3600
    );
    assert!(integration.secret_matches(INTEGRATION_SECRET, now));
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [AuditAction::SecretRotated]
    );
}

async fn an_update_a_deletion_and_a_market_switch_sent_again_are_answered_not_made_again(
    store: Arc<dyn Store>,
) {
    let admin = Admin::on(store.clone());
    // Audit records of one millisecond come back in no particular order on DynamoDB: each
    // request here is a millisecond after the one before.
    let admin = Ticking(admin);
    let disable = || Some(json!({"enabled": false}));
    let disabled = admin
        .keyed("PATCH", "/admin/applications/demo-webapp", disable(), KEY)
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    let enabled = admin
        .keyed(
            "PATCH",
            "/admin/applications/demo-webapp",
            Some(json!({"enabled": true})),
            "enable-webapp-0123456789",
        )
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    // The first request again: its own answer, and the application stays enabled.
    let again = admin
        .keyed("PATCH", "/admin/applications/demo-webapp", disable(), KEY)
        .await;
    assert_eq!((again.status, &again.body), (200, &disabled.body));
    assert!(store.find_application(WEBAPP).await.unwrap().is_some());
    assert!(store.application(WEBAPP).await.unwrap().enabled);

    let market = |active: bool| Some(json!({"active": active}));
    let off = admin
        .keyed(
            "PATCH",
            "/admin/markets/mkt_eu",
            market(false),
            "market-off-0123456789",
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    let on = admin
        .keyed(
            "PATCH",
            "/admin/markets/mkt_eu",
            market(true),
            "market-on-0123456789",
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.text);
    let off_again = admin
        .keyed(
            "PATCH",
            "/admin/markets/mkt_eu",
            market(false),
            "market-off-0123456789",
        )
        .await;
    assert_eq!((off_again.status, &off_again.body), (200, &off.body));

    let path = "/admin/applications/demo-storefront";
    let deleted = admin
        .keyed("DELETE", path, None, "delete-storefront-0123456789")
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let deleted_again = admin
        .keyed("DELETE", path, None, "delete-storefront-0123456789")
        .await;
    assert_eq!(
        (deleted_again.status, deleted_again.text.as_str()),
        (204, "")
    );

    let mut found = store
        .find_markets(
            Mode::Test,
            &[gatehouse_core::scope::ResourceRef::Code("eu".into())],
        )
        .await
        .unwrap();
    assert!(found.pop().unwrap().active, "the market stays enabled");
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [
            AuditAction::ApplicationUpdated,
            AuditAction::ApplicationUpdated,
            AuditAction::MarketDisabled,
            AuditAction::MarketEnabled,
            AuditAction::ApplicationDeleted,
        ]
    );
}

async fn a_key_sent_with_another_request_is_refused_with_422_and_changes_nothing(
    store: Arc<dyn Store>,
) {
    let admin = Admin::on(store.clone());
    let first = admin
        .keyed(
            "PATCH",
            "/admin/applications/demo-webapp",
            Some(json!({"enabled": false})),
            KEY,
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let others = [
        (
            "PATCH",
            "/admin/applications/demo-webapp",
            Some(json!({"name": "Renamed"})),
        ),
        (
            "PATCH",
            "/admin/applications/demo-integration",
            Some(json!({"enabled": false})),
        ),
        ("POST", "/admin/applications/demo-integration/secret", None),
        ("DELETE", "/admin/applications/demo-webapp", None),
        (
            "PATCH",
            "/admin/markets/mkt_eu",
            Some(json!({"active": false})),
        ),
    ];
    for (method, path, body) in others {
        let answer = admin.keyed(method, path, body, KEY).await;
        assert_eq!(answer.status, 422, "{method} {path}: {}", answer.text);
        assert_error_format(422, &answer.headers, &answer.body);
        let description = answer.body["error_description"].as_str().unwrap();
        assert!(
            description.contains("Idempotency-Key") && description.contains("another request"),
            "{description}"
        );
    }
    let webapp = store.application(WEBAPP).await.unwrap();
    assert_eq!(webapp.name, "Demo back office");
    let integration = store.application(INTEGRATION).await.unwrap();
    assert!(integration.enabled && integration.previous_client_secret.is_none());
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [AuditAction::ApplicationUpdated]
    );
}

async fn a_key_is_its_callers_own_and_is_kept_for_24_hours(store: Arc<dyn Store>) {
    let admin = Admin::on(store.clone());
    let body = json!({"name": "ERP", "kind": "integration", "mode": "test"});
    let alice = admin
        .keyed("POST", "/admin/applications", Some(body.clone()), KEY)
        .await;
    assert_eq!(alice.status, 201, "{}", alice.text);
    // Another caller's request under the same key is a request of its own: it never sees
    // the first caller's secret.
    let bob = admin
        .send(
            "POST",
            "/admin/applications",
            Some(body.clone()),
            OTHER_CALLER_ARN,
            &[KEY],
        )
        .await;
    assert_eq!(bob.status, 201, "{}", bob.text);
    assert_ne!(bob.body["client_id"], alice.body["client_id"]);
    assert_ne!(bob.body["client_secret"], alice.body["client_secret"]);

    admin.clock.advance(Duration::from_secs(24 * 3600 - 1));
    let within = admin
        .keyed("POST", "/admin/applications", Some(body.clone()), KEY)
        .await;
    assert_eq!((within.status, &within.body), (201, &alice.body));
    admin.clock.advance(Duration::from_secs(2));
    let later = admin
        .keyed("POST", "/admin/applications", Some(body), KEY)
        .await;
    assert_eq!(later.status, 201, "{}", later.text);
    assert_ne!(later.body["client_id"], alice.body["client_id"]);
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [AuditAction::ApplicationCreated; 3]
    );
}

async fn a_malformed_idempotency_key_is_refused_before_anything_is_done(store: Arc<dyn Store>) {
    let admin = Admin::on(store.clone());
    let long = "k".repeat(256);
    let cases: [(&[&str], &str); 7] = [
        (
            &["too-short"],
            "Idempotency-Key must be 16 to 255 characters",
        ),
        (&[&long], "Idempotency-Key must be 16 to 255 characters"),
        (&["has a space-0123456789"], "Idempotency-Key may hold only"),
        (
            &["has\"a-quote-0123456789"],
            "Idempotency-Key may hold only",
        ),
        (
            &["\"unterminated-0123456789"],
            "Idempotency-Key may hold only",
        ),
        (
            &["one-key-0123456789,another-0123456789"],
            "send one Idempotency-Key",
        ),
        (&[KEY, KEY], "send one Idempotency-Key"),
    ];
    let body = json!({"name": "ERP", "kind": "integration", "mode": "test"});
    for (keys, expected) in cases {
        let answer = admin
            .send(
                "POST",
                "/admin/applications",
                Some(body.clone()),
                ADMIN_CALLER_ARN,
                keys,
            )
            .await;
        assert_eq!(answer.status, 400, "{keys:?}: {}", answer.text);
        assert_eq!(
            assert_error_format(400, &answer.headers, &answer.body),
            "invalid_request"
        );
        let description = answer.body["error_description"].as_str().unwrap();
        assert!(description.starts_with(expected), "{keys:?}: {description}");
    }
    assert!(store.audit_log(10).await.unwrap().is_empty());
    assert_eq!(store.list_applications(None).await.unwrap().len(), 4);
}

/// The draft: "The request was retried before the original request completed. The resource
/// server MUST respond with a resource conflict error": a send that finds the first still
/// being made gets 409, one that finds it made gets its answer, and it is made once.
async fn sends_of_one_request_at_once_make_one_change(store: Arc<dyn Store>) {
    let admin = Arc::new(Admin::on(store.clone()));
    let answers = race(4, |_| {
        let admin = Arc::clone(&admin);
        async move {
            admin
                .keyed(
                    "POST",
                    "/admin/applications/demo-integration/secret",
                    Some(json!({"overlap_seconds": 3600})),
                    KEY,
                )
                .await
        }
    })
    .await;
    let answered: Vec<&Value> = answers
        .iter()
        .filter(|answer| answer.status == 200)
        .map(|answer| &answer.body)
        .collect();
    assert!(!answered.is_empty());
    assert!(answered.iter().all(|body| *body == answered[0]));
    for answer in answers.iter().filter(|answer| answer.status != 200) {
        assert_eq!(answer.status, 409, "{}", answer.text);
        assert_error_format(409, &answer.headers, &answer.body);
    }
    let integration = store.find_application(INTEGRATION).await.unwrap().unwrap();
    let secret = answered[0]["client_secret"].as_str().unwrap();
    assert!(integration
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify(secret));
    assert!(integration.secret_matches(INTEGRATION_SECRET, admin.clock.now()));
    assert_eq!(
        audit_actions(store.as_ref()).await,
        [AuditAction::SecretRotated]
    );
}

on_both_stores!(crate::memory, crate::dynamodb;
    sends_of_one_request_at_once_make_one_change,
    a_create_sent_again_under_its_key_answers_the_same_application_and_secret,
    a_rotation_sent_again_under_its_key_keeps_the_first_ones_overlap,
    an_update_a_deletion_and_a_market_switch_sent_again_are_answered_not_made_again,
    a_key_sent_with_another_request_is_refused_with_422_and_changes_nothing,
    a_key_is_its_callers_own_and_is_kept_for_24_hours,
    a_malformed_idempotency_key_is_refused_before_anything_is_done,
);
