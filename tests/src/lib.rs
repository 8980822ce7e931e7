//! Helpers shared by the end-to-end tests: API Gateway events, services wired on either
//! store, a DynamoDB (moto) table per test, and an HTTP client for the local server.

pub mod catalogs;
pub mod request_log;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use gatehouse_cli::router::Functions;
use gatehouse_core::clock::{Clock, ManualClock, SystemClock, UnixMillis};
use gatehouse_core::jwt::{generate_private_key_pem, AccessTokenClaims, KeySet, SigningAlgorithm};
use gatehouse_core::model::Catalog;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::seed::{parse_seed, DEMO_SEED};
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::{Import, Store};
use gatehouse_token::TokenService;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub const ISSUER: &str = "https://auth.test.example";
pub const STOREFRONT: &str = "demo-storefront";
pub const INTEGRATION: &str = "demo-integration";
pub const INTEGRATION_SECRET: &str = "demo-integration-secret-change-me-0123456789";
pub const WEBAPP: &str = "demo-webapp";
pub const WEBAPP_SECRET: &str = "demo-webapp-secret-change-me-0123456789abcdef";
pub const LIVE_STOREFRONT: &str = "live-storefront";

const TOKEN_EVENT: &str = include_str!("../fixtures/apigw-v2-post-oauth-token.json");
const WELL_KNOWN_EVENT: &str = include_str!("../fixtures/apigw-v2-get-well-known.json");

/// The demo seed, parsed once per test process (its passwords are hashed once, on first use).
pub fn demo_catalog() -> Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG
        .get_or_init(|| parse_seed(DEMO_SEED).expect("the demo seed is valid"))
        .clone()
}

/// One ES256 key set per test process (key generation is not free).
pub fn test_keys() -> Arc<KeySet> {
    static KEYS: OnceLock<Arc<KeySet>> = OnceLock::new();
    KEYS.get_or_init(|| {
        Arc::new(KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap())
    })
    .clone()
}

pub fn config(rate_limit: RateLimitPolicy) -> ServiceConfig {
    ServiceConfig {
        issuer: ISSUER.to_owned(),
        organization: demo_catalog().organization,
        rate_limit,
        api_rate_limit: ServiceConfig::default_api_rate_limit(),
        verified_token_cache: gatehouse_edge::config::DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES,
        sign_in: Default::default(),
        refresh_reuse_grace: ServiceConfig::default_refresh_reuse_grace(),
        cors: Default::default(),
        password_hashing: Default::default(),
    }
}

/// A process on `store` with the test configuration, `rate_limit` as its per-address limit,
/// and `clock`: what every service of a test is built from.
pub fn runtime(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    rate_limit: RateLimitPolicy,
) -> Runtime<dyn Store> {
    Runtime::new(store, config(rate_limit), clock)
}

/// The token function on `store`, signing with [`test_keys`].
pub fn token_service(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    rate_limit: RateLimitPolicy,
) -> TokenService {
    TokenService::new(&runtime(store, clock, rate_limit), test_keys())
}

/// The authorize function on `store`, with `rate_limit` as its per-address limit.
pub fn authorize_service(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    rate_limit: RateLimitPolicy,
) -> gatehouse_authorize::AuthorizeService {
    gatehouse_authorize::AuthorizeService::new(&runtime(store, clock, rate_limit))
}

/// What verifies the tokens of [`test_keys`], as the API and the revocation endpoint do.
pub fn test_verifier() -> gatehouse_edge::bearer::BearerVerifier {
    gatehouse_edge::bearer::BearerVerifier::new(
        test_keys().verification_keys().expect("test keys"),
        ISSUER,
    )
}

