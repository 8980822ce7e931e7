//! Why an admin command did nothing: the one error every command returns, which the route
//! turns into its HTTP answer and the `gatehouse` command into its message.

use gatehouse_core::application_rules::Violation;
use gatehouse_store::{AdminError, StoreError};

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
    /// The idempotency key was sent before with another request.
    #[error("{0}")]
    KeyReused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
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
            AdminError::KeyReused(message) => CommandError::KeyReused(message),
            AdminError::Store(error) => CommandError::Store(error),
        }
    }
}
