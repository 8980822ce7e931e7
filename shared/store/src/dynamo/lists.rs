//! The catalog's lists as items: each list ([`List`]) is a partition, each of its entries an
//! item whose sort key is the entry's place in the list's order, and its size one `count` item.
//! An entry has no position number, so adding or removing one moves no other: an import writes
//! the entries that differ from what is stored and nothing else (`catalog_import.rs`), and a
//! page is one `Query` from the place after the previous page's last entry (`catalog.rs`).
//!
//! | item | PK | SK | attributes |
//! |---|---|---|---|
//! | entry | `CAT#<mode>#<list>` | `e#<place>` | the record's |
//! | list size | `CAT#<mode>#<list>` | `count` | `n`; a stock location's also `number` |
//! | list registry entry | `CATLISTS#<mode>` | the list's partition | |
//! | import generation | `CATLISTS#<mode>` | `#generation` | `n` |
//! | a merge's size | `CATMERGES#<mode>` | the merge's name | `n`, `generation` |
//!
//! Lists: `skus`, `skus@<listing name>` ([`SkuListing::name`]), `prices`, `prices@<price
//! list>`, `stock` and `stock@<stock location>` (all by id), `markets` (place: the number, 20
//! digits), `sku-ids` (place: the SKU's id, to find a SKU by id), `stock-by-sku` (place: SKU
//! code, location number, id: a SKU's stock items are one range, for `include=stock_items`)
//! and `price-lists` (place: the price list's id). A place is the list
//! order's fields (SKU code, price list, record id; a stock item's location number first)
//! joined by [`PLACE_SEPARATOR`]: ids and codes have no control character (the seed's rule),
//! so the joined keys sort as the fields do, field by field.
//!
//! Items per record: a SKU stands in `skus`, `sku-ids` and each listing that shows it (its
//! market's and its price list's at each location that stocks it); a price in `prices` and its
//! list's; a stock item in `stock`, its location's and `stock-by-sku`; a price list in
//! `price-lists`. No item grows with the catalog: the
//! registry is a partition with an item per list.
//!
//! [`SkuListing::name`]: gatehouse_core::listing::SkuListing::name

use std::collections::{BTreeMap, HashMap};

use super::catalog_items::{
    price_attributes, price_list_attributes, sku_attributes, stock_attributes,
};
use super::items::market_attributes;
use super::keys::*;
use gatehouse_core::listing::changes::{entries, List, Record, SkuGroup};
use gatehouse_core::listing::KeptListings;
use gatehouse_core::model::{Catalog, CatalogView, Market, Mode, PriceList, Sku};

/// Between the fields of a place: a control character, below every character of an id or code.
pub(super) const PLACE_SEPARATOR: char = '\u{1}';

/// The sort key of every entry begins so; `count` sorts before it.
pub(super) const ENTRY_PREFIX: &str = "e#";

/// The sort key of a list's size.
pub(super) const COUNT: &str = "count";

/// The partition of `list`.
pub(super) fn list_partition(list: &List) -> String {
    let (mode, name) = match list {
        List::Skus(mode) => (mode, "skus".to_owned()),
        List::Listing(listing) => (&listing.mode, format!("skus@{}", listing.name())),
        List::Prices(mode) => (mode, "prices".to_owned()),
        List::PricesOf(mode, price_list) => (mode, format!("prices@{price_list}")),
        List::Stock(mode) => (mode, "stock".to_owned()),
        List::StockAt(mode, location) => (mode, format!("stock@{location}")),
    };
    named_partition(*mode, &name)
}

/// The list of the prices `view` shows: a market's view reads its price list's alone.
pub(super) fn prices_shown(view: &CatalogView) -> List {
    match view {
        CatalogView::All { mode } => List::Prices(*mode),
        CatalogView::Market {
            mode,
            price_list_id,
            ..
        } => List::PricesOf(*mode, price_list_id.clone()),
    }
}

/// The partition of the list `name` of `mode`.
pub(super) fn named_partition(mode: Mode, name: &str) -> String {
    format!("CAT#{}#{name}", mode.as_str())
}

/// The partition naming every list an environment has (and its import generation).
pub(super) fn registry_partition(mode: Mode) -> String {
    format!("CATLISTS#{}", mode.as_str())
}

/// The key of an environment's import generation, which an import moves on at its end when a
/// SKU joined or left a listing, or merges' sizes were kept: a merge's size counted under
/// another generation is not used.
pub(super) fn generation_key(mode: Mode) -> Item {
    key(registry_partition(mode), "#generation".into())
}

/// The partition of the sizes of merges of listings, each counted once per generation.
pub(super) fn merges_partition(mode: Mode) -> String {
    format!("CATMERGES#{}", mode.as_str())
}

/// The key of the size of the merge `name`.
pub(super) fn merge_count_key(mode: Mode, name: &str) -> Item {
    key(merges_partition(mode), name.to_owned())
}

