//! The revoke, api, admin and well-known functions' paths. Tokens they need are issued by the
//! token function, whose requests count as its own.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_admin::{AdminAccess, AdminApi, AdminService};
use gatehouse_api::ApiService;
use gatehouse_core::clock::Clock;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::bearer::BearerVerifier;
use gatehouse_edge::config::DEFAULT_SECRET_ROTATION_OVERLAP_SECONDS;
use gatehouse_edge::runtime::Runtime;
use gatehouse_revoke::RevokeService;
use gatehouse_store::dynamo::DynamoStore;
use gatehouse_tests::request_log::RequestLog;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use gatehouse_wellknown::WellKnown;
use serde_json::{json, Value};

use crate::flows::{clock_at, Answer, Fixture, HOUR};
use crate::token_flows::{self, call};

/// The revoke function as its `main.rs` builds it.
fn revoke_function(
    store: DynamoStore,
    clock: Arc<dyn Clock>,
    rate_limit: RateLimitPolicy,
) -> RevokeService {
    RevokeService::new(
        &Runtime::new(Arc::new(store), config(rate_limit), clock),
        test_verifier(),
    )
}

async fn revoke(service: &RevokeService, event: TokenEvent) -> Answer {
    Answer::of(&gatehouse_revoke::handle(event.request(), service).await)
}

/// Revocations: a refresh token (the first request from its address), the same again (its
/// family already revoked), an access token (its `jti` and its login), the owner's logout
/// everywhere (and a token it ended, refused), an unknown token, another client's token, a client whose secret
/// is wrong, and an address past its limit.
pub async fn revoke_flows(fixture: &Fixture, log: &RequestLog, token_log: &RequestLog) {
    let clock = clock_at(HOUR * 4);
    let token = token_flows::function(
        fixture.store(token_log).await,
        clock.clone(),
        RateLimitPolicy::default(),
    );
    let sign_in = token_flows::password(
        ("alice@example.com", "alice-demo-password"),
        "market:code:eu",
    );
    let signed_in = call(&token, sign_in).await.expect(200, "a sign-in").body;
    let refresh_token = signed_in["refresh_token"].as_str().unwrap().to_owned();
    let second = token_flows::password(
        ("alice@example.com", "alice-demo-password"),
        "market:code:eu",
    );
    let second = call(&token, second)
        .await
        .expect(200, "a second sign-in")
        .body;
    let access_token = second["access_token"].as_str().unwrap().to_owned();
    let service = revoke_function(
        fixture.store(log).await,
        clock.clone(),
        RateLimitPolicy::default(),
    );
    let by_owner = || {
        TokenEvent::form(&[("token", &refresh_token), ("client_id", STOREFRONT)])
            .source_ip("198.51.100.40")
    };
    revoke(&service, by_owner())
        .await
        .expect(200, "a revocation");
    revoke(&service, by_owner())
        .await
        .expect(200, "revoked again");
    let access = TokenEvent::form(&[("token", &access_token), ("client_id", STOREFRONT)]);
    revoke(&service, access)
        .await
        .expect(200, "an access token, with its login");
    let third = token_flows::password(
        ("alice@example.com", "alice-demo-password"),
        "market:code:eu",
    );
    let third = call(&token, third)
        .await
        .expect(200, "a third sign-in")
        .body;
    let bearer = third["access_token"].as_str().unwrap();
    revoke(&service, TokenEvent::logout_everywhere(bearer))
        .await
        .expect(200, "the owner logged out everywhere");
    revoke(&service, TokenEvent::logout_everywhere(bearer))
        .await
        .expect(401, "with a token that logout ended");
    let unknown = TokenEvent::form(&[("token", "unknown"), ("client_id", STOREFRONT)]);
    revoke(&service, unknown)
        .await
        .expect(200, "an unknown token");
    let by_other =
        TokenEvent::form(&[("token", &refresh_token)]).basic(INTEGRATION, INTEGRATION_SECRET);
    revoke(&service, by_other)
        .await
        .expect(403, "another client's token");
    let bad_secret = TokenEvent::form(&[("token", "x")]).basic(INTEGRATION, "wrong");
    revoke(&service, bad_secret)
        .await
        .expect(401, "a wrong client secret");

    let tight = revoke_function(
        fixture.store(log).await,
        clock,
        RateLimitPolicy::new(1, 60).unwrap(),
    );
    let from = || {
        TokenEvent::form(&[("token", "unknown"), ("client_id", STOREFRONT)])
            .source_ip("198.51.100.41")
    };
    revoke(&tight, from())
        .await
        .expect(200, "the address's one request");
    for _ in 0..2 {
        revoke(&tight, from())
            .await
            .expect(429, "the address past its limit");
    }
}

