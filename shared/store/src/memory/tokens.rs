//! Refresh tokens, their families and authorization codes, under one lock.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;

use super::MemoryStore;
use crate::{AuthorizationCodes, Redemption, RefreshTokens, Rotation, StoreError};
use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::model::{AuthorizationCodeRecord, RefreshTokenRecord, RefreshTokenState};
use gatehouse_core::revocation::{
    epoch_kept_until, login_ended, login_subjects, EpochSubject, Epochs, TokenSubjects,
};
use gatehouse_core::secret::SecretHash;
use gatehouse_core::status_list::list_kept_until;

/// Records kept before expired ones are swept.
pub(super) const RECORDS_BEFORE_SWEEP: usize = 100_000;

/// Refresh tokens and authorization codes by stored hash, and whether each family is revoked.
#[derive(Default)]
pub(super) struct TokenTable {
    tokens: HashMap<String, RefreshTokenRecord>,
    pub(super) revoked_families: HashMap<String, bool>,
    codes: HashMap<String, AuthorizationCodeRecord>,
    /// Access tokens revoked by `jti`, each until its expiry (`super::revocations`).
    pub(super) revoked_tokens: HashMap<String, UnixSeconds>,
    /// Epochs by their subject's key.
    pub(super) epochs: HashMap<String, UnixSeconds>,
    /// Status lists by window.
    pub(super) status_lists: HashMap<u64, crate::StoredList>,
    /// JWT bearer assertions used, by [`crate::UsedAssertion::key`], each until it expires.
    used_assertions: HashMap<String, UnixSeconds>,
}

impl TokenTable {
    fn state(&self, hash: &SecretHash) -> Option<RefreshTokenState> {
        let record = self.tokens.get(&hash.to_stored())?.clone();
        // A family swept away is as good as revoked.
        let family_revoked = self.revoked_families.get(&record.family_id) != Some(&false);
        Some(RefreshTokenState {
            record,
            family_revoked,
        })
    }

    pub(super) fn add_code(&mut self, record: &AuthorizationCodeRecord) {
        self.codes
            .insert(record.code_hash.to_stored(), record.clone());
    }

    /// Stores the first token of a new family.
    pub(super) fn start_family(&mut self, record: &RefreshTokenRecord) {
        if self.tokens.len() + self.codes.len() >= RECORDS_BEFORE_SWEEP {
            self.sweep(record.issued_at);
        }
        self.revoked_families
            .insert(record.family_id.clone(), false);
        self.tokens
            .insert(record.token_hash.to_stored(), record.clone());
    }

    /// The epochs of a token's subjects, as written.
    pub(super) fn epochs_of(&self, subjects: &TokenSubjects) -> Epochs {
        let epoch = |subject: Option<&EpochSubject>| {
            subject.and_then(|subject| self.epochs.get(&subject.key()).copied())
        };
        Epochs {
            application: epoch(Some(&subjects.application)),
            owner: epoch(subjects.owner.as_ref()),
            market: epoch(subjects.market.as_ref()),
        }
    }

    /// Drops records that expired a while ago, as DynamoDB's TTL would.
    pub(super) fn sweep(&mut self, now: UnixMillis) {
        const KEEP_AFTER_EXPIRY: Duration = Duration::from_secs(24 * 3600);
        self.tokens
            .retain(|_, t| t.expires_at + KEEP_AFTER_EXPIRY > now);
        self.codes
            .retain(|_, c| c.expires_at + KEEP_AFTER_EXPIRY > now);
        let live: HashSet<String> = self.tokens.values().map(|t| t.family_id.clone()).collect();
        // A revoked login is kept after its last refresh token: the access tokens issued from
        // it may live longer (up to an application's longest lifetime).
        self.revoked_families
            .retain(|family, revoked| *revoked || live.contains(family));
        let second = now.floor_seconds();
        self.revoked_tokens.retain(|_, until| *until > second);
        self.epochs
            .retain(|_, epoch| epoch_kept_until(*epoch) > second);
        self.status_lists
            .retain(|window, _| list_kept_until(*window) > second);
        self.used_assertions.retain(|_, until| *until > second);
    }
}

