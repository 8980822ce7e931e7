//! The embedded store: everything in process memory, behind locks.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;

use super::{Clients, Customers, Import, RateLimits, RefreshTokens, Rotation, StoreError};
use crate::clock::UnixMillis;
use crate::model::Catalog;
use crate::model::{
    email_key, Application, Customer, CustomerGroup, Market, Mode, RefreshTokenRecord,
    RefreshTokenState, StockLocation,
};
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use crate::scope::ResourceRef;
use crate::secret::SecretHash;

/// Rate-limit windows kept before idle ones are swept.
const RATE_WINDOWS_BEFORE_SWEEP: usize = 10_000;

#[derive(Default)]
struct Records {
    applications: HashMap<String, Application>,
    markets: HashMap<String, Market>,
    stock_locations: HashMap<String, StockLocation>,
    customer_groups: HashMap<(Mode, String), CustomerGroup>,
    /// By environment and id.
    customers: HashMap<(Mode, String), Customer>,
}

/// Refresh tokens by stored hash, and whether each family is revoked.
#[derive(Default)]
struct RefreshTokenTable {
    tokens: HashMap<String, RefreshTokenRecord>,
    revoked_families: HashMap<String, bool>,
}

impl RefreshTokenTable {
    fn state(&self, hash: &SecretHash) -> Option<RefreshTokenState> {
        let record = self.tokens.get(&hash.to_stored())?.clone();
        let family_revoked = self
            .revoked_families
            .get(&record.family_id)
            .copied()
            .unwrap_or(true);
        Some(RefreshTokenState {
            record,
            family_revoked,
        })
    }

    /// Drops records that expired a while ago, as DynamoDB's TTL would.
    fn sweep(&mut self, now: UnixMillis) {
        const KEEP_AFTER_EXPIRY: Duration = Duration::from_secs(24 * 3600);
        self.tokens
            .retain(|_, t| t.expires_at + KEEP_AFTER_EXPIRY > now);
        let live: std::collections::HashSet<String> =
            self.tokens.values().map(|t| t.family_id.clone()).collect();
        self.revoked_families
            .retain(|family, _| live.contains(family));
    }
}

/// Refresh tokens kept before expired ones are swept.
const REFRESH_TOKENS_BEFORE_SWEEP: usize = 100_000;

#[derive(Default)]
pub struct MemoryStore {
    records: RwLock<Records>,
    /// Per client key and policy: accepted request times, newest first, at most `limit`.
    rate_windows: Mutex<HashMap<(String, u32, u64), Vec<UnixMillis>>>,
    refresh_tokens: Mutex<RefreshTokenTable>,
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
        for group in &catalog.customer_groups {
            // A record that changed environment leaves the other one.
            records.customer_groups.retain(|(_, id), _| *id != group.id);
            records
                .customer_groups
                .insert((group.mode, group.id.clone()), group.clone());
        }
        for customer in &catalog.customers {
            records.customers.retain(|(_, id), _| *id != customer.id);
            records
                .customers
                .insert((customer.mode, customer.id.clone()), customer.clone());
        }
    }

    fn refresh_tokens(&self) -> std::sync::MutexGuard<'_, RefreshTokenTable> {
        self.refresh_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Clients for MemoryStore {
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
}

#[async_trait]
impl RateLimits for MemoryStore {
    async fn hit_rate_limit(
        &self,
        client_key: &str,
        policy: &RateLimitPolicy,
        now: UnixMillis,
    ) -> Result<RateLimitOutcome, StoreError> {
        let mut windows = self.rate_windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= RATE_WINDOWS_BEFORE_SWEEP {
            // Each window by its own length: a login lockout outlives a token-rate window.
            windows.retain(|(_, _, window_seconds), times| {
                times
                    .first()
                    .is_some_and(|&newest| newest + Duration::from_secs(*window_seconds) > now)
            });
        }
        let key = (client_key.to_owned(), policy.limit, policy.window.as_secs());
        let times = windows.entry(key).or_default();
        let allowed = policy.admits(times, now);
        if allowed {
            times.insert(0, now);
            times.truncate(policy.limit as usize);
        }
        Ok(policy.outcome(allowed, times, now))
    }

