//! Sliding rate-limit windows ([`gatehouse_shared::store::RateLimits`]), on both stores.

use super::*;

async fn the_rate_limit_admits_exactly_the_limit_per_sliding_window(store: Arc<dyn RateLimits>) {
    let policy = RateLimitPolicy::new(3, 60).unwrap();
    let hit = |instant: UnixMillis| store.hit_rate_limit("192.0.2.1", &policy, instant);
    let first = hit(t0()).await.unwrap();
    assert!(first.allowed);
    assert_eq!(
        (first.limit, first.remaining, first.reset_seconds),
        (3, 2, 60)
    );
    assert!(hit(at(10_000)).await.unwrap().allowed);
    assert_eq!(hit(at(20_000)).await.unwrap().remaining, 0);
    let refused = hit(at(30_000)).await.unwrap();
    assert!(!refused.allowed);
    assert_eq!((refused.remaining, refused.reset_seconds), (0, 30));
    // Refused requests are not counted: the first place frees at t0 + 60 s exactly.
    assert!(!hit(at(59_999)).await.unwrap().allowed);
    let admitted = hit(at(60_000)).await.unwrap();
    assert!(admitted.allowed);
    assert_eq!(admitted.remaining, 0);
    assert!(!hit(at(60_001)).await.unwrap().allowed);
    assert!(hit(at(70_000)).await.unwrap().allowed);
}

async fn the_rate_limit_holds_under_concurrent_requests(store: Arc<dyn RateLimits>) {
    let policy = RateLimitPolicy::new(10, 60).unwrap();
    let outcomes = race(25, |i| {
        let store = Arc::clone(&store);
        async move {
            store
                .hit_rate_limit("192.0.2.9", &policy, at(i as u64))
                .await
        }
    })
    .await;
    let allowed = outcomes
        .iter()
        .filter(|o| o.as_ref().unwrap().allowed)
        .count();
    assert_eq!(allowed, 10);
}

async fn rate_limit_windows_are_per_key_and_per_policy(store: Arc<dyn RateLimits>) {
    let one = RateLimitPolicy::new(1, 60).unwrap();
    let two = RateLimitPolicy::new(2, 60).unwrap();
    assert!(
        store
            .hit_rate_limit("192.0.2.1", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        !store
            .hit_rate_limit("192.0.2.1", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        store
            .hit_rate_limit("192.0.2.2", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        store
            .hit_rate_limit("2001:db8::1", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        store
            .hit_rate_limit("192.0.2.1", &two, t0())
            .await
            .unwrap()
            .allowed
    );
}

async fn an_expired_window_that_ttl_has_not_deleted_counts_for_nothing(store: Arc<dyn RateLimits>) {
    let policy = RateLimitPolicy::new(2, 60).unwrap();
    for _ in 0..3 {
        store
            .hit_rate_limit("192.0.2.5", &policy, t0())
            .await
            .unwrap();
    }
    let a_day_later = store
        .hit_rate_limit("192.0.2.5", &policy, at(86_400_000))
        .await
        .unwrap();
    assert!(a_day_later.allowed);
    assert_eq!(a_day_later.remaining, 1);
}

async fn clearing_a_window_forgets_its_events(store: Arc<dyn RateLimits>) {
    let policy = RateLimitPolicy::new(2, 900).unwrap();
    let key = "login:test:alice@example.com";
    for _ in 0..2 {
        assert!(
            store
                .hit_rate_limit(key, &policy, t0())
                .await
                .unwrap()
                .allowed
        );
    }
    assert!(
        !store
            .hit_rate_limit(key, &policy, t0())
            .await
            .unwrap()
            .allowed
    );
    store.clear_rate_limit(key, &policy).await.unwrap();
    assert_eq!(
        store
            .hit_rate_limit(key, &policy, t0())
            .await
            .unwrap()
            .remaining,
        1
    );
    store
        .clear_rate_limit("login:test:never-seen", &policy)
        .await
        .unwrap();
}

conformance!(
    the_rate_limit_admits_exactly_the_limit_per_sliding_window,
    the_rate_limit_holds_under_concurrent_requests,
    rate_limit_windows_are_per_key_and_per_policy,
    an_expired_window_that_ttl_has_not_deleted_counts_for_nothing,
    clearing_a_window_forgets_its_events,
);
