//! [`Administration`] on DynamoDB. Every change is one `TransactWriteItems`: the change, with
//! conditions that the application exists (or does not yet), and the put of its audit record.
//! When a transaction is cancelled, the application is read again to tell "not found" from
//! "changed meanwhile". Markets' `active`, which every copy of a market carries, is in
//! `market_admin.rs`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::admin_items::*;
use super::items::*;
use super::keys::*;
use super::transactions::Condition;
use super::DynamoStore;
use crate::clock::UnixSeconds;
use crate::model::{Application, ApplicationKind, Market, Mode};
use crate::secret::SecretHash;
use crate::store::administration::{created_detail, rotated_detail};
use crate::store::{
    AdminError, Administration, ApplicationUpdate, AuditAction, AuditRecord, ChangeContext,
    StoreError,
};

impl DynamoStore {
    async fn find_app(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        match self.get(app_key(client_id)).await? {
            Some(item) => application_from(&item).map(Some),
            None => Ok(None),
        }
    }

    /// Why a transaction on an application was cancelled, read from the table.
    async fn cancelled(&self, client_id: &str) -> AdminError {
        match self.find_app(client_id).await {
            Ok(None) => AdminError::no_application(client_id),
            Ok(Some(_)) => AdminError::changed_meanwhile(client_id),
            Err(error) => error.into(),
        }
    }

    /// The application as a change just left it.
    async fn after_change(&self, client_id: &str) -> Result<Application, AdminError> {
        self.find_app(client_id)
            .await?
            .ok_or_else(|| AdminError::no_application(client_id))
    }
}

/// The `SET`/`REMOVE` expression of an update, with its names and values. Every attribute is
/// named through `#` placeholders: `name` is one of DynamoDB's reserved words.
fn update_expression(update: &ApplicationUpdate) -> (String, HashMap<String, String>, Item) {
    let mut set = vec!["#type = :type".to_owned()];
    let mut remove = Vec::new();
    let mut names = HashMap::from([("#type".to_owned(), "type".to_owned())]);
    let mut values = Item::from([(":type".to_owned(), s("application"))]);
    let mut assign = |attribute: &str, value: Option<AttributeValue>| {
        names.insert(format!("#{attribute}"), attribute.to_owned());
        match value {
            Some(value) => {
                set.push(format!("#{attribute} = :{attribute}"));
                values.insert(format!(":{attribute}"), value);
            }
            None => remove.push(format!("#{attribute}")),
        }
    };
    if let Some(name) = &update.name {
        assign("name", Some(s(name)));
    }
    if let Some(lifetime) = update.token_lifetime {
        assign("token_lifetime", lifetime.map(|l| n(l.seconds())));
    }
    if let Some(uris) = &update.redirect_uris {
        assign(
            "redirect_uris",
            Some(AttributeValue::L(uris.iter().map(s).collect())),
        );
    }
    if let Some(grants) = &update.grant_types {
        assign(
            "grant_types",
            grants
                .as_ref()
                .map(|grants| AttributeValue::L(grants.iter().map(|g| s(g.as_str())).collect())),
        );
    }
    if let Some(enabled) = update.enabled {
        assign("enabled", Some(AttributeValue::Bool(enabled)));
    }
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

    async fn create_application(
        &self,
        application: &Application,
        change: &ChangeContext,
    ) -> Result<(), AdminError> {
        let client_id = &application.client_id;
        let record = AuditRecord::of(
            change,
            AuditAction::ApplicationCreated,
            client_id,
            created_detail(application),
        );
        let absent = || Condition::new("attribute_not_exists(PK)");
        let writes = vec![
            self.put_write(application_item(application), absent())?,
            self.put_write(app_pointer_item(application), absent())?,
            self.put_write(app_index_item(application), absent())?,
            self.audit_write(&record)?,
        ];
        if self.transact(writes).await? {
            return Ok(());
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
    ) -> Result<Application, AdminError> {
        let (expression, names, values) = update_expression(update);
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
                Condition::new("attribute_exists(PK) AND kind = :kind")
                    .with(":kind", s(kind.as_str())),
                values,
            )?,
            self.audit_write(&record)?,
        ];
        if !self.transact(writes).await? {
            return Err(self.cancelled(client_id).await);
        }
        self.after_change(client_id).await
    }

    async fn delete_application(
        &self,
        client_id: &str,
        change: &ChangeContext,
    ) -> Result<(), AdminError> {
        let application = self.application(client_id).await?;
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
        if self.transact(writes).await? {
            return Ok(());
        }
        Err(self.cancelled(client_id).await)
    }

    async fn rotate_client_secret(
        &self,
        client_id: &str,
        new_secret: &SecretHash,
        previous_valid_until: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<Application, AdminError> {
        let record = AuditRecord::of(
            change,
            AuditAction::SecretRotated,
            client_id,
            rotated_detail(previous_valid_until),
        );
        // The right-hand sides of one update expression read the item as it was before it,
        // so the current secret moves to `previous_secret_hash` in the same step.
        let expression = "SET previous_secret_hash = secret_hash, \
             previous_secret_valid_until = :until, secret_hash = :new"
            .to_owned();
        let values = Item::from([
            (":until".to_owned(), seconds(previous_valid_until)),
            (":new".to_owned(), s(new_secret.to_stored())),
        ]);
        let writes = vec![
            self.update_write(
                app_key(client_id),
                expression,
                HashMap::new(),
                Condition::new("attribute_exists(secret_hash)"),
                values,
            )?,
            self.audit_write(&record)?,
        ];
        if !self.transact(writes).await? {
            return Err(match self.find_app(client_id).await? {
                None => AdminError::no_application(client_id),
                Some(app) if app.client_secret_hash.is_none() => {
                    AdminError::public_client(client_id)
                }
                Some(_) => AdminError::changed_meanwhile(client_id),
            });
        }
        self.after_change(client_id).await
    }

    async fn set_market_active(
        &self,
        market_id: &str,
        active: bool,
        change: &ChangeContext,
    ) -> Result<Market, AdminError> {
        self.change_market_active(market_id, active, change).await
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
