//! Catalog reads ([`gatehouse_store::CatalogReads`]), on both stores, over the demo
//! catalog: in market 1001 (price list pl_eur, stock locations sl_ams and sl_ber) the mug is
//! sellable with a stock of 0 and the T-shirt with stock at sl_ams; the cap is stocked at
//! sl_ams but priced only in pl_vip.

use super::*;
use gatehouse_core::model::{CatalogView, Market};
use gatehouse_store::PageRequest;

fn page(number: u64, size: u64) -> PageRequest {
    PageRequest {
        number,
        size,
        after: None,
    }
}

const ALL: PageRequest = PageRequest {
    number: 1,
    size: 100,
    after: None,
};

async fn market(store: &dyn CatalogReads, id: &str) -> Market {
    store
        .list_markets(Mode::Test, ALL)
        .await
        .unwrap()
        .records
        .into_iter()
        .find(|m| m.id == id)
        .map(std::sync::Arc::unwrap_or_clone)
        .expect("the market")
}

async fn sku_codes(
    store: &dyn CatalogReads,
    view: &CatalogView,
    at: PageRequest,
) -> (Vec<String>, u64) {
    let page = store.list_skus(view, at).await.unwrap();
    (
        page.records.iter().map(|s| s.code.clone()).collect(),
        page.record_count,
    )
}

async fn markets_are_listed_by_number_within_their_environment(store: Arc<dyn CatalogReads>) {
    let test = store.list_markets(Mode::Test, ALL).await.unwrap();
    let numbers: Vec<u64> = test.records.iter().map(|m| m.number).collect();
    assert_eq!(
        (numbers, test.record_count),
        (vec![1001, 1002, 1003, 1004], 4)
    );
    let second = store.list_markets(Mode::Test, page(2, 3)).await.unwrap();
    assert_eq!(second.records.len(), 1);
    assert_eq!(second.record_count, 4);
    let live = store.list_markets(Mode::Live, ALL).await.unwrap();
    assert_eq!(
        live.records.iter().map(|m| m.number).collect::<Vec<_>>(),
        [2001]
    );
}

async fn a_market_view_lists_only_the_skus_sellable_there(store: Arc<dyn CatalogReads>) {
    let store = store.as_ref();
    let eu = market(store, "mkt_eu").await;
    let all = CatalogView::All { mode: Mode::Test };
    let cases: [(CatalogView, &[&str]); 6] = [
        (all.clone(), &["CAP-RED", "MUG-WHT", "TSHIRT-BLK-M"]),
        (
            CatalogView::of_market(&eu, &[]),
            &["MUG-WHT", "TSHIRT-BLK-M"],
        ),
        (
            CatalogView::of_market(&eu, &["sl_ber".into()]),
            &["MUG-WHT"],
        ),
        (
            CatalogView::of_market(&eu, &["sl_ams".into()]),
            &["TSHIRT-BLK-M"],
        ),
        (
            CatalogView::of_market(&eu, &["sl_ber".into(), "sl_ams".into()]),
            &["MUG-WHT", "TSHIRT-BLK-M"],
        ),
        (
            CatalogView::of_market(&market(store, "mkt_us").await, &[]),
            &["TSHIRT-BLK-M"],
        ),
    ];
    for (view, expected) in cases {
        let (codes, count) = sku_codes(store, &view, ALL).await;
        assert_eq!(codes, expected, "{view:?}");
        assert_eq!(count, expected.len() as u64, "{view:?}");
    }
    let (first, count) = sku_codes(store, &all, page(1, 2)).await;
    assert_eq!(
        (first, count),
        (vec!["CAP-RED".to_owned(), "MUG-WHT".to_owned()], 3)
    );
    let (second, _) = sku_codes(store, &all, page(2, 2)).await;
    assert_eq!(second, ["TSHIRT-BLK-M"]);
    let (beyond, count) = sku_codes(store, &all, page(9, 2)).await;
    assert!(beyond.is_empty());
    assert_eq!(count, 3);
    let live = CatalogView::All { mode: Mode::Live };
    assert_eq!(sku_codes(store, &live, ALL).await.0, Vec::<String>::new());
}

