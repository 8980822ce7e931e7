//! The key schema: partition (`PK`) and sort (`SK`) keys of every item type (see the table in
//! the module's documentation), and small attribute constructors.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::model::Mode;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::scope::ResourceRef;
use gatehouse_core::secret::SecretHash;

pub(super) type Item = HashMap<String, AttributeValue>;

pub const TTL_ATTRIBUTE: &str = "expires_at";

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A time kept in milliseconds (records, rate-limit windows).
pub(super) fn millis(instant: UnixMillis) -> AttributeValue {
    n(instant.0)
}

/// A time in seconds: what DynamoDB's TTL reads from [`TTL_ATTRIBUTE`].
pub(super) fn seconds(instant: UnixSeconds) -> AttributeValue {
    n(instant.0)
}

/// Sets `attribute` when there is a value: an absent attribute, never a null, stands for none.
pub(super) fn set_some(item: &mut Item, attribute: &str, value: Option<AttributeValue>) {
    item.extend(value.map(|value| (attribute.to_owned(), value)));
}

pub(super) fn key(pk: String, sk: String) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

pub(super) fn app_key(client_id: &str) -> Item {
    key(format!("APP#{client_id}"), "APP".into())
}

pub(super) fn ref_sort_key(reference: &ResourceRef) -> String {
    match reference {
        ResourceRef::Number(number) => format!("number#{number}"),
        ResourceRef::Code(code) => format!("code#{code}"),
        ResourceRef::Id(id) => format!("id#{id}"),
    }
}

pub(super) fn market_partition(mode: Mode) -> String {
    format!("MARKET#{}", mode.as_str())
}

pub(super) fn location_partition(mode: Mode) -> String {
    format!("STOCK_LOCATION#{}", mode.as_str())
}

pub(super) fn rate_key(client_key: &str, policy: &RateLimitPolicy) -> Item {
    key(
        format!("RATE#{client_key}"),
        format!("RATE#{}/{}", policy.limit, policy.window.as_secs()),
    )
}

pub(super) fn user_partition(mode: Mode) -> String {
    format!("USER#{}", mode.as_str())
}

pub(super) fn code_key(hash: &SecretHash) -> Item {
    let hex = hash.to_stored();
    key(
        format!("CODE#{}", hex.trim_start_matches("sha256:")),
        "CODE".into(),
    )
}

pub(super) fn customer_partition(mode: Mode) -> String {
    format!("CUSTOMER#{}", mode.as_str())
}

pub(super) fn refresh_key(hash: &SecretHash) -> Item {
    let hex = hash.to_stored();
    key(
        format!("REFRESH#{}", hex.trim_start_matches("sha256:")),
        "REFRESH".into(),
    )
}

pub(super) fn family_key(family_id: &str) -> Item {
    key(format!("FAMILY#{family_id}"), "FAMILY".into())
}

pub(super) fn key_string(item: &Item) -> String {
    let part = |k: &str| match item.get(k) {
        Some(AttributeValue::S(v)) => v.as_str(),
        _ => "",
    };
    format!("{}\u{0}{}", part("PK"), part("SK"))
}

/// Which application an id had, so that a changed client_id does not leave the old one live.
pub(super) fn app_pointer_key(application_id: &str) -> Item {
    key(format!("APPID#{application_id}"), "APPID".into())
}

/// The partition that lists every application by client_id, so that listing them is a
/// `Query` rather than a `Scan` of the whole table.
pub(super) const APPLICATION_INDEX: &str = "APPLICATIONS";

pub(super) fn app_index_key(client_id: &str) -> Item {
    key(APPLICATION_INDEX.into(), format!("client#{client_id}"))
}

/// The partition of the audit log.
pub(super) const AUDIT_PARTITION: &str = "AUDIT";

/// An audit record's key: its time first (zero-padded milliseconds), so that the partition
/// reads back in time order; its id after, so that records of one instant stay apart.
pub(super) fn audit_key(at: UnixMillis, id: &str) -> Item {
    key(AUDIT_PARTITION.into(), format!("at#{:020}#{id}", at.0))
}

/// The record of an administrative change's request, by its name (a hash of the caller and
/// the idempotency key: see `gatehouse_core::idempotency::record_name`).
pub(super) fn request_key(name: &str) -> Item {
    key(format!("REQUEST#{name}"), "REQUEST".into())
}
