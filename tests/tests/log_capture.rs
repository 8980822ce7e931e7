//! The logs and metrics of a full flow, on both stores: every line captured at trace, in
//! JSON, through the subscriber production installs (the wire clamp included), then searched
//! for every secret, password, token and code the flow used and every stored hash form of
//! them. Each request must have produced exactly one request line and one EMF document.
//!
//! Its own test binary: it installs the process's global subscriber.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use gatehouse_authorize::AuthorizeService;
use gatehouse_shared::clock::SystemClock;
use gatehouse_shared::observe::logging::{self, LogFormat, LogSettings};
use gatehouse_shared::observe::metrics::MetricsOutput;
use gatehouse_shared::observe::request_log::REQUEST_TARGET;
use gatehouse_shared::observe::Observer;
use gatehouse_shared::pkce::s256_challenge;
use gatehouse_shared::ratelimit::RateLimitPolicy;
use gatehouse_shared::secret::{random_token, SecretHash};
use gatehouse_shared::seed::DEMO_SEED;
use gatehouse_shared::store::memory::MemoryStore;
use gatehouse_shared::store::Store;
use gatehouse_tests::*;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

const BOB: (&str, &str) = ("bob@example.com", "bob-demo-password");
const ADMIN: (&str, &str) = ("admin@example.com", "admin-demo-password");
const REDIRECT: &str = "http://localhost:8080/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const WRONG_SECRET: &str = "a-wrong-integration-secret-0123456789abcdef";
const WRONG_PASSWORD: &str = "not-bobs-password-at-all";
/// Token requests per address: the burst at the end of the flow passes it.
const TOKEN_LIMIT: u32 = 3;

// ---------------------------------------------------------------- capture ------------------

/// Every line logged in this process since the subscriber was installed.
fn captured() -> &'static Mutex<Vec<u8>> {
    static CAPTURE: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::default());
        struct Line(&'static Mutex<Vec<u8>>);
        impl Write for Line {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // What a function installs, with RUST_LOG=trace and JSON.
        let settings = LogSettings {
            format: LogFormat::Json,
            directives: "trace".to_owned(),
        };
        logging::init(&settings, move || Line(buffer)).expect("the subscriber installs");
        buffer
    })
}

