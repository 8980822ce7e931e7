//! [`Administration`] on DynamoDB. Every change is one `TransactWriteItems`: the change, with
//! conditions that the application exists (or does not yet) and, for an update or a rotation,
//! is still as it was read; the put of its audit record; and the put of its request's record
//! (`replays.rs`). When a transaction is cancelled and no record of its request is found, the
//! application is read again to tell "not found" from "changed meanwhile". Markets' `active`,
//! which every copy of a market carries, is in `market_admin.rs`.

use std::collections::HashMap;

use async_trait::async_trait;

use super::admin_items::*;
use super::items::*;
use super::keys::*;
use super::transactions::Condition;
use super::DynamoStore;
use crate::administration::{created_detail, rotated_detail};
use crate::{
    AdminError, AdminOutcome, Administration, ApplicationUpdate, AuditAction, AuditRecord,
    ChangeContext, StoreError,
};
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::idempotency::SealedSecret;
use gatehouse_core::model::{Application, ApplicationKind, Mode, PreviousSecret};
use gatehouse_core::revocation::EpochSubject;
use gatehouse_core::secret::SecretHash;

impl DynamoStore {
    async fn find_app(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        Ok(self
            .find_app_revision(client_id)
            .await?
            .map(|(application, _)| application))
    }

    /// The application with its revision: how many admin changes it has had since it was
    /// imported (0 when it has none). An update or a rotation is conditioned on it, so that
    /// what it answers (and keeps for its request's retries) is exactly what it left.
    async fn find_app_revision(
        &self,
        client_id: &str,
    ) -> Result<Option<(Application, u64)>, StoreError> {
        let Some(item) = self.get(app_key(client_id)).await? else {
            return Ok(None);
        };
        let revision = super::reader::Reader { item: &item }
            .optional_number(REVISION)?
            .unwrap_or(0);
        Ok(Some((application_from(&item)?, revision)))
    }

    /// Why a transaction on an application was cancelled, read from the table.
    async fn cancelled(&self, client_id: &str) -> AdminError {
        match self.find_app(client_id).await {
            Ok(None) => AdminError::no_application(client_id),
            Ok(Some(_)) => AdminError::changed_meanwhile(client_id),
            Err(error) => error.into(),
        }
    }
}

/// The attribute counting an application's admin changes (see `find_app_revision`).
const REVISION: &str = "revision";

/// The condition that the application is still at `revision`, and still of `kind`, with the
/// values it names: an import puts items without a revision, so the kind is checked too.
fn at_revision(revision: u64, kind: ApplicationKind) -> Condition {
    let condition = match revision {
        0 => Condition::new(
            "attribute_exists(PK) AND attribute_not_exists(#revision) AND kind = :kind",
        ),
        _ => {
            Condition::new("#revision = :revision AND kind = :kind").with(":revision", n(revision))
        }
    };
    condition.with(":kind", s(kind.as_str()))
}

/// The `SET`/`REMOVE` expression of an update, with its names and values (the next revision's
/// value, `:next`, is the caller's): each changed attribute as `updated` (the application with
/// the update applied) holds it, or removed when it holds none. Every attribute is named
/// through `#` placeholders: `name` is one of DynamoDB's reserved words.
fn update_expression(
    update: &ApplicationUpdate,
    updated: &Application,
) -> (String, HashMap<String, String>, Item) {
    let mut set = vec!["#type = :type".to_owned()];
    let mut remove = Vec::new();
    let mut names = HashMap::from([("#type".to_owned(), "type".to_owned())]);
    let mut values = Item::from([(":type".to_owned(), s("application"))]);
    let item = application_item(updated);
    let changed = [
        ("name", update.name.is_some()),
        ("token_lifetime", update.token_lifetime.is_some()),
        ("redirect_uris", update.redirect_uris.is_some()),
        ("grant_types", update.grant_types.is_some()),
        ("jwt_bearer", update.jwt_bearer.is_some()),
        ("enabled", update.enabled.is_some()),
    ];
    for (attribute, _) in changed.into_iter().filter(|(_, changed)| *changed) {
        names.insert(format!("#{attribute}"), attribute.to_owned());
        match item.get(attribute) {
            Some(value) => {
                set.push(format!("#{attribute} = :{attribute}"));
                values.insert(format!(":{attribute}"), value.clone());
            }
            None => remove.push(format!("#{attribute}")),
        }
    }
    set.push("#revision = :next".to_owned());
    names.insert("#revision".to_owned(), REVISION.to_owned());
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    (expression, names, values)
}

