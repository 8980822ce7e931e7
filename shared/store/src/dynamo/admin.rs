//! The admin side: creating the table and importing a catalog ([`Import`]).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

use super::admin_items::app_index_item;
use super::catalog_import::key_of;
use super::items::*;
use super::keys::*;
use super::reader::Reader;
use super::DynamoStore;
use crate::{Import, StoreError};
use gatehouse_core::model::Catalog;
use gatehouse_core::model::Mode;

impl DynamoStore {
    /// Creates the table (keys and TTL) unless it exists. Returns whether it was created.
    /// `gatehouse import` calls it only when told to (`--create-table`); a table it did not
    /// create is checked instead ([`DynamoStore::table_fit`]).
    pub async fn ensure_table(&self) -> Result<bool, StoreError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(_) => return Ok(false),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(error) => return Err(StoreError::unavailable(error)),
        }
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(StoreError::unavailable)
        };
        let key_element = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(StoreError::unavailable)
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute("PK")?)
            .attribute_definitions(attribute("SK")?)
            .key_schema(key_element("PK", KeyType::Hash)?)
            .key_schema(key_element("SK", KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => {}
            // The SDK retries a request whose answer it did not get; the retry of a
            // CreateTable that went through finds the table there. It did not exist when
            // described above, so it was created now all the same.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) => {}
            Err(error) => return Err(StoreError::unavailable(error)),
        }
        for _ in 0..120 {
            let description = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            let status = description.table().and_then(|t| t.table_status().cloned());
            if status == Some(aws_sdk_dynamodb::types::TableStatus::Active) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .map_err(StoreError::unavailable)?,
            )
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(true)
    }

    /// Writes all copies of one record in one transaction, deleting the copies of its former
    /// number or code when those changed.
    async fn put_copies(&self, items: Vec<Item>, stale: Vec<Item>) -> Result<(), StoreError> {
        let puts = items.into_iter().map(|item| self.put_write(item, None));
        let deletes = stale.into_iter().map(|key| self.delete_write(key, None));
        self.client
            .transact_write_items()
            .set_transact_items(Some(puts.chain(deletes).collect::<Result<_, _>>()?))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// The keys of every copy an earlier import wrote of the record `id`, in either
    /// environment: read from its `id#` copy.
    async fn previous_alias_keys(
        &self,
        partition: fn(Mode) -> String,
        id: &str,
        sort_keys: fn(&Item) -> Result<Vec<String>, StoreError>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut keys = Vec::new();
        for mode in Mode::ALL {
            if let Some(previous) = self.get(key(partition(mode), format!("id#{id}"))).await? {
                keys.extend(
                    sort_keys(&previous)?
                        .into_iter()
                        .map(|sort_key| key(partition(mode), sort_key)),
                );
            }
        }
        Ok(keys)
    }
}

#[async_trait]
impl Import for DynamoStore {
    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError> {
        // Each record with the keys of its copies from an earlier import, found through its
        // `id#` copy in either environment (or, for an application, its `APPID#` pointer).
        let mut records: Vec<(Vec<Item>, Vec<Item>)> = Vec::new();
        for location in &catalog.stock_locations {
            let previous = self
                .previous_alias_keys(location_partition, &location.id, alias_sort_keys)
                .await?;
            records.push((location_items(location), previous));
        }
        for market in &catalog.markets {
            let previous = self
                .previous_alias_keys(market_partition, &market.id, alias_sort_keys)
                .await?;
            records.push((market_items(market), previous));
        }
        for group in &catalog.customer_groups {
            records.push((vec![group_item(group)], vec![]));
        }
        for customer in &catalog.customers {
            let previous = self
                .previous_alias_keys(customer_partition, &customer.id, customer_sort_keys)
                .await?;
            records.push((customer_items(customer), previous));
        }
        for user in &catalog.users {
            let previous = self
                .previous_alias_keys(user_partition, &user.id, customer_sort_keys)
                .await?;
            records.push((user_items(user), previous));
        }
        for application in &catalog.applications {
            let mut previous = Vec::new();
            if let Some(pointer) = self.get(app_pointer_key(&application.id)).await? {
                let client_id = Reader { item: &pointer }.string("client_id")?;
                previous.push(app_key(&client_id));
                previous.push(app_index_key(&client_id));
            }
            records.push((
                vec![
                    application_item(application),
                    app_pointer_item(application),
                    app_index_item(application),
                ],
                previous,
            ));
        }
        // A key this catalog writes is never stale, even when it was another record's before
        // (two markets swapping numbers, a customer taking over an email).
        let written: HashSet<String> = records
            .iter()
            .flat_map(|(items, _)| items.iter().map(key_string))
            .collect();
        // A record stored as the catalog has it, under no name it has lost, is not written
        // again: re-importing a shop's thousands of markets and locations writes nothing.
        let keys = records
            .iter()
            .flat_map(|(items, _)| items.iter().map(key_of));
        let stored: HashMap<String, Item> = (self.batch_get(keys.collect()).await?.into_iter())
            .map(|item| (key_string(&item), item))
            .collect();
        for (items, previous) in records {
            let stale: Vec<Item> = previous
                .into_iter()
                .filter(|k| !written.contains(&key_string(k)))
                .collect();
            let unchanged = items.iter().all(|i| stored.get(&key_string(i)) == Some(i));
            if stale.is_empty() && unchanged {
                continue;
            }
            self.put_copies(items, stale).await?;
        }
        self.import_catalog(catalog).await
    }
}
