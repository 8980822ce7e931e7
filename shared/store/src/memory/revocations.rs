//! [`Revocations`] in memory: beside the refresh tokens, under their lock, so that a token's
//! login and its revocations are read at one instant.

use async_trait::async_trait;

use super::tokens::RECORDS_BEFORE_SWEEP;
use super::MemoryStore;
use crate::{Revocations, StoreError};
use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::lifetime::MAX_CUSTOM_LIFETIME;
use gatehouse_core::revocation::{EpochSubject, RevocationState, TokenSubjects, KEPT_PAST_EXPIRY};

#[async_trait]
impl Revocations for MemoryStore {
    async fn revoke_access_token(&self, jti: &str, until: UnixSeconds) -> Result<(), StoreError> {
        let mut table = self.tokens();
        if table.revoked_tokens.len() >= RECORDS_BEFORE_SWEEP {
            // A token being revoked is valid now, so it expires at most the longest lifetime
            // from now: whatever was kept until before that instant has expired.
            let now = until
                .0
                .saturating_sub(u64::from(MAX_CUSTOM_LIFETIME) + KEPT_PAST_EXPIRY);
            table.sweep(UnixMillis(now * 1000));
        }
        table.revoked_tokens.insert(jti.to_owned(), until);
        Ok(())
    }

    async fn write_epoch(
        &self,
        subject: &EpochSubject,
        epoch: UnixSeconds,
    ) -> Result<(), StoreError> {
        let mut table = self.tokens();
        let kept = table.epochs.entry(subject.key()).or_insert(epoch);
        *kept = (*kept).max(epoch);
        Ok(())
    }

    async fn revocation_state(&self, token: &TokenSubjects) -> Result<RevocationState, StoreError> {
        let table = self.tokens();
        Ok(RevocationState {
            token: table.revoked_tokens.contains_key(&token.jti),
            // A login forgotten (its last refresh token swept, never revoked) ends nothing.
            family: token
                .family
                .as_ref()
                .is_some_and(|family| table.revoked_families.get(family) == Some(&true)),
            epochs: table.epochs_of(token),
        })
    }
}