    async fn clear_rate_limit(
        &self,
        key: &str,
        policy: &RateLimitPolicy,
    ) -> Result<(), StoreError> {
        let mut windows = self.rate_windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.remove(&(key.to_owned(), policy.limit, policy.window.as_secs()));
        Ok(())
    }
}

#[async_trait]
impl Customers for MemoryStore {
    async fn find_customer_by_email(
        &self,
        mode: Mode,
        email: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        let key = email_key(email);
        Ok(records
            .customers
            .values()
            .find(|c| c.mode == mode && email_key(&c.email) == key)
            .cloned())
    }

    async fn find_customer(&self, mode: Mode, id: &str) -> Result<Option<Customer>, StoreError> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        Ok(records.customers.get(&(mode, id.to_owned())).cloned())
    }

    async fn find_customer_group(
        &self,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CustomerGroup>, StoreError> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        Ok(records.customer_groups.get(&(mode, id.to_owned())).cloned())
    }
}

#[async_trait]
impl RefreshTokens for MemoryStore {
    async fn create_refresh_token(&self, record: &RefreshTokenRecord) -> Result<(), StoreError> {
        let mut refresh = self.refresh_tokens();
        if refresh.tokens.len() >= REFRESH_TOKENS_BEFORE_SWEEP {
            refresh.sweep(record.issued_at);
        }
        refresh
            .revoked_families
            .insert(record.family_id.clone(), false);
        refresh
            .tokens
            .insert(record.token_hash.to_stored(), record.clone());
        Ok(())
    }

    async fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<RefreshTokenState>, StoreError> {
        Ok(self.refresh_tokens().state(hash))
    }

    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: &RefreshTokenRecord,
        now: UnixMillis,
    ) -> Result<Rotation, StoreError> {
        let mut refresh = self.refresh_tokens();
        let Some(state) = refresh.state(presented) else {
            return Ok(Rotation::NotActive(None));
        };
        if !state.can_rotate_into(&successor.family_id, now) {
            return Ok(Rotation::NotActive(Some(Box::new(state))));
        }
        if let Some(record) = refresh.tokens.get_mut(&presented.to_stored()) {
            record.consumed_at = Some(now);
        }
        refresh
            .tokens
            .insert(successor.token_hash.to_stored(), successor.clone());
        Ok(Rotation::Rotated)
    }

    async fn revoke_refresh_family(&self, family_id: &str) -> Result<(), StoreError> {
        let mut refresh = self.refresh_tokens();
        if let Some(revoked) = refresh.revoked_families.get_mut(family_id) {
            *revoked = true;
        }
        Ok(())
    }
}

#[async_trait]
impl Import for MemoryStore {
    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError> {
        self.load(catalog);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sweeping_idle_windows_keeps_a_longer_window_alive_for_its_own_length() {
        let store = MemoryStore::new();
        let short = RateLimitPolicy::new(30, 60).unwrap();
        let lockout = RateLimitPolicy::new(2, 900).unwrap();
        let t0 = UnixMillis(1_000_000_000);
        store
            .hit_rate_limit("login:test:a@b.c", &lockout, t0)
            .await
            .unwrap();
        store
            .hit_rate_limit("login:test:a@b.c", &lockout, t0)
            .await
            .unwrap();
        for i in 0..RATE_WINDOWS_BEFORE_SWEEP {
            store
                .hit_rate_limit(&format!("198.51.100.{i}"), &short, t0)
                .await
                .unwrap();
        }
        // Two minutes on, a token request sweeps: the 60 s windows go, the lockout stays.
        store
            .hit_rate_limit("203.0.113.1", &short, t0 + Duration::from_secs(120))
            .await
            .unwrap();
        assert!(store.rate_windows.lock().unwrap().len() < 10);
        let locked = store
            .hit_rate_limit("login:test:a@b.c", &lockout, t0 + Duration::from_secs(120))
            .await
            .unwrap();
        assert!(!locked.allowed, "the lockout survived the sweep");
    }
}
