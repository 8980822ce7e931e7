//! Generated catalogs and the check that a store lists exactly what the model's rules compute
//! from a catalog's records, for the catalog tests (`store_conformance`, `catalog_imports`).

use gatehouse_core::model::{
    Catalog, CatalogView, Market, Mode, Price, Sku, StockItem, StockLocation,
};
use gatehouse_store::catalog::order;
use gatehouse_store::{Page, PageRequest, Store};

use crate::demo_catalog;

/// A small deterministic generator (xorshift64): the same catalog on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// The demo catalog with `skus` more SKUs of each environment, priced in some of its markets'
/// price lists and stocked at some of its stock locations.
pub fn generated(seed: u64, skus: u32) -> Catalog {
    let mut catalog = demo_catalog();
    let mut dice = Dice(seed);
    for mode in Mode::ALL {
        let mut lists: Vec<String> = (catalog.markets.iter())
            .filter(|m| m.mode == mode)
            .map(|m| m.price_list_id.clone())
            .collect();
        lists.sort();
        lists.dedup();
        let locations: Vec<(String, u64)> = (catalog.stock_locations.iter())
            .filter(|l| l.mode == mode)
            .map(|l| (l.id.clone(), l.number))
            .collect();
        for i in 0..skus {
            let code = format!("GEN-{}-{i:03}", mode.as_str());
            catalog.skus.push(Sku {
                id: format!("sku_{code}"),
                mode,
                code: code.clone(),
                name: format!("Generated {i}"),
            });
            for list in &lists {
                if dice.roll(10) < 6 {
                    catalog.prices.push(Price {
                        id: format!("pr_{code}_{list}"),
                        mode,
                        sku_code: code.clone(),
                        price_list_id: list.clone(),
                        amount_cents: 100 + dice.roll(900),
                    });
                }
            }
            for (location, number) in &locations {
                if dice.roll(10) < 5 {
                    catalog.stock_items.push(StockItem {
                        id: format!("si_{code}_{location}"),
                        mode,
                        sku_code: code.clone(),
                        stock_location_id: location.clone(),
                        stock_location_number: *number,
                        quantity: dice.roll(3),
                    });
                }
            }
        }
    }
    catalog
}

/// `catalog` changed: every fifth generated SKU deleted with its records, every fifth one's
/// prices changed, every fifth one moved from its first stock location, a few SKUs added.
pub fn changed(catalog: &Catalog) -> Catalog {
    let mut changed = catalog.clone();
    let nth = |code: &str| code.rsplit('-').next().and_then(|n| n.parse::<u32>().ok());
    let deleted = |code: &str| nth(code).is_some_and(|n| n % 5 == 0);
    changed.skus.retain(|s| !deleted(&s.code));
    changed.prices.retain(|p| !deleted(&p.sku_code));
    changed.stock_items.retain(|s| !deleted(&s.sku_code));
    for price in &mut changed.prices {
        if nth(&price.sku_code).is_some_and(|n| n % 5 == 1) {
            price.amount_cents += 1;
        }
    }
    let mut moved = std::collections::BTreeSet::new();
    changed.stock_items.retain(|s| {
        let first =
            nth(&s.sku_code).is_some_and(|n| n % 5 == 2) && moved.insert(s.sku_code.clone());
        !first
    });
    let mut more = generated(99, 3);
    more.skus.retain(|s| s.code.starts_with("GEN-"));
    for sku in &mut more.skus {
        sku.code = sku.code.replace("GEN-", "NEW-");
        sku.id = sku.id.replace("GEN-", "NEW-");
    }
    for price in &mut more.prices {
        price.sku_code = price.sku_code.replace("GEN-", "NEW-");
        price.id = price.id.replace("GEN-", "NEW-");
    }
    for item in &mut more.stock_items {
        item.sku_code = item.sku_code.replace("GEN-", "NEW-");
        item.id = item.id.replace("GEN-", "NEW-");
    }
    changed
        .skus
        .extend(more.skus.into_iter().filter(|s| s.code.starts_with("NEW-")));
    changed.prices.extend(
        more.prices
            .into_iter()
            .filter(|p| p.sku_code.starts_with("NEW-")),
    );
    let new_stock = more.stock_items.into_iter();
    changed
        .stock_items
        .extend(new_stock.filter(|s| s.sku_code.starts_with("NEW-")));
    changed
}

/// Every view a token can have of `catalog`: each environment's, each market's, and each
/// market narrowed to each of its locations, each pair of them, and all of them.
pub fn views(catalog: &Catalog) -> Vec<CatalogView> {
    let mut views: Vec<CatalogView> = Mode::ALL.map(|mode| CatalogView::All { mode }).into();
    for market in &catalog.markets {
        views.push(CatalogView::of_market(market, &[]));
        let locations = &market.stock_location_ids;
        for (i, a) in locations.iter().enumerate() {
            views.push(CatalogView::of_market(market, std::slice::from_ref(a)));
            for b in &locations[i + 1..] {
                views.push(CatalogView::of_market(market, &[a.clone(), b.clone()]));
            }
        }
        if locations.len() > 2 {
            views.push(CatalogView::of_market(market, locations));
        }
    }
    views
}

/// Every page of a list, 7 records at a time, each page's count checked against `expected`.
async fn every_page<T: Clone, F, Fut>(expected: usize, what: &str, load: F) -> Vec<T>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut records = Vec::new();
    for number in 1..=(expected as u64).div_ceil(7) + 1 {
        let page = load(PageRequest {
            number,
            size: 7,
            after: None,
        })
        .await;
        assert_eq!(page.record_count, expected as u64, "{what}, page {number}");
        records.extend(
            page.records
                .into_iter()
                .map(std::sync::Arc::unwrap_or_clone),
        );
    }
    records
}

