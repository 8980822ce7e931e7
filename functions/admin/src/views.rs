//! What the admin API answers, as JSON. An application's view never carries a secret hash:
//! a secret appears once, in plain text, in the answer that created it.

use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::lifetime::access_token_lifetime;
use gatehouse_core::model::{Application, Market};
use gatehouse_store::AuditRecord;
use serde_json::{json, Value};

use crate::commands::{Created, Rotated};
use crate::revocations::Revocation;
use gatehouse_core::revocation::EpochSubject;

pub fn application(application: &Application) -> Value {
    json!({
        "id": application.id,
        "client_id": application.client_id,
        "name": application.name,
        "kind": application.kind.as_str(),
        "mode": application.mode.as_str(),
        "public": application.is_public(),
        "enabled": application.enabled,
        "token_lifetime": application.token_lifetime.map(|l| l.seconds()),
        "access_token_lifetime": access_token_lifetime(application.kind, application.token_lifetime),
        "redirect_uris": application.redirect_uris,
        "grant_types": application
            .grant_types
            .as_ref()
            .map(|grants| grants.iter().map(|g| g.as_str()).collect::<Vec<_>>()),
        "allowed_grants": application.grants().iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "jwt_bearer": application.jwt_bearer.as_ref().map(|setting| setting.to_json()),
        "previous_secret_valid_until": application
            .previous_client_secret
            .as_ref()
            .map(|previous| previous.valid_until.0),
    })
}

pub fn applications(applications: &[Application]) -> Value {
    json!({ "applications": applications.iter().map(application).collect::<Vec<_>>() })
}

/// A new application, with its secret (confidential kinds): the only time it is shown.
pub fn created(created: &Created) -> Value {
    let mut view = application(&created.application);
    if let Some(secret) = &created.client_secret {
        view["client_secret"] = json!(secret);
    }
    view
}

pub fn rotated(rotated: &Rotated) -> Value {
    json!({
        "client_id": rotated.application.client_id,
        "client_secret": rotated.client_secret,
        "previous_secret_valid_until": rotated.previous_secret_valid_until.0,
        "previous_secret_valid_until_utc": utc_seconds(rotated.previous_secret_valid_until),
    })
}

pub fn market(market: &Market) -> Value {
    json!({
        "id": market.id,
        "number": market.number,
        "code": market.code,
        "name": market.name,
        "mode": market.mode.as_str(),
        "active": market.active,
    })
}

/// A revocation: what it names and the first second whose tokens it leaves alive.
pub fn revocation(revocation: &Revocation) -> Value {
    let subject = match &revocation.subject {
        EpochSubject::Application { id } => json!({"type": "application", "id": id}),
        EpochSubject::Owner {
            mode,
            owner_type,
            id,
        } => json!({"type": owner_type.to_ascii_lowercase(), "id": id, "mode": mode.as_str()}),
        EpochSubject::Market { mode, id } => {
            json!({"type": "market", "id": id, "mode": mode.as_str()})
        }
    };
    json!({
        "revocation": {
            "subject": subject,
            "tokens_issued_before": revocation.epoch.0,
        }
    })
}

pub fn audit(records: &[AuditRecord]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|record| {
            json!({
                "id": record.id,
                "at": record.at.0,
                "at_utc": utc(record.at),
                "actor": record.actor,
                "action": record.action.as_str(),
                "target": record.target,
                "detail": record.detail,
            })
        })
        .collect();
    json!({ "audit": records })
}

/// An instant as RFC 3339 UTC with milliseconds, e.g. `2026-11-28T13:00:00.123Z`.
pub fn utc(instant: UnixMillis) -> String {
    let seconds = instant.0 / 1000;
    format!("{}.{:03}Z", civil(seconds), instant.0 % 1000)
}

/// A whole second as RFC 3339 UTC, e.g. `2026-11-28T13:00:00Z`.
pub fn utc_seconds(instant: UnixSeconds) -> String {
    format!("{}Z", civil(instant.0))
}

/// `YYYY-MM-DDTHH:MM:SS` of a Unix time, by Howard Hinnant's days-to-civil algorithm
/// (proleptic Gregorian calendar).
fn civil(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let second_of_day = unix_seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_as_utc_calendar_dates() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_795_870_800_123, "2026-11-28T13:00:00.123Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
        ];
        for (millis, expected) in cases {
            assert_eq!(utc(UnixMillis(millis)), expected, "{millis}");
        }
        assert_eq!(utc_seconds(UnixSeconds(86_399)), "1970-01-01T23:59:59Z");
    }
}
