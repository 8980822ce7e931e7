//! The catalog's collections of a seed: price lists, SKUs, prices and stock items, checked
//! like every other collection (see `validate.rs`) and carried into the [`Catalog`].
//!
//! [`Catalog`]: crate::model::Catalog

use std::collections::HashSet;

use super::format::{SeedPrice, SeedPriceList, SeedSku, SeedStockItem};
use super::known::Known;
use super::Problems;
use crate::model::{Price, PriceList, Sku, StockItem};

pub(super) fn price_lists<'a>(
    problems: &mut Problems,
    known: &mut Known<'a>,
    lists: &'a [SeedPriceList],
) -> Vec<PriceList> {
    let mut ids = HashSet::new();
    let checked = lists.iter().enumerate().map(|(i, list)| {
        problems.id(&mut ids, "price_lists", i, &list.id);
        if list.currency.len() != 3 || !list.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            problems.add(
                format!("price_lists[{i}].currency"),
                "must be an ISO 4217 code such as EUR",
            );
        }
        known.price_lists.insert((list.mode, &list.id));
        PriceList {
            id: list.id.clone(),
            mode: list.mode,
            name: list.name.clone(),
            currency: list.currency.clone(),
        }
    });
    checked.collect()
}

pub(super) fn skus<'a>(
    problems: &mut Problems,
    known: &mut Known<'a>,
    skus: &'a [SeedSku],
) -> Vec<Sku> {
    let mut ids = HashSet::new();
    for (i, sku) in skus.iter().enumerate() {
        problems.id(&mut ids, "skus", i, &sku.id);
        problems.key(format!("skus[{i}].code"), &sku.code);
        let key = (sku.mode, sku.code.as_str());
        problems.unique(&mut known.skus, key, format!("skus[{i}].code"), "code");
    }
    skus.iter()
        .map(|sku| Sku {
            id: sku.id.clone(),
            mode: sku.mode,
            code: sku.code.clone(),
            name: sku.name.clone(),
        })
        .collect()
}

pub(super) fn prices(
    problems: &mut Problems,
    known: &Known<'_>,
    prices: &[SeedPrice],
) -> Vec<Price> {
    let mut ids = HashSet::new();
    let mut records = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        let path = |field: &str| format!("prices[{i}].{field}");
        problems.id(&mut ids, "prices", i, &price.id);
        known.sku(problems, path("sku_code"), price.mode, &price.sku_code);
        known.price_list(
            problems,
            path("price_list_id"),
            price.mode,
            &price.price_list_id,
        );
        match u64::try_from(price.amount_cents) {
            Ok(amount_cents) => records.push(Price {
                id: price.id.clone(),
                mode: price.mode,
                sku_code: price.sku_code.clone(),
                price_list_id: price.price_list_id.clone(),
                amount_cents,
            }),
            Err(_) => problems.add(path("amount_cents"), "must not be negative"),
        }
    }
    records
}

pub(super) fn stock_items(
    problems: &mut Problems,
    known: &Known<'_>,
    items: &[SeedStockItem],
) -> Vec<StockItem> {
    let mut ids = HashSet::new();
    let mut records = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = |field: &str| format!("stock_items[{i}].{field}");
        problems.id(&mut ids, "stock_items", i, &item.id);
        known.sku(problems, path("sku_code"), item.mode, &item.sku_code);
        let number = item.stock_location_number;
        let location =
            known.stock_location(problems, path("stock_location_number"), item.mode, number);
        let quantity = u64::try_from(item.quantity);
        if quantity.is_err() {
            problems.add(path("quantity"), "must not be negative");
        }
        if let (Some(location), Ok(quantity)) = (location, quantity) {
            records.push(StockItem {
                id: item.id.clone(),
                mode: item.mode,
                sku_code: item.sku_code.clone(),
                stock_location_id: location.to_owned(),
                stock_location_number: number,
                quantity,
            });
        }
    }
    records
}
