//! Sliding-window counters, one per key: token, revocation and sign-in requests per client IP,
//! login attempts per account. The rule itself is pure and lives in [`gatehouse_core::ratelimit`].

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::ratelimit::{KnownRefusals, RateLimitOutcome, RateLimitPolicy};

#[async_trait]
pub trait RateLimits: Send + Sync {
    /// Counts one event for `key` against its sliding window, atomically: the event is recorded
    /// only when admitted (see [`gatehouse_core::ratelimit`]). Token requests per client IP and login
    /// attempts per account each have their own keys.
    async fn hit_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<RateLimitOutcome, StoreError>;

    /// Forgets the events counted for `key` under `policy` at or before `up_to` (a successful
    /// login forgives the failed attempts before it). Events counted after `up_to`, by requests
    /// that ran alongside the login, stay: a guesser's attempts are never wiped by the real
    /// user's sign-in landing between them.
    async fn clear_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        up_to: UnixMillis,
    ) -> Result<(), StoreError>;
}

/// Counts one request for `key` as [`RateLimits::hit_rate_limit`] does, unless `known` still
/// holds storage's refusal of that key: then it is refused again without a storage request,
/// which is exact, since a refused request is not counted and nothing leaves the window before
/// the refusal lapses. Storage's answer is remembered for the next request.
pub async fn hit_unless_known_refused(
    store: &dyn RateLimits,
    known: &KnownRefusals,
    key: &str,
    policy: &RateLimitPolicy,
    now: UnixMillis,
) -> Result<RateLimitOutcome, StoreError> {
    if let Some(refused) = known.check(key, policy, now) {
        return Ok(refused);
    }
    let outcome = store.hit_rate_limit(key, policy, now).await?;
    known.remember(key, &outcome, now);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::memory::MemoryStore;

    /// The embedded store, counting the hits that reach it.
    #[derive(Default)]
    struct Counted {
        store: MemoryStore,
        hits: AtomicUsize,
    }

    #[async_trait]
    impl RateLimits for Counted {
        async fn hit_rate_limit(
            &self,
            key: &str,
            policy: &RateLimitPolicy,
            now: UnixMillis,
        ) -> Result<RateLimitOutcome, StoreError> {
            self.hits.fetch_add(1, Ordering::SeqCst);
            self.store.hit_rate_limit(key, policy, now).await
        }

        async fn clear_rate_limit(
            &self,
            key: &str,
            policy: &RateLimitPolicy,
            up_to: UnixMillis,
        ) -> Result<(), StoreError> {
            self.store.clear_rate_limit(key, policy, up_to).await
        }
    }

    #[tokio::test]
    async fn a_known_refusal_answers_alone_until_the_window_frees_a_place() {
        let store = Counted::default();
        let known = KnownRefusals::default();
        let policy = RateLimitPolicy::new(2, 60).unwrap();
        let start = UnixMillis(1_000_000);
        let hit = |now| hit_unless_known_refused(&store, &known, "revoke:192.0.2.1", &policy, now);
        assert!(hit(start).await.unwrap().allowed);
        assert!(hit(start + Duration::from_secs(10)).await.unwrap().allowed);
        let refused = hit(start + Duration::from_secs(20)).await.unwrap();
        assert!(!refused.allowed);
        assert_eq!(store.hits.load(Ordering::SeqCst), 3);
        // Storage said no until start + 60 s: until then, no storage request.
        for seconds in [21, 40, 59] {
            let again = hit(start + Duration::from_secs(seconds)).await.unwrap();
            assert_eq!((again.allowed, again.reset_seconds), (false, 60 - seconds));
        }
        assert_eq!(store.hits.load(Ordering::SeqCst), 3);
        assert!(hit(start + Duration::from_secs(60)).await.unwrap().allowed);
        assert_eq!(store.hits.load(Ordering::SeqCst), 4);
    }
}
