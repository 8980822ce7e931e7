//! What a refresh token or an authorization code says about itself, so that the token endpoint
//! can read the records it will need in the same round trip as the token's own record.
//!
//! The value is `<secret>.<hint>`: 256 random bits, then the base64url JSON of the grant's
//! environment, family, owner and scope ids. Storage keeps the hash of the whole value, so a
//! changed hint is an unknown token; and the hint is only ever used to read ahead: the stored
//! record is the authority, and a hint that does not match it is ignored (the records are then
//! read again by the record's own ids). It tells the client nothing it was not told already:
//! the owner is in the token response, the market and stock locations and the environment in
//! the access token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::model::{Mode, OwnerType};

/// A hint longer than this (a grant naming very many stock locations) is left out: the value
/// stays short enough for a URL, and that token is read the slower way.
const MAX_HINT_LENGTH: usize = 512;

/// The records a presented refresh token or code is expected to name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantHint {
    #[serde(rename = "m")]
    pub mode: Mode,
    #[serde(rename = "f")]
    pub family_id: String,
    #[serde(rename = "o")]
    pub owner_id: String,
    #[serde(rename = "u", with = "owner_type")]
    pub owner_type: OwnerType,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub market_id: Option<String>,
    #[serde(rename = "l", default, skip_serializing_if = "Vec::is_empty")]
    pub stock_location_ids: Vec<String>,
}

mod owner_type {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::model::OwnerType;

    pub fn serialize<S: Serializer>(owner: &OwnerType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match owner {
            OwnerType::Customer => "c",
            OwnerType::User => "u",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OwnerType, D::Error> {
        match <&str>::deserialize(d)? {
            "c" => Ok(OwnerType::Customer),
            "u" => Ok(OwnerType::User),
            other => Err(serde::de::Error::custom(format!(
                "unknown owner type {other}"
            ))),
        }
    }
}

impl GrantHint {
    /// `secret` with this hint after it, or `secret` alone when the hint would be too long.
    pub fn attach_to(&self, secret: String) -> String {
        let json = serde_json::to_vec(self).expect("a hint always serializes");
        let hint = URL_SAFE_NO_PAD.encode(json);
        if hint.len() > MAX_HINT_LENGTH {
            return secret;
        }
        format!("{secret}.{hint}")
    }

    /// The hint a presented value carries, if it carries a readable one. Never fails: a value
    /// without one (issued before hints, or too long to hint) is simply read the slower way.
    pub fn of(value: &str) -> Option<Self> {
        let (_, hint) = value.rsplit_once('.')?;
        if hint.len() > MAX_HINT_LENGTH {
            return None;
        }
        let json = URL_SAFE_NO_PAD.decode(hint).ok()?;
        serde_json::from_slice(&json).ok()
    }

    /// Does the stored record name exactly what this hint does?
    pub fn names(&self, grant: &StoredGrant<'_>) -> bool {
        self.mode == grant.mode
            && self.family_id == grant.family_id
            && (self.owner_id.as_str(), self.owner_type) == grant.owner
            && self.market_id.as_deref() == grant.market_id
            && self.stock_location_ids == grant.stock_location_ids
    }
}

/// What a stored grant (a refresh token's or a code's record) names: what a hint must name
/// exactly for the records read ahead to stand for the grant's.
#[derive(Clone, Copy, Debug)]
pub struct StoredGrant<'a> {
    pub mode: Mode,
    pub family_id: &'a str,
    pub owner: (&'a str, OwnerType),
    pub market_id: Option<&'a str>,
    pub stock_location_ids: &'a [String],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint() -> GrantHint {
        GrantHint {
            mode: Mode::Test,
            family_id: "fam_1".into(),
            owner_id: "cus_alice".into(),
            owner_type: OwnerType::Customer,
            market_id: Some("mkt_eu".into()),
            stock_location_ids: vec!["sl_ams".into(), "sl_ber".into()],
        }
    }

    #[test]
    fn a_hint_survives_the_round_trip_through_a_token_value() {
        let value = hint().attach_to("s3cret_value-x".into());
        assert!(value.starts_with("s3cret_value-x."));
        assert_eq!(GrantHint::of(&value), Some(hint()));
        let all_markets = GrantHint {
            market_id: None,
            stock_location_ids: vec![],
            owner_type: OwnerType::User,
            ..hint()
        };
        assert_eq!(
            GrantHint::of(&all_markets.attach_to("s".into())),
            Some(all_markets)
        );
    }

    #[test]
    fn a_value_without_a_readable_hint_has_none() {
        let too_long = "a".repeat(MAX_HINT_LENGTH + 1);
        let cases = [
            "plainsecretwithoutadot".to_owned(),
            "secret.".to_owned(),
            "secret.!!!not-base64!!!".to_owned(),
            format!("secret.{}", URL_SAFE_NO_PAD.encode("not json")),
            format!("secret.{}", URL_SAFE_NO_PAD.encode(r#"{"m":"test"}"#)),
            format!("secret.{too_long}"),
        ];
        for value in cases {
            assert_eq!(GrantHint::of(&value), None, "{value}");
        }
    }

    #[test]
    fn a_hint_too_long_for_a_url_is_left_out() {
        let many = GrantHint {
            stock_location_ids: (0..100).map(|i| format!("sl_{i:08}")).collect(),
            ..hint()
        };
        assert_eq!(many.attach_to("secret".into()), "secret");
    }

    #[test]
    fn a_hint_names_a_record_only_when_every_id_matches() {
        let h = hint();
        let locations = ["sl_ams".to_owned(), "sl_ber".to_owned()];
        let owner = ("cus_alice", OwnerType::Customer);
        let grant = StoredGrant {
            mode: Mode::Test,
            family_id: "fam_1",
            owner,
            market_id: Some("mkt_eu"),
            stock_location_ids: &locations,
        };
        assert!(h.names(&grant));
        let cases = [
            StoredGrant {
                mode: Mode::Live,
                ..grant
            },
            StoredGrant {
                family_id: "fam_2",
                ..grant
            },
            StoredGrant {
                owner: ("cus_bob", OwnerType::Customer),
                ..grant
            },
            StoredGrant {
                owner: ("cus_alice", OwnerType::User),
                ..grant
            },
            StoredGrant {
                market_id: None,
                ..grant
            },
            StoredGrant {
                stock_location_ids: &locations[..1],
                ..grant
            },
        ];
        for other in cases {
            assert!(!h.names(&other), "{other:?}");
        }
    }
}