fn captured_lines() -> Vec<String> {
    String::from_utf8(captured().lock().unwrap().clone())
        .expect("UTF-8 logs")
        .lines()
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------- the flow -----------------

/// What the request line of one request must say.
struct Expected {
    route: &'static str,
    status: u16,
    grant: Option<&'static str>,
    client_id: Option<&'static str>,
    error: Option<&'static str>,
}

struct Flow {
    token: gatehouse_token::TokenService,
    revoke: gatehouse_revoke::RevokeService,
    authorize: AuthorizeService,
    api: gatehouse_api::ApiService,
    observer: Observer,
    metrics: Arc<Mutex<Vec<String>>>,
    /// Request ids of this flow start with it: the other store's flow may share the process.
    prefix: String,
    sent: Mutex<Vec<(String, Expected)>>,
    addresses: AtomicUsize,
    /// Every secret, password, token and code the flow used.
    secrets: Mutex<Vec<String>>,
    on_dynamodb: bool,
}

enum Function {
    Token,
    Revoke,
    Authorize,
    Api,
}

impl Flow {
    fn on(store: Arc<dyn Store>, on_dynamodb: bool) -> Self {
        captured();
        let limit = RateLimitPolicy::new(TOKEN_LIMIT, 60).unwrap();
        let metrics = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&metrics);
        Self {
            token: token_service(store.clone(), Arc::new(SystemClock), limit),
            revoke: revoke_service(store.clone()),
            authorize: AuthorizeService::on_store(
                store.clone(),
                Arc::new(SystemClock),
                config(limit),
            ),
            api: api_service(store, Arc::new(SystemClock)),
            observer: Observer::with_sink(
                MetricsOutput::Emf,
                "log-capture",
                Arc::new(SystemClock),
                Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned())),
            ),
            metrics,
            prefix: random_token(6).replace(['-', '_'], "x"),
            sent: Mutex::default(),
            addresses: AtomicUsize::new(1),
            secrets: Mutex::default(),
            on_dynamodb,
        }
    }

    fn secret(&self, value: &str) {
        self.secrets.lock().unwrap().push(value.to_owned());
    }

    /// A client address no other request of this flow used.
    fn fresh_address(&self) -> String {
        format!(
            "198.51.100.{}",
            self.addresses.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Sends `event` to `function` as Lambda would, through the observer.
    async fn call(
        &self,
        function: Function,
        mut event: Value,
        expected: Expected,
    ) -> Response<Body> {
        let id = {
            let sent = self.sent.lock().unwrap();
            format!("{}-{}", self.prefix, sent.len())
        };
        event["requestContext"]["requestId"] = json!(id);
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = match function {
            Function::Token => {
                self.observer
                    .observe(request, |r| gatehouse_token::handle(r, &self.token))
                    .await
            }
            Function::Revoke => {
                self.observer
                    .observe(request, |r| gatehouse_revoke::handle(r, &self.revoke))
                    .await
            }
            Function::Authorize => {
                self.observer
                    .observe(request, |r| gatehouse_authorize::handle(r, &self.authorize))
                    .await
            }
            Function::Api => {
                self.observer
                    .observe(request, |r| gatehouse_api::handle(r, &self.api))
                    .await
            }
        };
        assert_eq!(
            response.status().as_u16(),
            expected.status,
            "{id} {}: {}",
            expected.route,
            String::from_utf8_lossy(response.body().as_ref())
        );
        self.sent.lock().unwrap().push((id, expected));
        response
    }

    async fn token(
        &self,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        address: &str,
        expected: Expected,
    ) -> Value {
        let mut event = TokenEvent::form(pairs).source_ip(address);
        if let Some((id, secret)) = basic {
            event = event.basic(id, secret);
            let credentials = format!("{}:{}", form_encode(id), form_encode(secret));
            self.secret(&STANDARD.encode(credentials));
        }
        let response = self
            .call(Function::Token, event.event().clone(), expected)
            .await;
        body_json(&response)
    }

    async fn token_ok(
        &self,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        grant: &'static str,
        client_id: &'static str,
    ) -> Value {
        let expected = Expected {
            route: "/oauth/token",
            status: 200,
            grant: Some(grant),
            client_id: Some(client_id),
            error: None,
        };
        let body = self
            .token(pairs, basic, &self.fresh_address(), expected)
            .await;
        for field in ["access_token", "refresh_token"] {
            if let Some(value) = body[field].as_str() {
                self.secret(value);
            }
        }
        body
    }

    /// An event for `method path` from the token fixture, with `query`, `body` and `cookie`.
    fn event(
        method: &str,
        path: &str,
        query: &str,
        body: Option<&str>,
        cookie: Option<&str>,
    ) -> Value {
        let mut event = TokenEvent::new().method(method).event().clone();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["routeKey"] = json!(format!("{method} {path}"));
        event["rawQueryString"] = json!(query);
        match body {
            Some(body) => {
                event["body"] = json!(body);
                event["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
            }
            None => event["body"] = Value::Null,
        }
        if let Some(cookie) = cookie {
            event["cookies"] = json!([cookie]);
        }
        event
    }

    /// Signs the demo admin in for the demo webapp and returns the code.
    async fn authorization_code(&self) -> String {
        let challenge = s256_challenge(VERIFIER).unwrap();
        let params = [
            ("response_type", "code"),
            ("client_id", WEBAPP),
            ("redirect_uri", REDIRECT),
            ("scope", "market:code:eu"),
            ("state", "s1"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let expected = |status, error| Expected {
            route: "/oauth/authorize",
            status,
            grant: Some("authorization_code"),
            client_id: Some(WEBAPP),
            error,
        };
        let page = self
            .call(
                Function::Authorize,
                Self::event("GET", "/oauth/authorize", &query(&params), None, None),
                expected(200, None),
            )
            .await;
        let html = String::from_utf8_lossy(page.body().as_ref()).into_owned();
        let start = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
        let csrf = html[start..start + 43].to_owned();
        self.secret(&csrf);
        let cookie = page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut form = params.to_vec();
        form.extend([
            ("csrf", csrf.as_str()),
            ("email", ADMIN.0),
            ("action", "allow"),
        ]);
        let mut wrong = form.clone();
        wrong.push(("password", WRONG_PASSWORD));
        self.call(
            Function::Authorize,
            Self::event(
                "POST",
                "/oauth/authorize",
                "",
                Some(&query(&wrong)),
                Some(&cookie),
            ),
            expected(401, Some("access_denied")),
        )
        .await;
        form.push(("password", ADMIN.1));
        let back = self
            .call(
                Function::Authorize,
                Self::event(
                    "POST",
                    "/oauth/authorize",
                    "",
                    Some(&query(&form)),
                    Some(&cookie),
                ),
                expected(303, None),
            )
            .await;
        let location = back.headers()["location"].to_str().unwrap();
        let (_, query) = location.split_once('?').unwrap();
        let code = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "code")
            .expect("a code")
            .1
            .into_owned();
        self.secret(&code);
        code
    }

    async fn api(&self, path: &str, bearer: &str, status: u16, error: Option<&'static str>) {
        let mut event = Self::event("GET", path, "", None, None);
        event["headers"]["authorization"] = json!(format!("Bearer {bearer}"));
        let expected = Expected {
            route: if path.matches('/').count() > 2 {
                "/api/skus/{id}"
            } else {
                "/api/markets"
            },
            status,
            grant: None,
            client_id: (status == 200).then_some(WEBAPP),
            error,
        };
        self.call(Function::Api, event, expected).await;
    }
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn refused(
    grant: &'static str,
    client_id: Option<&'static str>,
    status: u16,
    error: &'static str,
) -> Expected {
    Expected {
        route: "/oauth/token",
        status,
        grant: Some(grant),
        client_id,
        error: Some(error),
    }
}

/// Runs every grant, rotation, revocation, the code flow, the API and a few refusals.
async fn run_the_flow(flow: &Flow) {
    for secret in [
        INTEGRATION_SECRET,
        WEBAPP_SECRET,
        WRONG_SECRET,
        WRONG_PASSWORD,
        VERIFIER,
    ] {
        flow.secret(secret);
    }
    let cc = [
        ("grant_type", "client_credentials"),
        ("scope", "market:1001"),
    ];
    flow.token_ok(
        &cc,
        Some((INTEGRATION, INTEGRATION_SECRET)),
        "client_credentials",
        "demo-integration",
    )
    .await;
    let address = flow.fresh_address();
    flow.token(
        &cc,
        Some((INTEGRATION, WRONG_SECRET)),
        &address,
        refused(
            "client_credentials",
            Some("demo-integration"),
            401,
            "invalid_client",
        ),
    )
    .await;

    let login = |password| {
        [
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", BOB.0),
            ("password", password),
            ("scope", "market:1001"),
        ]
    };
    let session = flow
        .token_ok(&login(BOB.1), None, "password", STOREFRONT)
        .await;
    let address = flow.fresh_address();
    flow.token(
        &login(WRONG_PASSWORD),
        None,
        &address,
        refused("password", Some(STOREFRONT), 400, "invalid_grant"),
    )
    .await;
    let first = session["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("client_id", STOREFRONT.to_owned()),
            ("refresh_token", token.to_owned()),
        ]
    };
    let pairs = refresh(&first);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rotated = flow
        .token_ok(&pairs, None, "refresh_token", STOREFRONT)
        .await;
    let address = flow.fresh_address();
    flow.token(
        &pairs,
        None,
        &address,
        refused("refresh_token", Some(STOREFRONT), 400, "invalid_grant"),
    )
    .await;
    let revoke = query(&[
        ("client_id", STOREFRONT),
        ("token", rotated["refresh_token"].as_str().unwrap()),
    ]);
    let expected = Expected {
        route: "/oauth/revoke",
        status: 200,
        grant: None,
        client_id: Some(STOREFRONT),
        error: None,
    };
    flow.call(
        Function::Revoke,
        Flow::event("POST", "/oauth/revoke", "", Some(&revoke), None),
        expected,
    )
    .await;

    let code = flow.authorization_code().await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let owned = flow
        .token_ok(
            &exchange,
            Some((WEBAPP, WEBAPP_SECRET)),
            "authorization_code",
            WEBAPP,
        )
        .await;
    let access = owned["access_token"].as_str().unwrap();
    flow.api("/api/markets", access, 200, None).await;
    let forged = format!("{}AAAA", &access[..access.len() - 4]);
    flow.secret(&forged);
    flow.api("/api/skus/sku_tshirt", &forged, 401, Some("invalid_token"))
        .await;

    // One address over its limit.
    let address = flow.fresh_address();
    for attempt in 0..=TOKEN_LIMIT {
        let expected = if attempt < TOKEN_LIMIT {
            Expected {
                route: "/oauth/token",
                status: 200,
                grant: Some("client_credentials"),
                client_id: Some(STOREFRONT),
                error: None,
            }
        } else {
            refused(
                "client_credentials",
                Some(STOREFRONT),
                429,
                "too_many_requests",
            )
        };
        let body = flow
            .token(
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", STOREFRONT),
                    ("scope", "market:1001"),
                ],
                None,
                &address,
                expected,
            )
            .await;
        if let Some(token) = body["access_token"].as_str() {
            flow.secret(token);
        }
    }
}

// ---------------------------------------------------------------- what must not appear ----

/// The SHA-256 digest of `value`, read back from its stored form.
fn sha256(value: &str) -> Vec<u8> {
    let stored = SecretHash::of(value).to_stored();
    let hex = stored.strip_prefix("sha256:").unwrap();
    (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Every form of `value` a log must not hold: itself, its stored hash, the hash's hex and
/// base64 forms, and for a JWT its signature.
fn forbidden_forms(value: &str) -> Vec<String> {
    let stored = SecretHash::of(value).to_stored();
    let digest = sha256(value);
    let mut forms = vec![
        value.to_owned(),
        form_encode(value),
        stored.clone(),
        stored.trim_start_matches("sha256:").to_owned(),
        stored.trim_start_matches("sha256:").to_ascii_uppercase(),
        URL_SAFE_NO_PAD.encode(&digest),
        STANDARD.encode(&digest),
    ];
    if value.matches('.').count() == 2 {
        forms.push(value.rsplit('.').next().unwrap().to_owned());
    }
    forms
}

/// Every secret and password of the seed, and the argon2 hashes the seed's passwords are
/// stored as (whole, and their salt and hash parts).
fn seed_forbidden() -> Vec<String> {
    let seed: Value = serde_json::from_str(DEMO_SEED).unwrap();
    let mut forms = vec![];
    for collection in ["applications", "customers", "users"] {
        for record in seed[collection].as_array().unwrap() {
            for field in ["client_secret", "password"] {
                if let Some(value) = record[field].as_str() {
                    forms.extend(forbidden_forms(value));
                }
            }
        }
    }
    let catalog = demo_catalog();
    let hashes = catalog
        .customers
        .iter()
        .map(|c| c.password_hash.as_stored().to_owned())
        .chain(
            catalog
                .users
                .iter()
                .map(|u| u.password_hash.as_stored().to_owned()),
        );
    for phc in hashes {
        forms.extend(phc.rsplit('$').take(2).map(str::to_owned));
        forms.push(phc);
    }
    forms
}

fn assert_no_secret_in(lines: &[String], forbidden: &[String]) {
    let mut leaks = vec![];
    for line in lines {
        for form in forbidden {
            if line.contains(form.as_str()) {
                let target = serde_json::from_str::<Value>(line)
                    .ok()
                    .and_then(|v| v["target"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                leaks.push(format!(
                    "{form} in [{target}] {}",
                    &line[..line.len().min(400)]
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

// ---------------------------------------------------------------- the checks ----------------

fn assert_one_request_line_each(flow: &Flow, lines: &[Value]) {
    let mut by_id: HashMap<&str, Vec<&Value>> = HashMap::new();
    for line in lines.iter().filter(|l| l["target"] == REQUEST_TARGET) {
        let id = line["request_id"].as_str().expect("a request id");
        if id.starts_with(&flow.prefix) {
            by_id.entry(id).or_default().push(line);
        }
    }
    let sent = flow.sent.lock().unwrap();
    assert_eq!(by_id.len(), sent.len(), "one request line per request");
    for (id, expected) in sent.iter() {
        let found = &by_id[id.as_str()];
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        let line = found[0];
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["route"], expected.route, "{line}");
        assert_eq!(line["status"], expected.status, "{line}");
        assert_eq!(line["grant"].as_str(), expected.grant, "{line}");
        assert_eq!(line["client_id"].as_str(), expected.client_id, "{line}");
        assert_eq!(line["error"].as_str(), expected.error, "{line}");
        for field in [
            "timestamp",
            "method",
            "latency_ms",
            "storage_requests",
            "storage_ms",
        ] {
            assert!(!line[field].is_null(), "{field} missing: {line}");
        }
        if flow.on_dynamodb && expected.route == "/oauth/token" {
            assert!(line["storage_requests"].as_u64() >= Some(1), "{line}");
        }
    }
}

/// The EMF document of each request: namespace, timestamp, and every directive's dimensions
/// and metrics at the root.
fn assert_metrics_of_each_request(flow: &Flow) {
    let documents: Vec<Value> = flow
        .metrics
        .lock()
        .unwrap()
        .iter()
        .map(|line| serde_json::from_str(line).expect("an EMF line is JSON"))
        .collect();
    let sent = flow.sent.lock().unwrap();
    assert_eq!(documents.len(), sent.len());
    let mut issued = vec![];
    let mut refusals = vec![];
    let mut limited = vec![];
    for document in &documents {
        assert!(
            document["_aws"]["Timestamp"].as_u64().is_some(),
            "{document}"
        );
        for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Namespace"], "Gatehouse");
            for dimension in directive["Dimensions"][0].as_array().unwrap() {
                assert!(
                    document[dimension.as_str().unwrap()].is_string(),
                    "{document}"
                );
            }
            for metric in directive["Metrics"].as_array().unwrap() {
                assert!(
                    document[metric["Name"].as_str().unwrap()].is_number(),
                    "{document}"
                );
            }
        }
        if document["TokensIssued"] == 1 {
            issued.push((
                document["Grant"].clone(),
                document["ApplicationKind"].clone(),
            ));
        }
        if document["Refusals"] == 1 {
            refusals.push(document["Error"].as_str().unwrap().to_owned());
        }
        if document["RateLimited"] == 1 {
            limited.push(document["Limit"].as_str().unwrap().to_owned());
        }
        if flow.on_dynamodb {
            assert!(
                document["StorageLatency"].as_f64() > Some(0.0) || document["StorageRequests"] == 0
            );
        }
    }
    assert!(
        issued.contains(&(json!("client_credentials"), json!("integration"))),
        "{issued:?}"
    );
    assert!(
        issued.contains(&(json!("password"), json!("sales_channel"))),
        "{issued:?}"
    );
    assert!(
        issued.contains(&(json!("authorization_code"), json!("webapp"))),
        "{issued:?}"
    );
    assert_eq!(issued.len(), 4 + TOKEN_LIMIT as usize);
    refusals.sort();
    assert_eq!(
        refusals,
        [
            "access_denied",
            "invalid_client",
            "invalid_grant",
            "invalid_grant",
            "invalid_token",
            "too_many_requests"
        ]
    );
    assert_eq!(limited, ["token_requests"]);
}

async fn a_full_flow_logs_no_secret_token_or_hash_and_one_request_line_each(
    store: Arc<dyn Store>,
    on_dynamodb: bool,
) {
    let flow = Flow::on(store, on_dynamodb);
    run_the_flow(&flow).await;
    let lines = captured_lines();
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    for line in &parsed {
        assert!(line["timestamp"].is_string(), "no timestamp: {line}");
    }
    let mut forbidden = seed_forbidden();
    for secret in flow.secrets.lock().unwrap().iter() {
        forbidden.extend(forbidden_forms(secret));
    }
    assert_no_secret_in(&lines, &forbidden);
    assert_no_secret_in(&flow.metrics.lock().unwrap(), &forbidden);
    assert_one_request_line_each(&flow, &parsed);
    assert_metrics_of_each_request(&flow);
    if on_dynamodb {
        // The SDK did log (at debug), so the search above covered its lines.
        assert!(
            parsed.iter().any(|l| l["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("aws_smithy_runtime"))),
            "no SDK line was captured"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_flow_on_the_embedded_store_logs_no_secret_and_one_request_line_each() {
    let store = Arc::new(MemoryStore::from_catalog(&demo_catalog()));
    a_full_flow_logs_no_secret_token_or_hash_and_one_request_line_each(store, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_full_flow_on_dynamodb_logs_no_secret_and_one_request_line_each() {
    let store = Arc::new(demo_dynamo_store().await);
    a_full_flow_logs_no_secret_token_or_hash_and_one_request_line_each(store, true).await;
}
