//! The records related to a page (`include`): a SKU's prices and stock items under a view, and
//! price lists by id, on both stores. Every expected answer is computed from the demo catalog's
//! records with the model's visibility rules ([`CatalogView::shows_price`] and
//! [`CatalogView::shows_stock_item`]), never written out.

use super::*;
use gatehouse_core::model::{Catalog, CatalogView, Market};

fn views(catalog: &Catalog) -> Vec<CatalogView> {
    let market =
        |id: &str| -> &Market { catalog.markets.iter().find(|m| m.id == id).expect("market") };
    let mut views = vec![
        CatalogView::All { mode: Mode::Test },
        CatalogView::All { mode: Mode::Live },
    ];
    for market in catalog.markets.iter() {
        views.push(CatalogView::of_market(market, &[]));
        // Narrowed to each of its stock locations in turn.
        for location in &market.stock_location_ids {
            views.push(CatalogView::of_market(
                market,
                std::slice::from_ref(location),
            ));
        }
    }
    views.push(CatalogView::of_market(market("mkt_eu"), &["sl_ber".into()]));
    views
}

/// Every SKU code of the catalog, an unknown one, and one twice.
fn codes(catalog: &Catalog) -> Vec<String> {
    let mut codes: Vec<String> = catalog.skus.iter().map(|s| s.code.clone()).collect();
    codes.push("NO-SUCH-SKU".into());
    codes.push(codes[0].clone());
    codes
}

async fn a_skus_prices_are_those_its_view_shows(store: Arc<dyn CatalogReads>) {
    let catalog = demo_catalog();
    let codes = codes(&catalog);
    for view in views(&catalog) {
        for asked in [&codes[..], &codes[..1], &[]] {
            let found = store.prices_of_skus(&view, asked).await.unwrap();
            let found: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
            let mut expected: Vec<_> = (catalog.prices.iter())
                .filter(|p| asked.contains(&p.sku_code) && view.shows_price(p))
                .collect();
            expected.sort_by(|a, b| gatehouse_store::catalog::order::prices(a, b));
            let expected: Vec<&str> = expected.iter().map(|p| p.id.as_str()).collect();
            assert_eq!(found, expected, "{view:?} {asked:?}");
        }
    }
}

async fn a_skus_stock_items_are_those_its_view_shows(store: Arc<dyn CatalogReads>) {
    let catalog = demo_catalog();
    let codes = codes(&catalog);
    for view in views(&catalog) {
        for asked in [&codes[..], &codes[1..2], &[]] {
            let found = store.stock_items_of_skus(&view, asked).await.unwrap();
            let found: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
            let mut expected: Vec<_> = (catalog.stock_items.iter())
                .filter(|s| asked.contains(&s.sku_code) && view.shows_stock_item(s))
                .collect();
            expected.sort_by(|a, b| gatehouse_store::catalog::order::stock_items(a, b));
            let expected: Vec<&str> = expected.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(found, expected, "{view:?} {asked:?}");
        }
    }
}

async fn price_lists_are_found_by_id_within_their_environment(store: Arc<dyn CatalogReads>) {
    let catalog = demo_catalog();
    let mut ids: Vec<String> = catalog.price_lists.iter().map(|l| l.id.clone()).collect();
    ids.push("pl_none".into());
    for mode in Mode::ALL {
        let mut found = store.find_price_lists(mode, &ids).await.unwrap();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        let mut expected: Vec<_> = (catalog.price_lists.iter())
            .filter(|l| l.mode == mode)
            .cloned()
            .collect();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert!(!expected.is_empty() || mode == Mode::Live, "{mode:?}");
        assert_eq!(found, expected, "{mode:?}");
    }
    assert!(store
        .find_price_lists(Mode::Test, &[])
        .await
        .unwrap()
        .is_empty());
}

conformance!(
    a_skus_prices_are_those_its_view_shows,
    a_skus_stock_items_are_those_its_view_shows,
    price_lists_are_found_by_id_within_their_environment,
);
