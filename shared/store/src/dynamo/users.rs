//! [`Users`] on DynamoDB: each user is stored under its email and under its id.

use async_trait::async_trait;

use super::items::*;
use super::keys::*;
use super::DynamoStore;
use crate::{StoreError, Users};
use gatehouse_core::model::{email_key, Mode, User};

#[async_trait]
impl Users for DynamoStore {
    async fn find_user_by_email(
        &self,
        mode: Mode,
        email: &str,
    ) -> Result<Option<User>, StoreError> {
        let item = self
            .get(key(
                user_partition(mode),
                format!("email#{}", email_key(email)),
            ))
            .await?;
        item.as_ref().map(user_from).transpose()
    }

    async fn find_user(&self, mode: Mode, id: &str) -> Result<Option<User>, StoreError> {
        let item = self
            .get(key(user_partition(mode), format!("id#{id}")))
            .await?;
        item.as_ref().map(user_from).transpose()
    }
}
