//! The DynamoDB store: one table, string keys `PK` and `SK`, TTL attribute `expires_at`.
//!
//! | item | PK | SK | attributes |
//! |---|---|---|---|
//! | application | `APP#<client_id>` | `APP` | id, name, kind, mode, client_id, secret_hash?, token_lifetime?, redirect_uris |
//! | market | `MARKET#<mode>` | `number#<n>`, `code#<code>`, `id#<id>` (three copies) | id, number, code, name, mode, active, price_list_id, stock_location_ids, stock_location_numbers, customer_group_id? |
//! | stock location | `STOCK_LOCATION#<mode>` | `number#<n>`, `code#<code>`, `id#<id>` (three copies) | id, number, code, name, mode |
//! | rate-limit window | `RATE#<client ip>` | `RATE#<limit>/<window seconds>` | t1..t<limit> (ms, newest first), expires_at |
//!
//! Access patterns:
//! - token request: one `BatchGetItem` (strongly consistent) fetches the application and every
//!   market and stock location the scope names, under each syntax, in both environments (the
//!   environment is the application's, unknown until it is read); concurrently, one
//!   `UpdateItem` counts the request against its rate-limit window. Two requests in all.
//! - markets and stock locations are stored once per way of naming them, so that every scope
//!   syntax is a key lookup; `import` writes the copies of one record in one transaction.
//! - rate limit: the window item holds the last `limit` accepted request times as a shift
//!   register. One conditional `UpdateItem` admits a request only when `t<limit>` (the oldest
//!   kept) is outside the window, shifting every time down one place and writing `t1`. The
//!   condition and the write are one atomic step, so concurrent requests cannot both take the
//!   last place. The first request from an address creates the item with a conditional put.
//!   `expires_at` lets TTL delete idle windows; reads never depend on that deletion.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType,
    KeysAndAttributes, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;

use super::{ClientWithScope, Store, StoreError};
use crate::lifetime::TokenLifetime;
use crate::model::{Application, ApplicationKind, Market, Mode, StockLocation};
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use crate::scope::ResourceRef;
use crate::secret::SecretHash;
use crate::seed::Catalog;

type Item = HashMap<String, AttributeValue>;

pub const TTL_ATTRIBUTE: &str = "expires_at";

/// Builds a DynamoDB client once per cold start. `endpoint` points it at a local DynamoDB API
/// (moto); then, with no AWS credentials in the environment, placeholder ones are used.
pub async fn client(endpoint: Option<&str>) -> Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "gatehouse-local",
            ));
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            loader = loader.region(aws_config::Region::new("us-east-1"));
        }
    }
    Client::new(&loader.load().await)
}

pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

fn app_key(client_id: &str) -> Item {
    key(format!("APP#{client_id}"), "APP".into())
}

fn ref_sort_key(reference: &ResourceRef) -> String {
    match reference {
        ResourceRef::Number(number) => format!("number#{number}"),
        ResourceRef::Code(code) => format!("code#{code}"),
        ResourceRef::Id(id) => format!("id#{id}"),
    }
}

fn market_partition(mode: Mode) -> String {
    format!("MARKET#{}", mode.as_str())
}

fn location_partition(mode: Mode) -> String {
    format!("STOCK_LOCATION#{}", mode.as_str())
}

fn rate_key(client_key: &str, policy: &RateLimitPolicy) -> Item {
    key(
        format!("RATE#{client_key}"),
        format!("RATE#{}/{}", policy.limit, policy.window.as_secs()),
    )
}

/// Reads typed attributes out of an item, naming the item in errors.
struct Reader<'a> {
    item: &'a Item,
}

