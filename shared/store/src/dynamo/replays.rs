//! The records of administrative changes' requests on DynamoDB (see `store::replays`): one
//! item per request, put in the change's own `TransactWriteItems`, and what a cancelled
//! transaction means once that item is read.
//!
//! Every admin transaction is sent under a `ClientRequestToken` of its own
//! (`transact_idempotently`), which the SDK's resends of it share: within DynamoDB's ten
//! minutes, a resend of a transaction that committed is answered as a success. A caller's
//! retry is not the identical request (another time, another audit record, another secret),
//! so it could not share the token (DynamoDB would answer `IdempotentParameterMismatch`); the
//! request's record decides it, and decides every resend DynamoDB does not recognise (after ten
//! minutes, or on a DynamoDB API such as moto that keeps no tokens): the transaction is then
//! cancelled by the conditions its first send consumed, and the record says what it answered.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

use super::items::*;
use super::keys::*;
use super::reader::Reader;
use super::transactions::Condition;
use super::DynamoStore;
use crate::{AdminError, AdminOutcome, ChangeContext, ReplayRecord, StoreError};
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::idempotency::SealedSecret;
use gatehouse_core::revocation::EpochSubject;

fn request_item(name: &str, record: &ReplayRecord) -> Item {
    let mut item = request_key(name);
    item.insert("type".into(), s("admin_request"));
    item.insert("fingerprint".into(), s(&record.fingerprint));
    item.insert("outcome".into(), s(record.outcome.kind()));
    item.insert(TTL_ATTRIBUTE.into(), seconds(record.expires_at));
    let sealed = |secret: &SealedSecret| ("sealed_secret".to_owned(), s(secret.to_stored()));
    let nested = |application| {
        (
            "application".to_owned(),
            AttributeValue::M(application_item(application)),
        )
    };
    match &record.outcome {
        AdminOutcome::Created {
            application,
            sealed_secret,
        } => item.extend(
            sealed_secret
                .iter()
                .map(sealed)
                .chain([nested(application)]),
        ),
        AdminOutcome::Updated(application) => item.extend([nested(application)]),
        AdminOutcome::Deleted(client_id) => item.extend([("client_id".into(), s(client_id))]),
        AdminOutcome::Rotated {
            application,
            sealed_secret,
            previous_valid_until,
        } => item.extend([
            sealed(sealed_secret),
            nested(application),
            (
                "previous_valid_until".into(),
                seconds(*previous_valid_until),
            ),
        ]),
        AdminOutcome::MarketChanged(market) => {
            // The market's `id#` copy: every copy holds the whole market.
            let copy = market_items(market).pop().unwrap_or_default();
            item.insert("market".into(), AttributeValue::M(copy));
        }
        AdminOutcome::TokensRevoked { subject, epoch } => item.extend([
            ("subject".into(), s(subject.key())),
            ("epoch".into(), seconds(*epoch)),
        ]),
    }
    item
}

fn request_from(item: &Item) -> Result<ReplayRecord, StoreError> {
    let r = Reader { item };
    let nested = |attribute: &str| match item.get(attribute) {
        Some(AttributeValue::M(nested)) => Ok(nested),
        _ => Err(r.corrupt(format!("{attribute} is missing or not a map"))),
    };
    let sealed = || r.string("sealed_secret").map(SealedSecret::from_stored);
    let outcome = match r.string("outcome")?.as_str() {
        "created" => AdminOutcome::Created {
            application: application_from(nested("application")?)?,
            sealed_secret: r
                .optional_string("sealed_secret")?
                .map(SealedSecret::from_stored),
        },
        "updated" => AdminOutcome::Updated(application_from(nested("application")?)?),
        "deleted" => AdminOutcome::Deleted(r.string("client_id")?),
        "rotated" => AdminOutcome::Rotated {
            application: application_from(nested("application")?)?,
            sealed_secret: sealed()?,
            previous_valid_until: UnixSeconds(r.number("previous_valid_until")?),
        },
        "market_changed" => AdminOutcome::MarketChanged(market_from(nested("market")?)?),
        "tokens_revoked" => {
            let subject = r.string("subject")?;
            AdminOutcome::TokensRevoked {
                subject: EpochSubject::parse(&subject)
                    .ok_or_else(|| r.corrupt(format!("unknown subject '{subject}'")))?,
                epoch: UnixSeconds(r.number("epoch")?),
            }
        }
        other => return Err(r.corrupt(format!("unknown outcome '{other}'"))),
    };
    Ok(ReplayRecord {
        fingerprint: r.string("fingerprint")?,
        outcome,
        expires_at: UnixSeconds(r.number(TTL_ATTRIBUTE)?),
    })
}

