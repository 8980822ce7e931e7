//! Administering applications and markets, for the admin API and the `gatehouse` admin
//! commands. Each change is one atomic step together with its audit record (who, what, when):
//! a change without its record, or a record of a change that did not happen, cannot be stored.
//!
//! The rules an application must follow (`gatehouse_core::application_rules`) are the caller's to
//! check; the store keeps what it is given, and refuses only what contradicts what it holds
//! (a client_id already taken, an application that is gone).
//!
//! Every change names the request it answers ([`ChangeContext::request`]) and is kept with
//! that request's record, in the same atomic step: the same request sent again is answered
//! with the first [`AdminOutcome`], not made again (`replays.rs`).

use async_trait::async_trait;

use super::replays::{AdminOutcome, ChangeRequest};
use super::StoreError;
use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::grant::GrantType;
use gatehouse_core::idempotency::SealedSecret;
use gatehouse_core::input::echo_input;
use gatehouse_core::jwt_bearer::JwtBearer;
use gatehouse_core::lifetime::TokenLifetime;
use gatehouse_core::model::{Application, ApplicationKind, Market, Mode};
use gatehouse_core::revocation::EpochSubject;
use gatehouse_core::secret::SecretHash;

/// The longest audit detail kept: a summary, never a secret or a hash.
pub const MAX_AUDIT_DETAIL: usize = 200;

/// Why an administrative change or read did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The application or market named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change contradicts what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The request's idempotency key was sent before with another request.
    #[error("{0}")]
    KeyReused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The refusals both stores answer with, worded once; what the caller named is quoted cut
/// short (a path segment can be kilobytes long).
impl AdminError {
    pub fn no_application(client_id: &str) -> Self {
        Self::NotFound(format!(
            "no application has client_id '{}'",
            echo_input(client_id)
        ))
    }

    pub fn no_market(market_id: &str) -> Self {
        Self::NotFound(format!("no market has id '{}'", echo_input(market_id)))
    }

    pub fn client_id_taken(client_id: &str) -> Self {
        Self::Conflict(format!(
            "client_id '{}' is already taken",
            echo_input(client_id)
        ))
    }

    pub fn public_client(client_id: &str) -> Self {
        Self::Conflict(format!(
            "application '{}' is a public client and has no secret",
            echo_input(client_id)
        ))
    }

    pub fn key_reused() -> Self {
        Self::KeyReused(
            "this Idempotency-Key was sent before with another request; send a new key with each new request"
                .into(),
        )
    }

    pub fn changed_meanwhile(client_id: &str) -> Self {
        Self::Conflict(format!(
            "application '{}' changed while it was updated; try again",
            echo_input(client_id)
        ))
    }
}

/// Who makes a change, when (from the injected clock), and for which request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeContext {
    pub actor: String,
    pub at: UnixMillis,
    pub request: ChangeRequest,
}

/// What an audit record says was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    ApplicationCreated,
    ApplicationUpdated,
    ApplicationDeleted,
    SecretRotated,
    MarketEnabled,
    MarketDisabled,
    TokensRevoked,
}

impl AuditAction {
    pub const ALL: [AuditAction; 7] = [
        AuditAction::ApplicationCreated,
        AuditAction::ApplicationUpdated,
        AuditAction::ApplicationDeleted,
        AuditAction::SecretRotated,
        AuditAction::MarketEnabled,
        AuditAction::MarketDisabled,
        AuditAction::TokensRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ApplicationCreated => "application.create",
            AuditAction::ApplicationUpdated => "application.update",
            AuditAction::ApplicationDeleted => "application.delete",
            AuditAction::SecretRotated => "application.rotate_secret",
            AuditAction::MarketEnabled => "market.enable",
            AuditAction::MarketDisabled => "market.disable",
            AuditAction::TokensRevoked => "tokens.revoke",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == value)
    }
}

/// One administrative change, as the audit log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub at: UnixMillis,
    pub actor: String,
    pub action: AuditAction,
    /// The client_id or market id changed.
    pub target: String,
    /// A short summary of the change: never a secret or a hash.
    pub detail: String,
}