/// A client_credentials token of `client` (with its secret, if any) for `scope`.
async fn token_for(token: &TokenService, client: (&str, Option<&str>), scope: &str) -> String {
    let mut pairs = vec![("grant_type", "client_credentials"), ("scope", scope)];
    let event = match client {
        (id, Some(secret)) => TokenEvent::form(&pairs).basic(id, secret),
        (id, None) => {
            pairs.push(("client_id", id));
            TokenEvent::form(&pairs)
        }
    };
    call(token, event).await.expect(200, "a token").body["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every route of the resource API, for a market's token, one narrowed to a stock location
/// and an integration's (every market), with a page past the first.
pub async fn api_flows(fixture: &Fixture, log: &RequestLog, token_log: &RequestLog) {
    let clock = clock_at(HOUR * 5);
    let token = token_flows::function(
        fixture.store(token_log).await,
        clock.clone(),
        RateLimitPolicy::default(),
    );
    let verifier = BearerVerifier::new(test_keys().verification_keys().expect("test keys"), ISSUER);
    // As its main.rs builds it.
    let runtime = Runtime::new(
        Arc::new(fixture.store(log).await),
        config(RateLimitPolicy::default()),
        clock,
    );
    let api = ApiService::new(
        &runtime,
        verifier,
        gatehouse_edge::bearer::REVOCATION_STALENESS,
    );
    let tokens = [
        token_for(&token, (STOREFRONT, None), "market:1001").await,
        token_for(&token, (STOREFRONT, None), "market:1001 stock_location:102").await,
        token_for(&token, (INTEGRATION, Some(INTEGRATION_SECRET)), "").await,
    ];
    for bearer in &tokens {
        for path in [
            "/api/markets",
            "/api/markets/mkt_eu",
            "/api/skus",
            "/api/skus?page[size]=1&page[number]=2",
            "/api/skus/sku_mug",
            "/api/skus?filter[code_eq]=MUG-WHT",
            "/api/skus?filter[q][name_i_cont]=mug&sort=-code&fields[skus]=name",
            "/api/stock_items?filter[q][quantity_gt]=0",
            "/api/organization",
            "/api/application",
            "/api/prices",
            "/api/stock_items",
        ] {
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            let mut event = TokenEvent::new().method("GET").event().clone();
            event["rawPath"] = json!(path);
            event["requestContext"]["http"]["path"] = json!(path);
            event["routeKey"] = json!("GET /api/{proxy+}");
            event["rawQueryString"] = json!(query);
            event["body"] = Value::Null;
            let headers = event["headers"].as_object_mut().unwrap();
            headers.remove("content-type");
            headers.insert("authorization".into(), json!(format!("Bearer {bearer}")));
            let request = lambda_http::request::from_str(&event.to_string()).unwrap();
            Answer::of(&gatehouse_api::handle(request, &api).await)
                .expect(200, &format!("GET {path}?{query}"));
        }
    }
}

/// Every admin command, and the refusals that read what a change found.
pub async fn admin_flows(fixture: &Fixture, log: &RequestLog) {
    // As its main.rs builds it.
    let api = AdminApi {
        service: AdminService::new(
            Arc::new(fixture.store(log).await),
            clock_at(HOUR * 6),
            Duration::from_secs(DEFAULT_SECRET_ROTATION_OVERLAP_SECONDS),
        ),
        access: AdminAccess::IamCaller,
    };
    let erp = json!({"name": "ERP", "kind": "integration", "mode": "live", "client_id": "iam-erp"});
    for (method, path, query, body, status) in [
        ("GET", "/admin/applications", "", None, 200),
        ("GET", "/admin/applications", "mode=live", None, 200),
        ("GET", "/admin/applications/demo-webapp", "", None, 200),
        ("POST", "/admin/applications", "", Some(erp.clone()), 201),
        ("POST", "/admin/applications", "", Some(erp), 409),
        (
            "PATCH",
            "/admin/applications/iam-erp",
            "",
            Some(json!({"enabled": false})),
            200,
        ),
        (
            "PATCH",
            "/admin/applications/nobody",
            "",
            Some(json!({"enabled": false})),
            404,
        ),
        ("POST", "/admin/applications/iam-erp/secret", "", None, 200),
        (
            "POST",
            "/admin/applications/demo-storefront/secret",
            "",
            None,
            409,
        ),
        (
            "POST",
            "/admin/revocations",
            "",
            Some(json!({"customer": "cus_bob", "mode": "test"})),
            200,
        ),
        (
            "POST",
            "/admin/revocations",
            "",
            Some(json!({"market": "mkt_eu"})),
            200,
        ),
        (
            "POST",
            "/admin/revocations",
            "",
            Some(json!({"user": "usr_admin", "mode": "test"})),
            200,
        ),
        ("DELETE", "/admin/applications/iam-erp", "", None, 204),
        ("DELETE", "/admin/applications/iam-erp", "", None, 404),
        (
            "PATCH",
            "/admin/markets/mkt_us",
            "",
            Some(json!({"active": false})),
            200,
        ),
        (
            "PATCH",
            "/admin/markets/mkt_us",
            "",
            Some(json!({"active": true})),
            200,
        ),
        (
            "PATCH",
            "/admin/markets/mkt_nowhere",
            "",
            Some(json!({"active": true})),
            404,
        ),
        ("GET", "/admin/audit", "", None, 200),
        ("GET", "/admin/audit", "limit=1", None, 200),
    ] {
        let request = admin_event(method, path, query, body.as_ref(), Some(ADMIN_CALLER_ARN));
        Answer::of(&gatehouse_admin::handle(request, &api).await)
            .expect(status, &format!("{method} {path}?{query}"));
    }
}

/// The well-known documents. The function is built without a store (its `main.rs` gives it
/// none), so it cannot send anything: its log stays empty, and its policy must grant nothing.
pub async fn wellknown_flows() {
    let documents = WellKnown::new(&config(RateLimitPolicy::default()), test_keys().jwks());
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
    ] {
        let response = gatehouse_wellknown::handle(well_known_event(path), &documents).await;
        Answer::of(&response).expect(200, path);
    }
}
