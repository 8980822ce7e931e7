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
        let email = format!("email#{}", email_key(email));
        self.find(key(user_partition(mode), email), user_from).await
    }

    async fn find_user(&self, mode: Mode, id: &str) -> Result<Option<User>, StoreError> {
        self.find(key(user_partition(mode), format!("id#{id}")), user_from)
            .await
    }
}