#[async_trait]
impl Administration for DynamoStore {
    async fn list_applications(&self, mode: Option<Mode>) -> Result<Vec<Application>, AdminError> {
        let index = self.query(APPLICATION_INDEX, None).await?;
        let keys = index
            .iter()
            .map(|entry| {
                super::reader::Reader { item: entry }
                    .string("client_id")
                    .map(|id| app_key(&id))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut applications = self
            .batch_get(keys)
            .await?
            .iter()
            .map(application_from)
            .filter(|found| {
                found
                    .as_ref()
                    .map_or(true, |a| mode.is_none_or(|mode| a.mode == mode))
            })
            .collect::<Result<Vec<_>, _>>()?;
        applications.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(applications)
    }

    async fn application(&self, client_id: &str) -> Result<Application, AdminError> {
        self.find_app(client_id)
            .await?
            .ok_or_else(|| AdminError::no_application(client_id))
    }

    async fn replay(&self, change: &ChangeContext) -> Result<Option<AdminOutcome>, AdminError> {
        self.answered(change).await
    }

    async fn create_application(
        &self,
        application: &Application,
        sealed_secret: Option<&SealedSecret>,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        let client_id = &application.client_id;
        let record = AuditRecord::of(
            change,
            AuditAction::ApplicationCreated,
            client_id,
            created_detail(application),
        );
        let writes = vec![
            self.new_item_write(application_item(application))?,
            self.new_item_write(app_pointer_item(application))?,
            self.new_item_write(app_index_item(application))?,
            self.audit_write(&record)?,
        ];
        let outcome = AdminOutcome::Created {
            application: application.clone(),
            sealed_secret: sealed_secret.cloned(),
        };
        if let Some(outcome) = self.commit_change(writes, change, outcome).await? {
            return Ok(outcome);
        }
        Err(match self.find_app(client_id).await? {
            Some(_) => AdminError::client_id_taken(client_id),
            None => AdminError::Conflict(format!(
                "application id '{}' is already taken, or another change got in the way; try again",
                application.id
            )),
        })
    }

    async fn update_application(
        &self,
        client_id: &str,
        kind: ApplicationKind,
        update: &ApplicationUpdate,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        let Some((mut updated, revision)) = self.find_app_revision(client_id).await? else {
            let gone = AdminError::no_application(client_id);
            return self.unless_answered(change, gone).await;
        };
        if updated.kind != kind {
            let changed = AdminError::changed_meanwhile(client_id);
            return self.unless_answered(change, changed).await;
        }
        update.apply_to(&mut updated);
        let (expression, names, mut values) = update_expression(update, &updated);
        values.insert(":next".to_owned(), n(revision + 1));
        let record = AuditRecord::of(
            change,
            AuditAction::ApplicationUpdated,
            client_id,
            update.audit_detail(),
        );
        let writes = vec![
            self.update_write(
                app_key(client_id),
                expression,
                names,
                at_revision(revision, kind),
                values,
            )?,
            self.audit_write(&record)?,
        ];
        match self
            .commit_change(writes, change, AdminOutcome::Updated(updated))
            .await?
        {
            Some(outcome) => Ok(outcome),
            None => Err(self.cancelled(client_id).await),
        }
    }

    async fn delete_application(
        &self,
        client_id: &str,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        let Some(application) = self.find_app(client_id).await? else {
            let gone = AdminError::no_application(client_id);
            return self.unless_answered(change, gone).await;
        };
        let record = AuditRecord::of(
            change,
            AuditAction::ApplicationDeleted,
            client_id,
            created_detail(&application),
        );
        let writes = vec![
            self.delete_write(
                app_key(client_id),
                Some(Condition::new("id = :id").with(":id", s(&application.id))),
            )?,
            self.delete_write(
                app_pointer_key(&application.id),
                Some(
                    Condition::new("attribute_not_exists(PK) OR client_id = :client_id")
                        .with(":client_id", s(client_id)),
                ),
            )?,
            self.delete_write(app_index_key(client_id), None)?,
            self.audit_write(&record)?,
        ];
        let outcome = AdminOutcome::Deleted(client_id.to_owned());
        match self.commit_change(writes, change, outcome).await? {
            Some(outcome) => Ok(outcome),
            None => Err(self.cancelled(client_id).await),
        }
    }

    async fn rotate_client_secret(
        &self,
        client_id: &str,
        new_secret: &SecretHash,
        sealed_secret: &SealedSecret,
        previous_valid_until: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        let Some((mut rotated, revision)) = self.find_app_revision(client_id).await? else {
            let gone = AdminError::no_application(client_id);
            return self.unless_answered(change, gone).await;
        };
        let Some(current) = rotated.client_secret_hash.replace(new_secret.clone()) else {
            let public = AdminError::public_client(client_id);
            return self.unless_answered(change, public).await;
        };
        rotated.previous_client_secret = Some(PreviousSecret {
            hash: current,
            valid_until: previous_valid_until,
        });
        let record = AuditRecord::of(
            change,
            AuditAction::SecretRotated,
            client_id,
            rotated_detail(previous_valid_until),
        );
        // The right-hand sides of one update expression read the item as it was before it,
        // so the current secret moves to `previous_secret_hash` in the same step.
        let expression = "SET previous_secret_hash = secret_hash, \
             previous_secret_valid_until = :until, secret_hash = :new, #revision = :next"
            .to_owned();
        let values = Item::from([
            (":until".to_owned(), seconds(previous_valid_until)),
            (":new".to_owned(), s(new_secret.to_stored())),
            (":next".to_owned(), n(revision + 1)),
        ]);
        let writes = vec![
            self.update_write(
                app_key(client_id),
                expression,
                HashMap::from([("#revision".to_owned(), REVISION.to_owned())]),
                at_revision(revision, rotated.kind),
                values,
            )?,
            self.audit_write(&record)?,
        ];
        let outcome = AdminOutcome::Rotated {
            application: rotated,
            sealed_secret: sealed_secret.clone(),
            previous_valid_until,
        };
        if let Some(outcome) = self.commit_change(writes, change, outcome).await? {
            return Ok(outcome);
        }
        Err(match self.find_app(client_id).await? {
            None => AdminError::no_application(client_id),
            Some(app) if app.client_secret_hash.is_none() => AdminError::public_client(client_id),
            Some(_) => AdminError::changed_meanwhile(client_id),
        })
    }

    async fn set_market_active(
        &self,
        market_id: &str,
        active: bool,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        self.change_market_active(market_id, active, change).await
    }

    async fn revoke_tokens(
        &self,
        subject: &EpochSubject,
        epoch: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        self.write_epoch_audited(subject, epoch, change).await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, AdminError> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        if limit == 0 {
            return Ok(vec![]);
        }
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(AUDIT_PARTITION))
            .scan_index_forward(false)
            .limit(limit)
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(output
            .items()
            .iter()
            .map(audit_from)
            .collect::<Result<_, _>>()?)
    }
}
