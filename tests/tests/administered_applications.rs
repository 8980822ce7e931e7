//! What administering an application does to the OAuth endpoints, on both stores, with the
//! injected clock: a disabled application is refused by the token, revoke and authorize
//! functions exactly like an unknown one; a rotated-out secret works until its overlap ends;
//! a grant outside the application's own grant types is `unauthorized_client`.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_admin::{AdminService, ApplicationChanges, Caller, NewApplication};
use gatehouse_authorize::AuthorizeService;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::model::{ApplicationKind, Mode};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_revoke::RevokeService;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use serde_json::{json, Value};

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

const ACTOR: &str = "test-admin";
const CALLBACK: &str = "http://localhost:8080/callback";

struct Endpoints {
    admin: AdminService,
    token: TokenService,
    revoke: RevokeService,
    authorize: AuthorizeService,
    clock: Arc<ManualClock>,
}

impl Endpoints {
    fn on(store: Arc<dyn Store>) -> Self {
        let clock = manual_clock();
        // The default limit (30) is far above the few requests each test makes. Not the largest
        // (300): on moto, a window of 300 places is a 300-clause update expression that moto
        // parses recursively, seconds per request on a busy machine, past the SDK's timeout.
        let limit = RateLimitPolicy::default();
        Self {
            admin: admin_service(store.clone(), clock.clone()),
            token: token_service(store.clone(), clock.clone(), limit),
            revoke: revoke_service(store.clone(), clock.clone()),
            authorize: authorize_service(store, clock.clone(), limit),
            clock,
        }
    }

    async fn token(&self, pairs: &[(&str, &str)]) -> (u16, Value) {
        let response =
            gatehouse_token::handle(TokenEvent::form(pairs).request(), &self.token).await;
        (response.status().as_u16(), body_json(&response))
    }

    async fn client_credentials(&self, client_id: &str, secret: Option<&str>) -> (u16, Value) {
        let mut pairs = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
        ];
        pairs.extend(secret.map(|s| ("client_secret", s)));
        if client_id == STOREFRONT {
            pairs.push(("scope", "market:1001"));
        }
        self.token(&pairs).await
    }

    async fn revoke(&self, client_id: &str, secret: Option<&str>) -> (u16, Value) {
        let mut pairs = vec![("client_id", client_id), ("token", "not-a-token")];
        pairs.extend(secret.map(|s| ("client_secret", s)));
        let request = TokenEvent::form(&pairs).request();
        let response = gatehouse_revoke::handle(request, &self.revoke).await;
        (response.status().as_u16(), body_json(&response))
    }

    /// The sign-in page's answer to a webapp's authorization request: status and body.
    async fn authorize(&self, client_id: &str) -> (u16, String) {
        let query = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", CALLBACK),
            ("scope", "market:1001"),
            ("state", "s"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        let mut event = TokenEvent::new().method("GET").event().clone();
        event["rawPath"] = json!("/oauth/authorize");
        event["requestContext"]["http"]["path"] = json!("/oauth/authorize");
        event["rawQueryString"] = json!(query);
        event["body"] = Value::Null;
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = gatehouse_authorize::handle(request, &self.authorize).await;
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        (response.status().as_u16(), location.unwrap_or(body))
    }

    /// The `public` and `confidential` claims of a token answer's access token.
    fn public_and_confidential(&self, answer: &Value) -> (bool, bool) {
        let token = answer["access_token"].as_str().expect("an access token");
        let claims = verify(token, &test_keys(), self.clock.as_ref());
        (claims.application.public, claims.application.confidential)
    }

    async fn set_enabled(&self, client_id: &str, enabled: bool) {
        self.admin
            .set_enabled(client_id, enabled, &Caller::new(ACTOR))
            .await
            .unwrap();
    }
}

