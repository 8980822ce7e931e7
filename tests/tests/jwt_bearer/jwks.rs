//! An application's keys at its JWKS URL: fetched once, kept, fetched again when an assertion
//! names a key the kept set lacks (a rotation), but not more often than the bound allows.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use gatehouse_token::assertion_keys::{AssertionKeySource, JwksFetch, KEPT_FOR, REFETCH_AFTER};

use super::*;

/// The shop's JWKS URL as a test controls it: what it serves, and how often it was asked.
#[derive(Default)]
struct KeyServer {
    keys: Mutex<Option<Value>>,
    fetches: AtomicUsize,
}

#[async_trait]
impl JwksFetch for KeyServer {
    async fn fetch(&self, uri: &str) -> Result<Vec<u8>, String> {
        assert_eq!(uri, JWKS_URI);
        self.fetches.fetch_add(1, Ordering::SeqCst);
        match &*self.keys.lock().unwrap() {
            Some(keys) => Ok(json!({ "keys": [keys] }).to_string().into_bytes()),
            None => Err("connection refused".into()),
        }
    }
}

impl KeyServer {
    fn serve(&self, signer: Option<&Signer>) {
        *self.keys.lock().unwrap() = signer.map(|s| s.jwk.clone());
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn the_jwks_is_fetched_once_then_again_for_a_new_key_within_its_bound() {
    let clock = manual_clock();
    let server = Arc::new(KeyServer::default());
    let mut token = token_service(memory().await, clock.clone(), RateLimitPolicy::default());
    token.assertion_keys = AssertionKeySource::with_fetcher(server.clone());
    let shop = Arc::new(Shop { token, clock });
    let old = Signer::es256("shop-2026");
    let new = Signer::es256("shop-2027");
    server.serve(Some(&old));
    for jti in ["j-1", "j-2"] {
        let assertion = old.sign(&shop.claims(JWKS_BACKEND, "cus_bob", jti));
        let (status, body) = shop.grant(JWKS_BACKEND, &assertion, "market:1001").await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(server.fetches(), 1, "the set is kept");
    // The shop rotates: an assertion naming the new kid fetches the set again, but not
    // within REFETCH_AFTER of the last fetch.
    server.serve(Some(&new));
    let assertion = new.sign(&shop.claims(JWKS_BACKEND, "cus_bob", "j-3"));
    let early = shop.grant(JWKS_BACKEND, &assertion, "market:1001").await;
    assert_invalid_assertion(&early, "not signed by a key of this application");
    assert_eq!(server.fetches(), 1);
    shop.clock.advance(REFETCH_AFTER);
    let assertion = new.sign(&shop.claims(JWKS_BACKEND, "cus_bob", "j-4"));
    assert_eq!(
        shop.grant(JWKS_BACKEND, &assertion, "market:1001").await.0,
        200
    );
    assert_eq!(server.fetches(), 2);
    // The URL stops answering: once the kept set is stale, a 503 to retry, not the client's
    // fault.
    server.serve(None);
    shop.clock.advance(KEPT_FOR + Duration::from_secs(1));
    let assertion = new.sign(&shop.claims(JWKS_BACKEND, "cus_bob", "j-5"));
    let (status, body) = shop.grant(JWKS_BACKEND, &assertion, "market:1001").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("temporarily_unavailable")),
        "{body}"
    );
}
