//! What a handler knows about a request and the request line should say: put into the
//! response's extensions, read by [`super::Observer::observe`]. Only bounded, non-secret
//! values: never a secret, password, code, token or a hash of one.

use lambda_http::{Body, Response};

use gatehouse_core::grant::GrantType;
use gatehouse_core::model::ApplicationKind;

/// Which limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The per-address limit of `POST /oauth/token`.
    TokenRequests,
    /// The per-address limit of `POST /oauth/revoke`.
    RevokeRequests,
    /// The per-address limit of sign-in attempts on `POST /oauth/authorize`.
    SignInRequests,
    /// The per-token limit of the resource API (`GET /api/...`).
    ApiRequests,
    /// The per-account limit of failed sign-ins and password grants.
    SignIn,
    /// The bound on password hashing: no argon2 run could start within its deadline.
    PasswordHashing,
}

impl Limit {
    pub const ALL: [Limit; 6] = [
        Limit::TokenRequests,
        Limit::RevokeRequests,
        Limit::SignInRequests,
        Limit::ApiRequests,
        Limit::SignIn,
        Limit::PasswordHashing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Limit::TokenRequests => "token_requests",
            Limit::RevokeRequests => "revoke_requests",
            Limit::SignInRequests => "sign_in_requests",
            Limit::ApiRequests => "api_requests",
            Limit::SignIn => "sign_in",
            Limit::PasswordHashing => "password_hashing",
        }
    }
}

/// A fault of ours behind a 5xx answer, counted apart from refusals so that an alarm can tell
/// storage trouble from a signing failure whatever error code the protocol's writer chose
/// (`temporarily_unavailable` for OAuth, `SERVICE_UNAVAILABLE` for JSON:API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// DynamoDB did not answer in time, threw, or throttled past the SDK's retries (a 503).
    StorageUnavailable,
    /// A stored item could not be read as what it should be (a 500).
    StorageCorrupt,
    /// The signing key refused to sign an access token (a 500).
    Signing,
}

impl Fault {
    pub const ALL: [Fault; 3] = [
        Fault::StorageUnavailable,
        Fault::StorageCorrupt,
        Fault::Signing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Fault::StorageUnavailable => "storage_unavailable",
            Fault::StorageCorrupt => "storage_corrupt",
            Fault::Signing => "signing",
        }
    }

    /// The fault behind a storage error: the one mapping, for every protocol's error writer.
    pub fn of_storage(error: &gatehouse_store::StoreError) -> Self {
        match error {
            gatehouse_store::StoreError::Unavailable(_) => Fault::StorageUnavailable,
            gatehouse_store::StoreError::Corrupt { .. } => Fault::StorageCorrupt,
        }
    }
}

/// Facts about one request, each set by the code that learns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// The grant the request asked for, when it named a known one.
    pub grant: Option<GrantType>,
    /// The client id of an application storage found (never the raw input, which could be
    /// anything a client pasted, a secret included).
    pub client_id: Option<String>,
    pub kind: Option<ApplicationKind>,
    /// The error code of a refusal (`invalid_grant`, `invalid_token`, ...).
    pub error: Option<String>,
    /// A token response was sent.
    pub token_issued: bool,
    /// The request was refused by this limit.
    pub rate_limited: Option<Limit>,
    /// The fault of ours the request failed on.
    pub fault: Option<Fault>,
}

impl RequestFacts {
    /// The facts already in `response`, created empty when there are none yet.
    pub fn of(response: &mut Response<Body>) -> &mut RequestFacts {
        response.extensions_mut().get_or_insert_default()
    }

    /// Records the application a request came from.
    pub fn client(&mut self, client_id: &str, kind: ApplicationKind) -> &mut Self {
        self.client_id = Some(client_id.to_owned());
        self.kind = Some(kind);
        self
    }

    /// Records the error code of a refusal, keeping one set before.
    pub fn refused(&mut self, error: impl Into<String>) -> &mut Self {
        self.error.get_or_insert_with(|| error.into());
        self
    }
}
