//! JWT bearer assertions used (RFC 7523 §3: "The authorization server MAY ensure that JWTs are
//! not replayed by maintaining the set of used "jti" values for the length of time for which
//! the JWT would be considered valid"), each remembered with the login it began.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::model::RefreshTokenRecord;
use gatehouse_core::secret::SecretHash;

/// An assertion's `jti`, used by an application, to refuse again until `kept_until`.
#[derive(Clone, Copy, Debug)]
pub struct UsedAssertion<'a> {
    pub application_id: &'a str,
    pub jti: &'a str,
    pub kept_until: UnixSeconds,
}

impl UsedAssertion<'_> {
    /// The name an assertion is remembered by: a digest of the application and the `jti`, so
    /// that whatever characters a `jti` holds, two applications' never meet.
    pub fn key(&self) -> String {
        SecretHash::of(&format!("{}\n{}", self.application_id, self.jti)).to_stored()
    }
}

/// What [`Assertions::use_assertion`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssertionUse {
    /// First use: remembered, and the login stored.
    Accepted,
    /// Used before, and still remembered: nothing was written.
    Replayed,
}

#[async_trait]
pub trait Assertions: Send + Sync {
    /// Remembers `used` and stores the login it begins (its first refresh token and family),
    /// both or neither, unless the same `jti` of the same application is still remembered at
    /// `now`. Of concurrent uses of one `jti`, exactly one is accepted. A use whose answer was
    /// lost and that is sent again is accepted again: the record found is its own.
    async fn use_assertion(
        &self,
        used: &UsedAssertion<'_>,
        first_refresh_token: Option<&RefreshTokenRecord>,
        now: UnixMillis,
    ) -> Result<AssertionUse, StoreError>;
}
