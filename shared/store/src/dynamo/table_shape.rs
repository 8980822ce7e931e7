//! Whether a table is one Gatehouse can use: its keys and its TTL, checked before an import or
//! an admin command writes to it, so that a mistyped `--table` fails instead of filling a new,
//! unprotected table (or one of another application).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveStatus,
};

use super::keys::TTL_ATTRIBUTE;
use super::DynamoStore;
use crate::StoreError;

/// What a described table is to Gatehouse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableFit {
    /// Keys `PK` (hash) and `SK` (range), both strings, and TTL on `expires_at`.
    Fits,
    /// No table by that name, in that region and account.
    Missing,
    /// A table that is not Gatehouse's shape, and why.
    Unfit(String),
}

/// The key schema Gatehouse reads and writes: `(name, key type)`, every key a string.
const KEYS: [(&str, KeyType); 2] = [("PK", KeyType::Hash), ("SK", KeyType::Range)];

/// Checks a described table's keys: exactly `PK` (HASH) and `SK` (RANGE), both of type S.
pub fn keys_fit(
    schema: &[KeySchemaElement],
    attributes: &[AttributeDefinition],
) -> Result<(), String> {
    let found: Vec<String> = schema
        .iter()
        .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()))
        .collect();
    let expected = || {
        format!(
            "its keys are {}, not PK (HASH) and SK (RANGE)",
            found.join(", ")
        )
    };
    if schema.len() != KEYS.len() {
        return Err(expected());
    }
    for (name, key_type) in KEYS {
        if !schema
            .iter()
            .any(|k| k.attribute_name() == name && *k.key_type() == key_type)
        {
            return Err(expected());
        }
        let string = attributes
            .iter()
            .any(|a| a.attribute_name() == name && *a.attribute_type() == ScalarAttributeType::S);
        if !string {
            return Err(format!("its key {name} is not a string (S)"));
        }
    }
    Ok(())
}

/// Checks a table's TTL: on (or turning on) and on `expires_at`. Without it, expired codes,
/// refresh tokens and windows would stay forever (reads still ignore them: `expires_at` is
/// checked on every read).
pub fn ttl_fits(status: Option<&TimeToLiveStatus>, attribute: Option<&str>) -> Result<(), String> {
    match (status, attribute) {
        (Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling), Some(TTL_ATTRIBUTE)) => {
            Ok(())
        }
        (Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling), Some(other)) => Err(
            format!("its TTL is on the attribute {other}, not {TTL_ATTRIBUTE}"),
        ),
        _ => Err(format!("its TTL is not turned on (on {TTL_ATTRIBUTE})")),
    }
}

impl DynamoStore {
    /// Describes the table and its TTL: whether Gatehouse can use it.
    pub async fn table_fit(&self) -> Result<TableFit, StoreError> {
        let described = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await;
        let table = match described {
            Ok(output) => output.table,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(TableFit::Missing)
            }
            Err(error) => return Err(StoreError::unavailable(error)),
        };
        let Some(table) = table else {
            return Ok(TableFit::Missing);
        };
        if let Err(reason) = keys_fit(table.key_schema(), table.attribute_definitions()) {
            return Ok(TableFit::Unfit(reason));
        }
        let ttl = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let ttl = ttl.time_to_live_description();
        let status = ttl.and_then(|t| t.time_to_live_status());
        let attribute = ttl.and_then(|t| t.attribute_name());
        Ok(match ttl_fits(status, attribute) {
            Ok(()) => TableFit::Fits,
            Err(reason) => TableFit::Unfit(reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key schema, its attribute types, and the verdict.
    type KeysCase = (
        Vec<KeySchemaElement>,
        Vec<AttributeDefinition>,
        Result<(), &'static str>,
    );
    /// A TTL status, its attribute, and the verdict.
    type TtlCase = (
        Option<TimeToLiveStatus>,
        Option<&'static str>,
        Result<(), &'static str>,
    );

    fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .unwrap()
    }

    fn attribute(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .unwrap()
    }

    #[test]
    fn only_pk_and_sk_as_strings_fit() {
        use KeyType::{Hash, Range};
        use ScalarAttributeType::{N, S};
        let strings = [attribute("PK", S), attribute("SK", S)];
        let cases: [KeysCase; 5] = [
            (
                vec![key("PK", Hash), key("SK", Range)],
                strings.to_vec(),
                Ok(()),
            ),
            (
                vec![key("PK", Hash)],
                strings.to_vec(),
                Err("its keys are PK (HASH), not PK (HASH) and SK (RANGE)"),
            ),
            (
                vec![key("id", Hash), key("SK", Range)],
                strings.to_vec(),
                Err("its keys are id (HASH), SK (RANGE), not PK (HASH) and SK (RANGE)"),
            ),
            (
                vec![key("SK", Hash), key("PK", Range)],
                strings.to_vec(),
                Err("its keys are SK (HASH), PK (RANGE), not PK (HASH) and SK (RANGE)"),
            ),
            (
                vec![key("PK", Hash), key("SK", Range)],
                vec![attribute("PK", S), attribute("SK", N)],
                Err("its key SK is not a string (S)"),
            ),
        ];
        for (schema, attributes, expected) in cases {
            assert_eq!(
                keys_fit(&schema, &attributes),
                expected.map_err(str::to_owned),
                "{schema:?}"
            );
        }
    }

    #[test]
    fn ttl_must_be_on_and_on_expires_at() {
        use TimeToLiveStatus::{Disabled, Disabling, Enabled, Enabling};
        let off = "its TTL is not turned on (on expires_at)";
        let cases: [TtlCase; 7] = [
            (Some(Enabled), Some("expires_at"), Ok(())),
            (Some(Enabling), Some("expires_at"), Ok(())),
            (
                Some(Enabled),
                Some("ttl"),
                Err("its TTL is on the attribute ttl, not expires_at"),
            ),
            (Some(Disabled), None, Err(off)),
            (Some(Disabling), Some("expires_at"), Err(off)),
            (None, None, Err(off)),
            (None, Some("expires_at"), Err(off)),
        ];
        for (status, attribute, expected) in cases {
            assert_eq!(
                ttl_fits(status.as_ref(), attribute),
                expected.map_err(str::to_owned),
                "{status:?} {attribute:?}"
            );
        }
    }
}
