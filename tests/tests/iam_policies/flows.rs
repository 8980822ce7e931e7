//! The paths of every function, run against one DynamoDB table, each function on a client of
//! its own whose requests are recorded: what a function's code sent is what its policy must
//! grant. Paths reached only by a race or a lost answer (a retried transaction, two first
//! requests creating one window) are not run: today they add only `GetItem`, which each function
//! that has them sends on other paths. The functions are built as their `main.rs` builds them, on a `DynamoStore` like
//! theirs; only the clock is a test's. `gatehouse import` (the operator's, not a function's) is
//! recorded too, so that together the flows account for every action the store code can send.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::secret::random_token;
use gatehouse_edge::config::ServiceConfig;
use gatehouse_store::dynamo::DynamoStore;
use gatehouse_store::Import;
use gatehouse_tests::request_log::RequestLog;
use gatehouse_tests::*;
use lambda_http::{Body, Response};
use serde_json::Value;

use crate::{authorize_flows, other_flows, token_flows};

/// The table every flow runs on.
pub struct Fixture {
    pub endpoint: String,
    pub table: String,
}

impl Fixture {
    /// A store on the table whose requests `log` records.
    pub async fn store(&self, log: &RequestLog) -> DynamoStore {
        patient_store(log, &self.endpoint, &self.table).await
    }
}

/// A store on `table` whose requests `log` records, on a client that waits longer than the
/// functions' (2 s an attempt, 5 s in all): the moto these flows run on is shared by every test
/// running at once and is sometimes that slow, and a write that timed out would answer 503
/// and take its flow off the path it tests. How long a request may take changes nothing of
/// what it sends.
async fn patient_store(log: &RequestLog, endpoint: &str, table: &str) -> DynamoStore {
    let client = log.client(endpoint).await;
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build();
    let config = client
        .config()
        .to_builder()
        .timeout_config(timeouts)
        .build();
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table)
}

/// A clock `offset` after [`test_start`]. Flows that must not share a sliding window (a
/// lockout, a rate limit) each take their own hour.
pub fn clock_at(offset: Duration) -> Arc<ManualClock> {
    let clock = manual_clock();
    clock.advance(offset);
    clock
}

pub const HOUR: Duration = Duration::from_secs(3600);

/// The functions' settings in these flows: `per_address` as the per-address limit, and an
/// address held off an account after 3 failed sign-ins (the template allows any limit from 1),
/// so that reaching the hold costs few password checks.
pub fn settings(per_address: RateLimitPolicy) -> ServiceConfig {
    ServiceConfig {
        sign_in: gatehouse_core::sign_in::SignInPolicy::new((3, 900), (50, 3600)).unwrap(),
        ..config(per_address)
    }
}

/// A response's status, its body as JSON (or as text) for the messages, and whether it says
/// when to come back (`Retry-After`: a lockout or a rate limit).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: bool,
}

impl Answer {
    pub fn of(response: &Response<Body>) -> Self {
        let bytes = response.body().as_ref();
        Self {
            status: response.status().as_u16(),
            body: serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
            retry_after: response.headers().contains_key("retry-after"),
        }
    }

    /// Asserts the status a flow must reach: a flow that went elsewhere would leave its path
    /// unrecorded, and the check would pass without it.
    pub fn expect(self, status: u16, flow: &str) -> Self {
        assert_eq!(self.status, status, "{flow}: {}", self.body);
        self
    }
}

/// The actions recorded for each function (by its binary's name), and for `gatehouse import`.
pub struct Recorded {
    pub functions: BTreeMap<&'static str, BTreeSet<String>>,
    pub import: BTreeSet<String>,
}

/// Runs every flow and returns what each function sent.
pub async fn record_every_flow() -> Recorded {
    let endpoint = dynamodb_endpoint();
    let table = format!("gatehouse-iam-{}", random_token(9).replace(['-', '_'], "x"));
    let import = RequestLog::default();
    let operator = patient_store(&import, &endpoint, &table).await;
    assert!(operator.ensure_table().await.expect("table created"));
    // What `gatehouse import` (and every admin command) asks first: is this Gatehouse's table?
    assert_eq!(
        operator.table_fit().await.expect("table described"),
        gatehouse_store::dynamo::TableFit::Fits
    );
    operator
        .import(&demo_catalog())
        .await
        .expect("demo catalog imported");
    let fixture = Fixture { endpoint, table };

    let logs: BTreeMap<&'static str, RequestLog> =
        ["token", "authorize", "revoke", "api", "admin", "wellknown"]
            .into_iter()
            .map(|name| (name, RequestLog::default()))
            .collect();
    let code = authorize_flows::run(&fixture, &logs["authorize"]).await;
    token_flows::run(&fixture, &logs["token"], code).await;
    other_flows::revoke_flows(&fixture, &logs["revoke"], &logs["token"]).await;
    other_flows::api_flows(&fixture, &logs["api"], &logs["token"]).await;
    other_flows::admin_flows(&fixture, &logs["admin"]).await;
    // No client is ever given `logs["wellknown"]`: the function has no store.
    other_flows::wellknown_flows().await;
    Recorded {
        functions: logs
            .iter()
            .map(|(name, log)| (*name, log.iam_actions()))
            .collect(),
        import: import.iam_actions(),
    }
}