/// The sort key of the entry at `place`.
pub(super) fn entry_sort_key(place: &(String, String, String)) -> String {
    let (first, second, third) = place;
    format!("{ENTRY_PREFIX}{first}{PLACE_SEPARATOR}{second}{PLACE_SEPARATOR}{third}")
}

/// The list of every stock item of an environment by SKU code, location number, id.
pub(super) const STOCK_BY_SKU: &str = "stock-by-sku";

/// The list of an environment's price lists, by id.
pub(super) const PRICE_LISTS: &str = "price-lists";

/// The sort key of a stock item's entry in [`STOCK_BY_SKU`].
pub(super) fn stock_by_sku_sort_key(code: &str, number: u64, id: &str) -> String {
    entry_sort_key(&(code.to_owned(), format!("{number:020}"), id.to_owned()))
}

/// The sort key of a market's entry in `markets`.
pub(super) fn market_sort_key(number: u64) -> String {
    format!("{ENTRY_PREFIX}{number:020}")
}

/// The item of `record` in `list`.
#[cfg(test)]
fn entry_item(list: &List, record: &Record) -> Item {
    Entry::Record(record.clone()).item(&list_partition(list), &entry_sort_key(&record.place()))
}

/// What an entry holds, kept as the record itself until its item is written or compared: a
/// record's attributes take several times its size as an item.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Entry {
    Record(Record),
    Market(Market),
    PriceList(PriceList),
}

impl Entry {
    /// The entry's item under `partition` and `sort_key`.
    pub fn item(&self, partition: &str, sort_key: &str) -> Item {
        let mut item = match self {
            Entry::Record(Record::Sku(sku)) => sku_attributes(sku),
            Entry::Record(Record::Price(price)) => price_attributes(price),
            Entry::Record(Record::StockItem(stock)) => stock_attributes(stock),
            Entry::Market(market) => market_attributes(market),
            Entry::PriceList(list) => price_list_attributes(list),
        };
        item.extend(key(partition.to_owned(), sort_key.to_owned()));
        item
    }
}

/// The key of `list`'s size.
pub(super) fn count_key(partition: &str) -> Item {
    key(partition.to_owned(), COUNT.into())
}

/// A list as an import wants it: its entries by sort key, and a stock location's number.
#[derive(Default)]
pub(super) struct Wanted {
    pub entries: BTreeMap<String, Entry>,
    pub number: Option<u64>,
}

impl Wanted {
    /// The list's `count` item.
    pub fn count_item(&self, partition: &str) -> Item {
        let mut item = count_key(partition);
        item.insert("n".into(), n(self.entries.len() as u64));
        if let Some(number) = self.number {
            item.insert("number".into(), n(number));
        }
        item
    }
}

/// Every list of `mode` as the catalog's records and the environment's `markets` make it, by
/// partition.
pub(super) fn wanted_lists(
    mode: Mode,
    catalog: &Catalog,
    markets: &[Market],
) -> BTreeMap<String, Wanted> {
    let mut lists: BTreeMap<String, Wanted> = BTreeMap::new();
    each_wanted_entry(
        mode,
        catalog,
        markets,
        |partition, sort_key, item, number| {
            let wanted = lists.entry(partition).or_default();
            if number.is_some() {
                wanted.number = number;
            }
            wanted.entries.insert(sort_key, item);
        },
    );
    lists
}

/// Each entry of the lists of `mode` that the catalog's records and the environment's
/// `markets` make: its partition, sort key, what it holds, and for a stock location's list the
/// location's number. The seed's rules make each price and stock item name a SKU of the file;
/// one that does not is not listed.
pub(super) fn each_wanted_entry(
    mode: Mode,
    catalog: &Catalog,
    markets: &[Market],
    mut visit: impl FnMut(String, String, Entry, Option<u64>),
) {
    let markets: Vec<Market> = markets.iter().filter(|m| m.mode == mode).cloned().collect();
    for market in &markets {
        let (partition, sort_key) = (
            named_partition(mode, "markets"),
            market_sort_key(market.number),
        );
        visit(partition, sort_key, Entry::Market(market.clone()), None);
    }
    let kept = KeptListings::of(&markets);
    let mut groups: HashMap<&str, SkuGroup> = HashMap::new();
    for sku in catalog.skus.iter().filter(|s| s.mode == mode) {
        groups.insert(&sku.code, group_of(sku));
        let (partition, sort_key) = (
            named_partition(mode, "sku-ids"),
            format!("{ENTRY_PREFIX}{}", sku.id),
        );
        let entry = Entry::Record(Record::Sku(sku.clone()));
        visit(partition, sort_key, entry, None);
    }
    for price in catalog.prices.iter().filter(|p| p.mode == mode) {
        if let Some(group) = groups.get_mut(price.sku_code.as_str()) {
            group.prices.push(price.clone());
        }
    }
    for item in catalog.stock_items.iter().filter(|s| s.mode == mode) {
        if let Some(group) = groups.get_mut(item.sku_code.as_str()) {
            group.stock_items.push(item.clone());
            let (partition, sort_key) = (
                named_partition(mode, STOCK_BY_SKU),
                stock_by_sku_sort_key(&item.sku_code, item.stock_location_number, &item.id),
            );
            let entry = Entry::Record(Record::StockItem(item.clone()));
            visit(partition, sort_key, entry, None);
        }
    }
    for list in catalog.price_lists.iter().filter(|l| l.mode == mode) {
        let (partition, sort_key) = (
            named_partition(mode, PRICE_LISTS),
            format!("{ENTRY_PREFIX}{}", list.id),
        );
        visit(partition, sort_key, Entry::PriceList(list.clone()), None);
    }
    for group in groups.values() {
        for ((list, place), record) in entries(group, &kept) {
            let number = match (&list, &record) {
                (List::StockAt(..), Record::StockItem(item)) => Some(item.stock_location_number),
                _ => None,
            };
            let entry = Entry::Record(record);
            visit(list_partition(&list), entry_sort_key(&place), entry, number);
        }
    }
}