/// The API function on `store`, verifying tokens of [`test_keys`] and seeing revocations at
/// once, as `gatehouse serve` does.
pub fn api_service(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> gatehouse_api::ApiService {
    api_service_seeing_revocations_after(store, clock, Duration::ZERO)
}

/// [`api_service`] as a Lambda process: taking storage's word that a token is not revoked for
/// `staleness`.
pub fn api_service_seeing_revocations_after(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    staleness: Duration,
) -> gatehouse_api::ApiService {
    let runtime = runtime(store, clock, RateLimitPolicy::default());
    gatehouse_api::ApiService::new(&runtime, test_verifier(), staleness)
}

/// The revocation function on `store`.
pub fn revoke_service(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> gatehouse_revoke::RevokeService {
    let runtime = runtime(store, clock, RateLimitPolicy::default());
    gatehouse_revoke::RevokeService::new(&runtime, test_verifier())
}

/// The admin commands on `store`, with the default rotation overlap (24 hours).
pub fn admin_service(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> gatehouse_admin::AdminService {
    let overlap =
        Duration::from_secs(gatehouse_edge::config::DEFAULT_SECRET_ROTATION_OVERLAP_SECONDS);
    gatehouse_admin::AdminService::new(store, clock, overlap)
}

/// The token service on the embedded store loaded with the demo seed, real clock, default limit.
pub fn demo_service() -> TokenService {
    token_service(
        Arc::new(MemoryStore::from_catalog(&demo_catalog())),
        Arc::new(SystemClock),
        RateLimitPolicy::default(),
    )
}

/// The one "now" of a test process: the real time when the process first asks, in whole
/// seconds (so that JWT `iat` and `created_at` equal it exactly). Every manual clock starts
/// here and every check a test makes on time reads a clock, so no test depends on the date on
/// which it runs; `scripts/test` proves it by running the suite again a year ahead.
pub fn test_start() -> UnixMillis {
    static START: OnceLock<UnixMillis> = OnceLock::new();
    *START.get_or_init(|| UnixMillis(SystemClock.now().floor_seconds().0 * 1000))
}

/// A clock that starts at [`test_start`] and moves only when the test moves it.
pub fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(test_start()))
}

/// An API Gateway HTTP API (v2) event for `POST /oauth/token`, from the fixture.
pub struct TokenEvent {
    event: Value,
}

impl TokenEvent {
    /// The fixture's event (a client_credentials request for the demo storefront, as the
    /// README's `cargo lambda invoke` sends it) with no body: each test writes its own.
    pub fn new() -> Self {
        let mut event: Value = serde_json::from_str(TOKEN_EVENT).unwrap();
        event["headers"]
            .as_object_mut()
            .unwrap()
            .remove("content-type");
        Self { event }.body("")
    }

    /// The fixture's event as it is in the file.
    pub fn fixture() -> Self {
        Self {
            event: serde_json::from_str(TOKEN_EVENT).unwrap(),
        }
    }

    pub fn form(pairs: &[(&str, &str)]) -> Self {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        Self::new()
            .header("content-type", "application/x-www-form-urlencoded")
            .body(&body)
    }

    pub fn json(body: &Value) -> Self {
        Self::new()
            .header("content-type", "application/json")
            .body(&body.to_string())
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name] = json!(value);
        self
    }

    pub fn basic(self, id: &str, secret: &str) -> Self {
        let credentials = format!("{}:{}", form_encode(id), form_encode(secret));
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        self.header("authorization", &format!("Basic {encoded}"))
    }

    pub fn body(mut self, body: &str) -> Self {
        self.event["body"] = json!(body);
        self.event["headers"]["content-length"] = json!(body.len().to_string());
        self
    }

    /// API Gateway base64-encodes bodies it does not take for text.
    pub fn binary_body(mut self, bytes: &[u8]) -> Self {
        self.event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
        self.event["isBase64Encoded"] = json!(true);
        self
    }

    pub fn source_ip(mut self, ip: &str) -> Self {
        self.event["requestContext"]["http"]["sourceIp"] = json!(ip);
        self
    }

    pub fn method(mut self, method: &str) -> Self {
        self.event["requestContext"]["http"]["method"] = json!(method);
        self
    }

    /// The event sent to `path` instead of the token endpoint's.
    pub fn path(mut self, path: &str) -> Self {
        self.event["rawPath"] = json!(path);
        self.event["requestContext"]["http"]["path"] = json!(path);
        self
    }

    /// `POST /oauth/logout_everywhere` with `token` as its bearer.
    pub fn logout_everywhere(token: &str) -> Self {
        Self::new()
            .path("/oauth/logout_everywhere")
            .header("authorization", &format!("Bearer {token}"))
    }

    /// The event as JSON, to build events for other routes from.
    pub fn event(&self) -> &Value {
        &self.event
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.event.to_string())
            .expect("a valid API Gateway v2 event")
    }
}

