//! The one wrapper around every handler: times the request and its storage use, writes the
//! request line, and emits its metrics.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use super::facts::RequestFacts;
use super::metrics::{emf_document, MetricsOutput};
use super::record::RequestRecord;
use gatehouse_core::clock::{Clock, SystemClock};
use gatehouse_store::timing::measure;

/// The path with everything past its first two segments replaced by `{id}`
/// (`/api/skus/sku_1` is `/api/skus/{id}`), and characters outside a conservative set
/// replaced: record ids never reach the logs or a metric dimension, and an odd path cannot
/// forge a log line.
pub fn route_of(path: &str) -> String {
    let mut route = String::new();
    for (i, segment) in path.split('/').skip(1).enumerate() {
        route.push('/');
        if i >= 2 && !segment.is_empty() {
            route.push_str("{id}");
        } else {
            route.extend(segment.chars().take(48).map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            }));
        }
    }
    if route.is_empty() {
        route.push('/');
    }
    route
}

/// The Lambda request id, else API Gateway's (which `gatehouse serve` generates for each
/// request), else `-`.
pub fn request_id_of(request: &Request) -> String {
    if let Some(context) = request.lambda_context_ref() {
        if !context.request_id.is_empty() {
            return context.request_id.clone();
        }
    }
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "-".to_owned())
}

/// Where EMF lines go: standard output, where CloudWatch Logs picks them up.
pub type MetricsSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Wraps each handler: see [`Observer::observe`]. Cheap to clone.
#[derive(Clone)]
pub struct Observer {
    metrics: MetricsOutput,
    /// The `Function` metric dimension.
    function: Arc<str>,
    clock: Arc<dyn Clock>,
    sink: MetricsSink,
}

impl Observer {
    /// Request lines and, when `metrics` says so, EMF lines on standard output.
    pub fn new(metrics: MetricsOutput, function: &str) -> Self {
        let stdout = |line: &str| {
            // One write of the whole line, so that concurrent requests never interleave.
            let _ = std::io::stdout()
                .lock()
                .write_all(format!("{line}\n").as_bytes());
        };
        Self::with_sink(metrics, function, Arc::new(SystemClock), Arc::new(stdout))
    }

    /// EMF lines to `sink`, timestamped by `clock`: for tests.
    pub fn with_sink(
        metrics: MetricsOutput,
        function: &str,
        clock: Arc<dyn Clock>,
        sink: MetricsSink,
    ) -> Self {
        Self {
            metrics,
            function: function.into(),
            clock,
            sink,
        }
    }

    /// Runs `handler` on `request`, then writes its request line and metrics.
    pub async fn observe<F, Fut>(&self, request: Request, handler: F) -> Response<Body>
    where
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Response<Body>>,
    {
        let started = Instant::now();
        let request_id = request_id_of(&request);
        let method = request.method().clone();
        let route = route_of(request.uri().path());
        let (response, storage) = measure(handler(request)).await;
        let record = RequestRecord {
            request_id,
            method,
            route,
            status: response.status().as_u16(),
            latency: started.elapsed(),
            facts: response
                .extensions()
                .get::<RequestFacts>()
                .cloned()
                .unwrap_or_default(),
            storage,
        };
        record.log();
        if self.metrics == MetricsOutput::Emf {
            let document = emf_document(&record, &self.function, self.clock.now());
            (self.sink)(&document.to_string());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_keep_two_segments_and_hide_ids() {
        let cases = [
            ("/oauth/token", "/oauth/token"),
            ("/.well-known/jwks.json", "/.well-known/jwks.json"),
            ("/api/skus", "/api/skus"),
            ("/api/skus/sku_123", "/api/skus/{id}"),
            ("/api/markets/m1/", "/api/markets/{id}/"),
            ("/", "/"),
            ("", "/"),
            ("/a b/\"x\n", "/a_b/_x_"),
        ];
        for (path, route) in cases {
            assert_eq!(route_of(path), route, "{path:?}");
        }
    }
}
