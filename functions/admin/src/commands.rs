//! The admin commands, typed: what the HTTP API and the `gatehouse` commands both call. The
//! application rules are checked here (`application_rules`, shared with the seed validator),
//! secrets generated here, and every change handed to the store with who makes it, when, and
//! the request it answers.
//!
//! Every change is idempotent under its caller's key (`gatehouse_core::idempotency`): its
//! input is checked as far as that needs no read, then the store is asked whether the request
//! was answered already (that answer is then the answer, whatever has changed since), and only
//! then is anything read or generated for the change. A new secret is handed to the store sealed under the key, and
//! every secret answered, the first time or again, is the one the store's outcome holds.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::application_rules::{self as rules, Violation};
use gatehouse_core::clock::Clock;
use gatehouse_core::idempotency::{fingerprint, record_name, SealedSecret};
use gatehouse_core::input::echo_input;
use gatehouse_core::model::{Application, Market, Mode};
use gatehouse_core::secret::{generate_client_secret, random_token, SecretHash};
use gatehouse_edge::config::secret_rotation_overlap;
use gatehouse_store::{
    Administration, ApplicationUpdate, AuditRecord, ChangeContext, ChangeRequest, Clients,
    Concerns, Customers, Users,
};

pub use crate::command_error::CommandError;
pub use crate::outcomes::{Created, Rotated};
use crate::requests::{ApplicationChanges, Caller, NewApplication};

/// The records a command reads beside the administration's own: markets, customers, users.
pub struct Lookups {
    pub clients: Arc<dyn Clients>,
    pub customers: Arc<dyn Customers>,
    pub users: Arc<dyn Users>,
}

/// The audit log's page when the caller names no limit, and its largest.
pub const DEFAULT_AUDIT_LIMIT: usize = 50;
pub const MAX_AUDIT_LIMIT: usize = 1000;

/// What the commands depend on. The HTTP API adds who may call it ([`crate::AdminApi`]).
pub struct AdminService {
    pub store: Arc<dyn Administration>,
    /// Where a revocation's subject is found.
    pub lookups: Lookups,
    pub clock: Arc<dyn Clock>,
    /// How long a rotated-out secret stays valid when the caller does not say.
    pub rotation_overlap: Duration,
}

