//! Storage, spoken in intents. Two implementations behave the same (one conformance suite in
//! `tests/` runs against both): [`memory::MemoryStore`], embedded, for local runs and tests,
//! and [`dynamo::DynamoStore`], for AWS.

pub mod dynamo;
pub mod memory;

use async_trait::async_trait;

use crate::model::{Application, Market, Mode, StockLocation};
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use crate::scope::ResourceRef;
use crate::seed::Catalog;

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

    /// Counts one request from `client_key` against the sliding window, atomically: the
    /// request is recorded only when admitted (see [`crate::ratelimit`]).
    async fn hit_rate_limit(
        &self,
        client_key: &str,
        policy: &RateLimitPolicy,
        now_millis: u64,
    ) -> Result<RateLimitOutcome, StoreError>;

    /// Writes every record of a catalog, replacing records with the same ids.
    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError>;
}
