//! Writes of one `TransactWriteItems`, each with its condition, and the transaction that
//! commits them together or not at all under one idempotency token: the administration's
//! building blocks (and the token paths' transaction).

use std::collections::HashMap;

use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

use super::admin_items::audit_item;
use super::keys::Item;
use super::DynamoStore;
use crate::{AuditRecord, StoreError};

/// A condition and the values it names, for one write of a transaction.
pub(super) struct Condition {
    pub expression: &'static str,
    pub values: Item,
}

impl Condition {
    pub fn new(expression: &'static str) -> Self {
        Self {
            expression,
            values: Item::new(),
        }
    }

    pub fn with(mut self, name: &str, value: AttributeValue) -> Self {
        self.values.insert(name.into(), value);
        self
    }
}

fn values(values: Item) -> Option<Item> {
    Some(values).filter(|values| !values.is_empty())
}

/// A write's condition expression and values, as the SDK's builders take them.
fn parts(condition: Option<Condition>) -> (Option<String>, Option<Item>) {
    match condition {
        Some(condition) => (Some(condition.expression.into()), values(condition.values)),
        None => (None, None),
    }
}

impl DynamoStore {
    pub(super) fn put_write(
        &self,
        item: Item,
        condition: Option<Condition>,
    ) -> Result<TransactWriteItem, StoreError> {
        let (expression, values) = parts(condition);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(expression)
            .set_expression_attribute_values(values)
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The put of an item that must not exist yet.
    pub(super) fn new_item_write(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        self.put_write(item, Some(Condition::new("attribute_not_exists(PK)")))
    }

    /// The put of an audit record, which never replaces another.
    pub(super) fn audit_write(
        &self,
        record: &AuditRecord,
    ) -> Result<TransactWriteItem, StoreError> {
        self.new_item_write(audit_item(record))
    }

    pub(super) fn delete_write(
        &self,
        key: Item,
        condition: Option<Condition>,
    ) -> Result<TransactWriteItem, StoreError> {
        let (expression, values) = parts(condition);
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .set_condition_expression(expression)
            .set_expression_attribute_values(values)
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    pub(super) fn update_write(
        &self,
        key: Item,
        expression: String,
        names: HashMap<String, String>,
        condition: Condition,
        mut values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        values.extend(condition.values);
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(names).filter(|n| !n.is_empty()))
            .set_expression_attribute_values(self::values(values))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Sends the writes as one transaction under one idempotency token (`ClientRequestToken`).
    /// An attempt whose answer was lost may have committed: the SDK resends it with the same
    /// token, and DynamoDB answers with the first send's outcome, or, while that send is
    /// still being applied, that it is in progress; then this waits and sends it again.
    /// Where the resend is refused instead (a cancellation for the very conditions the
    /// first send consumed), an item the transaction puts under a key no one else can know
    /// (the hash of a new random token) exists exactly when that first send committed.
    pub(super) async fn transact_idempotently(
        &self,
        writes: Vec<TransactWriteItem>,
    ) -> Result<TransactWriteItemsOutput, SdkError<TransactWriteItemsError, HttpResponse>> {
        let idempotency_token = gatehouse_core::secret::random_token(16);
        let mut waits = 0u64;
        loop {
            let result = self
                .client
                .transact_write_items()
                .client_request_token(&idempotency_token)
                .set_transact_items(Some(writes.clone()))
                .send()
                .await;
            match &result {
                Err(SdkError::ServiceError(e))
                    if e.err().is_transaction_in_progress_exception() && waits < 3 =>
                {
                    waits += 1;
                    tokio::time::sleep(Duration::from_millis(250 * waits)).await;
                }
                _ => return result,
            }
        }
    }
}