fn invalid(field: &str, message: impl Into<String>) -> CommandError {
    CommandError::Invalid(vec![Violation {
        field: field.to_owned(),
        message: message.into(),
    }])
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
    /// The commands on `store`; `rotation_overlap` for a rotation that names none. Not from a
    /// `Runtime`: the admin function and the `gatehouse` admin commands read no service
    /// configuration (no issuer, no limits), only the table and this overlap.
    pub fn new<S: ?Sized + Concerns>(
        store: Arc<S>,
        clock: Arc<dyn Clock>,
        rotation_overlap: Duration,
    ) -> Self {
        Self {
            lookups: Lookups {
                clients: Arc::clone(&store).clients(),
                customers: Arc::clone(&store).customers(),
                users: Arc::clone(&store).users(),
            },
            store: store.administration(),
            clock,
            rotation_overlap,
        }
    }

    /// The change `caller` asks for now, as the request `fingerprint` names.
    pub(crate) fn change(&self, caller: &Caller, fingerprint: String) -> ChangeContext {
        ChangeContext {
            actor: caller.actor.clone(),
            at: self.clock.now(),
            request: ChangeRequest {
                name: record_name(&caller.actor, &caller.key),
                fingerprint,
            },
        }
    }

    pub async fn list(&self, mode: Option<Mode>) -> Result<Vec<Application>, CommandError> {
        Ok(self.store.list_applications(mode).await?)
    }

    pub async fn show(&self, client_id: &str) -> Result<Application, CommandError> {
        Ok(self.store.application(client_id).await?)
    }

    pub async fn create(
        &self,
        new: NewApplication,
        caller: &Caller,
    ) -> Result<Created, CommandError> {
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
        let confidential = violations.check(rules::confidential(new.kind, new.confidential));
        let jwt_bearer = match &new.jwt_bearer {
            Some(setting) => violations
                .check(rules::jwt_bearer(setting, confidential.unwrap_or(true)))
                .flatten(),
            None => None,
        };
        violations.done()?;
        let change = self.change(caller, new.fingerprint());
        if let Some(first) = self.store.replay(&change).await? {
            return Created::of(first, caller, &change);
        }
        let client_secret = confidential.unwrap_or(true).then(generate_client_secret);
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
            jwt_bearer,
        };
        let sealed = client_secret
            .as_deref()
            .map(|secret| SealedSecret::seal(secret, &caller.key, &change.request.name));
        let outcome = self
            .store
            .create_application(&application, sealed.as_ref(), &change)
            .await?;
        Created::of(outcome, caller, &change)
    }

    pub async fn update(
        &self,
        client_id: &str,
        changes: ApplicationChanges,
        caller: &Caller,
    ) -> Result<Application, CommandError> {
        let change = self.change(caller, changes.fingerprint(client_id));
        if let Some(first) = self.store.replay(&change).await? {
            return Ok(first.into_application()?);
        }
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
        if let Some(setting) = &changes.jwt_bearer {
            let null = serde_json::Value::Null;
            let setting = setting.as_ref().unwrap_or(&null);
            update.jwt_bearer = violations.check(rules::jwt_bearer(setting, !current.is_public()));
        }
        violations.done()?;
        if update.is_empty() {
            return Err(invalid(
                "(body)",
                "nothing to change: give at least one of name, token_lifetime, redirect_uris, grant_types, jwt_bearer, enabled",
            ));
        }
        Ok(self
            .store
            .update_application(client_id, kind, &update, &change)
            .await?
            .into_application()?)
    }

    pub async fn set_enabled(
        &self,
        client_id: &str,
        enabled: bool,
        caller: &Caller,
    ) -> Result<Application, CommandError> {
        let changes = ApplicationChanges {
            enabled: Some(enabled),
            ..Default::default()
        };
        self.update(client_id, changes, caller).await
    }

    pub async fn delete(&self, client_id: &str, caller: &Caller) -> Result<(), CommandError> {
        let change = self.change(caller, fingerprint(&["application.delete", client_id]));
        if self.store.replay(&change).await?.is_none() {
            self.store.delete_application(client_id, &change).await?;
        }
        Ok(())
    }

    /// A new secret for a confidential application; the current one stays valid for
    /// `overlap_seconds` (the configured default when None; 0 cuts it off at once).
    pub async fn rotate_secret(
        &self,
        client_id: &str,
        overlap_seconds: Option<u64>,
        caller: &Caller,
    ) -> Result<Rotated, CommandError> {
        let overlap = match overlap_seconds {
            Some(seconds) => {
                secret_rotation_overlap(seconds).map_err(|e| invalid("overlap_seconds", e))?
            }
            None => self.rotation_overlap,
        };
        // The overlap as asked, not as defaulted: the same request whatever the default.
        let asked = overlap_seconds.map_or("default".to_owned(), |s| s.to_string());
        let change = self.change(
            caller,
            fingerprint(&["application.rotate_secret", client_id, &asked]),
        );
        if let Some(first) = self.store.replay(&change).await? {
            return Rotated::of(first, caller, &change);
        }
        let application = self.store.application(client_id).await?;
        if application.is_public() {
            return Err(CommandError::Conflict(format!(
                "'{}' is a {}, a public client: it has no secret to rotate",
                echo_input(client_id),
                application.kind.as_str()
            )));
        }
        // Floored, so that an overlap of 0 ends the previous secret's validity now.
        let previous_secret_valid_until = (change.at + overlap).floor_seconds();
        let client_secret = generate_client_secret();
        let sealed = SealedSecret::seal(&client_secret, &caller.key, &change.request.name);
        let outcome = self
            .store
            .rotate_client_secret(
                client_id,
                &SecretHash::of(&client_secret),
                &sealed,
                previous_secret_valid_until,
                &change,
            )
            .await?;
        Rotated::of(outcome, caller, &change)
    }

    pub async fn set_market_active(
        &self,
        market_id: &str,
        active: bool,
        caller: &Caller,
    ) -> Result<Market, CommandError> {
        let asked = active.to_string();
        let change = self.change(
            caller,
            fingerprint(&["market.set_active", market_id, &asked]),
        );
        let outcome = match self.store.replay(&change).await? {
            Some(first) => first,
            None => {
                self.store
                    .set_market_active(market_id, active, &change)
                    .await?
            }
        };
        Ok(outcome.into_market()?)
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
