//! Import's side of the catalog: each environment's lists made those of the file's records,
//! by writing the entries that differ from the stored ones (`lists.rs`). An import makes an
//! environment's SKUs, prices and stock items exactly the file's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use futures::{StreamExt, TryStreamExt};

use super::catalog::sort_key_of;
use super::keys::*;
use super::lists::*;
use super::DynamoStore;
use crate::{ImportProgress, StoreError};
use gatehouse_core::model::{Catalog, Mode};

/// Lists read and written at once by an import.
const LISTS_AT_ONCE: usize = 8;

/// The most new or changed entries a list's comparison holds before writing them.
const WRITES_HELD: usize = 1_000;

/// DynamoDB's limit of requests in one BatchWriteItem.
const BATCH_WRITE_LIMIT: usize = 25;

/// The key attributes (`PK`, `SK`) of an item.
pub(super) fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(name, _)| *name == "PK" || *name == "SK")
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
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

    /// Makes each environment's lists those of the catalog's records ([`wanted_lists`]): every
    /// list, wanted or stored, is read and only the entries that differ are written. Nothing is
    /// assumed of what an earlier import left, so one that stopped half-way is finished by the
    /// next, and the same file imported again writes nothing.
    pub(super) async fn import_catalog(&self, catalog: &Catalog) -> Result<(), StoreError> {
        let mut wanted = Vec::new();
        for mode in Mode::ALL {
            let markets = self
                .records(market_partition(mode), super::items::market_from)
                .await?;
            wanted.push((mode, wanted_lists(mode, catalog, &markets)));
        }
        let lists = wanted.iter().flat_map(|(_, lists)| lists.values());
        let progress = Mutex::new(ImportProgress {
            lists_total: lists.clone().count() as u64,
            entries_total: lists.map(|list| list.entries.len() as u64).sum(),
            ..ImportProgress::default()
        });
        for (mode, lists) in wanted {
            self.sync_lists(mode, lists, &progress).await?;
        }
        self.tell(&progress, |_| {});
        Ok(())
    }

    /// Updates the import's progress and tells the sink, if there is one.
    fn tell(&self, progress: &Mutex<ImportProgress>, update: impl FnOnce(&mut ImportProgress)) {
        let mut progress = progress.lock().unwrap_or_else(|e| e.into_inner());
        update(&mut progress);
        if let Some(sink) = &self.progress {
            sink(&progress);
        }
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

    async fn sync_lists(
        &self,
        mode: Mode,
        wanted: BTreeMap<String, Wanted>,
        progress: &Mutex<ImportProgress>,
    ) -> Result<(), StoreError> {
        // Sizes of merges kept now may have been counted while an earlier import was half-way.
        let kept_sizes = !self.query(&merges_partition(mode), None).await?.is_empty();
        let registry = registry_partition(mode);
        let registered: BTreeSet<String> = self
            .query(&registry, None)
            .await?
            .iter()
            .map(sort_key_of)
            .filter(|name| name.starts_with("CAT#"))
            .collect();
        // Every list is registered before it gets an entry, so that an import that stops
        // half-way leaves no list the next one would not know to clean.
        let new = wanted.keys().filter(|name| !registered.contains(*name));
        let entries = new
            .map(|name| key(registry.clone(), name.clone()))
            .collect();
        self.batch_write(entries, vec![]).await?;
        let every: BTreeSet<&String> = registered.iter().chain(wanted.keys()).collect();
        // Lists stored but no longer wanted are compared (and emptied) too.
        let gone = (every.len() - wanted.len()) as u64;
        self.tell(progress, |p| p.lists_total += gone);
        let mut syncs = Vec::new();
        for partition in every {
            syncs.push(self.sync_list(partition, wanted.get(partition), progress));
        }
        let moved = futures::stream::iter(syncs)
            .buffer_unordered(LISTS_AT_ONCE)
            .try_collect::<Vec<bool>>()
            .await?;
        let gone = registered.iter().filter(|name| !wanted.contains_key(*name));
        let gone = gone
            .map(|name| key(registry.clone(), name.clone()))
            .collect();
        self.batch_write(vec![], gone).await?;
        // The sizes of merges kept so far count the listings as they were: when a SKU joined or
        // left one, or sizes were kept (perhaps during an import that stopped half-way), the
        // generation moves on (a size counted before is not used) and they go.
        if kept_sizes || moved.contains(&true) {
            self.next_generation(mode).await?;
            self.forget_merge_counts(mode).await?;
        }
        Ok(())
    }

    /// Writes the entries of one list that differ from those wanted, then its size. The stored
    /// list is read a page at a time and walked beside the wanted one (both are in sort-key
    /// order), so that only the writes are held, never the list. Answers whether it was a SKU
    /// listing that an entry joined or left.
    async fn sync_list(
        &self,
        partition: &str,
        wanted: Option<&Wanted>,
        progress: &Mutex<ImportProgress>,
    ) -> Result<bool, StoreError> {
        let none = Wanted::default();
        let wanted = wanted.unwrap_or(&none);
        let mut want = wanted.entries.iter().peekable();
        let (mut puts, mut deletes) = (Vec::new(), Vec::new());
        let (mut put, mut count, mut joined) = (0u64, None, 0u64);
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(partition))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            for stored in page.items() {
                let sk = sort_key_of(stored);
                if sk == COUNT {
                    count = Some(stored.clone());
                    continue;
                }
                // Wanted entries before this stored one are new.
                while let Some((new, entry)) = want.next_if(|(w, _)| w.as_str() < sk.as_str()) {
                    puts.push(entry.item(partition, new));
                    joined += 1;
                }
                match want.next_if(|(w, _)| **w == sk) {
                    Some((_, entry)) => {
                        let item = entry.item(partition, &sk);
                        if item != *stored {
                            puts.push(item);
                        }
                    }
                    None => deletes.push(key(partition.to_owned(), sk)),
                }
            }
            if puts.len() >= WRITES_HELD {
                put += puts.len() as u64;
                self.batch_write(std::mem::take(&mut puts), vec![]).await?;
            }
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        let before = puts.len();
        puts.extend(want.map(|(sk, entry)| entry.item(partition, sk)));
        joined += (puts.len() - before) as u64;
        put += puts.len() as u64;
        let deleted = deletes.len() as u64;
        // New and changed entries first, then the gone: a reader never finds a list emptied.
        self.batch_write(puts, deletes).await?;
        let size = wanted.count_item(partition);
        let (size_put, size_deleted) = match count {
            Some(_) if wanted.entries.is_empty() => {
                self.batch_write(vec![], vec![count_key(partition)]).await?;
                (0, 1)
            }
            Some(stored) if stored == size => (0, 0),
            None if wanted.entries.is_empty() => (0, 0),
            _ => {
                self.batch_write(vec![size], vec![]).await?;
                (1, 0)
            }
        };
        self.tell(progress, |p| {
            p.lists_done += 1;
            p.entries_done += wanted.entries.len() as u64;
            p.put += put + size_put;
            p.deleted += deleted + size_deleted;
        });
        Ok(partition.contains("#skus@") && joined + deleted > 0)
    }

    async fn next_generation(&self, mode: Mode) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(generation_key(mode)))
            .update_expression("ADD n :one")
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// Deletes the sizes of merges counted so far: they were counted under an older generation.
    async fn forget_merge_counts(&self, mode: Mode) -> Result<(), StoreError> {
        let counted = self.query(&merges_partition(mode), None).await?;
        self.batch_write(vec![], counted.iter().map(key_of).collect())
            .await
    }
}
