//! Refresh tokens, their families and authorization codes as items, and back.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::reader::Reader;
use crate::StoreError;
use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::model::{AuthorizationCodeRecord, OwnerType, RefreshTokenRecord};

/// TTL for a record that stops mattering at `instant`: a day later, so that a token presented
/// just after it expired is still recognised (and refused) as expired rather than unknown.
pub(super) fn ttl_after(instant: UnixMillis) -> UnixSeconds {
    instant.ceil_seconds() + Duration::from_secs(24 * 3600)
}

pub(super) fn refresh_item(record: &RefreshTokenRecord) -> Item {
    let mut item = refresh_key(&record.token_hash);
    item.insert("type".into(), s("refresh_token"));
    item.insert("token_hash".into(), s(record.token_hash.to_stored()));
    item.insert("family_id".into(), s(&record.family_id));
    item.insert("application_id".into(), s(&record.application_id));
    item.insert("client_id".into(), s(&record.client_id));
    item.insert("mode".into(), s(record.mode.as_str()));
    item.insert("owner_id".into(), s(&record.owner_id));
    item.insert("owner_type".into(), s(record.owner_type.as_str()));
    set_some(&mut item, "market_id", record.market_id.as_ref().map(s));
    item.insert(
        "stock_location_ids".into(),
        AttributeValue::L(record.stock_location_ids.iter().map(s).collect()),
    );
    set_some(&mut item, "scope", record.scope.as_ref().map(s));
    item.insert("issued_at".into(), millis(record.issued_at));
    item.insert("authenticated_at".into(), millis(record.authenticated_at));
    item.insert("valid_until".into(), millis(record.expires_at));
    set_some(&mut item, "consumed_at", record.consumed_at.map(millis));
    // As JSON text: a map of any shape would need the item's own types, and it is only ever
    // copied into a token whole.
    set_some(
        &mut item,
        "custom_claim",
        record
            .custom_claim
            .as_ref()
            .map(|claim| s(serde_json::Value::Object(claim.clone()).to_string())),
    );
    item.insert(TTL_ATTRIBUTE.into(), seconds(ttl_after(record.expires_at)));
    item
}

pub(super) fn refresh_from(item: &Item) -> Result<RefreshTokenRecord, StoreError> {
    let r = Reader { item };
    let owner_type = r.string("owner_type")?;
    let issued_at = UnixMillis(r.number("issued_at")?);
    Ok(RefreshTokenRecord {
        token_hash: r.secret_hash("token_hash")?,
        family_id: r.string("family_id")?,
        application_id: r.string("application_id")?,
        client_id: r.string("client_id")?,
        mode: r.mode()?,
        owner_id: r.string("owner_id")?,
        owner_type: OwnerType::parse(&owner_type)
            .ok_or_else(|| r.corrupt(format!("unknown owner_type '{owner_type}'")))?,
        market_id: r.optional_string("market_id")?,
        stock_location_ids: r.string_list("stock_location_ids")?,
        scope: r.optional_string("scope")?,
        issued_at,
        // A token stored before logins kept their start: its own issue is the latest the
        // login can have begun.
        authenticated_at: r
            .optional_number("authenticated_at")?
            .map_or(issued_at, UnixMillis),
        custom_claim: match r.optional_string("custom_claim")? {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|_| r.corrupt("custom_claim is not a JSON object".into()))?,
            ),
            None => None,
        },
        expires_at: UnixMillis(r.number("valid_until")?),
        consumed_at: r.optional_number("consumed_at")?.map(UnixMillis),
    })
}

pub(super) fn family_item(family_id: &str, expires_at: UnixMillis) -> Item {
    let mut item = family_key(family_id);
    item.insert("type".into(), s("refresh_family"));
    item.insert("revoked".into(), AttributeValue::Bool(false));
    item.insert(TTL_ATTRIBUTE.into(), seconds(ttl_after(expires_at)));
    item
}

pub(super) fn code_item(record: &AuthorizationCodeRecord) -> Item {
    let mut item = code_key(&record.code_hash);
    item.insert("type".into(), s("authorization_code"));
    item.insert("code_hash".into(), s(record.code_hash.to_stored()));
    item.insert("application_id".into(), s(&record.application_id));
    item.insert("client_id".into(), s(&record.client_id));
    item.insert("mode".into(), s(record.mode.as_str()));
    item.insert("user_id".into(), s(&record.user_id));
    item.insert("redirect_uri".into(), s(&record.redirect_uri));
    set_some(&mut item, "market_id", record.market_id.as_ref().map(s));
    item.insert(
        "stock_location_ids".into(),
        AttributeValue::L(record.stock_location_ids.iter().map(s).collect()),
    );
    set_some(&mut item, "scope", record.scope.as_ref().map(s));
    let challenge = record.code_challenge.as_ref().map(s);
    set_some(&mut item, "code_challenge", challenge);
    item.insert("family_id".into(), s(&record.family_id));
    item.insert("issued_at".into(), millis(record.issued_at));
    item.insert("valid_until".into(), millis(record.expires_at));
    set_some(&mut item, "consumed_at", record.consumed_at.map(millis));
    item.insert(TTL_ATTRIBUTE.into(), seconds(ttl_after(record.expires_at)));
    item
}

pub(super) fn code_from(item: &Item) -> Result<AuthorizationCodeRecord, StoreError> {
    let r = Reader { item };
    Ok(AuthorizationCodeRecord {
        code_hash: r.secret_hash("code_hash")?,
        application_id: r.string("application_id")?,
        client_id: r.string("client_id")?,
        mode: r.mode()?,
        user_id: r.string("user_id")?,
        redirect_uri: r.string("redirect_uri")?,
        market_id: r.optional_string("market_id")?,
        stock_location_ids: r.string_list("stock_location_ids")?,
        scope: r.optional_string("scope")?,
        code_challenge: r.optional_string("code_challenge")?,
        family_id: r.string("family_id")?,
        issued_at: UnixMillis(r.number("issued_at")?),
        expires_at: UnixMillis(r.number("valid_until")?),
        consumed_at: r.optional_number("consumed_at")?.map(UnixMillis),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::model::Mode;
    use gatehouse_core::secret::SecretHash;

    #[test]
    fn codes_and_refresh_tokens_survive_the_round_trip_through_items() {
        let code = AuthorizationCodeRecord {
            code_hash: SecretHash::of("code"),
            application_id: "app_webapp".into(),
            client_id: "demo-webapp".into(),
            mode: Mode::Test,
            user_id: "usr_admin".into(),
            redirect_uri: "http://localhost:8080/callback".into(),
            market_id: Some("mkt_eu".into()),
            stock_location_ids: vec!["sl_ams".into()],
            scope: Some("market:code:eu stock_location:code:ber".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            family_id: "family".into(),
            issued_at: UnixMillis(1_000),
            expires_at: UnixMillis(601_000),
            consumed_at: Some(UnixMillis(2_000)),
        };
        assert_eq!(code_from(&code_item(&code)).unwrap(), code);
        let plain = AuthorizationCodeRecord {
            market_id: None,
            code_challenge: None,
            consumed_at: None,
            ..code
        };
        assert_eq!(code_from(&code_item(&plain)).unwrap(), plain);
    }
}
