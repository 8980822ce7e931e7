//! [`AuthorizationCodes`] on DynamoDB: a code item per hash; redemption is one
//! `TransactWriteItems` with the first refresh token of the code's family.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::keys::*;
use super::token_items::*;
use super::DynamoStore;
use crate::{AuthorizationCodes, Redemption, StoreError};
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::model::{AuthorizationCodeRecord, RefreshTokenRecord};
use gatehouse_core::secret::SecretHash;

#[async_trait]
impl AuthorizationCodes for DynamoStore {
    async fn create_authorization_code(
        &self,
        record: &AuthorizationCodeRecord,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(code_item(record)))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // The key is the hash of a new random code: the item there is this very put, sent
            // again by the SDK after the answer to its first send was lost.
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }

    async fn find_authorization_code(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<AuthorizationCodeRecord>, StoreError> {
        self.find(code_key(hash), code_from).await
    }

    async fn redeem_authorization_code(
        &self,
        code: &SecretHash,
        first_refresh_token: &RefreshTokenRecord,
        now: UnixMillis,
    ) -> Result<Redemption, StoreError> {
        let consume = Update::builder()
            .table_name(&self.table)
            .set_key(Some(code_key(code)))
            .update_expression("SET consumed_at = :now")
            .condition_expression(
                "attribute_exists(PK) AND attribute_not_exists(consumed_at) AND valid_until > :now \
                 AND application_id = :application AND family_id = :family",
            )
            .expression_attribute_values(":now", millis(now))
            .expression_attribute_values(":application", s(&first_refresh_token.application_id))
            .expression_attribute_values(":family", s(&first_refresh_token.family_id))
            .build()
            .map_err(StoreError::unavailable)?;
        let family = family_item(
            &first_refresh_token.family_id,
            first_refresh_token.expires_at,
        );
        let result = self
            .transact_idempotently(vec![
                TransactWriteItem::builder().update(consume).build(),
                self.new_item_write(family)?,
                self.new_item_write(refresh_item(first_refresh_token))?,
            ])
            .await;
        match result {
            Ok(_) => Ok(Redemption::Redeemed),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                // The first refresh token is this redemption's alone: if it exists, this
                // redemption committed (a resend refused for the code it consumed itself).
                let token = refresh_key(&first_refresh_token.token_hash);
                if self.get(token).await?.is_some() {
                    return Ok(Redemption::Redeemed);
                }
                let found = self.find_authorization_code(code).await?;
                Ok(Redemption::NotActive(found.map(Box::new)))
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}
