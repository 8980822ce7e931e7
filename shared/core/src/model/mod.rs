//! The records Gatehouse keeps: applications, markets, stock locations, customers and refresh
//! tokens, each in one environment (`Mode`) of the deployment's one organization, and the
//! [`Catalog`] a seed loads.

use serde::{Deserialize, Serialize};

use crate::grant::GrantType;
pub use crate::kind::{ApplicationKind, ClientType};
use crate::lifetime::TokenLifetime;
use crate::secret::SecretHash;

mod application;
mod catalog;
mod tokens;

pub use application::PreviousSecret;

pub use catalog::{CatalogView, Price, PriceList, Sku, StockItem};
pub use tokens::{
    AuthorizationCodeRecord, CodePresentation, CodeRefusal, RefreshTokenRecord, RefreshTokenState,
};

/// The two fully separate environments of an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Test, Mode::Live];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }

    pub fn parse(value: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|mode| mode.as_str() == value)
    }
}

/// The one organization a deployment serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub slug: String,
}

/// An API client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub kind: ApplicationKind,
    pub mode: Mode,
    pub client_id: String,
    /// Always present for integrations and webapps; present for a sales channel that is a
    /// confidential client ([`Application::client_type`]).
    pub client_secret_hash: Option<SecretHash>,
    /// The application's own access-token lifetime, when it set one.
    pub token_lifetime: Option<TokenLifetime>,
    pub redirect_uris: Vec<String>,
    /// A disabled application is treated everywhere as if it did not exist. Applications
    /// loaded from a seed are enabled.
    pub enabled: bool,
    /// The secret before the last rotation, still accepted for a while so that deployed
    /// clients can switch without an outage.
    pub previous_client_secret: Option<PreviousSecret>,
    /// The grants this application may use: a subset of its kind's. None: all of its kind's.
    pub grant_types: Option<Vec<GrantType>>,
    /// How its JWT bearer assertions are checked. None: it may not use that grant.
    pub jwt_bearer: Option<crate::jwt_bearer::JwtBearer>,
}

/// A market, with the ids and numbers of its stock locations resolved at load time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Market {
    pub id: String,
    pub number: u64,
    pub code: String,
    pub name: String,
    pub mode: Mode,
    pub active: bool,
    pub price_list_id: String,
    pub stock_location_ids: Vec<String>,
    pub stock_location_numbers: Vec<u64>,
    /// A market tied to a customer group is private to that group.
    pub customer_group_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLocation {
    pub id: String,
    pub number: u64,
    pub code: String,
    pub name: String,
    pub mode: Mode,
}

/// A customer group: markets tied to one are private to its customers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerGroup {
    pub id: String,
    pub name: String,
    pub mode: Mode,
}

/// A shopper who logs in through a sales channel with the password grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub mode: Mode,
    /// As registered. Lookups use [`email_key`], so emails match case-insensitively.
    pub email: String,
    pub password_hash: crate::password::PasswordHash,
    pub customer_group_id: Option<String>,
}

/// The longest email address accepted (RFC 5321's path limit), in seeds and at login.
pub const MAX_EMAIL_LENGTH: usize = 254;

/// The form an email is looked up by: trimmed and lowercased, so that `Alice@Example.com` and
/// `alice@example.com` are one customer.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What the stores keep, from a valid seed ([`crate::seed::parse_seed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub organization: Organization,
    pub applications: Vec<Application>,
    pub markets: Vec<Market>,
    pub stock_locations: Vec<StockLocation>,
    pub customer_groups: Vec<CustomerGroup>,
    /// Passwords hashed with argon2id.
    pub customers: Vec<Customer>,
    /// Passwords hashed with argon2id.
    pub users: Vec<User>,
    pub price_lists: Vec<PriceList>,
    pub skus: Vec<Sku>,
    pub prices: Vec<Price>,
    pub stock_items: Vec<StockItem>,
}

/// Who a token acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OwnerType {
    Customer,
    User,
}

impl OwnerType {
    const ALL: [Self; 2] = [Self::Customer, Self::User];

    /// The response's `owner_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerType::Customer => "customer",
            OwnerType::User => "user",
        }
    }

    /// The JWT's `owner.type`.
    pub fn claim_name(self) -> &'static str {
        match self {
            OwnerType::Customer => "Customer",
            OwnerType::User => "User",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|owner| owner.as_str() == value)
    }
}

/// A member of the organization, who signs in to webapps (the authorization code grant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub mode: Mode,
    /// As registered. Lookups use [`email_key`], so emails match case-insensitively.
    pub email: String,
    pub name: Option<String>,
    pub password_hash: crate::password::PasswordHash,
}
