//! Import's side of the catalog: the records in their canonical partitions, then every
//! listing of each environment rebuilt from all the records the table holds (an import adds
//! and updates records, so a listing is never built from one seed alone). New entries are
//! written over the old ones first, then the keys no listing has any more are deleted, so a
//! reader never finds a listing emptied.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};

use super::catalog_items::*;
use super::keys::*;
use super::reader::Reader;
use super::DynamoStore;
use crate::StoreError;
use gatehouse_core::model::{Catalog, Mode};

/// DynamoDB's limit of requests in one BatchWriteItem.
const BATCH_WRITE_LIMIT: usize = 25;

/// The key attributes (`PK`, `SK`) of an item.
pub(super) fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| *name == "PK" || *name == "SK")
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

fn sort_key(item: &Item) -> String {
    match item.get("SK") {
        Some(AttributeValue::S(sk)) => sk.clone(),
        _ => String::new(),
    }
}

impl DynamoStore {
    /// Puts and deletes in batches, retrying what DynamoDB leaves unprocessed.
    async fn batch_write(&self, puts: Vec<Item>, deletes: Vec<Item>) -> Result<(), StoreError> {
        let mut requests = Vec::new();
        for item in puts {
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(StoreError::unavailable)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        for key in deletes {
            let delete = DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map_err(StoreError::unavailable)?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        for chunk in requests.chunks(BATCH_WRITE_LIMIT) {
            let mut pending = chunk.to_vec();
            for attempt in 0..8u32 {
                if pending.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(StoreError::unavailable)?;
                pending = output
                    .unprocessed_items()
                    .and_then(|u| u.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(StoreError::Unavailable(
                    "DynamoDB left writes unprocessed".into(),
                ));
            }
        }
        Ok(())
    }

    /// Writes the catalog's records, then rebuilds both environments' listings.
    pub(super) async fn import_catalog(&self, catalog: &Catalog) -> Result<(), StoreError> {
        let canonical = |kind: &str, mode: Mode, id: &str, mut item: Item| {
            item.extend(key(canonical_partition(kind, mode), format!("id#{id}")));
            item
        };
        let skus = catalog.skus.iter();
        let prices = catalog.prices.iter();
        let stock = catalog.stock_items.iter();
        let puts = skus
            .map(|sku| canonical("SKU", sku.mode, &sku.id, sku_attributes(sku)))
            .chain(prices.map(|p| canonical("PRICE", p.mode, &p.id, price_attributes(p))))
            .chain(stock.map(|i| canonical("STOCK_ITEM", i.mode, &i.id, stock_attributes(i))));
        self.batch_write(puts.collect(), vec![]).await?;
        for mode in Mode::ALL {
            self.rebuild_listings(mode).await?;
        }
        Ok(())
    }

    async fn records<T>(
        &self,
        partition: String,
        from: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.query(&partition, Some(("id#", "id#~")))
            .await?
            .iter()
            .map(from)
            .collect()
    }

    async fn rebuild_listings(&self, mode: Mode) -> Result<(), StoreError> {
        let markets = self
            .records(market_partition(mode), super::items::market_from)
            .await?;
        let skus = self
            .records(canonical_partition("SKU", mode), sku_from)
            .await?;
        let prices = self
            .records(canonical_partition("PRICE", mode), price_from)
            .await?;
        let stock = self
            .records(canonical_partition("STOCK_ITEM", mode), stock_from)
            .await?;
        let listings = listings(&markets, &skus, &prices, &stock);

        let index_key = key(format!("LISTS#{}", mode.as_str()), "LISTS".into());
        let previous: BTreeSet<String> = match self.get(index_key.clone()).await? {
            Some(item) => Reader { item: &item }
                .string_list("names")?
                .into_iter()
                .collect(),
            None => BTreeSet::new(),
        };
        let names: BTreeSet<String> = listings.keys().cloned().collect();
        // The index names every listing that may exist before any is written, so that an
        // import that stops half-way leaves none that a later one would not know to clean.
        let every: BTreeSet<String> = previous.union(&names).cloned().collect();
        self.write_listing_index(index_key.clone(), &every).await?;
        for name in &every {
            let partition = listing_partition(mode, name);
            let items = listings
                .get(name)
                .map(|listing| listing.items(&partition))
                .unwrap_or_default();
            let kept: HashSet<String> = items.iter().map(sort_key).collect();
            let stale: Vec<Item> = self
                .query(&partition, None)
                .await?
                .iter()
                .filter(|item| !kept.contains(&sort_key(item)))
                .map(key_of)
                .collect();
            self.batch_write(items, stale).await?;
        }
        self.write_listing_index(index_key, &names).await
    }

    async fn write_listing_index(
        &self,
        mut index: Item,
        names: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        index.insert("type".into(), s("listing_index"));
        index.insert(
            "names".into(),
            AttributeValue::L(names.iter().map(s).collect()),
        );
        self.batch_write(vec![index], vec![]).await
    }
}
