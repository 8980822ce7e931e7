//! Rate-limit windows: per key and policy, the accepted request times still inside the window.
//!
//! Each window is a ring buffer (`VecDeque`), oldest first: a request drops the times that have
//! left the window from the front and, when accepted, pushes its own at the back, so a decision
//! costs amortized O(1) whatever the limit, and is exact: the window holds fewer than `limit`
//! times exactly when fewer than `limit` requests were accepted in the last `window`. The
//! windows are spread over [`SHARDS`] independently locked maps, so concurrent requests from
//! different addresses rarely wait for each other, and idle windows are swept when a shard has
//! doubled since its last sweep, so sweeping too costs amortized O(1) per request.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::MemoryStore;
use crate::{RateLimits, StoreError};
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::ratelimit::{RateLimitOutcome, RateLimitPolicy};

/// Independently locked parts of the window map.
const SHARDS: usize = 16;
/// A shard is first swept when it holds this many windows; then whenever it has doubled.
const MIN_WINDOWS_BEFORE_SWEEP: usize = 1_000;

/// Which window: the key (a client IP, an account's failed sign-ins) and the policy's limit and
/// window length, so that two policies on one key never share times.
type WindowKey = (String, u32, u64);

struct Shard {
    windows: HashMap<WindowKey, VecDeque<UnixMillis>>,
    sweep_at: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Self {
            windows: HashMap::new(),
            sweep_at: MIN_WINDOWS_BEFORE_SWEEP,
        }
    }
}

impl Shard {
    /// Drops the windows whose every time has left them. Each window by its own length: a
    /// sign-in window (15 minutes) outlives a token-rate window (60 s).
    fn sweep_if_due(&mut self, now: UnixMillis) {
        if self.windows.len() < self.sweep_at {
            return;
        }
        self.windows.retain(|(_, _, window_seconds), times| {
            times
                .back()
                .is_some_and(|&newest| newest + Duration::from_secs(*window_seconds) > now)
        });
        self.sweep_at = (2 * self.windows.len()).max(MIN_WINDOWS_BEFORE_SWEEP);
    }
}

/// Every rate-limit window of the embedded store.
pub(super) struct RateWindows {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
}

impl Default for RateWindows {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl RateWindows {
    fn shard(&self, key: &WindowKey) -> std::sync::MutexGuard<'_, Shard> {
        let index = (self.hasher.hash_one(key) as usize) % SHARDS;
        self.shards[index].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hit(&self, key: WindowKey, policy: &RateLimitPolicy, now: UnixMillis) -> RateLimitOutcome {
        let mut shard = self.shard(&key);
        shard.sweep_if_due(now);
        let times = shard.windows.entry(key).or_default();
        drop_expired(times, policy, now);
        let allowed = times.len() < policy.limit as usize;
        if allowed {
            times.push_back(now);
        }
        policy.outcome_of(allowed, times.len(), times.front().copied(), now)
    }

    /// What a request to `key`'s window at `now` would be told if the window is full; None
    /// when it has room. Counts nothing.
    pub(super) fn held(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Option<RateLimitOutcome> {
        let key = window_key(key, policy);
        let mut shard = self.shard(&key);
        let times = shard.windows.get_mut(&key)?;
        drop_expired(times, policy, now);
        (times.len() >= policy.limit as usize)
            .then(|| policy.outcome_of(false, times.len(), times.front().copied(), now))
    }

    /// Counts one event in `key`'s window at `now` (the caller has seen it has room).
    pub(super) fn count(&self, key: &str, policy: &RateLimitPolicy, now: UnixMillis) {
        self.hit(window_key(key, policy), policy, now);
    }

    /// Forgets the times at or before `up_to` in `key`'s window, keeping later ones.
    pub(super) fn forget(&self, key: &str, policy: &RateLimitPolicy, up_to: UnixMillis) {
        let key = window_key(key, policy);
        let mut shard = self.shard(&key);
        if let Some(times) = shard.windows.get_mut(&key) {
            times.retain(|&time| time > up_to);
            if times.is_empty() {
                shard.windows.remove(&key);
            }
        }
    }
}

/// Drops, from the front, the times that have left the window ending `now`.
fn drop_expired(times: &mut VecDeque<UnixMillis>, policy: &RateLimitPolicy, now: UnixMillis) {
    let cutoff = policy.cutoff(now);
    while times.front().is_some_and(|&oldest| oldest <= cutoff) {
        times.pop_front();
    }
}

fn window_key(key: &str, policy: &RateLimitPolicy) -> WindowKey {
    (key.to_owned(), policy.limit, policy.window.as_secs())
}

#[async_trait]
impl RateLimits for MemoryStore {
    async fn hit_rate_limit(
        &self,
        client_key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<RateLimitOutcome, StoreError> {
        Ok(self
            .rate_windows
            .hit(window_key(client_key, policy), policy, now))
    }

    async fn clear_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        up_to: UnixMillis,
    ) -> Result<(), StoreError> {
        self.rate_windows.forget(key, policy, up_to);
        Ok(())
    }
}

#[cfg(test)]
mod ring_tests {
    use super::*;

