//! The DynamoDB store: one table, string keys `PK` and `SK`, TTL attribute `expires_at`.
//!
//! | item | PK | SK | attributes |
//! |---|---|---|---|
//! | application | `APP#<client_id>` | `APP` | id, name, kind, mode, client_id, secret_hash?, token_lifetime?, redirect_uris |
//! | application pointer | `APPID#<application id>` | `APPID` | client_id (so a re-import that changes it retires the old one) |
//! | market | `MARKET#<mode>` | `number#<n>`, `code#<code>`, `id#<id>` (three copies) | id, number, code, name, mode, active, price_list_id, stock_location_ids, stock_location_numbers, customer_group_id? |
//! | stock location | `STOCK_LOCATION#<mode>` | `number#<n>`, `code#<code>`, `id#<id>` (three copies) | id, number, code, name, mode |
//! | rate-limit window | `RATE#<key>` | `RATE#<limit>/<window seconds>` | `t1`..`t<limit>` (ms, newest first), expires_at |
//! | customer group | `CUSTOMER_GROUP#<mode>` | `id#<id>` | id, name, mode |
//! | customer | `CUSTOMER#<mode>` | `email#<lowercased email>`, `id#<id>` (two copies) | id, mode, email, password_hash (argon2id PHC), customer_group_id? |
//! | refresh token | `REFRESH#<sha-256 of the token, hex>` | `REFRESH` | family_id, application_id, client_id, mode, owner_id, owner_type, market_id?, stock_location_ids, issued_at, valid_until (ms), consumed_at?, expires_at |
//! | refresh family | `FAMILY#<family id>` | `FAMILY` | revoked, expires_at |
//!
//! Rate-limit keys are a client IP for the token endpoint's limit and
//! `login:<mode>:<email>` for failed-login lockouts.
//!
//! Access patterns:
//! - token request: one `BatchGetItem` (strongly consistent) fetches the application and every
//!   market and stock location the scope names, under each syntax, in both environments (the
//!   environment is the application's, unknown until it is read); concurrently, one
//!   `UpdateItem` counts the request against its rate-limit window. Two requests in all.
//! - markets and stock locations are stored once per way of naming them, so that every scope
//!   syntax is a key lookup; `import` writes the copies of one record in one transaction, and
//!   deletes in it the copies of that record's former names (number, code, email, client_id,
//!   environment) unless the same import writes them for another record.
//! - rate limit: the window item holds the last `limit` accepted request times as a shift
//!   register. One conditional `UpdateItem` admits a request only when `t<limit>` (the oldest
//!   kept) is outside the window, shifting every time down one place and writing `t1`. The
//!   condition and the write are one atomic step, so concurrent requests cannot both take the
//!   last place. The first request from an address creates the item with a conditional put.
//!   `expires_at` lets TTL delete idle windows; reads never depend on that deletion.
//! - password grant: the customer is read by `email#` key, the refresh token written with its
//!   new family in one transaction.
//! - refresh grant: the token is read by its hash, then its family; the rotation is one
//!   `TransactWriteItems`: the family must not be revoked (its TTL is extended), the presented
//!   token must be unconsumed and unexpired (it is marked consumed), and the successor must not
//!   exist (it is put). All or nothing, and of concurrent rotations exactly one commits.
//! - revocation sets the family's `revoked`; every token of the family checks it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType,
    KeysAndAttributes, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;

use super::{ClientWithScope, Rotation, Store, StoreError};
use crate::lifetime::TokenLifetime;
use crate::model::Catalog;
use crate::model::{
    email_key, Application, ApplicationKind, Customer, CustomerGroup, Market, Mode, OwnerType,
    RefreshTokenRecord, RefreshTokenState, StockLocation,
};
use crate::password::PasswordHash;
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use crate::scope::ResourceRef;
use crate::secret::SecretHash;

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

fn customer_partition(mode: Mode) -> String {
    format!("CUSTOMER#{}", mode.as_str())
}

