//! A small HTTP/1.1 server that turns each request into the Lambda request API Gateway would
//! send (HTTP API, payload v2, with the peer address as `requestContext.http.sourceIp` and a
//! new `requestContext.requestId`) and hands it to the router, observed as a Lambda function
//! observes its requests (one request line each, and metrics when asked).
//!
//! Slow and idle clients are timed out, the connections held at once are capped, in all and
//! per client address, and a failing `accept` backs off (see [`crate::connection_limits`] and
//! [`crate::accept`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use gatehouse_core::secret::random_token;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::observe::metrics::MetricsOutput;
use gatehouse_edge::observe::Observer;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::accept::{self, Backoff};
use crate::connection_limits::{AddressSlots, ConnectionLimits};
use crate::router::{route, Functions};

/// Bodies beyond this are refused before they are read whole; the token function's own,
/// smaller limit then answers in the documented format.
const MAX_READ_BYTES: usize = 64 * 1024;

/// Where the client address (which the token endpoint's rate limit counts by) comes from.
#[derive(Clone, Debug, Default)]
pub enum ClientAddress {
    /// The TCP peer: the only safe choice where clients connect directly.
    #[default]
    Peer,
    /// An IP address in this request header, else the peer. For benchmarks (one load
    /// generator standing for many clients) and behind a proxy that sets the header: anyone
    /// who can reach the server directly can choose their address with it.
    Header(hyper::header::HeaderName),
}

impl ClientAddress {
    fn of(&self, headers: &hyper::HeaderMap, peer: SocketAddr) -> std::net::IpAddr {
        match self {
            ClientAddress::Peer => peer.ip(),
            ClientAddress::Header(name) => headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(peer.ip()),
        }
    }
}

/// The body, whole, within `timeout`, or why it could not be read whole. A body known to be
/// empty starts no timer.
async fn read_body(body: Incoming, timeout: Duration) -> Result<Bytes, ApiError> {
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    // The timer is registered only if the body is not already there at the first poll.
    match tokio::time::timeout(timeout, Limited::new(body, MAX_READ_BYTES).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        // Longer than MAX_READ_BYTES, or the connection ended before its Content-Length.
        Ok(Err(_)) => Err(ApiError::invalid_request(
            "the request body is too large or was cut short",
        )),
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            "the request body did not arrive in time",
        )),
    }
}

/// A request id unique in this process and, by its random prefix, across processes: as API
/// Gateway gives each request one. A counter, not 12 random bytes per request: the id needs
/// to be unique, not unguessable.
fn next_request_id() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| random_token(6));
    format!("{prefix}{:08x}", COUNT.fetch_add(1, Ordering::Relaxed))
}

