//! The administration's own items: the application index entry and the audit record.

use super::keys::*;
use super::reader::Reader;
use crate::{AuditAction, AuditRecord, StoreError};
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::model::Application;

/// An application's entry in the application index (its client_id is in the key).
pub(super) fn app_index_item(application: &Application) -> Item {
    let mut item = app_index_key(&application.client_id);
    item.insert("type".into(), s("application_index"));
    item.insert("client_id".into(), s(&application.client_id));
    item
}

pub(super) fn audit_item(record: &AuditRecord) -> Item {
    let mut item = audit_key(record.at, &record.id);
    item.insert("type".into(), s("audit"));
    item.insert("id".into(), s(&record.id));
    item.insert("at".into(), millis(record.at));
    item.insert("actor".into(), s(&record.actor));
    item.insert("action".into(), s(record.action.as_str()));
    item.insert("target".into(), s(&record.target));
    item.insert("detail".into(), s(&record.detail));
    item
}

pub(super) fn audit_from(item: &Item) -> Result<AuditRecord, StoreError> {
    let r = Reader { item };
    let action = r.string("action")?;
    Ok(AuditRecord {
        id: r.string("id")?,
        at: UnixMillis(r.number("at")?),
        actor: r.string("actor")?,
        action: AuditAction::parse(&action)
            .ok_or_else(|| r.corrupt(format!("unknown action '{action}'")))?,
        target: r.string("target")?,
        detail: r.string("detail")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChangeContext;

    #[test]
    fn audit_records_survive_the_round_trip_and_a_bad_one_is_corrupt() {
        let change = ChangeContext {
            actor: "arn:aws:iam::123456789012:user/ops".into(),
            at: UnixMillis(1_795_870_800_123),
            request: crate::ChangeRequest {
                name: "n".into(),
                fingerprint: "f".into(),
            },
        };
        for action in AuditAction::ALL {
            let record = AuditRecord::of(&change, action, "demo-integration", "enabled=false");
            assert_eq!(audit_from(&audit_item(&record)).unwrap(), record);
        }
        let mut item = audit_item(&AuditRecord::of(
            &change,
            AuditAction::MarketEnabled,
            "mkt_eu",
            "",
        ));
        item.insert("action".into(), s("market.explode"));
        let error = audit_from(&item).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        item.remove("actor");
        assert!(audit_from(&item).is_err());
    }

    #[test]
    fn audit_keys_sort_in_time_order() {
        let early = audit_key(UnixMillis(999), "zz");
        let late = audit_key(UnixMillis(1_000), "aa");
        assert!(key_string(&early) < key_string(&late));
    }
}
