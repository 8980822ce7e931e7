//! The records Gatehouse keeps: applications, markets, stock locations, customers and refresh
//! tokens, each in one environment (`Mode`) of the deployment's one organization, and the
//! [`Catalog`] a seed loads.

use serde::{Deserialize, Serialize};

use crate::clock::UnixMillis;
use crate::lifetime::TokenLifetime;
use crate::secret::SecretHash;

/// The two fully separate environments of an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Test, Mode::Live];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }

    pub fn parse(value: &str) -> Option<Mode> {
        match value {
            "test" => Some(Mode::Test),
            "live" => Some(Mode::Live),
            _ => None,
        }
    }
}

/// The three kinds of API client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationKind {
    SalesChannel,
    Integration,
    Webapp,
}

impl ApplicationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationKind::SalesChannel => "sales_channel",
            ApplicationKind::Integration => "integration",
            ApplicationKind::Webapp => "webapp",
        }
    }

    pub fn parse(value: &str) -> Option<ApplicationKind> {
        match value {
            "sales_channel" => Some(ApplicationKind::SalesChannel),
            "integration" => Some(ApplicationKind::Integration),
            "webapp" => Some(ApplicationKind::Webapp),
            _ => None,
        }
    }

    /// RFC 6749 §2.1 client types. Sales channels run in browsers and apps, where no secret
    /// stays secret, so they are public; the other kinds are confidential.
    pub fn client_type(self) -> ClientType {
        match self {
            ApplicationKind::SalesChannel => ClientType::Public,
            ApplicationKind::Integration | ApplicationKind::Webapp => ClientType::Confidential,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    /// Authenticates with its client_id alone and has no secret.
    Public,
    /// Must authenticate with its client_secret.
    Confidential,
}

/// The one organization a deployment serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub slug: String,
}

/// An API client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub kind: ApplicationKind,
    pub mode: Mode,
    pub client_id: String,
    /// Present exactly when the kind is confidential.
    pub client_secret_hash: Option<SecretHash>,
    /// The application's own access-token lifetime, when it set one.
    pub token_lifetime: Option<TokenLifetime>,
    pub redirect_uris: Vec<String>,
}

impl Application {
    pub fn is_public(&self) -> bool {
        self.kind.client_type() == ClientType::Public
    }
}

/// A market, with the ids and numbers of its stock locations resolved at load time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Market {
    pub id: String,
    pub number: u64,
    pub code: String,
    pub name: String,
    pub mode: Mode,
    pub active: bool,
    pub price_list_id: String,
    pub stock_location_ids: Vec<String>,
    pub stock_location_numbers: Vec<u64>,
    /// A market tied to a customer group is private to that group.
    pub customer_group_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLocation {
    pub id: String,
    pub number: u64,
    pub code: String,
    pub name: String,
    pub mode: Mode,
}

/// A customer group: markets tied to one are private to its customers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerGroup {
    pub id: String,
    pub name: String,
    pub mode: Mode,
}

/// A shopper who logs in through a sales channel with the password grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub mode: Mode,
    /// As registered. Lookups use [`email_key`], so emails match case-insensitively.
    pub email: String,
    pub password_hash: crate::password::PasswordHash,
    pub customer_group_id: Option<String>,
}

/// The longest email address accepted (RFC 5321's path limit), in seeds and at login.
pub const MAX_EMAIL_LENGTH: usize = 254;

/// The form an email is looked up by: trimmed and lowercased, so that `Alice@Example.com` and
/// `alice@example.com` are one customer.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What the stores keep, from a valid seed ([`crate::seed::parse_seed`]). Collections not yet
/// served by any endpoint (price lists, SKUs, prices, stock items) are checked by the seed but
/// not carried here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub organization: Organization,
    pub applications: Vec<Application>,
    pub markets: Vec<Market>,
    pub stock_locations: Vec<StockLocation>,
    pub customer_groups: Vec<CustomerGroup>,
    /// Passwords hashed with argon2id.
    pub customers: Vec<Customer>,
    /// Passwords hashed with argon2id.
    pub users: Vec<User>,
}