impl MemoryStore {
    pub(super) fn tokens(&self) -> std::sync::MutexGuard<'_, TokenTable> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl RefreshTokens for MemoryStore {
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError> {
        self.tokens().start_family(record);
        Ok(())
    }

    async fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenState>, StoreError> {
        Ok(self.tokens().state(hash))
    }

    async fn find_refresh_token_in_family(
        &self,
        hash: &SecretHash,
        _family_id: &str,
    ) -> Result<Option<RefreshTokenState>, StoreError> {
        // One lock holds the token and its family: there is nothing to read ahead.
        Ok(self.tokens().state(hash))
    }

    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: &RefreshTokenRecord,
        now: UnixMillis,
    ) -> Result<Rotation, StoreError> {
        let mut refresh = self.tokens();
        let Some(state) = refresh.state(presented) else {
            return Ok(Rotation::NotActive(None));
        };
        if !state.can_rotate_into(&successor.family_id, now) {
            return Ok(Rotation::NotActive(Some(Box::new(state))));
        }
        // Under the same lock as the epochs: an epoch is written before or after, never during.
        let epochs = refresh.epochs_of(&login_subjects(successor));
        if login_ended(successor, &epochs).is_some() {
            return Ok(Rotation::LoginEnded);
        }
        if let Some(record) = refresh.tokens.get_mut(&presented.to_stored()) {
            record.consumed_at = Some(now);
        }
        refresh
            .tokens
            .insert(successor.token_hash.to_stored(), successor.clone());
        Ok(Rotation::Rotated)
    }

    async fn revoke_refresh_family(&self, family_id: &str) -> Result<(), StoreError> {
        let mut refresh = self.tokens();
        if let Some(revoked) = refresh.revoked_families.get_mut(family_id) {
            *revoked = true;
        }
        Ok(())
    }
}

#[async_trait]
impl AuthorizationCodes for MemoryStore {
    async fn create_authorization_code(
        &self,
        record: &AuthorizationCodeRecord,
    ) -> Result<(), StoreError> {
        self.tokens().add_code(record);
        Ok(())
    }

    async fn find_authorization_code(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<AuthorizationCodeRecord>, StoreError> {
        Ok(self.tokens().codes.get(&hash.to_stored()).cloned())
    }

    async fn redeem_authorization_code(
        &self,
        code: &SecretHash,
        first_refresh_token: &RefreshTokenRecord,
        now: UnixMillis,
    ) -> Result<Redemption, StoreError> {
        let mut table = self.tokens();
        let Some(record) = table.codes.get_mut(&code.to_stored()) else {
            return Ok(Redemption::NotActive(None));
        };
        let redeemable = record.consumed_at.is_none()
            && record.expires_at > now
            && record.application_id == first_refresh_token.application_id
            && record.family_id == first_refresh_token.family_id;
        if !redeemable {
            return Ok(Redemption::NotActive(Some(Box::new(record.clone()))));
        }
        record.consumed_at = Some(now);
        table.start_family(first_refresh_token);
        Ok(Redemption::Redeemed)
    }
}

#[async_trait]
impl crate::Assertions for MemoryStore {
    async fn use_assertion(
        &self,
        used: &crate::UsedAssertion<'_>,
        first_refresh_token: Option<&RefreshTokenRecord>,
        now: UnixMillis,
    ) -> Result<crate::AssertionUse, StoreError> {
        let mut table = self.tokens();
        let key = used.key();
        if table
            .used_assertions
            .get(&key)
            .is_some_and(|until| *until > now.floor_seconds())
        {
            return Ok(crate::AssertionUse::Replayed);
        }
        if table.used_assertions.len() >= RECORDS_BEFORE_SWEEP {
            table.sweep(now);
        }
        table.used_assertions.insert(key, used.kept_until);
        if let Some(record) = first_refresh_token {
            table.start_family(record);
        }
        Ok(crate::AssertionUse::Accepted)
    }
}