    #[test]
    fn sweeping_idle_windows_keeps_a_longer_window_alive_for_its_own_length() {
        let mut shard = Shard::default();
        let t0 = UnixMillis(1_000_000_000);
        shard.windows.insert(
            ("login:test:a@b.c".into(), 2, 900),
            VecDeque::from([t0, t0]),
        );
        for i in 0..MIN_WINDOWS_BEFORE_SWEEP {
            shard
                .windows
                .insert((format!("198.51.100.{i}"), 30, 60), VecDeque::from([t0]));
        }
        // Two minutes on, the 60 s windows go and the 15-minute sign-in window stays.
        shard.sweep_if_due(t0 + Duration::from_secs(120));
        assert_eq!(
            shard.windows.keys().collect::<Vec<_>>(),
            [&("login:test:a@b.c".to_owned(), 2, 900)]
        );
    }

    #[test]
    fn a_shard_sweeps_again_only_once_it_has_doubled() {
        let mut shard = Shard::default();
        let t0 = UnixMillis(1_000_000_000);
        for i in 0..MIN_WINDOWS_BEFORE_SWEEP {
            shard
                .windows
                .insert((format!("live-{i}"), 30, 60), VecDeque::from([t0]));
        }
        // All alive: the sweep keeps them and waits until there are twice as many.
        shard.sweep_if_due(t0);
        assert_eq!(shard.windows.len(), MIN_WINDOWS_BEFORE_SWEEP);
        assert_eq!(shard.sweep_at, 2 * MIN_WINDOWS_BEFORE_SWEEP);
        // Long after, they have all left their windows; below the mark nothing is swept yet.
        let later = t0 + Duration::from_secs(3_600);
        shard.sweep_if_due(later);
        assert_eq!(shard.windows.len(), MIN_WINDOWS_BEFORE_SWEEP);
        for i in 0..MIN_WINDOWS_BEFORE_SWEEP {
            shard
                .windows
                .insert((format!("new-{i}"), 30, 60), VecDeque::from([later]));
        }
        shard.sweep_if_due(later);
        assert_eq!(
            shard.windows.len(),
            MIN_WINDOWS_BEFORE_SWEEP,
            "the idle half went"
        );
    }

    #[test]
    fn the_ring_keeps_only_the_times_inside_the_window_and_decides_exactly() {
        let windows = RateWindows::default();
        let policy = RateLimitPolicy::new(3, 60).unwrap();
        let t0 = UnixMillis(1_000_000_000);
        let at = |seconds: u64| t0 + Duration::from_secs(seconds);
        let key = || window_key("198.51.100.7", &policy);
        let decisions: Vec<(bool, u32)> = [0, 1, 2, 3, 59, 60, 61, 62, 63]
            .into_iter()
            .map(|s| {
                let outcome = windows.hit(key(), &policy, at(s));
                (outcome.allowed, outcome.remaining)
            })
            .collect();
        assert_eq!(
            decisions,
            [
                (true, 2),  // 0
                (true, 1),  // 1
                (true, 0),  // 2
                (false, 0), // 3: three in the last 60 s
                (false, 0), // 59
                (true, 0),  // 60: the request at 0 has left (a window is (now - 60 s, now])
                (true, 0),  // 61: the one at 1 has left
                (true, 0),  // 62
                (false, 0), // 63: 60, 61, 62 are in
            ]
        );
        let shard = windows.shard(&key());
        assert_eq!(
            shard.windows[&key()].len(),
            3,
            "never more than the limit kept"
        );
    }
}
