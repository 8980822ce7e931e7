use super::fixtures::{market, price, stock};
use super::*;
use crate::model::Sku;

fn listing(list: &str, locations: &[&str]) -> SkuListing {
    SkuListing::new(Mode::Test, list, locations.iter().copied()).unwrap()
}

#[test]
fn a_listing_is_its_price_list_and_its_set_of_locations() {
    assert_eq!(listing("pl", &["b", "a", "b"]), listing("pl", &["a", "b"]));
    assert_eq!(listing("pl", &["b", "a"]).stock_location_ids(), ["a", "b"]);
    assert_ne!(listing("pl", &["a"]), listing("pl", &["a", "b"]));
    assert_ne!(listing("pl", &["a"]), listing("other", &["a"]));
    assert_eq!(
        SkuListing::new(Mode::Test, "pl", Vec::<String>::new()),
        None
    );
}

#[test]
fn names_tell_listings_apart_and_do_not_grow_with_the_locations() {
    let cases = [
        (listing("pl", &["a", "bc"]), listing("pl", &["ab", "c"])),
        (listing("pl", &["a"]), listing("pl", &["a", "b"])),
        (listing("pl", &["a"]), listing("pm", &["a"])),
        (listing("pl", &["a", "b"]), listing("pl", &["a b"])),
    ];
    for (one, other) in cases {
        assert_ne!(one.name(), other.name(), "{one:?} and {other:?}");
    }
    assert_eq!(
        listing("pl", &["b", "a"]).name(),
        listing("pl", &["a", "b"]).name()
    );
    let many: Vec<String> = (0..500).map(|n| format!("{n:036}")).collect();
    let long = SkuListing::new(Mode::Test, "pl", many).unwrap();
    assert_eq!(long.name().len(), "pl@".len() + 32);
}

#[test]
fn markets_sharing_a_price_list_and_locations_share_their_listings() {
    let markets = [
        market("m1", "eu", &["a", "b"]),
        market("m2", "eu", &["b", "a"]),
        market("m3", "us", &["a"]),
        market("m4", "eu", &[]),
    ];
    let expected: BTreeSet<SkuListing> = [
        listing("eu", &["a", "b"]),
        listing("eu", &["a"]),
        listing("eu", &["b"]),
        listing("us", &["a"]),
    ]
    .into();
    assert_eq!(listings_of(&markets), expected);
}

#[test]
fn a_listing_shows_a_sku_priced_in_its_list_and_stocked_at_one_of_its_locations() {
    let prices = [price("s", "eu", 100), price("other", "us", 100)];
    let stock = [stock("s", "a", 0), stock("other", "b", 0)];
    let presence = SkuPresence::of(Mode::Test, "s", &prices, &stock);
    let cases = [
        (listing("eu", &["a"]), true),
        (listing("eu", &["a", "b"]), true),
        (listing("eu", &["b"]), false),
        (listing("us", &["a"]), false),
    ];
    for (listing, shown) in cases {
        assert_eq!(listing.shows(&presence), shown, "{listing:?}");
    }
    let live = SkuPresence::of(Mode::Live, "s", &prices, &stock);
    assert!(!listing("eu", &["a"]).shows(&live));
}