fn customer_items(customer: &Customer) -> Vec<Item> {
    [
        format!("email#{}", email_key(&customer.email)),
        format!("id#{}", customer.id),
    ]
    .into_iter()
    .map(|sort_key| {
        let mut item = key(customer_partition(customer.mode), sort_key);
        item.insert("type".into(), s("customer"));
        item.insert("id".into(), s(&customer.id));
        item.insert("mode".into(), s(customer.mode.as_str()));
        item.insert("email".into(), s(&customer.email));
        item.insert(
            "password_hash".into(),
            s(customer.password_hash.as_stored()),
        );
        if let Some(group) = &customer.customer_group_id {
            item.insert("customer_group_id".into(), s(group));
        }
        item
    })
    .collect()
}

fn customer_from(item: &Item) -> Result<Customer, StoreError> {
    let r = Reader { item };
    Ok(Customer {
        id: r.string("id")?,
        mode: r.mode()?,
        email: r.string("email")?,
        password_hash: PasswordHash::from_stored(&r.string("password_hash")?)
            .map_err(|e| r.corrupt(e.to_string()))?,
        customer_group_id: r.optional_string("customer_group_id")?,
    })
}

fn group_item(group: &CustomerGroup) -> Item {
    let mut item = key(
        format!("CUSTOMER_GROUP#{}", group.mode.as_str()),
        format!("id#{}", group.id),
    );
    item.insert("type".into(), s("customer_group"));
    item.insert("id".into(), s(&group.id));
    item.insert("name".into(), s(&group.name));
    item.insert("mode".into(), s(group.mode.as_str()));
    item
}

fn group_from(item: &Item) -> Result<CustomerGroup, StoreError> {
    let r = Reader { item };
    Ok(CustomerGroup {
        id: r.string("id")?,
        name: r.string("name")?,
        mode: r.mode()?,
    })
}

fn refresh_key(hash: &SecretHash) -> Item {
    let hex = hash.to_stored();
    key(
        format!("REFRESH#{}", hex.trim_start_matches("sha256:")),
        "REFRESH".into(),
    )
}

fn family_key(family_id: &str) -> Item {
    key(format!("FAMILY#{family_id}"), "FAMILY".into())
}

/// TTL for a record that stops mattering at `millis`: a day later, so that a token presented
/// just after it expired is still recognised (and refused) as expired rather than unknown.
fn ttl_after(millis: u64) -> u64 {
    millis / 1000 + 24 * 3600
}

fn refresh_item(record: &RefreshTokenRecord) -> Item {
    let mut item = refresh_key(&record.token_hash);
    item.insert("type".into(), s("refresh_token"));
    item.insert("token_hash".into(), s(record.token_hash.to_stored()));
    item.insert("family_id".into(), s(&record.family_id));
    item.insert("application_id".into(), s(&record.application_id));
    item.insert("client_id".into(), s(&record.client_id));
    item.insert("mode".into(), s(record.mode.as_str()));
    item.insert("owner_id".into(), s(&record.owner_id));
    item.insert("owner_type".into(), s(record.owner_type.as_str()));
    if let Some(market) = &record.market_id {
        item.insert("market_id".into(), s(market));
    }
    item.insert(
        "stock_location_ids".into(),
        AttributeValue::L(record.stock_location_ids.iter().map(s).collect()),
    );
    item.insert("issued_at".into(), n(record.issued_at_millis));
    item.insert("valid_until".into(), n(record.expires_at_millis));
    if let Some(consumed) = record.consumed_at_millis {
        item.insert("consumed_at".into(), n(consumed));
    }
    item.insert(TTL_ATTRIBUTE.into(), n(ttl_after(record.expires_at_millis)));
    item
}

