//! The catalog's records as items' attributes, and back: what every entry of a list carries
//! (`lists.rs` gives the keys).

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::reader::Reader;
use crate::StoreError;
use gatehouse_core::model::{Price, PriceList, Sku, StockItem};

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

pub(super) fn price_list_attributes(list: &PriceList) -> Item {
    Item::from([
        ("type".into(), s("price_list")),
        ("id".into(), s(&list.id)),
        ("mode".into(), s(list.mode.as_str())),
        ("name".into(), s(&list.name)),
        ("currency".into(), s(&list.currency)),
    ])
}

pub(super) fn price_list_from(item: &Item) -> Result<PriceList, StoreError> {
    let r = Reader { item };
    Ok(PriceList {
        id: r.string("id")?,
        mode: r.mode()?,
        name: r.string("name")?,
        currency: r.string("currency")?,
    })
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
    use super::super::items::market_attributes;
    use super::*;

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
        for list in &catalog.price_lists {
            assert_eq!(
                &price_list_from(&price_list_attributes(list)).unwrap(),
                list
            );
        }
        for market in &catalog.markets {
            let mut item = market_attributes(market);
            item.extend(key("P".into(), "S".into()));
            assert_eq!(&super::super::items::market_from(&item).unwrap(), market);
        }
    }
}
