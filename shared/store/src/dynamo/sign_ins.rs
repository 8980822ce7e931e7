//! [`SignIns`] on DynamoDB. Each window is a rate-limit window item (a shift register of the
//! last `limit` failure times, see `rate_limits.rs`), and each step is one `TransactWriteItems`
//! over both of an account's windows:
//! - a failure shifts both windows (an `Update` each, conditioned on the window having room);
//!   a refusal comes back with the full window as it was, so its hold is exact. Four write
//!   units (two items, transactional), against one for a plain window hit.
//! - a right password puts what the sign-in grants (a refresh token and its family, or an
//!   authorization code) with a `ConditionCheck` that the account's window has room and a
//!   `Delete` of the address's window while it has room and holds no failure later than the
//!   sign-in. When a later failure sits in it (a request that ran alongside) or the window is
//!   too large to say so in one condition, the address's window is only checked, and its
//!   failures up to the sign-in are forgotten after the commit.
//!
//! Every transaction goes under one idempotency token, so a resend of one whose answer was lost
//! is not applied twice.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::keys::*;
use super::rate_limits::{all_times_at_or_before, expiry, window_times};
use super::token_items::*;
use super::DynamoStore;
use crate::sign_ins::windows;
use crate::{RateLimits, SignInGrant, SignIns, StoreError};
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::sign_in::{SignInCheck, SignInKeys, SignInPolicy};

/// A window admits one more failure: no window yet, or its oldest kept place has left it.
const WINDOW_HAS_ROOM: &str =
    "attribute_not_exists(PK) OR attribute_not_exists(#oldest) OR #oldest <= :cutoff";

/// How often a step is tried again when another transaction on the same items got in the way.
const CONFLICT_ROUNDS: usize = 4;

/// `SET t<limit> = if_not_exists(t<limit-1>, :empty), …, t1 = :now, expires_at = :expires`:
/// one shift of the window, whether or not its item exists yet (so that the first failure
/// needs no separate create). The sign-in limits are small enough ([`gatehouse_core::sign_in::
/// MAX_SIGN_IN_LIMIT`]) for this longer form to stay under DynamoDB's 4 KB expression limit.
fn shift_creating(limit: u32) -> String {
    let shifts: String = (2..=limit)
        .rev()
        .map(|i| format!("t{i} = if_not_exists(t{}, :empty), ", i - 1))
        .collect();
    format!("SET {shifts}t1 = :now, expires_at = :expires")
}

/// How one sign-in transaction ended.
enum Sent {
    Committed,
    /// Cancelled: the windows whose conditions failed, as they were then (by position).
    Refused([Option<Item>; 2]),
    /// Cancelled by a concurrent transaction on the same items: nothing was written.
    Conflict,
}

