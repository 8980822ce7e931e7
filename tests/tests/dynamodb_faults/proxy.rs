//! A failing HTTP proxy in front of moto: the store under test talks to DynamoDB through it,
//! with the very client production builds (`dynamo::client`, its timeouts and retries), and the
//! test chooses which requests fail and how. A fault either keeps the request from DynamoDB
//! (throttling, a 500, a cancelled transaction, a request that never reaches it) or lets
//! DynamoDB apply it and loses the answer (it comes after the SDK's attempt timeout): the two
//! cases a client cannot tell apart, and that retries must get right.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;

/// Longer than the SDK's attempt timeout (2 s, `dynamo::client`).
const TOO_LATE: Duration = Duration::from_millis(2_500);

#[derive(Clone, Debug)]
pub enum Fault {
    /// DynamoDB refuses the request without applying it.
    Refuse { status: u16, body: String },
    /// DynamoDB applies the request; its answer arrives after the SDK gave up on the attempt.
    AnswerTooLate,
    /// The request never reaches DynamoDB, and no answer comes in time.
    NoAnswer,
}

fn dynamodb_error(status: u16, kind: &str, message: &str) -> Fault {
    Fault::Refuse {
        status,
        body: json!({
            "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"),
            "message": message,
        })
        .to_string(),
    }
}

impl Fault {
    pub fn provisioned_throughput_exceeded() -> Self {
        dynamodb_error(
            400,
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
        )
    }

    pub fn throttling() -> Self {
        dynamodb_error(
            400,
            "ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
        )
    }

    pub fn internal_server_error() -> Self {
        dynamodb_error(500, "InternalServerError", "Internal server error")
    }

    /// A transaction cancelled for the reason codes given, one per item in order (`None` for
    /// an item that had nothing wrong), as DynamoDB reports them.
    pub fn transaction_cancelled(reasons: &[&str]) -> Self {
        let listed: Vec<&str> = reasons.to_vec();
        let body = json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                listed.join(", ")
            ),
            "CancellationReasons": reasons
                .iter()
                .map(|code| match *code {
                    "None" => json!({"Code": "None"}),
                    code => json!({"Code": code, "Message": format!("{code} on this item")}),
                })
                .collect::<Vec<_>>(),
        });
        Fault::Refuse {
            status: 400,
            body: body.to_string(),
        }
    }
}

/// Which requests a fault hits: those of `operation` (an `X-Amz-Target` action such as
/// `TransactWriteItems`, or `*`), after letting `skip` of them through, `times` of them.
#[derive(Clone, Debug)]
struct Rule {
    operation: &'static str,
    skip: usize,
    times: usize,
    fault: Fault,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// The operation of every request that reached the proxy, in order.
    seen: Vec<String>,
}

#[derive(Clone)]
pub struct FaultProxy {
    pub address: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Starts a proxy to the DynamoDB API at `upstream` (`http://host:port`) on a free port.
    pub async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Self {
            address: listener.local_addr().unwrap(),
            state: Default::default(),
        };
        let upstream: Arc<str> = upstream.trim_end_matches('/').into();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Full<Bytes>>();
        let state = Arc::clone(&proxy.state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (state, upstream, client) =
                    (Arc::clone(&state), Arc::clone(&upstream), client.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        forward(
                            request,
                            Arc::clone(&state),
                            Arc::clone(&upstream),
                            client.clone(),
                        )
                    });
                    // The SDK drops a connection whose answer is late: that ends it here.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        proxy
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// From now on, the `times` requests of `operation` after the next `skip` get `fault`.
    pub fn fail(&self, operation: &'static str, skip: usize, times: usize, fault: Fault) {
        self.state.lock().unwrap().rules.push(Rule {
            operation,
            skip,
            times,
            fault,
        });
    }

    /// Every request of `operation` fails with `fault` until [`FaultProxy::heal`].
    pub fn fail_always(&self, operation: &'static str, fault: Fault) {
        self.fail(operation, 0, usize::MAX, fault);
    }

    /// No more faults.
    pub fn heal(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// The operations of the requests seen since the last call, in order, retries included.
    pub fn take_seen(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().unwrap().seen)
    }
}

/// The fault for a request of `operation`, counting it against the first rule that matches.
fn fault_for(state: &Mutex<State>, operation: &str) -> Option<Fault> {
    let mut state = state.lock().unwrap();
    state.seen.push(operation.to_owned());
    let rule = state
        .rules
        .iter_mut()
        .find(|rule| (rule.operation == "*" || rule.operation == operation) && rule.times > 0)?;
    if rule.skip > 0 {
        rule.skip -= 1;
        return None;
    }
    rule.times -= 1;
    Some(rule.fault.clone())
}

type Client = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

async fn forward(
    request: hyper::Request<Incoming>,
    state: Arc<Mutex<State>>,
    upstream: Arc<str>,
    client: Client,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("?")
        .to_owned();
    let fault = fault_for(&state, &operation);
    if let Some(Fault::Refuse { status, body }) = fault {
        return Ok(hyper::Response::builder()
            .status(status)
            .header("content-type", "application/x-amz-json-1.0")
            .body(Full::new(Bytes::from(body)))
            .unwrap());
    }
    if let Some(Fault::NoAnswer) = fault {
        tokio::time::sleep(TOO_LATE).await;
        return Ok(hyper::Response::builder()
            .status(500)
            .body(Full::new(Bytes::new()))
            .unwrap());
    }
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut onward = hyper::Request::builder()
        .method(parts.method)
        .uri(format!("{upstream}{}", parts.uri.path()));
    for (name, value) in &parts.headers {
        onward = onward.header(name, value);
    }
    let answer = client
        .request(onward.body(Full::new(body)).unwrap())
        .await
        .expect("moto answers");
    let (parts, body) = answer.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some(Fault::AnswerTooLate) = fault {
        tokio::time::sleep(TOO_LATE).await;
    }
    Ok(hyper::Response::from_parts(parts, Full::new(body)))
}
