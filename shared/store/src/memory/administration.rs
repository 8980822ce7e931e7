//! [`Administration`] on the embedded store: each change, its audit record and its request's
//! record are made under one write lock, so no reader sees one without the others, and a
//! request already answered is answered again under the same lock.

use async_trait::async_trait;

use super::{MemoryStore, Records};
use crate::administration::{created_detail, market_record, revoked_record, rotated_detail};
use crate::{
    AdminError, AdminOutcome, Administration, ApplicationUpdate, AuditAction, AuditRecord,
    ChangeContext, ReplayRecord,
};
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::idempotency::SealedSecret;
use gatehouse_core::model::{Application, ApplicationKind, Mode, PreviousSecret};
use gatehouse_core::revocation::EpochSubject;
use gatehouse_core::secret::SecretHash;

impl Records {
    fn application_mut(&mut self, client_id: &str) -> Result<&mut Application, AdminError> {
        self.applications
            .get_mut(client_id)
            .ok_or_else(|| AdminError::no_application(client_id))
    }

    /// The answer `change`'s request was given, if it was (see `ReplayRecord::answer`).
    fn answered(&self, change: &ChangeContext) -> Result<Option<AdminOutcome>, AdminError> {
        let record = self.requests.get(&change.request.name);
        record.map_or(Ok(None), |record| record.clone().answer(change))
    }
}

impl MemoryStore {
    /// Makes a change under the write lock: a request answered before gets its first answer;
    /// else `make` changes the records and says what to audit and answer, which are kept
    /// with the request's record (records that no longer stand are forgotten).
    fn change(
        &self,
        change: &ChangeContext,
        make: impl FnOnce(&mut Records) -> Result<(AuditRecord, AdminOutcome), AdminError>,
    ) -> Result<AdminOutcome, AdminError> {
        let mut records = self.records_mut();
        if let Some(first) = records.answered(change)? {
            return Ok(first);
        }
        let (audit, outcome) = make(&mut records)?;
        records.audit.push(audit);
        records
            .requests
            .retain(|_, record| record.stands_at(change.at));
        records.requests.insert(
            change.request.name.clone(),
            ReplayRecord::of(change, outcome.clone()),
        );
        Ok(outcome)
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

    async fn replay(&self, change: &ChangeContext) -> Result<Option<AdminOutcome>, AdminError> {
        self.records().answered(change)
    }

    async fn create_application(
        &self,
        application: &Application,
        sealed_secret: Option<&SealedSecret>,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        self.change(change, |records| {
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
            let audit = AuditRecord::of(
                change,
                AuditAction::ApplicationCreated,
                &application.client_id,
                created_detail(application),
            );
            let outcome = AdminOutcome::Created {
                application: application.clone(),
                sealed_secret: sealed_secret.cloned(),
            };
            Ok((audit, outcome))
        })
    }

    async fn update_application(
        &self,
        client_id: &str,
        kind: ApplicationKind,
        update: &ApplicationUpdate,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        self.change(change, |records| {
            let application = records.application_mut(client_id)?;
            if application.kind != kind {
                return Err(AdminError::changed_meanwhile(client_id));
            }
            update.apply_to(application);
            let audit = AuditRecord::of(
                change,
                AuditAction::ApplicationUpdated,
                client_id,
                update.audit_detail(),
            );
            Ok((audit, AdminOutcome::Updated(application.clone())))
        })
    }

    async fn delete_application(
        &self,
        client_id: &str,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        self.change(change, |records| {
            let deleted = records
                .applications
                .remove(client_id)
                .ok_or_else(|| AdminError::no_application(client_id))?;
            let audit = AuditRecord::of(
                change,
                AuditAction::ApplicationDeleted,
                client_id,
                created_detail(&deleted),
            );
            Ok((audit, AdminOutcome::Deleted(client_id.to_owned())))
        })
    }

    async fn rotate_client_secret(
        &self,
        client_id: &str,
        new_secret: &SecretHash,
        sealed_secret: &SealedSecret,
        previous_valid_until: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        self.change(change, |records| {
            let application = records.application_mut(client_id)?;
            let Some(current) = application.client_secret_hash.replace(new_secret.clone()) else {
                application.client_secret_hash = None;
                return Err(AdminError::public_client(client_id));
            };
            application.previous_client_secret = Some(PreviousSecret {
                hash: current,
                valid_until: previous_valid_until,
            });
            let audit = AuditRecord::of(
                change,
                AuditAction::SecretRotated,
                client_id,
                rotated_detail(previous_valid_until),
            );
            let outcome = AdminOutcome::Rotated {
                application: application.clone(),
                sealed_secret: sealed_secret.clone(),
                previous_valid_until,
            };
            Ok((audit, outcome))
        })
    }

    async fn set_market_active(
        &self,
        market_id: &str,
        active: bool,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        self.change(change, |records| {
            let market = records
                .markets
                .get_mut(market_id)
                .ok_or_else(|| AdminError::no_market(market_id))?;
            market.active = active;
            Ok((
                market_record(change, market),
                AdminOutcome::MarketChanged(market.clone()),
            ))
        })
    }

    async fn revoke_tokens(
        &self,
        subject: &EpochSubject,
        epoch: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        // The records' lock, then the tokens': the only place both are held, in this order.
        self.change(change, |_| {
            let mut tokens = self.tokens();
            let kept = tokens.epochs.entry(subject.key()).or_insert(epoch);
            *kept = (*kept).max(epoch);
            let epoch = *kept;
            Ok((
                revoked_record(change, subject, epoch),
                AdminOutcome::TokensRevoked {
                    subject: subject.clone(),
                    epoch,
                },
            ))
        })
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, AdminError> {
        let mut log: Vec<AuditRecord> = self.records().audit.iter().rev().cloned().collect();
        // Newest first by time; records of one instant stay newest first (a stable sort).
        log.sort_by_key(|record| std::cmp::Reverse(record.at));
        log.truncate(limit);
        Ok(log)
    }
}
