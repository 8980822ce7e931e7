//! The DynamoDB store: one table, string keys `PK` and `SK`, TTL attribute `expires_at`.
//!
//! | item | PK | SK | attributes |
//! |---|---|---|---|
//! | application | `APP#<client_id>` | `APP` | id, name, kind, mode, client_id, secret_hash?, token_lifetime?, redirect_uris, enabled (absent: true), previous_secret_hash?, previous_secret_valid_until? (s), grant_types?, revision? (admin changes since import) |
//! | application pointer | `APPID#<application id>` | `APPID` | client_id (so a re-import that changes it retires the old one) |
//! | application index entry | `APPLICATIONS` | `client#<client_id>` | client_id (so that listing applications is a `Query`, not a `Scan`) |
//! | audit record | `AUDIT` | `at#<ms, 20 digits>#<id>` | id, at, actor, action, target, detail |
//! | admin request record | `REQUEST#<sha-256 of caller and idempotency key, hex>` | `REQUEST` | fingerprint, outcome, application? (map) or market? (map) or client_id?, sealed_secret?, previous_valid_until?, expires_at (24 h) |
//! | market | `MARKET#<mode>` | `number#<n>`, `code#<code>`, `id#<id>` (three copies) | id, number, code, name, mode, active, price_list_id, stock_location_ids, stock_location_numbers, customer_group_id? |
//! | stock location | `STOCK_LOCATION#<mode>` | `number#<n>`, `code#<code>`, `id#<id>` (three copies) | id, number, code, name, mode |
//! | rate-limit window | `RATE#<key>` | `RATE#<limit>/<window seconds>` | `t1`..`t<limit>` (ms, newest first), expires_at |
//! | customer group | `CUSTOMER_GROUP#<mode>` | `id#<id>` | id, name, mode |
//! | customer | `CUSTOMER#<mode>` | `email#<lowercased email>`, `id#<id>` (two copies) | id, mode, email, password_hash (argon2id PHC), customer_group_id? |
//! | refresh token | `REFRESH#<sha-256 of the token, hex>` | `REFRESH` | family_id, application_id, client_id, mode, owner_id, owner_type, market_id?, stock_location_ids, issued_at, authenticated_at, valid_until (ms), consumed_at?, custom_claim? (JSON), expires_at |
//! | refresh family | `FAMILY#<family id>` | `FAMILY` | revoked, expires_at (once revoked, a year later: its access tokens may live that long) |
//! | used assertion | `ASSERTION#sha256:<hex of the application id, a line break and the jti>` | `ASSERTION` | use_id (whose use wrote it), expires_at (the assertion's `exp` and the allowed clock skew: until then its `jti` is refused) |
//! | revoked access token | `REVOKED#<jti>` | `REVOKED` | expires_at (the token's `exp` and an hour) |
//! | revocation epoch | `EPOCH#application#<id>`, `EPOCH#owner#<mode>#<Customer\|User>#<id>`, `EPOCH#market#<mode>#<id>` | `EPOCH` | epoch (s), expires_at (the epoch, a year and an hour) |
//! | epoch log entry | `EPOCH_LOG` | `at#<epoch, 12 digits>#<subject>` | subject, epoch, expires_at (as the epoch's) |
//! | status list size | `STATUSLIST#<window>` | `SIZE` | size (indexes reserved), expires_at (the window's end, a year and an hour) |
//! | status list chunk | `STATUSLIST#<window>` | `CHUNK#<index / 32768>` | revoked (number set), expires_at |
//! | user | `USER#<mode>` | `email#<lowercased email>`, `id#<id>` (two copies) | id, mode, email, name?, password_hash (argon2id PHC) |
//! | authorization code | `CODE#<sha-256 of the code, hex>` | `CODE` | application_id, client_id, mode, user_id, redirect_uri, market_id?, stock_location_ids, code_challenge?, family_id, issued_at, valid_until (ms), consumed_at?, expires_at |
//!
//! Rate-limit keys are a client key (an IPv4 address or an IPv6 /64, prefixed per endpoint) for
//! the per-address limits, and `failed-sign-in:<mode>:<customer|user>:<email>` (with
//! ` from <address>` for the per-address window) for the sign-in protection (`sign_ins.rs`).
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
//! - password grant: the customer is read by `email#` key; a failure is counted in the
//!   account's two sign-in windows in one transaction, a success writes the refresh token with
//!   its new family in one transaction with the windows' conditions (`sign_ins.rs`).
//! - refresh grant: the token is read by its hash, then its family; the rotation is one
//!   `TransactWriteItems`: the family must not be revoked (its TTL is extended), the presented
//!   token must be unconsumed and unexpired (it is marked consumed), and the successor must not
//!   exist (it is put). All or nothing, and of concurrent rotations exactly one commits.
//! - revocation sets the family's `revoked`; every token of the family checks it, refresh
//!   tokens when they are exchanged and access tokens (by their `sid`) on `/api`. An access
//!   token revoked by itself is a put of its `REVOKED#` item; an epoch is one conditional
//!   `UpdateItem` that only moves it forward. `/api` reads a token's `REVOKED#`, `FAMILY#` and
//!   three `EPOCH#` items in one `BatchGetItem` (`revocations.rs`).
//! - authorization code: read by its hash; redeemed by one `TransactWriteItems` that marks it
//!   consumed (only if unconsumed, unexpired and of the same client and family) and puts the
//!   first refresh token and its family, so that a replay finds a family to revoke.
//! - sign-in: the user is read by `email#` key; failures and the code's write go through the
//!   same sign-in windows as the password grant's.
//! - administration (`administration.rs`, `market_admin.rs`): each change is one
//!   `TransactWriteItems` of the change, conditioned on what it changes (the application
//!   exists, or does not yet, and is at the revision read; each market copy is still that
//!   market), the put of its audit record, and the put of its request's record with its
//!   outcome (`replays.rs`), which answers the request sent again and a cancelled resend. Listing applications is a `Query` of the index partition and a `BatchGetItem`;
//!   the audit log is a `Query` of its partition, newest first, with a `Limit`. A table
//!   imported before the index existed lists its applications once it is imported again.
//!
//! The code is laid out by concern, like the traits it implements: `client.rs` builds the SDK
//! client, `keys.rs` is the key schema, `items.rs` encodes records as items and reads them
//! back (with `reader.rs`; `token_items.rs` for refresh tokens and codes), and `clients.rs`, `customers.rs`, `rate_limits.rs`, `refresh_tokens.rs` and
//! `admin.rs` (table creation and import) each implement one storage trait. The catalog is
//! kept as lists (`lists.rs`: its items, keys and sizes), read by `catalog.rs`, written by
//! `catalog_import.rs` and planned without a table by `import_plan.rs`.

