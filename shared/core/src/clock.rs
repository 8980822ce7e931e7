//! Time as a dependency, so that expiry rules can be tested without sleeping, and time's two
//! units as types, so that milliseconds and seconds cannot be mixed up where they meet: records
//! and rate-limit windows keep milliseconds, while JWT `iat`/`exp`, the token response's
//! `created_at` and DynamoDB's TTL attribute are whole seconds.

use std::ops::Add;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

/// An instant, in whole seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixSeconds(pub u64);

impl UnixMillis {
    /// The second this instant falls in: what a JWT's `iat` says of it.
    pub fn floor_seconds(self) -> UnixSeconds {
        UnixSeconds(self.0 / 1000)
    }

    /// The first whole second at or after this instant: a TTL set from it never fires early.
    pub fn ceil_seconds(self) -> UnixSeconds {
        UnixSeconds(self.0.div_ceil(1000))
    }

    /// This instant less `duration`, or the epoch.
    pub fn saturating_sub(self, duration: Duration) -> Self {
        Self(self.0.saturating_sub(duration_millis(duration)))
    }

    /// How long after `earlier` this instant is (zero when it is not after it).
    pub fn since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Add<Duration> for UnixMillis {
    type Output = Self;

    fn add(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(duration_millis(duration)))
    }
}

impl Add<Duration> for UnixSeconds {
    type Output = Self;

    fn add(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(duration.as_secs()))
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> UnixMillis;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(duration_millis)
                .unwrap_or(0),
        )
    }
}

/// A clock that only moves when told to: for tests.
#[derive(Debug)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn at(instant: UnixMillis) -> Self {
        Self(AtomicU64::new(instant.0))
    }

    pub fn advance(&self, duration: Duration) {
        self.0
            .fetch_add(duration_millis(duration), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_floored_for_issued_at_and_ceiled_for_time_to_live() {
        let cases = [
            (0, 0, 0),
            (999, 0, 1),
            (1000, 1, 1),
            (1001, 1, 2),
            (1_999, 1, 2),
        ];
        for (millis, floor, ceil) in cases {
            let instant = UnixMillis(millis);
            assert_eq!(instant.floor_seconds(), UnixSeconds(floor), "{millis}");
            assert_eq!(instant.ceil_seconds(), UnixSeconds(ceil), "{millis}");
        }
    }

    #[test]
    fn durations_move_instants_without_overflowing() {
        let t = UnixMillis(10_000);
        assert_eq!(t + Duration::from_secs(60), UnixMillis(70_000));
        assert_eq!(t.saturating_sub(Duration::from_secs(60)), UnixMillis(0));
        assert_eq!(
            UnixMillis(u64::MAX) + Duration::from_secs(1),
            UnixMillis(u64::MAX)
        );
        assert_eq!(UnixMillis(70_000).since(t), Duration::from_secs(60));
        assert_eq!(t.since(UnixMillis(70_000)), Duration::ZERO);
        assert_eq!(
            UnixSeconds(5) + Duration::from_millis(1_500),
            UnixSeconds(6)
        );
    }
}
