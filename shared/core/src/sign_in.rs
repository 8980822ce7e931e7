//! The sign-in protection: one design for customers (the password grant) and organization users
//! (the sign-in page), so that guessing passwords is slow without letting anyone lock a real
//! user out from one address.
//!
//! A failed sign-in is counted in two sliding windows at once, atomically:
//! - **the account from this address** ([`SignInPolicy::from_address`], 5 failures in 15
//!   minutes by default; an IPv6 address by its /64): past it, that address is held off that
//!   account until its oldest failure leaves the window. One address guessing, or trying to lock
//!   an account, only ever holds itself off: the account's owner, elsewhere, signs in as usual.
//! - **the account from everywhere** ([`SignInPolicy::account`], 50 failures in an hour by
//!   default): the slower limit that stops a guesser spread over many addresses. Filling it
//!   takes at least `account / from_address` addresses (10 by default), and then holds every
//!   address off the account for what is left of the hour: the price of bounding guesses to 50
//!   an hour, 1,200 a day, per account.
//!
//! Both are windows, not locks: each admits again as its oldest failure leaves it, so a hold
//! ends by itself, and nothing needs an administrator. A failure is counted only while both
//! windows have room (a held attempt counts nowhere, so it cannot extend a hold), and an
//! attempt with the right password succeeds only while both have room (so a guesser cannot
//! learn the password during a hold), and then forgets this address's failures up to its time
//! (not the account's: the real user signing in must not give a spread-out guesser a fresh
//! allowance). Unknown emails are counted exactly like known ones, so a hold says nothing about
//! whether an account exists.
//!
//! OWASP's Authentication Cheat Sheet warns that "an attacker can abuse the lockout mechanism to
//! lock out legitimate users" and suggests locking per account *and* source; NIST SP 800-63B
//! §5.2.2 limits "consecutive failed authentication attempts on a single account to no more than
//! 100". Both windows are configurable (`GATEHOUSE_LOGIN_FAILURE_*` and
//! `GATEHOUSE_ACCOUNT_FAILURE_*`).

use crate::model::{email_key, Mode};
use crate::ratelimit::{RateLimitOutcome, RateLimitPolicy, RateLimitPolicyError};

/// Failures of one account from one address, by default.
pub const DEFAULT_FROM_ADDRESS_LIMIT: u32 = 5;
pub const DEFAULT_FROM_ADDRESS_WINDOW_SECONDS: u64 = 15 * 60;
/// Failures of one account from every address together, by default.
pub const DEFAULT_ACCOUNT_LIMIT: u32 = 50;
pub const DEFAULT_ACCOUNT_WINDOW_SECONDS: u64 = 60 * 60;
/// The largest limit of either window: on DynamoDB a failure is one transaction naming every
/// place of both windows, and it must stay within DynamoDB's 4 KB expression limit.
pub const MAX_SIGN_IN_LIMIT: u32 = 100;

/// The sign-in protection's two windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInPolicy {
    /// Failures of one account from one address.
    pub from_address: RateLimitPolicy,
    /// Failures of one account from every address.
    pub account: RateLimitPolicy,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self::new(
            (
                DEFAULT_FROM_ADDRESS_LIMIT,
                DEFAULT_FROM_ADDRESS_WINDOW_SECONDS,
            ),
            (DEFAULT_ACCOUNT_LIMIT, DEFAULT_ACCOUNT_WINDOW_SECONDS),
        )
        .expect("valid defaults")
    }
}

/// Which window of a [`SignInPolicy`] a setting or a hold is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInWindow {
    FromAddress,
    Account,
}

/// A window setting that is not valid: which window, whether its limit (else its length) is at
/// fault, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInPolicyError {
    pub window: SignInWindow,
    pub limit_at_fault: bool,
    pub reason: String,
}

impl SignInPolicy {
    /// Each window as (limit, seconds). A window is a rate-limit window (at most an hour), of
    /// at most [`MAX_SIGN_IN_LIMIT`] failures.
    pub fn new(from_address: (u32, u64), account: (u32, u64)) -> Result<Self, SignInPolicyError> {
        let window = |which, (limit, seconds): (u32, u64)| {
            if limit > MAX_SIGN_IN_LIMIT {
                return Err(SignInPolicyError {
                    window: which,
                    limit_at_fault: true,
                    reason: format!(
                        "a sign-in limit is at most {MAX_SIGN_IN_LIMIT} failures, got {limit}"
                    ),
                });
            }
            RateLimitPolicy::new(limit, seconds).map_err(|error| SignInPolicyError {
                window: which,
                limit_at_fault: matches!(error, RateLimitPolicyError::Limit(_)),
                reason: error.to_string(),
            })
        };
        Ok(Self {
            from_address: window(SignInWindow::FromAddress, from_address)?,
            account: window(SignInWindow::Account, account)?,
        })
    }

    pub fn window(&self, which: SignInWindow) -> &RateLimitPolicy {
        match which {
            SignInWindow::FromAddress => &self.from_address,
            SignInWindow::Account => &self.account,
        }
    }
}

/// Whose account: customers sign in at the token endpoint, users on the sign-in page. Their
/// emails are counted apart, as their accounts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    Customer,
    User,
}

/// The storage keys of one sign-in attempt's two windows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInKeys {
    pub from_address: String,
    pub account: String,
}

