//! The status lists' storage ([`gatehouse_core::status_list`]): indexes reserved by blocks,
//! revoked indexes per list, and the epochs a list publishes. A list's records are kept until
//! its last token has expired.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::status_list::PublishedEpoch;

/// One list as stored: how many indexes were reserved, and which are revoked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredList {
    pub size: u64,
    /// In ascending order, each once.
    pub revoked: Vec<u64>,
}

#[async_trait]
pub trait StatusLists: Send + Sync {
    /// Reserves `count` indexes of list `window` for one process, answering the first: one
    /// write per block, never one per token. A reservation sent again (an answer lost) only
    /// leaves a block unused, whose bits stay 0.
    async fn reserve_status_indexes(&self, window: u64, count: u64) -> Result<u64, StoreError>;

    /// Sets index `index` of list `window` revoked. Sent again, it changes nothing.
    async fn revoke_status_index(&self, window: u64, index: u64) -> Result<(), StoreError>;

    /// List `window` as stored; an unknown list is empty.
    async fn status_list(&self, window: u64) -> Result<StoredList, StoreError>;

    /// The epochs written with an epoch after `after`, each subject's latest.
    async fn epochs_after(&self, after: UnixSeconds) -> Result<Vec<PublishedEpoch>, StoreError>;
}
