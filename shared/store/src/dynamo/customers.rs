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
        let item = self
            .get(key(
                customer_partition(mode),
                format!("email#{}", email_key(email)),
            ))
            .await?;
        item.as_ref().map(customer_from).transpose()
    }

    async fn find_customer(&self, mode: Mode, id: &str) -> Result<Option<Customer>, StoreError> {
        let item = self
            .get(key(customer_partition(mode), format!("id#{id}")))
            .await?;
        item.as_ref().map(customer_from).transpose()
    }

    async fn find_customer_group(
        &self,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CustomerGroup>, StoreError> {
        let item = self
            .get(key(
                format!("CUSTOMER_GROUP#{}", mode.as_str()),
                format!("id#{id}"),
            ))
            .await?;
        item.as_ref().map(group_from).transpose()
    }
}
