//! [`CatalogReads`] in memory. The catalog's lists are kept in their orders, rebuilt by every
//! import (which makes the catalog the file's), so that a page is a slice of a list and its count the list's
//! length: a request costs the page, not the catalog. Each record is held once (`Arc`); a list
//! holds pointers. The SKU lists are the kept listings of [`gatehouse_core::listing`]: one per
//! market's price list and locations, and one per price list and location, which a scope
//! narrowed to several locations merges.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::MemoryStore;
use crate::catalog::{order, page_of, related_in_order};
use crate::{CatalogReads, Page, PageRequest, StoreError};
use gatehouse_core::listing::{KeptListings, SkuListing, SkuPresence, SkuSource};
use gatehouse_core::model::{CatalogView, Market, Mode, Price, PriceList, Sku, StockItem};

/// The catalog: its records, each held once, in the lists that show them, in order.
#[derive(Default)]
pub(super) struct Catalog {
    /// By code.
    skus: HashMap<Mode, Vec<Arc<Sku>>>,
    /// Each kept listing's SKUs, by code.
    listings: HashMap<SkuListing, Vec<Arc<Sku>>>,
    prices: HashMap<Mode, Vec<Arc<Price>>>,
    prices_by_list: HashMap<(Mode, String), Vec<Arc<Price>>>,
    stock_items: HashMap<Mode, Vec<Arc<StockItem>>>,
    /// A stock location's items, by SKU code then id (the location's number is the same).
    stock_by_location: HashMap<String, Vec<Arc<StockItem>>>,
    /// A SKU's prices and its stock items, in their lists' orders, for `include`.
    prices_by_sku: HashMap<(Mode, String), Vec<Arc<Price>>>,
    stock_by_sku: HashMap<(Mode, String), Vec<Arc<StockItem>>>,
    price_lists: HashMap<(Mode, String), PriceList>,
}

impl Catalog {
    /// The catalog of `skus`, `prices` and `stock_items`, which replace every record held
    /// (an import makes the catalog the file's), listed for `markets`, with `price_lists`.
    /// Records are moved in, not copied.
    pub(super) fn of(
        skus: Vec<Sku>,
        prices: Vec<Price>,
        stock_items: Vec<StockItem>,
        price_lists: Vec<PriceList>,
        markets: &[Market],
    ) -> Self {
        fn by_id<T>(records: Vec<T>, id: fn(&T) -> String) -> HashMap<String, Arc<T>> {
            records.into_iter().map(|r| (id(&r), Arc::new(r))).collect()
        }
        let skus = by_id(skus, |s: &Sku| s.id.clone());
        let prices = by_id(prices, |p: &Price| p.id.clone());
        let stock_items = by_id(stock_items, |s: &StockItem| s.id.clone());
        let mut catalog = Self::build(&skus, &prices, &stock_items, markets);
        catalog.price_lists = (price_lists.into_iter())
            .map(|list| ((list.mode, list.id.clone()), list))
            .collect();
        catalog
    }
}

/// `records` grouped by `key`, each group in `order`.
fn grouped<K: std::hash::Hash + Eq, T>(
    records: &HashMap<String, Arc<T>>,
    key: impl Fn(&T) -> K,
    order: fn(&T, &T) -> Ordering,
) -> HashMap<K, Vec<Arc<T>>> {
    let mut groups: HashMap<K, Vec<Arc<T>>> = HashMap::new();
    for record in records.values() {
        groups
            .entry(key(record))
            .or_default()
            .push(Arc::clone(record));
    }
    for group in groups.values_mut() {
        group.sort_by(|a, b| order(a, b));
        group.shrink_to_fit();
    }
    groups
}

