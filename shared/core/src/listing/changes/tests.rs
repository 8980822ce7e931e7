use std::collections::BTreeSet;

use super::*;
use crate::listing::fixtures::{market, price, stock};

fn group(name: &str, prices: &[(&str, u64)], stock_at: &[(&str, u64)]) -> SkuGroup {
    SkuGroup {
        sku: Sku {
            id: "sku_s".into(),
            mode: Mode::Test,
            code: "s".into(),
            name: name.into(),
        },
        prices: prices.iter().map(|(l, c)| price("s", l, *c)).collect(),
        stock_items: stock_at.iter().map(|(l, q)| stock("s", l, *q)).collect(),
    }
}

/// One write.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Change<K, V> {
    /// The entry is new, or its value changed.
    Put(K, V),
    /// The entry goes.
    Delete(K),
}

/// The writes that turn `before` (as stored) into `after` (as it should be): a put for each
/// entry that is new or differs, a delete for each that is no longer wanted, nothing for the
/// rest. Both maps are ordered, so this is one walk over each.
fn diff<K: Ord + Clone, V: PartialEq + Clone>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
) -> Vec<Change<K, V>> {
    let mut writes = Vec::new();
    for (key, value) in after {
        if before.get(key) != Some(value) {
            writes.push(Change::Put(key.clone(), value.clone()));
        }
    }
    let gone = before.keys().filter(|key| !after.contains_key(*key));
    writes.extend(gone.cloned().map(Change::Delete));
    writes
}

/// A group as it stands among the listings kept for its markets.
type Placed<'a> = (&'a SkuGroup, &'a KeptListings);

/// The writes that turn the entries of `old` into those of `new` (`None`: no such group), and
/// how each list's count moves.
fn changes(
    old: Option<Placed>,
    new: Option<Placed>,
) -> (Vec<Change<EntryKey, Record>>, BTreeMap<List, i64>) {
    let of = |placed: Option<Placed>| {
        placed
            .map(|(group, kept)| entries(group, kept))
            .unwrap_or_default()
    };
    let (before, after) = (of(old), of(new));
    let writes = diff(&before, &after);
    let mut counts: BTreeMap<List, i64> = BTreeMap::new();
    for write in &writes {
        match write {
            Change::Put(key, _) if !before.contains_key(key) => {
                *counts.entry(key.0.clone()).or_default() += 1
            }
            Change::Put(..) => {}
            Change::Delete(key) => *counts.entry(key.0.clone()).or_default() -= 1,
        }
    }
    (writes, counts)
}

fn kept() -> KeptListings {
    KeptListings::of(&[market("m1", "eu", &["a", "b"]), market("m2", "us", &["c"])])
}

fn listing(list: &str, locations: &[&str]) -> List {
    List::Listing(SkuListing::new(Mode::Test, list, locations.iter().copied()).unwrap())
}

/// The lists the writes put to, those they delete from, and the counts that move.
type Summary = (Vec<List>, Vec<List>, Vec<i64>);

fn summary(old: Option<&SkuGroup>, new: Option<&SkuGroup>) -> Summary {
    let kept = kept();
    let (writes, counts) = changes(old.map(|g| (g, &kept)), new.map(|g| (g, &kept)));
    let mut puts = vec![];
    let mut deletes = vec![];
    for write in writes {
        match write {
            Change::Put((list, _), _) => puts.push(list),
            Change::Delete((list, _)) => deletes.push(list),
        }
    }
    puts.sort();
    deletes.sort();
    (puts, deletes, counts.into_values().collect())
}

