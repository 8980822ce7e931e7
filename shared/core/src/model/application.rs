//! What an application may do: the grants it may use and the secrets it authenticates with.

use super::{Application, ClientType};
use crate::clock::{UnixMillis, UnixSeconds};
use crate::grant::{kind_may_use_grant, GrantType};
use crate::secret::SecretHash;

/// A client secret replaced by a rotation, accepted until `valid_until` (exclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    pub hash: SecretHash,
    pub valid_until: UnixSeconds,
}

impl PreviousSecret {
    pub fn is_valid_at(&self, now: UnixMillis) -> bool {
        now.0 < self.valid_until.0.saturating_mul(1000)
    }
}

/// Hashed against when an application has no previous secret, so that checking a secret
/// costs the same whether or not one is kept.
fn no_previous_secret() -> SecretHash {
    SecretHash::of("")
}

impl Application {
    /// RFC 6749 §2.1's client type: confidential when the application holds a secret, or
    /// when its kind needs one (an integration or webapp whose secret is missing is still
    /// confidential, and so authenticates with nothing).
    pub fn client_type(&self) -> ClientType {
        match (self.kind.needs_secret(), &self.client_secret_hash) {
            (true, _) | (false, Some(_)) => ClientType::Confidential,
            (false, None) => ClientType::Public,
        }
    }

    pub fn is_public(&self) -> bool {
        self.client_type() == ClientType::Public
    }

    /// May this application use `grant`? Its kind must allow it (docs/api.md's grant table), and so
    /// must its own `grant_types` when it set them. The JWT bearer grant only where its
    /// `jwt_bearer` setting turns it on, and only for a confidential client: an assertion names
    /// any customer, so only a client that proves who it is may present one.
    pub fn may_use_grant(&self, grant: GrantType) -> bool {
        let enabled = match grant {
            GrantType::JwtBearer => self.jwt_bearer.is_some() && !self.is_public(),
            GrantType::ClientCredentials
            | GrantType::Password
            | GrantType::AuthorizationCode
            | GrantType::RefreshToken => true,
        };
        enabled
            && kind_may_use_grant(self.kind, grant)
            && self
                .grant_types
                .as_ref()
                .is_none_or(|grants| grants.contains(&grant))
    }

    /// The grants this application may use, in [`GrantType::ALL`]'s order.
    pub fn grants(&self) -> Vec<GrantType> {
        GrantType::ALL
            .into_iter()
            .filter(|grant| self.may_use_grant(*grant))
            .collect()
    }

    /// Does `presented` match the current secret, or the previous one while it is valid at
    /// `now`? Both digests are always compared, in constant time, and the answers combined
    /// without short-circuit, so the time taken does not tell which one matched.
    pub fn secret_matches(&self, presented: &str, now: UnixMillis) -> bool {
        let current = self
            .client_secret_hash
            .as_ref()
            .is_some_and(|hash| hash.verify(presented));
        let previous = match &self.previous_client_secret {
            Some(previous) => previous.hash.verify(presented) & previous.is_valid_at(now),
            None => {
                std::hint::black_box(no_previous_secret().verify(presented));
                false
            }
        };
        current | previous
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApplicationKind, Mode};

    fn app(kind: ApplicationKind, grant_types: Option<Vec<GrantType>>) -> Application {
        Application {
            id: "app".into(),
            name: "App".into(),
            kind,
            mode: Mode::Test,
            client_id: "app".into(),
            client_secret_hash: Some(SecretHash::of("current-secret")),
            token_lifetime: None,
            redirect_uris: vec![],
            enabled: true,
            previous_client_secret: None,
            grant_types,
            jwt_bearer: None,
        }
    }

    #[test]
    fn an_application_uses_its_kinds_grants_narrowed_to_its_own_grant_types() {
        use ApplicationKind::*;
        use GrantType::*;
        let cases = [
            (
                SalesChannel,
                None,
                vec![ClientCredentials, Password, RefreshToken],
            ),
            (
                SalesChannel,
                Some(vec![Password, RefreshToken]),
                vec![Password, RefreshToken],
            ),
            (Integration, None, vec![ClientCredentials]),
            // A grant its kind does not allow stays refused, whatever it lists.
            (
                Integration,
                Some(vec![ClientCredentials, Password]),
                vec![ClientCredentials],
            ),
            (Webapp, None, vec![AuthorizationCode, RefreshToken]),
            (
                Webapp,
                Some(vec![AuthorizationCode]),
                vec![AuthorizationCode],
            ),
        ];
        for (kind, own, expected) in cases {
            assert_eq!(
                app(kind, own.clone()).grants(),
                expected,
                "{kind:?} {own:?}"
            );
        }
    }

    #[test]
    fn the_jwt_bearer_grant_needs_the_setting_and_a_confidential_client() {
        use crate::jwt_bearer::JwtBearer;
        use ApplicationKind::*;
        let cases = [
            (SalesChannel, true, Some(JwtBearer::CommerceLayer), true),
            (SalesChannel, false, Some(JwtBearer::CommerceLayer), false),
            (SalesChannel, true, None, false),
            (Integration, true, Some(JwtBearer::CommerceLayer), true),
            (Integration, true, None, false),
            (Webapp, true, Some(JwtBearer::CommerceLayer), true),
        ];
        for (kind, secret, setting, allowed) in cases {
            let mut application = app(kind, None);
            if !secret {
                application.client_secret_hash = None;
            }
            application.jwt_bearer = setting.clone();
            assert_eq!(
                application.may_use_grant(GrantType::JwtBearer),
                allowed,
                "{kind:?} secret={secret} {setting:?}"
            );
        }
    }

    #[test]
    fn the_previous_secret_is_accepted_only_before_its_valid_until() {
        let until = UnixSeconds(1_000);
        let mut application = app(ApplicationKind::Integration, None);
        application.previous_client_secret = Some(PreviousSecret {
            hash: SecretHash::of("old-secret"),
            valid_until: until,
        });
        let cases = [
            ("current-secret", UnixMillis(999_999), true),
            ("current-secret", UnixMillis(5_000_000), true),
            ("old-secret", UnixMillis(0), true),
            ("old-secret", UnixMillis(999_999), true),
            ("old-secret", UnixMillis(1_000_000), false),
            ("old-secret", UnixMillis(1_000_001), false),
            ("other-secret", UnixMillis(0), false),
            ("", UnixMillis(0), false),
        ];
        for (secret, now, accepted) in cases {
            assert_eq!(
                application.secret_matches(secret, now),
                accepted,
                "{secret} at {now:?}"
            );
        }
    }

    #[test]
    fn without_a_previous_secret_only_the_current_one_matches() {
        let application = app(ApplicationKind::Integration, None);
        assert!(application.secret_matches("current-secret", UnixMillis(0)));
        assert!(!application.secret_matches("", UnixMillis(0)));
        let public = Application {
            client_secret_hash: None,
            ..app(ApplicationKind::SalesChannel, None)
        };
        assert!(!public.secret_matches("", UnixMillis(0)));
    }
}
