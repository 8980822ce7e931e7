//! The token endpoint's rate limit: a sliding-window log of accepted requests per client IP.
//!
//! What is counted: every request to `POST /oauth/token` that the limiter accepts, whatever its
//! outcome afterwards (a token, a 400, a 401). Requests refused with 429 are not counted, so a
//! client that keeps retrying is let in again as soon as its oldest counted request is older
//! than the window. Test and live applications share the limit: it is keyed by IP alone.
//! `POST /oauth/revoke` and the sign-in page's attempts have the same policy, each counted
//! under a key of its own (`revoke:<ip>`, `sign-in:<ip>`).
//!
//! Storage keeps, per IP, the timestamps of the last `limit` accepted requests. A request is
//! accepted exactly when the oldest of those is outside the window (or there are fewer than
//! `limit`), so no sliding window of `window` ever holds more than `limit` accepted requests.

use std::time::Duration;

use crate::clock::UnixMillis;

/// The largest limit the DynamoDB store can keep in one item's update expression
/// (DynamoDB caps expressions at 4 KB).
pub const MAX_LIMIT: u32 = 300;

/// The rate-limit key of a client address. IPv4: the address. IPv6: its /64, the smallest
/// block a network hands out (a home, a phone, a server each get at least one, and choose any
/// of its 2^64 addresses at will, RFC 8981), so that rotating addresses inside it does not
/// rotate past the limit. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is its IPv4 address.
/// Anything that is not an address (API Gateway always sends one) is kept, at most 64
/// characters of it, under a prefix of its own so that it can never equal an address's key.
pub fn client_key(address: &str) -> String {
    use std::net::IpAddr;
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & !(u128::from(u64::MAX));
                format!("{}/64", std::net::Ipv6Addr::from(network))
            }
        },
        Err(_) => format!("unparsed:{}", address.chars().take(64).collect::<String>()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitPolicy {
    pub limit: u32,
    pub window: Duration,
}

/// The contract (docs/api.md): the token endpoint accepts 30 requests per client IP in any sliding 60 seconds.
pub const DEFAULT_LIMIT: u32 = 30;
pub const DEFAULT_WINDOW_SECONDS: u64 = 60;

impl Default for RateLimitPolicy {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            window: Duration::from_secs(DEFAULT_WINDOW_SECONDS),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitPolicyError {
    #[error("the rate limit must be from 1 to {MAX_LIMIT} requests per window, got {0}")]
    Limit(u32),
    #[error("the rate-limit window must be from 1 to 3600 seconds, got {0}")]
    Window(u64),
}

impl RateLimitPolicy {
    pub fn new(limit: u32, window_seconds: u64) -> Result<Self, RateLimitPolicyError> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(RateLimitPolicyError::Limit(limit));
        }
        if !(1..=3600).contains(&window_seconds) {
            return Err(RateLimitPolicyError::Window(window_seconds));
        }
        Ok(Self {
            limit,
            window: Duration::from_secs(window_seconds),
        })
    }

    /// A request at or before this instant is outside the window ending `now`.
    pub fn cutoff(&self, now: UnixMillis) -> UnixMillis {
        now.saturating_sub(self.window)
    }

    /// Decides a request from the accepted request times stored before it (newest first, at
    /// most `limit` of them), as both stores do atomically.
    pub fn admits(&self, recent_newest_first: &[UnixMillis], now: UnixMillis) -> bool {
        recent_newest_first
            .get(self.limit as usize - 1)
            .is_none_or(|&oldest_kept| oldest_kept <= self.cutoff(now))
    }

    /// What to tell the client, from the times stored after the decision (newest first).
    pub fn outcome(
        &self,
        allowed: bool,
        recent_newest_first: &[UnixMillis],
        now: UnixMillis,
    ) -> RateLimitOutcome {
        let cutoff = self.cutoff(now);
        let kept = recent_newest_first.iter().take(self.limit as usize);
        let in_window = kept.copied().filter(|&time| time > cutoff);
        let oldest_in_window = in_window.clone().next_back();
        let mut outcome = self.outcome_of(allowed, in_window.count(), oldest_in_window, now);
        // A refusal holds until the limit-th newest time (the one the admission condition
        // reads) leaves the window.
        outcome.refused_until = (!allowed)
            .then(|| recent_newest_first.get(self.limit as usize - 1))
            .flatten()
            .map(|&oldest_kept| oldest_kept + self.window);
        outcome
    }

    /// What to tell the client, from how many accepted requests are in the window ending `now`
    /// (the one just accepted included) and the oldest of them.
    pub fn outcome_of(
        &self,
        allowed: bool,
        in_window: usize,
        oldest_in_window: Option<UnixMillis>,
        now: UnixMillis,
    ) -> RateLimitOutcome {
        let in_window = u32::try_from(in_window).unwrap_or(u32::MAX);
        let remaining = self.limit.saturating_sub(in_window);
        // Seconds until the oldest counted request leaves the window and frees a place. On
        // DynamoDB another instance may have counted a request a little "after" this one's
        // `now` (requests reach the table out of order, clocks differ by milliseconds): such a
        // time leaves the window later than `now + window`. The contract's Retry-After never
        // exceeds the window, and by then this client's own clock has moved past it anyway.
        let reset_seconds = match oldest_in_window {
            Some(oldest) => (oldest + self.window).since(now).as_millis().div_ceil(1000) as u64,
            None => 0,
        }
        .min(self.window.as_secs());
        RateLimitOutcome {
            allowed,
            limit: self.limit,
            remaining,
            reset_seconds: reset_seconds.max(u64::from(!allowed)),
            refused_until: (!allowed)
                .then_some(oldest_in_window)
                .flatten()
                .map(|oldest| oldest + self.window),
        }
    }
}

