//! A small HTTP/1.1 server that turns each request into the Lambda request API Gateway would
//! send (HTTP API, payload v2, with the peer address as `requestContext.http.sourceIp` and a
//! new `requestContext.requestId`) and hands it to the router, observed as a Lambda function
//! observes its requests (one request line each, and metrics when asked).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use gatehouse_shared::error::ApiError;
use gatehouse_shared::observe::metrics::MetricsOutput;
use gatehouse_shared::observe::Observer;
use gatehouse_shared::secret::random_token;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use tokio::net::TcpListener;

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

async fn serve_one(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    client_address: ClientAddress,
    functions: Arc<Functions>,
    observer: Observer,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let client_ip = client_address.of(&parts.headers, peer);
    let read = Limited::new(body, MAX_READ_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes());
    let body = match &read {
        Ok(bytes) if !bytes.is_empty() => Body::Binary(bytes.to_vec()),
        _ => Body::Empty,
    };
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(parts.uri.path().to_owned());
    http.protocol = Some("HTTP/1.1".to_owned());
    http.source_ip = Some(client_ip.to_string());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = http;
    context.request_id = Some(random_token(12));
    let request = lambda_http::Request::from_parts(parts, body)
        .with_request_context(RequestContext::ApiGatewayV2(context));
    let response = observer
        .observe(request, |request| async move {
            match read {
                Ok(_) => route(request, &functions).await,
                Err(_) => {
                    ApiError::invalid_request("the request body is too large or was cut short")
                        .into_response()
                }
            }
        })
        .await;
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    Ok(hyper::Response::from_parts(parts, Full::new(bytes)))
}

/// Serves until the task is dropped, with request lines and no metrics.
pub async fn run(listener: TcpListener, functions: Arc<Functions>) {
    run_observed(
        listener,
        functions,
        Observer::new(MetricsOutput::Off, "gatehouse-serve"),
        ClientAddress::Peer,
    )
    .await
}

/// Serves until the task is dropped, each request observed by `observer`.
pub async fn run_observed(
    listener: TcpListener,
    functions: Arc<Functions>,
    observer: Observer,
    client_address: ClientAddress,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        let functions = Arc::clone(&functions);
        let observer = observer.clone();
        let client_address = client_address.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                serve_one(
                    request,
                    peer,
                    client_address.clone(),
                    Arc::clone(&functions),
                    observer.clone(),
                )
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
