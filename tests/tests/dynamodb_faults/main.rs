//! Faults at the DynamoDB boundary: every grant, revocation and the sign-in that makes codes,
//! on a table reached through a failing proxy (`proxy.rs`) with the client production builds.
//! A fault is answered 503 `temporarily_unavailable` with `Retry-After`, never a 500, and
//! leaves no half-made change: the checks read the table itself, not only the status, and a
//! retry once the fault clears succeeds with every token, code, family and rate-limit place
//! made exactly once.
//!
//! Every test needs moto (`#[ignore]`d with the reason, as in the other DynamoDB tests).

mod admin;
mod lost_answers;
mod proxy;
mod unavailable;

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use gatehouse_admin::{AdminAccess, AdminApi};
use gatehouse_authorize::AuthorizeService;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_revoke::RevokeService;
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use proxy::{Fault, FaultProxy};

const CUSTOMER: (&str, &str) = ("bob@example.com", "bob-demo-password");
const USER: (&str, &str) = ("admin@example.com", "admin-demo-password");
const REDIRECT: &str = "http://localhost:8080/callback";

type Item = std::collections::HashMap<String, AttributeValue>;

/// The services on a demo table reached through a [`FaultProxy`], and a client that reads the
/// same table straight from moto.
struct Harness {
    proxy: FaultProxy,
    store: Arc<DynamoStore>,
    reader: aws_sdk_dynamodb::Client,
    table: String,
    token: TokenService,
    revoke: RevokeService,
    authorize: AuthorizeService,
    /// The admin API on the same table, called as API Gateway calls it (an IAM caller).
    admin: AdminApi,
    clock: Arc<gatehouse_core::clock::ManualClock>,
}

/// One answer of a function: status, headers, body text.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    text: String,
}

impl Answer {
    fn of(response: Response<Body>) -> Self {
        Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// 503 `temporarily_unavailable`, `Retry-After: 1`, the documented format, no internals.
    fn assert_unavailable(&self, what: &str) {
        assert_eq!(self.status, 503, "{what}: {}", self.text);
        assert_eq!(self.headers["retry-after"], "1", "{what}");
        assert_eq!(
            assert_error_format(503, &self.headers, &self.json()),
            "temporarily_unavailable",
            "{what}"
        );
        assert!(
            !self.text.contains("gatehouse-test"),
            "{what}: {}",
            self.text
        );
    }

    fn assert_ok(&self, what: &str) -> Value {
        assert_eq!(self.status, 200, "{what}: {}", self.text);
        self.json()
    }
}

impl Harness {
    async fn new() -> Self {
        Self::with_rate_limit(RateLimitPolicy::default()).await
    }

    async fn with_rate_limit(rate_limit: RateLimitPolicy) -> Self {
        let seeded = demo_dynamo_store().await;
        let proxy = FaultProxy::start(&dynamodb_endpoint()).await;
        let store = Arc::new(DynamoStore::new(
            dynamo::client(Some(&proxy.endpoint())).await,
            seeded.table(),
        ));
        let clock = manual_clock();
        let shared: Arc<dyn gatehouse_store::Store> = store.clone();
        Self {
            reader: dynamo::client(Some(&dynamodb_endpoint())).await,
            table: seeded.table().to_owned(),
            token: token_service(shared.clone(), clock.clone(), rate_limit),
            revoke: revoke_service(shared.clone(), clock.clone()),
            authorize: authorize_service(shared.clone(), clock.clone(), rate_limit),
            admin: AdminApi {
                service: admin_service(shared, clock.clone()),
                access: AdminAccess::IamCaller,
            },
            clock,
            proxy,
            store,
        }
    }

    async fn token(&self, event: TokenEvent) -> Answer {
        Answer::of(gatehouse_token::handle(event.request(), &self.token).await)
    }