mod admin;
mod admin_items;
mod administration;
mod assertions;
mod authorization_codes;
mod catalog;
mod catalog_import;
mod catalog_items;
mod catalog_merge;
mod catalog_related;
mod client;
mod clients;
mod customers;
mod import_plan;
mod items;
mod keys;
mod lists;
mod market_admin;
mod rate_limits;
mod reach;
mod reader;
mod refresh_tokens;
mod replays;
mod revocations;
mod sign_ins;
mod status_lists;
mod table_shape;
mod token_items;
mod transactions;
mod users;

use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use aws_sdk_dynamodb::Client;

pub use client::{client, MAX_ATTEMPTS};
pub use import_plan::{item_size, plan_change, plan_import, ImportPlan};
pub use keys::TTL_ATTRIBUTE;
pub use reach::Unreachable;
pub use table_shape::{keys_fit, ttl_fits, TableFit};

use super::StoreError;

/// DynamoDB's limit of keys in one BatchGetItem.
const BATCH_GET_LIMIT: usize = 100;
use keys::Item;

pub struct DynamoStore {
    client: Client,
    table: String,
    /// The most places of a rate-limit window named in one condition (see
    /// `rate_limits::all_times_at_or_before`).
    places_in_one_condition: u32,
    /// Told how a catalog import is going (`gatehouse import`'s progress line).
    progress: Option<crate::ProgressSink>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            places_in_one_condition: rate_limits::MAX_LIMIT_IN_ONE_CONDITION,
            progress: None,
        }
    }

    /// Tells `sink` how each catalog import goes, after each list it has compared and written.
    pub fn with_import_progress(mut self, sink: crate::ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Names at most `places` places of a rate-limit window in one condition (at most 200, the
    /// default, which DynamoDB's 4 KB expression limit sets). A larger window is read and
    /// rewritten instead. Lowered only by the conformance suite, so that its small windows take
    /// that path: windows past 200 places cost moto about 0.6 s an update, too slow to fill in
    /// a test.
    pub fn with_places_in_one_condition(mut self, places: u32) -> Self {
        self.places_in_one_condition = places.min(rate_limits::MAX_LIMIT_IN_ONE_CONDITION);
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Strongly consistent BatchGetItem of distinct keys, following UnprocessedKeys. DynamoDB
    /// refuses a request with no key or with more than 100: none is sent for no key, and more
    /// go in several requests.
    pub(super) async fn batch_get(&self, mut keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        keys.sort_by_key(|k| format!("{:?}{:?}", k.get("PK"), k.get("SK")));
        keys.dedup();
        if keys.len() > BATCH_GET_LIMIT {
            let mut found = Vec::new();
            for chunk in keys.chunks(BATCH_GET_LIMIT) {
                found.extend(Box::pin(self.batch_get(chunk.to_vec())).await?);
            }
            return Ok(found);
        }
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let mut found = Vec::new();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(StoreError::unavailable)?,
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

    pub(super) async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
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

    /// The record at `key`, read back from its item.
    pub(super) async fn find<T>(
        &self,
        key: Item,
        from: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.get(key).await?.as_ref().map(from).transpose()
    }
}
