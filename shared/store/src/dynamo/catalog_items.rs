//! The catalog as items: each record once in its environment's canonical partition, and again
//! in every listing that shows it. A listing is a projection kept up to date by import: the
//! records a [`CatalogView`] shows, in the list's order, at dense positions, so that any page
//! is one `Query` on a range of sort keys and its cost grows with the page, not the catalog.
//!
//! | item | PK | SK |
//! |---|---|---|
//! | SKU, price, stock item | `SKU#<mode>`, `PRICE#<mode>`, `STOCK_ITEM#<mode>` | `id#<id>` |
//! | listing entry | `LIST#<mode>#<listing>` | `n#<position, 10 digits>`, and `id#<id>` (SKUs also `code#<code>`) |
//! | listing size | `LIST#<mode>#<listing>` | `count` (attribute `n`; `number` for a stock location's) |
//! | listings of an environment | `LISTS#<mode>` | `LISTS` (attribute `names`) |
//!
//! Listings: `markets`; `skus` (all), `skus@<market>` (sellable there), and
//! `skus@<market>@<ids>` for a subset of the market's stock locations (every subset when the
//! market has at most [`MAX_SUBSET_LOCATIONS`], else each single one); `prices` and
//! `prices@<price list>`; `stock` and `stock@<stock location>`. A market's stock items are its
//! locations' listings one after another, which is their order (by location number).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::market_attributes;
use super::keys::*;
use super::reader::Reader;
use crate::catalog::order;
use crate::StoreError;
use gatehouse_core::model::{CatalogView, Market, Mode, Price, Sku, StockItem};

/// Markets with at most this many stock locations get a SKU listing for every subset of them.
pub(super) const MAX_SUBSET_LOCATIONS: usize = 6;

pub(super) fn canonical_partition(kind: &str, mode: Mode) -> String {
    format!("{kind}#{}", mode.as_str())
}

pub(super) fn listing_partition(mode: Mode, listing: &str) -> String {
    format!("LIST#{}#{listing}", mode.as_str())
}

pub(super) fn position_key(position: u64) -> String {
    format!("n#{position:010}")
}

/// The SKU listing of a market view: its market's, or one of a subset of its locations.
pub(super) fn sku_listing(market_id: &str, locations: Option<&[String]>) -> String {
    match locations {
        None => format!("skus@{market_id}"),
        Some(locations) => {
            let mut ids = locations.to_vec();
            ids.sort();
            ids.dedup();
            format!("skus@{market_id}@{}", ids.join("+"))
        }
    }
}

pub(super) fn sku_attributes(sku: &Sku) -> Item {
    Item::from([
        ("type".into(), s("sku")),
        ("id".into(), s(&sku.id)),
        ("mode".into(), s(sku.mode.as_str())),
        ("code".into(), s(&sku.code)),
        ("name".into(), s(&sku.name)),
    ])
}

pub(super) fn sku_from(item: &Item) -> Result<Sku, StoreError> {
    let r = Reader { item };
    Ok(Sku {
        id: r.string("id")?,
        mode: r.mode()?,
        code: r.string("code")?,
        name: r.string("name")?,
    })
}

pub(super) fn price_attributes(price: &Price) -> Item {
    Item::from([
        ("type".into(), s("price")),
        ("id".into(), s(&price.id)),
        ("mode".into(), s(price.mode.as_str())),
        ("sku_code".into(), s(&price.sku_code)),
        ("price_list_id".into(), s(&price.price_list_id)),
        ("amount_cents".into(), n(price.amount_cents)),
    ])
}

pub(super) fn price_from(item: &Item) -> Result<Price, StoreError> {
    let r = Reader { item };
    Ok(Price {
        id: r.string("id")?,
        mode: r.mode()?,
        sku_code: r.string("sku_code")?,
        price_list_id: r.string("price_list_id")?,
        amount_cents: r.number("amount_cents")?,
    })
}

pub(super) fn stock_attributes(item: &StockItem) -> Item {
    Item::from([
        ("type".into(), s("stock_item")),
        ("id".into(), s(&item.id)),
        ("mode".into(), s(item.mode.as_str())),
        ("sku_code".into(), s(&item.sku_code)),
        ("stock_location_id".into(), s(&item.stock_location_id)),
        (
            "stock_location_number".into(),
            n(item.stock_location_number),
        ),
        ("quantity".into(), n(item.quantity)),
    ])
}

pub(super) fn stock_from(item: &Item) -> Result<StockItem, StoreError> {
    let r = Reader { item };
    Ok(StockItem {
        id: r.string("id")?,
        mode: r.mode()?,
        sku_code: r.string("sku_code")?,
        stock_location_id: r.string("stock_location_id")?,
        stock_location_number: r.number("stock_location_number")?,
        quantity: r.number("quantity")?,
    })
}

/// One listing's entries: each record's attributes with the extra sort keys it is found by.
pub(super) struct Listing {
    pub entries: Vec<(Item, Vec<String>)>,
    /// For a stock location's listing, its number: the order of a market's listings.
    pub location_number: Option<u64>,
}

impl Listing {
    fn of<T>(records: &[T], attributes: fn(&T) -> Item, keys: impl Fn(&T) -> Vec<String>) -> Self {
        Self {
            entries: records.iter().map(|r| (attributes(r), keys(r))).collect(),
            location_number: None,
        }
    }

