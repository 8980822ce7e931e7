//! Refresh tokens, stored by hash: creation with a new family, rotation (one winner among
//! concurrent exchanges), and family revocation on reuse or on `POST /oauth/revoke`.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::model::{RefreshTokenRecord, RefreshTokenState};
use gatehouse_core::secret::SecretHash;

/// The result of [`RefreshTokens::rotate_refresh_token`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    Rotated,
    /// The presented token could not be exchanged; its state as found afterwards (consumed,
    /// revoked, expired), or None when it no longer exists.
    NotActive(Option<Box<RefreshTokenState>>),
    /// The login began before an epoch of its application, owner or market
    /// ([`gatehouse_core::revocation`]): it is over, and the token with it.
    LoginEnded,
}

#[async_trait]
pub trait RefreshTokens: Send + Sync {
    /// Stores the first refresh token of a new family (a new login; a sign-in with a password
    /// goes through [`super::SignIns::complete_sign_in`] instead).
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError>;

    /// A refresh token by the hash of its value, whatever its state. Expiry is the caller's
    /// to check: storage may keep expired records for a while.
    async fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenState>, StoreError>;

    /// [`RefreshTokens::find_refresh_token`], reading the family a value's hint names in the
    /// same round trip as the token (on DynamoDB, one `BatchGetItem` instead of two reads one
    /// after the other). When the token belongs to another family, that one is read after.
    async fn find_refresh_token_in_family(
        &self,
        hash: &SecretHash,
        family_id: &str,
    ) -> Result<Option<RefreshTokenState>, StoreError>;

    /// Exchanges the presented token for `successor`, atomically: the presented token is
    /// marked consumed and the successor stored only if, at that instant, the presented token
    /// is unconsumed, unexpired at `now`, its family is not revoked and no epoch of the
    /// successor's application, owner or market is after its login began
    /// ([`gatehouse_core::revocation::login_subjects`]). Of concurrent rotations of one
    /// token, exactly one succeeds; a rotation and an epoch's write are ordered either way,
    /// and neither order leaves a successor alive that the epoch ends.
    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: &RefreshTokenRecord,
        now: UnixMillis,
    ) -> Result<Rotation, StoreError>;

    /// Revokes every token of a family, now and for good.
    async fn revoke_refresh_family(&self, family_id: &str) -> Result<(), StoreError>;
}
