//! Revocation as a verifier sees it (docs/api.md, "Revocation"): storage's answer for a token,
//! kept for a few seconds per process so that a busy token costs one read per interval, not
//! one per request.
//!
//! The bound: a revocation is seen by every process at most [`RevocationCheck`]'s staleness
//! after it was written (`gatehouse serve` reads every time: none). An answer that a token is
//! ended is final and kept until the token expires; an answer that it is alive is kept only
//! for the staleness. The verified-token cache ([`super::VerifiedTokens`]) spares a token's
//! signature check, never this one: the two are independent, and a token the first keeps is
//! still refused here within the bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gatehouse_core::clock::{Clock, UnixMillis};
use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::revocation::{ended, Ended, TokenSubjects};
use gatehouse_store::{Revocations, StoreError};

/// How long a Lambda process takes storage's word that a token is not revoked.
pub const REVOCATION_STALENESS: Duration = Duration::from_secs(5);

/// The map keeps room for at least this many entries, however empty it gets.
const MIN_ROOM: usize = 64;

/// What storage said of one token, and when it was read.
#[derive(Clone, Copy)]
struct Seen {
    read_at: UnixMillis,
    ended: Option<Ended>,
    /// The token's `exp`, in milliseconds: an ended answer is kept until then.
    expires_at: UnixMillis,
}

/// Revocations read from storage, with the answers of the last few seconds.
pub struct RevocationCheck {
    store: Arc<dyn Revocations>,
    staleness: Duration,
    capacity: usize,
    seen: Mutex<HashMap<Arc<str>, Seen>>,
}

impl RevocationCheck {
    /// Reads `store`, taking an answer for `staleness` (zero: every request reads), keeping
    /// at most `capacity` answers.
    pub fn new(store: Arc<dyn Revocations>, staleness: Duration, capacity: usize) -> Self {
        Self {
            store,
            staleness,
            capacity,
            seen: Mutex::default(),
        }
    }

    /// Why the token of `claims` is no longer valid, or `None` when it is (as of at most the
    /// staleness ago).
    pub async fn ended(
        &self,
        claims: &AccessTokenClaims,
        clock: &dyn Clock,
    ) -> Result<Option<Ended>, StoreError> {
        let now = clock.now();
        if let Some(seen) = self.kept(&claims.jti, now) {
            return Ok(seen);
        }
        let state = self
            .store
            .revocation_state(&TokenSubjects::of(claims))
            .await?;
        let answer = ended(claims, &state);
        // An alive answer is worth keeping only when it may be taken again.
        if self.capacity > 0 && (answer.is_some() || !self.staleness.is_zero()) {
            let seen = Seen {
                read_at: now,
                ended: answer,
                expires_at: UnixMillis(claims.exp.saturating_mul(1000)),
            };
            self.keep(&claims.jti, seen, now);
        }
        Ok(answer)
    }

    /// The kept answer for `jti`, if it still holds at `now`.
    fn kept(&self, jti: &str, now: UnixMillis) -> Option<Option<Ended>> {
        let seen = *self.seen().get(jti)?;
        self.holds(&seen, now).then_some(seen.ended)
    }

    fn holds(&self, seen: &Seen, now: UnixMillis) -> bool {
        match seen.ended {
            Some(_) => now < seen.expires_at,
            None => now < seen.read_at + self.staleness && now >= seen.read_at,
        }
    }

    fn keep(&self, jti: &str, seen: Seen, now: UnixMillis) {
        let mut kept = self.seen();
        if kept.len() >= self.capacity {
            kept.retain(|_, entry| self.holds(entry, now));
            if kept.len() >= self.capacity {
                // Still full of answers that hold: start again (each costs one read).
                kept.clear();
            }
            let (len, room) = (kept.len(), kept.capacity());
            if room > MIN_ROOM && len < room / 4 {
                kept.shrink_to((len * 2).max(MIN_ROOM));
            }
        }
        kept.insert(Arc::from(jti), seen);
    }

    fn seen(&self) -> MutexGuard<'_, HashMap<Arc<str>, Seen>> {
        // Each statement leaves the map whole: a poisoned lock is still good to use.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
