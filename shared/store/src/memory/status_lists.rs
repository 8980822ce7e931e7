//! [`StatusLists`] in memory, beside the revocations under the tokens' lock.

use async_trait::async_trait;

use super::MemoryStore;
use crate::{StatusLists, StoreError, StoredList};
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::status_list::PublishedEpoch;

#[async_trait]
impl StatusLists for MemoryStore {
    async fn reserve_status_indexes(&self, window: u64, count: u64) -> Result<u64, StoreError> {
        let mut table = self.tokens();
        let list = table.status_lists.entry(window).or_default();
        let first = list.size;
        list.size += count;
        Ok(first)
    }

    async fn revoke_status_index(&self, window: u64, index: u64) -> Result<(), StoreError> {
        let mut table = self.tokens();
        let list = table.status_lists.entry(window).or_default();
        if let Err(place) = list.revoked.binary_search(&index) {
            list.revoked.insert(place, index);
        }
        Ok(())
    }

    async fn status_list(&self, window: u64) -> Result<StoredList, StoreError> {
        Ok(self
            .tokens()
            .status_lists
            .get(&window)
            .cloned()
            .unwrap_or_default())
    }

    async fn epochs_after(&self, after: UnixSeconds) -> Result<Vec<PublishedEpoch>, StoreError> {
        let table = self.tokens();
        let mut epochs: Vec<PublishedEpoch> = table
            .epochs
            .iter()
            .filter(|(_, epoch)| **epoch > after)
            .map(|(subject, epoch)| PublishedEpoch {
                subject: subject.clone(),
                before: epoch.0,
            })
            .collect();
        epochs.sort_by(|a, b| (a.before, &a.subject).cmp(&(b.before, &b.subject)));
        Ok(epochs)
    }
}
