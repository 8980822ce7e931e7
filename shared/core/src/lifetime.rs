//! How long tokens live.

use std::fmt;

/// The shortest access-token lifetime an application may choose, in seconds (2 hours).
pub const MIN_CUSTOM_LIFETIME: u32 = 7_200;
/// The longest access-token lifetime an application may choose, in seconds (365 days).
pub const MAX_CUSTOM_LIFETIME: u32 = 31_536_000;
/// Refresh tokens live 14 days, whatever the application.
pub const REFRESH_TOKEN_LIFETIME: u32 = 14 * 24 * 3600;
/// Authorization codes live 10 minutes and are single use.
pub const AUTHORIZATION_CODE_LIFETIME: u32 = 600;

use crate::kind::ApplicationKind;

/// An application's own access-token lifetime: only constructible within
/// `MIN_CUSTOM_LIFETIME..=MAX_CUSTOM_LIFETIME`, so an out-of-range value cannot be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenLifetime(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token_lifetime must be a whole number of seconds from {MIN_CUSTOM_LIFETIME} to {MAX_CUSTOM_LIFETIME}, got {0}")]
pub struct LifetimeOutOfRange(pub String);

impl TokenLifetime {
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for TokenLifetime {
    type Error = LifetimeOutOfRange;

    fn try_from(seconds: i64) -> Result<Self, Self::Error> {
        match u32::try_from(seconds) {
            Ok(s) if (MIN_CUSTOM_LIFETIME..=MAX_CUSTOM_LIFETIME).contains(&s) => Ok(Self(s)),
            _ => Err(LifetimeOutOfRange(seconds.to_string())),
        }
    }
}

impl fmt::Display for TokenLifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Access-token lifetime when the application sets none.
pub fn default_access_token_lifetime(kind: ApplicationKind) -> u32 {
    match kind {
        ApplicationKind::SalesChannel => 14_400,
        ApplicationKind::Integration => 7_200,
        ApplicationKind::Webapp => 7_200,
    }
}

/// The lifetime of the access tokens issued to an application.
pub fn access_token_lifetime(kind: ApplicationKind, custom: Option<TokenLifetime>) -> u32 {
    match custom {
        Some(lifetime) => lifetime.seconds(),
        None => default_access_token_lifetime(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationKind::*;

    #[test]
    fn each_kind_has_its_contract_default() {
        for (kind, expected) in [
            (SalesChannel, 14_400),
            (Integration, 7_200),
            (Webapp, 7_200),
        ] {
            assert_eq!(access_token_lifetime(kind, None), expected, "{kind:?}");
        }
    }

    #[test]
    fn custom_lifetimes_are_accepted_only_from_7200_to_31536000_inclusive() {
        let cases: [(i64, bool); 9] = [
            (-1, false),
            (0, false),
            (7_199, false),
            (7_200, true),
            (14_400, true),
            (31_536_000, true),
            (31_536_001, false),
            (i64::from(u32::MAX) + 1, false),
            (i64::MAX, false),
        ];
        for (seconds, accepted) in cases {
            assert_eq!(
                TokenLifetime::try_from(seconds).is_ok(),
                accepted,
                "{seconds}"
            );
        }
    }

    #[test]
    fn a_custom_lifetime_overrides_the_kind_default() {
        let custom = TokenLifetime::try_from(86_400).unwrap();
        for kind in [SalesChannel, Integration, Webapp] {
            assert_eq!(access_token_lifetime(kind, Some(custom)), 86_400);
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn kind() -> impl Strategy<Value = ApplicationKind> {
            prop::sample::select(vec![SalesChannel, Integration, Webapp])
        }

        fn outside_the_range() -> impl Strategy<Value = i64> {
            prop_oneof![
                i64::MIN..i64::from(MIN_CUSTOM_LIFETIME),
                i64::from(MAX_CUSTOM_LIFETIME) + 1..=i64::MAX,
                // At and near the edges, where an off-by-one would show.
                Just(i64::from(MIN_CUSTOM_LIFETIME) - 1),
                Just(i64::from(MAX_CUSTOM_LIFETIME) + 1),
                i64::from(MIN_CUSTOM_LIFETIME) - 100..i64::from(MIN_CUSTOM_LIFETIME),
                i64::from(MAX_CUSTOM_LIFETIME) + 1..=i64::from(MAX_CUSTOM_LIFETIME) + 100,
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn every_lifetime_in_the_range_is_accepted_and_is_the_one_tokens_get(
                seconds in prop_oneof![
                    Just(i64::from(MIN_CUSTOM_LIFETIME)),
                    Just(i64::from(MAX_CUSTOM_LIFETIME)),
                    i64::from(MIN_CUSTOM_LIFETIME)..=i64::from(MAX_CUSTOM_LIFETIME),
                ],
                kind in kind(),
            ) {
                let lifetime = TokenLifetime::try_from(seconds).unwrap();
                prop_assert_eq!(i64::from(access_token_lifetime(kind, Some(lifetime))), seconds);
            }

            #[test]
            fn every_lifetime_outside_the_range_is_refused_naming_the_value(
                seconds in outside_the_range(),
            ) {
                let refused = TokenLifetime::try_from(seconds).unwrap_err();
                prop_assert_eq!(refused, LifetimeOutOfRange(seconds.to_string()));
            }
        }

        #[test]
        fn each_kinds_default_is_a_lifetime_an_application_could_also_set() {
            for kind in [SalesChannel, Integration, Webapp] {
                let default = default_access_token_lifetime(kind);
                let chosen = TokenLifetime::try_from(i64::from(default)).unwrap();
                assert_eq!(
                    access_token_lifetime(kind, Some(chosen)),
                    default,
                    "{kind:?}"
                );
            }
        }
    }
}
