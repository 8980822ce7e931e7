//! The admin commands, typed: what the HTTP API and the `gatehouse` commands both call. The
//! application rules are checked here (`application_rules`, shared with the seed validator),
//! secrets generated here, and every change handed to the store with who makes it and when.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_shared::application_rules::{self as rules, Violation};
use gatehouse_shared::clock::{Clock, UnixSeconds};
use gatehouse_shared::config::secret_rotation_overlap;
use gatehouse_shared::error::echo_input;
use gatehouse_shared::model::{Application, ApplicationKind, ClientType, Market, Mode};
use gatehouse_shared::secret::{generate_client_secret, random_token, SecretHash};
use gatehouse_shared::store::{
    AdminError, Administration, ApplicationUpdate, AuditRecord, ChangeContext, StoreError,
};
use serde::Deserialize;

/// The audit log's page when the caller names no limit, and its largest.
pub const DEFAULT_AUDIT_LIMIT: usize = 50;
pub const MAX_AUDIT_LIMIT: usize = 1000;

/// What the commands depend on. The HTTP API adds who may call it ([`crate::AdminApi`]).
pub struct AdminService {
    pub store: Arc<dyn Administration>,
    pub clock: Arc<dyn Clock>,
    /// How long a rotated-out secret stays valid when the caller does not say.
    pub rotation_overlap: Duration,
}

/// Why a command did nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Rules the input breaks, each with its field.
    #[error("{}", describe(.0))]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(Violation::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<AdminError> for CommandError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::NotFound(message) => CommandError::NotFound(message),
            AdminError::Conflict(message) => CommandError::Conflict(message),
            AdminError::Store(error) => CommandError::Store(error),
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        CommandError::Store(error)
    }
}

fn invalid(field: &str, message: impl Into<String>) -> CommandError {
    CommandError::Invalid(vec![Violation {
        field: field.to_owned(),
        message: message.into(),
    }])
}

/// A new application. Its id and, for confidential kinds, its secret are generated; its
/// client_id too when none is given.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    pub name: String,
    pub kind: ApplicationKind,
    pub mode: Mode,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub token_lifetime: Option<i64>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Absent or null: every grant of the kind.
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
}

/// Changes to an application; an absent field stays as it is, a null one returns to the
/// kind's default (`token_lifetime`, `grant_types`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub token_lifetime: Option<Option<i64>>,
    #[serde(default)]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub grant_types: Option<Option<Vec<String>>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A field that is present, null or not: absent fields never reach this (`default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A created application, with its secret in plain text: shown once, never stored.
pub struct Created {
    pub application: Application,
    pub client_secret: Option<String>,
}

/// A rotated secret, in plain text (shown once), and until when the previous one works.
pub struct Rotated {
    pub application: Application,
    pub client_secret: String,
    pub previous_secret_valid_until: UnixSeconds,
}

/// Collects rule violations, to report them all at once.
#[derive(Default)]
struct Violations(Vec<Violation>);

impl Violations {
    fn check<T>(&mut self, result: Result<T, Violation>) -> Option<T> {
        result.map_err(|violation| self.0.push(violation)).ok()
    }

    fn done(self) -> Result<(), CommandError> {
        match self.0.is_empty() {
            true => Ok(()),
            false => Err(CommandError::Invalid(self.0)),
        }
    }
}

impl AdminService {
    fn change(&self, actor: &str) -> ChangeContext {
        ChangeContext {
            actor: actor.to_owned(),
            at: self.clock.now(),
        }
    }

    pub async fn list(&self, mode: Option<Mode>) -> Result<Vec<Application>, CommandError> {
        Ok(self.store.list_applications(mode).await?)
    }

    pub async fn show(&self, client_id: &str) -> Result<Application, CommandError> {
        Ok(self.store.application(client_id).await?)
    }

    pub async fn create(&self, new: NewApplication, actor: &str) -> Result<Created, CommandError> {
        let mut violations = Violations::default();
        violations.check(rules::name(&new.name));
        let client_id = new.client_id.clone().unwrap_or_else(|| random_token(24));
        violations.check(rules::client_id(&client_id));
        let token_lifetime = violations
            .check(rules::token_lifetime(new.token_lifetime))
            .flatten();
        violations
            .0
            .extend(rules::redirect_uris(new.kind, &new.redirect_uris));
        let grant_types = match &new.grant_types {
            Some(names) => violations.check(rules::grant_types(new.kind, names)),
            None => None,
        };
        violations.done()?;
        let client_secret = match new.kind.client_type() {
            ClientType::Public => None,
            ClientType::Confidential => Some(generate_client_secret()),
        };
        let application = Application {
            id: format!("app_{}", random_token(12)),
            name: new.name.trim().to_owned(),
            kind: new.kind,
            mode: new.mode,
            client_id,
            client_secret_hash: client_secret.as_deref().map(SecretHash::of),
            token_lifetime,
            redirect_uris: new.redirect_uris,
            enabled: true,
            previous_client_secret: None,
            grant_types,
        };
        self.store
            .create_application(&application, &self.change(actor))
            .await?;
        Ok(Created {
            application,
            client_secret,
        })
    }