impl Catalog {
    fn build(
        sku_records: &HashMap<String, Arc<Sku>>,
        price_records: &HashMap<String, Arc<Price>>,
        stock_records: &HashMap<String, Arc<StockItem>>,
        markets: &[Market],
    ) -> Self {
        let skus = grouped(sku_records, |s| s.mode, order::skus);
        // Each SKU's price lists and locations, then the kept listings that show it.
        let mut price_lists_of: HashMap<(Mode, &str), Vec<&str>> = HashMap::new();
        for price in price_records.values() {
            let key = (price.mode, price.sku_code.as_str());
            price_lists_of
                .entry(key)
                .or_default()
                .push(&price.price_list_id);
        }
        let mut locations_of: HashMap<(Mode, &str), Vec<&str>> = HashMap::new();
        for item in stock_records.values() {
            let key = (item.mode, item.sku_code.as_str());
            locations_of
                .entry(key)
                .or_default()
                .push(&item.stock_location_id);
        }
        let kept = KeptListings::of(markets);
        let mut listings: HashMap<SkuListing, Vec<Arc<Sku>>> =
            kept.iter().map(|l| (l.clone(), vec![])).collect();
        for sku in skus.values().flatten() {
            let key = (sku.mode, sku.code.as_str());
            let presence = SkuPresence::new(
                sku.mode,
                price_lists_of.get(&key).into_iter().flatten().copied(),
                locations_of.get(&key).into_iter().flatten().copied(),
            );
            for listing in kept.showing(&presence) {
                if let Some(shown) = listings.get_mut(listing) {
                    // `skus` is in code order, so each listing is too.
                    shown.push(Arc::clone(sku));
                }
            }
        }
        listings.values_mut().for_each(|l| l.shrink_to_fit());
        Self {
            skus,
            listings,
            prices: grouped(price_records, |p| p.mode, order::prices),
            prices_by_list: grouped(
                price_records,
                |p| (p.mode, p.price_list_id.clone()),
                order::prices,
            ),
            stock_items: grouped(stock_records, |s| s.mode, order::stock_items),
            stock_by_location: grouped(
                stock_records,
                |s| s.stock_location_id.clone(),
                order::stock_items,
            ),
            prices_by_sku: grouped(
                price_records,
                |p| (p.mode, p.sku_code.clone()),
                order::prices,
            ),
            stock_by_sku: grouped(
                stock_records,
                |s| (s.mode, s.sku_code.clone()),
                order::stock_items,
            ),
            price_lists: HashMap::new(),
        }
    }

    /// The SKUs of `view`, in code order: a kept listing, or the merge of several.
    fn shown_skus(&self, view: &CatalogView) -> Shown<'_, Sku> {
        match SkuSource::of(view) {
            SkuSource::All { mode } => Shown::Lists(self.skus.get(&mode).into_iter().collect()),
            SkuSource::Listing(listing) => {
                Shown::Lists(self.listings.get(&listing).into_iter().collect())
            }
            SkuSource::Merge(listings) => {
                let mut merged: Vec<Arc<Sku>> = listings
                    .iter()
                    .filter_map(|listing| self.listings.get(listing))
                    .flatten()
                    .cloned()
                    .collect();
                merged.sort_by(|a, b| order::skus(a, b));
                merged.dedup_by(|a, b| a.id == b.id);
                Shown::Merged(merged)
            }
        }
    }

    /// The stock items of `view`: a market's are its locations' lists one after another, in
    /// the locations' order (by number).
    fn shown_stock_items(&self, view: &CatalogView) -> Shown<'_, StockItem> {
        match view {
            CatalogView::All { mode } => {
                Shown::Lists(self.stock_items.get(mode).into_iter().collect())
            }
            CatalogView::Market {
                mode,
                stock_location_ids,
                ..
            } => {
                let mut located: Vec<&Vec<Arc<StockItem>>> = stock_location_ids
                    .iter()
                    .filter_map(|id| self.stock_by_location.get(id))
                    .filter(|items| items.first().is_some_and(|i| i.mode == *mode))
                    .collect();
                located.sort_by_key(|items| items[0].stock_location_number);
                located.dedup_by_key(|items| items[0].stock_location_number);
                Shown::Lists(located)
            }
        }
    }
}

/// What a view shows: kept lists one after another, or a list merged for one request.
enum Shown<'l, T> {
    Lists(Vec<&'l Vec<Arc<T>>>),
    Merged(Vec<Arc<T>>),
}