async fn serve_one(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    client_address: ClientAddress,
    body_read_timeout: Duration,
    functions: Arc<Functions>,
    observer: Observer,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let client_ip = client_address.of(&parts.headers, peer);
    let read = read_body(body, body_read_timeout).await;
    let body = match &read {
        Ok(bytes) if !bytes.is_empty() => Body::Binary(bytes.to_vec()),
        _ => Body::Empty,
    };
    let unread_body = read.is_err();
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(parts.uri.path().to_owned());
    http.protocol = Some("HTTP/1.1".to_owned());
    http.source_ip = Some(client_ip.to_string());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = http;
    context.request_id = Some(next_request_id());
    let request = lambda_http::Request::from_parts(parts, body)
        .with_request_context(RequestContext::ApiGatewayV2(context));
    let response = observer
        .observe(request, |request| async move {
            match read {
                Ok(_) => route(request, &functions).await,
                Err(refusal) => refusal.into_response(),
            }
        })
        .await;
    let (mut parts, body) = response.into_parts();
    if unread_body {
        // What is left of the body cannot be told from the next request: end the connection
        // after this answer (RFC 9112 §9.6: "A server that sends a "close" connection option
        // MUST initiate closure of the connection ... after it sends the response").
        parts.headers.insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    let bytes = match body {
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    Ok(hyper::Response::from_parts(parts, Full::new(bytes)))
}

/// Serves until the task is dropped, with request lines, no metrics and the default limits.
pub async fn run(listener: TcpListener, functions: Arc<Functions>) {
    run_with_limits(listener, functions, ConnectionLimits::default()).await
}

/// Serves until the task is dropped, with request lines, no metrics and these limits.
pub async fn run_with_limits(
    listener: TcpListener,
    functions: Arc<Functions>,
    limits: ConnectionLimits,
) {
    run_observed(
        listener,
        functions,
        Observer::new(MetricsOutput::Off, "gatehouse-serve"),
        ClientAddress::Peer,
        limits,
    )
    .await
}

/// Serves until the task is dropped, each request observed by `observer`.
pub async fn run_observed(
    listener: TcpListener,
    functions: Arc<Functions>,
    observer: Observer,
    client_address: ClientAddress,
    limits: ConnectionLimits,
) {
    let mut http = http1::Builder::new();
    // hyper starts this timer whenever the connection waits for a request head, on accept and
    // after each response: it bounds both slow headers and idle keep-alive connections.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let http = Arc::new(http);
    let open_connections = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = AddressSlots::new(limits.max_connections_per_address);
    let mut backoff = Backoff::default();
    loop {
        // At the cap, stop accepting: new connections wait in the listen backlog, and the
        // process keeps descriptors to spare instead of failing `accept` with EMFILE.
        let Ok(slot) = Arc::clone(&open_connections).acquire_owned().await else {
            return; // never closed
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => {
                if let Some(failures) = backoff.on_success() {
                    tracing::warn!(failures, "accepting connections again");
                }
                accepted
            }
            Err(error) => {
                let decision = backoff.on_failure(accept::classify(&error));
                match decision.warn_for {
                    Some(failures) => tracing::warn!(
                        %error,
                        failures,
                        pause_ms = decision.pause.as_millis() as u64,
                        "accept failed; backing off (one warning per minute while it lasts)"
                    ),
                    None if decision.pause.is_zero() => {
                        tracing::debug!(%error, "accept failed for one connection")
                    }
                    None => {}
                }
                if !decision.pause.is_zero() {
                    tokio::time::sleep(decision.pause).await;
                }
                continue;
            }
        };
        // One address holding its share is refused more: the connection is closed at once,
        // and its place (and descriptor) is free for another address.
        let Some(address_slot) = per_address.take(peer.ip()) else {
            tracing::debug!(
                peer = %peer.ip(),
                "connection closed: its address holds as many connections as it may"
            );
            drop(stream);
            continue;
        };
        let functions = Arc::clone(&functions);
        let observer = observer.clone();
        let client_address = client_address.clone();
        let http = Arc::clone(&http);
        let body_read_timeout = limits.body_read;
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                serve_one(
                    request,
                    peer,
                    client_address.clone(),
                    body_read_timeout,
                    Arc::clone(&functions),
                    observer.clone(),
                )
            });
            if let Err(error) = http.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop((slot, address_slot));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_share_the_process_prefix_and_never_repeat() {
        let ids: Vec<String> = (0..1000).map(|_| next_request_id()).collect();
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        assert!(ids
            .iter()
            .all(|id| id.len() >= 16 && id[..8] == ids[0][..8]));
    }

    #[test]
    fn the_client_address_comes_from_the_header_only_when_asked_and_valid() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut headers = hyper::HeaderMap::new();
        headers.insert("x-bench-client-ip", "127.3.4.5".parse().unwrap());
        let header = ClientAddress::Header("x-bench-client-ip".parse().unwrap());
        assert_eq!(
            ClientAddress::Peer.of(&headers, peer).to_string(),
            "127.0.0.1"
        );
        assert_eq!(header.of(&headers, peer).to_string(), "127.3.4.5");
        for bad in ["not-an-address", "127.0.0.1, 10.0.0.1", ""] {
            headers.insert("x-bench-client-ip", bad.parse().unwrap());
            assert_eq!(header.of(&headers, peer).to_string(), "127.0.0.1", "{bad}");
        }
        let v6 = ClientAddress::Header("x-bench-client-ip".parse().unwrap());
        headers.insert("x-bench-client-ip", "2001:db8::7".parse().unwrap());
        assert_eq!(v6.of(&headers, peer).to_string(), "2001:db8::7");
    }
}
