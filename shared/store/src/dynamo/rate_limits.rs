//! [`RateLimits`] on DynamoDB: the window is a shift register of the last `limit` accepted
//! times, moved by one conditional `UpdateItem`.
//!
//! What one decision costs, and how it grows with the limit: the update names every place
//! (`t<limit> = t<limit-1>, …`), and an accepted request gets back the window as it is now
//! (`ALL_NEW`: the times, which `RateLimit-Remaining` and `RateLimit-Reset` are counted from,
//! and the item's key and expiry; `UPDATED_NEW` would be shorter, but may leave out a place
//! whose value did not change, as moto does when two requests share a millisecond, and the
//! count would miss one); a refused one gets back the item as it was. So request, response
//! and item all grow linearly with the limit, about 11 bytes a place: at the default limit of
//! 30 the item is under 500 bytes, one write unit (see the test below); at the largest, 300,
//! it is about 3.5 KB, four write units a request. A shift register keeps the decision exact
//! and one round trip: DynamoDB cannot name an attribute from a value it holds, so a ring
//! buffer with a stored head would need a read before every write.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::keys::*;
use super::DynamoStore;
use std::time::Duration;

use crate::{RateLimits, StoreError};
use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::ratelimit::{RateLimitOutcome, RateLimitPolicy};

/// The accepted request times of a rate-limit window item, newest first.
pub(super) fn window_times(item: &Item, limit: u32) -> Vec<UnixMillis> {
    (1..=limit)
        .map(|i| match item.get(&format!("t{i}")) {
            Some(AttributeValue::N(value)) => UnixMillis(value.parse().unwrap_or(0)),
            _ => UnixMillis(0),
        })
        .collect()
}

/// `SET t<limit> = t<limit-1>, …, t2 = t1, t1 = :now, expires_at = :expires`: one shift of
/// the window, evaluated against the item as it was before the update.
fn shift_expression(limit: u32) -> String {
    let shifts: String = (2..=limit)
        .rev()
        .map(|i| format!("t{i} = t{}, ", i - 1))
        .collect();
    format!("SET {shifts}t1 = :now, expires_at = :expires")
}

impl DynamoStore {
    /// Creates a window item holding one accepted request. False when it already existed.
    async fn create_window(
        &self,
        key: Item,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        let mut item = key;
        item.insert("t1".into(), millis(now));
        for i in 2..=policy.limit {
            item.insert(format!("t{i}"), n(0));
        }
        item.insert(TTL_ATTRIBUTE.into(), seconds(expiry(policy, now)));
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(PK)")
                .customize()
                .config_override(sent_once())
                .send()
                .await
            {
                Ok(_) => return Ok(true),
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    return Ok(false)
                }
                Err(error) if never_sent(&error) && attempts < MAX_UNSENT_ATTEMPTS => continue,
                Err(error) => return Err(StoreError::unavailable(error)),
            }
        }
    }
}

/// Whether a write failed before any of it reached DynamoDB: the connection could not be made
/// within the connect timeout. The HTTP client has no read timeout of its own (the attempt
/// timeout is the SDK's, a `TimeoutError`), so a dispatch failure that is a timeout is a
/// connect timeout. Such a write is safe to send again, unlike one whose answer was lost.
fn never_sent<E, R>(error: &SdkError<E, R>) -> bool {
    matches!(error, SdkError::DispatchFailure(failure) if failure.is_timeout())
}

/// How many times a window write is tried when the connection cannot be made: a burst of
/// new connections can overflow a listen backlog, and a dropped SYN is retried by the kernel
/// only after a second, as long as the connect timeout.
const MAX_UNSENT_ATTEMPTS: u32 = 3;

/// The window's writes are sent once, without the SDK's retries: an attempt whose answer is
/// lost (a timeout, a 500) may have been applied, and its resend would then count the same
/// request a second time, or refuse it for the place it took itself. So a failed write is a
/// 503 (a request the limiter may have accepted, and counted as any accepted request is), and
/// the window holds exactly the requests it accepted. A resend could never turn a refusal into
/// an admission anyway: it carries the same cutoff, and a window's oldest kept time only grows.
fn sent_once() -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::default()
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::standard().with_max_attempts(1))
}