impl DynamoStore {
    /// A transaction's part on the window `key` under `policy`: a `ConditionCheck` that it has
    /// room, or that check as the condition of `step` (an `Update` or `Delete` built here).
    fn window_condition(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(rate_key(key, policy)))
            .condition_expression(WINDOW_HAS_ROOM)
            .expression_attribute_names("#oldest", format!("t{}", policy.limit))
            .expression_attribute_values(":cutoff", millis(policy.cutoff(now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    fn count_in_window(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(rate_key(key, policy)))
            .update_expression(shift_creating(policy.limit))
            .condition_expression(WINDOW_HAS_ROOM)
            .expression_attribute_names("#oldest", format!("t{}", policy.limit))
            .expression_attribute_values(":cutoff", millis(policy.cutoff(now)))
            .expression_attribute_values(":now", millis(now))
            .expression_attribute_values(":empty", n(0))
            .expression_attribute_values(":expires", seconds(expiry(policy, now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Deletes the window while it has room and holds no time later than `now`; None when
    /// the window is too large to say so in one condition.
    fn clear_window(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(none_later) =
            all_times_at_or_before(policy.limit, self.places_in_one_condition, ":now")
        else {
            return Ok(None);
        };
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(rate_key(key, policy)))
            .condition_expression(format!(
                "({WINDOW_HAS_ROOM}) AND (attribute_not_exists(PK) OR {none_later})"
            ))
            .expression_attribute_names("#oldest", format!("t{}", policy.limit))
            .expression_attribute_values(":cutoff", millis(policy.cutoff(now)))
            .expression_attribute_values(":now", millis(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(Some(TransactWriteItem::builder().delete(delete).build()))
    }

    /// Sends the two window parts (first) with `grant`'s puts, under one idempotency token.
    async fn send_sign_in(
        &self,
        window_parts: [TransactWriteItem; 2],
        grant: Option<SignInGrant<'_>>,
    ) -> Result<Sent, StoreError> {
        let mut writes = window_parts.to_vec();
        let (created, items) = match grant {
            Some(SignInGrant::RefreshToken(record)) => (
                Some(refresh_key(&record.token_hash)),
                vec![
                    family_item(&record.family_id, record.expires_at),
                    refresh_item(record),
                ],
            ),
            Some(SignInGrant::AuthorizationCode(record)) => {
                (Some(code_key(&record.code_hash)), vec![code_item(record)])
            }
            None => (None, vec![]),
        };
        for item in items {
            writes.push(self.new_item_write(item)?);
        }
        let error = match self.transact_idempotently(writes).await {
            Ok(_) => return Ok(Sent::Committed),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => e,
            Err(error) => return Err(StoreError::unavailable(error)),
        };
        let TransactWriteItemsError::TransactionCanceledException(cancelled) = error.err() else {
            return Err(StoreError::unavailable(SdkError::ServiceError(error)));
        };
        let reasons = cancelled.cancellation_reasons();
        let window = |i: usize| {
            reasons
                .get(i)
                .filter(|reason| reason.code() == Some("ConditionalCheckFailed"))
                .map(|reason| reason.item().cloned().unwrap_or_default())
        };
        let refused = [window(0), window(1)];
        if refused.iter().any(Option::is_some) {
            return Ok(Sent::Refused(refused));
        }
        // What this step puts is its own (the hash of a new random value): it exists exactly
        // when an earlier send of this transaction committed and its answer was lost.
        if let Some(key) = created {
            if self.get(key).await?.is_some() {
                return Ok(Sent::Committed);
            }
        }
        if reasons
            .iter()
            .any(|reason| reason.code() == Some("TransactionConflict"))
        {
            return Ok(Sent::Conflict);
        }
        Err(StoreError::unavailable(SdkError::ServiceError(error)))
    }
}

/// The holds among `refused` (the windows as their conditions found them), by position.
fn holds(
    keys: &SignInKeys,
    policy: &SignInPolicy,
    refused: &[Option<Item>; 2],
    now: UnixMillis,
) -> SignInCheck {
    SignInCheck::longest(windows(keys, policy).into_iter().zip(refused).filter_map(
        |((which, _, window), found)| {
            let times = window_times(found.as_ref()?, window.limit);
            (!window.admits(&times, now)).then(|| (which, window.outcome(false, &times, now)))
        },
    ))
}

/// What a sent step decides: the check to answer, or None to send it again (a conflict, or a
/// window that refused it but has room again).
fn decided(
    sent: Sent,
    keys: &SignInKeys,
    policy: &SignInPolicy,
    now: UnixMillis,
) -> Option<SignInCheck> {
    match sent {
        Sent::Committed => Some(SignInCheck::Admitted),
        Sent::Refused(refused) => match holds(keys, policy, &refused, now) {
            SignInCheck::Admitted => None,
            held => Some(held),
        },
        Sent::Conflict => None,
    }
}

fn kept_changing() -> StoreError {
    StoreError::Unavailable("sign-in windows kept changing under contention".into())
}

#[async_trait]
impl SignIns for DynamoStore {
    async fn count_failed_sign_in(
        &self,
        keys: &SignInKeys,
        policy: &SignInPolicy,
        now: UnixMillis,
    ) -> Result<SignInCheck, StoreError> {
        for _ in 0..CONFLICT_ROUNDS {
            let [address, account] = windows(keys, policy)
                .map(|(_, key, window)| self.count_in_window(key, window, now));
            let sent = self.send_sign_in([address?, account?], None).await?;
            if let Some(check) = decided(sent, keys, policy, now) {
                return Ok(check);
            }
        }
        Err(kept_changing())
    }

    async fn complete_sign_in(
        &self,
        keys: &SignInKeys,
        policy: &SignInPolicy,
        grant: SignInGrant<'_>,
        now: UnixMillis,
    ) -> Result<SignInCheck, StoreError> {
        let account = || self.window_condition(&keys.account, &policy.account, now);
        // Usually no failure from this address came after the sign-in: its window is deleted
        // in the same transaction.
        if let Some(clear) = self.clear_window(&keys.from_address, &policy.from_address, now)? {
            let sent = self.send_sign_in([clear, account()?], Some(grant)).await?;
            if let Some(check) = decided(sent, keys, policy, now) {
                return Ok(check);
            }
        }
        // Room, but a later failure sits in the address's window (or it is too large to say
        // so in one condition): commit while both have room, then forget the address's
        // failures up to `now`, keeping the later ones.
        for _ in 0..CONFLICT_ROUNDS {
            let address = self.window_condition(&keys.from_address, &policy.from_address, now)?;
            let sent = self
                .send_sign_in([address, account()?], Some(grant))
                .await?;
            match decided(sent, keys, policy, now) {
                Some(SignInCheck::Admitted) => {
                    self.clear_rate_limit(&keys.from_address, &policy.from_address, now)
                        .await?;
                    return Ok(SignInCheck::Admitted);
                }
                Some(held) => return Ok(held),
                None => continue,
            }
        }
        Err(kept_changing())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_creating_shift_moves_every_place_and_fits_dynamodbs_limit() {
        assert_eq!(shift_creating(1), "SET t1 = :now, expires_at = :expires");
        assert_eq!(
            shift_creating(3),
            "SET t3 = if_not_exists(t2, :empty), t2 = if_not_exists(t1, :empty), \
             t1 = :now, expires_at = :expires"
        );
        assert!(shift_creating(gatehouse_core::sign_in::MAX_SIGN_IN_LIMIT).len() < 4096);
    }
}
