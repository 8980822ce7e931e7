//! [`Clients`] on DynamoDB: one strongly consistent `BatchGetItem` for the application and
//! every scope record a token request names.

use async_trait::async_trait;

use super::items::*;
use super::keys::*;
use super::DynamoStore;
use crate::{ClientWithScope, Clients, StoreError};
use gatehouse_core::model::{Application, Market, Mode, StockLocation};
use gatehouse_core::scope::ResourceRef;

/// The keys of the records of one partition that `refs` name, each under every name it has.
fn ref_keys(partition: String, refs: &[ResourceRef]) -> impl Iterator<Item = Item> + '_ {
    refs.iter()
        .map(move |r| key(partition.clone(), ref_sort_key(r)))
}

impl DynamoStore {
    /// The records of one partition that any of `refs` names (each is stored under every name
    /// it has), once each, by id.
    async fn find_aliased<T>(
        &self,
        partition: String,
        refs: &[ResourceRef],
        from: fn(&Item) -> Result<T, StoreError>,
        id: fn(&T) -> &str,
    ) -> Result<Vec<T>, StoreError> {
        if refs.is_empty() {
            return Ok(vec![]);
        }
        let mut records: Vec<T> = self
            .batch_get(ref_keys(partition, refs).collect())
            .await?
            .iter()
            .map(from)
            .collect::<Result<_, _>>()?;
        records.sort_by(|a, b| id(a).cmp(id(b)));
        records.dedup_by(|a, b| id(a) == id(b));
        Ok(records)
    }
}

#[async_trait]
impl Clients for DynamoStore {
    async fn find_application(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        self.find(app_key(client_id), application_from).await
    }

    async fn find_markets(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<Market>, StoreError> {
        self.find_aliased(market_partition(mode), refs, market_from, |m| &m.id)
            .await
    }

    async fn find_stock_locations(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<StockLocation>, StoreError> {
        self.find_aliased(location_partition(mode), refs, location_from, |l| &l.id)
            .await
    }

    async fn find_client_with_scope(
        &self,
        client_id: &str,
        market_refs: &[ResourceRef],
        stock_location_refs: &[ResourceRef],
    ) -> Result<Option<ClientWithScope>, StoreError> {
        let mut keys = vec![app_key(client_id)];
        for mode in Mode::ALL {
            keys.extend(ref_keys(market_partition(mode), market_refs));
            keys.extend(ref_keys(location_partition(mode), stock_location_refs));
        }
        let items = self.batch_get(keys).await?;
        let Some(application) = items
            .iter()
            .find(|item| item_type(item) == Some("application"))
            .map(application_from)
            .transpose()?
        else {
            return Ok(None);
        };
        let mut markets: Vec<Market> = Vec::new();
        let mut stock_locations: Vec<StockLocation> = Vec::new();
        for item in &items {
            match item_type(item) {
                Some("market") => {
                    let market = market_from(item)?;
                    if market.mode == application.mode && !markets.iter().any(|m| m.id == market.id)
                    {
                        markets.push(market);
                    }
                }
                Some("stock_location") => {
                    let location = location_from(item)?;
                    if location.mode == application.mode
                        && !stock_locations.iter().any(|l| l.id == location.id)
                    {
                        stock_locations.push(location);
                    }
                }
                _ => {}
            }
        }
        Ok(Some(ClientWithScope {
            application,
            markets,
            stock_locations,
        }))
    }
}
