//! Users: the organization's members, who sign in to webapps.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::model::{Mode, User};

#[async_trait]
pub trait Users: Send + Sync {
    /// A user of one environment by email, case-insensitively.
    async fn find_user_by_email(&self, mode: Mode, email: &str)
        -> Result<Option<User>, StoreError>;

    /// A user of one environment by id.
    async fn find_user(&self, mode: Mode, id: &str) -> Result<Option<User>, StoreError>;
}