impl AuditRecord {
    /// The record of a change made now by `change.actor`, with a new random id.
    pub fn of(
        change: &ChangeContext,
        action: AuditAction,
        target: &str,
        detail: impl Into<String>,
    ) -> Self {
        let detail: String = detail.into();
        Self {
            id: gatehouse_core::secret::random_token(12),
            at: change.at,
            actor: change.actor.clone(),
            action,
            target: target.to_owned(),
            detail: detail.chars().take(MAX_AUDIT_DETAIL).collect(),
        }
    }
}

/// The fields of an application an update may change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplicationUpdate {
    pub name: Option<String>,
    /// `Some(None)` returns to the kind's default lifetime.
    pub token_lifetime: Option<Option<TokenLifetime>>,
    pub redirect_uris: Option<Vec<String>>,
    /// `Some(None)` returns to every grant of the kind.
    pub grant_types: Option<Option<Vec<GrantType>>>,
    /// `Some(None)` turns the JWT bearer grant off.
    pub jwt_bearer: Option<Option<JwtBearer>>,
    pub enabled: Option<bool>,
}

impl ApplicationUpdate {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// `application` with this update applied.
    pub fn apply_to(&self, application: &mut Application) {
        if let Some(name) = &self.name {
            application.name = name.clone();
        }
        if let Some(lifetime) = self.token_lifetime {
            application.token_lifetime = lifetime;
        }
        if let Some(uris) = &self.redirect_uris {
            application.redirect_uris = uris.clone();
        }
        if let Some(grants) = &self.grant_types {
            application.grant_types = grants.clone();
        }
        if let Some(setting) = &self.jwt_bearer {
            application.jwt_bearer = setting.clone();
        }
        if let Some(enabled) = self.enabled {
            application.enabled = enabled;
        }
    }