/// The limiter's answer, with what the `RateLimit-*` headers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitOutcome {
    pub allowed: bool,
    pub limit: u32,
    /// Requests still accepted in the current window.
    pub remaining: u32,
    /// Seconds until one more request is accepted (also the `Retry-After` of a 429).
    pub reset_seconds: u64,
    /// For a refusal: the instant the window next admits a request, exactly (`reset_seconds`
    /// is rounded up and capped at the window).
    pub refused_until: Option<UnixMillis>,
}

/// Keys this process saw refused, each with the instant its window next admits a request.
/// Until then storage would refuse the key again, exactly: a refused request is not counted,
/// so nothing enters the window, and nothing leaves it before that instant. Answering from
/// here spares a refused request its storage requests (on DynamoDB the window update and the
/// reads sent beside it): a client hammering past its limit costs nothing but CPU.
#[derive(Default)]
pub struct KnownRefusals {
    until: std::sync::Mutex<std::collections::HashMap<String, UnixMillis>>,
}

/// Enough for every client refused in a window on one instance; past it (an attack from many
/// addresses at once), refusals are simply not remembered and storage answers as before.
const MAX_KNOWN_REFUSALS: usize = 10_000;

impl KnownRefusals {
    /// The refusal `key` is known to get at `now` under `policy`, if any.
    pub fn check(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Option<RateLimitOutcome> {
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        let refused_until = *until.get(key)?;
        if now >= refused_until {
            until.remove(key);
            return None;
        }
        let seconds = refused_until.since(now).as_millis().div_ceil(1000) as u64;
        Some(RateLimitOutcome {
            allowed: false,
            limit: policy.limit,
            remaining: 0,
            reset_seconds: seconds.clamp(1, policy.window.as_secs()),
            refused_until: Some(refused_until),
        })
    }

    /// Remembers a refusal that storage answered for `key`.
    pub fn remember(&self, key: &str, outcome: &RateLimitOutcome, now: UnixMillis) {
        let Some(refused_until) = outcome.refused_until.filter(|_| !outcome.allowed) else {
            return;
        };
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if until.len() >= MAX_KNOWN_REFUSALS {
            until.retain(|_, &mut instant| instant > now);
            if until.len() >= MAX_KNOWN_REFUSALS {
                return;
            }
        }
        until.insert(key.to_owned(), refused_until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(limit: u32) -> RateLimitPolicy {
        RateLimitPolicy::new(limit, 60).unwrap()
    }

    #[test]
    fn a_request_is_admitted_exactly_when_fewer_than_limit_are_in_the_window() {
        let now = 1_000_000;
        let cases: [(u32, &[u64], bool); 6] = [
            (3, &[], true),
            (3, &[now - 1, now - 2], true),
            (3, &[now - 1, now - 2, now - 3], false),
            (3, &[now - 1, now - 2, now - 60_000], true),
            (3, &[now - 1, now - 2, now - 59_999], false),
            (1, &[now - 60_001], true),
        ];
        for (limit, recent, admitted) in cases {
            let recent: Vec<UnixMillis> = recent.iter().copied().map(UnixMillis).collect();
            assert_eq!(
                policy(limit).admits(&recent, UnixMillis(now)),
                admitted,
                "{limit} {recent:?}"
            );
        }
    }

    #[test]
    fn the_outcome_reports_remaining_and_seconds_until_a_place_frees() {
        let at = |millis_before_now: u64| UnixMillis(1_000_000 - millis_before_now);
        let now = at(0);
        let p = policy(3);
        let full = p.outcome(false, &[at(1_000), at(2_000), at(10_500)], now);
        assert_eq!(
            full,
            RateLimitOutcome {
                allowed: false,
                limit: 3,
                remaining: 0,
                reset_seconds: 50,
                refused_until: Some(at(10_500) + Duration::from_secs(60)),
            }
        );
        let one_used = p.outcome(true, &[now, at(70_000)], now);
        assert_eq!(
            one_used,
            RateLimitOutcome {
                allowed: true,
                limit: 3,
                remaining: 2,
                reset_seconds: 60,
                refused_until: None,
            }
        );
    }

    #[test]
    fn retry_after_never_exceeds_the_window_even_when_a_counted_time_is_after_now() {
        let now = UnixMillis(1_000_000);
        let p = policy(3);
        for ahead in [1, 500, 999, 1_000, 1_001, 30_000] {
            let later = now + Duration::from_millis(ahead);
            let outcome = p.outcome(false, &[later, later, later], now);
            assert_eq!(outcome.reset_seconds, 60, "{ahead} ms ahead");
            assert!(!outcome.allowed);
        }
        // A time exactly `now` frees its place in exactly the window.
        assert_eq!(p.outcome(false, &[now, now, now], now).reset_seconds, 60);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_ipv4_by_their_address() {
        let cases = [
            ("203.0.113.7", "203.0.113.7"),
            ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
            ("2001:0db8:0001:0002:abcd:0:0:9", "2001:db8:1:2::/64"),
            ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
            ("::1", "::/64"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
            (" 203.0.113.7 ", "203.0.113.7"),
            ("unknown", "unparsed:unknown"),
        ];
        for (address, key) in cases {
            assert_eq!(client_key(address), key, "{address}");
        }
        assert_eq!(client_key(&"x".repeat(200)).len(), "unparsed:".len() + 64);
    }

    #[test]
    fn a_refusal_is_known_exactly_until_the_limit_th_newest_time_leaves_the_window() {
        let p = policy(3);
        let now = UnixMillis(1_000_000);
        let times = [now, UnixMillis(990_000), UnixMillis(950_500)];
        let refused = p.outcome(false, &times, now);
        assert_eq!(refused.refused_until, Some(UnixMillis(1_010_500)));
        assert_eq!(p.outcome(true, &times[..1], now).refused_until, None);
        let known = KnownRefusals::default();
        known.remember("203.0.113.7", &refused, now);
        let later = UnixMillis(1_010_499);
        let again = known
            .check("203.0.113.7", &p, later)
            .expect("still refused");
        assert_eq!(
            (again.allowed, again.remaining, again.reset_seconds),
            (false, 0, 1)
        );
        assert_eq!(known.check("203.0.113.8", &p, later), None);
        // At the instant the place frees, storage decides again.
        assert_eq!(known.check("203.0.113.7", &p, UnixMillis(1_010_500)), None);
        assert_eq!(
            known.check("203.0.113.7", &p, later),
            None,
            "forgotten once expired"
        );
        // An admitted outcome is never remembered.
        known.remember("203.0.113.9", &p.outcome(true, &[], now), now);
        assert_eq!(known.check("203.0.113.9", &p, now), None);
    }

    #[test]
    fn policies_outside_the_supported_range_are_refused() {
        assert!(RateLimitPolicy::new(0, 60).is_err());
        assert!(RateLimitPolicy::new(MAX_LIMIT + 1, 60).is_err());
        assert!(RateLimitPolicy::new(30, 0).is_err());
        assert!(RateLimitPolicy::new(MAX_LIMIT, 3600).is_ok());
        assert_eq!(
            RateLimitPolicy::new(30, 60).unwrap(),
            RateLimitPolicy::default()
        );
    }
}
