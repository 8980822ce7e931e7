//! Trusted forwarded addresses on both stores (docs/api.md, "Rate limit"): a server-rendered
//! storefront that presents the deployment's backend secret is counted by each shopper's
//! address, and one that does not is counted as the one address it is.

use std::sync::Arc;

use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::forwarded::BackendSecret;
use gatehouse_revoke::RevokeService;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use serde_json::Value;

const BACKEND_SECRET: &str = "storefront-backend-secret-0123456789abcdef";
/// The storefront's server: every request comes from here.
const SERVER: &str = "192.0.2.50";

struct Deployment {
    token: TokenService,
    revoke: RevokeService,
}

impl Deployment {
    /// The token and revocation functions at the contract's limit (30 a minute), trusting
    /// [`BACKEND_SECRET`].
    fn on(store: Arc<dyn Store>) -> Self {
        let runtime = runtime(store, manual_clock(), RateLimitPolicy::default())
            .with_backend_secret(Some(BackendSecret::new(BACKEND_SECRET).unwrap()));
        Self {
            token: TokenService::new(&runtime, test_keys()),
            revoke: RevokeService::new(&runtime, test_verifier()),
        }
    }

    /// A storefront token request from [`SERVER`] with these extra headers.
    async fn token(&self, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut event = TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:1001"),
        ])
        .source_ip(SERVER);
        for (name, value) in headers {
            event = event.header(name, value);
        }
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        (response.status().as_u16(), body_json(&response))
    }
}

/// The n-th of 200 distinct shoppers' addresses.
fn shopper(n: usize) -> String {
    format!("198.18.{}.{}", n / 200, n % 200 + 1)
}

async fn a_trusted_backend_is_counted_by_each_shoppers_address(store: Arc<dyn Store>) {
    let deployment = Deployment::on(store);
    for n in 0..200 {
        let address = shopper(n);
        let (status, body) = deployment
            .token(&[
                ("x-backend-auth", BACKEND_SECRET),
                ("x-true-client-ip", &address),
            ])
            .await;
        assert_eq!(status, 200, "shopper {n} ({address}): {body}");
    }
    // The server's own address has used none of its count.
    assert_eq!(deployment.token(&[]).await.0, 200);
}

async fn without_the_secret_the_forwarded_address_is_ignored_and_the_sender_counted(
    store: Arc<dyn Store>,
) {
    let deployment = Deployment::on(store);
    let wrong = format!("{BACKEND_SECRET}-guess");
    let mut admitted = 0;
    for n in 0..200 {
        let address = shopper(n);
        // Half without the secret, half with a wrong one: either way, one address.
        let headers: Vec<(&str, &str)> = match n % 2 {
            0 => vec![("x-true-client-ip", &address)],
            _ => vec![("x-backend-auth", &wrong), ("x-true-client-ip", &address)],
        };
        let (status, body) = deployment.token(&headers).await;
        match status {
            200 => admitted += 1,
            429 => assert_eq!(body["error"], "too_many_requests"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(admitted, 30, "held at the per-address limit");
    // And the server, counted for all of them, is refused on its own too.
    assert_eq!(deployment.token(&[]).await.0, 429);
}

async fn a_trusted_backend_must_forward_one_address(store: Arc<dyn Store>) {
    let deployment = Deployment::on(store);
    for bad in ["shopper", "198.18.0.1, 10.0.0.1", "198.18.0.256", ""] {
        let (status, body) = deployment
            .token(&[
                ("x-backend-auth", BACKEND_SECRET),
                ("x-true-client-ip", bad),
            ])
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{bad:?}: {body}"
        );
    }
    // IPv6 shoppers are counted by their /64: thirty of one network, then it is full.
    for n in 1..=30 {
        let address = format!("2001:db8:5:5::{n:x}");
        let (status, _) = deployment
            .token(&[
                ("x-backend-auth", BACKEND_SECRET),
                ("x-true-client-ip", &address),
            ])
            .await;
        assert_eq!(status, 200, "{address}");
    }
    let (status, _) = deployment
        .token(&[
            ("x-backend-auth", BACKEND_SECRET),
            ("x-true-client-ip", "2001:db8:5:5:ffff::1"),
        ])
        .await;
    assert_eq!(status, 429);
    let (status, _) = deployment
        .token(&[
            ("x-backend-auth", BACKEND_SECRET),
            ("x-true-client-ip", "2001:db8:5:6::1"),
        ])
        .await;
    assert_eq!(status, 200, "another /64 has a count of its own");
}

async fn revocation_requests_are_counted_by_the_forwarded_address_too(store: Arc<dyn Store>) {
    let deployment = Deployment::on(store);
    for n in 0..40 {
        let event = TokenEvent::form(&[("client_id", STOREFRONT), ("token", "not-a-token")])
            .path("/oauth/revoke")
            .source_ip(SERVER)
            .header("x-backend-auth", BACKEND_SECRET)
            .header("x-true-client-ip", &shopper(n));
        let response = gatehouse_revoke::handle(event.request(), &deployment.revoke).await;
        assert_eq!(response.status(), 200, "shopper {n}");
    }
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

on_both_stores!(crate::memory, crate::dynamodb;
    a_trusted_backend_is_counted_by_each_shoppers_address,
    without_the_secret_the_forwarded_address_is_ignored_and_the_sender_counted,
    a_trusted_backend_must_forward_one_address,
    revocation_requests_are_counted_by_the_forwarded_address_too,
);
