//! [`StatusLists`] on DynamoDB. A list is a partition, `STATUSLIST#<window>`: its `SIZE` item
//! (the indexes reserved, one `ADD` per block) and a `CHUNK#<n>` item per 32,768 indexes
//! holding the revoked ones as a number set (one `ADD` per revocation, so a resend changes
//! nothing). The epochs a list publishes are read from the `EPOCH_LOG` partition, in epoch
//! order, which every epoch's write also puts (`revocations.rs`).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::keys::*;
use super::reader::Reader;
use super::DynamoStore;
use crate::{StatusLists, StoreError, StoredList};
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::revocation::EpochSubject;
use gatehouse_core::status_list::{list_kept_until, PublishedEpoch, CHUNK};

fn list_partition(window: u64) -> String {
    format!("STATUSLIST#{window}")
}

/// The partition of every epoch in force, in epoch order.
const EPOCH_LOG: &str = "EPOCH_LOG";

/// An epoch's entry in [`EPOCH_LOG`]: sorted by the epoch, then the subject.
pub(super) fn epoch_log_item(subject: &EpochSubject, epoch: UnixSeconds) -> Item {
    let mut item = key(
        EPOCH_LOG.into(),
        format!("at#{:012}#{}", epoch.0, subject.key()),
    );
    item.insert("type".into(), s("revocation_epoch_log"));
    item.insert("subject".into(), s(subject.key()));
    item.insert("epoch".into(), seconds(epoch));
    let kept = gatehouse_core::revocation::epoch_kept_until(epoch);
    item.insert(TTL_ATTRIBUTE.into(), seconds(kept));
    item
}

#[async_trait]
impl StatusLists for DynamoStore {
    async fn reserve_status_indexes(&self, window: u64, count: u64) -> Result<u64, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(list_partition(window), "SIZE".into())))
            // `size` is a reserved word of DynamoDB's expressions.
            .update_expression("ADD #size :count SET expires_at = :kept")
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":count", n(count))
            .expression_attribute_values(":kept", seconds(list_kept_until(window)))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let item = output.attributes().cloned().unwrap_or_default();
        let size: u64 = Reader { item: &item }.number("size")?;
        Ok(size.saturating_sub(count))
    }

    async fn revoke_status_index(&self, window: u64, index: u64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                list_partition(window),
                format!("CHUNK#{}", index / CHUNK),
            )))
            .update_expression("ADD revoked :index SET expires_at = :kept")
            .expression_attribute_values(":index", AttributeValue::Ns(vec![index.to_string()]))
            .expression_attribute_values(":kept", seconds(list_kept_until(window)))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn status_list(&self, window: u64) -> Result<StoredList, StoreError> {
        let mut list = StoredList::default();
        for item in self.query(&list_partition(window), None).await? {
            let r = Reader { item: &item };
            match item.get("SK") {
                Some(AttributeValue::S(sk)) if sk == "SIZE" => list.size = r.number("size")?,
                _ => match item.get("revoked") {
                    Some(AttributeValue::Ns(numbers)) => {
                        for number in numbers {
                            let index = number
                                .parse()
                                .map_err(|_| r.corrupt(format!("revoked holds '{number}'")))?;
                            list.revoked.push(index);
                        }
                    }
                    _ => return Err(r.corrupt("revoked is not a number set".into())),
                },
            }
        }
        list.revoked.sort_unstable();
        Ok(list)
    }

    async fn epochs_after(&self, after: UnixSeconds) -> Result<Vec<PublishedEpoch>, StoreError> {
        // Every entry whose epoch is after `after`: from the next second on.
        let from = format!("at#{:012}#", after.0 + 1);
        let mut latest: Vec<PublishedEpoch> = Vec::new();
        for item in self.query(EPOCH_LOG, Some((&from, "at#~"))).await? {
            let r = Reader { item: &item };
            let entry = PublishedEpoch {
                subject: r.string("subject")?,
                before: r.number("epoch")?,
            };
            // In epoch order: a subject's later entry replaces its earlier one.
            latest.retain(|kept| kept.subject != entry.subject);
            latest.push(entry);
        }
        Ok(latest)
    }
}
