//! What a DynamoDB client sent, recorded by an SDK interceptor at the HTTP layer: each request's
//! operation (`X-Amz-Target`), retries included, and for a transaction the kind of each of its
//! parts. `tests/tests/dynamodb_requests.rs` counts requests with it; `tests/tests/iam_policies`
//! derives from it the IAM actions a function's code uses.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use gatehouse_store::dynamo::{self, DynamoStore};
use serde_json::Value;

/// One HTTP request to DynamoDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The operation, e.g. `GetItem` or `TransactWriteItems`.
    pub operation: String,
    /// For `TransactWriteItems` and `TransactGetItems`, the kind of each part, in order
    /// (`Put`, `Update`, `Delete`, `ConditionCheck`, `Get`); empty for other operations.
    pub parts: Vec<String>,
}

impl Sent {
    /// The IAM actions DynamoDB authorizes this request by. A transaction has no action of its
    /// own: "Permissions for Put, Update, Delete, and Get actions are governed by the
    /// permissions used for the underlying PutItem, UpdateItem, DeleteItem, and GetItem
    /// operations. For the ConditionCheck action, you can use the dynamodb:ConditionCheckItem
    /// permission in IAM policies." (Amazon DynamoDB Developer Guide, "Using IAM with DynamoDB
    /// transactions"). A part of a kind not known here is named as it is, so that it shows up
    /// as an action no policy grants rather than going unnoticed.
    pub fn iam_actions(&self) -> Vec<String> {
        match self.operation.as_str() {
            "TransactWriteItems" | "TransactGetItems" => self
                .parts
                .iter()
                .map(|part| {
                    let action = match part.as_str() {
                        "Put" => "PutItem",
                        "Update" => "UpdateItem",
                        "Delete" => "DeleteItem",
                        "ConditionCheck" => "ConditionCheckItem",
                        "Get" => "GetItem",
                        unknown => unknown,
                    };
                    format!("dynamodb:{action}")
                })
                .collect(),
            operation => vec![format!("dynamodb:{operation}")],
        }
    }
}

/// The kinds of a transaction's parts, from its JSON body (`TransactItems`: a list of objects
/// of one key each, the part's kind).
fn transaction_parts(body: &[u8]) -> Vec<String> {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return vec!["UnreadableTransactionBody".into()];
    };
    match body["TransactItems"].as_array() {
        Some(items) => items
            .iter()
            .flat_map(|item| item.as_object().into_iter().flat_map(|kinds| kinds.keys()))
            .cloned()
            .collect(),
        None => vec!["TransactionWithoutTransactItems".into()],
    }
}

/// Records every HTTP request the SDK sends, retries included.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<Sent>>>);

impl RequestLog {
    /// The operations sent since the last `take`, sorted, and forgets them.
    pub fn take(&self) -> Vec<String> {
        let sent = std::mem::take(&mut *self.0.lock().unwrap());
        let mut operations: Vec<String> = sent.into_iter().map(|s| s.operation).collect();
        operations.sort();
        operations
    }

    /// Every request recorded (and not taken) so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.0.lock().unwrap().clone()
    }

    /// The IAM actions of every request recorded (and not taken) so far.
    pub fn iam_actions(&self) -> BTreeSet<String> {
        self.sent().iter().flat_map(Sent::iam_actions).collect()
    }

    /// A DynamoDB client for `endpoint`, built as the functions build theirs
    /// ([`dynamo::client`]), that records its requests here.
    pub async fn client(&self, endpoint: &str) -> aws_sdk_dynamodb::Client {
        let client = dynamo::client(Some(endpoint)).await;
        let config = client
            .config()
            .to_builder()
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// A store on `table` whose requests are recorded here.
    pub async fn store(&self, endpoint: &str, table: &str) -> DynamoStore {
        DynamoStore::new(self.client(endpoint).await, table)
    }
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or("?");
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        let parts = if operation.starts_with("Transact") {
            transaction_parts(request.body().bytes().unwrap_or_default())
        } else {
            Vec::new()
        };
        self.0.lock().unwrap().push(Sent { operation, parts });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transactions_parts_are_its_iam_actions() {
        let parts = transaction_parts(
            br#"{"ClientRequestToken":"x","TransactItems":[
                {"ConditionCheck":{"TableName":"t"}},{"Put":{"TableName":"t"}},
                {"Update":{}},{"Delete":{}}]}"#,
        );
        let sent = Sent {
            operation: "TransactWriteItems".into(),
            parts,
        };
        assert_eq!(
            sent.iam_actions(),
            [
                "dynamodb:ConditionCheckItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem"
            ]
        );
        let get = Sent {
            operation: "TransactGetItems".into(),
            parts: transaction_parts(br#"{"TransactItems":[{"Get":{}}]}"#),
        };
        assert_eq!(get.iam_actions(), ["dynamodb:GetItem"]);
    }

    #[test]
    fn other_operations_are_their_own_action_and_unknown_parts_are_not_hidden() {
        let query = Sent {
            operation: "Query".into(),
            parts: vec![],
        };
        assert_eq!(query.iam_actions(), ["dynamodb:Query"]);
        let odd = Sent {
            operation: "TransactWriteItems".into(),
            parts: transaction_parts(br#"{"TransactItems":[{"Upsert":{}}]}"#),
        };
        assert_eq!(odd.iam_actions(), ["dynamodb:Upsert"]);
        let unreadable = Sent {
            operation: "TransactWriteItems".into(),
            parts: transaction_parts(b"not json"),
        };
        assert_eq!(
            unreadable.iam_actions(),
            ["dynamodb:UnreadableTransactionBody"]
        );
    }
}
