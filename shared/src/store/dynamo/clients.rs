//! [`Clients`] on DynamoDB: one strongly consistent `BatchGetItem` for the application and
//! every scope record a token request names.

use async_trait::async_trait;

use super::items::*;
use super::keys::*;
use super::DynamoStore;
use crate::model::{Application, Market, Mode, StockLocation};
use crate::scope::ResourceRef;
use crate::store::{ClientWithScope, Clients, StoreError};

#[async_trait]
impl Clients for DynamoStore {
    async fn find_application(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        match self.get(app_key(client_id)).await? {
            Some(item) => application_from(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn find_markets(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<Market>, StoreError> {
        if refs.is_empty() {
            return Ok(vec![]);
        }
        let keys = refs
            .iter()
            .map(|r| key(market_partition(mode), ref_sort_key(r)))
            .collect();
        let mut markets: Vec<Market> = self
            .batch_get(keys)
            .await?
            .iter()
            .map(market_from)
            .collect::<Result<_, _>>()?;
        markets.sort_by(|a, b| a.id.cmp(&b.id));
        markets.dedup_by(|a, b| a.id == b.id);
        Ok(markets)
    }

    async fn find_stock_locations(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<StockLocation>, StoreError> {
        if refs.is_empty() {
            return Ok(vec![]);
        }
        let keys = refs
            .iter()
            .map(|r| key(location_partition(mode), ref_sort_key(r)))
            .collect();
        let mut locations: Vec<StockLocation> = self
            .batch_get(keys)
            .await?
            .iter()
            .map(location_from)
            .collect::<Result<_, _>>()?;
        locations.sort_by(|a, b| a.id.cmp(&b.id));
        locations.dedup_by(|a, b| a.id == b.id);
        Ok(locations)
    }

    async fn find_client_with_scope(
        &self,
        client_id: &str,
        market_refs: &[ResourceRef],
        stock_location_refs: &[ResourceRef],
    ) -> Result<Option<ClientWithScope>, StoreError> {
        let mut keys = vec![app_key(client_id)];
        for mode in Mode::ALL {
            keys.extend(
                market_refs
                    .iter()
                    .map(|r| key(market_partition(mode), ref_sort_key(r))),
            );
            keys.extend(
                stock_location_refs
                    .iter()
                    .map(|r| key(location_partition(mode), ref_sort_key(r))),
            );
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
