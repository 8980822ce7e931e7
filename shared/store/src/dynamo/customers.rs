//! [`Customers`] on DynamoDB: each customer is stored under its email and under its id.

use async_trait::async_trait;

use super::items::*;
use super::keys::*;
use super::DynamoStore;
use crate::{Customers, StoreError};
use gatehouse_core::model::{email_key, Customer, CustomerGroup, Mode};

#[async_trait]
impl Customers for DynamoStore {
    async fn find_customer_by_email(
        &self,
        mode: Mode,
        email: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let email = format!("email#{}", email_key(email));
        self.find(key(customer_partition(mode), email), customer_from)
            .await
    }

    async fn find_customer(&self, mode: Mode, id: &str) -> Result<Option<Customer>, StoreError> {
        let id = format!("id#{id}");
        self.find(key(customer_partition(mode), id), customer_from)
            .await
    }

    async fn find_customer_group(
        &self,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CustomerGroup>, StoreError> {
        let partition = format!("CUSTOMER_GROUP#{}", mode.as_str());
        self.find(key(partition, format!("id#{id}")), group_from)
            .await
    }
}
