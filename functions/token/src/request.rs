//! A token request, read once into types: the grant with its own fields, and an already-valid
//! scope. [`Incoming::admit`] is the one place that says in which order a request's errors are
//! reported.

use gatehouse_core::clock::UnixMillis;
use gatehouse_core::grant::{kind_may_use_grant, GrantType};
use gatehouse_core::input::echo_input;
use gatehouse_core::model::MAX_EMAIL_LENGTH;
use gatehouse_core::pkce::s256_challenge;
use gatehouse_core::scope::{parse_scope, ResourceRef, ScopeError, ScopeRequest};
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::oauth_request::{
    authenticate, lookup_id, parse_oauth_request, OAuthRequest, Params, TOKEN_PARAMETERS,
};
use gatehouse_edge::observe::RequestFacts;
use gatehouse_store::{ClientWithScope, StoreError};
use lambda_http::Request;

use crate::grants::invalid_scope;
use crate::prefetch::PrefetchKey;

/// A grant with the fields it needs, each present. Its Debug form names the grant only: the
/// fields are a password, a refresh token or a code.
#[derive(PartialEq, Eq)]
pub enum Grant {
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3: a customer's email (`username`) and password.
    Password { username: String, password: String },
    /// RFC 6749 §6.
    RefreshToken { refresh_token: String },
    /// RFC 6749 §4.1.3, with PKCE (RFC 7636 §4.5).
    AuthorizationCode {
        code: String,
        redirect_uri: String,
        /// The S256 challenge of the `code_verifier` sent, if one was sent.
        verifier_challenge: Option<String>,
    },
    /// RFC 7523 §2.1.
    JwtBearer { assertion: String },
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Grant::ClientCredentials => "ClientCredentials",
            Grant::Password { .. } => "Password",
            Grant::RefreshToken { .. } => "RefreshToken",
            Grant::AuthorizationCode { .. } => "AuthorizationCode",
            Grant::JwtBearer { .. } => "JwtBearer",
        };
        write!(f, "{name}(..)")
    }
}

impl Grant {
    /// The fields of `grant` from the request's parameters.
    fn read(grant: GrantType, params: &Params) -> Result<Self, ApiError> {
        let required = |name: &'static str| {
            params
                .get(name)
                .map(str::to_owned)
                .ok_or_else(|| ApiError::invalid_request(format!("{name} is required")))
        };
        match grant {
            GrantType::ClientCredentials => Ok(Self::ClientCredentials),
            GrantType::Password => Ok(Self::Password {
                username: required("username")?,
                password: required("password")?,
            }),
            GrantType::RefreshToken => Ok(Self::RefreshToken {
                refresh_token: required("refresh_token")?,
            }),
            GrantType::AuthorizationCode => Ok(Self::AuthorizationCode {
                code: required("code")?,
                redirect_uri: required("redirect_uri")?,
                verifier_challenge: params
                    .get("code_verifier")
                    .map(s256_challenge)
                    .transpose()
                    .map_err(|error| ApiError::invalid_request(error.to_string()))?,
            }),
            GrantType::JwtBearer => Ok(Self::JwtBearer {
                assertion: required("assertion")?,
            }),
        }
    }
}

/// A request that passed every check common to all grants.
#[derive(Debug)]
pub struct TokenRequest {
    /// The authenticated client, with the scope records its request named.
    pub client: ClientWithScope,
    pub grant: Grant,
    /// Syntactically valid; whether it may be granted is each grant's rule.
    pub scope: ScopeRequest,
}

/// What is read from a request before storage is asked, so that the client and its scope
/// records are fetched in the same round trip as the rate-limit count. Nothing is reported
/// yet: errors wait for [`Incoming::admit`], which reports them in the contract's order.
pub struct Incoming {
    request: Result<OAuthRequest, ApiError>,
    scope: Result<ScopeRequest, ScopeError>,
}

impl Incoming {
    pub fn read(request: &Request) -> Self {
        let request = parse_oauth_request(request, TOKEN_PARAMETERS);
        let scope = match &request {
            Ok(request) => parse_scope(request.params.get("scope")),
            Err(_) => Ok(ScopeRequest::default()),
        };
        Self { request, scope }
    }

    /// The client id to look up, with the markets and stock locations its scope names (none
    /// when the scope does not parse), when the request names a client at all.
    pub fn lookup(&self) -> Option<(&str, &[ResourceRef], &[ResourceRef])> {
        let id = lookup_id(&self.request.as_ref().ok()?.credentials)?;
        Some(match &self.scope {
            Ok(scope) => (id, &scope.markets[..], &scope.stock_locations[..]),
            Err(_) => (id, &[][..], &[][..]),
        })
    }