fn group_of(sku: &Sku) -> SkuGroup {
    SkuGroup {
        sku: sku.clone(),
        prices: vec![],
        stock_items: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::listing::SkuListing;
    use gatehouse_core::model::Mode;
    use gatehouse_core::model::{Price, Sku, StockItem};

    /// The environment a list partition belongs to.
    fn mode_of(partition: &str) -> Option<Mode> {
        let mode = partition.strip_prefix("CAT#")?.split('#').next()?;
        Mode::parse(mode)
    }

    fn price(code: &str, list: &str, id: &str) -> Record {
        Record::Price(Price {
            id: id.into(),
            mode: Mode::Live,
            sku_code: code.into(),
            price_list_id: list.into(),
            amount_cents: 1,
        })
    }

    #[test]
    fn each_list_has_a_partition_of_its_own_in_its_environment() {
        let listing = SkuListing::new(Mode::Test, "eu", ["a", "b"]).unwrap();
        let cases = [
            (List::Skus(Mode::Test), "CAT#test#skus".to_owned()),
            (List::Skus(Mode::Live), "CAT#live#skus".to_owned()),
            (
                List::Listing(listing.clone()),
                format!("CAT#test#skus@{}", listing.name()),
            ),
            (List::Prices(Mode::Live), "CAT#live#prices".to_owned()),
            (
                List::PricesOf(Mode::Test, "eu".into()),
                "CAT#test#prices@eu".to_owned(),
            ),
            (
                List::StockAt(Mode::Test, "a".into()),
                "CAT#test#stock@a".to_owned(),
            ),
        ];
        for (list, partition) in cases {
            assert_eq!(list_partition(&list), partition);
            assert_eq!(
                mode_of(&partition),
                Some(match list {
                    List::Skus(mode) | List::Prices(mode) | List::Stock(mode) => mode,
                    List::PricesOf(mode, _) | List::StockAt(mode, _) => mode,
                    List::Listing(listing) => listing.mode,
                })
            );
        }
    }

    #[test]
    fn sort_keys_order_entries_as_the_lists_order_records() {
        // By SKU code, then price list, then id; a code that is another's beginning first.
        let records = [
            price("ab", "eu", "p1"),
            price("ab", "eu", "p2"),
            price("ab", "us", "p0"),
            price("abc", "eu", "p0"),
            price("ab~", "eu", "p0"),
            price("b", "", "p0"),
        ];
        let keys: Vec<String> = records.iter().map(|r| entry_sort_key(&r.place())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let places: Vec<_> = records.iter().map(Record::place).collect();
        let mut by_fields = places.clone();
        by_fields.sort();
        assert_eq!(
            places, by_fields,
            "the records above are in the lists' order"
        );
        assert!(keys.iter().all(|k| k.as_str() > ENTRY_PREFIX));
        assert!(COUNT < ENTRY_PREFIX);
    }

    #[test]
    fn an_entry_is_its_record_under_its_place() {
        let sku = Record::Sku(Sku {
            id: "sku_1".into(),
            mode: Mode::Test,
            code: "TSHIRT".into(),
            name: "T-shirt".into(),
        });
        let item = entry_item(&List::Skus(Mode::Test), &sku);
        assert_eq!(item["PK"], s("CAT#test#skus"));
        assert_eq!(item["SK"], s("e#TSHIRT\u{1}\u{1}sku_1"));
        assert_eq!(item["code"], s("TSHIRT"));
        let stock = Record::StockItem(StockItem {
            id: "si_1".into(),
            mode: Mode::Test,
            sku_code: "TSHIRT".into(),
            stock_location_id: "a".into(),
            stock_location_number: 7,
            quantity: 0,
        });
        let item = entry_item(&List::StockAt(Mode::Test, "a".into()), &stock);
        assert_eq!(item["SK"], s("e#00000000000000000007\u{1}TSHIRT\u{1}si_1"));
        assert_eq!(item["stock_location_number"], n(7));
    }
}
