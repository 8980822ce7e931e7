//! [`CatalogReads`] on DynamoDB, from the lists import keeps (`lists.rs`). A page of one list
//! is its `count` item and one `Query` of the entries after the request's cursor (where the
//! page before ended), sent together; without a cursor, reaching page `p` by its number first
//! steps over the `(p - 1) * size` entries before it, reading their keys. A scope narrowed to several of a market's locations merges the entries of each
//! location's listing (`catalog_merge.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::catalog_items::*;
use super::keys::*;
use super::lists::*;
use super::DynamoStore;
use crate::{CatalogReads, Page, PageRequest, StoreError};
use gatehouse_core::listing::changes::List;
use gatehouse_core::listing::SkuSource;
use gatehouse_core::model::{CatalogView, Market, Mode, Price, PriceList, Sku, StockItem};

/// The most keys one `Query` steps over when a page is reached by number.
const SKIP_AT_ONCE: u64 = 1_000;

/// DynamoDB's limit on a sort key's size, in bytes.
const MAX_SORT_KEY_BYTES: usize = 1024;

/// The request's `after`, if it can be a place this store gave: an entry's sort key. Another
/// is passed over (the page is then found by its number).
pub(super) fn cursor(page: &PageRequest) -> Option<&str> {
    let after = page.after.as_deref()?;
    (after.starts_with(ENTRY_PREFIX) && after.len() <= MAX_SORT_KEY_BYTES).then_some(after)
}

/// Where the page after `items` starts: the last one's place, when the page is full.
pub(super) fn next_after(items: &[Item], page: &PageRequest) -> Option<String> {
    match items.last() {
        Some(last) if items.len() as u64 == page.size => Some(sort_key_of(last)),
        _ => None,
    }
}

pub(super) fn sort_key_of(item: &Item) -> String {
    match item.get("SK") {
        Some(AttributeValue::S(sk)) => sk.clone(),
        _ => String::new(),
    }
}

impl DynamoStore {
    /// Every item of `partition` whose sort key is within `range`, `[from, to]` (the whole
    /// partition without one), in order.
    pub(super) async fn query(
        &self,
        partition: &str,
        range: Option<(&str, &str)>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(partition))
                .consistent_read(true)
                .set_exclusive_start_key(start);
            query = match range {
                Some((from, to)) => query
                    .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                    .expression_attribute_values(":from", s(from))
                    .expression_attribute_values(":to", s(to)),
                None => query.key_condition_expression("PK = :pk"),
            };
            let output = query.send().await.map_err(StoreError::unavailable)?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// At most `limit` entries of `partition` after the sort key `after`, in order; only
    /// their keys when `keys_only`. Fewer only at the list's end.
    pub(super) async fn entries_after(
        &self,
        partition: &str,
        after: &str,
        limit: u64,
        keys_only: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items: Vec<Item> = Vec::new();
        let mut after = after.to_owned();
        while (items.len() as u64) < limit {
            let want = limit - items.len() as u64;
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK > :after")
                .expression_attribute_values(":pk", s(partition))
                .expression_attribute_values(":after", s(&after))
                .limit(i32::try_from(want).unwrap_or(i32::MAX))
                .consistent_read(true);
            let query = if keys_only {
                query.projection_expression("SK")
            } else {
                query
            };
            let output = query.send().await.map_err(StoreError::unavailable)?;
            let found = output.items();
            items.extend(found.iter().cloned());
            let more = output.last_evaluated_key().is_some_and(|k| !k.is_empty());
            match found.last() {
                Some(last) if more => after = sort_key_of(last),
                _ => break,
            }
        }
        Ok(items)
    }

    /// The sort key after which the entry at position `skip` stands: the key of the entry
    /// before it, found by reading the keys of the `skip` entries first.
    async fn start_of(&self, partition: &str, mut skip: u64) -> Result<String, StoreError> {
        let mut after = ENTRY_PREFIX.to_owned();
        while skip > 0 {
            let step = skip.min(SKIP_AT_ONCE);
            let keys = self.entries_after(partition, &after, step, true).await?;
            match keys.last() {
                Some(last) => after = sort_key_of(last),
                None => break,
            }
            if (keys.len() as u64) < step {
                // The list ends before the page starts: an empty page.
                return Ok(format!("{ENTRY_PREFIX}\u{10FFFF}"));
            }
            skip -= step;
        }
        Ok(after)
    }

    /// Positions `[first, end)` of a list, in order.
    async fn positions(
        &self,
        partition: &str,
        first: u64,
        end: u64,
    ) -> Result<Vec<Item>, StoreError> {
        if end <= first {
            return Ok(vec![]);
        }
        let after = self.start_of(partition, first).await?;
        self.entries_after(partition, &after, end - first, false)
            .await
    }

    /// One page of a list and its size, sent together: from the request's cursor, or by
    /// stepping over the entries before the page.
    async fn list_page<T>(
        &self,
        partition: String,
        page: PageRequest,
        from: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let (first, end) = page.range();
        let read = async {
            match cursor(&page) {
                Some(after) => {
                    self.entries_after(&partition, after, page.size, false)
                        .await
                }
                None => self.positions(&partition, first, end).await,
            }
        };
        let (count, items) =
            futures::future::try_join(self.get(count_key(&partition)), read).await?;
        Ok(Page {
            records: items
                .iter()
                .map(|item| from(item).map(Arc::new))
                .collect::<Result<_, _>>()?,
            record_count: count_of(count.as_ref())?,
            next: next_after(&items, &page),
        })
    }
}

