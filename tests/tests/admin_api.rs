//! The admin API through API Gateway v2 events (`handle` called as the Lambda runtime would),
//! on both stores: what it answers, what it refuses and why, and the audit log it leaves.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_admin::{handle, AdminAccess, AdminApi};
use gatehouse_core::clock::{Clock, ManualClock};
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use serde_json::{json, Value};

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

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

    async fn call(&self, method: &str, path: &str, query: &str, body: Option<Value>) -> Answer {
        let request = admin_event(method, path, query, body.as_ref(), Some(ADMIN_CALLER_ARN));
        self.send(request).await
    }

    async fn send(&self, request: lambda_http::Request) -> Answer {
        let response = handle(request, &self.api).await;
        let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// Asserts a refusal in the documented error format and returns its description.
    async fn refused(&self, method: &str, path: &str, body: Option<Value>, status: u16) -> String {
        let answer = self.call(method, path, "", body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.text);
        assert_error_format(status, &answer.headers, &answer.body);
        answer.body["error_description"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

async fn an_application_is_created_listed_shown_updated_and_deleted(store: Arc<dyn Store>) {
    let admin = Admin::on(store);
    let created = admin
        .call(
            "POST",
            "/admin/applications",
            "",
            Some(
                json!({"name": "ERP", "kind": "integration", "mode": "live", "client_id": "erp",
                        "token_lifetime": 86400}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["client_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 43);
    assert_eq!(created.body["client_id"], "erp");
    assert_eq!(created.body["public"], false);
    assert_eq!(
        created.body["allowed_grants"],
        json!(["client_credentials"])
    );
    assert!(!created.text.contains("sha256") && !created.text.contains("hash"));

    let live = admin
        .call("GET", "/admin/applications", "mode=live", None)
        .await;
    let ids: Vec<&str> = live.body["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["erp", LIVE_STOREFRONT]);
    let all = admin.call("GET", "/admin/applications", "", None).await;
    assert_eq!(all.body["applications"].as_array().unwrap().len(), 5);
    assert!(!all.text.contains(secret) && !all.text.contains("sha256"));

    let shown = admin.call("GET", "/admin/applications/erp", "", None).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.get("client_secret").is_none());
    assert_eq!(shown.body["access_token_lifetime"], 86400);

    let updated = admin
        .call(
            "PATCH",
            "/admin/applications/erp",
            "",
            Some(json!({"enabled": false, "token_lifetime": null, "name": "ERP (old)"})),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(
        (
            &updated.body["enabled"],
            &updated.body["token_lifetime"],
            &updated.body["access_token_lifetime"],
            &updated.body["name"]
        ),
        (
            &json!(false),
            &Value::Null,
            &json!(7200),
            &json!("ERP (old)")
        )
    );

    let deleted = admin
        .call("DELETE", "/admin/applications/erp", "", None)
        .await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    admin
        .refused("GET", "/admin/applications/erp", None, 404)
        .await;
}

async fn refused_input_is_answered_with_the_field_at_fault(store: Arc<dyn Store>) {
    let admin = Admin::on(store.clone());
    let app = |extra: Value| {
        let mut body = json!({"name": "X", "kind": "webapp", "mode": "test",
                              "redirect_uris": ["https://x.example/cb"]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Some(body)
    };
    let cases: Vec<(Option<Value>, &str)> = vec![
        (app(json!({"token_lifetime": 7199})), "token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 7199"),
        (app(json!({"token_lifetime": 31_536_001})), "token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 31536001"),
        (app(json!({"colour": "red"})), "colour: unknown field `colour`"),
        (app(json!({"redirect_uris": []})), "redirect_uris: webapp applications need at least one redirect URI"),
        (app(json!({"redirect_uris": ["http://evil.example/cb"]})), "redirect_uris[0]: must be an absolute https URL"),
        (app(json!({"grant_types": ["client_credentials"]})), "grant_types: webapp applications may not use the client_credentials grant"),
        (app(json!({"kind": "robot"})), "kind: unknown variant `robot`"),
        (app(json!({"name": " "})), "name: must not be empty"),
        (app(json!({"client_id": "a\u{1}b"})), "client_id: must be at most 255 bytes"),
        (app(json!({"kind": "sales_channel"})), "redirect_uris: only webapps redirect"),
        (app(json!({"confidential": false})), "confidential: webapp applications are always confidential clients"),
        (app(json!({"confidential": "yes"})), "confidential: invalid type: string"),
        (Some(json!("an application")), "the body: invalid type: string"),
        (None, "a JSON body is required"),
    ];
    for (body, expected) in cases {
        let description = admin
            .refused("POST", "/admin/applications", body.clone(), 400)
            .await;
        assert!(description.starts_with(expected), "{body:?}: {description}");
    }
    let taken = admin
        .refused(
            "POST",
            "/admin/applications",
            app(json!({"client_id": WEBAPP})),
            409,
        )
        .await;
    assert!(taken.contains(WEBAPP), "{taken}");
    let nothing = admin
        .refused(
            "PATCH",
            "/admin/applications/demo-webapp",
            Some(json!({})),
            400,
        )
        .await;
    assert!(
        nothing.starts_with("(body): nothing to change"),
        "{nothing}"
    );
    let mut big = json!({"name": "x".repeat(17 * 1024), "kind": "integration", "mode": "test"});
    admin
        .refused("POST", "/admin/applications", Some(big.take()), 413)
        .await;
    admin.refused("GET", "/admin/nothing", None, 404).await;
    admin
        .refused("GET", "/admin/applications/nobody", None, 404)
        .await;
    let not_allowed = admin.call("PUT", "/admin/applications", "", None).await;
    assert_eq!(not_allowed.status, 405);
    assert_eq!(not_allowed.headers["allow"], "GET, POST");
    for query in ["mode=staging", "colour=red"] {
        let answer = admin.call("GET", "/admin/applications", query, None).await;
        assert_eq!(answer.status, 400, "{query}");
    }
    let mut form = admin_event(
        "POST",
        "/admin/applications",
        "",
        app(json!({})).as_ref(),
        Some(ADMIN_CALLER_ARN),
    );
    form.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    assert_eq!(admin.send(form).await.status, 400);
    // Nothing refused was recorded, nor created.
    assert!(store.audit_log(10).await.unwrap().is_empty());
    assert_eq!(store.list_applications(None).await.unwrap().len(), 4);
}

async fn a_request_without_an_iam_identity_is_forbidden_and_changes_nothing(store: Arc<dyn Store>) {
    let admin = Admin::on(store.clone());
    let unsigned = admin_event(
        "PATCH",
        "/admin/markets/mkt_eu",
        "",
        Some(&json!({"active": false})),
        None,
    );
    let answer = admin.send(unsigned).await;
    assert_eq!(answer.status, 403, "{}", answer.text);
    assert_eq!(
        assert_error_format(403, &answer.headers, &answer.body),
        "forbidden"
    );
    let blank = admin_event("GET", "/admin/audit", "", None, Some(" "));
    assert_eq!(admin.send(blank).await.status, 403);
    assert!(store.audit_log(10).await.unwrap().is_empty());
}

async fn a_rotated_secret_is_answered_once_with_the_previous_ones_deadline(store: Arc<dyn Store>) {
    let admin = Admin::on(store);
    let now = test_start().floor_seconds().0;
    let rotated = admin
        .call(
            "POST",
            "/admin/applications/demo-integration/secret",
            "",
            Some(json!({"overlap_seconds": 3600})),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(rotated.body["client_secret"].as_str().unwrap().len(), 43);
    assert_eq!(rotated.body["previous_secret_valid_until"], now + 3600);
    // Without a body, the configured default overlap: a day.
    let by_default = admin
        .call(
            "POST",
            "/admin/applications/demo-integration/secret",
            "",
            None,
        )
        .await;
    assert_eq!(by_default.body["previous_secret_valid_until"], now + 86_400);
    assert_ne!(
        by_default.body["client_secret"],
        rotated.body["client_secret"]
    );
    let shown = admin
        .call("GET", "/admin/applications/demo-integration", "", None)
        .await;
    assert_eq!(shown.body["previous_secret_valid_until"], now + 86_400);
    assert!(!shown
        .text
        .contains(rotated.body["client_secret"].as_str().unwrap()));

    let too_long = admin
        .refused(
            "POST",
            "/admin/applications/demo-integration/secret",
            Some(json!({"overlap_seconds": 2_592_001})),
            400,
        )
        .await;
    assert!(
        too_long.starts_with("overlap_seconds: must be from 0 to 2592000"),
        "{too_long}"
    );
    let public = admin
        .refused(
            "POST",
            "/admin/applications/demo-storefront/secret",
            None,
            409,
        )
        .await;
    assert!(public.contains("public client"), "{public}");
    admin
        .refused("POST", "/admin/applications/nobody/secret", None, 404)
        .await;
}

async fn markets_are_switched_and_every_change_is_audited_with_its_caller(store: Arc<dyn Store>) {
    let admin = Admin::on(store);
    let disabled = admin
        .call(
            "PATCH",
            "/admin/markets/mkt_eu",
            "",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(
        (&disabled.body["active"], &disabled.body["number"]),
        (&json!(false), &json!(1001))
    );
    // Records of one millisecond come back in no particular order on DynamoDB.
    admin.clock.advance(Duration::from_millis(1));
    admin
        .call(
            "PATCH",
            "/admin/applications/demo-webapp",
            "",
            Some(json!({"enabled": false})),
        )
        .await;
    let audit = admin.call("GET", "/admin/audit", "limit=1", None).await;
    let records = audit.body["audit"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["action"], "application.update");
    assert_eq!(records[0]["target"], WEBAPP);
    assert_eq!(records[0]["actor"], ADMIN_CALLER_ARN);
    assert_eq!(records[0]["detail"], "enabled=false");
    assert_eq!(records[0]["at"], test_start().0 + 1);
    let all = admin.call("GET", "/admin/audit", "", None).await;
    assert_eq!(all.body["audit"][1]["action"], "market.disable");
    admin
        .refused(
            "PATCH",
            "/admin/markets/mkt_nowhere",
            Some(json!({"active": true})),
            404,
        )
        .await;
    admin
        .refused(
            "PATCH",
            "/admin/markets/mkt_eu",
            Some(json!({"active": "yes"})),
            400,
        )
        .await;
    for limit in ["0", "1001", "many"] {
        let answer = admin
            .call("GET", "/admin/audit", &format!("limit={limit}"), None)
            .await;
        assert_eq!(answer.status, 400, "{limit}");
    }
}

async fn revocations_are_answered_audited_and_idempotent(store: Arc<dyn Store>) {
    let admin = Admin::on(store);
    let now = admin.clock.now().floor_seconds().0;
    let asked = json!({"customer": "cus_bob", "mode": "test"});
    let request = || {
        admin_event(
            "POST",
            "/admin/revocations",
            "",
            Some(&asked),
            Some(ADMIN_CALLER_ARN),
        )
        .into_parts()
    };
    let keyed = || {
        let (mut parts, body) = request();
        parts
            .headers
            .insert("idempotency-key", "revoke-bob-0123456789".parse().unwrap());
        lambda_http::Request::from_parts(parts, body)
    };
    let first = admin.send(keyed()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    // The epoch is the second after the revocation: tokens of its own second are ended too.
    assert_eq!(
        first.body,
        json!({"revocation": {
            "subject": {"type": "customer", "id": "cus_bob", "mode": "test"},
            "tokens_issued_before": now + 1,
        }})
    );
    // Sent again under its key, later: the first answer, and no second record.
    admin.clock.advance(Duration::from_secs(30));
    let again = admin.send(keyed()).await;
    assert_eq!(again.body, first.body);
    let audit = admin.call("GET", "/admin/audit", "", None).await;
    let records = audit.body["audit"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{}", audit.text);
    assert_eq!(records[0]["action"], "tokens.revoke");
    assert_eq!(records[0]["target"], "owner#test#Customer#cus_bob");
    assert_eq!(records[0]["actor"], ADMIN_CALLER_ARN);
    let market = admin
        .call(
            "POST",
            "/admin/revocations",
            "",
            Some(json!({"market": "mkt_live_eu"})),
        )
        .await;
    assert_eq!(
        market.body["revocation"]["subject"],
        json!({"type": "market", "id": "mkt_live_eu", "mode": "live"})
    );
    let application = admin
        .call(
            "POST",
            "/admin/revocations",
            "",
            Some(json!({"application": WEBAPP})),
        )
        .await;
    assert_eq!(
        application.body["revocation"]["subject"],
        json!({"type": "application", "id": "app_backoffice"})
    );
    let refused = [
        (json!({"market": "mkt_eu", "user": "usr_admin"}), 400),
        (json!({"customer": "cus_bob", "mode": "staging"}), 400),
        (json!({"shop": "all"}), 400),
        (json!({"user": "usr_admin", "mode": "live"}), 404),
    ];
    for (body, status) in refused {
        admin
            .refused("POST", "/admin/revocations", Some(body), status)
            .await;
    }
    let answer = admin.call("GET", "/admin/revocations", "", None).await;
    assert_eq!(
        (answer.status, &answer.headers["allow"]),
        (405, &"POST".parse::<http::HeaderValue>().unwrap())
    );
}

/// Issue 19: redirect URIs with CR, LF, NUL, spaces or non-ASCII characters were accepted.
async fn redirect_uris_outside_the_uri_grammar_are_refused_on_create_and_update(
    store: Arc<dyn Store>,
) {
    let admin = Admin::on(store.clone());
    let before = store.find_application(WEBAPP).await.unwrap().unwrap();
    let cases = [
        (
            "https://x.example/cb\r\nLocation: https://evil.example",
            "character 21 (U+000D) is not allowed in the path",
        ),
        (
            "https://x.example/cb\n",
            "character 21 (U+000A) is not allowed in the path",
        ),
        (
            "https://x.example/cb\u{0}",
            "character 21 (U+0000) is not allowed in the path",
        ),
        (
            "https://x.example/c b",
            "character 20 (a space) is not allowed in the path",
        ),
        (
            "https://x.example/caf\u{e9}",
            "character 22 (U+00E9) is not allowed in the path",
        ),
        ("https://x.example/cb#top", "must not have a fragment"),
        (
            "http://x.example/cb",
            "plain http is allowed only on a loopback host (localhost, 127.0.0.1 or [::1])",
        ),
        (
            "http://localhost.evil.example/cb",
            "plain http is allowed only on a loopback host (localhost, 127.0.0.1 or [::1])",
        ),
    ];
    for (uri, reason) in cases {
        let body = json!({"name": "X", "kind": "webapp", "mode": "test", "redirect_uris": [uri]});
        let created = admin
            .refused("POST", "/admin/applications", Some(body), 400)
            .await;
        let expected = format!(
            "redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): {reason}"
        );
        assert_eq!(created, expected, "{uri:?}");
        let path = format!("/admin/applications/{WEBAPP}");
        let body = json!({"redirect_uris": ["https://ok.example/cb", uri]});
        let updated = admin.refused("PATCH", &path, Some(body), 400).await;
        assert_eq!(updated, expected.replace("[0]", "[1]"), "{uri:?}");
    }
    assert!(store.audit_log(10).await.unwrap().is_empty());
    let after = store.find_application(WEBAPP).await.unwrap().unwrap();
    assert_eq!(after.redirect_uris, before.redirect_uris);
}

/// A sales channel asked to be confidential is given a secret and is no public client; one not
/// asked is public, with no secret.
async fn a_sales_channel_is_confidential_only_when_asked(store: Arc<dyn Store>) {
    let admin = Admin::on(store);
    for (confidential, public) in [(json!(true), false), (json!(null), true)] {
        let mut body = json!({"name": "Shop", "kind": "sales_channel", "mode": "test"});
        if !confidential.is_null() {
            body["confidential"] = confidential.clone();
        }
        let shop = admin
            .call("POST", "/admin/applications", "", Some(body))
            .await;
        assert_eq!(shop.status, 201, "{}", shop.text);
        assert_eq!(shop.body["public"], public, "{}", shop.text);
        assert_eq!(
            shop.body["client_secret"].is_string(),
            !public,
            "{}",
            shop.text
        );
    }
}

on_both_stores!(crate::memory, crate::dynamodb;
    a_sales_channel_is_confidential_only_when_asked,
    an_application_is_created_listed_shown_updated_and_deleted,
    refused_input_is_answered_with_the_field_at_fault,
    redirect_uris_outside_the_uri_grammar_are_refused_on_create_and_update,
    a_request_without_an_iam_identity_is_forbidden_and_changes_nothing,
    a_rotated_secret_is_answered_once_with_the_previous_ones_deadline,
    markets_are_switched_and_every_change_is_audited_with_its_caller,
    revocations_are_answered_audited_and_idempotent,
);

#[tokio::test]
async fn storage_trouble_is_a_503_without_internals() {
    let store = Arc::new(FaultyStore::new(MemoryStore::from_catalog(&demo_catalog())));
    store.fail("*");
    let admin = Admin::on(store);
    let answer = admin.call("GET", "/admin/applications", "", None).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.headers["retry-after"], "1");
    assert!(!answer.text.contains("gatehouse-prod"), "{}", answer.text);
}