/// A condition: every place of the window holds a time at or before `value` (an empty place
/// holds 0). Every place, not just `t1`: `t1` is the time counted last, and requests from
/// several instances reach the table out of order, so a later time may sit further down.
/// None past `max_places` places (at most [`MAX_LIMIT_IN_ONE_CONDITION`], past which it would
/// pass DynamoDB's 4 KB expression limit): the caller then reads the window instead.
pub(super) fn all_times_at_or_before(limit: u32, max_places: u32, value: &str) -> Option<String> {
    if limit > max_places.min(MAX_LIMIT_IN_ONE_CONDITION) {
        return None;
    }
    let places: Vec<String> = (1..=limit).map(|i| format!("t{i}<={value}")).collect();
    Some(format!("({})", places.join(" AND ")))
}

/// The largest window [`all_times_at_or_before`] names in one condition.
pub(super) const MAX_LIMIT_IN_ONE_CONDITION: u32 = 200;

/// When TTL may delete a window last written at `now`: a second after its last request left it.
pub(super) fn expiry(policy: &RateLimitPolicy, now: UnixMillis) -> UnixSeconds {
    (now + policy.window).ceil_seconds() + Duration::from_secs(1)
}

#[async_trait]
impl RateLimits for DynamoStore {
    async fn hit_rate_limit(
        &self,
        client_key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<RateLimitOutcome, StoreError> {
        let limit = policy.limit;
        let oldest = format!("t{limit}");
        // A handful of rounds covers the one race there is (two first requests creating the
        // item), and a connection that could not be made.
        for _ in 0..=MAX_UNSENT_ATTEMPTS {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(rate_key(client_key, policy)))
                .update_expression(shift_expression(limit))
                .condition_expression("attribute_exists(#oldest) AND #oldest <= :cutoff")
                .expression_attribute_names("#oldest", &oldest)
                .expression_attribute_values(":now", millis(now))
                .expression_attribute_values(":cutoff", millis(policy.cutoff(now)))
                .expression_attribute_values(":expires", seconds(expiry(policy, now)))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .customize()
                .config_override(sent_once())
                .send()
                .await;
            let previous = match result {
                Ok(output) => {
                    let times = output
                        .attributes()
                        .map(|item| window_times(item, limit))
                        .unwrap_or_default();
                    return Ok(policy.outcome(true, &times, now));
                }
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    match e.err() {
                        UpdateItemError::ConditionalCheckFailedException(failed) => {
                            failed.item().cloned()
                        }
                        _ => None,
                    }
                }
                Err(error) if never_sent(&error) => continue,
                Err(error) => return Err(StoreError::unavailable(error)),
            };
            let previous = match previous {
                Some(item) => item,
                // No old item came back: most likely there is none yet, so create the window.
                None => {
                    if self
                        .create_window(rate_key(client_key, policy), policy, now)
                        .await?
                    {
                        return Ok(policy.outcome(true, &[now], now));
                    }
                    // It exists after all (created meanwhile, or an API that returns no old item).
                    match self.get(rate_key(client_key, policy)).await? {
                        Some(item) => item,
                        None => continue,
                    }
                }
            };
            let times = window_times(&previous, limit);
            if !policy.admits(&times, now) {
                return Ok(policy.outcome(false, &times, now));
            }
            // The window moved between the update and the read: try again.
        }
        Err(StoreError::Unavailable(
            "rate-limit window kept changing under contention".into(),
        ))
    }

    async fn clear_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        up_to: UnixMillis,
    ) -> Result<(), StoreError> {
        // Usually no attempt came after the login: delete the window while none of its times
        // is later. Else (or when the window is too large to say so in one condition) rewrite
        // it with only the later times.
        for _ in 0..4 {
            let Some(none_later) =
                all_times_at_or_before(policy.limit, self.places_in_one_condition, ":up_to")
            else {
                let Some(window) = self.get(rate_key(key, policy)).await? else {
                    return Ok(());
                };
                if self.keep_times_after(key, policy, &window, up_to).await? {
                    return Ok(());
                }
                continue;
            };
            let deleted = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(rate_key(key, policy)))
                .condition_expression(format!("attribute_not_exists(t1) OR {none_later}"))
                .expression_attribute_values(":up_to", millis(up_to))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let window = match deleted {
                Ok(_) => return Ok(()),
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    match e.err() {
                        DeleteItemError::ConditionalCheckFailedException(failed) => {
                            failed.item().cloned()
                        }
                        _ => None,
                    }
                }
                Err(error) => return Err(StoreError::unavailable(error)),
            };
            let window = match window {
                Some(window) => window,
                None => match self.get(rate_key(key, policy)).await? {
                    Some(window) => window,
                    None => return Ok(()),
                },
            };
            if self.keep_times_after(key, policy, &window, up_to).await? {
                return Ok(());
            }
            // Another attempt was counted between the read and the rewrite: look again.
        }
        Err(StoreError::Unavailable(
            "rate-limit window kept changing while a login cleared it".into(),
        ))
    }
}

