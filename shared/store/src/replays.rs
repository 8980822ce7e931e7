//! What an administrative change answered, kept with it, so that the same request sent again
//! under its idempotency key is answered and not made again ([`gatehouse_core::idempotency`] says what
//! a key, a record's name and a fingerprint are). Each store writes a change's record in the
//! same atomic step as the change and its audit record: a record found means its change was
//! made, and a change is never made without its record.
//!
//! A store answers a change whose request it already answered with that first answer: from
//! its record when the caller sends the request again, and when a DynamoDB transaction is
//! cancelled because its own earlier send committed (the answer was lost, the SDK sent it
//! again). A refused change writes nothing, so it is not remembered: sent again, it is decided
//! again.

use super::{AdminError, ChangeContext, StoreError};
use gatehouse_core::clock::{UnixMillis, UnixSeconds};
use gatehouse_core::idempotency::{SealedSecret, REPLAY_WINDOW};
use gatehouse_core::model::{Application, Market};
use gatehouse_core::revocation::EpochSubject;

/// The request a change answers: its record's name and what it asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRequest {
    /// [`gatehouse_core::idempotency::record_name`] of the caller and the key.
    pub name: String,
    /// [`gatehouse_core::idempotency::fingerprint`] of the request.
    pub fingerprint: String,
}

/// What a change answered. An application is kept as the change left it; a new secret only
/// sealed under the request's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    Created {
        application: Application,
        /// None for a public client, which has no secret.
        sealed_secret: Option<SealedSecret>,
    },
    Updated(Application),
    /// The client_id of the application deleted.
    Deleted(String),
    Rotated {
        application: Application,
        sealed_secret: SealedSecret,
        previous_valid_until: UnixSeconds,
    },
    MarketChanged(Market),
    /// Every token of `subject` issued before `epoch` was ended (by this epoch, or by one
    /// already later).
    TokensRevoked {
        subject: EpochSubject,
        epoch: UnixSeconds,
    },
}

impl AdminOutcome {
    /// The name a store keeps this kind of outcome under.
    pub fn kind(&self) -> &'static str {
        match self {
            AdminOutcome::Created { .. } => "created",
            AdminOutcome::Updated(_) => "updated",
            AdminOutcome::Deleted(_) => "deleted",
            AdminOutcome::Rotated { .. } => "rotated",
            AdminOutcome::MarketChanged(_) => "market_changed",
            AdminOutcome::TokensRevoked { .. } => "tokens_revoked",
        }
    }

    /// The error of a record whose outcome is not the `wanted` kind: damaged, since the
    /// fingerprint that found it names the change.
    pub fn unexpected(&self, wanted: &str) -> AdminError {
        AdminError::Store(StoreError::Corrupt {
            key: "admin request record".into(),
            reason: format!("holds a {} outcome, not {wanted}", self.kind()),
        })
    }

    /// The application a create, an update or a rotation left.
    pub fn into_application(self) -> Result<Application, AdminError> {
        match self {
            AdminOutcome::Created { application, .. }
            | AdminOutcome::Updated(application)
            | AdminOutcome::Rotated { application, .. } => Ok(application),
            other => Err(other.unexpected("an application")),
        }
    }

    pub fn into_market(self) -> Result<Market, AdminError> {
        match self {
            AdminOutcome::MarketChanged(market) => Ok(market),
            other => Err(other.unexpected("a market")),
        }
    }

    /// What a revocation ended: the subject and its epoch.
    pub fn into_revocation(self) -> Result<(EpochSubject, UnixSeconds), AdminError> {
        match self {
            AdminOutcome::TokensRevoked { subject, epoch } => Ok((subject, epoch)),
            other => Err(other.unexpected("a revocation")),
        }
    }
}

/// A request's record: what it asked, what its change answered, and until when it is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayRecord {
    pub fingerprint: String,
    pub outcome: AdminOutcome,
    pub expires_at: UnixSeconds,
}

impl ReplayRecord {
    /// The record of `change`, answered `outcome`: kept for [`REPLAY_WINDOW`].
    pub fn of(change: &ChangeContext, outcome: AdminOutcome) -> Self {
        Self {
            fingerprint: change.request.fingerprint.clone(),
            outcome,
            expires_at: (change.at + REPLAY_WINDOW).ceil_seconds(),
        }
    }

    /// Whether the record still stands at `now`. DynamoDB's TTL deletes it up to days late:
    /// the time decides, not its presence.
    pub fn stands_at(&self, now: UnixMillis) -> bool {
        now.0 < self.expires_at.0.saturating_mul(1000)
    }

    /// What `change` gets from the record found under its request's name: the first
    /// outcome; a refusal when the key came with another request; None once the record has
    /// expired (the key is free again).
    pub fn answer(self, change: &ChangeContext) -> Result<Option<AdminOutcome>, AdminError> {
        if !self.stands_at(change.at) {
            return Ok(None);
        }
        // The draft: "The idempotency key that is supplied as part of every POST request MUST
        // be unique and MUST NOT be reused with another request with a different request
        // payload."
        if self.fingerprint != change.request.fingerprint {
            return Err(AdminError::key_reused());
        }
        Ok(Some(self.outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(at: u64, fingerprint: &str) -> ChangeContext {
        ChangeContext {
            actor: "ops".into(),
            at: UnixMillis(at),
            request: ChangeRequest {
                name: "n".into(),
                fingerprint: fingerprint.into(),
            },
        }
    }

    #[test]
    fn a_record_answers_its_own_request_for_a_day_and_refuses_another() {
        let first = change(1_000_000_500, "f");
        let record = ReplayRecord::of(&first, AdminOutcome::Deleted("x".into()));
        // Kept a full day from the change, to the second after.
        assert_eq!(record.expires_at, UnixSeconds(1_000_000 + 86_400 + 1));
        let answer = |at: u64, fingerprint: &str| record.clone().answer(&change(at, fingerprint));
        assert_eq!(
            answer(1_000_000_500 + 86_400_000, "f").unwrap(),
            Some(AdminOutcome::Deleted("x".into()))
        );
        assert!(matches!(
            answer(1_000_000_500, "g"),
            Err(AdminError::KeyReused(_))
        ));
        assert_eq!(answer(1_086_401_000, "f").unwrap(), None);
        assert_eq!(answer(1_086_401_000, "g").unwrap(), None);
    }

    #[test]
    fn an_outcome_of_the_wrong_kind_is_a_corrupt_record() {
        let deleted = AdminOutcome::Deleted("x".into());
        assert!(matches!(
            deleted.clone().into_application(),
            Err(AdminError::Store(StoreError::Corrupt { .. }))
        ));
        assert!(deleted.into_market().is_err());
    }
}
