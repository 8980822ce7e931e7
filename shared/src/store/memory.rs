//! The embedded store: everything in process memory, behind locks.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use async_trait::async_trait;

use super::{Store, StoreError};
use crate::model::{Application, Market, Mode, StockLocation};
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use crate::scope::ResourceRef;
use crate::seed::Catalog;

/// Rate-limit windows kept before idle ones are swept.
const RATE_WINDOWS_BEFORE_SWEEP: usize = 10_000;

#[derive(Default)]
struct Records {
    applications: HashMap<String, Application>,
    markets: HashMap<String, Market>,
    stock_locations: HashMap<String, StockLocation>,
}

#[derive(Default)]
pub struct MemoryStore {
    records: RwLock<Records>,
    /// Per client key and policy: accepted request times, newest first, at most `limit`.
    rate_windows: Mutex<HashMap<(String, u32, u64), Vec<u64>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_catalog(catalog: &Catalog) -> Self {
        let store = Self::new();
        store.load(catalog);
        store
    }

    fn load(&self, catalog: &Catalog) {
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        for application in &catalog.applications {
            records.applications.retain(|_, a| a.id != application.id);
            records
                .applications
                .insert(application.client_id.clone(), application.clone());
        }
        for market in &catalog.markets {
            records.markets.insert(market.id.clone(), market.clone());
        }
        for location in &catalog.stock_locations {
            records
                .stock_locations
                .insert(location.id.clone(), location.clone());
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn find_application(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        Ok(records.applications.get(client_id).cloned())
    }

    async fn find_markets(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<Market>, StoreError> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        Ok(records
            .markets
            .values()
            .filter(|m| m.mode == mode && refs.iter().any(|r| r.matches_market(m)))
            .cloned()
            .collect())
    }

    async fn find_stock_locations(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<StockLocation>, StoreError> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        Ok(records
            .stock_locations
            .values()
            .filter(|l| l.mode == mode && refs.iter().any(|r| r.matches_stock_location(l)))
            .cloned()
            .collect())
    }

    async fn hit_rate_limit(
        &self,
        client_key: &str,
        policy: &RateLimitPolicy,
        now_millis: u64,
    ) -> Result<RateLimitOutcome, StoreError> {
        let mut windows = self.rate_windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= RATE_WINDOWS_BEFORE_SWEEP {
            let cutoff = policy.cutoff(now_millis);
            windows.retain(|_, times| times.first().is_some_and(|&t| t > cutoff));
        }
        let key = (client_key.to_owned(), policy.limit, policy.window.as_secs());
        let times = windows.entry(key).or_default();
        let allowed = policy.admits(times, now_millis);
        if allowed {
            times.insert(0, now_millis);
            times.truncate(policy.limit as usize);
        }
        Ok(policy.outcome(allowed, times, now_millis))
    }

    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError> {
        self.load(catalog);
        Ok(())
    }
}