/// Who a token acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OwnerType {
    Customer,
    User,
}

impl OwnerType {
    /// The response's `owner_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerType::Customer => "customer",
            OwnerType::User => "user",
        }
    }

    /// The JWT's `owner.type`.
    pub fn claim_name(self) -> &'static str {
        match self {
            OwnerType::Customer => "Customer",
            OwnerType::User => "User",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "customer" => Some(OwnerType::Customer),
            "user" => Some(OwnerType::User),
            _ => None,
        }
    }
}

/// A refresh token as stored: only its hash, bound to an application, an owner, an
/// environment and the scope of the original grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub token_hash: crate::secret::SecretHash,
    /// Every token rotated from one original grant shares its family.
    pub family_id: String,
    pub application_id: String,
    pub client_id: String,
    pub mode: Mode,
    pub owner_id: String,
    pub owner_type: OwnerType,
    /// The scope of the original grant: its market (by id) and stock locations (by id).
    pub market_id: Option<String>,
    pub stock_location_ids: Vec<String>,
    pub issued_at: UnixMillis,
    pub expires_at: UnixMillis,
    /// When it was exchanged for its successor.
    pub consumed_at: Option<UnixMillis>,
}

/// What a presented refresh token turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenState {
    pub record: RefreshTokenRecord,
    /// The family was revoked: by reuse detection or by `POST /oauth/revoke`.
    pub family_revoked: bool,
}

impl RefreshTokenState {
    /// May this token be exchanged, at `now`, for a successor of `family_id`? Only once,
    /// before it expires, while its family stands, and within its own family.
    pub fn can_rotate_into(&self, family_id: &str, now: UnixMillis) -> bool {
        self.record.consumed_at.is_none()
            && !self.family_revoked
            && self.record.expires_at > now
            && self.record.family_id == family_id
    }
}

/// A member of the organization, who signs in to webapps (the authorization code grant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub mode: Mode,
    /// As registered. Lookups use [`email_key`], so emails match case-insensitively.
    pub email: String,
    pub name: Option<String>,
    pub password_hash: crate::password::PasswordHash,
}

/// An authorization code (RFC 6749 §4.1.2), stored only as the hash of its value and bound to
/// everything its redemption must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationCodeRecord {
    pub code_hash: crate::secret::SecretHash,
    pub application_id: String,
    pub client_id: String,
    pub mode: Mode,
    pub user_id: String,
    /// The `redirect_uri` of the authorization request, which the token request must repeat.
    pub redirect_uri: String,
    /// The approved scope: its market (by id) and stock locations (by id), none for all.
    pub market_id: Option<String>,
    pub stock_location_ids: Vec<String>,
    /// The S256 PKCE challenge (RFC 7636), when the request sent one.
    pub code_challenge: Option<String>,
    /// The refresh-token family its redemption starts, so that a second use can revoke it.
    pub family_id: String,
    pub issued_at: UnixMillis,
    pub expires_at: UnixMillis,
    pub consumed_at: Option<UnixMillis>,
}

/// Why an authorization code cannot be exchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Used before: a replay, so every token issued from it is revoked.
    AlreadyUsed,
    Expired,
    /// Issued to another client.
    OtherClient,
    /// The token request's `redirect_uri` is not the authorization request's.
    RedirectUriMismatch,
    /// The code has a PKCE challenge and the token request sent no `code_verifier`.
    VerifierMissing,
    /// A `code_verifier` for a code that was issued without a challenge: a PKCE downgrade.
    VerifierWithoutChallenge,
    /// The `code_verifier` does not match the challenge.
    VerifierMismatch,
}

/// What a token request presents with a code.
#[derive(Clone, Copy, Debug)]
pub struct CodePresentation<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    /// The S256 challenge computed from the `code_verifier` sent, if one was sent.
    pub verifier_challenge: Option<&'a str>,
}

