//! Loading a seed catalog: the admin side, used by the `gatehouse` command only.

use std::sync::Arc;

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::model::Catalog;

#[async_trait]
pub trait Import: Send + Sync {
    /// Writes every record of a catalog. Applications, markets, stock locations, customer
    /// groups, customers and users replace the records with the same ids; the catalog's SKUs,
    /// prices and stock items replace the whole catalog of both environments, so that a record
    /// left out of the file is gone from every list.
    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError>;
}

/// How far a catalog import has come: the lists and entries compared with what is stored, and
/// the items written. Entries are the records as their lists hold them (a price stands in two
/// lists, a SKU in one per listing that shows it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportProgress {
    pub lists_done: u64,
    pub lists_total: u64,
    pub entries_done: u64,
    pub entries_total: u64,
    /// Entries and sizes put (new or changed).
    pub put: u64,
    /// Entries and sizes deleted.
    pub deleted: u64,
}

/// Told of an import's progress after each list, and once at its end.
pub type ProgressSink = Arc<dyn Fn(&ImportProgress) + Send + Sync>;
