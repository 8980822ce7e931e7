//! What an import changes in the catalog's lists. A SKU's records (the SKU, its prices, its
//! stock items) are its *group*; each record stands in the lists that show it ([`entries`]).
//! An import compares the entries as stored with the entries the file's groups stand as and
//! writes only those that differ: a changed price rewrites its two entries and
//! nothing else, and a SKU that is no longer sold somewhere leaves exactly the listings that
//! showed it. Entries are whole records, so writing the same changes twice leaves the same
//! lists, and a list's count is its number of entries, never a running sum.

use std::collections::BTreeMap;

use super::{KeptListings, SkuListing, SkuPresence};
use crate::model::{Mode, Price, Sku, StockItem};

/// A SKU's records in one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkuGroup {
    pub sku: Sku,
    pub prices: Vec<Price>,
    pub stock_items: Vec<StockItem>,
}

impl SkuGroup {
    fn presence(&self) -> SkuPresence<'_> {
        SkuPresence::new(
            self.sku.mode,
            self.prices.iter().map(|p| p.price_list_id.as_str()),
            self.stock_items
                .iter()
                .map(|s| s.stock_location_id.as_str()),
        )
    }
}

/// A list the catalog keeps.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum List {
    /// Every SKU of an environment, by code.
    Skus(Mode),
    /// A kept SKU listing, by code.
    Listing(SkuListing),
    /// Every price of an environment, by SKU code, price list, id.
    Prices(Mode),
    /// A price list's prices, by SKU code, id.
    PricesOf(Mode, String),
    /// Every stock item of an environment, by stock location number, SKU code, id.
    Stock(Mode),
    /// A stock location's (by id) stock items, by SKU code, id (its number is theirs).
    StockAt(Mode, String),
}

/// A record as an entry of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Sku(Sku),
    Price(Price),
    StockItem(StockItem),
}

impl Record {
    /// Where the record stands in its lists: each list's order, ending with the id, so that no
    /// two records of one list share a place. A stock item's location number is written with
    /// 20 digits (every `u64` fits), so that places sort as numbers.
    pub fn place(&self) -> (String, String, String) {
        match self {
            Record::Sku(sku) => (sku.code.clone(), String::new(), sku.id.clone()),
            Record::Price(price) => (
                price.sku_code.clone(),
                price.price_list_id.clone(),
                price.id.clone(),
            ),
            Record::StockItem(item) => (
                format!("{:020}", item.stock_location_number),
                item.sku_code.clone(),
                item.id.clone(),
            ),
        }
    }
}

/// An entry: a list and a place in it.
pub type EntryKey = (List, (String, String, String));

/// Every entry a group stands as, by list and place.
pub fn entries(group: &SkuGroup, kept: &KeptListings) -> BTreeMap<EntryKey, Record> {
    let mode = group.sku.mode;
    let mut entries = BTreeMap::new();
    let mut add = |list: List, record: Record| {
        entries.insert((list, record.place()), record);
    };
    add(List::Skus(mode), Record::Sku(group.sku.clone()));
    for listing in kept.showing(&group.presence()) {
        add(
            List::Listing(listing.clone()),
            Record::Sku(group.sku.clone()),
        );
    }
    for price in &group.prices {
        add(List::Prices(mode), Record::Price(price.clone()));
        let of = List::PricesOf(mode, price.price_list_id.clone());
        add(of, Record::Price(price.clone()));
    }
    for item in &group.stock_items {
        add(List::Stock(mode), Record::StockItem(item.clone()));
        let at = List::StockAt(mode, item.stock_location_id.clone());
        add(at, Record::StockItem(item.clone()));
    }
    entries
}

#[cfg(test)]
mod tests;