async fn a_disabled_application_is_refused_exactly_like_an_unknown_one(store: Arc<dyn Store>) {
    let endpoints = Endpoints::on(store);
    let unknown_token = endpoints.client_credentials("nobody", Some("x")).await;
    let unknown_revoke = endpoints.revoke("nobody", Some("x")).await;
    let unknown_page = endpoints.authorize("nobody").await;
    assert_eq!(unknown_token.0, 401);

    for client in [STOREFRONT, INTEGRATION, WEBAPP] {
        endpoints.set_enabled(client, false).await;
    }
    assert_eq!(endpoints.client_credentials(STOREFRONT, None).await.0, 401);
    let integration = endpoints
        .client_credentials(INTEGRATION, Some(INTEGRATION_SECRET))
        .await;
    assert_eq!(integration, unknown_token);
    assert_eq!(
        endpoints
            .revoke(INTEGRATION, Some(INTEGRATION_SECRET))
            .await,
        unknown_revoke
    );
    assert_eq!(endpoints.authorize(WEBAPP).await, unknown_page);
    let refresh = endpoints
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", WEBAPP),
            ("client_secret", WEBAPP_SECRET),
            ("refresh_token", "whatever"),
        ])
        .await;
    assert_eq!(refresh, unknown_token);

    for client in [STOREFRONT, INTEGRATION, WEBAPP] {
        endpoints.set_enabled(client, true).await;
    }
    assert_eq!(endpoints.client_credentials(STOREFRONT, None).await.0, 200);
    let again = endpoints
        .client_credentials(INTEGRATION, Some(INTEGRATION_SECRET))
        .await;
    assert_eq!(again.0, 200, "{}", again.1);
    assert_eq!(
        endpoints
            .revoke(INTEGRATION, Some(INTEGRATION_SECRET))
            .await
            .0,
        200
    );
    let (status, location) = endpoints.authorize(WEBAPP).await;
    assert_eq!(status, 200, "{location}");
}

async fn the_previous_secret_works_until_the_overlap_ends(store: Arc<dyn Store>) {
    let endpoints = Endpoints::on(store);
    let rotated = endpoints
        .admin
        .rotate_secret(INTEGRATION, Some(3600), &Caller::new(ACTOR))
        .await
        .unwrap();
    let new = rotated.client_secret.as_str();
    for secret in [INTEGRATION_SECRET, new] {
        let (status, body) = endpoints
            .client_credentials(INTEGRATION, Some(secret))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(endpoints.revoke(INTEGRATION, Some(secret)).await.0, 200);
    }
    endpoints.clock.advance(Duration::from_secs(3599));
    assert_eq!(
        endpoints
            .client_credentials(INTEGRATION, Some(INTEGRATION_SECRET))
            .await
            .0,
        200
    );
    endpoints.clock.advance(Duration::from_secs(1));
    let (status, body) = endpoints
        .client_credentials(INTEGRATION, Some(INTEGRATION_SECRET))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(
        endpoints
            .revoke(INTEGRATION, Some(INTEGRATION_SECRET))
            .await
            .0,
        401
    );
    assert_eq!(
        endpoints.client_credentials(INTEGRATION, Some(new)).await.0,
        200
    );
}

