//! Authorization codes (RFC 6749 §4.1): stored by hash, single use, and redeemed together with
//! the first refresh token of the family they start.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::model::{AuthorizationCodeRecord, RefreshTokenRecord};
use gatehouse_core::secret::SecretHash;

/// The result of [`AuthorizationCodes::redeem_authorization_code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redemption {
    Redeemed,
    /// The code could not be redeemed; its record as found afterwards (used, expired), or
    /// None when it does not exist.
    NotActive(Option<Box<AuthorizationCodeRecord>>),
}

#[async_trait]
pub trait AuthorizationCodes: Send + Sync {
    /// Stores a new code.
    async fn create_authorization_code(
        &self,
        record: &AuthorizationCodeRecord,
    ) -> Result<(), StoreError>;

    /// A code by the hash of its value, whatever its state. Expiry is the caller's to check:
    /// storage may keep expired records for a while.
    async fn find_authorization_code(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<AuthorizationCodeRecord>, StoreError>;

    /// Marks the code used and stores `first_refresh_token`, the first of the code's family,
    /// atomically: only if, at that instant, the code is unused, unexpired at `now`, and
    /// bound to the token's application (by id) and family. Of concurrent redemptions of one code, exactly
    /// one succeeds; afterwards, revoking the code's family reaches the token it issued.
    async fn redeem_authorization_code(
        &self,
        code: &SecretHash,
        first_refresh_token: &RefreshTokenRecord,
        now: UnixMillis,
    ) -> Result<Redemption, StoreError>;
}
