//! The status list (draft-ietf-oauth-status-list): a verifier that reads only the JWKS and the
//! lists refuses a revoked token within the documented bound, and indexes are reserved by
//! blocks, never one write per token.

use std::time::Duration;

use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::lifetime::MAX_CUSTOM_LIFETIME;
use gatehouse_core::status_list::{
    list_uri, revoked_in, verify_list, window_of, window_start, StatusListClaims, BLOCK,
    TTL_SECONDS,
};
use gatehouse_store::Concerns;
use gatehouse_token::status::{StatusIndexes, BUILT_LIST_SECONDS};

use super::*;

/// A verifier that never calls Gatehouse's token state endpoints: it holds the JWKS (the test
/// keys' public half) and fetches a token's list, as the docs say, by its `uri`.
struct Verifier<'a> {
    shop: &'a Shop,
}

impl Verifier<'_> {
    /// The list `uri` names, fetched and checked (signature, `typ`, expiry).
    async fn fetch(&self, uri: &str) -> StatusListClaims {
        let path = uri.strip_prefix(ISSUER).expect("a list of this issuer");
        let event = TokenEvent::new().method("GET").path(path);
        let response = gatehouse_token::handle(event.request(), &self.shop.token).await;
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "application/statuslist+jwt");
        assert_eq!(
            headers["cache-control"],
            format!("public, max-age={TTL_SECONDS}").as_str()
        );
        let token = std::str::from_utf8(response.body().as_ref()).unwrap();
        let keys = test_keys().verification_keys().unwrap();
        verify_list(token, &keys, self.now()).expect("a valid list")
    }

    /// Whether the verifier refuses `token` as revoked.
    async fn revoked(&self, token: &str) -> bool {
        let claims = verify(token, &test_keys(), self.shop.clock.as_ref());
        let uri = claims
            .status
            .as_ref()
            .expect("a status claim")
            .status_list
            .uri
            .clone();
        revoked_in(&claims, &self.fetch(&uri).await, self.now()).unwrap()
    }

    fn now(&self) -> UnixSeconds {
        self.shop.clock.now().floor_seconds()
    }
}

fn claims(shop: &Shop, token: &str) -> AccessTokenClaims {
    verify(token, &test_keys(), shop.clock.as_ref())
}

async fn a_verifier_reading_only_the_list_refuses_a_revoked_token_within_the_bound(
    store: Arc<dyn Store>,
) {
    let shop = Shop::on(store);
    let verifier = Verifier { shop: &shop };
    let (revoked, kept) = (shop.login().await, shop.login().await);
    let status = claims(&shop, &revoked.access).status.unwrap().status_list;
    assert_eq!(
        status.uri,
        list_uri(ISSUER, window_of(claims(&shop, &revoked.access).iat))
    );
    assert!(!verifier.revoked(&revoked.access).await);
    shop.revoke(json!({"client_id": STOREFRONT, "token": revoked.access}))
        .await;
    // The bound: the list a process signed is served for BUILT_LIST_SECONDS, and a verifier
    // keeps it for its ttl. Fetched again once both have passed, it says so.
    shop.clock
        .advance(Duration::from_secs(BUILT_LIST_SECONDS + TTL_SECONDS));
    assert!(verifier.revoked(&revoked.access).await, "the revoked token");
    assert!(
        !verifier.revoked(&kept.access).await,
        "another token of its list"
    );
}

async fn the_list_publishes_the_epochs_written_since_its_window_began(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let verifier = Verifier { shop: &shop };
    let bob = shop.login().await;
    let alice = shop.login_as(ALICE, "market:1001").await;
    let integration = shop.integration_token().await;
    shop.revoke_all(json!({"customer": "cus_bob", "mode": "test"}))
        .await
        .unwrap();
    shop.revoke_all(json!({"application": INTEGRATION}))
        .await
        .unwrap();
    shop.clock.advance(Duration::from_secs(BUILT_LIST_SECONDS));
    let uri = claims(&shop, &bob.access).status.unwrap().status_list.uri;
    let list = verifier.fetch(&uri).await;
    let mut subjects: Vec<&str> = list
        .revocation_epochs
        .iter()
        .map(|epoch| epoch.subject.as_str())
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["application#app_erp", "owner#test#Customer#cus_bob"]
    );
    assert!(verifier.revoked(&bob.access).await, "the customer's login");
    assert!(
        verifier.revoked(&integration).await,
        "the application's token"
    );
    assert!(!verifier.revoked(&alice.access).await, "another customer");
}

async fn indexes_are_reserved_by_blocks_and_lists_rotate_by_window(store: Arc<dyn Store>) {
    let lists = Arc::clone(&store).status_lists();
    let indexes = StatusIndexes::new(Arc::clone(&lists), ISSUER.into());
    let iat = test_start().floor_seconds().0;
    let window = window_of(iat);
    let mut taken = Vec::new();
    for _ in 0..BLOCK + 10 {
        let claim = indexes.claim(iat).await.unwrap();
        assert_eq!(claim.status_list.uri, list_uri(ISSUER, window));
        taken.push(claim.status_list.idx);
    }
    // Every index once, in order; two blocks reserved for BLOCK + 10 tokens.
    assert_eq!(taken, (0..BLOCK + 10).collect::<Vec<_>>());
    assert_eq!(lists.status_list(window).await.unwrap().size, 2 * BLOCK);
    // The next window's tokens start a list of their own.
    let next = indexes.claim(window_start(window + 1)).await.unwrap();
    assert_eq!(
        (next.status_list.idx, next.status_list.uri),
        (0, list_uri(ISSUER, window + 1))
    );
    // A list of a window not begun, or of one whose tokens have all expired, is no list.
    let shop = Shop::on(store);
    let current = window_of(shop.clock.now().floor_seconds().0);
    let too_old = current - (u64::from(MAX_CUSTOM_LIFETIME) / 3600 + 2);
    for window in [current + 2, too_old] {
        let path = format!("/oauth/status_lists/{window}");
        let event = TokenEvent::new().method("GET").path(&path);
        let response = gatehouse_token::handle(event.request(), &shop.token).await;
        assert_eq!(response.status(), 404, "{window}");
    }
}

on_both_stores!(crate::memory, crate::dynamodb;
    a_verifier_reading_only_the_list_refuses_a_revoked_token_within_the_bound,
    the_list_publishes_the_epochs_written_since_its_window_began,
    indexes_are_reserved_by_blocks_and_lists_rotate_by_window,
);
