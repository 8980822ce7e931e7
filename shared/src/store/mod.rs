//! Storage, spoken in intents. Two implementations behave the same (one conformance suite in
//! `tests/` runs against both): [`memory::MemoryStore`], embedded, for local runs and tests,
//! and [`dynamo::DynamoStore`], for AWS.

pub mod dynamo;
pub mod memory;

use async_trait::async_trait;

use crate::model::Catalog;
use crate::model::{
    Application, Customer, CustomerGroup, Market, Mode, RefreshTokenRecord, RefreshTokenState,
    StockLocation,
};
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use crate::scope::ResourceRef;
use crate::secret::SecretHash;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Storage did not answer or refused the request; retrying later may work.
    #[error("storage request failed: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored record cannot be read back: a bug or a bad import, not the client's fault.
    #[error("stored record {key} is not valid: {reason}")]
    Corrupt { key: String, reason: String },
}

/// The one mapping from storage trouble to what a client sees.
impl From<StoreError> for crate::error::ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => crate::error::ApiError::temporarily_unavailable(error),
            StoreError::Corrupt { .. } => crate::error::ApiError::server_error(error),
        }
    }
}

impl StoreError {
    pub fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(error))
    }
}

/// An application with the scope records a token request named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientWithScope {
    pub application: Application,
    /// Markets of the application's environment matching the requested references.
    pub markets: Vec<Market>,
    /// Stock locations of the application's environment matching the requested references.
    pub stock_locations: Vec<StockLocation>,
}

/// The result of [`Store::rotate_refresh_token`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    Rotated,
    /// The presented token could not be exchanged; its state as found afterwards (consumed,
    /// revoked, expired), or None when it no longer exists.
    NotActive(Option<Box<RefreshTokenState>>),
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn find_application(&self, client_id: &str) -> Result<Option<Application>, StoreError>;

    /// Markets of one environment that any of `refs` names.
    async fn find_markets(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<Market>, StoreError>;

    /// Stock locations of one environment that any of `refs` names.
    async fn find_stock_locations(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<StockLocation>, StoreError>;

    /// The application and the scope records of a token request, in one round trip where the
    /// backend allows it (the token endpoint's warm path).
    async fn find_client_with_scope(
        &self,
        client_id: &str,
        market_refs: &[ResourceRef],
        stock_location_refs: &[ResourceRef],
    ) -> Result<Option<ClientWithScope>, StoreError> {
        let Some(application) = self.find_application(client_id).await? else {
            return Ok(None);
        };
        let markets = self.find_markets(application.mode, market_refs).await?;
        let stock_locations = self
            .find_stock_locations(application.mode, stock_location_refs)
            .await?;
        Ok(Some(ClientWithScope {
            application,
            markets,
            stock_locations,
        }))
    }

    /// Counts one event for `key` against its sliding window, atomically: the event is recorded
    /// only when admitted (see [`crate::ratelimit`]). Token requests per client IP and login
    /// attempts per account each have their own keys.
    async fn hit_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
        now_millis: u64,
    ) -> Result<RateLimitOutcome, StoreError>;

    /// Forgets every event counted for `key` under `policy` (after a successful login).
    async fn clear_rate_limit(&self, key: &str, policy: &RateLimitPolicy)
        -> Result<(), StoreError>;

    /// A customer of one environment by email, case-insensitively.
    async fn find_customer_by_email(
        &self,
        mode: Mode,
        email: &str,
    ) -> Result<Option<Customer>, StoreError>;

    /// A customer of one environment by id.
    async fn find_customer(&self, mode: Mode, id: &str) -> Result<Option<Customer>, StoreError>;

    async fn find_customer_group(
        &self,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CustomerGroup>, StoreError>;

    /// Stores the first refresh token of a new family (a new login).
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError>;

    /// A refresh token by the hash of its value, whatever its state. Expiry is the caller's
    /// to check: storage may keep expired records for a while.
    async fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenState>, StoreError>;

    /// Exchanges the presented token for `successor`, atomically: the presented token is
    /// marked consumed and the successor stored only if, at that instant, the presented token
    /// is unconsumed, unexpired at `now_millis` and its family is not revoked. Of concurrent
    /// rotations of one token, exactly one succeeds.
    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: &RefreshTokenRecord,
        now_millis: u64,
    ) -> Result<Rotation, StoreError>;

    /// Revokes every token of a family, now and for good.
    async fn revoke_refresh_family(&self, family_id: &str) -> Result<(), StoreError>;

    /// Writes every record of a catalog, replacing records with the same ids.
    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError>;
}
