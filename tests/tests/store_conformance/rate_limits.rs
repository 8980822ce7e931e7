//! Sliding rate-limit windows ([`gatehouse_store::RateLimits`]), on both stores.

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

/// Two requests counted in one millisecond are two (DynamoDB's `UPDATED_NEW` would leave out
/// the place whose value did not change, and report one).
async fn requests_in_one_millisecond_each_count(store: Arc<dyn RateLimits>) {
    let policy = RateLimitPolicy::new(3, 60).unwrap();
    for remaining in [2, 1, 0] {
        let outcome = store
            .hit_rate_limit("192.0.2.9", &policy, t0())
            .await
            .unwrap();
        assert_eq!((outcome.allowed, outcome.remaining), (true, remaining));
    }
    assert!(
        !store
            .hit_rate_limit("192.0.2.9", &policy, t0())
            .await
            .unwrap()
            .allowed
    );
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
    store.clear_rate_limit(key, &policy, t0()).await.unwrap();
    assert_eq!(
        store
            .hit_rate_limit(key, &policy, t0())
            .await
            .unwrap()
            .remaining,
        1
    );
    store
        .clear_rate_limit("login:test:never-seen", &policy, t0())
        .await
        .unwrap();
}

/// A login at `up_to` forgives the attempts before it, never one counted after it (by a
/// request that ran alongside the login: a guesser's attempt must not be wiped).
async fn clearing_a_window_keeps_the_attempts_counted_after_its_time(store: Arc<dyn RateLimits>) {
    let policy = RateLimitPolicy::new(3, 900).unwrap();
    let key = "login:test:carol@example.com";
    for time in [at(1_000), at(5_000), at(2_000)] {
        assert!(
            store
                .hit_rate_limit(key, &policy, time)
                .await
                .unwrap()
                .allowed
        );
    }
    store
        .clear_rate_limit(key, &policy, at(3_000))
        .await
        .unwrap();
    // Only the attempt at 5 s stays: two more fit, the third does not.
    let next = store.hit_rate_limit(key, &policy, at(6_000)).await.unwrap();
    assert_eq!((next.allowed, next.remaining), (true, 1), "{next:?}");
    assert!(
        store
            .hit_rate_limit(key, &policy, at(6_000))
            .await
            .unwrap()
            .allowed
    );
    let refused = store.hit_rate_limit(key, &policy, at(6_000)).await.unwrap();
    assert!(!refused.allowed, "{refused:?}");
    // The oldest kept attempt (5 s) leaves the 900 s window at 905 s.
    assert_eq!(refused.reset_seconds, 899);
    // Clearing up to a time before every attempt forgets none of them.
    store
        .clear_rate_limit(key, &policy, at(4_000))
        .await
        .unwrap();
    assert!(
        !store
            .hit_rate_limit(key, &policy, at(6_000))
            .await
            .unwrap()
            .allowed
    );
}

conformance!(
    requests_in_one_millisecond_each_count,
    clearing_a_window_keeps_the_attempts_counted_after_its_time,
    the_rate_limit_admits_exactly_the_limit_per_sliding_window,
    the_rate_limit_holds_under_concurrent_requests,
    rate_limit_windows_are_per_key_and_per_policy,
    an_expired_window_that_ttl_has_not_deleted_counts_for_nothing,
    clearing_a_window_forgets_its_events,
);

past_one_condition!(
    clearing_a_window_keeps_the_attempts_counted_after_its_time,
    clearing_a_window_forgets_its_events,
);
