//! What is known of one request once it is answered ([`RequestRecord`]): the request line is
//! written from it, and the metrics are computed from it.

use std::time::Duration;

use http::Method;

use super::facts::RequestFacts;
use gatehouse_store::timing::StorageUse;

/// The tracing target of request lines, to filter on (`RUST_LOG=gatehouse::request=info`).
pub const REQUEST_TARGET: &str = "gatehouse::request";

/// Everything known about one request once it is answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub request_id: String,
    pub method: Method,
    pub route: String,
    pub status: u16,
    pub latency: Duration,
    pub facts: RequestFacts,
    pub storage: StorageUse,
}

impl RequestRecord {
    /// The refusal's error code: the one the handler reported, else the status's reason in
    /// snake case (`not_found`), so that every 4xx and 5xx is counted under a bounded name.
    pub fn error(&self) -> Option<String> {
        if self.status < 400 {
            return None;
        }
        Some(self.facts.error.clone().unwrap_or_else(|| {
            http::StatusCode::from_u16(self.status).map_or("error".to_owned(), |status| {
                crate::jsonapi::status_code(status).to_ascii_lowercase()
            })
        }))
    }

    /// The request line: at info, on [`REQUEST_TARGET`].
    pub fn log(&self) {
        let error = self.error();
        tracing::info!(
            target: REQUEST_TARGET,
            request_id = %self.request_id,
            method = %self.method,
            route = %self.route,
            status = self.status,
            latency_ms = millis(self.latency),
            grant = self.facts.grant.map(|g| g.as_str()),
            client_id = self.facts.client_id.as_deref(),
            kind = self.facts.kind.map(|k| k.as_str()),
            error = error.as_deref(),
            rate_limited = self.facts.rate_limited.map(|l| l.as_str()),
            fault = self.facts.fault.map(|f| f.as_str()),
            storage_requests = self.storage.requests,
            storage_rounds = self.storage.rounds,
            storage_ms = millis(self.storage.latency),
            "request"
        );
    }
}

/// Milliseconds with microsecond precision, as logs and metrics show them.
pub fn millis(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_without_a_reported_code_is_named_by_its_status() {
        let mut record = RequestRecord {
            request_id: "r".into(),
            method: Method::GET,
            route: "/x".into(),
            status: 404,
            latency: Duration::ZERO,
            facts: RequestFacts::default(),
            storage: StorageUse::default(),
        };
        assert_eq!(record.error().as_deref(), Some("not_found"));
        record.facts.error = Some("invalid_token".into());
        assert_eq!(record.error().as_deref(), Some("invalid_token"));
        record.status = 200;
        assert_eq!(record.error(), None);
    }
}