    pub async fn update(
        &self,
        client_id: &str,
        changes: ApplicationChanges,
        actor: &str,
    ) -> Result<Application, CommandError> {
        let current = self.store.application(client_id).await?;
        let kind = current.kind;
        let mut violations = Violations::default();
        let mut update = ApplicationUpdate {
            enabled: changes.enabled,
            ..Default::default()
        };
        if let Some(name) = &changes.name {
            update.name = violations
                .check(rules::name(name))
                .map(|()| name.trim().to_owned());
        }
        if let Some(seconds) = changes.token_lifetime {
            update.token_lifetime = violations.check(rules::token_lifetime(seconds));
        }
        if let Some(uris) = changes.redirect_uris {
            violations.0.extend(rules::redirect_uris(kind, &uris));
            update.redirect_uris = Some(uris);
        }
        if let Some(grants) = &changes.grant_types {
            update.grant_types = match grants {
                Some(names) => violations.check(rules::grant_types(kind, names)).map(Some),
                None => Some(None),
            };
        }
        violations.done()?;
        if update.is_empty() {
            return Err(invalid(
                "(body)",
                "nothing to change: give at least one of name, token_lifetime, redirect_uris, grant_types, enabled",
            ));
        }
        Ok(self
            .store
            .update_application(client_id, kind, &update, &self.change(actor))
            .await?)
    }

    pub async fn set_enabled(
        &self,
        client_id: &str,
        enabled: bool,
        actor: &str,
    ) -> Result<Application, CommandError> {
        let changes = ApplicationChanges {
            enabled: Some(enabled),
            ..Default::default()
        };
        self.update(client_id, changes, actor).await
    }

    pub async fn delete(&self, client_id: &str, actor: &str) -> Result<(), CommandError> {
        Ok(self
            .store
            .delete_application(client_id, &self.change(actor))
            .await?)
    }

    /// A new secret for a confidential application; the current one stays valid for
    /// `overlap_seconds` (the configured default when None; 0 cuts it off at once).
    pub async fn rotate_secret(
        &self,
        client_id: &str,
        overlap_seconds: Option<u64>,
        actor: &str,
    ) -> Result<Rotated, CommandError> {
        let overlap = match overlap_seconds {
            Some(seconds) => {
                secret_rotation_overlap(seconds).map_err(|e| invalid("overlap_seconds", e))?
            }
            None => self.rotation_overlap,
        };
        let application = self.store.application(client_id).await?;
        if application.is_public() {
            return Err(CommandError::Conflict(format!(
                "'{}' is a {}, a public client: it has no secret to rotate",
                echo_input(client_id),
                application.kind.as_str()
            )));
        }
        let change = self.change(actor);
        // Floored, so that an overlap of 0 ends the previous secret's validity now.
        let previous_secret_valid_until = (change.at + overlap).floor_seconds();
        let client_secret = generate_client_secret();
        let application = self
            .store
            .rotate_client_secret(
                client_id,
                &SecretHash::of(&client_secret),
                previous_secret_valid_until,
                &change,
            )
            .await?;
        Ok(Rotated {
            application,
            client_secret,
            previous_secret_valid_until,
        })
    }

    pub async fn set_market_active(
        &self,
        market_id: &str,
        active: bool,
        actor: &str,
    ) -> Result<Market, CommandError> {
        Ok(self
            .store
            .set_market_active(market_id, active, &self.change(actor))
            .await?)
    }

    /// The newest audit records, newest first: `limit` of them (1 to 1000, default 50).
    pub async fn audit(&self, limit: Option<usize>) -> Result<Vec<AuditRecord>, CommandError> {
        let limit = limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
        if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
            return Err(invalid(
                "limit",
                format!("must be from 1 to {MAX_AUDIT_LIMIT}, got {limit}"),
            ));
        }
        Ok(self.store.audit_log(limit).await?)
    }
}