impl AuthorizationCodeRecord {
    /// Why `presented` may not exchange this code at `now`, in the order the checks are made
    /// (a replay is recognised first, whoever presents it); `None` when it may.
    pub fn refusal(
        &self,
        presented: &CodePresentation<'_>,
        now: UnixMillis,
    ) -> Option<CodeRefusal> {
        use crate::secret::constant_time_eq;
        if self.consumed_at.is_some() {
            return Some(CodeRefusal::AlreadyUsed);
        }
        if self.expires_at <= now {
            return Some(CodeRefusal::Expired);
        }
        // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
        // confidential client" and that redirect_uri is "identical" to the request's.
        if self.client_id != presented.client_id {
            return Some(CodeRefusal::OtherClient);
        }
        if self.redirect_uri != presented.redirect_uri {
            return Some(CodeRefusal::RedirectUriMismatch);
        }
        match (&self.code_challenge, presented.verifier_challenge) {
            (None, None) => None,
            (Some(_), None) => Some(CodeRefusal::VerifierMissing),
            (None, Some(_)) => Some(CodeRefusal::VerifierWithoutChallenge),
            (Some(expected), Some(computed)) => {
                (!constant_time_eq(expected.as_bytes(), computed.as_bytes()))
                    .then_some(CodeRefusal::VerifierMismatch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretHash;

    fn code(challenge: Option<&str>) -> AuthorizationCodeRecord {
        AuthorizationCodeRecord {
            code_hash: SecretHash::of("code"),
            application_id: "app_webapp".into(),
            client_id: "webapp".into(),
            mode: Mode::Test,
            user_id: "usr_1".into(),
            redirect_uri: "https://app.example/cb".into(),
            market_id: None,
            stock_location_ids: vec![],
            code_challenge: challenge.map(str::to_owned),
            family_id: "family".into(),
            issued_at: UnixMillis(1_000),
            expires_at: UnixMillis(601_000),
            consumed_at: None,
        }
    }

    #[test]
    fn a_code_is_refused_for_the_first_binding_it_breaks() {
        let used = AuthorizationCodeRecord {
            consumed_at: Some(UnixMillis(2_000)),
            ..code(None)
        };
        let ok = CodePresentation {
            client_id: "webapp",
            redirect_uri: "https://app.example/cb",
            verifier_challenge: None,
        };
        let with = |challenge| CodePresentation {
            verifier_challenge: Some(challenge),
            ..ok
        };
        let now = UnixMillis(5_000);
        let cases: [(
            &AuthorizationCodeRecord,
            CodePresentation,
            UnixMillis,
            Option<CodeRefusal>,
        ); 11] = [
            (&code(None), ok, now, None),
            (&code(Some("c")), with("c"), now, None),
            (&used, ok, now, Some(CodeRefusal::AlreadyUsed)),
            (
                &used,
                CodePresentation {
                    client_id: "other",
                    ..ok
                },
                now,
                Some(CodeRefusal::AlreadyUsed),
            ),
            (
                &code(None),
                ok,
                UnixMillis(601_000),
                Some(CodeRefusal::Expired),
            ),
            (&code(None), ok, UnixMillis(600_999), None),
            (
                &code(None),
                CodePresentation {
                    client_id: "other",
                    ..ok
                },
                now,
                Some(CodeRefusal::OtherClient),
            ),
            (
                &code(None),
                CodePresentation {
                    redirect_uri: "https://app.example/cb/",
                    ..ok
                },
                now,
                Some(CodeRefusal::RedirectUriMismatch),
            ),
            (
                &code(Some("c")),
                ok,
                now,
                Some(CodeRefusal::VerifierMissing),
            ),
            (
                &code(None),
                with("c"),
                now,
                Some(CodeRefusal::VerifierWithoutChallenge),
            ),
            (
                &code(Some("c")),
                with("d"),
                now,
                Some(CodeRefusal::VerifierMismatch),
            ),
        ];
        for (i, (record, presented, at, refusal)) in cases.iter().enumerate() {
            assert_eq!(record.refusal(presented, *at), *refusal, "case {i}");
        }
    }
}
