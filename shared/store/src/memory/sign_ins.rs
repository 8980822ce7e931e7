//! [`SignIns`] on the embedded store: both of an account's windows are read and written under
//! one lock, so that each step is atomic, as on DynamoDB.

use async_trait::async_trait;

use super::MemoryStore;
use crate::sign_ins::windows;
use crate::{SignInGrant, SignIns, StoreError};
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::sign_in::{SignInCheck, SignInKeys, SignInPolicy};

impl MemoryStore {
    /// The holds of `keys`' two windows at `now`, under the sign-in lock the caller holds.
    fn sign_in_holds(
        &self,
        keys: &SignInKeys,
        policy: &SignInPolicy,
        now: UnixMillis,
    ) -> SignInCheck {
        let held = |(which, key, window)| Some((which, self.rate_windows.held(key, window, now)?));
        SignInCheck::longest(windows(keys, policy).into_iter().filter_map(held))
    }
}

#[async_trait]
impl SignIns for MemoryStore {
    async fn count_failed_sign_in(
        &self,
        keys: &SignInKeys,
        policy: &SignInPolicy,
        now: UnixMillis,
    ) -> Result<SignInCheck, StoreError> {
        let _one_step = self.sign_ins.lock().unwrap_or_else(|e| e.into_inner());
        let check = self.sign_in_holds(keys, policy, now);
        if check == SignInCheck::Admitted {
            self.rate_windows
                .count(&keys.from_address, &policy.from_address, now);
            self.rate_windows.count(&keys.account, &policy.account, now);
        }
        Ok(check)
    }

    async fn complete_sign_in(
        &self,
        keys: &SignInKeys,
        policy: &SignInPolicy,
        grant: SignInGrant<'_>,
        now: UnixMillis,
    ) -> Result<SignInCheck, StoreError> {
        let _one_step = self.sign_ins.lock().unwrap_or_else(|e| e.into_inner());
        let check = self.sign_in_holds(keys, policy, now);
        if check == SignInCheck::Admitted {
            match grant {
                SignInGrant::RefreshToken(record) => self.tokens().start_family(record),
                SignInGrant::AuthorizationCode(record) => self.tokens().add_code(record),
            }
            self.rate_windows
                .forget(&keys.from_address, &policy.from_address, now);
        }
        Ok(check)
    }
}
