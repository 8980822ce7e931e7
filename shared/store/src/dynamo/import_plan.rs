//! What a full import of a catalog into an empty table writes, computed without a table: the
//! items (entries, list sizes, registry entries), their bytes and write units, by DynamoDB's
//! rules for an item's size. The same entries as the import's (`lists.rs`), visited one at a
//! time, so that a catalog of any size is planned in the memory of its records.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::lists::*;
use gatehouse_core::model::{Catalog, Mode};

/// A full import's writes into an empty table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// The lists, each with a `count` item and a registry entry.
    pub lists: u64,
    pub entries: u64,
    /// Every item: entries, sizes and registry entries.
    pub items: u64,
    pub bytes: u64,
    /// On-demand write units: one per started KB of each item.
    pub write_units: u64,
}

impl ImportPlan {
    fn add(&mut self, item: &Item) {
        let size = item_size(item);
        self.items += 1;
        self.bytes += size;
        self.write_units += size.div_ceil(1024).max(1);
    }
}

/// The writes of importing `catalog` into an empty table (its markets are the stored ones).
pub fn plan_import(catalog: &Catalog) -> ImportPlan {
    let mut plan = ImportPlan::default();
    for mode in Mode::ALL {
        let mut lists: BTreeMap<String, (u64, Option<u64>)> = BTreeMap::new();
        each_wanted_entry(
            mode,
            catalog,
            &catalog.markets,
            |partition, sort_key, entry, number| {
                plan.add(&entry.item(&partition, &sort_key));
                plan.entries += 1;
                let list = lists.entry(partition).or_default();
                list.0 += 1;
                list.1 = list.1.or(number);
            },
        );
        for (partition, (size, number)) in lists {
            let mut count = count_key(&partition);
            count.insert("n".into(), n(size));
            if let Some(number) = number {
                count.insert("number".into(), n(number));
            }
            plan.add(&count);
            plan.add(&key(registry_partition(mode), partition));
            plan.lists += 1;
        }
    }
    plan
}

/// The writes of importing `new` into a table that holds exactly `old` (each with its own
/// markets): the entries that differ, the sizes that change, the lists registered or
/// unregistered. `entries` counts the entries compared; `bytes` and `write_units` are those of
/// the items put (a delete bills the item it removes, as large as the one before).
pub fn plan_change(old: &Catalog, new: &Catalog) -> ImportPlan {
    let mut plan = ImportPlan::default();
    for mode in Mode::ALL {
        let before = wanted_lists(mode, old, &old.markets);
        let after = wanted_lists(mode, new, &new.markets);
        let none = Wanted::default();
        let partitions: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for partition in partitions {
            let (was, is) = (
                before.get(partition).unwrap_or(&none),
                after.get(partition).unwrap_or(&none),
            );
            plan.lists += 1;
            plan.entries += is.entries.len() as u64;
            for (sort_key, entry) in &is.entries {
                if was.entries.get(sort_key) != Some(entry) {
                    plan.add(&entry.item(partition, sort_key));
                }
            }
            for (sort_key, entry) in &was.entries {
                if !is.entries.contains_key(sort_key) {
                    plan.add(&entry.item(partition, sort_key));
                }
            }
            let sizes = (was.entries.len(), is.entries.len());
            if sizes.0 != sizes.1 || was.number != is.number {
                plan.add(&is.count_item(partition));
            }
            if sizes.0 == 0 || sizes.1 == 0 {
                // Registered, or unregistered.
                plan.add(&key(registry_partition(mode), partition.clone()));
            }
        }
    }
    plan
}

/// An item's size as DynamoDB bills it: each attribute's name and value ("Item sizes and
/// formats", Amazon DynamoDB Developer Guide): a string its UTF-8 bytes, a number about one
/// byte per two significant digits plus one, a Boolean or null one byte, a list or map 3 bytes
/// plus its elements, each with one byte more.
pub fn item_size(item: &Item) -> u64 {
    item.iter()
        .map(|(name, value)| name.len() as u64 + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> u64 {
    match value {
        AttributeValue::S(text) => text.len() as u64,
        AttributeValue::N(number) => {
            let digits = number.trim_start_matches(['-', '0']).replace('.', "");
            let digits = digits.trim_end_matches('0');
            (digits.len() as u64).div_ceil(2) + 1
        }
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<u64>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, v)| 1 + name.len() as u64 + value_size(v))
                .sum::<u64>()
        }
        AttributeValue::Ss(values) => values.iter().map(|v| v.len() as u64).sum(),
        AttributeValue::B(blob) => blob.as_ref().len() as u64,
        // Not written by this store; counted as their debug text, an overestimate.
        other => format!("{other:?}").len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_sizes_follow_dynamodbs_rules() {
        let cases: Vec<(Item, u64)> = vec![
            (Item::from([("PK".into(), s("abc"))]), 5),
            (Item::from([("n".into(), n(0))]), 2),
            (Item::from([("n".into(), n(12345))]), 5),
            (Item::from([("b".into(), AttributeValue::Bool(true))]), 2),
            (
                Item::from([("l".into(), AttributeValue::L(vec![s("ab"), s("c")]))]),
                1 + 3 + 3 + 2,
            ),
        ];
        for (item, size) in cases {
            assert_eq!(item_size(&item), size, "{item:?}");
        }
    }

    #[test]
    fn a_change_plans_the_entries_that_differ() {
        let catalog = gatehouse_core::seed::parse_seed(gatehouse_core::seed::DEMO_SEED).unwrap();
        assert_eq!(plan_change(&catalog, &catalog).items, 0);
        let mut one_price = catalog.clone();
        one_price.prices[0].amount_cents += 1;
        assert_eq!(plan_change(&catalog, &one_price).items, 2);
        let mut no_sku = catalog.clone();
        let gone = no_sku.skus.remove(0);
        no_sku.prices.retain(|p| p.sku_code != gone.code);
        no_sku.stock_items.retain(|s| s.sku_code != gone.code);
        let full = plan_import(&catalog);
        let deleted = plan_change(&catalog, &no_sku);
        assert!(
            deleted.items > 2 && deleted.items < full.items,
            "{deleted:?}"
        );
    }

    #[test]
    fn the_plan_counts_the_entries_sizes_and_registry_an_import_writes() {
        let catalog = gatehouse_core::seed::parse_seed(gatehouse_core::seed::DEMO_SEED).unwrap();
        let plan = plan_import(&catalog);
        let mut entries = 0;
        let mut lists = 0;
        for mode in Mode::ALL {
            let wanted = wanted_lists(mode, &catalog, &catalog.markets);
            lists += wanted.len() as u64;
            entries += wanted.values().map(|l| l.entries.len() as u64).sum::<u64>();
        }
        assert_eq!((plan.lists, plan.entries), (lists, entries));
        assert_eq!(plan.items, entries + 2 * lists);
        assert!(plan.write_units >= plan.items && plan.bytes > 0);
    }
}