/// Every view's lists and lookups in `store` are those computed from `catalog`'s records.
pub async fn lists_are_those_of(store: &dyn Store, catalog: &Catalog) {
    lists_in_views_are_those_of(store, catalog, views(catalog)).await
}

/// The lists and lookups of `views` in `store` are those computed from `catalog`'s records.
pub async fn lists_in_views_are_those_of(
    store: &dyn Store,
    catalog: &Catalog,
    views: Vec<CatalogView>,
) {
    let (prices, stock) = (&catalog.prices, &catalog.stock_items);
    for view in views {
        let mut skus: Vec<Sku> = (catalog.skus.iter())
            .filter(|s| view.shows_sku(s, prices, stock))
            .cloned()
            .collect();
        skus.sort_by(order::skus);
        let what = format!("SKUs of {view:?}");
        let listed = every_page(skus.len(), &what, |page| {
            let view = view.clone();
            async move { store.list_skus(&view, page).await.unwrap() }
        });
        assert_eq!(listed.await, skus, "{what}");
        let mut shown: Vec<Price> = prices
            .iter()
            .filter(|p| view.shows_price(p))
            .cloned()
            .collect();
        shown.sort_by(order::prices);
        let what = format!("prices of {view:?}");
        let listed = every_page(shown.len(), &what, |page| {
            let view = view.clone();
            async move { store.list_prices(&view, page).await.unwrap() }
        });
        assert_eq!(listed.await, shown, "{what}");
        let mut shown: Vec<StockItem> = (stock.iter())
            .filter(|s| view.shows_stock_item(s))
            .cloned()
            .collect();
        shown.sort_by(order::stock_items);
        let what = format!("stock items of {view:?}");
        let listed = every_page(shown.len(), &what, |page| {
            let view = view.clone();
            async move { store.list_stock_items(&view, page).await.unwrap() }
        });
        assert_eq!(listed.await, shown, "{what}");
        // Every third SKU is looked up (all of them would take moto minutes).
        let looked_up = catalog.skus.iter().step_by(3);
        for sku in looked_up.filter(|s| s.mode == view.mode()) {
            let expected = skus.contains(sku).then(|| sku.clone());
            let by_id = store.find_sku(&view, &sku.id).await.unwrap();
            assert_eq!(by_id, expected, "{} in {view:?}", sku.id);
            let by_code = store.find_sku_by_code(&view, &sku.code).await.unwrap();
            assert_eq!(by_code, expected, "{} in {view:?}", sku.code);
        }
    }
}

/// An id of 36 characters, in the form of a UUID: `kind` and `n` told apart.
pub fn long_id(kind: u32, n: u64) -> String {
    format!("{kind:08x}-0000-4000-8000-{n:012x}")
}

/// The demo catalog with `markets` more test markets of `per_market` stock locations each
/// (neighbours share some), five price lists, and `skus` SKUs priced in some lists and stocked
/// at a few locations; every id and code 36 characters long.
pub fn wide(markets: u64, per_market: u64, skus: u64) -> Catalog {
    let mut catalog = demo_catalog();
    let mut dice = Dice(11);
    let mode = Mode::Test;
    let pool = markets * 2 + per_market;
    let locations: Vec<(String, u64)> = (0..pool).map(|n| (long_id(1, n), 9000 + n)).collect();
    for (id, number) in &locations {
        catalog.stock_locations.push(StockLocation {
            id: id.clone(),
            number: *number,
            code: id.clone(),
            name: format!("Location {number}"),
            mode,
        });
    }
    let lists: Vec<String> = (0..5).map(|n| long_id(2, n)).collect();
    for m in 0..markets {
        let at = &locations[(m * 2) as usize..(m * 2 + per_market) as usize];
        catalog.markets.push(Market {
            id: long_id(3, m),
            number: 5000 + m,
            code: long_id(3, m),
            name: format!("Market {m}"),
            mode,
            active: true,
            price_list_id: lists[(m % 5) as usize].clone(),
            stock_location_ids: at.iter().map(|(id, _)| id.clone()).collect(),
            stock_location_numbers: at.iter().map(|(_, number)| *number).collect(),
            customer_group_id: None,
        });
    }
    for n in 0..skus {
        let code = long_id(4, n);
        catalog.skus.push(Sku {
            id: long_id(5, n),
            mode,
            code: code.clone(),
            name: format!("Wide {n}"),
        });
        for (l, list) in lists.iter().enumerate() {
            if dice.roll(10) < 7 {
                catalog.prices.push(Price {
                    id: long_id(6, n * 10 + l as u64),
                    mode,
                    sku_code: code.clone(),
                    price_list_id: list.clone(),
                    amount_cents: 100 + dice.roll(900),
                });
            }
        }
        for _ in 0..4 {
            let (location, number) = &locations[dice.roll(pool) as usize];
            let id = long_id(7, n * 1000 + number % 1000);
            if catalog.stock_items.iter().all(|s| s.id != id) {
                catalog.stock_items.push(StockItem {
                    id,
                    mode,
                    sku_code: code.clone(),
                    stock_location_id: location.clone(),
                    stock_location_number: *number,
                    quantity: dice.roll(5),
                });
            }
        }
    }
    catalog
}
