//! Applications (API clients) and the scope records a token request names: markets and stock
//! locations, found under any of their names.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::model::{Application, Market, Mode, StockLocation};
use gatehouse_core::scope::ResourceRef;

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
pub trait Clients: Send + Sync {
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
}
