//! The keys a `verified` application's assertions are checked with: those listed with the
//! application, or those of the JWK Set at its `jwks_uri`, fetched over HTTPS and kept for
//! [`KEPT_FOR`]. An assertion naming a `kid` the kept set lacks fetches the set again (the
//! owner rotated its keys), at most once per [`REFETCH_AFTER`] per URL and process, so that
//! assertions with made-up `kid`s cannot turn this server into a flood of requests to the owner.
//! A failed fetch is kept as well, and answered for that long without asking again; and one
//! fetch runs at a time, so that a burst of assertions on a cold process waits for one fetch
//! and then reads what it kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::jwt_bearer::{keys_of_jwks, AssertionKey, AssertionKeys};
use gatehouse_edge::error::{ApiError, ErrorCode};

/// How long a fetched JWK Set is used before it is fetched again.
pub const KEPT_FOR: Duration = Duration::from_secs(300);
/// The least time between two fetches of one URL.
pub const REFETCH_AFTER: Duration = Duration::from_secs(30);
/// The largest JWK Set read, in bytes.
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// How long a fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// The most URLs whose sets are kept; past it, the cache starts again.
const MAX_KEPT_SETS: usize = 1_000;

/// Fetches a JWK Set's bytes.
#[async_trait]
pub trait JwksFetch: Send + Sync {
    async fn fetch(&self, uri: &str) -> Result<Vec<u8>, String>;
}

/// What the last fetch of a URL gave: its keys, or why there were none.
type Fetched = Result<Arc<Vec<AssertionKey>>, String>;

struct KeptSet {
    fetched: Fetched,
    fetched_at: UnixMillis,
}

pub struct AssertionKeySource {
    fetcher: Arc<dyn JwksFetch>,
    kept: Mutex<HashMap<String, KeptSet>>,
    /// Held while fetching: one fetch at a time per process.
    fetching: tokio::sync::Mutex<()>,
}

impl AssertionKeySource {
    /// Fetching over HTTPS, with the system's root certificates.
    pub fn over_https() -> Self {
        Self::with_fetcher(Arc::new(HttpsFetch))
    }

    pub fn with_fetcher(fetcher: Arc<dyn JwksFetch>) -> Self {
        Self {
            fetcher,
            kept: Mutex::default(),
            fetching: tokio::sync::Mutex::const_new(()),
        }
    }

    /// The keys to try for an assertion whose header names `kid` (or none).
    pub async fn keys(
        &self,
        keys: &AssertionKeys,
        kid: Option<&str>,
        now: UnixMillis,
    ) -> Result<Arc<Vec<AssertionKey>>, ApiError> {
        let uri = match keys {
            AssertionKeys::Listed(keys) => return Ok(Arc::new(keys.clone())),
            AssertionKeys::JwksUri(uri) => uri,
        };
        if let Some(kept) = self.kept_keys(uri, kid, now) {
            return kept.map_err(unreachable_keys);
        }
        let _turn = self.fetching.lock().await;
        // What another request fetched while this one waited for its turn.
        if let Some(kept) = self.kept_keys(uri, kid, now) {
            return kept.map_err(unreachable_keys);
        }
        let fetched: Fetched = match self.fetcher.fetch(uri).await {
            Ok(bytes) => keys_of_jwks(&bytes).map(Arc::new),
            Err(reason) => Err(reason),
        };
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= MAX_KEPT_SETS {
            kept.clear();
        }
        kept.insert(
            uri.clone(),
            KeptSet {
                fetched: fetched.clone(),
                fetched_at: now,
            },
        );
        fetched.map_err(unreachable_keys)
    }

    /// What was kept of `uri`: any answer younger than [`REFETCH_AFTER`] (keys or a failure),
    /// and keys younger than [`KEPT_FOR`] that name `kid`.
    fn kept_keys(&self, uri: &str, kid: Option<&str>, now: UnixMillis) -> Option<Fetched> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let set = kept.get(uri)?;
        let age = Duration::from_millis(now.0.saturating_sub(set.fetched_at.0));
        let knows_kid = |keys: &Arc<Vec<AssertionKey>>| {
            kid.is_none_or(|kid| keys.iter().any(|k| k.kid.as_deref() == Some(kid)))
        };
        let fresh = match &set.fetched {
            Ok(keys) => age < REFETCH_AFTER || (age < KEPT_FOR && knows_kid(keys)),
            Err(_) => age < REFETCH_AFTER,
        };
        fresh.then(|| set.fetched.clone())
    }
}

/// The application's keys could not be had: not the assertion's fault, so not `invalid_grant`.
fn unreachable_keys(reason: String) -> ApiError {
    let mut error = ApiError::new(
        ErrorCode::TemporarilyUnavailable,
        "the application's JWK Set could not be fetched, retry shortly",
    );
    error.retry_after = Some(REFETCH_AFTER.as_secs());
    error.source = Some(reason.into());
    error
}

/// GET over HTTPS only, bounded in time and size.
struct HttpsFetch;

#[async_trait]
impl JwksFetch for HttpsFetch {
    async fn fetch(&self, uri: &str) -> Result<Vec<u8>, String> {
        use http_body_util::{BodyExt, Empty, Limited};
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|error| format!("no root certificates: {error}"))?
            .https_only()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build::<_, Empty<hyper::body::Bytes>>(connector);
        let request = http::Request::get(uri)
            .header("accept", "application/jwk-set+json, application/json")
            .body(Empty::new())
            .map_err(|error| error.to_string())?;
        let fetch = async {
            let response = client.request(request).await.map_err(|e| e.to_string())?;
            if response.status() != http::StatusCode::OK {
                return Err(format!("{uri} answered {}", response.status()));
            }
            Limited::new(response.into_body(), MAX_JWKS_BYTES)
                .collect()
                .await
                .map(|body| body.to_bytes().to_vec())
                .map_err(|error| format!("{uri}: {error}"))
        };
        tokio::time::timeout(FETCH_TIMEOUT, fetch)
            .await
            .map_err(|_| format!("{uri} did not answer within {FETCH_TIMEOUT:?}"))?
    }
}
