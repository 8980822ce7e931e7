//! What a create and a rotation answer, read from the store's outcome: the secret they show
//! is the one the outcome holds sealed, opened with the caller's key, so that a request sent
//! again shows the very secret the first answer showed.

use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::idempotency::SealedSecret;
use gatehouse_core::model::Application;
use gatehouse_store::{AdminOutcome, ChangeContext, StoreError};

use crate::command_error::CommandError;
use crate::requests::Caller;

/// A created application, with its secret in plain text: shown, never stored readable.
pub struct Created {
    pub application: Application,
    pub client_secret: Option<String>,
}

/// A rotated secret, in plain text, and until when the previous one works.
pub struct Rotated {
    pub application: Application,
    pub client_secret: String,
    pub previous_secret_valid_until: UnixSeconds,
}

/// A secret the store's outcome holds sealed, opened with the caller's key.
fn open(
    sealed: &SealedSecret,
    caller: &Caller,
    change: &ChangeContext,
) -> Result<String, CommandError> {
    sealed
        .open(&caller.key, &change.request.name)
        .ok_or_else(|| {
            CommandError::Store(StoreError::Corrupt {
                key: "admin request record".into(),
                reason: "its sealed secret does not open with the request's key".into(),
            })
        })
}

impl Created {
    pub(crate) fn of(
        outcome: AdminOutcome,
        caller: &Caller,
        change: &ChangeContext,
    ) -> Result<Self, CommandError> {
        let client_secret = match &outcome {
            AdminOutcome::Created {
                sealed_secret: Some(sealed),
                ..
            } => Some(open(sealed, caller, change)?),
            _ => None,
        };
        Ok(Self {
            application: outcome.into_application()?,
            client_secret,
        })
    }
}

impl Rotated {
    pub(crate) fn of(
        outcome: AdminOutcome,
        caller: &Caller,
        change: &ChangeContext,
    ) -> Result<Self, CommandError> {
        match outcome {
            AdminOutcome::Rotated {
                application,
                sealed_secret,
                previous_valid_until,
            } => Ok(Self {
                client_secret: open(&sealed_secret, caller, change)?,
                application,
                previous_secret_valid_until: previous_valid_until,
            }),
            other => Err(other.unexpected("a rotation").into()),
        }
    }
}
