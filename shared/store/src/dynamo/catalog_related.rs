//! The records related to a page's (`include`): a SKU's prices and stock items, each one range
//! of a list ordered by SKU code first, and price lists by key. A page of 25 SKUs costs 25
//! `Query`s for each relationship, sent at most [`QUERIES_AT_ONCE`] at a time; each reads only
//! the SKU's own entries (a price per price list, a stock item per location).

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};

use super::catalog_items::{price_from, price_list_from, stock_from};
use super::keys::*;
use super::lists::*;
use super::DynamoStore;
use crate::catalog::{order, related_in_order};
use crate::StoreError;
use gatehouse_core::model::{CatalogView, Mode, Price, PriceList, StockItem};

/// The most range reads of one request in flight at once.
const QUERIES_AT_ONCE: usize = 10;

impl DynamoStore {
    /// The entries of `partition` whose place starts with each of `codes`, as records.
    async fn by_sku_code<T>(
        &self,
        partition: &str,
        codes: &[String],
        from: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut codes = codes.to_vec();
        codes.sort();
        codes.dedup();
        let ranges = codes.into_iter().map(|code| async move {
            let from_key = format!("{ENTRY_PREFIX}{code}{PLACE_SEPARATOR}");
            let to_key = format!("{from_key}\u{10FFFF}");
            self.query(partition, Some((&from_key, &to_key))).await
        });
        let found: Vec<Vec<Item>> = futures::stream::iter(ranges)
            .buffer_unordered(QUERIES_AT_ONCE)
            .try_collect()
            .await?;
        found.iter().flatten().map(from).collect()
    }

    pub(super) async fn prices_by_sku_code(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<Price>>, StoreError> {
        let partition = list_partition(&prices_shown(view));
        let prices = self.by_sku_code(&partition, codes, price_from).await?;
        let shown = (prices.into_iter())
            .filter(|price| view.shows_price(price))
            .map(Arc::new);
        Ok(related_in_order(shown.collect(), order::prices))
    }

    pub(super) async fn stock_by_sku_code(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<StockItem>>, StoreError> {
        // Every location's item of the SKU is read; a market's view keeps its locations'.
        let partition = named_partition(view.mode(), STOCK_BY_SKU);
        let items = self.by_sku_code(&partition, codes, stock_from).await?;
        let shown = (items.into_iter())
            .filter(|item| view.shows_stock_item(item))
            .map(Arc::new);
        Ok(related_in_order(shown.collect(), order::stock_items))
    }

    pub(super) async fn price_lists_by_id(
        &self,
        mode: Mode,
        ids: &[String],
    ) -> Result<Vec<PriceList>, StoreError> {
        let partition = named_partition(mode, PRICE_LISTS);
        let keys = ids
            .iter()
            .map(|id| key(partition.clone(), format!("{ENTRY_PREFIX}{id}")));
        let found = self.batch_get(keys.collect()).await?;
        found.iter().map(price_list_from).collect()
    }
}
