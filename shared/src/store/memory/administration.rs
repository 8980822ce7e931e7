//! [`Administration`] on the embedded store: each change and its audit record are made under
//! one write lock, so no reader sees one without the other.

use async_trait::async_trait;

use super::{MemoryStore, Records};
use crate::clock::UnixSeconds;
use crate::model::{Application, ApplicationKind, Market, Mode, PreviousSecret};
use crate::secret::SecretHash;
use crate::store::administration::{created_detail, market_record, rotated_detail};
use crate::store::{
    AdminError, Administration, ApplicationUpdate, AuditAction, AuditRecord, ChangeContext,
};

impl Records {
    fn application_mut(&mut self, client_id: &str) -> Result<&mut Application, AdminError> {
        self.applications
            .get_mut(client_id)
            .ok_or_else(|| AdminError::no_application(client_id))
    }
}

#[async_trait]
impl Administration for MemoryStore {
    async fn list_applications(&self, mode: Option<Mode>) -> Result<Vec<Application>, AdminError> {
        let mut applications: Vec<Application> = self
            .records()
            .applications
            .values()
            .filter(|a| mode.is_none_or(|mode| a.mode == mode))
            .cloned()
            .collect();
        applications.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(applications)
    }

    async fn application(&self, client_id: &str) -> Result<Application, AdminError> {
        self.records()
            .applications
            .get(client_id)
            .cloned()
            .ok_or_else(|| AdminError::no_application(client_id))
    }

    async fn create_application(
        &self,
        application: &Application,
        change: &ChangeContext,
    ) -> Result<(), AdminError> {
        let mut records = self.records_mut();
        if records.applications.contains_key(&application.client_id) {
            return Err(AdminError::client_id_taken(&application.client_id));
        }
        if records
            .applications
            .values()
            .any(|a| a.id == application.id)
        {
            return Err(AdminError::Conflict(format!(
                "application id '{}' is already taken",
                application.id
            )));
        }
        records
            .applications
            .insert(application.client_id.clone(), application.clone());
        records.audit.push(AuditRecord::of(
            change,
            AuditAction::ApplicationCreated,
            &application.client_id,
            created_detail(application),
        ));
        Ok(())
    }

    async fn update_application(
        &self,
        client_id: &str,
        kind: ApplicationKind,
        update: &ApplicationUpdate,
        change: &ChangeContext,
    ) -> Result<Application, AdminError> {
        let mut records = self.records_mut();
        let application = records.application_mut(client_id)?;
        if application.kind != kind {
            return Err(AdminError::changed_meanwhile(client_id));
        }
        update.apply_to(application);
        let updated = application.clone();
        records.audit.push(AuditRecord::of(
            change,
            AuditAction::ApplicationUpdated,
            client_id,
            update.audit_detail(),
        ));
        Ok(updated)
    }

    async fn delete_application(
        &self,
        client_id: &str,
        change: &ChangeContext,
    ) -> Result<(), AdminError> {
        let mut records = self.records_mut();
        let deleted = records
            .applications
            .remove(client_id)
            .ok_or_else(|| AdminError::no_application(client_id))?;
        records.audit.push(AuditRecord::of(
            change,
            AuditAction::ApplicationDeleted,
            client_id,
            created_detail(&deleted),
        ));
        Ok(())
    }

    async fn rotate_client_secret(
        &self,
        client_id: &str,
        new_secret: &SecretHash,
        previous_valid_until: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<Application, AdminError> {
        let mut records = self.records_mut();
        let application = records.application_mut(client_id)?;
        let Some(current) = application.client_secret_hash.replace(new_secret.clone()) else {
            application.client_secret_hash = None;
            return Err(AdminError::public_client(client_id));
        };
        application.previous_client_secret = Some(PreviousSecret {
            hash: current,
            valid_until: previous_valid_until,
        });
        let rotated = application.clone();
        records.audit.push(AuditRecord::of(
            change,
            AuditAction::SecretRotated,
            client_id,
            rotated_detail(previous_valid_until),
        ));
        Ok(rotated)
    }

    async fn set_market_active(
        &self,
        market_id: &str,
        active: bool,
        change: &ChangeContext,
    ) -> Result<Market, AdminError> {
        let mut records = self.records_mut();
        let market = records
            .markets
            .get_mut(market_id)
            .ok_or_else(|| AdminError::no_market(market_id))?;
        market.active = active;
        let changed = market.clone();
        records.audit.push(market_record(change, &changed));
        Ok(changed)
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, AdminError> {
        let records = self.records();
        let mut log: Vec<AuditRecord> = records.audit.iter().rev().cloned().collect();
        // Newest first by time; records of one instant stay newest first (a stable sort).
        log.sort_by_key(|record| std::cmp::Reverse(record.at));
        log.truncate(limit);
        Ok(log)
    }
}
