//! The embedded store: everything in process memory, behind locks. Records loaded from a
//! catalog are here; rate-limit windows in `rate_limits.rs`; refresh tokens, their families
//! and authorization codes in `tokens.rs`, under one lock so that redeeming a code and starting
//! its family is one step.

mod administration;
mod catalog;
mod rate_limits;
mod revocations;
mod sign_ins;
mod status_lists;
mod tokens;

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use async_trait::async_trait;

use super::{Clients, Customers, Import, StoreError, Users};
use gatehouse_core::model::{
    email_key, Application, Catalog, Customer, CustomerGroup, Market, Mode, StockLocation, User,
};
use gatehouse_core::scope::ResourceRef;

#[derive(Default)]
struct Records {
    applications: HashMap<String, Application>,
    markets: HashMap<String, Market>,
    stock_locations: HashMap<String, StockLocation>,
    customer_groups: HashMap<(Mode, String), CustomerGroup>,
    /// By environment and id.
    customers: HashMap<(Mode, String), Customer>,
    /// By environment and id.
    users: HashMap<(Mode, String), User>,
    /// The catalog, by id (ids are unique across both environments), and its lists.
    catalog: catalog::Catalog,
    /// Administrative changes, oldest first.
    audit: Vec<super::AuditRecord>,
    /// The records of administrative changes' requests, by name.
    requests: HashMap<String, super::ReplayRecord>,
}

#[derive(Default)]
pub struct MemoryStore {
    records: RwLock<Records>,
    /// Per client key and policy: accepted request times still in the window.
    rate_windows: rate_limits::RateWindows,
    /// Held by each sign-in step, so that both of an account's windows are decided together.
    sign_ins: Mutex<()>,
    tokens: Mutex<tokens::TokenTable>,
}

impl MemoryStore {
    pub fn from_catalog(catalog: &Catalog) -> Self {
        Self::holding(catalog.clone())
    }

    /// A store holding `catalog`'s records, moved in: a large catalog is never held twice.
    pub fn holding(catalog: Catalog) -> Self {
        let store = Self::default();
        store.load(catalog);
        store
    }

    fn records(&self) -> std::sync::RwLockReadGuard<'_, Records> {
        self.records.read().unwrap_or_else(|e| e.into_inner())
    }

    fn records_mut(&self) -> std::sync::RwLockWriteGuard<'_, Records> {
        self.records.write().unwrap_or_else(|e| e.into_inner())
    }

    fn load(&self, catalog: Catalog) {
        let mut records = self.records_mut();
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
        let markets: Vec<Market> = records.markets.values().cloned().collect();
        records.catalog = catalog::Catalog::of(
            catalog.skus,
            catalog.prices,
            catalog.stock_items,
            catalog.price_lists,
            &markets,
        );
        for user in &catalog.users {
            records.users.retain(|(_, id), _| *id != user.id);
            records
                .users
                .insert((user.mode, user.id.clone()), user.clone());
        }
    }
}

#[async_trait]
impl Clients for MemoryStore {
    async fn find_application(&self, client_id: &str) -> Result<Option<Application>, StoreError> {
        Ok(self.records().applications.get(client_id).cloned())
    }

    async fn find_markets(
        &self,
        mode: Mode,
        refs: &[ResourceRef],
    ) -> Result<Vec<Market>, StoreError> {
        let records = self.records();
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
        let records = self.records();
        Ok(records
            .stock_locations
            .values()
            .filter(|l| l.mode == mode && refs.iter().any(|r| r.matches_stock_location(l)))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl Customers for MemoryStore {
    async fn find_customer_by_email(
        &self,
        mode: Mode,
        email: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let records = self.records();
        let key = email_key(email);
        Ok(records
            .customers
            .values()
            .find(|c| c.mode == mode && email_key(&c.email) == key)
            .cloned())
    }

    async fn find_customer(&self, mode: Mode, id: &str) -> Result<Option<Customer>, StoreError> {
        let records = self.records();
        Ok(records.customers.get(&(mode, id.to_owned())).cloned())
    }

    async fn find_customer_group(
        &self,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CustomerGroup>, StoreError> {
        let records = self.records();
        Ok(records.customer_groups.get(&(mode, id.to_owned())).cloned())
    }
}

#[async_trait]
impl Users for MemoryStore {
    async fn find_user_by_email(
        &self,
        mode: Mode,
        email: &str,
    ) -> Result<Option<User>, StoreError> {
        let key = email_key(email);
        Ok(self
            .records()
            .users
            .values()
            .find(|u| u.mode == mode && email_key(&u.email) == key)
            .cloned())
    }

    async fn find_user(&self, mode: Mode, id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.records().users.get(&(mode, id.to_owned())).cloned())
    }
}

#[async_trait]
impl Import for MemoryStore {
    async fn import(&self, catalog: &Catalog) -> Result<(), StoreError> {
        self.load(catalog.clone());
        Ok(())
    }
}
