//! The resource API's verified tokens: a token verified once is taken at its next requests
//! without its signature check (ES256, about half of a request's CPU), until the instant the
//! full check would refuse it.
//!
//! Only a token the full check accepted enters, under its compact form, whole: a hit is a token
//! equal to it byte for byte, so a forged or tampered token pays the full check each time and
//! can never be served another token's claims. (A SHA-256 digest as the key was as safe and
//! smaller, but hashing a 700-byte token cost more than the rest of the lookup; the map's own
//! hash is keyed by a per-process random key, so its collisions cannot be chosen either.) A
//! token longer than [`MAX_CACHED_TOKEN_BYTES`] is checked every time and never kept, so no
//! header can make an entry large: an entry is the token and its claims, under 4 KiB.
//!
//! The cache holds at most its capacity; when full, the entry that expires first is dropped
//! (with one lifetime per application, the oldest): that needs no bookkeeping on a hit, unlike
//! LRU's, so a hit is one lookup under the lock, and an entry with less life left is worth
//! less. Expired entries are dropped as time passes them, and the map's memory is
//! given back when it has emptied after a burst.
//!
//! What the cache skips is the signature and the claims' checks, never a revocation check:
//! that is [`super::RevocationCheck`]'s, made on every request after this one, kept token or
//! not, with its own bound on how stale its answer may be.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use gatehouse_core::clock::Clock;
use gatehouse_core::jwt::AccessTokenClaims;

use super::{bearer_token, BearerError, BearerVerifier, CLOCK_LEEWAY_SECONDS};

/// The longest token kept: ours are well under 1 KB; a longer one is checked every time.
pub const MAX_CACHED_TOKEN_BYTES: usize = 2048;

/// The map keeps room for at least this many entries, however empty it gets.
const MIN_ROOM: usize = 64;

/// A kept token's compact form, shared by its two indexes.
type Token = Arc<str>;

/// A token's claims and the first second (Unix) at which the full check refuses it.
struct Entry {
    claims: Arc<AccessTokenClaims>,
    refused_from: u64,
}

#[derive(Default)]
struct Entries {
    by_token: HashMap<Token, Entry>,
    /// The same entries in the order they expire, first first.
    by_expiry: BTreeSet<(u64, Token)>,
}

impl Entries {
    /// Drops the entries the full check would refuse at `now`, and gives memory back once the
    /// map holds under a quarter of the room it has.
    fn drop_expired(&mut self, now: u64) {
        while let Some((refused_from, _)) = self.by_expiry.first() {
            if *refused_from > now {
                break;
            }
            if let Some((_, token)) = self.by_expiry.pop_first() {
                self.by_token.remove(&token);
            }
        }
        let (len, room) = (self.by_token.len(), self.by_token.capacity());
        if room > MIN_ROOM && len < room / 4 {
            self.by_token.shrink_to((len * 2).max(MIN_ROOM));
        }
    }

    /// The claims of `token`, if kept, when the full check would accept it at `now`.
    fn get(&mut self, token: &str, now: u64) -> Option<Arc<AccessTokenClaims>> {
        self.drop_expired(now);
        let entry = self.by_token.get(token)?;
        // Not before its `iat` (less the leeway), as the full check: a clock set back must not
        // let the cache accept what the check refuses.
        if entry.claims.iat > now.saturating_add(CLOCK_LEEWAY_SECONDS) {
            return None;
        }
        Some(Arc::clone(&entry.claims))
    }

    fn insert(&mut self, token: &str, claims: Arc<AccessTokenClaims>, capacity: usize) {
        // RFC 7519 §4.1.4: "the current date/time MUST be before the expiration date/time
        // listed in the "exp" claim"; the full check gives the same leeway past it.
        let refused_from = claims.exp.saturating_add(CLOCK_LEEWAY_SECONDS);
        let token: Token = Arc::from(token);
        if let Some(old) = self.by_token.remove(&token) {
            self.by_expiry
                .remove(&(old.refused_from, Arc::clone(&token)));
        }
        if self.by_token.len() >= capacity {
            if let Some((_, first)) = self.by_expiry.pop_first() {
                self.by_token.remove(&first);
            }
        }
        self.by_expiry.insert((refused_from, Arc::clone(&token)));
        self.by_token.insert(
            token,
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
        let keep = self.capacity > 0 && token.len() <= MAX_CACHED_TOKEN_BYTES;
        let kept = keep.then(|| self.entries().get(token, now)).flatten();
        let claims = match kept {
            Some(claims) => claims,
            None => {
                self.full_checks.fetch_add(1, Ordering::Relaxed);
                // A refusal returns here: it is never kept.
                let claims = Arc::new(self.verifier.verify(authorization_header, clock)?);
                if keep {
                    self.entries()
                        .insert(token, Arc::clone(&claims), self.capacity);
                }
                claims
            }
        };
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

#[cfg(test)]
mod tests;