impl DynamoStore {
    /// The answer `change`'s request was given, if it was (see `ReplayRecord::answer`).
    pub(super) async fn answered(
        &self,
        change: &ChangeContext,
    ) -> Result<Option<AdminOutcome>, AdminError> {
        match self.get(request_key(&change.request.name)).await? {
            Some(item) => request_from(&item)?.answer(change),
            None => Ok(None),
        }
    }

    /// Commits a change's `writes` together with its request's record of `outcome`. Answers
    /// the outcome, or, when the transaction was cancelled, what the request's record says:
    /// its own earlier send committed, or an earlier request under the key did. None when
    /// there is no record: the change's own conditions refused it, and the caller tells why.
    pub(super) async fn commit_change(
        &self,
        mut writes: Vec<TransactWriteItem>,
        change: &ChangeContext,
        outcome: AdminOutcome,
    ) -> Result<Option<AdminOutcome>, AdminError> {
        let record = ReplayRecord::of(change, outcome);
        // A record that no longer stands (TTL has not deleted it yet) frees its key.
        writes.push(
            self.put_write(
                request_item(&change.request.name, &record),
                Some(
                    Condition::new("attribute_not_exists(PK) OR expires_at <= :now")
                        .with(":now", seconds(change.at.floor_seconds())),
                ),
            )?,
        );
        match self.transact_idempotently(writes).await {
            Ok(_) => Ok(Some(record.outcome)),
            Err(SdkError::ServiceError(e)) if e.err().is_transaction_canceled_exception() => {
                self.answered(change).await
            }
            Err(error) => Err(StoreError::unavailable(error).into()),
        }
    }

    /// `refusal`, unless `change`'s request was answered already: then that answer. For the
    /// refusals found before a transaction is sent (an application gone, a public client),
    /// which a change made by the same request may be the cause of.
    pub(super) async fn unless_answered(
        &self,
        change: &ChangeContext,
        refusal: AdminError,
    ) -> Result<AdminOutcome, AdminError> {
        self.answered(change).await?.ok_or(refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChangeRequest;
    use gatehouse_core::clock::UnixMillis;
    use gatehouse_core::idempotency::{record_name, IdempotencyKey};
    use gatehouse_core::model::{Application, ApplicationKind, Market, Mode, PreviousSecret};
    use gatehouse_core::secret::SecretHash;

    fn application() -> Application {
        Application {
            id: "app_1".into(),
            name: "ERP".into(),
            kind: ApplicationKind::Integration,
            mode: Mode::Live,
            client_id: "erp".into(),
            client_secret_hash: Some(SecretHash::of("new-secret")),
            token_lifetime: None,
            redirect_uris: vec![],
            enabled: true,
            previous_client_secret: Some(PreviousSecret {
                hash: SecretHash::of("old-secret"),
                valid_until: UnixSeconds(1_800_000_000),
            }),
            grant_types: None,
            jwt_bearer: None,
        }
    }

    #[test]
    fn every_outcome_survives_the_round_trip_and_a_damaged_one_is_corrupt() {
        let key = IdempotencyKey::generate();
        let change = ChangeContext {
            actor: "ops".into(),
            at: UnixMillis(1_795_870_800_123),
            request: ChangeRequest {
                name: record_name("ops", &key),
                fingerprint: "f".into(),
            },
        };
        let sealed = SealedSecret::seal("new-secret", &key, &change.request.name);
        let market = Market {
            id: "mkt_eu".into(),
            number: 1001,
            code: "eu".into(),
            name: "Europe".into(),
            mode: Mode::Test,
            active: false,
            price_list_id: "pl_eur".into(),
            stock_location_ids: vec!["sl_1".into()],
            stock_location_numbers: vec![1],
            customer_group_id: None,
        };
        for outcome in [
            AdminOutcome::Created {
                application: application(),
                sealed_secret: Some(sealed.clone()),
            },
            AdminOutcome::Created {
                application: application(),
                sealed_secret: None,
            },
            AdminOutcome::Updated(application()),
            AdminOutcome::Deleted("erp".into()),
            AdminOutcome::Rotated {
                application: application(),
                sealed_secret: sealed.clone(),
                previous_valid_until: UnixSeconds(1_800_000_000),
            },
            AdminOutcome::MarketChanged(market),
        ] {
            let record = ReplayRecord::of(&change, outcome);
            let item = request_item(&change.request.name, &record);
            assert_eq!(request_from(&item).unwrap(), record);
            assert!(!format!("{item:?}").contains(key.as_str()));
        }
        let mut item = request_item(
            &change.request.name,
            &ReplayRecord::of(&change, AdminOutcome::Deleted("erp".into())),
        );
        item.insert("outcome".into(), s("launched"));
        assert!(matches!(
            request_from(&item),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