fn refresh_from(item: &Item) -> Result<RefreshTokenRecord, StoreError> {
    let r = Reader { item };
    let owner_type = r.string("owner_type")?;
    Ok(RefreshTokenRecord {
        token_hash: SecretHash::from_stored(&r.string("token_hash")?)
            .ok_or_else(|| r.corrupt("token_hash is malformed".into()))?,
        family_id: r.string("family_id")?,
        application_id: r.string("application_id")?,
        client_id: r.string("client_id")?,
        mode: r.mode()?,
        owner_id: r.string("owner_id")?,
        owner_type: OwnerType::parse(&owner_type)
            .ok_or_else(|| r.corrupt(format!("unknown owner_type '{owner_type}'")))?,
        market_id: r.optional_string("market_id")?,
        stock_location_ids: r.string_list("stock_location_ids")?,
        issued_at_millis: r.number("issued_at")?,
        expires_at_millis: r.number("valid_until")?,
        consumed_at_millis: match item.get("consumed_at") {
            None => None,
            Some(_) => Some(r.number("consumed_at")?),
        },
    })
}

fn family_item(family_id: &str, expires_at_millis: u64) -> Item {
    let mut item = family_key(family_id);
    item.insert("type".into(), s("refresh_family"));
    item.insert("revoked".into(), AttributeValue::Bool(false));
    item.insert(TTL_ATTRIBUTE.into(), n(ttl_after(expires_at_millis)));
    item
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

    async fn clear_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(rate_key(key, policy)))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn find_customer_by_email(
        &self,
        mode: Mode,
        email: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let item = self
            .get(key(
                customer_partition(mode),
                format!("email#{}", email_key(email)),
            ))
            .await?;
        item.as_ref().map(customer_from).transpose()
    }

    async fn find_customer(&self, mode: Mode, id: &str) -> Result<Option<Customer>, StoreError> {
        let item = self
            .get(key(customer_partition(mode), format!("id#{id}")))
            .await?;
        item.as_ref().map(customer_from).transpose()
    }

    async fn find_customer_group(
        &self,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CustomerGroup>, StoreError> {
        let item = self
            .get(key(
                format!("CUSTOMER_GROUP#{}", mode.as_str()),
                format!("id#{id}"),
            ))
            .await?;
        item.as_ref().map(group_from).transpose()
    }

    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError> {
        let put = |item: Item| -> Result<TransactWriteItem, StoreError> {
            Ok(TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(PK)")
                        .build()
                        .map_err(build_error)?,
                )
                .build())
        };
        self.client
            .transact_write_items()
            .transact_items(put(family_item(
                &record.family_id,
                record.expires_at_millis,
            ))?)
            .transact_items(put(refresh_item(record))?)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenState>, StoreError> {
        let Some(item) = self.get(refresh_key(hash)).await? else {
            return Ok(None);
        };
        let record = refresh_from(&item)?;
        let family_revoked = match self.get(family_key(&record.family_id)).await? {
            Some(family) => Reader { item: &family }.boolean("revoked")?,
            // A family gone (TTL) is as good as revoked.
            None => true,
        };
        Ok(Some(RefreshTokenState {
            record,
            family_revoked,
        }))
    }

    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: &RefreshTokenRecord,
        now_millis: u64,
    ) -> Result<Rotation, StoreError> {
        // Two attempts: DynamoDB may cancel a transaction for a conflict with another one
        // that itself failed, leaving the presented token still active.
        for _ in 0..2 {
            let family = Update::builder()
                .table_name(&self.table)
                .set_key(Some(family_key(&successor.family_id)))
                .update_expression("SET expires_at = :expires")
                .condition_expression("revoked = :false")
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":expires", n(ttl_after(successor.expires_at_millis)))
                .build()
                .map_err(build_error)?;
            let consume = Update::builder()
                .table_name(&self.table)
                .set_key(Some(refresh_key(presented)))
                .update_expression("SET consumed_at = :now")
                .condition_expression(
                    "attribute_exists(PK) AND attribute_not_exists(consumed_at) AND valid_until > :now AND family_id = :family",
                )
                .expression_attribute_values(":now", n(now_millis))
                .expression_attribute_values(":family", s(&successor.family_id))
                .build()
                .map_err(build_error)?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(refresh_item(successor)))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .map_err(build_error)?;
            // One idempotency token per attempt: when an earlier send of this very transaction
            // timed out but may still be committing, DynamoDB answers "in progress", and
            // sending it again with the same token returns its outcome instead of a 503.
            let idempotency_token = crate::secret::random_token(16);
            let mut waits = 0u64;
            let result = loop {
                let result = self
                    .client
                    .transact_write_items()
                    .client_request_token(&idempotency_token)
                    .transact_items(TransactWriteItem::builder().update(family.clone()).build())
                    .transact_items(TransactWriteItem::builder().update(consume.clone()).build())
                    .transact_items(TransactWriteItem::builder().put(put.clone()).build())
                    .send()
                    .await;
                match &result {
                    Err(SdkError::ServiceError(e))
                        if e.err().is_transaction_in_progress_exception() && waits < 3 =>
                    {
                        waits += 1;
                        tokio::time::sleep(Duration::from_millis(250 * waits)).await;
                    }
                    _ => break result,
                }
            };
            match result {
                Ok(_) => return Ok(Rotation::Rotated),
                Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                    let state = self.find_refresh_token(presented).await?;
                    let still_active = state
                        .as_ref()
                        .is_some_and(|st| st.can_rotate_into(&successor.family_id, now_millis));
                    if !still_active {
                        return Ok(Rotation::NotActive(state.map(Box::new)));
                    }
                }
                Err(error) => return Err(StoreError::unavailable(error)),
            }
        }
        Err(StoreError::Unavailable(
            "refresh token rotation kept conflicting".into(),
        ))
    }

    async fn revoke_refresh_family(&self, family_id: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(family_key(family_id)))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already gone: nothing left to revoke.
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }

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
        for application in &catalog.applications {
            let mut previous = Vec::new();
            if let Some(pointer) = self.get(app_pointer_key(&application.id)).await? {
                previous.push(app_key(&Reader { item: &pointer }.string("client_id")?));
            }
            records.push((
                vec![application_item(application), app_pointer_item(application)],
                previous,
            ));
        }
        // A key this catalog writes is never stale, even when it was another record's before
        // (two markets swapping numbers, a customer taking over an email).
        let written: HashSet<String> = records
            .iter()
            .flat_map(|(items, _)| items.iter().map(key_string))
            .collect();
        for (items, previous) in records {
            let stale = previous
                .into_iter()
                .filter(|k| !written.contains(&key_string(k)))
                .collect();
            self.put_copies(items, stale).await?;
        }
        Ok(())
    }
}