impl Reader<'_> {
    fn name(&self) -> String {
        let part = |k: &str| match self.item.get(k) {
            Some(AttributeValue::S(v)) => v.clone(),
            _ => "?".into(),
        };
        format!("{}/{}", part("PK"), part("SK"))
    }

    fn corrupt(&self, reason: String) -> StoreError {
        StoreError::Corrupt {
            key: self.name(),
            reason,
        }
    }

    fn string(&self, attribute: &str) -> Result<String, StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::S(value)) => Ok(value.clone()),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a string"))),
        }
    }

    fn optional_string(&self, attribute: &str) -> Result<Option<String>, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
            _ => Err(self.corrupt(format!("{attribute} is not a string"))),
        }
    }

    fn number<T: std::str::FromStr>(&self, attribute: &str) -> Result<T, StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::N(value)) => value
                .parse()
                .map_err(|_| self.corrupt(format!("{attribute} is out of range"))),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a number"))),
        }
    }

    fn boolean(&self, attribute: &str) -> Result<bool, StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::Bool(value)) => Ok(*value),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a boolean"))),
        }
    }

    fn list(&self, attribute: &str) -> Result<&[AttributeValue], StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::L(values)) => Ok(values),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a list"))),
        }
    }

    fn string_list(&self, attribute: &str) -> Result<Vec<String>, StoreError> {
        self.list(attribute)?
            .iter()
            .map(|v| match v {
                AttributeValue::S(value) => Ok(value.clone()),
                _ => Err(self.corrupt(format!("{attribute} holds a non-string"))),
            })
            .collect()
    }

    fn number_list(&self, attribute: &str) -> Result<Vec<u64>, StoreError> {
        self.list(attribute)?
            .iter()
            .map(|v| match v {
                AttributeValue::N(value) => value
                    .parse()
                    .map_err(|_| self.corrupt(format!("{attribute} holds a bad number"))),
                _ => Err(self.corrupt(format!("{attribute} holds a non-number"))),
            })
            .collect()
    }

    fn mode(&self) -> Result<Mode, StoreError> {
        let mode = self.string("mode")?;
        Mode::parse(&mode).ok_or_else(|| self.corrupt(format!("unknown mode '{mode}'")))
    }
}

fn application_item(app: &Application) -> Item {
    let mut item = app_key(&app.client_id);
    item.insert("type".into(), s("application"));
    item.insert("id".into(), s(&app.id));
    item.insert("name".into(), s(&app.name));
    item.insert("kind".into(), s(app.kind.as_str()));
    item.insert("mode".into(), s(app.mode.as_str()));
    item.insert("client_id".into(), s(&app.client_id));
    if let Some(hash) = &app.client_secret_hash {
        item.insert("secret_hash".into(), s(hash.to_stored()));
    }
    if let Some(lifetime) = app.token_lifetime {
        item.insert("token_lifetime".into(), n(lifetime.seconds()));
    }
    item.insert(
        "redirect_uris".into(),
        AttributeValue::L(app.redirect_uris.iter().map(s).collect()),
    );
    item
}

fn application_from(item: &Item) -> Result<Application, StoreError> {
    let r = Reader { item };
    let kind = r.string("kind")?;
    let kind =
        ApplicationKind::parse(&kind).ok_or_else(|| r.corrupt(format!("unknown kind '{kind}'")))?;
    let client_secret_hash = match r.optional_string("secret_hash")? {
        None => None,
        Some(stored) => Some(
            SecretHash::from_stored(&stored)
                .ok_or_else(|| r.corrupt("secret_hash is malformed".into()))?,
        ),
    };
    let token_lifetime = match item.get("token_lifetime") {
        None => None,
        Some(_) => Some(
            TokenLifetime::try_from(r.number::<i64>("token_lifetime")?)
                .map_err(|e| r.corrupt(e.to_string()))?,
        ),
    };
    Ok(Application {
        id: r.string("id")?,
        name: r.string("name")?,
        kind,
        mode: r.mode()?,
        client_id: r.string("client_id")?,
        client_secret_hash,
        token_lifetime,
        redirect_uris: r.string_list("redirect_uris")?,
    })
}

fn market_items(market: &Market) -> Vec<Item> {
    let sort_keys = [
        ResourceRef::Number(market.number),
        ResourceRef::Code(market.code.clone()),
        ResourceRef::Id(market.id.clone()),
    ];
    sort_keys
        .iter()
        .map(|reference| {
            let mut item = key(market_partition(market.mode), ref_sort_key(reference));
            item.insert("type".into(), s("market"));
            item.insert("id".into(), s(&market.id));
            item.insert("number".into(), n(market.number));
            item.insert("code".into(), s(&market.code));
            item.insert("name".into(), s(&market.name));
            item.insert("mode".into(), s(market.mode.as_str()));
            item.insert("active".into(), AttributeValue::Bool(market.active));
            item.insert("price_list_id".into(), s(&market.price_list_id));
            item.insert(
                "stock_location_ids".into(),
                AttributeValue::L(market.stock_location_ids.iter().map(s).collect()),
            );
            item.insert(
                "stock_location_numbers".into(),
                AttributeValue::L(market.stock_location_numbers.iter().map(n).collect()),
            );
            if let Some(group) = &market.customer_group_id {
                item.insert("customer_group_id".into(), s(group));
            }
            item
        })
        .collect()
}

