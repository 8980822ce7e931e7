//! What an import changes in the catalog's lists, one SKU at a time. A SKU's records (the SKU,
//! its prices, its stock items) are its *group*; each record stands in the lists that show it
//! ([`entries`]). An import compares a group as stored with the group in the file and writes
//! only the entries that differ ([`changes`]): a changed price rewrites its two entries and
//! nothing else, and a SKU that is no longer sold somewhere leaves exactly the listings that
//! showed it. Entries are whole records and counts are differences of sets, so writing the
//! same changes twice leaves the same lists.

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
    /// A stock location's (by id) stock items, by SKU code, id.
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
    /// two records of one list share a place.
    pub fn place(&self) -> (String, String, String) {
        match self {
            Record::Sku(sku) => (sku.code.clone(), String::new(), sku.id.clone()),
            Record::Price(price) => (
                price.sku_code.clone(),
                price.price_list_id.clone(),
                price.id.clone(),
            ),
            Record::StockItem(item) => (item.sku_code.clone(), String::new(), item.id.clone()),
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
        let at = List::StockAt(mode, item.stock_location_id.clone());
        add(at, Record::StockItem(item.clone()));
    }
    entries
}

/// One write to a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The entry is new, or its record changed.
    Put(EntryKey, Record),
    /// The entry goes.
    Delete(EntryKey),
}

/// A group as it stands among the listings kept for its markets.
pub type Placed<'a> = (&'a SkuGroup, &'a KeptListings);

/// The writes that turn the lists of `old` (as stored, among the listings kept for the stored
/// markets; `None`: not stored) into those of `new` (as the file has it, among the listings of
/// the file's markets; `None`: not in the file), and how each list's count changes.
pub fn changes(old: Option<Placed>, new: Option<Placed>) -> (Vec<Change>, BTreeMap<List, i64>) {
    let of = |placed: Option<Placed>| {
        placed
            .map(|(group, kept)| entries(group, kept))
            .unwrap_or_default()
    };
    let (before, after) = (of(old), of(new));
    let mut writes = Vec::new();
    let mut counts: BTreeMap<List, i64> = BTreeMap::new();
    for (key, record) in &after {
        match before.get(key) {
            Some(stored) if stored == record => {}
            Some(_) => writes.push(Change::Put(key.clone(), record.clone())),
            None => {
                *counts.entry(key.0.clone()).or_default() += 1;
                writes.push(Change::Put(key.clone(), record.clone()));
            }
        }
    }
    for key in before.keys().filter(|key| !after.contains_key(*key)) {
        *counts.entry(key.0.clone()).or_default() -= 1;
        writes.push(Change::Delete(key.clone()));
    }
    (writes, counts)
}

#[cfg(test)]
mod tests;