impl<T: Clone> Shown<'_, T> {
    fn slices(&self) -> Vec<&[Arc<T>]> {
        match self {
            Self::Lists(lists) => lists.iter().map(|l| l.as_slice()).collect(),
            Self::Merged(records) => vec![records.as_slice()],
        }
    }

    fn find(&self, matches: impl Fn(&T) -> bool) -> Option<T> {
        let slices = self.slices();
        let found = slices.into_iter().flatten().find(|r| matches(r));
        found.map(|r| T::clone(r))
    }

    /// A page, sharing the page's records: the lists before it are stepped over whole.
    fn page(&self, page: &PageRequest) -> Page<T> {
        let slices = self.slices();
        let record_count = slices.iter().map(|s| s.len() as u64).sum();
        let (first, end) = page.range();
        let mut records = Vec::new();
        let mut offset = 0u64;
        for slice in slices {
            let len = slice.len() as u64;
            let (from, to) = (first.max(offset), end.min(offset + len));
            if from < to {
                let range = (from - offset) as usize..(to - offset) as usize;
                records.extend(slice[range].iter().cloned());
            }
            offset += len;
        }
        // Any page is a slice here: no cursor is worth keeping.
        Page {
            records,
            record_count,
            next: None,
        }
    }
}

/// The records of `by_sku` (a SKU's prices or stock items) of the SKUs coded `codes` that
/// `shown` admits, each once, in `order`.
fn of_skus<T>(
    by_sku: &HashMap<(Mode, String), Vec<Arc<T>>>,
    mode: Mode,
    codes: &[String],
    shown: impl Fn(&T) -> bool,
    order: fn(&T, &T) -> Ordering,
) -> Vec<Arc<T>> {
    let found = codes
        .iter()
        .filter_map(|code| by_sku.get(&(mode, code.clone())));
    let kept = found.flatten().filter(|record| shown(record)).cloned();
    related_in_order(kept.collect(), order)
}

#[async_trait]
impl CatalogReads for MemoryStore {
    async fn list_markets(
        &self,
        mode: Mode,
        page: PageRequest,
    ) -> Result<Page<Market>, StoreError> {
        let records = self.records();
        let mut markets: Vec<Market> = (records.markets.values())
            .filter(|m| m.mode == mode)
            .cloned()
            .collect();
        markets.sort_by(order::markets);
        Ok(page_of(markets, page))
    }

    async fn list_skus(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Sku>, StoreError> {
        Ok(self.records().catalog.shown_skus(view).page(&page))
    }

    async fn find_sku(&self, view: &CatalogView, id: &str) -> Result<Option<Sku>, StoreError> {
        Ok(self.records().catalog.shown_skus(view).find(|s| s.id == id))
    }

    async fn find_sku_by_code(
        &self,
        view: &CatalogView,
        code: &str,
    ) -> Result<Option<Sku>, StoreError> {
        Ok(self
            .records()
            .catalog
            .shown_skus(view)
            .find(|s| s.code == code))
    }

    async fn list_prices(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Price>, StoreError> {
        let records = self.records();
        let lists = &records.catalog;
        let prices = match view {
            CatalogView::All { mode } => lists.prices.get(mode),
            CatalogView::Market {
                mode,
                price_list_id,
                ..
            } => lists.prices_by_list.get(&(*mode, price_list_id.clone())),
        };
        Ok(Shown::Lists(prices.into_iter().collect()).page(&page))
    }

    async fn list_stock_items(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<StockItem>, StoreError> {
        Ok(self.records().catalog.shown_stock_items(view).page(&page))
    }

    async fn prices_of_skus(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<Price>>, StoreError> {
        let records = self.records();
        let shown = |price: &Price| view.shows_price(price);
        let by_sku = &records.catalog.prices_by_sku;
        Ok(of_skus(by_sku, view.mode(), codes, shown, order::prices))
    }

    async fn stock_items_of_skus(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<StockItem>>, StoreError> {
        let records = self.records();
        let shown = |item: &StockItem| view.shows_stock_item(item);
        let by_sku = &records.catalog.stock_by_sku;
        Ok(of_skus(
            by_sku,
            view.mode(),
            codes,
            shown,
            order::stock_items,
        ))
    }

    async fn find_price_lists(
        &self,
        mode: Mode,
        ids: &[String],
    ) -> Result<Vec<PriceList>, StoreError> {
        let records = self.records();
        let found = ids
            .iter()
            .filter_map(|id| records.catalog.price_lists.get(&(mode, id.clone())));
        Ok(found.cloned().collect())
    }
}