fn market_from(item: &Item) -> Result<Market, StoreError> {
    let r = Reader { item };
    Ok(Market {
        id: r.string("id")?,
        number: r.number("number")?,
        code: r.string("code")?,
        name: r.string("name")?,
        mode: r.mode()?,
        active: r.boolean("active")?,
        price_list_id: r.string("price_list_id")?,
        stock_location_ids: r.string_list("stock_location_ids")?,
        stock_location_numbers: r.number_list("stock_location_numbers")?,
        customer_group_id: r.optional_string("customer_group_id")?,
    })
}

fn location_items(location: &StockLocation) -> Vec<Item> {
    [
        ResourceRef::Number(location.number),
        ResourceRef::Code(location.code.clone()),
        ResourceRef::Id(location.id.clone()),
    ]
    .iter()
    .map(|reference| {
        let mut item = key(location_partition(location.mode), ref_sort_key(reference));
        item.insert("type".into(), s("stock_location"));
        item.insert("id".into(), s(&location.id));
        item.insert("number".into(), n(location.number));
        item.insert("code".into(), s(&location.code));
        item.insert("name".into(), s(&location.name));
        item.insert("mode".into(), s(location.mode.as_str()));
        item
    })
    .collect()
}

fn location_from(item: &Item) -> Result<StockLocation, StoreError> {
    let r = Reader { item };
    Ok(StockLocation {
        id: r.string("id")?,
        number: r.number("number")?,
        code: r.string("code")?,
        name: r.string("name")?,
        mode: r.mode()?,
    })
}

fn item_type(item: &Item) -> Option<&str> {
    match item.get("type") {
        Some(AttributeValue::S(t)) => Some(t.as_str()),
        _ => None,
    }
}

/// The accepted request times of a rate-limit window item, newest first.
fn window_times(item: &Item, limit: u32) -> Vec<u64> {
    (1..=limit)
        .map(|i| match item.get(&format!("t{i}")) {
            Some(AttributeValue::N(value)) => value.parse().unwrap_or(0),
            _ => 0,
        })
        .collect()
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::unavailable(error)
}

/// `SET t<limit> = t<limit-1>, …, t2 = t1, t1 = :now, expires_at = :expires`: one shift of
/// the window, evaluated against the item as it was before the update.
fn shift_expression(limit: u32) -> String {
    let mut expression = String::from("SET ");
    for i in (2..=limit).rev() {
        expression.push_str(&format!("t{i} = t{}, ", i - 1));
    }
    expression.push_str("t1 = :now, expires_at = :expires");
    expression
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (keys and TTL) unless it exists. Returns whether it was created.
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
                .map_err(build_error)
        };
        let key_element = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(build_error)
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute("PK")?)
            .attribute_definitions(attribute("SK")?)
            .key_schema(key_element("PK", KeyType::Hash)?)
            .key_schema(key_element("SK", KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
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
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(true)
    }

    /// Strongly consistent BatchGetItem of distinct keys, following UnprocessedKeys.
    async fn batch_get(&self, mut keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        keys.sort_by_key(|k| format!("{:?}{:?}", k.get("PK"), k.get("SK")));
        keys.dedup();
        let mut found = Vec::new();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(build_error)?,
        );
        for attempt in 0..6u32 {
            let Some(request) = pending.take() else { break };
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            if let Some(items) = output.responses().and_then(|r| r.get(&self.table)) {
                found.extend(items.iter().cloned());
            }
            pending = output
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
                .cloned();
        }
        if pending.is_some() {
            return Err(StoreError::Unavailable(
                "DynamoDB left keys unprocessed".into(),
            ));
        }
        Ok(found)
    }

    async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(output.item().cloned())
    }

    /// Writes all copies of one record in one transaction, deleting the copies of its former
    /// number or code when those changed.
    async fn put_copies(&self, items: Vec<Item>, stale: Vec<Item>) -> Result<(), StoreError> {
        let mut writes = Vec::new();
        for item in items {
            writes.push(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(item))
                            .build()
                            .map_err(build_error)?,
                    )
                    .build(),
            );
        }
        for key in stale {
            writes.push(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(key))
                            .build()
                            .map_err(build_error)?,
                    )
                    .build(),
            );
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// Keys of the copies an earlier import wrote under a number or code no longer in use.
    async fn stale_copies(
        &self,
        partition: String,
        id: &str,
        number: u64,
        code: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let Some(previous) = self.get(key(partition.clone(), format!("id#{id}"))).await? else {
            return Ok(vec![]);
        };
        let r = Reader { item: &previous };
        let mut stale = Vec::new();
        let old_number: u64 = r.number("number")?;
        if old_number != number {
            stale.push(key(partition.clone(), format!("number#{old_number}")));
        }
        let old_code = r.string("code")?;
        if old_code != code {
            stale.push(key(partition, format!("code#{old_code}")));
        }
        Ok(stale)
    }

    /// Creates a window item holding one accepted request. False when it already existed.
    async fn create_window(
        &self,
        key: Item,
        policy: &RateLimitPolicy,
        now: u64,
    ) -> Result<bool, StoreError> {
        let mut item = key;
        item.insert("t1".into(), n(now));
        for i in 2..=policy.limit {
            item.insert(format!("t{i}"), n(0));
        }
        item.insert(TTL_ATTRIBUTE.into(), n(expiry_seconds(policy, now)));
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(false)
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}

