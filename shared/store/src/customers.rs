//! Customers (who log in through a sales channel with the password grant) and their groups.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::model::{Customer, CustomerGroup, Mode};

#[async_trait]
pub trait Customers: Send + Sync {
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
}
