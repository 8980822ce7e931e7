//! [`CatalogReads`] in memory: the model's visibility rules applied to every record, then
//! ordered and cut to the page. Fine for a process that holds a demo catalog.

use std::cmp::Ordering;
use std::collections::HashMap;

use async_trait::async_trait;

use super::{MemoryStore, Records};
use crate::catalog::{order, page_of};
use crate::{CatalogReads, Page, PageRequest, StoreError};
use gatehouse_core::model::{CatalogView, Market, Mode, Price, Sku, StockItem};

/// The records `shows` admits, in `order`.
fn sorted<T: Clone>(
    records: &HashMap<String, T>,
    shows: impl Fn(&T) -> bool,
    order: fn(&T, &T) -> Ordering,
) -> Vec<T> {
    let mut shown: Vec<T> = records.values().filter(|r| shows(r)).cloned().collect();
    shown.sort_by(order);
    shown
}

impl Records {
    fn visible_skus(&self, view: &CatalogView) -> Vec<Sku> {
        let prices: Vec<Price> = self.prices.values().cloned().collect();
        let stock: Vec<StockItem> = self.stock_items.values().cloned().collect();
        sorted(
            &self.skus,
            |sku| view.shows_sku(sku, &prices, &stock),
            order::skus,
        )
    }
}

#[async_trait]
impl CatalogReads for MemoryStore {
    async fn list_markets(
        &self,
        mode: Mode,
        page: PageRequest,
    ) -> Result<Page<Market>, StoreError> {
        let markets = sorted(&self.records().markets, |m| m.mode == mode, order::markets);
        Ok(page_of(markets, page))
    }

    async fn list_skus(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Sku>, StoreError> {
        Ok(page_of(self.records().visible_skus(view), page))
    }

    async fn find_sku(&self, view: &CatalogView, id: &str) -> Result<Option<Sku>, StoreError> {
        Ok(self
            .records()
            .visible_skus(view)
            .into_iter()
            .find(|sku| sku.id == id))
    }

    async fn find_sku_by_code(
        &self,
        view: &CatalogView,
        code: &str,
    ) -> Result<Option<Sku>, StoreError> {
        Ok(self
            .records()
            .visible_skus(view)
            .into_iter()
            .find(|sku| sku.code == code))
    }

    async fn list_prices(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Price>, StoreError> {
        let prices = sorted(
            &self.records().prices,
            |p| view.shows_price(p),
            order::prices,
        );
        Ok(page_of(prices, page))
    }

    async fn list_stock_items(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<StockItem>, StoreError> {
        let items = sorted(
            &self.records().stock_items,
            |s| view.shows_stock_item(s),
            order::stock_items,
        );
        Ok(page_of(items, page))
    }
}