    /// What the grant may read before the client is known (see [`crate::prefetch`]): the
    /// field its grant reads first, when the request names a grant and has that field.
    pub fn prefetch_key(&self) -> Option<PrefetchKey<'_>> {
        let params = &self.request.as_ref().ok()?.params;
        match GrantType::parse(params.get("grant_type")?)? {
            // An email too long to be one is refused without a read.
            GrantType::Password => params
                .get("username")
                .filter(|email| email.len() <= MAX_EMAIL_LENGTH)
                .map(PrefetchKey::Email),
            GrantType::RefreshToken => params.get("refresh_token").map(PrefetchKey::RefreshToken),
            GrantType::AuthorizationCode => params.get("code").map(PrefetchKey::Code),
            GrantType::ClientCredentials | GrantType::JwtBearer => None,
        }
    }

    /// What the request line may say of this request before it is answered: the grant it
    /// names when that is a known one, and the application storage `found` (never the
    /// client id as sent, which could be anything).
    pub fn facts(
        &self,
        found: Option<&Result<Option<ClientWithScope>, StoreError>>,
    ) -> RequestFacts {
        let grant = self
            .request
            .as_ref()
            .ok()
            .and_then(|request| request.params.get("grant_type"))
            .and_then(GrantType::parse);
        let mut facts = RequestFacts {
            grant,
            ..RequestFacts::default()
        };
        if let Some(Ok(Some(client))) = found {
            facts.client(&client.application.client_id, client.application.kind);
        }
        facts
    }

    /// Checks the request against what storage `found` for [`Incoming::lookup`], reporting
    /// the first error in this order: an unreadable body; a missing or unknown `grant_type`;
    /// storage trouble; client authentication; the grant table; the grant's own fields; the
    /// scope's syntax.
    pub fn admit(
        self,
        found: Option<Result<Option<ClientWithScope>, StoreError>>,
        now: UnixMillis,
    ) -> Result<TokenRequest, ApiError> {
        let request = self.request?;
        let grant_type = request
            .params
            .get("grant_type")
            .ok_or_else(|| ApiError::invalid_request("grant_type is required"))?;
        let grant_type = GrantType::parse(grant_type).ok_or_else(|| {
            ApiError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type '{}' is not supported", echo_input(grant_type)),
            )
        })?;
        let client = found.transpose()?.flatten();
        authenticate(
            &request.credentials,
            client.as_ref().map(|c| &c.application),
            now,
        )?;
        let Some(client) = client else {
            return Err(ApiError::invalid_client().with_basic_auth(request.credentials.via_basic));
        };
        let kind = client.application.kind;
        if !kind_may_use_grant(kind, grant_type) {
            return Err(ApiError::new(
                ErrorCode::UnauthorizedClient,
                format!(
                    "{} applications may not use the {} grant",
                    kind.as_str(),
                    grant_type.as_str()
                ),
            ));
        }
        if grant_type == GrantType::JwtBearer && client.application.is_public() {
            return Err(ApiError::new(
                ErrorCode::UnauthorizedClient,
                "the JWT bearer grant is only for confidential clients: a public one cannot prove who presents the assertion",
            ));
        }
        if !client.application.may_use_grant(grant_type) {
            return Err(ApiError::new(
                ErrorCode::UnauthorizedClient,
                format!(
                    "this application is not allowed the {} grant",
                    grant_type.as_str()
                ),
            ));
        }
        let grant = Grant::read(grant_type, &request.params)?;
        Ok(TokenRequest {
            client,
            grant,
            scope: self.scope.map_err(invalid_scope)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::grant::SERVED_GRANTS;

    #[test]
    fn every_grant_the_metadata_advertises_is_read_and_no_other() {
        let params = Params::from_pairs([
            ("username", "a@b.c"),
            ("password", "p"),
            ("refresh_token", "r"),
            ("code", "c"),
            ("redirect_uri", "https://x"),
            ("assertion", "a.b.c"),
        ])
        .unwrap();
        for grant in GrantType::ALL {
            assert_eq!(
                Grant::read(grant, &params).is_ok(),
                SERVED_GRANTS.contains(&grant),
                "{grant:?}"
            );
        }
    }

    #[test]
    fn a_grants_debug_form_shows_none_of_its_fields() {
        let grant = Grant::Password {
            username: "a@b.c".into(),
            password: "hunter2".into(),
        };
        assert_eq!(format!("{grant:?}"), "Password(..)");
    }

    #[test]
    fn each_grant_names_the_first_field_it_misses() {
        let none = Params::default();
        let cases = [
            (GrantType::ClientCredentials, None),
            (GrantType::Password, Some("username is required")),
            (GrantType::RefreshToken, Some("refresh_token is required")),
            (GrantType::AuthorizationCode, Some("code is required")),
            (GrantType::JwtBearer, Some("assertion is required")),
        ];
        for (grant, missing) in cases {
            let read = Grant::read(grant, &none);
            assert_eq!(
                read.as_ref().err().map(|e| e.description.as_ref()),
                missing,
                "{grant:?}"
            );
        }
        let only_username = Params::from_pairs([("username", "a@b.c")]).unwrap();
        assert_eq!(
            Grant::read(GrantType::Password, &only_username)
                .unwrap_err()
                .description,
            "password is required"
        );
    }
}
