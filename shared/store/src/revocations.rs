//! Revocations of access tokens: one token by its `jti`, and epochs per application, owner and
//! market (`gatehouse_core::revocation`). A login (refresh-token family) is revoked through
//! [`super::RefreshTokens::revoke_refresh_family`]; its state is read here, beside the rest,
//! so that a verifier learns everything about one token in one round trip.
//!
//! Nothing here lists tokens: a revocation is one small record whose lifetime is bounded by the
//! tokens it can still end, so storage grows with revocations, not with tokens issued.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::revocation::{EpochSubject, RevocationState, TokenSubjects};

#[async_trait]
pub trait Revocations: Send + Sync {
    /// Revokes the access token `jti`, kept until `until` (its `exp` and the verifiers'
    /// leeway: a verifier refuses it as expired from then). Sending it again changes nothing.
    async fn revoke_access_token(&self, jti: &str, until: UnixSeconds) -> Result<(), StoreError>;

    /// Ends every token of `subject` issued before `epoch`, unless a later epoch is there
    /// already (an epoch never moves back). Kept until every token it can end has expired.
    async fn write_epoch(
        &self,
        subject: &EpochSubject,
        epoch: UnixSeconds,
    ) -> Result<(), StoreError>;

    /// What is known of one token's revocation: its `jti`, its login and its epochs, read
    /// together (on DynamoDB, one strongly consistent `BatchGetItem`).
    async fn revocation_state(&self, token: &TokenSubjects) -> Result<RevocationState, StoreError>;
}
