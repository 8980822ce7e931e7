//! Loading a seed catalog: the admin side, used by the `gatehouse` command only.

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
