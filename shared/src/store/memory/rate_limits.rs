//! Rate-limit windows: the last `limit` accepted request times per key and policy.

use std::time::Duration;

use async_trait::async_trait;

use super::MemoryStore;
use crate::clock::UnixMillis;
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use crate::store::{RateLimits, StoreError};

/// Rate-limit windows kept before idle ones are swept.
const RATE_WINDOWS_BEFORE_SWEEP: usize = 10_000;

#[async_trait]
impl RateLimits for MemoryStore {
    async fn hit_rate_limit(
        &self,
        client_key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<RateLimitOutcome, StoreError> {
        let mut windows = self.rate_windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= RATE_WINDOWS_BEFORE_SWEEP {
            // Each window by its own length: a login lockout outlives a token-rate window.
            windows.retain(|(_, _, window_seconds), times| {
                times
                    .first()
                    .is_some_and(|&newest| newest + Duration::from_secs(*window_seconds) > now)
            });
        }
        let key = (client_key.to_owned(), policy.limit, policy.window.as_secs());
        let times = windows.entry(key).or_default();
        let allowed = policy.admits(times, now);
        if allowed {
            times.insert(0, now);
            times.truncate(policy.limit as usize);
        }
        Ok(policy.outcome(allowed, times, now))
    }

    async fn clear_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
    ) -> Result<(), StoreError> {
        let mut windows = self.rate_windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.remove(&(key.to_owned(), policy.limit, policy.window.as_secs()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn sweeping_idle_windows_keeps_a_longer_window_alive_for_its_own_length() {
        let store = MemoryStore::new();
        let short = RateLimitPolicy::new(30, 60).unwrap();
        let lockout = RateLimitPolicy::new(2, 900).unwrap();
        let t0 = UnixMillis(1_000_000_000);
        store
            .hit_rate_limit("login:test:a@b.c", &lockout, t0)
            .await
            .unwrap();
        store
            .hit_rate_limit("login:test:a@b.c", &lockout, t0)
            .await
            .unwrap();
        for i in 0..RATE_WINDOWS_BEFORE_SWEEP {
            store
                .hit_rate_limit(&format!("198.51.100.{i}"), &short, t0)
                .await
                .unwrap();
        }
        // Two minutes on, a token request sweeps: the 60 s windows go, the lockout stays.
        store
            .hit_rate_limit("203.0.113.1", &short, t0 + Duration::from_secs(120))
            .await
            .unwrap();
        assert!(store.rate_windows.lock().unwrap().len() < 10);
        let locked = store
            .hit_rate_limit("login:test:a@b.c", &lockout, t0 + Duration::from_secs(120))
            .await
            .unwrap();
        assert!(!locked.allowed, "the lockout survived the sweep");
    }
}
