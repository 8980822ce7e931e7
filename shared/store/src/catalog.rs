//! Catalog reads for the resource API: markets, SKUs, prices and stock items, each listed as
//! a token's [`CatalogView`] allows, a page at a time. The visibility rules are the model's
//! ([`CatalogView`]); stores only find what those rules admit, in a stable order.

use std::sync::Arc;

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::model::{CatalogView, Market, Mode, Price, PriceList, Sku, StockItem};

/// A 1-based page of `size` records, and where the page before it ended when the client
/// followed a `next` link ([`Page::next`]): a store that can start there reads the page alone
/// instead of stepping over the records before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub number: u64,
    pub size: u64,
    pub after: Option<String>,
}

impl PageRequest {
    /// The page's records as positions `[first, end)` of the whole ordered list.
    pub fn range(&self) -> (u64, u64) {
        let first = (self.number.max(1) - 1).saturating_mul(self.size);
        (first, first.saturating_add(self.size))
    }
}

/// One page of a list, with the size of the whole list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// Shared, not copied: the embedded store hands out the records it holds.
    pub records: Vec<Arc<T>>,
    pub record_count: u64,
    /// Where the next page starts, for its request's `after`, when this store reads a page
    /// from there more cheaply than by its number; `None` otherwise.
    pub next: Option<String>,
}

#[async_trait]
pub trait CatalogReads: Send + Sync {
    /// The markets of one environment, by number.
    async fn list_markets(&self, mode: Mode, page: PageRequest)
        -> Result<Page<Market>, StoreError>;

    /// The SKUs `view` shows, by code.
    async fn list_skus(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Sku>, StoreError>;

    /// The SKU with this id, if `view` shows it.
    async fn find_sku(&self, view: &CatalogView, id: &str) -> Result<Option<Sku>, StoreError>;

    /// The SKU with this code, if `view` shows it.
    async fn find_sku_by_code(
        &self,
        view: &CatalogView,
        code: &str,
    ) -> Result<Option<Sku>, StoreError>;

    /// The prices `view` shows, by SKU code, then price list, then id.
    async fn list_prices(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Price>, StoreError>;

    /// The stock items `view` shows, by stock location number, then SKU code, then id.
    async fn list_stock_items(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<StockItem>, StoreError>;

    /// The prices `view` shows of the SKUs coded `codes` (a page's, for `include=prices`),
    /// each once, in the order of [`CatalogReads::list_prices`].
    async fn prices_of_skus(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<Price>>, StoreError>;

    /// The stock items `view` shows of the SKUs coded `codes` (for `include=stock_items`),
    /// each once, in the order of [`CatalogReads::list_stock_items`].
    async fn stock_items_of_skus(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<StockItem>>, StoreError>;

    /// The price lists of `mode` with these ids (for `include=price_list`), in any order.
    async fn find_price_lists(
        &self,
        mode: Mode,
        ids: &[String],
    ) -> Result<Vec<PriceList>, StoreError>;
}

/// Related records found for several keys, each once, in `order`.
pub fn related_in_order<T>(
    mut records: Vec<Arc<T>>,
    order: fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<Arc<T>> {
    records.sort_by(|a, b| order(a, b));
    records.dedup_by(|a, b| order(a, b).is_eq());
    records
}

/// The orders the lists are kept in, shared by both stores.
pub mod order {
    use std::cmp::Ordering;

    use gatehouse_core::model::{Market, Price, Sku, StockItem};

    pub fn markets(a: &Market, b: &Market) -> Ordering {
        a.number.cmp(&b.number)
    }

    pub fn skus(a: &Sku, b: &Sku) -> Ordering {
        a.code.cmp(&b.code)
    }

    pub fn prices(a: &Price, b: &Price) -> Ordering {
        (&a.sku_code, &a.price_list_id, &a.id).cmp(&(&b.sku_code, &b.price_list_id, &b.id))
    }

    pub fn stock_items(a: &StockItem, b: &StockItem) -> Ordering {
        (a.stock_location_number, &a.sku_code, &a.id).cmp(&(
            b.stock_location_number,
            &b.sku_code,
            &b.id,
        ))
    }
}

/// `records`, already ordered, cut to `page`.
pub fn page_of<T>(records: Vec<T>, page: PageRequest) -> Page<T> {
    page_of_shared(records.into_iter().map(Arc::new).collect(), &page)
}

/// [`page_of`] for records already shared.
pub fn page_of_shared<T>(records: Vec<Arc<T>>, page: &PageRequest) -> Page<T> {
    let record_count = records.len() as u64;
    let (first, end) = page.range();
    let records = records
        .into_iter()
        .skip(usize::try_from(first).unwrap_or(usize::MAX))
        .take(usize::try_from(end - first).unwrap_or(usize::MAX))
        .collect();
    Page {
        records,
        record_count,
        next: None,
    }
}
