//! CloudWatch metrics in the embedded metric format (EMF): one JSON document per request on
//! standard output, which CloudWatch Logs turns into metrics with no API call and no agent.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>
//!
//! Metrics, namespace `Gatehouse`:
//! - `TokensIssued` (Count) by `Grant`, `ApplicationKind`: token responses sent.
//! - `Refusals` (Count) by `Error`: 4xx and 5xx answers, by error code.
//! - `RateLimited` (Count) by `Limit`: requests refused by a rate limit.
//! - `StorageLatency` (Milliseconds) and `StorageRequests` (Count) by `Function`: the time one
//!   request spent in DynamoDB attempts, and how many it made.
//!
//! Dimension values are bounded sets (grants, kinds, error codes, limits, function names):
//! never a client id or a route, which anyone can vary and CloudWatch bills per combination.

use serde_json::{json, Map, Value};

use super::request_log::{millis, RequestRecord};
use crate::clock::UnixMillis;
use crate::config::ConfigError;

pub const NAMESPACE: &str = "Gatehouse";
/// The variable that turns EMF lines on or off.
pub const METRICS_VAR: &str = "GATEHOUSE_METRICS";

/// Whether metrics are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsOutput {
    Off,
    Emf,
}

impl MetricsOutput {
    /// `GATEHOUSE_METRICS`: `emf` or `off`; unset, `default`.
    pub fn from_lookup(
        env: &dyn Fn(&str) -> Option<String>,
        default: MetricsOutput,
    ) -> Result<Self, ConfigError> {
        match env(METRICS_VAR).as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("emf") => Ok(MetricsOutput::Emf),
            Some(value) if value.eq_ignore_ascii_case("off") => Ok(MetricsOutput::Off),
            Some(value) => Err(ConfigError::Invalid {
                name: METRICS_VAR,
                reason: format!("'{}' is neither emf nor off", value.escape_debug()),
            }),
        }
    }
}

/// One metric directive: `metrics` (name, unit) by `dimensions`.
fn directive(dimensions: &[&str], metrics: &[(&str, &str)]) -> Value {
    json!({
        "Namespace": NAMESPACE,
        "Dimensions": [dimensions],
        "Metrics": metrics
            .iter()
            .map(|(name, unit)| json!({"Name": name, "Unit": unit}))
            .collect::<Vec<_>>(),
    })
}

/// The EMF document of one request, at `now`. Each metric family the request touched gets its
/// directive; the values and dimensions sit at the root, beside the request id, so that Logs
/// Insights can find the request behind a data point.
pub fn emf_document(record: &RequestRecord, function: &str, now: UnixMillis) -> Value {
    let mut root = Map::new();
    let mut directives = vec![directive(
        &["Function"],
        &[
            ("StorageLatency", "Milliseconds"),
            ("StorageRequests", "Count"),
        ],
    )];
    root.insert("Function".into(), json!(function));
    root.insert(
        "StorageLatency".into(),
        json!(millis(record.storage.latency)),
    );
    root.insert("StorageRequests".into(), json!(record.storage.requests));
    let facts = &record.facts;
    if let (true, Some(grant), Some(kind)) = (facts.token_issued, facts.grant, facts.kind) {
        directives.push(directive(
            &["Grant", "ApplicationKind"],
            &[("TokensIssued", "Count")],
        ));
        root.insert("Grant".into(), json!(grant.as_str()));
        root.insert("ApplicationKind".into(), json!(kind.as_str()));
        root.insert("TokensIssued".into(), json!(1));
    }
    if let Some(error) = record.error() {
        directives.push(directive(&["Error"], &[("Refusals", "Count")]));
        root.insert("Error".into(), json!(error));
        root.insert("Refusals".into(), json!(1));
    }
    if let Some(limit) = facts.rate_limited {
        directives.push(directive(&["Limit"], &[("RateLimited", "Count")]));
        root.insert("Limit".into(), json!(limit.as_str()));
        root.insert("RateLimited".into(), json!(1));
    }
    root.insert("request_id".into(), json!(record.request_id));
    root.insert("status".into(), json!(record.status));
    root.insert(
        "_aws".into(),
        json!({"Timestamp": now.0, "CloudWatchMetrics": directives}),
    );
    Value::Object(root)
}
