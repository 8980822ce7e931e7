//! Loading a seed catalog: the admin side, used by the `gatehouse` command only.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::model::Catalog;

#[async_trait]
pub trait Import: Send + Sync {
    /// Writes every record of a catalog, replacing records with the same ids.
    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError>;
}
