//! The logs and metrics of a full flow, on both stores: every line captured at trace, in
//! JSON, through the subscriber production installs (the wire clamp included), then searched
//! for every secret, password, token and code the flow used and every stored hash form of
//! them. Each request must have produced exactly one request line and one EMF document.
//!
//! Its own test binary: it installs the process's global subscriber.

mod capture;
mod checks;
mod flow;
mod forbidden;
mod steps;

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use gatehouse_authorize::AuthorizeService;
use gatehouse_core::clock::{ManualClock, SystemClock};
use gatehouse_core::pkce::s256_challenge;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::secret::{random_token, SecretHash};
use gatehouse_core::seed::DEMO_SEED;
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::observe::logging::{self, LogFormat, LogSettings};
use gatehouse_edge::observe::metrics::MetricsOutput;
use gatehouse_edge::observe::record::REQUEST_TARGET;
use gatehouse_edge::observe::Observer;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use capture::*;
use checks::*;
use flow::*;
use forbidden::*;
use steps::*;

pub const BOB: (&str, &str) = ("bob@example.com", "bob-demo-password");
pub const ADMIN: (&str, &str) = ("admin@example.com", "admin-demo-password");
pub const REDIRECT: &str = "http://localhost:8080/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const WRONG_SECRET: &str = "a-wrong-integration-secret-0123456789abcdef";
/// With characters that URL encoding, form encoding and JSON escaping each change, so that
/// the search looks for every form a log could hold it in.
pub const WRONG_PASSWORD: &str = "not bob's p@ss&word=+%/\"é\\";
/// A wrong webapp secret, presented to the revocation endpoint.
pub const WRONG_WEBAPP_SECRET: &str = "a wrong/webapp+secret=0123456789&abcdef";
/// Token requests per address: the burst at the end of the flow passes it.
pub const TOKEN_LIMIT: u32 = 3;

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
