//! [`RefreshTokens`] on DynamoDB: a token item per hash and a family item per login; rotation
//! is one `TransactWriteItems`.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};

use super::keys::*;
use super::reader::Reader;
use super::revocations::epoch_key;
use super::token_items::*;
use super::DynamoStore;
use crate::{RefreshTokens, Revocations, Rotation, StoreError};
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::lifetime::MAX_CUSTOM_LIFETIME;
use gatehouse_core::model::{RefreshTokenRecord, RefreshTokenState};
use gatehouse_core::revocation::{login_ended, login_subjects};
use gatehouse_core::secret::SecretHash;

/// A token record with what its family item (if there still is one) says.
fn token_state(
    record: RefreshTokenRecord,
    family: Option<&Item>,
) -> Result<RefreshTokenState, StoreError> {
    let revoked = family.map(|item| Reader { item }.boolean("revoked"));
    Ok(RefreshTokenState {
        record,
        // A family gone (TTL) is as good as revoked.
        family_revoked: revoked.transpose()?.unwrap_or(true),
    })
}

impl DynamoStore {
    /// A condition on each epoch that could end `successor`'s login: none is after the login
    /// began. Checked in the rotation's transaction, so that an epoch written meanwhile is seen.
    fn no_epoch_after_login(
        &self,
        successor: &RefreshTokenRecord,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let subjects = login_subjects(successor);
        let since = seconds(successor.authenticated_at.floor_seconds());
        [
            Some(&subjects.application),
            subjects.owner.as_ref(),
            subjects.market.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|subject| {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(epoch_key(subject)))
                .condition_expression("attribute_not_exists(epoch) OR epoch <= :since")
                .expression_attribute_values(":since", since.clone())
                .build()
                .map_err(StoreError::unavailable)?;
            Ok(TransactWriteItem::builder().condition_check(check).build())
        })
        .collect()
    }
}

/// Attempts at a rotation that conflicts with others before it is answered as unavailable.
const ROTATION_ATTEMPTS: u32 = 4;

#[async_trait]
impl RefreshTokens for DynamoStore {
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .transact_items(self.new_item_write(family_item(&record.family_id, record.expires_at))?)
            .transact_items(self.new_item_write(refresh_item(record))?)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenState>, StoreError> {
        let Some(item) = self.get(refresh_key(hash)).await? else {
            return Ok(None);
        };
        let record = refresh_from(&item)?;
        let family = self.get(family_key(&record.family_id)).await?;
        Ok(Some(token_state(record, family.as_ref())?))
    }

    async fn find_refresh_token_in_family(
        &self,
        hash: &SecretHash,
        family_id: &str,
    ) -> Result<Option<RefreshTokenState>, StoreError> {
        let token_key = key_string(&refresh_key(hash));
        let found = self
            .batch_get(vec![refresh_key(hash), family_key(family_id)])
            .await?;
        let Some(item) = found.iter().find(|item| key_string(item) == token_key) else {
            return Ok(None);
        };
        let record = refresh_from(item)?;
        let own_family = key_string(&family_key(&record.family_id));
        let family = match found.iter().find(|item| key_string(item) == own_family) {
            Some(family) => Some(family.clone()),
            // Not the family hinted at (or gone): read the token's own.
            None if record.family_id != family_id => {
                self.get(family_key(&record.family_id)).await?
            }
            None => None,
        };
        Ok(Some(token_state(record, family.as_ref())?))
    }

    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: &RefreshTokenRecord,
        now: UnixMillis,
    ) -> Result<Rotation, StoreError> {
        // A few attempts: DynamoDB may cancel a transaction for a conflict with another one
        // still being applied or that itself failed, leaving the presented token active. Each
        // waits a little longer, so that the rotation in flight has committed by the next.
        for attempt in 0..ROTATION_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(25 * u64::from(attempt))).await;
            }
            let family = Update::builder()
                .table_name(&self.table)
                .set_key(Some(family_key(&successor.family_id)))
                .update_expression("SET expires_at = :expires")
                .condition_expression("revoked = :false")
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":expires", seconds(ttl_after(successor.expires_at)))
                .build()
                .map_err(StoreError::unavailable)?;
            let consume = Update::builder()
                .table_name(&self.table)
                .set_key(Some(refresh_key(presented)))
                .update_expression("SET consumed_at = :now")
                .condition_expression(
                    "attribute_exists(PK) AND attribute_not_exists(consumed_at) AND valid_until > :now AND family_id = :family",
                )
                .expression_attribute_values(":now", millis(now))
                .expression_attribute_values(":family", s(&successor.family_id))
                .build()
                .map_err(StoreError::unavailable)?;
            let mut writes = vec![
                TransactWriteItem::builder().update(family).build(),
                TransactWriteItem::builder().update(consume).build(),
                self.new_item_write(refresh_item(successor))?,
            ];
            writes.extend(self.no_epoch_after_login(successor)?);
            // A new idempotency token per round: the round before was cancelled, not lost.
            let result = self.transact_idempotently(writes).await;
            match result {
                Ok(_) => return Ok(Rotation::Rotated),
                Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                    // The successor is ours alone: if it exists, this rotation committed.
                    let successor_key = refresh_key(&successor.token_hash);
                    if self.get(successor_key).await?.is_some() {
                        return Ok(Rotation::Rotated);
                    }
                    let state = self.find_refresh_token(presented).await?;
                    let still_active = state
                        .as_ref()
                        .is_some_and(|st| st.can_rotate_into(&successor.family_id, now));
                    if !still_active {
                        return Ok(Rotation::NotActive(state.map(Box::new)));
                    }
                    let subjects = login_subjects(successor);
                    let epochs = self.revocation_state(&subjects).await?.epochs;
                    if login_ended(successor, &epochs).is_some() {
                        return Ok(Rotation::LoginEnded);
                    }
                }
                Err(error) => return Err(StoreError::unavailable(error)),
            }
        }
        Err(StoreError::Unavailable(
            "refresh token rotation kept conflicting".into(),
        ))
    }

    async fn revoke_refresh_family(&self, family_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(family_key(family_id)))
            // Kept as long as the access tokens issued from the login can live: the family
            // item's TTL follows its refresh tokens (days), an access token may live a year.
            .update_expression("SET revoked = :true, expires_at = expires_at + :longest")
            .condition_expression("attribute_exists(PK) AND revoked = :false")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":longest", n(MAX_CUSTOM_LIFETIME))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already revoked, or gone: nothing left to revoke.
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}