async fn an_overlap_of_zero_cuts_the_old_secret_off_at_once(store: Arc<dyn Store>) {
    let endpoints = Endpoints::on(store);
    let rotated = endpoints
        .admin
        .rotate_secret(WEBAPP, Some(0), &Caller::new(ACTOR))
        .await
        .unwrap();
    let refresh = |secret: &str| {
        [
            ("grant_type", "refresh_token"),
            ("client_id", WEBAPP),
            ("client_secret", secret),
            ("refresh_token", "unknown-token"),
        ]
        .map(|(k, v)| (k, v.to_owned()))
    };
    // The old secret fails client authentication; the new one passes it and meets the
    // grant's own refusal of an unknown refresh token.
    let pairs = refresh(WEBAPP_SECRET);
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(endpoints.token(&borrowed).await.0, 401);
    let pairs = refresh(&rotated.client_secret);
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = endpoints.token(&borrowed).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

async fn a_grant_outside_the_applications_own_grant_types_is_unauthorized_client(
    store: Arc<dyn Store>,
) {
    let endpoints = Endpoints::on(store);
    let only = |grants: &[&str]| ApplicationChanges {
        grant_types: Some(Some(grants.iter().map(|g| g.to_string()).collect())),
        ..Default::default()
    };
    endpoints
        .admin
        .update(
            STOREFRONT,
            only(&["password", "refresh_token"]),
            &Caller::new(ACTOR),
        )
        .await
        .unwrap();
    let (status, body) = endpoints.client_credentials(STOREFRONT, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    let login = endpoints
        .token(&[
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", "bob@example.com"),
            ("password", "bob-demo-password"),
            ("scope", "market:1001"),
        ])
        .await;
    assert_eq!(login.0, 200, "{}", login.1);

    endpoints
        .admin
        .update(WEBAPP, only(&["refresh_token"]), &Caller::new(ACTOR))
        .await
        .unwrap();
    let (status, location) = endpoints.authorize(WEBAPP).await;
    assert_eq!(status, 303);
    assert!(location.contains("error=unauthorized_client"), "{location}");

    let all = ApplicationChanges {
        grant_types: Some(None),
        ..Default::default()
    };
    endpoints
        .admin
        .update(STOREFRONT, all, &Caller::new(ACTOR))
        .await
        .unwrap();
    assert_eq!(endpoints.client_credentials(STOREFRONT, None).await.0, 200);
}

async fn an_application_created_by_the_admin_gets_tokens_at_once(store: Arc<dyn Store>) {
    let endpoints = Endpoints::on(store);
    let created = endpoints
        .admin
        .create(
            NewApplication {
                name: "Warehouse sync".into(),
                kind: ApplicationKind::Integration,
                mode: Mode::Test,
                confidential: None,
                client_id: None,
                token_lifetime: Some(86_400),
                redirect_uris: vec![],
                grant_types: None,
                jwt_bearer: None,
            },
            &Caller::new(ACTOR),
        )
        .await
        .unwrap();
    let client_id = created.application.client_id.clone();
    assert_eq!(client_id.len(), 32);
    let secret = created
        .client_secret
        .expect("a confidential client gets a secret");
    let (status, body) = endpoints
        .client_credentials(&client_id, Some(&secret))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 86_400);
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &test_keys(),
        endpoints.clock.as_ref(),
    );
    assert_eq!(claims.application.client_id, client_id);
    assert_eq!(
        endpoints
            .client_credentials(&client_id, Some("wrong"))
            .await
            .0,
        401
    );
}

fn new_sales_channel(confidential: Option<bool>) -> NewApplication {
    NewApplication {
        name: "Server-rendered storefront".into(),
        kind: ApplicationKind::SalesChannel,
        mode: Mode::Test,
        confidential,
        client_id: None,
        token_lifetime: None,
        redirect_uris: vec![],
        grant_types: None,
        jwt_bearer: None,
    }
}

/// A sales channel created confidential is given a secret, must present it at every grant and
/// at revocation, and its tokens say `public: false`, `confidential: true`; a public one's the
/// opposite. An integration cannot be made public.
async fn a_confidential_sales_channel_must_present_its_secret_and_its_tokens_say_so(
    store: Arc<dyn Store>,
) {
    let endpoints = Endpoints::on(store);
    let created = (endpoints.admin)
        .create(new_sales_channel(Some(true)), &Caller::new(ACTOR))
        .await
        .unwrap();
    let client_id = created.application.client_id.clone();
    let secret = created
        .client_secret
        .expect("a confidential sales channel's secret");
    let grant = |secret: Option<String>| {
        let mut pairs = vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), client_id.clone()),
            ("scope".to_owned(), "market:1001".to_owned()),
        ];
        pairs.extend(secret.map(|s| ("client_secret".to_owned(), s)));
        pairs
    };
    let shared = &endpoints;
    let ask = |pairs: Vec<(String, String)>| async move {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        shared.token(&pairs).await
    };
    for refused in [None, Some("wrong".to_owned())] {
        let (status, body) = ask(grant(refused.clone())).await;
        assert_eq!(
            (status, &body["error"]),
            (401, &json!("invalid_client")),
            "{refused:?}"
        );
    }
    let (status, body) = ask(grant(Some(secret.clone()))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(endpoints.public_and_confidential(&body), (false, true));
    // The password grant and its refresh, each with the secret; a refresh without it fails.
    let password = [
        ("grant_type", "password"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("scope", "market:1001"),
        ("username", "alice@example.com"),
        ("password", "alice-demo-password"),
    ];
    let (status, body) = endpoints.token(&password).await;
    assert_eq!(status, 200, "{body}");
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |secret: Option<&str>| {
        let mut pairs = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("client_id", client_id.clone()),
            ("refresh_token", refresh_token.clone()),
        ];
        pairs.extend(secret.map(|s| ("client_secret", s.to_owned())));
        pairs
    };
    let pairs = refresh(None);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, &v[..])).collect();
    assert_eq!(endpoints.token(&pairs).await.0, 401);
    let pairs = refresh(Some(&secret));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, &v[..])).collect();
    let (status, body) = endpoints.token(&pairs).await;
    assert_eq!(status, 200, "{body}");
    // Revocation authenticates it the same way.
    assert_eq!(endpoints.revoke(&client_id, None).await.0, 401);
    assert_eq!(endpoints.revoke(&client_id, Some(&secret)).await.0, 200);

    // A public sales channel's tokens say the opposite, and it has no secret to present.
    let public = (endpoints.admin)
        .create(new_sales_channel(None), &Caller::new(ACTOR))
        .await
        .unwrap();
    assert_eq!(public.client_secret, None);
    let (status, body) = endpoints.client_credentials(STOREFRONT, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(endpoints.public_and_confidential(&body), (true, false));
    // Integrations and webapps are always confidential.
    let mut public_integration = new_sales_channel(Some(false));
    public_integration.kind = ApplicationKind::Integration;
    let refused = (endpoints.admin)
        .create(public_integration, &Caller::new(ACTOR))
        .await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("integration applications are always confidential clients"),
        "{message}"
    );
}

