//! The three kinds of application, each with its RFC 6749 client type: the grant policy and
//! the lifetimes are decided by kind.

use serde::{Deserialize, Serialize};

/// The three kinds of API client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationKind {
    SalesChannel,
    Integration,
    Webapp,
}

impl ApplicationKind {
    pub const ALL: [Self; 3] = [Self::SalesChannel, Self::Integration, Self::Webapp];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationKind::SalesChannel => "sales_channel",
            ApplicationKind::Integration => "integration",
            ApplicationKind::Webapp => "webapp",
        }
    }

    pub fn parse(value: &str) -> Option<ApplicationKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// RFC 6749 §2.1 client types. Sales channels run in browsers and apps, where no secret
    /// stays secret, so they are public; the other kinds are confidential.
    pub fn client_type(self) -> ClientType {
        match self {
            ApplicationKind::SalesChannel => ClientType::Public,
            ApplicationKind::Integration | ApplicationKind::Webapp => ClientType::Confidential,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    /// Authenticates with its client_id alone and has no secret.
    Public,
    /// Must authenticate with its client_secret.
    Confidential,
}
