//! [`Assertions`] on DynamoDB: an item per used `jti`, written in one `TransactWriteItems` with
//! the login it begins (its family and first refresh token), each item conditional.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;

use super::keys::*;
use super::token_items::{family_item, refresh_item};
use super::transactions::Condition;
use super::DynamoStore;
use crate::{AssertionUse, Assertions, StoreError, UsedAssertion};
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::model::RefreshTokenRecord;

fn assertion_key(used: &UsedAssertion<'_>) -> Item {
    key(format!("ASSERTION#{}", used.key()), "ASSERTION".into())
}

#[async_trait]
impl Assertions for DynamoStore {
    async fn use_assertion(
        &self,
        used: &UsedAssertion<'_>,
        first_refresh_token: Option<&RefreshTokenRecord>,
        now: UnixMillis,
    ) -> Result<AssertionUse, StoreError> {
        // This use's own mark: a resend whose first send committed (the SDK's retry after a
        // lost answer, or ours after the idempotency token's window) finds it and is accepted.
        let use_id = gatehouse_core::secret::random_token(16);
        let mut item = assertion_key(used);
        item.insert("type".into(), s("used_assertion"));
        item.insert("use_id".into(), s(&use_id));
        item.insert(TTL_ATTRIBUTE.into(), seconds(used.kept_until));
        // TTL deletes an expired item days late: one past its time counts as gone.
        let unused = Condition::new("attribute_not_exists(PK) OR expires_at <= :now")
            .with(":now", seconds(now.floor_seconds()));
        let mut writes = vec![self.put_write(item, Some(unused))?];
        if let Some(record) = first_refresh_token {
            writes.push(self.new_item_write(family_item(&record.family_id, record.expires_at))?);
            writes.push(self.new_item_write(refresh_item(record))?);
        }
        match self.transact_idempotently(writes).await {
            Ok(_) => Ok(AssertionUse::Accepted),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                // Cancelled with nothing of anyone's there: a conflict with a concurrent use
                // that was cancelled too. Not a replay; the client may send it again.
                let Some(found) = self.get(assertion_key(used)).await? else {
                    return Err(StoreError::unavailable(e.into_err()));
                };
                let ours = found
                    .get("use_id")
                    .and_then(|value| value.as_s().ok())
                    .is_some_and(|found| *found == use_id);
                // Another use's record, but one past its time: the condition let this write
                // through, so a conflict cancelled it. Not a replay either.
                let remembered = found
                    .get(TTL_ATTRIBUTE)
                    .and_then(|value| value.as_n().ok())
                    .and_then(|seconds| seconds.parse::<u64>().ok())
                    .is_some_and(|until| until > now.floor_seconds().0);
                match (ours, remembered) {
                    (true, _) => Ok(AssertionUse::Accepted),
                    (false, true) => Ok(AssertionUse::Replayed),
                    (false, false) => Err(StoreError::unavailable(e.into_err())),
                }
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}