async fn a_sku_is_found_by_id_or_code_only_where_it_is_sellable(store: Arc<dyn CatalogReads>) {
    let store = store.as_ref();
    let eu = CatalogView::of_market(&market(store, "mkt_eu").await, &[]);
    let ber = CatalogView::of_market(&market(store, "mkt_eu").await, &["sl_ber".into()]);
    let all = CatalogView::All { mode: Mode::Test };
    assert_eq!(
        store
            .find_sku(&eu, "sku_mug")
            .await
            .unwrap()
            .map(|s| s.code),
        Some("MUG-WHT".into())
    );
    assert!(store.find_sku(&eu, "sku_cap").await.unwrap().is_none());
    assert!(store.find_sku(&all, "sku_cap").await.unwrap().is_some());
    assert!(store.find_sku(&ber, "sku_tshirt").await.unwrap().is_none());
    assert_eq!(
        store
            .find_sku_by_code(&eu, "TSHIRT-BLK-M")
            .await
            .unwrap()
            .map(|s| s.id),
        Some("sku_tshirt".into())
    );
    assert!(store
        .find_sku_by_code(&eu, "CAP-RED")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_sku_by_code(&all, "NOPE")
        .await
        .unwrap()
        .is_none());
    let live = CatalogView::All { mode: Mode::Live };
    assert!(store.find_sku(&live, "sku_mug").await.unwrap().is_none());
}

async fn prices_are_those_of_the_markets_price_list(store: Arc<dyn CatalogReads>) {
    let store = store.as_ref();
    let ids = |page: Page<gatehouse_core::model::Price>| {
        (
            page.records
                .iter()
                .map(|p| p.id.clone())
                .collect::<Vec<_>>(),
            page.record_count,
        )
    };
    let eu = CatalogView::of_market(&market(store, "mkt_eu").await, &[]);
    assert_eq!(
        ids(store.list_prices(&eu, ALL).await.unwrap()),
        (vec!["pr_mug_eur".to_owned(), "pr_tshirt_eur".to_owned()], 2)
    );
    let all = CatalogView::All { mode: Mode::Test };
    assert_eq!(
        ids(store.list_prices(&all, ALL).await.unwrap()).0,
        ["pr_cap_vip", "pr_mug_eur", "pr_tshirt_eur", "pr_tshirt_usd"]
    );
    assert_eq!(
        ids(store.list_prices(&all, page(2, 3)).await.unwrap()),
        (vec!["pr_tshirt_usd".to_owned()], 4)
    );
}

async fn stock_items_are_those_of_the_views_locations_across_pages(store: Arc<dyn CatalogReads>) {
    let store = store.as_ref();
    let ids = |page: Page<gatehouse_core::model::StockItem>| {
        (
            page.records
                .iter()
                .map(|s| s.id.clone())
                .collect::<Vec<_>>(),
            page.record_count,
        )
    };
    let eu_market = market(store, "mkt_eu").await;
    let eu = CatalogView::of_market(&eu_market, &[]);
    assert_eq!(
        ids(store.list_stock_items(&eu, ALL).await.unwrap()),
        (
            vec![
                "si_cap_ams".to_owned(),
                "si_tshirt_ams".to_owned(),
                "si_mug_ber".to_owned()
            ],
            3
        )
    );
    // A page that spans two stock locations, and the one after it.
    assert_eq!(
        ids(store.list_stock_items(&eu, page(1, 2)).await.unwrap()),
        (vec!["si_cap_ams".to_owned(), "si_tshirt_ams".to_owned()], 3)
    );
    assert_eq!(
        ids(store.list_stock_items(&eu, page(2, 2)).await.unwrap()),
        (vec!["si_mug_ber".to_owned()], 3)
    );
    let ber = CatalogView::of_market(&eu_market, &["sl_ber".into()]);
    assert_eq!(
        ids(store.list_stock_items(&ber, ALL).await.unwrap()),
        (vec!["si_mug_ber".to_owned()], 1)
    );
    let all = CatalogView::All { mode: Mode::Test };
    assert_eq!(ids(store.list_stock_items(&all, ALL).await.unwrap()).1, 4);
    // A market with no stock location has no stock items (and asks storage for no keys).
    let no_locations = CatalogView::Market {
        mode: Mode::Test,
        market_id: "mkt_bare".into(),
        price_list_id: "pl_eur".into(),
        stock_location_ids: vec![],
        narrowed: false,
    };
    assert_eq!(
        ids(store.list_stock_items(&no_locations, ALL).await.unwrap()),
        (vec![], 0)
    );
}

conformance!(
    markets_are_listed_by_number_within_their_environment,
    a_market_view_lists_only_the_skus_sellable_there,
    a_sku_is_found_by_id_or_code_only_where_it_is_sellable,
    prices_are_those_of_the_markets_price_list,
    stock_items_are_those_of_the_views_locations_across_pages,
);