    async fn client_credentials(&self) -> Answer {
        self.token(TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:1001"),
        ]))
        .await
    }

    async fn login(&self) -> Answer {
        self.token(TokenEvent::form(&[
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", CUSTOMER.0),
            ("password", CUSTOMER.1),
            ("scope", "market:1001"),
        ]))
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> Answer {
        self.token(TokenEvent::form(&[
            ("grant_type", "refresh_token"),
            ("client_id", STOREFRONT),
            ("refresh_token", refresh_token),
        ]))
        .await
    }

    async fn exchange(&self, code: &str) -> Answer {
        self.token(
            TokenEvent::form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
            ])
            .basic(WEBAPP, WEBAPP_SECRET),
        )
        .await
    }

    async fn revoke(&self, refresh_token: &str) -> Answer {
        let body = json!({"client_id": STOREFRONT, "token": refresh_token});
        Answer::of(gatehouse_revoke::handle(TokenEvent::json(&body).request(), &self.revoke).await)
    }

    async fn authorize(&self, method: &str, query: &str, cookie: Option<&str>) -> Answer {
        let mut event = TokenEvent::new().method(method).event().clone();
        event["rawPath"] = json!("/oauth/authorize");
        event["requestContext"]["http"]["path"] = json!("/oauth/authorize");
        event["routeKey"] = json!(format!("{method} /oauth/authorize"));
        if method == "GET" {
            event["rawQueryString"] = json!(query);
            event["body"] = Value::Null;
        } else {
            event["body"] = json!(query);
            event["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
        }
        if let Some(cookie) = cookie {
            event["cookies"] = json!([cookie]);
        }
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        Answer::of(gatehouse_authorize::handle(request, &self.authorize).await)
    }

    /// The demo admin signs in for the demo webapp: the answer to the sign-in form (a 303 to
    /// the redirect URI with the code, when all goes well).
    async fn sign_in(&self) -> Answer {
        self.sign_in_with(USER.1).await
    }

    /// A sign-in of the demo admin with `password`.
    async fn sign_in_with(&self, password: &str) -> Answer {
        let params = [
            ("response_type", "code"),
            ("client_id", WEBAPP),
            ("redirect_uri", REDIRECT),
            ("scope", "market:code:eu"),
            ("state", "s"),
        ];
        let page = self.authorize("GET", &query(&params), None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let start = page
            .text
            .find(r#"name="csrf" value=""#)
            .expect("a csrf field")
            + 19;
        let csrf = &page.text[start..start + 43];
        let cookie = page.headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut form = params.to_vec();
        form.extend([
            ("csrf", csrf),
            ("email", USER.0),
            ("password", password),
            ("action", "allow"),
        ]);
        self.authorize("POST", &query(&form), Some(&cookie)).await
    }

    /// The code a successful sign-in sent back.
    fn code_of(answer: &Answer) -> String {
        assert_eq!(answer.status, 303, "{}", answer.text);
        let location = answer.headers["location"].to_str().unwrap();
        let (_, query) = location.split_once('?').unwrap();
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("a code")
    }

    async fn code(&self) -> String {
        Self::code_of(&self.sign_in().await)
    }

    /// Every refresh token, code, family and rate-limit window in the table, read straight
    /// from moto.
    async fn token_items(&self) -> Vec<Item> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .reader
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .filter_expression(
                    "begins_with(PK, :refresh) OR begins_with(PK, :code) \
                     OR begins_with(PK, :family) OR begins_with(PK, :rate)",
                )
                .expression_attribute_values(":refresh", AttributeValue::S("REFRESH#".into()))
                .expression_attribute_values(":code", AttributeValue::S("CODE#".into()))
                .expression_attribute_values(":family", AttributeValue::S("FAMILY#".into()))
                .expression_attribute_values(":rate", AttributeValue::S("RATE#".into()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("moto scans");
            found.extend(page.items().iter().cloned());
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return found;
            }
        }
    }

    /// What the table holds of tokens, codes, families and rate-limit places.
    async fn state(&self) -> State {
        let items = self.token_items().await;
        let of = |prefix: &str| -> Vec<Item> {
            items
                .iter()
                .filter(|item| {
                    matches!(item.get("PK"), Some(AttributeValue::S(pk)) if pk.starts_with(prefix))
                })
                .cloned()
                .collect()
        };
        let (refresh, codes, families, windows) =
            (of("REFRESH#"), of("CODE#"), of("FAMILY#"), of("RATE#"));
        let consumed = |items: &[Item]| {
            items
                .iter()
                .filter(|i| i.contains_key("consumed_at"))
                .count()
        };
        State {
            refresh_tokens: refresh.len(),
            consumed_refresh_tokens: consumed(&refresh),
            codes: codes.len(),
            consumed_codes: consumed(&codes),
            families: families.len(),
            revoked_families: families
                .iter()
                .filter(|f| f.get("revoked") == Some(&AttributeValue::Bool(true)))
                .count(),
            counted: windows
                .iter()
                .map(|window| {
                    window
                        .iter()
                        .filter(|(name, value)| {
                            name.starts_with('t')
                                && name[1..].parse::<u32>().is_ok()
                                && **value != AttributeValue::N("0".into())
                        })
                        .count()
                })
                .sum(),
        }
    }
}

/// The table's state, as counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct State {
    refresh_tokens: usize,
    consumed_refresh_tokens: usize,
    codes: usize,
    consumed_codes: usize,
    families: usize,
    revoked_families: usize,
    /// Accepted request times held by every rate-limit window together.
    counted: usize,
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn refresh_token_of(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}