/// The sort keys of a market's or stock location's copies, from one of them.
fn alias_sort_keys(item: &Item) -> Result<Vec<String>, StoreError> {
    let r = Reader { item };
    Ok(vec![
        format!("number#{}", r.number::<u64>("number")?),
        format!("code#{}", r.string("code")?),
        format!("id#{}", r.string("id")?),
    ])
}

/// The sort keys of a customer's copies, from one of them.
fn customer_sort_keys(item: &Item) -> Result<Vec<String>, StoreError> {
    let r = Reader { item };
    Ok(vec![
        format!("email#{}", email_key(&r.string("email")?)),
        format!("id#{}", r.string("id")?),
    ])
}

fn key_string(item: &Item) -> String {
    let part = |k: &str| match item.get(k) {
        Some(AttributeValue::S(v)) => v.as_str(),
        _ => "",
    };
    format!("{}\u{0}{}", part("PK"), part("SK"))
}

/// Which application an id had, so that a changed client_id does not leave the old one live.
fn app_pointer_key(application_id: &str) -> Item {
    key(format!("APPID#{application_id}"), "APPID".into())
}

fn app_pointer_item(application: &Application) -> Item {
    let mut item = app_pointer_key(&application.id);
    item.insert("type".into(), s("application_pointer"));
    item.insert("client_id".into(), s(&application.client_id));
    item
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