#[test]
fn each_view_reads_its_skus_from_a_kept_listing_or_a_merge_of_them() {
    let m = market("m", "eu", &["a", "b", "c"]);
    let view = |scoped: &[&str]| {
        let scoped: Vec<String> = scoped.iter().map(|s| s.to_string()).collect();
        CatalogView::of_market(&m, &scoped)
    };
    let cases = [
        (
            view(&[]),
            SkuSource::Listing(listing("eu", &["a", "b", "c"])),
        ),
        (view(&["b"]), SkuSource::Listing(listing("eu", &["b"]))),
        (
            view(&["c", "a", "c"]),
            SkuSource::Merge(vec![listing("eu", &["a"]), listing("eu", &["c"])]),
        ),
        (
            CatalogView::of_market(&market("e", "eu", &[]), &[]),
            SkuSource::Merge(vec![]),
        ),
        (
            CatalogView::All { mode: Mode::Live },
            SkuSource::All { mode: Mode::Live },
        ),
    ];
    for (view, source) in cases {
        assert_eq!(SkuSource::of(&view), source, "{view:?}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const CODES: [&str; 6] = ["s0", "s1", "s2", "s3", "s4", "s5"];
    const LISTS: [&str; 3] = ["eu", "us", "uk"];
    const LOCATIONS: [&str; 5] = ["a", "b", "c", "d", "e"];

    fn catalog() -> impl Strategy<Value = (Vec<Price>, Vec<StockItem>, Vec<Market>)> {
        let prices = prop::collection::vec((0..CODES.len(), 0..LISTS.len()), 0..14);
        let stock = prop::collection::vec((0..CODES.len(), 0..LOCATIONS.len()), 0..20);
        let markets = prop::collection::vec(
            (
                0..LISTS.len(),
                prop::collection::btree_set(0..LOCATIONS.len(), 0..4),
            ),
            1..5,
        );
        (prices, stock, markets).prop_map(|(prices, stock, markets)| {
            let prices = prices
                .into_iter()
                .map(|(c, l)| price(CODES[c], LISTS[l], 100))
                .collect();
            let stock = stock
                .into_iter()
                .map(|(c, l)| super::stock(CODES[c], LOCATIONS[l], 0))
                .collect();
            let markets = markets
                .into_iter()
                .enumerate()
                .map(|(n, (list, locations))| {
                    let locations: Vec<&str> = locations.iter().map(|l| LOCATIONS[*l]).collect();
                    market(&format!("m{n}"), LISTS[list], &locations)
                })
                .collect();
            (prices, stock, markets)
        })
    }

    /// Every non-empty subset of `items`.
    fn subsets(items: &[String]) -> Vec<Vec<String>> {
        (1..1u32 << items.len())
            .map(|mask| {
                let chosen = items
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0);
                chosen.map(|(_, item)| item.clone()).collect()
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// For every market and every narrowing of its locations, the SKUs read from the kept
        /// listings (one, or a merge) are exactly those the view's own rule shows.
        #[test]
        fn the_kept_listings_show_what_every_view_shows((prices, stock, markets) in catalog()) {
            let kept = KeptListings::of(&markets);
            for code in CODES {
                let presence = SkuPresence::of(Mode::Test, code, &prices, &stock);
                let every: BTreeSet<&SkuListing> =
                    kept.iter().filter(|l| l.shows(&presence)).collect();
                prop_assert_eq!(kept.showing(&presence), every, "SKU {}", code);
            }
            let shown_in = |source: &SkuSource, code: &str| {
                let presence = SkuPresence::of(Mode::Test, code, &prices, &stock);
                let read = |listing: &SkuListing| {
                    assert!(kept.contains(listing), "{listing:?} is read but not kept");
                    listing.shows(&presence)
                };
                match source {
                    SkuSource::All { .. } => true,
                    SkuSource::Listing(listing) => read(listing),
                    SkuSource::Merge(listings) => listings.iter().any(read),
                }
            };
            for market in &markets {
                let mut scopes = vec![vec![]];
                scopes.extend(subsets(&market.stock_location_ids));
                for scoped in scopes {
                    let view = CatalogView::of_market(market, &scoped);
                    let source = SkuSource::of(&view);
                    for code in CODES {
                        let sku = Sku {
                            id: code.into(),
                            mode: Mode::Test,
                            code: code.into(),
                            name: code.into(),
                        };
                        prop_assert_eq!(
                            shown_in(&source, code),
                            view.shows_sku(&sku, &prices, &stock),
                            "market {:?} scoped to {:?}, SKU {}", market, scoped, code
                        );
                    }
                }
            }
        }
    }
}