fn expiry_seconds(policy: &RateLimitPolicy, now_millis: u64) -> u64 {
    (now_millis + policy.window_millis()).div_ceil(1000) + 1
}

#[async_trait]
impl Store for DynamoStore {
    async fn find_application(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        match self.get(app_key(client_id)).await? {
            Some(item) => application_from(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn find_markets(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<Market>, StoreError> {
        if refs.is_empty() {
            return Ok(vec![]);
        }
        let keys = refs
            .iter()
            .map(|r| key(market_partition(mode), ref_sort_key(r)))
            .collect();
        let mut markets: Vec<Market> = self
            .batch_get(keys)
            .await?
            .iter()
            .map(market_from)
            .collect::<Result<_, _>>()?;
        markets.sort_by(|a, b| a.id.cmp(&b.id));
        markets.dedup_by(|a, b| a.id == b.id);
        Ok(markets)
    }

    async fn find_stock_locations(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<StockLocation>, StoreError> {
        if refs.is_empty() {
            return Ok(vec![]);
        }
        let keys = refs
            .iter()
            .map(|r| key(location_partition(mode), ref_sort_key(r)))
            .collect();
        let mut locations: Vec<StockLocation> = self
            .batch_get(keys)
            .await?
            .iter()
            .map(location_from)
            .collect::<Result<_, _>>()?;
        locations.sort_by(|a, b| a.id.cmp(&b.id));
        locations.dedup_by(|a, b| a.id == b.id);
        Ok(locations)
    }

    async fn find_client_with_scope(
        &self,
        client_id: &str,
        market_refs: &[ResourceRef],
        stock_location_refs: &[ResourceRef],
    ) -> Result<Option<ClientWithScope>, StoreError> {
        let mut keys = vec![app_key(client_id)];
        for mode in Mode::ALL {
            keys.extend(
                market_refs
                    .iter()
                    .map(|r| key(market_partition(mode), ref_sort_key(r))),
            );
            keys.extend(
                stock_location_refs
                    .iter()
                    .map(|r| key(location_partition(mode), ref_sort_key(r))),
            );
        }
        let items = self.batch_get(keys).await?;
        let Some(application) = items
            .iter()
            .find(|item| item_type(item) == Some("application"))
            .map(application_from)
            .transpose()?
        else {
            return Ok(None);
        };
        let mut markets: Vec<Market> = Vec::new();
        let mut stock_locations: Vec<StockLocation> = Vec::new();
        for item in &items {
            match item_type(item) {
                Some("market") => {
                    let market = market_from(item)?;
                    if market.mode == application.mode && !markets.iter().any(|m| m.id == market.id)
                    {
                        markets.push(market);
                    }
                }
                Some("stock_location") => {
                    let location = location_from(item)?;
                    if location.mode == application.mode
                        && !stock_locations.iter().any(|l| l.id == location.id)
                    {
                        stock_locations.push(location);
                    }
                }
                _ => {}
            }
        }
        Ok(Some(ClientWithScope {
            application,
            markets,
            stock_locations,
        }))
    }

    async fn hit_rate_limit(
        &self,
        client_key: &str,
        policy: &RateLimitPolicy,
        now_millis: u64,
    ) -> Result<RateLimitOutcome, StoreError> {
        let limit = policy.limit;
        let oldest = format!("t{limit}");
        // A handful of rounds covers the one race there is: two first requests creating the item.
        for _ in 0..4 {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(rate_key(client_key, policy)))
                .update_expression(shift_expression(limit))
                .condition_expression("attribute_exists(#oldest) AND #oldest <= :cutoff")
                .expression_attribute_names("#oldest", &oldest)
                .expression_attribute_values(":now", n(now_millis))
                .expression_attribute_values(":cutoff", n(policy.cutoff(now_millis)))
                .expression_attribute_values(":expires", n(expiry_seconds(policy, now_millis)))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let previous = match result {
                Ok(output) => {
                    let times = output
                        .attributes()
                        .map(|item| window_times(item, limit))
                        .unwrap_or_default();
                    return Ok(policy.outcome(true, &times, now_millis));
                }
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    match e.err() {
                        UpdateItemError::ConditionalCheckFailedException(failed) => {
                            failed.item().cloned()
                        }
                        _ => None,
                    }
                }
                Err(error) => return Err(StoreError::unavailable(error)),
            };
            let previous = match previous {
                Some(item) => item,
                // No old item came back: most likely there is none yet, so create the window.
                None => {
                    if self
                        .create_window(rate_key(client_key, policy), policy, now_millis)
                        .await?
                    {
                        return Ok(policy.outcome(true, &[now_millis], now_millis));
                    }
                    // It exists after all (created meanwhile, or an API that returns no old item).
                    match self.get(rate_key(client_key, policy)).await? {
                        Some(item) => item,
                        None => continue,
                    }
                }
            };
            let times = window_times(&previous, limit);
            if !policy.admits(&times, now_millis) {
                return Ok(policy.outcome(false, &times, now_millis));
            }
            // The window moved between the update and the read: try again.
        }
        Err(StoreError::Unavailable(
            "rate-limit window kept changing under contention".into(),
        ))
    }

    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError> {
        for location in &catalog.stock_locations {
            let stale = self
                .stale_copies(
                    location_partition(location.mode),
                    &location.id,
                    location.number,
                    &location.code,
                )
                .await?;
            self.put_copies(location_items(location), stale).await?;
        }
        for market in &catalog.markets {
            let stale = self
                .stale_copies(
                    market_partition(market.mode),
                    &market.id,
                    market.number,
                    &market.code,
                )
                .await?;
            self.put_copies(market_items(market), stale).await?;
        }
        for application in &catalog.applications {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(application_item(application)))
                .send()
                .await
                .map_err(StoreError::unavailable)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shift_expression_moves_every_time_down_one_place() {
        assert_eq!(shift_expression(1), "SET t1 = :now, expires_at = :expires");
        assert_eq!(
            shift_expression(3),
            "SET t3 = t2, t2 = t1, t1 = :now, expires_at = :expires"
        );
    }

    #[test]
    fn the_largest_window_fits_dynamodbs_4_kb_expression_limit() {
        assert!(shift_expression(crate::ratelimit::MAX_LIMIT).len() < 4096);
    }

    #[test]
    fn records_survive_the_round_trip_through_items() {
        let catalog = crate::seed::parse_seed(crate::seed::DEMO_SEED).unwrap();
        for app in &catalog.applications {
            assert_eq!(&application_from(&application_item(app)).unwrap(), app);
        }
        for market in &catalog.markets {
            for item in market_items(market) {
                assert_eq!(&market_from(&item).unwrap(), market);
            }
        }
        for location in &catalog.stock_locations {
            for item in location_items(location) {
                assert_eq!(&location_from(&item).unwrap(), location);
            }
        }
    }

    #[test]
    fn a_corrupt_item_is_an_error_that_names_it() {
        let mut item = application_item(
            &crate::seed::parse_seed(crate::seed::DEMO_SEED)
                .unwrap()
                .applications[0],
        );
        item.insert("kind".into(), s("robot"));
        let error = application_from(&item).unwrap_err().to_string();
        assert!(
            error.contains("APP#demo-storefront/APP") && error.contains("robot"),
            "{error}"
        );
    }
}
