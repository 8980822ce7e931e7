//! CloudWatch metrics in the embedded metric format (EMF): one JSON document per request on
//! standard output, which CloudWatch Logs turns into metrics with no API call and no agent.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>
//!
//! Metrics, namespace `Gatehouse`:
//! - `TokensIssued` (Count) by `Grant`, `ApplicationKind`: token responses sent.
//! - `Refusals` (Count) by `Error`: 4xx and 5xx answers, by error code.
//! - `RateLimited` (Count) by `Limit`: requests refused by a rate limit.
//! - `Faults` (Count) by `Fault`: 5xx answers caused by a fault of ours (storage unavailable or
//!   corrupt, a failed signature), whatever error code the protocol gave them.
//! - `StorageLatency` (Milliseconds) and `StorageRequests` (Count) by `Function`: the time one
//!   request spent in DynamoDB attempts, and how many it made.
//!
//! Dimension values are bounded sets (grants, kinds, error codes, limits, function names):
//! never a client id or a route, which anyone can vary and CloudWatch bills per combination.

use serde_json::{json, Value};

use super::record::{millis, RequestRecord};
use crate::config::ConfigError;
use gatehouse_core::clock::UnixMillis;

pub const NAMESPACE: &str = "Gatehouse";
/// The variable that turns EMF lines on or off.
pub const METRICS_VAR: &str = "GATEHOUSE_METRICS";

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
            Some(value) => Err(ConfigError::invalid(
                METRICS_VAR,
                format!("'{}' is neither emf nor off", value.escape_debug()),
            )),
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
    let mut directives = vec![directive(
        &["Function"],
        &[
            ("StorageLatency", "Milliseconds"),
            ("StorageRequests", "Count"),
        ],
    )];
    let mut root = json!({
        "Function": function,
        "StorageLatency": millis(record.storage.latency),
        "StorageRequests": record.storage.requests,
        "request_id": record.request_id,
        "route": record.route,
        "status": record.status,
    });
    let facts = &record.facts;
    if let (true, Some(grant), Some(kind)) = (facts.token_issued, facts.grant, facts.kind) {
        directives.push(directive(
            &["Grant", "ApplicationKind"],
            &[("TokensIssued", "Count")],
        ));
        root["Grant"] = json!(grant.as_str());
        root["ApplicationKind"] = json!(kind.as_str());
        root["TokensIssued"] = json!(1);
    }
    if let Some(error) = record.error() {
        directives.push(directive(&["Error"], &[("Refusals", "Count")]));
        root["Error"] = json!(error);
        root["Refusals"] = json!(1);
    }
    if let Some(limit) = facts.rate_limited {
        directives.push(directive(&["Limit"], &[("RateLimited", "Count")]));
        root["Limit"] = json!(limit.as_str());
        root["RateLimited"] = json!(1);
    }
    if let Some(fault) = facts.fault {
        directives.push(directive(&["Fault"], &[("Faults", "Count")]));
        root["Fault"] = json!(fault.as_str());
        root["Faults"] = json!(1);
    }
    root["_aws"] = json!({"Timestamp": now.0, "CloudWatchMetrics": directives});
    root
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::observe::facts::{Fault, Limit, RequestFacts};
    use gatehouse_core::grant::GrantType;
    use gatehouse_core::model::ApplicationKind;
    use gatehouse_store::timing::StorageUse;

    fn record(status: u16, facts: RequestFacts) -> RequestRecord {
        RequestRecord {
            request_id: "req-1".into(),
            method: http::Method::POST,
            route: "/oauth/token".into(),
            status,
            latency: Duration::from_millis(12),
            facts,
            storage: StorageUse {
                requests: 2,
                latency: Duration::from_micros(7_500),
                rounds: 1,
            },
        }
    }

    /// The directives' (dimensions, metric names), in order.
    fn directives(document: &Value) -> Vec<(Vec<String>, Vec<String>)> {
        let strings = |value: &Value, key: Option<&str>| -> Vec<String> {
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|v| key.map_or(v, |k| &v[k]).as_str().unwrap().to_owned())
                .collect()
        };
        document["_aws"]["CloudWatchMetrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                assert_eq!(d["Namespace"], NAMESPACE);
                (
                    strings(&d["Dimensions"][0], None),
                    strings(&d["Metrics"], Some("Name")),
                )
            })
            .collect()
    }

    #[test]
    fn an_issued_token_is_counted_by_grant_and_kind_with_its_storage_use() {
        let facts = RequestFacts {
            grant: Some(GrantType::Password),
            client_id: Some("demo-storefront".into()),
            kind: Some(ApplicationKind::SalesChannel),
            token_issued: true,
            ..RequestFacts::default()
        };
        let text = emf_document(
            &record(200, facts),
            "token-fn",
            UnixMillis(1_700_000_000_123),
        )
        .to_string();
        let document: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(document["_aws"]["Timestamp"], 1_700_000_000_123u64);
        assert_eq!(
            directives(&document),
            [
                (
                    vec!["Function".to_owned()],
                    vec!["StorageLatency".to_owned(), "StorageRequests".to_owned()]
                ),
                (
                    vec!["Grant".to_owned(), "ApplicationKind".to_owned()],
                    vec!["TokensIssued".to_owned()]
                ),
            ]
        );
        assert_eq!(document["Function"], "token-fn");
        assert_eq!(document["StorageLatency"], 7.5);
        assert_eq!(document["StorageRequests"], 2);
        assert_eq!(document["Grant"], "password");
        assert_eq!(document["ApplicationKind"], "sales_channel");
        assert_eq!(document["TokensIssued"], 1);
        // The client id is no dimension and no property: anyone can vary it.
        assert!(!text.contains("demo-storefront"), "{text}");
    }

    #[test]
    fn a_rate_limited_refusal_is_counted_by_error_and_limit() {
        let facts = RequestFacts {
            error: Some("too_many_requests".into()),
            rate_limited: Some(Limit::TokenRequests),
            ..RequestFacts::default()
        };
        let document = emf_document(&record(429, facts), "token-fn", UnixMillis(1));
        let names: Vec<_> = directives(&document).into_iter().map(|(d, _)| d).collect();
        assert_eq!(names, [vec!["Function"], vec!["Error"], vec!["Limit"]]);
        assert_eq!(document["Error"], "too_many_requests");
        assert_eq!(document["Refusals"], 1);
        assert_eq!(document["Limit"], "token_requests");
        assert_eq!(document["RateLimited"], 1);
        assert!(document.get("TokensIssued").is_none());
    }

    #[test]
    fn a_fault_is_counted_by_its_kind_beside_the_refusal() {
        let facts = RequestFacts {
            error: Some("temporarily_unavailable".into()),
            fault: Some(Fault::StorageUnavailable),
            ..RequestFacts::default()
        };
        let document = emf_document(&record(503, facts), "token-fn", UnixMillis(1));
        let names: Vec<_> = directives(&document).into_iter().collect();
        assert_eq!(
            names[2],
            (vec!["Fault".to_owned()], vec!["Faults".to_owned()])
        );
        assert_eq!(document["Fault"], "storage_unavailable");
        assert_eq!(document["Faults"], 1);
        assert_eq!(document["Refusals"], 1);
    }

    #[test]
    fn the_metrics_switch_reads_emf_or_off_and_names_itself_when_wrong() {
        let env = |value: &'static str| move |_: &str| Some(value.to_owned());
        assert_eq!(
            MetricsOutput::from_lookup(&env("EMF"), MetricsOutput::Off).unwrap(),
            MetricsOutput::Emf
        );
        assert_eq!(
            MetricsOutput::from_lookup(&env("off"), MetricsOutput::Emf).unwrap(),
            MetricsOutput::Off
        );
        assert_eq!(
            MetricsOutput::from_lookup(&|_| None, MetricsOutput::Emf).unwrap(),
            MetricsOutput::Emf
        );
        let error = MetricsOutput::from_lookup(&env("statsd"), MetricsOutput::Off).unwrap_err();
        assert_eq!(
            error.to_string(),
            "GATEHOUSE_METRICS is not valid: 'statsd' is neither emf nor off"
        );
    }
}
