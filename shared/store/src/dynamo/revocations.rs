//! [`Revocations`] on DynamoDB: an item per revoked access token and per epoch, each with a
//! TTL at the end of the tokens it can end; a token's state is one `BatchGetItem` of at most
//! five keys (its `jti`, its login's family item, its three epochs).

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;

use std::collections::HashMap;

use super::keys::*;
use super::reader::Reader;
use super::status_lists::epoch_log_item;
use super::transactions::Condition;
use super::DynamoStore;
use crate::administration::revoked_record;
use crate::{AdminError, AdminOutcome, ChangeContext, Revocations, StoreError};
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::revocation::{
    epoch_kept_until, EpochSubject, Epochs, RevocationState, TokenSubjects,
};

fn revoked_token_key(jti: &str) -> Item {
    key(format!("REVOKED#{jti}"), "REVOKED".into())
}

pub(super) fn epoch_key(subject: &EpochSubject) -> Item {
    key(format!("EPOCH#{}", subject.key()), "EPOCH".into())
}

#[async_trait]
impl Revocations for DynamoStore {
    async fn revoke_access_token(&self, jti: &str, until: UnixSeconds) -> Result<(), StoreError> {
        // A plain put: sent again (the SDK's retry of a lost answer), it writes the same item.
        let mut item = revoked_token_key(jti);
        item.insert("type".into(), s("revoked_access_token"));
        item.insert(TTL_ATTRIBUTE.into(), seconds(until));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn write_epoch(
        &self,
        subject: &EpochSubject,
        epoch: UnixSeconds,
    ) -> Result<(), StoreError> {
        // Only forward: of two revocations written in either order, the later epoch stays. A
        // resend of this write after its answer was lost finds its own epoch, equal, and
        // writes it again, so that the log's put below is made whatever the first send did.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(epoch_key(subject)))
            .update_expression("SET epoch = :epoch, expires_at = :kept, #type = :type")
            .condition_expression("attribute_not_exists(epoch) OR epoch <= :epoch")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":epoch", seconds(epoch))
            .expression_attribute_values(":kept", seconds(epoch_kept_until(epoch)))
            .expression_attribute_values(":type", s("revocation_epoch"))
            .send()
            .await;
        match result {
            Ok(_) => {}
            // A later epoch is there: it was logged when it was written.
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                return Ok(())
            }
            Err(error) => return Err(StoreError::unavailable(error)),
        }
        // Published by the status lists: a plain put, the same item when sent again.
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(epoch_log_item(subject, epoch)))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn revocation_state(&self, token: &TokenSubjects) -> Result<RevocationState, StoreError> {
        let jti = revoked_token_key(&token.jti);
        let family = token.family.as_deref().map(family_key);
        let epoch_keys = [
            Some(&token.application),
            token.owner.as_ref(),
            token.market.as_ref(),
        ]
        .map(|subject| subject.map(epoch_key));
        let mut keys = vec![jti.clone()];
        keys.extend(family.iter().cloned());
        keys.extend(epoch_keys.iter().flatten().cloned());
        let found = self.batch_get(keys).await?;
        let item_at = |wanted: &Item| {
            let wanted = key_string(wanted);
            found.iter().find(|item| key_string(item) == wanted)
        };
        let epoch = |wanted: &Option<Item>| -> Result<Option<UnixSeconds>, StoreError> {
            match wanted.as_ref().and_then(item_at) {
                Some(item) => Ok(Some(UnixSeconds(Reader { item }.number("epoch")?))),
                None => Ok(None),
            }
        };
        // A family item gone (TTL, after its last refresh token) ends nothing: a revoked one
        // is kept as long as the access tokens it can end (`revoke_refresh_family`).
        let family_revoked = match family.as_ref().and_then(item_at) {
            Some(item) => Reader { item }.boolean("revoked")?,
            None => false,
        };
        let [application, owner, market] = &epoch_keys;
        Ok(RevocationState {
            token: item_at(&jti).is_some(),
            family: family_revoked,
            epochs: Epochs {
                application: epoch(application)?,
                owner: epoch(owner)?,
                market: epoch(market)?,
            },
        })
    }
}

impl DynamoStore {
    /// [`crate::Administration::revoke_tokens`]: the epoch, its audit record and its request's
    /// record in one transaction. The epoch's write is conditioned on none later being there;
    /// when one is (another revocation, from a clock a little ahead), the audit and the
    /// request's records are committed alone, answering that later epoch.
    pub(super) async fn write_epoch_audited(
        &self,
        subject: &EpochSubject,
        epoch: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        let write = self.update_write(
            epoch_key(subject),
            "SET epoch = :epoch, expires_at = :kept, #type = :type".to_owned(),
            HashMap::from([("#type".to_owned(), "type".to_owned())]),
            Condition::new("attribute_not_exists(epoch) OR epoch <= :epoch"),
            Item::from([
                (":epoch".to_owned(), seconds(epoch)),
                (":kept".to_owned(), seconds(epoch_kept_until(epoch))),
                (":type".to_owned(), s("revocation_epoch")),
            ]),
        )?;
        let writes = vec![
            write,
            self.put_write(epoch_log_item(subject, epoch), None)?,
            self.audit_write(&revoked_record(change, subject, epoch))?,
        ];
        let outcome = AdminOutcome::TokensRevoked {
            subject: subject.clone(),
            epoch,
        };
        if let Some(outcome) = self.commit_change(writes, change, outcome).await? {
            return Ok(outcome);
        }
        let later = match self.get(epoch_key(subject)).await? {
            Some(item) => UnixSeconds(Reader { item: &item }.number("epoch")?),
            None => {
                return Err(AdminError::Conflict(
                    "the revocation conflicted with another; try again".into(),
                ))
            }
        };
        let writes = vec![self.audit_write(&revoked_record(change, subject, later))?];
        let outcome = AdminOutcome::TokensRevoked {
            subject: subject.clone(),
            epoch: later,
        };
        match self.commit_change(writes, change, outcome).await? {
            Some(outcome) => Ok(outcome),
            None => Err(AdminError::Conflict(
                "the revocation conflicted with another; try again".into(),
            )),
        }
    }
}
