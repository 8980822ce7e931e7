//! What a caller asks of the admin commands: who asks, under which idempotency key, and the
//! inputs of a create and an update, with the fingerprint of each request
//! (`gatehouse_core::idempotency`): what the caller asked, as given, before anything is
//! generated, so that the same request sent again has the same fingerprint.

use gatehouse_core::idempotency::{fingerprint, IdempotencyKey};
use gatehouse_core::model::{ApplicationKind, Mode};
use serde::{Deserialize, Serialize};

/// Who asks for a change, and the key its request is sent under.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Named in the audit log.
    pub actor: String,
    pub key: IdempotencyKey,
}

impl Caller {
    /// A caller who sent no key: the request gets a random one of its own. Its change is
    /// still answered right when DynamoDB's answer is lost and the SDK sends it again; only
    /// the caller cannot send it again, not knowing the key.
    pub fn new(actor: impl Into<String>) -> Self {
        Self::with_key(actor, IdempotencyKey::generate())
    }

    pub fn with_key(actor: impl Into<String>, key: IdempotencyKey) -> Self {
        Self {
            actor: actor.into(),
            key,
        }
    }
}

/// A new application. Its id and, for a confidential client, its secret are generated; its
/// client_id too when none is given. Serialized for its fingerprint only.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    pub name: String,
    pub kind: ApplicationKind,
    pub mode: Mode,
    /// A sales channel that is a confidential client (`true`): it is given a secret and must
    /// present it. Absent: the kind's (integrations and webapps are always confidential).
    /// Left out of the fingerprint when absent, so a request made before it existed keeps
    /// its fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential: Option<bool>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub token_lifetime: Option<i64>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Absent or null: every grant of the kind.
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// The JWT bearer setting ([`gatehouse_core::jwt_bearer::JwtBearer::from_json`]). Absent
    /// or null: off. Left out of the fingerprint when absent, as `confidential`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_bearer: Option<serde_json::Value>,
}

impl NewApplication {
    pub(crate) fn fingerprint(&self) -> String {
        // A JSON object's keys are written sorted: one request, one text.
        let asked = serde_json::to_value(self).expect("a new application always serializes");
        fingerprint(&["application.create", &asked.to_string()])
    }
}

/// Changes to an application; an absent field stays as it is, a null one returns to the
/// kind's default (`token_lifetime`, `grant_types`). Serialized for its fingerprint only: an
/// absent field is left out, a null one written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_lifetime: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub grant_types: Option<Option<Vec<String>>>,
    /// Null turns the JWT bearer grant off.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub jwt_bearer: Option<Option<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl ApplicationChanges {
    /// The fingerprint of these changes to `client_id`: a field absent and a field null are
    /// different requests.
    pub(crate) fn fingerprint(&self, client_id: &str) -> String {
        // A JSON object's keys are written sorted, as in a create's fingerprint.
        let asked = serde_json::to_value(self).expect("changes always serialize");
        fingerprint(&["application.update", client_id, &asked.to_string()])
    }
}

/// A field that is present, null or not: absent fields never reach this (`default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_fingerprint_tells_a_null_field_from_an_absent_one_and_each_target_apart() {
        let parse = |body: &str| serde_json::from_str::<ApplicationChanges>(body).unwrap();
        let reset = parse(r#"{"token_lifetime": null}"#).fingerprint("a");
        let enable = parse(r#"{"enabled": true}"#).fingerprint("a");
        assert_eq!(reset, parse(r#"{"token_lifetime": null}"#).fingerprint("a"));
        assert_ne!(reset, parse("{}").fingerprint("a"));
        assert_ne!(enable, parse(r#"{"enabled": false}"#).fingerprint("a"));
        assert_ne!(enable, parse(r#"{"enabled": true}"#).fingerprint("b"));
        // The same changes in another order are the same request.
        assert_eq!(
            parse(r#"{"enabled": true, "name": "X"}"#).fingerprint("a"),
            parse(r#"{"name": "X", "enabled": true}"#).fingerprint("a")
        );
    }

    #[test]
    fn a_create_fingerprint_covers_every_field_as_given() {
        let parse = |body: &str| serde_json::from_str::<NewApplication>(body).unwrap();
        let base = r#"{"name": "ERP", "kind": "integration", "mode": "test"}"#;
        let same = parse(base).fingerprint();
        assert_eq!(same, parse(base).fingerprint());
        for other in [
            r#"{"name": "ERP2", "kind": "integration", "mode": "test"}"#,
            r#"{"name": "ERP", "kind": "integration", "mode": "live"}"#,
            r#"{"name": "ERP", "kind": "integration", "mode": "test", "client_id": "erp"}"#,
            r#"{"name": "ERP", "kind": "integration", "mode": "test", "token_lifetime": 7200}"#,
            r#"{"name": "ERP", "kind": "integration", "mode": "test", "grant_types": []}"#,
        ] {
            assert_ne!(same, parse(other).fingerprint(), "{other}");
        }
    }
}