#[async_trait]
impl CatalogReads for DynamoStore {
    async fn list_markets(
        &self,
        mode: Mode,
        page: PageRequest,
    ) -> Result<Page<Market>, StoreError> {
        let partition = named_partition(mode, "markets");
        self.list_page(partition, page, super::items::market_from)
            .await
    }

    async fn list_skus(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Sku>, StoreError> {
        let list = match SkuSource::of(view) {
            SkuSource::All { mode } => List::Skus(mode),
            SkuSource::Listing(listing) => List::Listing(listing),
            SkuSource::Merge(listings) => {
                return self.merge_page(view.mode(), &listings, page).await
            }
        };
        self.list_page(list_partition(&list), page, sku_from).await
    }

    async fn find_sku(&self, view: &CatalogView, id: &str) -> Result<Option<Sku>, StoreError> {
        let partition = named_partition(view.mode(), "sku-ids");
        let sort_key = format!("{ENTRY_PREFIX}{id}");
        match self.find(key(partition, sort_key), sku_from).await? {
            Some(sku) => self.shown(view, sku).await,
            None => Ok(None),
        }
    }

    async fn find_sku_by_code(
        &self,
        view: &CatalogView,
        code: &str,
    ) -> Result<Option<Sku>, StoreError> {
        let partition = list_partition(&List::Skus(view.mode()));
        // Codes are unique in an environment: the entries whose place starts with the code.
        let from = format!("{ENTRY_PREFIX}{code}{PLACE_SEPARATOR}");
        let to = format!("{from}\u{10FFFF}");
        let found = self.query(&partition, Some((&from, &to))).await?;
        match found.first().map(sku_from).transpose()? {
            Some(sku) => self.shown(view, sku).await,
            None => Ok(None),
        }
    }

    async fn list_prices(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Price>, StoreError> {
        self.list_page(list_partition(&prices_shown(view)), page, price_from)
            .await
    }

    async fn list_stock_items(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<StockItem>, StoreError> {
        let (mode, locations) = match view {
            CatalogView::All { mode } => {
                let partition = list_partition(&List::Stock(*mode));
                return self.list_page(partition, page, stock_from).await;
            }
            CatalogView::Market {
                mode,
                stock_location_ids,
                ..
            } => (*mode, stock_location_ids),
        };
        // The locations' lists one after another, by location number: their sizes in one
        // request, then the slices the page covers, together.
        let partitions = locations
            .iter()
            .map(|l| list_partition(&List::StockAt(mode, l.clone())));
        let count_keys = partitions.map(|p| count_key(&p)).collect();
        let mut lists: Vec<(u64, String, u64)> = Vec::new();
        for item in &self.batch_get(count_keys).await? {
            let Some(AttributeValue::S(partition)) = item.get("PK") else {
                continue;
            };
            let count = count_of(Some(item))?;
            lists.push((number_of(item).unwrap_or(0), partition.clone(), count));
        }
        lists.sort();
        let record_count = lists.iter().map(|(_, _, count)| count).sum();
        let items = match cursor(&page).and_then(|after| Some((after, location_of(after)?))) {
            Some((after, at)) => self.stock_after(&lists, after, at, page.size).await?,
            None => self.stock_slices(&lists, &page).await?,
        };
        Ok(Page {
            records: items
                .iter()
                .map(|item| stock_from(item).map(Arc::new))
                .collect::<Result<_, _>>()?,
            record_count,
            next: next_after(&items, &page),
        })
    }

    async fn prices_of_skus(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<Price>>, StoreError> {
        self.prices_by_sku_code(view, codes).await
    }

    async fn stock_items_of_skus(
        &self,
        view: &CatalogView,
        codes: &[String],
    ) -> Result<Vec<Arc<StockItem>>, StoreError> {
        self.stock_by_sku_code(view, codes).await
    }

    async fn find_price_lists(
        &self,
        mode: Mode,
        ids: &[String],
    ) -> Result<Vec<PriceList>, StoreError> {
        self.price_lists_by_id(mode, ids).await
    }
}

/// The stock location number a stock item's place starts with.
fn location_of(after: &str) -> Option<u64> {
    after.strip_prefix(ENTRY_PREFIX)?.get(..20)?.parse().ok()
}

/// Stock locations' lists as `(number, partition, size)`, by number.
type StockLists = [(u64, String, u64)];

impl DynamoStore {
    /// The entries of the page `page` of the lists one after another: the slices it covers,
    /// read together.
    async fn stock_slices(
        &self,
        lists: &StockLists,
        page: &PageRequest,
    ) -> Result<Vec<Item>, StoreError> {
        let (first, end) = page.range();
        let mut slices = Vec::new();
        let mut offset = 0u64;
        for (_, partition, count) in lists {
            let (from, to) = (first.max(offset), end.min(offset + count));
            if from < to {
                slices.push(self.positions(partition, from - offset, to - offset));
            }
            offset += count;
        }
        Ok(futures::future::try_join_all(slices)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// `size` entries of the lists one after another, from the place `after` in the list of
    /// location number `at`: the lists before it are not read.
    async fn stock_after(
        &self,
        lists: &StockLists,
        after: &str,
        at: u64,
        size: u64,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        for (number, partition, _) in lists.iter().filter(|(number, ..)| *number >= at) {
            let left = size - items.len() as u64;
            if left == 0 {
                break;
            }
            let from = if *number == at { after } else { ENTRY_PREFIX };
            items.extend(self.entries_after(partition, from, left, false).await?);
        }
        Ok(items)
    }
}
