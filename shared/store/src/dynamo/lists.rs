//! The catalog's lists as items: each list ([`List`]) is a partition, each of its entries an
//! item whose sort key is the entry's place in the list's order, and its size one `count` item.
//! An entry has no position number, so adding or removing one moves no other: an import writes
//! the entries that change and nothing else ([`gatehouse_core::listing::changes`]), and a page
//! is one `Query` from the place after the previous page's last entry.
//!
//! | item | PK | SK |
//! |---|---|---|
//! | entry | `CAT#<mode>#<list>` | `e#<place>` |
//! | list size | `CAT#<mode>#<list>` | `count` (attribute `n`) |
//!
//! Lists: `skus`, `skus@<listing name>` ([`SkuListing::name`]), `prices`, `prices@<price
//! list>` and `stock@<stock location>`, all by id. A place is the list order's fields (SKU
//! code, price list, record id) joined by [`PLACE_SEPARATOR`]: ids and codes have no control
//! character (the seed's rule), so the joined keys sort as the fields do, field by field.
//!
//! [`SkuListing::name`]: gatehouse_core::listing::SkuListing::name

use super::catalog_items::{price_attributes, sku_attributes, stock_attributes};
use super::keys::*;
use gatehouse_core::listing::changes::{List, Record};

/// Between the fields of a place: a control character, below every character of an id or code.
pub(super) const PLACE_SEPARATOR: char = '\u{1}';

/// The sort key of every entry begins so; `count` sorts before it.
const ENTRY_PREFIX: &str = "e#";

/// The partition of `list`.
pub(super) fn list_partition(list: &List) -> String {
    let (mode, name) = match list {
        List::Skus(mode) => (mode, "skus".to_owned()),
        List::Listing(listing) => (&listing.mode, format!("skus@{}", listing.name())),
        List::Prices(mode) => (mode, "prices".to_owned()),
        List::PricesOf(mode, price_list) => (mode, format!("prices@{price_list}")),
        List::StockAt(mode, location) => (mode, format!("stock@{location}")),
    };
    format!("CAT#{}#{name}", mode.as_str())
}

/// The sort key of the entry at `place`.
pub(super) fn entry_sort_key(place: &(String, String, String)) -> String {
    let (first, second, third) = place;
    format!("{ENTRY_PREFIX}{first}{PLACE_SEPARATOR}{second}{PLACE_SEPARATOR}{third}")
}

/// The first and last possible sort keys of a list's entries, for a `Query` of all of them.
pub(super) fn entry_range() -> (String, String) {
    (ENTRY_PREFIX.to_owned(), format!("{ENTRY_PREFIX}\u{10FFFF}"))
}

/// The item of `record` in `list`.
pub(super) fn entry_item(list: &List, record: &Record) -> Item {
    let mut item = match record {
        Record::Sku(sku) => sku_attributes(sku),
        Record::Price(price) => price_attributes(price),
        Record::StockItem(stock) => stock_attributes(stock),
    };
    item.extend(key(list_partition(list), entry_sort_key(&record.place())));
    item
}

/// The key of `list`'s size.
pub(super) fn count_key(list: &List) -> Item {
    key(list_partition(list), "count".into())
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
                    List::Skus(mode) | List::Prices(mode) => mode,
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
        let (first, last) = entry_range();
        assert!(keys.iter().all(|k| first <= *k && *k <= last));
        assert!("count" < first.as_str());
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
        assert_eq!(item["SK"], s("e#TSHIRT\u{1}\u{1}si_1"));
        assert_eq!(item["stock_location_number"], n(7));
    }
}
