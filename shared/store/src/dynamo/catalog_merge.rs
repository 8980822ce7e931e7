//! A scope narrowed to several of a market's stock locations, on DynamoDB: its SKUs are the
//! merge of those locations' listings, read from the cursor of each (or their first entries up
//! to the page), and its size is counted once per import generation (`lists.rs`) and kept.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::catalog::{cursor, next_after, sort_key_of};
use super::catalog_items::*;
use super::keys::*;
use super::lists::*;
use super::reader::Reader;
use super::DynamoStore;
use crate::{Page, PageRequest, StoreError};
use gatehouse_core::listing::changes::{List, Record};
use gatehouse_core::listing::{SkuListing, SkuSource};
use gatehouse_core::model::{CatalogView, Mode, Sku};

impl DynamoStore {
    /// A page of the merge of several listings: the entries of each from the cursor (else
    /// its first `end`), merged by place without repeats, cut to the page.
    pub(super) async fn merge_page(
        &self,
        mode: Mode,
        listings: &[SkuListing],
        page: PageRequest,
    ) -> Result<Page<Sku>, StoreError> {
        let (first, end) = page.range();
        let (after, skip, take) = match cursor(&page) {
            Some(after) => (after, 0, page.size),
            None => (ENTRY_PREFIX, first, end),
        };
        let heads = listings.iter().map(|listing| {
            let partition = list_partition(&List::Listing(listing.clone()));
            async move { self.entries_after(&partition, after, take, false).await }
        });
        let (heads, record_count) = futures::future::try_join(
            futures::future::try_join_all(heads),
            self.merge_count(mode, listings),
        )
        .await?;
        let mut merged: Vec<Item> = heads.into_iter().flatten().collect();
        merged.sort_by_key(sort_key_of);
        merged.dedup_by_key(|item| sort_key_of(item));
        let items: Vec<Item> = merged
            .into_iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(page.size).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            records: items
                .iter()
                .map(|item| sku_from(item).map(Arc::new))
                .collect::<Result<_, _>>()?,
            record_count,
            next: next_after(&items, &page),
        })
    }

    /// The size of a merge: kept from an earlier request of this import generation, or
    /// counted by reading every entry's key of each listing, and kept.
    async fn merge_count(&self, mode: Mode, listings: &[SkuListing]) -> Result<u64, StoreError> {
        let Some(first) = listings.first() else {
            return Ok(0);
        };
        let locations = listings.iter().flat_map(|l| l.stock_location_ids().iter());
        let Some(merge) = SkuListing::new(mode, &first.price_list_id, locations) else {
            return Ok(0);
        };
        let name = merge.name();
        let found = self
            .batch_get(vec![generation_key(mode), merge_count_key(mode, &name)])
            .await?;
        let number = |item: &Item, name: &str| Reader { item }.optional_number(name);
        let mut generation = 0;
        let mut kept = None;
        for item in &found {
            match sort_key_of(item) {
                sk if sk == name => kept = Some((number(item, "n")?, number(item, "generation")?)),
                _ => generation = number(item, "n")?.unwrap_or(0),
            }
        }
        if let Some((Some(count), Some(at))) = kept {
            if at == generation {
                return Ok(count);
            }
        }
        let mut places = BTreeSet::new();
        for listing in listings {
            let partition = list_partition(&List::Listing(listing.clone()));
            let after = ENTRY_PREFIX;
            let keys = self
                .entries_after(&partition, after, u64::MAX, true)
                .await?;
            places.extend(keys.iter().map(sort_key_of));
        }
        let count = places.len() as u64;
        let mut item = merge_count_key(mode, &name);
        item.insert("n".into(), n(count));
        item.insert("generation".into(), n(generation));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(count)
    }

    /// The SKU, if `view` shows it: its entry in the view's listing, or in one of a merge's.
    pub(super) async fn shown(
        &self,
        view: &CatalogView,
        sku: Sku,
    ) -> Result<Option<Sku>, StoreError> {
        let listings = match SkuSource::of(view) {
            SkuSource::All { .. } => return Ok(Some(sku)),
            SkuSource::Listing(listing) => vec![listing],
            SkuSource::Merge(listings) => listings,
        };
        let place = entry_sort_key(&Record::Sku(sku.clone()).place());
        let keys = listings
            .into_iter()
            .map(|l| key(list_partition(&List::Listing(l)), place.clone()))
            .collect();
        Ok((!self.batch_get(keys).await?.is_empty()).then_some(sku))
    }
}