    /// Every item of the listing, positions, lookup copies and its size.
    pub fn items(&self, partition: &str) -> Vec<Item> {
        let mut items = Vec::new();
        for (position, (attributes, keys)) in self.entries.iter().enumerate() {
            for sort_key in std::iter::once(position_key(position as u64)).chain(keys.clone()) {
                let mut item = attributes.clone();
                item.extend(key(partition.to_owned(), sort_key));
                items.push(item);
            }
        }
        let mut count = key(partition.to_owned(), "count".into());
        count.insert("type".into(), s("listing_count"));
        count.insert("n".into(), n(self.entries.len()));
        set_some(&mut count, "number", self.location_number.map(n));
        items.push(count);
        items
    }
}

/// Every listing of one environment, from all its catalog records.
pub(super) fn listings(
    markets: &[Market],
    skus: &[Sku],
    prices: &[Price],
    stock_items: &[StockItem],
) -> BTreeMap<String, Listing> {
    let mut markets = markets.to_vec();
    markets.sort_by(order::markets);
    let mut skus = skus.to_vec();
    skus.sort_by(order::skus);
    let mut prices = prices.to_vec();
    prices.sort_by(order::prices);
    let mut stock = stock_items.to_vec();
    stock.sort_by(order::stock_items);

    let by_id = |id: &String| vec![format!("id#{id}")];
    let sku_keys = |sku: &Sku| vec![format!("id#{}", sku.id), format!("code#{}", sku.code)];
    let mut listings = BTreeMap::new();
    listings.insert(
        "markets".to_owned(),
        Listing::of(&markets, market_attributes, |m| by_id(&m.id)),
    );
    listings.insert(
        "skus".to_owned(),
        Listing::of(&skus, sku_attributes, sku_keys),
    );
    listings.insert(
        "prices".to_owned(),
        Listing::of(&prices, price_attributes, |p| by_id(&p.id)),
    );
    listings.insert(
        "stock".to_owned(),
        Listing::of(&stock, stock_attributes, |s| by_id(&s.id)),
    );
    let visible_skus = |view: &CatalogView| -> Vec<Sku> {
        skus.iter()
            .filter(|sku| view.shows_sku(sku, &prices, &stock))
            .cloned()
            .collect()
    };
    for market in &markets {
        let view = CatalogView::of_market(market, &[]);
        listings.insert(
            sku_listing(&market.id, None),
            Listing::of(&visible_skus(&view), sku_attributes, sku_keys),
        );
        for subset in location_subsets(&market.stock_location_ids) {
            let view = CatalogView::of_market(market, &subset);
            listings.insert(
                sku_listing(&market.id, Some(&subset)),
                Listing::of(&visible_skus(&view), sku_attributes, sku_keys),
            );
        }
        let list_id = &market.price_list_id;
        let in_list: Vec<Price> = prices
            .iter()
            .filter(|p| &p.price_list_id == list_id)
            .cloned()
            .collect();
        listings.insert(
            format!("prices@{list_id}"),
            Listing::of(&in_list, price_attributes, |p| by_id(&p.id)),
        );
    }
    let mut locations: BTreeMap<&str, (u64, Vec<StockItem>)> = BTreeMap::new();
    for market in &markets {
        for (id, number) in market
            .stock_location_ids
            .iter()
            .zip(&market.stock_location_numbers)
        {
            locations.entry(id).or_insert((*number, vec![]));
        }
    }
    for item in &stock {
        locations
            .entry(&item.stock_location_id)
            .or_insert((item.stock_location_number, vec![]))
            .1
            .push(item.clone());
    }
    for (id, (number, items)) in locations {
        let mut listing = Listing::of(&items, stock_attributes, |s| by_id(&s.id));
        listing.location_number = Some(number);
        listings.insert(format!("stock@{id}"), listing);
    }
    listings
}

/// The subsets of a market's locations that get their own SKU listing.
fn location_subsets(locations: &[String]) -> Vec<Vec<String>> {
    if locations.len() > MAX_SUBSET_LOCATIONS {
        return locations.iter().map(|l| vec![l.clone()]).collect();
    }
    (1u32..(1 << locations.len()))
        .map(|mask| {
            locations
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, l)| l.clone())
                .collect()
        })
        .collect()
}

pub(super) fn count_of(item: Option<&Item>) -> Result<u64, StoreError> {
    match item {
        None => Ok(0),
        Some(item) => Reader { item }.number("n"),
    }
}

pub(super) fn number_of(item: &Item) -> Option<u64> {
    match item.get("number") {
        Some(AttributeValue::N(value)) => value.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subset_of_a_small_market_and_each_location_of_a_large_one_gets_a_listing() {
        let ids = |n: usize| (0..n).map(|i| format!("sl_{i}")).collect::<Vec<_>>();
        assert_eq!(location_subsets(&ids(3)).len(), 7);
        assert_eq!(location_subsets(&ids(MAX_SUBSET_LOCATIONS)).len(), 63);
        assert_eq!(location_subsets(&ids(MAX_SUBSET_LOCATIONS + 1)).len(), 7);
        assert_eq!(
            sku_listing("m", Some(&["b".into(), "a".into()])),
            sku_listing("m", Some(&["a".into(), "b".into(), "a".into()]))
        );
    }

    #[test]
    fn catalog_records_survive_the_round_trip_through_items() {
        let catalog = gatehouse_core::seed::parse_seed(gatehouse_core::seed::DEMO_SEED).unwrap();
        for sku in &catalog.skus {
            assert_eq!(&sku_from(&sku_attributes(sku)).unwrap(), sku);
        }
        for price in &catalog.prices {
            assert_eq!(&price_from(&price_attributes(price)).unwrap(), price);
        }
        for item in &catalog.stock_items {
            assert_eq!(&stock_from(&stock_attributes(item)).unwrap(), item);
        }
        for market in &catalog.markets {
            let mut item = market_attributes(market);
            item.extend(key("P".into(), "S".into()));
            assert_eq!(&super::super::items::market_from(&item).unwrap(), market);
        }
    }
}
