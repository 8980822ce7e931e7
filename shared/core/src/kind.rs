//! The three kinds of application: the grant policy and the lifetimes are decided by kind; the
//! RFC 6749 client type by kind and secret ([`ApplicationKind::needs_secret`]).

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

    /// Whether an application of this kind must hold a client secret. Integrations and
    /// webapps run on servers, where a secret stays secret: always confidential (RFC 6749
    /// §2.1). A sales channel usually runs in a browser or an app, where no secret does, and
    /// is then public; one run by a server (a storefront rendered there) may hold a secret
    /// and be confidential, as Commerce Layer lets it. [`crate::model::Application::client_type`]
    /// decides from this and the secret it holds.
    pub fn needs_secret(self) -> bool {
        match self {
            ApplicationKind::SalesChannel => false,
            ApplicationKind::Integration | ApplicationKind::Webapp => true,
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
