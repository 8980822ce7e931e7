//! The resource API's verified tokens: a token verified once is taken at its next requests
//! without its signature check (ES256, about half of a request's CPU), until the instant the
//! full check would refuse it.
//!
//! Only a token the full check accepted enters, under the SHA-256 digest of its compact form
//! (a collision-resistant key: a forged or tampered token has another digest, so it pays the
//! full check each time and can never be served another token's claims). A token longer than
//! [`MAX_CACHED_TOKEN_BYTES`] is checked every time and never kept, so no header can make an
//! entry large. The cache holds at most its capacity; when full, the entry that expires first
//! is dropped (with one lifetime per application, the oldest): that needs no bookkeeping on a
//! hit, unlike LRU's, so a hit is one lookup under the lock, and an entry with less life left
//! is worth less. Expired entries are dropped as time passes them, and the map's memory is
//! given back when it has emptied after a burst.
//!
//! What the cache skips is the signature and the claims' checks, never a revocation check:
//! [`VerifiedTokens::verify`] has the one place where it runs, on every request.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use aws_lc_rs::digest;

use gatehouse_core::clock::Clock;
use gatehouse_core::jwt::AccessTokenClaims;

use super::{bearer_token, BearerError, BearerVerifier, CLOCK_LEEWAY_SECONDS};

/// The longest token kept: ours are well under 1 KB; a longer one is checked every time.
pub const MAX_CACHED_TOKEN_BYTES: usize = 2048;

/// The map keeps room for at least this many entries, however empty it gets.
const MIN_ROOM: usize = 64;

type Digest = [u8; 32];

/// A token's claims and the first second (Unix) at which the full check refuses it.
struct Entry {
    claims: Arc<AccessTokenClaims>,
    refused_from: u64,
}

#[derive(Default)]
struct Entries {
    by_digest: HashMap<Digest, Entry>,
    /// The same entries in the order they expire, first first.
    by_expiry: BTreeSet<(u64, Digest)>,
}

impl Entries {
    /// Drops the entries the full check would refuse at `now`, and gives memory back once the
    /// map holds under a quarter of the room it has.
    fn drop_expired(&mut self, now: u64) {
        while let Some(&(refused_from, digest)) = self.by_expiry.first() {
            if refused_from > now {
                break;
            }
            self.by_expiry.pop_first();
            self.by_digest.remove(&digest);
        }
        let (len, room) = (self.by_digest.len(), self.by_digest.capacity());
        if room > MIN_ROOM && len < room / 4 {
            self.by_digest.shrink_to((len * 2).max(MIN_ROOM));
        }
    }

    /// The claims of a token kept under `digest` that the full check would accept at `now`.
    fn get(&mut self, digest: &Digest, now: u64) -> Option<Arc<AccessTokenClaims>> {
        self.drop_expired(now);
        let entry = self.by_digest.get(digest)?;
        // Not before its `iat` (less the leeway), as the full check: a clock set back must not
        // let the cache accept what the check refuses.
        if entry.claims.iat > now.saturating_add(CLOCK_LEEWAY_SECONDS) {
            return None;
        }
        Some(Arc::clone(&entry.claims))
    }

    fn insert(&mut self, digest: Digest, claims: Arc<AccessTokenClaims>, capacity: usize) {
        // RFC 7519 §4.1.4: "the current date/time MUST be before the expiration date/time
        // listed in the "exp" claim"; the full check gives the same leeway past it.
        let refused_from = claims.exp.saturating_add(CLOCK_LEEWAY_SECONDS);
        if let Some(old) = self.by_digest.remove(&digest) {
            self.by_expiry.remove(&(old.refused_from, digest));
        }
        if self.by_digest.len() >= capacity {
            if let Some((_, first)) = self.by_expiry.pop_first() {
                self.by_digest.remove(&first);
            }
        }
        self.by_expiry.insert((refused_from, digest));
        self.by_digest.insert(
            digest,
            Entry {
                claims,
                refused_from,
            },
        );
    }
}

/// A [`BearerVerifier`] and the tokens it accepted, for one process (shared by the requests a
/// `gatehouse serve` answers at once).
pub struct VerifiedTokens {
    verifier: BearerVerifier,
    capacity: usize,
    entries: Mutex<Entries>,
    full_checks: AtomicU64,
}

impl VerifiedTokens {
    /// Keeps at most `capacity` tokens that `verifier` accepted (0: none, every token is
    /// checked every time).
    pub fn new(verifier: BearerVerifier, capacity: usize) -> Self {
        Self {
            verifier,
            capacity,
            entries: Mutex::default(),
            full_checks: AtomicU64::new(0),
        }
    }

    /// As [`BearerVerifier::verify`], which it calls for a token it does not hold: the same
    /// answer at every instant, an accepted token's claims or the refusal.
    pub fn verify(
        &self,
        authorization_header: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<Arc<AccessTokenClaims>, BearerError> {
        let token = bearer_token(authorization_header)?;
        let now = clock.now().floor_seconds().0;
        let digest =
            (self.capacity > 0 && token.len() <= MAX_CACHED_TOKEN_BYTES).then(|| sha256(token));
        let kept = digest.and_then(|digest| self.entries().get(&digest, now));
        let claims = match kept {
            Some(claims) => claims,
            None => {
                self.full_checks.fetch_add(1, Ordering::Relaxed);
                // A refusal returns here: it is never kept.
                let claims = Arc::new(self.verifier.verify(authorization_header, clock)?);
                if let Some(digest) = digest {
                    self.entries()
                        .insert(digest, Arc::clone(&claims), self.capacity);
                }
                claims
            }
        };
        // Revocation (issue 24) is checked here, on every request, kept token or not: the
        // cache only spares the signature and the claims' checks.
        Ok(claims)
    }

    /// How many tokens went through the full check (signature and claims) so far.
    pub fn full_checks(&self) -> u64 {
        self.full_checks.load(Ordering::Relaxed)
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // The entries are consistent between statements: a panic elsewhere cannot leave half
        // an update, so a poisoned lock is still good to use.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn sha256(token: &str) -> Digest {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
    bytes
}

#[cfg(test)]
mod tests;