impl DynamoStore {
    /// Rewrites `window` (as read) with only its times after `up_to`, in their order, when no
    /// attempt was counted since it was read (its two newest places unchanged). A `PutItem`,
    /// not an update: an update naming every place would pass DynamoDB's 4 KB expression
    /// limit at the largest limits. False when the window changed meanwhile.
    async fn keep_times_after(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        window: &Item,
        up_to: UnixMillis,
    ) -> Result<bool, StoreError> {
        let kept: Vec<UnixMillis> = window_times(window, policy.limit)
            .into_iter()
            .filter(|&time| time > up_to)
            .collect();
        let mut item = rate_key(key, policy);
        for place in 1..=policy.limit {
            let time = kept
                .get(place as usize - 1)
                .copied()
                .unwrap_or(UnixMillis(0));
            item.insert(format!("t{place}"), millis(time));
        }
        if let Some(expires) = window.get(TTL_ATTRIBUTE) {
            item.insert(TTL_ATTRIBUTE.into(), expires.clone());
        }
        let unchanged = |place: &str| window.get(place).cloned().unwrap_or(n(0));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("t1 = :t1 AND (attribute_not_exists(t2) OR t2 = :t2)")
            .expression_attribute_values(":t1", unchanged("t1"))
            .expression_attribute_values(":t2", unchanged("t2"))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clearing_condition_names_every_place_and_fits_dynamodbs_limit() {
        assert_eq!(
            all_times_at_or_before(2, MAX_LIMIT_IN_ONE_CONDITION, ":u").as_deref(),
            Some("(t1<=:u AND t2<=:u)")
        );
        let largest = all_times_at_or_before(
            MAX_LIMIT_IN_ONE_CONDITION,
            MAX_LIMIT_IN_ONE_CONDITION,
            ":up_to",
        )
        .unwrap();
        // With the sign-in's other conditions around it, under DynamoDB's 4 KB.
        assert!(largest.len() + 120 < 4096, "{}", largest.len());
        assert_eq!(
            all_times_at_or_before(MAX_LIMIT_IN_ONE_CONDITION + 1, u32::MAX, ":n"),
            None
        );
    }

    #[test]
    fn the_shift_expression_moves_every_time_down_one_place() {
        assert_eq!(shift_expression(1), "SET t1 = :now, expires_at = :expires");
        assert_eq!(
            shift_expression(3),
            "SET t3 = t2, t2 = t1, t1 = :now, expires_at = :expires"
        );
    }

    /// DynamoDB's item size: each attribute's name, plus a number's 1 byte per two significant
    /// digits and 1 more, or a string's bytes.
    fn item_size(item: &Item) -> usize {
        item.iter()
            .map(|(name, value)| {
                name.len()
                    + match value {
                        AttributeValue::N(number) => {
                            let digits = number.trim_start_matches('0').trim_end_matches('0');
                            digits.len().div_ceil(2) + 1
                        }
                        AttributeValue::S(text) => text.len(),
                        other => panic!("unexpected attribute {other:?}"),
                    }
            })
            .sum()
    }

    #[test]
    fn a_full_window_at_the_default_limit_is_one_write_unit() {
        let policy = RateLimitPolicy::default();
        // The longest key there is: a full IPv6 address.
        let mut item = rate_key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &policy);
        let now = UnixMillis(4_102_444_800_123); // 2100-01-01, 13 digits
        for i in 1..=policy.limit {
            item.insert(
                format!("t{i}"),
                millis(UnixMillis(now.0 - u64::from(i) * 7)),
            );
        }
        item.insert(TTL_ATTRIBUTE.into(), seconds(expiry(&policy, now)));
        let size = item_size(&item);
        assert!(size <= 1024, "{size} bytes");
    }

    #[test]
    fn the_largest_window_fits_dynamodbs_4_kb_expression_limit() {
        assert!(shift_expression(gatehouse_core::ratelimit::MAX_LIMIT).len() < 4096);
    }
}