impl SignInKeys {
    /// The windows of `email`'s account in `mode`, for an attempt from `address` (the rate
    /// limit's client key: an IPv4 address, or an IPv6 /64).
    pub fn of(mode: Mode, kind: AccountKind, email: &str, address: &str) -> Self {
        let kind = match kind {
            AccountKind::Customer => "customer",
            AccountKind::User => "user",
        };
        let account = format!(
            "failed-sign-in:{}:{kind}:{}",
            mode.as_str(),
            email_key(email)
        );
        Self {
            from_address: format!("{account} from {address}"),
            account,
        }
    }
}

/// What the sign-in protection says of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInCheck {
    /// Both windows had room: the failure was counted, or the sign-in completed.
    Admitted,
    /// A window is full: nothing was counted or stored. The window, and when it next has room.
    Held {
        window: SignInWindow,
        outcome: RateLimitOutcome,
    },
}

impl SignInCheck {
    /// The hold of the two windows that lasts longer, if either holds.
    pub fn longest(holds: impl IntoIterator<Item = (SignInWindow, RateLimitOutcome)>) -> Self {
        holds
            .into_iter()
            .max_by_key(|(_, outcome)| outcome.reset_seconds)
            .map_or(SignInCheck::Admitted, |(window, outcome)| {
                SignInCheck::Held { window, outcome }
            })
    }

    /// What a held attempt is told, in a sentence; `None` when admitted.
    pub fn hold_message(&self) -> Option<String> {
        let SignInCheck::Held { window, outcome } = self else {
            return None;
        };
        let from = match window {
            SignInWindow::FromAddress => " from your network",
            SignInWindow::Account => "",
        };
        Some(format!(
            "too many failed sign-ins to this account{from}: try again in {} seconds",
            outcome.reset_seconds.max(1)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(window: SignInWindow, reset_seconds: u64) -> (SignInWindow, RateLimitOutcome) {
        (
            window,
            RateLimitOutcome {
                allowed: false,
                limit: 5,
                remaining: 0,
                reset_seconds,
                refused_until: None,
            },
        )
    }

    #[test]
    fn the_longer_hold_is_the_one_reported() {
        use SignInWindow::*;
        let cases = [
            (vec![], None),
            (vec![held(FromAddress, 30)], Some((FromAddress, 30))),
            (vec![held(Account, 90)], Some((Account, 90))),
            (
                vec![held(FromAddress, 30), held(Account, 90)],
                Some((Account, 90)),
            ),
            (
                vec![held(FromAddress, 300), held(Account, 90)],
                Some((FromAddress, 300)),
            ),
        ];
        for (holds, expected) in cases {
            let found = match SignInCheck::longest(holds.clone()) {
                SignInCheck::Admitted => None,
                SignInCheck::Held { window, outcome } => Some((window, outcome.reset_seconds)),
            };
            assert_eq!(found, expected, "{holds:?}");
        }
    }

    #[test]
    fn each_window_is_bounded_and_named_when_refused() {
        use SignInWindow::*;
        type Window = (u32, u64);
        /// The window at fault, and whether its limit (else its length) is.
        type AtFault = Option<(SignInWindow, bool)>;
        let cases: [(Window, Window, AtFault); 6] = [
            ((5, 900), (50, 3600), None),
            ((MAX_SIGN_IN_LIMIT, 60), (MAX_SIGN_IN_LIMIT, 3600), None),
            ((0, 900), (50, 3600), Some((FromAddress, true))),
            (
                (5, 900),
                (MAX_SIGN_IN_LIMIT + 1, 3600),
                Some((Account, true)),
            ),
            ((5, 3601), (50, 3600), Some((FromAddress, false))),
            ((5, 900), (50, 0), Some((Account, false))),
        ];
        for (from_address, account, refused) in cases {
            let result = SignInPolicy::new(from_address, account);
            assert_eq!(
                result.err().map(|e| (e.window, e.limit_at_fault)),
                refused,
                "{from_address:?} {account:?}"
            );
        }
    }

    #[test]
    fn keys_separate_environments_kinds_accounts_and_addresses_and_ignore_email_case() {
        let key = |mode, kind, email, address| SignInKeys::of(mode, kind, email, address);
        let base = key(
            Mode::Test,
            AccountKind::Customer,
            "Ann@Example.com",
            "192.0.2.1",
        );
        assert_eq!(
            base,
            key(
                Mode::Test,
                AccountKind::Customer,
                "ann@example.com",
                "192.0.2.1"
            )
        );
        for other in [
            key(
                Mode::Live,
                AccountKind::Customer,
                "ann@example.com",
                "192.0.2.1",
            ),
            key(
                Mode::Test,
                AccountKind::User,
                "ann@example.com",
                "192.0.2.1",
            ),
            key(
                Mode::Test,
                AccountKind::Customer,
                "bob@example.com",
                "192.0.2.1",
            ),
        ] {
            assert_ne!(base.account, other.account);
            assert_ne!(base.from_address, other.from_address);
        }
        let elsewhere = key(
            Mode::Test,
            AccountKind::Customer,
            "ann@example.com",
            "192.0.2.2",
        );
        assert_eq!(base.account, elsewhere.account);
        assert_ne!(base.from_address, elsewhere.from_address);
    }
}