    /// The audit detail: which fields changed, with the values that are short and not
    /// personal (the name and the redirect URIs are only named).
    pub fn audit_detail(&self) -> String {
        let mut parts = Vec::new();
        if self.name.is_some() {
            parts.push("name".to_owned());
        }
        if let Some(lifetime) = self.token_lifetime {
            parts.push(match lifetime {
                Some(lifetime) => format!("token_lifetime={lifetime}"),
                None => "token_lifetime=default".to_owned(),
            });
        }
        if let Some(uris) = &self.redirect_uris {
            parts.push(format!("redirect_uris ({})", uris.len()));
        }
        if let Some(grants) = &self.grant_types {
            parts.push(match grants {
                Some(grants) => format!(
                    "grant_types={}",
                    grants
                        .iter()
                        .map(|g| g.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                None => "grant_types=all of its kind".to_owned(),
            });
        }
        if let Some(setting) = &self.jwt_bearer {
            parts.push(match setting {
                Some(setting) => format!("jwt_bearer={}", setting.mode_name()),
                None => "jwt_bearer=off".to_owned(),
            });
        }
        if let Some(enabled) = self.enabled {
            parts.push(format!("enabled={enabled}"));
        }
        parts.join(", ")
    }
}

/// The audit detail of a new application.
pub fn created_detail(application: &Application) -> String {
    format!(
        "{} {} application",
        application.kind.as_str(),
        application.mode.as_str()
    )
}

/// The audit detail of a rotation.
pub fn rotated_detail(previous_valid_until: UnixSeconds) -> String {
    format!(
        "new secret; the previous one is accepted until {} (unix seconds)",
        previous_valid_until.0
    )
}

/// The audit record of a market enabled or disabled.
pub fn market_record(change: &ChangeContext, market: &Market) -> AuditRecord {
    let action = match market.active {
        true => AuditAction::MarketEnabled,
        false => AuditAction::MarketDisabled,
    };
    AuditRecord::of(
        change,
        action,
        &market.id,
        format!("market {} ({})", market.number, market.mode.as_str()),
    )
}

/// The audit record of ending `subject`'s tokens issued before `epoch`.
pub fn revoked_record(
    change: &ChangeContext,
    subject: &EpochSubject,
    epoch: UnixSeconds,
) -> AuditRecord {
    AuditRecord::of(
        change,
        AuditAction::TokensRevoked,
        &subject.key(),
        format!("every token issued before {} (Unix seconds)", epoch.0),
    )
}

/// Each change answers its [`AdminOutcome`]: what it did, or, when its request was answered
/// before (see [`ChangeContext::request`]), what that first change did. A request's key sent
/// with another request is refused with [`AdminError::KeyReused`], and nothing is changed.
#[async_trait]
pub trait Administration: Send + Sync {
    /// Every application, or those of one environment, by client_id.
    async fn list_applications(&self, mode: Option<Mode>) -> Result<Vec<Application>, AdminError>;

    async fn application(&self, client_id: &str) -> Result<Application, AdminError>;

    /// What `change`'s request was answered, when a change was made under it and its record
    /// still stands; `KeyReused` when that change was another request.
    async fn replay(&self, change: &ChangeContext) -> Result<Option<AdminOutcome>, AdminError>;

    /// Stores a new application, with its new secret sealed for the request's retries
    /// ([`gatehouse_core::idempotency`]); `Conflict` when its client_id is taken.
    async fn create_application(
        &self,
        application: &Application,
        sealed_secret: Option<&SealedSecret>,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError>;

    /// Applies `update` to the application, provided it is still of `kind` (the kind the
    /// update was checked against). Answers the application as updated.
    async fn update_application(
        &self,
        client_id: &str,
        kind: ApplicationKind,
        update: &ApplicationUpdate,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError>;

    async fn delete_application(
        &self,
        client_id: &str,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError>;

    /// Makes `new_secret` the application's secret and its current one the previous, valid
    /// until `previous_valid_until` (a secret older than that is forgotten); `sealed_secret`
    /// is the new secret sealed for the request's retries. `Conflict` for an application
    /// without a secret (a public client).
    async fn rotate_client_secret(
        &self,
        client_id: &str,
        new_secret: &SecretHash,
        sealed_secret: &SealedSecret,
        previous_valid_until: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError>;

    /// Enables or disables a market (found by id in either environment), under every name it
    /// is stored by. Answers the market as changed.
    async fn set_market_active(
        &self,
        market_id: &str,
        active: bool,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError>;

    /// Ends every token of `subject` issued (or signed in) before `epoch`
    /// ([`gatehouse_core::revocation`]), with its audit record; an epoch already later stays,
    /// and is answered. The subject is named as found: its existence is the caller's to check.
    async fn revoke_tokens(
        &self,
        subject: &EpochSubject,
        epoch: UnixSeconds,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError>;

    /// The newest `limit` audit records, newest first.
    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, AdminError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_round_trip_by_name() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("application.launch"), None);
    }

    #[test]
    fn an_update_detail_names_each_changed_field_and_no_name_or_uri() {
        let update = ApplicationUpdate {
            name: Some("Secret Project X".into()),
            token_lifetime: Some(Some(TokenLifetime::try_from(86_400).unwrap())),
            redirect_uris: Some(vec!["https://a.example/cb".into()]),
            grant_types: Some(Some(vec![GrantType::Password, GrantType::RefreshToken])),
            jwt_bearer: Some(Some(JwtBearer::CommerceLayer)),
            enabled: Some(false),
        };
        assert_eq!(
            update.audit_detail(),
            "name, token_lifetime=86400, redirect_uris (1), grant_types=password,refresh_token, jwt_bearer=commercelayer, enabled=false"
        );
        let reset = ApplicationUpdate {
            token_lifetime: Some(None),
            grant_types: Some(None),
            jwt_bearer: Some(None),
            ..Default::default()
        };
        assert_eq!(
            reset.audit_detail(),
            "token_lifetime=default, grant_types=all of its kind, jwt_bearer=off"
        );
        assert!(ApplicationUpdate::default().is_empty() && !reset.is_empty());
    }

    #[test]
    fn audit_details_are_cut_to_their_limit() {
        let change = ChangeContext {
            actor: "me".into(),
            at: UnixMillis(1),
            request: ChangeRequest {
                name: "n".into(),
                fingerprint: "f".into(),
            },
        };
        let record = AuditRecord::of(
            &change,
            AuditAction::ApplicationUpdated,
            "x",
            "é".repeat(500),
        );
        assert_eq!(record.detail.chars().count(), MAX_AUDIT_DETAIL);
        assert_ne!(
            record.id,
            AuditRecord::of(&change, AuditAction::ApplicationUpdated, "x", "").id
        );
    }
}