impl Default for TokenEvent {
    fn default() -> Self {
        Self::new()
    }
}

/// An API Gateway v2 event for `GET <path>`, from the fixture.
pub fn well_known_event(path: &str) -> Request {
    let mut event: Value = serde_json::from_str(WELL_KNOWN_EVENT).unwrap();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["routeKey"] = json!(format!("GET {path}"));
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// An API Gateway v2 event for the resource API: `GET <path_and_query>` with `token` as its
/// bearer token.
pub fn api_request(token: &str, path_and_query: &str) -> Request {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut event = TokenEvent::new().method("GET").event().clone();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["routeKey"] = json!("GET /api/{proxy+}");
    event["rawQueryString"] = json!(query);
    event["body"] = Value::Null;
    let headers = event["headers"].as_object_mut().unwrap();
    headers.remove("content-type");
    headers.insert("authorization".into(), json!(format!("Bearer {token}")));
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

/// The IAM identity the admin API tests sign as.
pub const ADMIN_CALLER_ARN: &str = "arn:aws:iam::123456789012:user/ops-alice";

/// An API Gateway v2 event for the admin API: `method` on `path` (with an optional query),
/// a JSON body, and the IAM identity API Gateway found in the request's signature (None: an
/// unsigned request, which API Gateway would not let through).
pub fn admin_event(
    method: &str,
    path: &str,
    query: &str,
    body: Option<&Value>,
    caller: Option<&str>,
) -> Request {
    let mut event = TokenEvent::new().method(method).event().clone();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["routeKey"] = json!("ANY /admin/{proxy+}");
    event["rawQueryString"] = json!(query);
    match body {
        Some(body) => {
            event["body"] = json!(body.to_string());
            event["headers"]["content-type"] = json!("application/json");
        }
        None => event["body"] = Value::Null,
    }
    if let Some(arn) = caller {
        event["requestContext"]["authorizer"] = json!({"iam": {
            "accessKey": "AKIAIOSFODNN7EXAMPLE", "accountId": "123456789012",
            "callerId": "AIDACKCEVSQ6C2EXAMPLE", "principalOrgId": null,
            "userArn": arn, "userId": "AIDACKCEVSQ6C2EXAMPLE"
        }});
    }
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

pub fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub fn body_json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("a JSON body")
}

/// Asserts the documented error format and returns the `error` code.
pub fn assert_error_format(status: u16, headers: &http::HeaderMap, body: &Value) -> String {
    let error = body["error"].as_str().expect("an error field").to_owned();
    let description = body["error_description"]
        .as_str()
        .expect("an error_description");
    assert!(!description.is_empty());
    // RFC 6749 §5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E.
    assert!(
        description
            .chars()
            .all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
        "error_description has a character RFC 6749 section 5.2 does not allow: {description:?}"
    );
    let entry = &body["errors"][0];
    assert_eq!(entry["title"], error.as_str());
    assert_eq!(entry["detail"], description);
    assert_eq!(entry["status"], status);
    assert!(entry["code"]
        .as_str()
        .is_some_and(|c| c.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-type"], "application/json");
    error
}

/// Verifies an access token against the key set's JWKS with a pinned algorithm and issuer,
/// and its lifetime against `clock`: the clock that issued it, never the wall clock of the
/// test run (a token minted on a manual clock would otherwise expire with the calendar).
pub fn verify(token: &str, keys: &KeySet, clock: &dyn Clock) -> AccessTokenClaims {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(keys.jwks()).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().expect("a kid"))
        .expect("the kid is published");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    // `exp` stays required, but is checked below against the injected clock.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<AccessTokenClaims>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .expect("the token verifies")
    .claims;
    let now = clock.now().floor_seconds().0;
    assert!(
        claims.iat <= now && now < claims.exp,
        "the token is valid now ({now}): iat {} exp {}",
        claims.iat,
        claims.exp
    );
    claims
}

/// Runs `n` tasks at once: each is spawned on the runtime and all are released together by a
/// barrier, so that on a multi-thread runtime they really run in parallel. (`join_all` alone
/// would poll them one after another on the embedded store, whose futures never yield.)
pub async fn race<T, F>(n: usize, task: impl Fn(usize) -> F) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let start = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let start = Arc::clone(&start);
            let work = task(i);
            tokio::spawn(async move {
                start.wait().await;
                work.await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for task in tasks {
        outcomes.push(task.await.expect("a raced task panicked"));
    }
    outcomes
}

// ---------------------------------------------------------------- DynamoDB (moto) ----------

/// Where the DynamoDB API for tests is: `GATEHOUSE_TEST_DYNAMODB_ENDPOINT`, by default the
/// moto server that `scripts/test` starts.
///
/// Every test that needs it is `#[ignore]`d with that reason, so that a plain `cargo test`
/// reports it as not run rather than as passed; `scripts/test` runs the ignored tests too. A
/// test that runs and cannot reach the endpoint fails: a green run means DynamoDB was used.
pub fn dynamodb_endpoint() -> String {
    let endpoint = std::env::var("GATEHOUSE_TEST_DYNAMODB_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:5055".to_owned());
    let address = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|socket| {
            std::net::TcpStream::connect_timeout(&socket, Duration::from_secs(2)).is_ok()
        });
    assert!(
        reachable,
        "DynamoDB API not reachable at {endpoint}: run `scripts/test`, which starts moto, \
         or start one (python3 scripts/moto_dynamodb.py 5055) and set \
         GATEHOUSE_TEST_DYNAMODB_ENDPOINT"
    );
    endpoint
}

/// The conformance suite's macro, from the store crate, for every test file that names it.
pub use gatehouse_store::on_both_stores;

/// A fresh table (see [`fresh_dynamo_store`]) loaded with the demo seed.
pub async fn demo_dynamo_store() -> DynamoStore {
    let store = fresh_dynamo_store(&dynamodb_endpoint()).await;
    store
        .import(&demo_catalog())
        .await
        .expect("demo catalog imported");
    store
}

/// A fresh table (see [`fresh_dynamo_store`]) loaded with `catalog`.
pub async fn dynamo_store_holding(catalog: &Catalog) -> DynamoStore {
    let store = fresh_dynamo_store(&dynamodb_endpoint()).await;
    store.import(catalog).await.expect("catalog imported");
    store
}

/// A new, empty table of its own, created with the same code as `gatehouse import`.
pub async fn fresh_dynamo_store(endpoint: &str) -> DynamoStore {
    let name = format!(
        "gatehouse-test-{}",
        gatehouse_core::secret::random_token(9).replace(['-', '_'], "x")
    );
    let store = DynamoStore::new(dynamo::client(Some(endpoint)).await, name);
    assert!(store.ensure_table().await.expect("table created"));
    store
}

// ---------------------------------------------------------------- local HTTP server --------

/// Starts the local server in process on a free port.
pub async fn spawn_server(store: Arc<dyn Store>, rate_limit: RateLimitPolicy) -> SocketAddr {
    spawn_server_with_admin(store, rate_limit, None).await
}

/// Starts the local server in process on a free port, serving `admin` under `/admin/`.
pub async fn spawn_server_with_admin(
    store: Arc<dyn Store>,
    rate_limit: RateLimitPolicy,
    admin: Option<gatehouse_admin::AdminApi>,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let functions = server_functions(store, rate_limit, admin);
    tokio::spawn(gatehouse_cli::server::run(listener, functions));
    address
}

/// Starts the local server in process on a free port, with these timeouts and this cap.
pub async fn spawn_server_with_limits(
    store: Arc<dyn Store>,
    limits: gatehouse_cli::connection_limits::ConnectionLimits,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let functions = server_functions(store, RateLimitPolicy::default(), None);
    tokio::spawn(gatehouse_cli::server::run_with_limits(
        listener, functions, limits,
    ));
    address
}

/// Every function as `gatehouse serve` builds them: one process on `store`.
fn server_functions(
    store: Arc<dyn Store>,
    rate_limit: RateLimitPolicy,
    admin: Option<gatehouse_admin::AdminApi>,
) -> Arc<Functions> {
    let runtime = runtime(store, Arc::new(SystemClock), rate_limit);
    Arc::new(Functions::new(&runtime, test_keys(), admin).expect("the test keys verify"))
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
}

/// One HTTP/1.1 request over a fresh connection.
pub async fn http_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{address}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(
            request
                .body(Full::new(Bytes::from(body.to_owned())))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    HttpResponse {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

// ---------------------------------------------------------------- faults ----------------------

/// The embedded store with chosen operations failing as an unreachable DynamoDB would.
pub struct FaultyStore {
    pub inner: MemoryStore,
    failing: std::sync::Mutex<std::collections::HashSet<&'static str>>,
}

impl FaultyStore {
    pub fn new(inner: MemoryStore) -> Self {
        Self {
            inner,
            failing: Default::default(),
        }
    }

    /// Makes `operation` (a Store method name, or "*" for all) fail from now on.
    pub fn fail(&self, operation: &'static str) {
        self.failing.lock().unwrap().insert(operation);
    }

    pub fn heal(&self) {
        self.failing.lock().unwrap().clear();
    }

    fn check(&self, operation: &'static str) -> Result<(), gatehouse_store::StoreError> {
        let failing = self.failing.lock().unwrap();
        if failing.contains(operation) || failing.contains("*") {
            return Err(gatehouse_store::StoreError::Unavailable(
                format!("dial tcp 10.0.0.1:443: connection refused ({operation} on table gatehouse-prod)").into(),
            ));
        }
        Ok(())
    }
}

mod faulty_store {
    use super::FaultyStore;
    use async_trait::async_trait;
    use gatehouse_core::clock::UnixMillis;
    use gatehouse_core::model::Catalog;
    use gatehouse_core::model::*;
    use gatehouse_core::ratelimit::{RateLimitOutcome, RateLimitPolicy};
    use gatehouse_core::scope::ResourceRef;
    use gatehouse_core::secret::SecretHash;
    use gatehouse_store::*;
    use std::sync::Arc;

    #[async_trait]
    impl Clients for FaultyStore {
        async fn find_application(
            &self,
            client_id: &str,
        ) -> Result<Option<Application>, StoreError> {
            self.check("find_application")?;
            self.inner.find_application(client_id).await
        }
        async fn find_markets(
            &self,
            mode: Mode,
            refs: &[ResourceRef],
        ) -> Result<Vec<Market>, StoreError> {
            self.check("find_markets")?;
            self.inner.find_markets(mode, refs).await
        }
        async fn find_stock_locations(
            &self,
            mode: Mode,
            refs: &[ResourceRef],
        ) -> Result<Vec<StockLocation>, StoreError> {
            self.check("find_stock_locations")?;
            self.inner.find_stock_locations(mode, refs).await
        }
    }

    #[async_trait]
    impl RateLimits for FaultyStore {
        async fn hit_rate_limit(
            &self,
            key: &str,
            policy: &RateLimitPolicy,
            now: UnixMillis,
        ) -> Result<RateLimitOutcome, StoreError> {
            self.check("hit_rate_limit")?;
            self.inner.hit_rate_limit(key, policy, now).await
        }
        async fn clear_rate_limit(
            &self,
            key: &str,
            policy: &RateLimitPolicy,
            up_to: UnixMillis,
        ) -> Result<(), StoreError> {
            self.check("clear_rate_limit")?;
            self.inner.clear_rate_limit(key, policy, up_to).await
        }
    }

    #[async_trait]
    impl SignIns for FaultyStore {
        async fn count_failed_sign_in(
            &self,
            keys: &gatehouse_core::sign_in::SignInKeys,
            policy: &gatehouse_core::sign_in::SignInPolicy,
            now: UnixMillis,
        ) -> Result<gatehouse_core::sign_in::SignInCheck, StoreError> {
            self.check("count_failed_sign_in")?;
            self.inner.count_failed_sign_in(keys, policy, now).await
        }
        async fn complete_sign_in(
            &self,
            keys: &gatehouse_core::sign_in::SignInKeys,
            policy: &gatehouse_core::sign_in::SignInPolicy,
            grant: SignInGrant<'_>,
            now: UnixMillis,
        ) -> Result<gatehouse_core::sign_in::SignInCheck, StoreError> {
            self.check("complete_sign_in")?;
            self.inner.complete_sign_in(keys, policy, grant, now).await
        }
    }

    #[async_trait]
    impl Customers for FaultyStore {
        async fn find_customer_by_email(
            &self,
            mode: Mode,
            email: &str,
        ) -> Result<Option<Customer>, StoreError> {
            self.check("find_customer_by_email")?;
            self.inner.find_customer_by_email(mode, email).await
        }
        async fn find_customer(
            &self,
            mode: Mode,
            id: &str,
        ) -> Result<Option<Customer>, StoreError> {
            self.check("find_customer")?;
            self.inner.find_customer(mode, id).await
        }
        async fn find_customer_group(
            &self,
            mode: Mode,
            id: &str,
        ) -> Result<Option<CustomerGroup>, StoreError> {
            self.check("find_customer_group")?;
            self.inner.find_customer_group(mode, id).await
        }
    }

    #[async_trait]
    impl RefreshTokens for FaultyStore {
        async fn create_refresh_token(
            &self,
            record: &RefreshTokenRecord,
        ) -> Result<(), StoreError> {
            self.check("create_refresh_token")?;
            self.inner.create_refresh_token(record).await
        }
        async fn find_refresh_token(
            &self,
            hash: &SecretHash,
        ) -> Result<Option<RefreshTokenState>, StoreError> {
            self.check("find_refresh_token")?;
            self.inner.find_refresh_token(hash).await
        }
        async fn find_refresh_token_in_family(
            &self,
            hash: &SecretHash,
            family_id: &str,
        ) -> Result<Option<RefreshTokenState>, StoreError> {
            self.check("find_refresh_token")?;
            self.inner
                .find_refresh_token_in_family(hash, family_id)
                .await
        }
        async fn rotate_refresh_token(
            &self,
            presented: &SecretHash,
            successor: &RefreshTokenRecord,
            now: UnixMillis,
        ) -> Result<Rotation, StoreError> {
            self.check("rotate_refresh_token")?;
            self.inner
                .rotate_refresh_token(presented, successor, now)
                .await
        }
        async fn revoke_refresh_family(&self, family_id: &str) -> Result<(), StoreError> {
            self.check("revoke_refresh_family")?;
            self.inner.revoke_refresh_family(family_id).await
        }
    }

    #[async_trait]
    impl Users for FaultyStore {
        async fn find_user_by_email(
            &self,
            mode: Mode,
            email: &str,
        ) -> Result<Option<User>, StoreError> {
            self.check("find_user_by_email")?;
            self.inner.find_user_by_email(mode, email).await
        }
        async fn find_user(&self, mode: Mode, id: &str) -> Result<Option<User>, StoreError> {
            self.check("find_user")?;
            self.inner.find_user(mode, id).await
        }
    }

    #[async_trait]
    impl StatusLists for FaultyStore {
        async fn reserve_status_indexes(&self, window: u64, count: u64) -> Result<u64, StoreError> {
            self.check("reserve_status_indexes")?;
            self.inner.reserve_status_indexes(window, count).await
        }
        async fn revoke_status_index(&self, window: u64, index: u64) -> Result<(), StoreError> {
            self.check("revoke_status_index")?;
            self.inner.revoke_status_index(window, index).await
        }
        async fn status_list(&self, window: u64) -> Result<StoredList, StoreError> {
            self.check("status_list")?;
            self.inner.status_list(window).await
        }
        async fn epochs_after(
            &self,
            after: gatehouse_core::clock::UnixSeconds,
        ) -> Result<Vec<gatehouse_core::status_list::PublishedEpoch>, StoreError> {
            self.check("epochs_after")?;
            self.inner.epochs_after(after).await
        }
    }

    #[async_trait]
    impl gatehouse_store::Assertions for FaultyStore {
        async fn use_assertion(
            &self,
            used: &gatehouse_store::UsedAssertion<'_>,
            first_refresh_token: Option<&RefreshTokenRecord>,
            now: UnixMillis,
        ) -> Result<gatehouse_store::AssertionUse, StoreError> {
            self.check("use_assertion")?;
            self.inner
                .use_assertion(used, first_refresh_token, now)
                .await
        }
    }

    #[async_trait]
    impl Revocations for FaultyStore {
        async fn revoke_access_token(
            &self,
            jti: &str,
            until: gatehouse_core::clock::UnixSeconds,
        ) -> Result<(), StoreError> {
            self.check("revoke_access_token")?;
            self.inner.revoke_access_token(jti, until).await
        }
        async fn write_epoch(
            &self,
            subject: &gatehouse_core::revocation::EpochSubject,
            epoch: gatehouse_core::clock::UnixSeconds,
        ) -> Result<(), StoreError> {
            self.check("write_epoch")?;
            self.inner.write_epoch(subject, epoch).await
        }
        async fn revocation_state(
            &self,
            token: &gatehouse_core::revocation::TokenSubjects,
        ) -> Result<gatehouse_core::revocation::RevocationState, StoreError> {
            self.check("revocation_state")?;
            self.inner.revocation_state(token).await
        }
    }

    #[async_trait]
    impl AuthorizationCodes for FaultyStore {
        async fn create_authorization_code(
            &self,
            record: &AuthorizationCodeRecord,
        ) -> Result<(), StoreError> {
            self.check("create_authorization_code")?;
            self.inner.create_authorization_code(record).await
        }
        async fn find_authorization_code(
            &self,
            hash: &SecretHash,
        ) -> Result<Option<AuthorizationCodeRecord>, StoreError> {
            self.check("find_authorization_code")?;
            self.inner.find_authorization_code(hash).await
        }
        async fn redeem_authorization_code(
            &self,
            code: &SecretHash,
            first_refresh_token: &RefreshTokenRecord,
            now: UnixMillis,
        ) -> Result<Redemption, StoreError> {
            self.check("redeem_authorization_code")?;
            self.inner
                .redeem_authorization_code(code, first_refresh_token, now)
                .await
        }
    }

    #[async_trait]
    impl CatalogReads for FaultyStore {
        async fn list_markets(
            &self,
            mode: Mode,
            page: PageRequest,
        ) -> Result<Page<Market>, StoreError> {
            self.check("list_markets")?;
            self.inner.list_markets(mode, page).await
        }
        async fn list_skus(
            &self,
            view: &CatalogView,
            page: PageRequest,
        ) -> Result<Page<Sku>, StoreError> {
            self.check("list_skus")?;
            self.inner.list_skus(view, page).await
        }
        async fn find_sku(&self, view: &CatalogView, id: &str) -> Result<Option<Sku>, StoreError> {
            self.check("find_sku")?;
            self.inner.find_sku(view, id).await
        }
        async fn find_sku_by_code(
            &self,
            view: &CatalogView,
            code: &str,
        ) -> Result<Option<Sku>, StoreError> {
            self.check("find_sku_by_code")?;
            self.inner.find_sku_by_code(view, code).await
        }
        async fn list_prices(
            &self,
            view: &CatalogView,
            page: PageRequest,
        ) -> Result<Page<Price>, StoreError> {
            self.check("list_prices")?;
            self.inner.list_prices(view, page).await
        }
        async fn list_stock_items(
            &self,
            view: &CatalogView,
            page: PageRequest,
        ) -> Result<Page<StockItem>, StoreError> {
            self.check("list_stock_items")?;
            self.inner.list_stock_items(view, page).await
        }
        async fn prices_of_skus(
            &self,
            view: &CatalogView,
            codes: &[String],
        ) -> Result<Vec<Arc<Price>>, StoreError> {
            self.check("prices_of_skus")?;
            self.inner.prices_of_skus(view, codes).await
        }
        async fn stock_items_of_skus(
            &self,
            view: &CatalogView,
            codes: &[String],
        ) -> Result<Vec<Arc<StockItem>>, StoreError> {
            self.check("stock_items_of_skus")?;
            self.inner.stock_items_of_skus(view, codes).await
        }
        async fn find_price_lists(
            &self,
            mode: Mode,
            ids: &[String],
        ) -> Result<Vec<PriceList>, StoreError> {
            self.check("find_price_lists")?;
            self.inner.find_price_lists(mode, ids).await
        }
    }

    #[async_trait]
    impl Administration for FaultyStore {
        async fn list_applications(
            &self,
            mode: Option<Mode>,
        ) -> Result<Vec<Application>, AdminError> {
            self.check("list_applications")?;
            self.inner.list_applications(mode).await
        }
        async fn application(&self, client_id: &str) -> Result<Application, AdminError> {
            self.check("application")?;
            self.inner.application(client_id).await
        }
        async fn replay(&self, change: &ChangeContext) -> Result<Option<AdminOutcome>, AdminError> {
            self.check("replay")?;
            self.inner.replay(change).await
        }
        async fn create_application(
            &self,
            application: &Application,
            sealed_secret: Option<&gatehouse_core::idempotency::SealedSecret>,
            change: &ChangeContext,
        ) -> Result<AdminOutcome, AdminError> {
            self.check("create_application")?;
            self.inner
                .create_application(application, sealed_secret, change)
                .await
        }
        async fn update_application(
            &self,
            client_id: &str,
            kind: ApplicationKind,
            update: &ApplicationUpdate,
            change: &ChangeContext,
        ) -> Result<AdminOutcome, AdminError> {
            self.check("update_application")?;
            self.inner
                .update_application(client_id, kind, update, change)
                .await
        }
        async fn delete_application(
            &self,
            client_id: &str,
            change: &ChangeContext,
        ) -> Result<AdminOutcome, AdminError> {
            self.check("delete_application")?;
            self.inner.delete_application(client_id, change).await
        }
        async fn rotate_client_secret(
            &self,
            client_id: &str,
            new_secret: &SecretHash,
            sealed_secret: &gatehouse_core::idempotency::SealedSecret,
            previous_valid_until: gatehouse_core::clock::UnixSeconds,
            change: &ChangeContext,
        ) -> Result<AdminOutcome, AdminError> {
            self.check("rotate_client_secret")?;
            self.inner
                .rotate_client_secret(
                    client_id,
                    new_secret,
                    sealed_secret,
                    previous_valid_until,
                    change,
                )
                .await
        }
        async fn set_market_active(
            &self,
            market_id: &str,
            active: bool,
            change: &ChangeContext,
        ) -> Result<AdminOutcome, AdminError> {
            self.check("set_market_active")?;
            self.inner
                .set_market_active(market_id, active, change)
                .await
        }
        async fn revoke_tokens(
            &self,
            subject: &gatehouse_core::revocation::EpochSubject,
            epoch: gatehouse_core::clock::UnixSeconds,
            change: &ChangeContext,
        ) -> Result<AdminOutcome, AdminError> {
            self.check("revoke_tokens")?;
            self.inner.revoke_tokens(subject, epoch, change).await
        }
        async fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, AdminError> {
            self.check("audit_log")?;
            self.inner.audit_log(limit).await
        }
    }

    #[async_trait]
    impl Import for FaultyStore {
        async fn import(&self, catalog: &Catalog) -> Result<(), StoreError> {
            self.check("import")?;
            self.inner.import(catalog).await
        }
    }
}
