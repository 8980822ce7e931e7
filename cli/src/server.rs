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

async fn serve_one(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    functions: Arc<Functions>,
    observer: Observer,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
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
    http.source_ip = Some(peer.ip().to_string());
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
    )
    .await
}

/// Serves until the task is dropped, each request observed by `observer`.
pub async fn run_observed(listener: TcpListener, functions: Arc<Functions>, observer: Observer) {
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
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                serve_one(request, peer, Arc::clone(&functions), observer.clone())
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
