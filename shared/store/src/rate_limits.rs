//! Sliding-window counters, one per key: token, revocation and sign-in requests per client IP,
//! login attempts per account. The rule itself is pure and lives in [`gatehouse_core::ratelimit`];
//! the per-address gate that counts requests here, and remembers refusals so as not to ask
//! again, is the edge's.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::ratelimit::{RateLimitOutcome, RateLimitPolicy};

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