/// The admin API's `jwt_bearer`: refused on a public client, then turned on (Commerce Layer's
/// mode), used by the token endpoint, shown, and turned off again.
async fn the_jwt_bearer_grant_is_turned_on_and_off_by_the_admin(store: Arc<dyn Store>) {
    let endpoints = Endpoints::on(store);
    let setting = serde_json::json!({"mode": "commercelayer"});
    let mut public = new_sales_channel(None);
    public.jwt_bearer = Some(setting.clone());
    let refused = endpoints.admin.create(public, &Caller::new(ACTOR)).await;
    let message = format!("{:?}", refused.err().expect("refused"));
    assert!(
        message.contains("only for confidential applications"),
        "{message}"
    );

    let mut confidential = new_sales_channel(Some(true));
    confidential.jwt_bearer = Some(setting.clone());
    let created = endpoints
        .admin
        .create(confidential, &Caller::new(ACTOR))
        .await
        .unwrap();
    let view = gatehouse_admin::views::application(&created.application);
    assert_eq!(view["jwt_bearer"], setting);
    let client_id = created.application.client_id.clone();
    let secret = created.client_secret.clone().expect("a secret");
    let assertion = {
        use base64::Engine;
        let b64 = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let claims = serde_json::json!({
            "https://commercelayer.io/claims": {"owner": {"type": "Customer", "id": "cus_bob"}}
        });
        format!(
            "{}.{}.c2ln",
            b64(serde_json::json!({"alg": "HS512"})),
            b64(claims)
        )
    };
    let pairs = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("assertion", assertion.as_str()),
        ("scope", "market:1001"),
    ];
    let (status, body) = endpoints.token(&pairs).await;
    assert_eq!(
        (status, body["owner_id"].as_str()),
        (200, Some("cus_bob")),
        "{body}"
    );

    let off = ApplicationChanges {
        jwt_bearer: Some(None),
        ..Default::default()
    };
    let updated = endpoints
        .admin
        .update(&client_id, off, &Caller::new(ACTOR))
        .await
        .unwrap();
    assert_eq!(updated.jwt_bearer, None);
    let (status, body) = endpoints.token(&pairs).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
}

on_both_stores!(crate::memory, crate::dynamodb;
    the_jwt_bearer_grant_is_turned_on_and_off_by_the_admin,
    a_confidential_sales_channel_must_present_its_secret_and_its_tokens_say_so,
    a_disabled_application_is_refused_exactly_like_an_unknown_one,
    the_previous_secret_works_until_the_overlap_ends,
    an_overlap_of_zero_cuts_the_old_secret_off_at_once,
    a_grant_outside_the_applications_own_grant_types_is_unauthorized_client,
    an_application_created_by_the_admin_gets_tokens_at_once,
);
