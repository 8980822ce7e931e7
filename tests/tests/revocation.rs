//! Revocation end to end, on both stores (docs/api.md, "Revocation"): what `/oauth/revoke`
//! takes, who may revoke what, and what the API refuses afterwards. Tokens come from the token
//! function, answers are read back through the API and the refresh grant.

use std::sync::Arc;

use gatehouse_admin::{AdminService, Caller, CommandError, Revocation, RevocationRequest};
use gatehouse_api::ApiService;
use gatehouse_core::clock::{Clock, ManualClock};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_revoke::RevokeService;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use serde_json::{json, Value};

const BOB: (&str, &str) = ("bob@example.com", "bob-demo-password");
const ALICE: (&str, &str) = ("alice@example.com", "alice-demo-password");

struct Shop {
    token: TokenService,
    revoke: RevokeService,
    api: ApiService,
    admin: AdminService,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
}

/// A customer's tokens, as the password or refresh grant answered them.
struct Login {
    access: String,
    refresh: String,
}

impl Shop {
    fn on(store: Arc<dyn Store>) -> Arc<Self> {
        let clock = manual_clock();
        Arc::new(Self {
            token: token_service(store.clone(), clock.clone(), RateLimitPolicy::default()),
            revoke: revoke_service(store.clone(), clock.clone()),
            api: api_service(store.clone(), clock.clone()),
            admin: admin_service(store.clone(), clock.clone()),
            store,
            clock,
        })
    }

    async fn post_token(&self, event: TokenEvent) -> (u16, Value) {
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        (response.status().as_u16(), body_json(&response))
    }

    async fn login(&self) -> Login {
        self.login_as(BOB, "market:1001").await
    }

    async fn login_as(&self, (email, password): (&str, &str), scope: &str) -> Login {
        let (status, body) = self
            .post_token(TokenEvent::form(&[
                ("grant_type", "password"),
                ("client_id", STOREFRONT),
                ("username", email),
                ("password", password),
                ("scope", scope),
            ]))
            .await;
        assert_eq!(status, 200, "{body}");
        Login::of(&body)
    }

    /// The admin command that ends every token of what `asked` names.
    async fn revoke_all(&self, asked: Value) -> Result<Revocation, CommandError> {
        let request: RevocationRequest = serde_json::from_value(asked).unwrap();
        self.admin
            .revoke_tokens(&request, &Caller::new("ops@example.com"))
            .await
    }

    /// A client_credentials token of `client`, public or with its secret, for `scope`.
    async fn client_token(&self, client: &str, secret: Option<&str>, scope: &str) -> String {
        let mut pairs = vec![("grant_type", "client_credentials"), ("scope", scope)];
        let event = match secret {
            Some(secret) => TokenEvent::form(&pairs).basic(client, secret),
            None => {
                pairs.push(("client_id", client));
                TokenEvent::form(&pairs)
            }
        };
        let (status, body) = self.post_token(event).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// The refresh grant's answer for `refresh_token`.
    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.post_token(TokenEvent::form(&[
            ("grant_type", "refresh_token"),
            ("client_id", STOREFRONT),
            ("refresh_token", refresh_token),
        ]))
        .await
    }

    async fn integration_token(&self) -> String {
        let event = TokenEvent::form(&[("grant_type", "client_credentials")])
            .basic(INTEGRATION, INTEGRATION_SECRET);
        let (status, body) = self.post_token(event).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// `POST /oauth/revoke` with a JSON body, as `@commercelayer/js-auth` sends it.
    async fn revoke(&self, body: Value) -> (u16, Value) {
        self.revoke_event(TokenEvent::json(&body)).await
    }

    async fn revoke_event(&self, event: TokenEvent) -> (u16, Value) {
        let response = gatehouse_revoke::handle(event.request(), &self.revoke).await;
        (response.status().as_u16(), body_json(&response))
    }

    /// The status of `GET /api/markets` with `token`, and the error's detail if refused.
    async fn api(&self, token: &str) -> (u16, String) {
        let response = gatehouse_api::handle(api_request(token, "/api/markets"), &self.api).await;
        let body = body_json(&response);
        let detail = body["errors"][0]["detail"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        (response.status().as_u16(), detail)
    }

    /// Asserts that the API refuses `token` as revoked.
    async fn assert_revoked(&self, token: &str, what: &str) {
        assert_eq!(
            self.api(token).await,
            (401, "the access token has been revoked".to_owned()),
            "{what}"
        );
    }

    async fn assert_alive(&self, token: &str, what: &str) {
        assert_eq!(self.api(token).await.0, 200, "{what}");
    }

    /// Moves the clock past the moment every verifier refuses `token` as expired.
    fn expire(&self, token: &str) {
        let claims = verify(token, &test_keys(), self.clock.as_ref());
        let left = claims.exp - self.clock.now().floor_seconds().0;
        let leeway = gatehouse_edge::bearer::CLOCK_LEEWAY_SECONDS;
        self.clock
            .advance(std::time::Duration::from_secs(left + leeway + 1));
    }
}

impl Login {
    fn of(body: &Value) -> Self {
        Self {
            access: body["access_token"]
                .as_str()
                .expect("an access token")
                .into(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("a refresh token")
                .into(),
        }
    }
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

#[path = "revocation/by_token.rs"]
mod by_token;

#[path = "revocation/epochs.rs"]
mod epochs;

#[path = "revocation/introspection.rs"]
mod introspection;

#[path = "revocation/status_list.rs"]
mod status_list;
