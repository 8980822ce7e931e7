//! The sign-in protection's storage (see [`gatehouse_core::sign_in`] for the design and its numbers):
//! both windows of an account decided together, for customers and users alike, each step one
//! atomic write.

use async_trait::async_trait;

use super::StoreError;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::model::{AuthorizationCodeRecord, RefreshTokenRecord};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::sign_in::{SignInCheck, SignInKeys, SignInPolicy, SignInWindow};

/// What a sign-in with the right password stores: a customer's first refresh token (the
/// password grant) or a user's authorization code (the sign-in page).
#[derive(Clone, Copy, Debug)]
pub enum SignInGrant<'a> {
    RefreshToken(&'a RefreshTokenRecord),
    AuthorizationCode(&'a AuthorizationCodeRecord),
}

/// The two windows of an attempt, with their keys and policies: the address's first (the
/// order every DynamoDB transaction names them in).
pub(crate) fn windows<'a>(
    keys: &'a SignInKeys,
    policy: &'a SignInPolicy,
) -> [(SignInWindow, &'a str, &'a RateLimitPolicy); 2] {
    [
        (SignInWindow::FromAddress, &keys.from_address),
        (SignInWindow::Account, &keys.account),
    ]
    .map(|(which, key)| (which, key.as_str(), policy.window(which)))
}

#[async_trait]
pub trait SignIns: Send + Sync {
    /// A failed attempt (a wrong password, an unknown email): counted in both of the account's
    /// windows at `now` when both have room, atomically; otherwise counted in neither, and the
    /// longer hold is reported.
    async fn count_failed_sign_in(
        &self,
        keys: &SignInKeys,
        policy: &SignInPolicy,
        now: UnixMillis,
    ) -> Result<SignInCheck, StoreError>;

    /// An attempt with the right password: when both windows have room at `now`, stores
    /// `grant` and forgets the failures from this address counted at or before `now` (later
    /// ones, counted by requests that ran alongside, stay), atomically; otherwise stores
    /// nothing and reports the longer hold.
    async fn complete_sign_in(
        &self,
        keys: &SignInKeys,
        policy: &SignInPolicy,
        grant: SignInGrant<'_>,
        now: UnixMillis,
    ) -> Result<SignInCheck, StoreError>;
}