#[test]
fn each_change_writes_only_the_entries_it_touches() {
    let sold = group("Shirt", &[("eu", 100)], &[("a", 1)]);
    let eu_a = || listing("eu", &["a"]);
    let eu_ab = || listing("eu", &["a", "b"]);
    let prices_of = |list: &str| List::PricesOf(Mode::Test, list.into());
    let cases: Vec<(&str, Option<SkuGroup>, Option<SkuGroup>, Summary)> = vec![
        (
            "unchanged",
            Some(sold.clone()),
            Some(sold.clone()),
            (vec![], vec![], vec![]),
        ),
        (
            "one price's amount",
            Some(sold.clone()),
            Some(group("Shirt", &[("eu", 250)], &[("a", 1)])),
            (
                vec![List::Prices(Mode::Test), prices_of("eu")],
                vec![],
                vec![],
            ),
        ),
        (
            "a stock quantity (every quantity sells)",
            Some(sold.clone()),
            Some(group("Shirt", &[("eu", 100)], &[("a", 0)])),
            (
                vec![
                    List::Stock(Mode::Test),
                    List::StockAt(Mode::Test, "a".into()),
                ],
                vec![],
                vec![],
            ),
        ),
        (
            "the SKU's name: every list that shows it",
            Some(sold.clone()),
            Some(group("Blouse", &[("eu", 100)], &[("a", 1)])),
            (
                vec![List::Skus(Mode::Test), eu_ab(), eu_a()],
                vec![],
                vec![],
            ),
        ),
        (
            "stocked at a second location of the market: one more listing",
            Some(sold.clone()),
            Some(group("Shirt", &[("eu", 100)], &[("a", 1), ("b", 1)])),
            (
                vec![
                    listing("eu", &["b"]),
                    List::Stock(Mode::Test),
                    List::StockAt(Mode::Test, "b".into()),
                ],
                vec![],
                vec![1, 1, 1],
            ),
        ),
        (
            "no longer priced: it leaves the market's listings",
            Some(sold.clone()),
            Some(group("Shirt", &[], &[("a", 1)])),
            (
                vec![],
                vec![eu_ab(), eu_a(), List::Prices(Mode::Test), prices_of("eu")],
                vec![-1, -1, -1, -1],
            ),
        ),
        (
            "priced in a list whose market does not stock it: its prices only",
            Some(sold.clone()),
            Some(group("Shirt", &[("eu", 100), ("us", 90)], &[("a", 1)])),
            (
                vec![List::Prices(Mode::Test), prices_of("us")],
                vec![],
                vec![1, 1],
            ),
        ),
        (
            "new",
            None,
            Some(sold.clone()),
            (
                vec![
                    List::Skus(Mode::Test),
                    eu_ab(),
                    eu_a(),
                    List::Prices(Mode::Test),
                    prices_of("eu"),
                    List::Stock(Mode::Test),
                    List::StockAt(Mode::Test, "a".into()),
                ],
                vec![],
                vec![1; 7],
            ),
        ),
        (
            "deleted",
            Some(sold.clone()),
            None,
            (
                vec![],
                vec![
                    List::Skus(Mode::Test),
                    eu_ab(),
                    eu_a(),
                    List::Prices(Mode::Test),
                    prices_of("eu"),
                    List::Stock(Mode::Test),
                    List::StockAt(Mode::Test, "a".into()),
                ],
                vec![-1; 7],
            ),
        ),
    ];
    for (case, old, new, (mut puts, mut deletes, counts)) in cases {
        puts.sort();
        deletes.sort();
        let expected = (puts, deletes, counts);
        assert_eq!(summary(old.as_ref(), new.as_ref()), expected, "{case}");
    }
}

#[test]
fn a_market_that_changes_its_locations_moves_the_skus_it_shows() {
    let sold = group("Shirt", &[("eu", 100)], &[("a", 1)]);
    let before = KeptListings::of(&[market("m1", "eu", &["a", "b"])]);
    let after = KeptListings::of(&[market("m1", "eu", &["a"])]);
    let (writes, counts) = changes(Some((&sold, &before)), Some((&sold, &after)));
    // It leaves the (eu, a+b) listing; (eu, a) is kept under both and stays untouched.
    assert_eq!(writes.len(), 1);
    assert!(matches!(&writes[0], Change::Delete((l, _)) if *l == listing("eu", &["a", "b"])));
    assert_eq!(counts.into_values().collect::<Vec<_>>(), vec![-1]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn a_group() -> impl Strategy<Value = Option<SkuGroup>> {
        let lists = prop::collection::btree_map(
            prop::sample::select(vec!["eu", "us", "uk"]),
            1u64..4,
            0..3,
        );
        let stock = prop::collection::btree_map(
            prop::sample::select(vec!["a", "b", "c", "d"]),
            0u64..3,
            0..4,
        );
        let name = prop::sample::select(vec!["Shirt", "Blouse"]);
        prop::option::of((name, lists, stock).prop_map(|(name, lists, stock)| {
            let lists: Vec<(&str, u64)> = lists.into_iter().collect();
            let stock: Vec<(&str, u64)> = stock.into_iter().collect();
            group(name, &lists, &stock)
        }))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Applying the changes to the old group's entries gives the new group's entries,
        /// computed from its records alone, and the counts move by the sets' difference.
        #[test]
        fn the_changes_turn_the_old_entries_into_the_new(old in a_group(), new in a_group()) {
            let kept = kept();
            let (writes, counts) = changes(old.as_ref().map(|g| (g, &kept)), new.as_ref().map(|g| (g, &kept)));
            let mut lists = old.as_ref().map(|g| entries(g, &kept)).unwrap_or_default();
            for write in writes {
                match write {
                    Change::Put(key, record) => { lists.insert(key, record); }
                    Change::Delete(key) => { prop_assert!(lists.remove(&key).is_some()); }
                }
            }
            let expected = new.as_ref().map(|g| entries(g, &kept)).unwrap_or_default();
            prop_assert_eq!(&lists, &expected);
            let before = old.as_ref().map(|g| entries(g, &kept)).unwrap_or_default();
            let names: BTreeSet<&List> = before.keys().chain(expected.keys()).map(|(l, _)| l).collect();
            for list in names {
                let size = |e: &BTreeMap<EntryKey, Record>| e.keys().filter(|(l, _)| l == list).count() as i64;
                prop_assert_eq!(counts.get(list).copied().unwrap_or(0), size(&expected) - size(&before));
            }
        }
    }
}
