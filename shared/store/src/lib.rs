//! Storage, by concern and spoken in intents. Each concern is a trait of its own, so that a
//! function depends on exactly what it uses (the revoke function on [`RefreshTokens`] alone);
//! each is implemented by both stores and checked by its part of one conformance suite
//! (`tests/tests/store_conformance/`): [`memory::MemoryStore`], embedded, for local runs and
//! tests, and [`dynamo::DynamoStore`], for AWS.
//!
//! | concern | who uses it |
//! |---|---|
//! | [`Clients`]: applications and the scope records a token names | token |
//! | [`Customers`]: customers and their groups | token (password, refresh) |
//! | [`RateLimits`]: sliding windows per key | token, revoke, authorize (per address) |
//! | [`SignIns`]: the sign-in protection's two windows per account | token (password), authorize |
//! | [`RefreshTokens`]: rotation, reuse, families | token, revoke |
//! | [`Revocations`]: access tokens revoked, epochs, what one token's state is | api, revoke, admin |
//! | [`StatusLists`]: status list indexes, revoked bits, published epochs | token, revoke |
//! | [`Users`]: the organization's members | authorize, token (refresh) |
//! | [`AuthorizationCodes`]: single-use codes, redeemed with their first refresh token | authorize, token |
//! | [`CatalogReads`]: markets, SKUs, prices, stock items as a token's view shows them | api |
//! | [`Import`]: loading a seed catalog | the `gatehouse` command |
//! | [`Administration`]: applications, markets' state, the audit log | admin, the `gatehouse` command |
//!
//! A new concern follows the same pattern: a trait in a file of its own here, an `impl` in
//! `memory/` and in `dynamo/<concern>.rs`, a file in the conformance suite, and a method of
//! [`Concerns`] when a function's service takes it.

pub mod administration;
pub mod assertions;
pub mod authorization_codes;
pub mod catalog;
pub mod clients;
mod conformance;
pub mod customers;
pub mod dynamo;
pub mod import;
pub mod memory;
pub mod rate_limits;
pub mod refresh_tokens;
pub mod replays;
pub mod revocations;
pub mod sign_ins;
pub mod status_lists;
pub mod timing;
pub mod users;

pub use administration::{
    AdminError, Administration, ApplicationUpdate, AuditAction, AuditRecord, ChangeContext,
};
pub use assertions::{AssertionUse, Assertions, UsedAssertion};
pub use authorization_codes::{AuthorizationCodes, Redemption};
pub use catalog::{CatalogReads, Page, PageRequest};
pub use clients::{ClientWithScope, Clients};
pub use customers::Customers;
pub use import::{Import, ImportProgress, ProgressSink};
pub use rate_limits::RateLimits;
pub use refresh_tokens::{RefreshTokens, Rotation};
pub use replays::{AdminOutcome, ChangeRequest, ReplayRecord};
pub use revocations::Revocations;
pub use sign_ins::{SignInGrant, SignIns};
pub use status_lists::{StatusLists, StoredList};
pub use users::Users;

use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Storage did not answer or refused the request; retrying later may work.
    #[error("storage request failed: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored record cannot be read back: a bug or a bad import, not the client's fault.
    #[error("stored record {key} is not valid: {reason}")]
    Corrupt { key: String, reason: String },
}

impl StoreError {
    /// Storage trouble, from the error that says what it is. A DynamoDB that could not be
    /// reached is told by where it is and what to check ([`dynamo::Unreachable`]), not by the
    /// SDK's "dispatch failure" that wraps it.
    pub fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        match dynamo::Unreachable::in_chain(&error) {
            Some(unreachable) => Self::Unavailable(Box::new(unreachable.clone())),
            None => Self::Unavailable(Box::new(error)),
        }
    }
}

/// A backend with every concern: what `gatehouse serve` and the tests wire. Functions name
/// the concerns they use instead.
pub trait Store:
    Clients
    + Customers
    + Users
    + RateLimits
    + SignIns
    + RefreshTokens
    + AuthorizationCodes
    + Revocations
    + StatusLists
    + Assertions
    + CatalogReads
    + Import
    + Administration
{
}

impl<T> Store for T where
    T: Clients
        + Customers
        + Users
        + RateLimits
        + SignIns
        + RefreshTokens
        + AuthorizationCodes
        + Revocations
        + StatusLists
        + Assertions
        + CatalogReads
        + Import
        + Administration
        + ?Sized
{
}

/// A store handing out each of its concerns on its own, for the services that keep only the
/// concerns they use. Implemented for every concrete store, so that a Lambda keeps its
/// `DynamoStore` concrete and links only the DynamoDB code of the concerns it takes (an
/// `Arc<dyn Store>` would link every concern's into every function), and for `dyn Store`, a
/// backend chosen at run time (`gatehouse serve`, the tests), by trait upcasting. `Import` is
/// not here: the `gatehouse` command takes it by name.
pub trait Concerns: Store {
    fn clients(self: Arc<Self>) -> Arc<dyn Clients>;
    fn customers(self: Arc<Self>) -> Arc<dyn Customers>;
    fn users(self: Arc<Self>) -> Arc<dyn Users>;
    fn rate_limits(self: Arc<Self>) -> Arc<dyn RateLimits>;
    fn sign_ins(self: Arc<Self>) -> Arc<dyn SignIns>;
    fn refresh_tokens(self: Arc<Self>) -> Arc<dyn RefreshTokens>;
    fn authorization_codes(self: Arc<Self>) -> Arc<dyn AuthorizationCodes>;
    fn catalog(self: Arc<Self>) -> Arc<dyn CatalogReads>;
    fn revocations(self: Arc<Self>) -> Arc<dyn Revocations>;
    fn administration(self: Arc<Self>) -> Arc<dyn Administration>;
    fn status_lists(self: Arc<Self>) -> Arc<dyn StatusLists>;
    fn assertions(self: Arc<Self>) -> Arc<dyn Assertions>;
}

/// The same body for both implementations: each concern is the store itself, coerced.
macro_rules! hand_out_concerns {
    () => {
        fn clients(self: Arc<Self>) -> Arc<dyn Clients> {
            self
        }
        fn customers(self: Arc<Self>) -> Arc<dyn Customers> {
            self
        }
        fn users(self: Arc<Self>) -> Arc<dyn Users> {
            self
        }
        fn rate_limits(self: Arc<Self>) -> Arc<dyn RateLimits> {
            self
        }
        fn sign_ins(self: Arc<Self>) -> Arc<dyn SignIns> {
            self
        }
        fn refresh_tokens(self: Arc<Self>) -> Arc<dyn RefreshTokens> {
            self
        }
        fn authorization_codes(self: Arc<Self>) -> Arc<dyn AuthorizationCodes> {
            self
        }
        fn catalog(self: Arc<Self>) -> Arc<dyn CatalogReads> {
            self
        }
        fn revocations(self: Arc<Self>) -> Arc<dyn Revocations> {
            self
        }
        fn administration(self: Arc<Self>) -> Arc<dyn Administration> {
            self
        }
        fn status_lists(self: Arc<Self>) -> Arc<dyn StatusLists> {
            self
        }
        fn assertions(self: Arc<Self>) -> Arc<dyn Assertions> {
            self
        }
    };
}

impl<S: Store + 'static> Concerns for S {
    hand_out_concerns!();
}

impl Concerns for dyn Store {
    hand_out_concerns!();
}
