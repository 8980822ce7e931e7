//! One module per grant, behind one contract: given an authenticated client and the request,
//! return the token response or the error to show.

pub mod client_credentials;

use gatehouse_shared::error::{ApiError, ErrorCode};
use gatehouse_shared::jwt::{AccessTokenClaims, ApplicationClaim, MarketClaim, OwnerClaim};
use gatehouse_shared::lifetime::access_token_lifetime;
use gatehouse_shared::model::{Application, Mode};
use gatehouse_shared::scope::{GrantedScope, ScopeError};
use gatehouse_shared::secret::random_token;
use serde_json::json;

use crate::TokenService;

pub fn invalid_scope(error: ScopeError) -> ApiError {
    ApiError::new(ErrorCode::InvalidScope, error.to_string())
}

/// A signed access token and what the response says about it.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u32,
    pub scope: String,
    pub created_at: u64,
}

impl IssuedToken {
    /// The RFC 6749 §5.1 body with the contract's `created_at`.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
            "created_at": self.created_at,
        })
    }
}

/// Signs an access token for `application` with `scope` and, for grants with one, an owner.
pub fn issue_access_token(
    service: &TokenService,
    application: &Application,
    scope: &GrantedScope,
    owner: Option<OwnerClaim>,
    now_millis: u64,
) -> Result<IssuedToken, ApiError> {
    let created_at = now_millis / 1000;
    let expires_in = access_token_lifetime(application.kind, application.token_lifetime);
    let market = match scope {
        GrantedScope::AllMarkets => None,
        GrantedScope::Market {
            market,
            stock_locations,
        } => Some(MarketClaim {
            id: market.id.clone(),
            number: market.number,
            price_list_id: market.price_list_id.clone(),
            // A stock location in scope narrows the market to it.
            stock_location_ids: if stock_locations.is_empty() {
                market.stock_location_ids.clone()
            } else {
                stock_locations.iter().map(|l| l.id.clone()).collect()
            },
        }),
    };
    let claims = AccessTokenClaims {
        iss: service.config.issuer.clone(),
        iat: created_at,
        exp: created_at + u64::from(expires_in),
        jti: random_token(16),
        scope: scope.to_scope_string(),
        test: application.mode == Mode::Test,
        organization: service.config.organization.clone(),
        application: ApplicationClaim {
            id: application.id.clone(),
            client_id: application.client_id.clone(),
            kind: application.kind,
            public: application.is_public(),
        },
        market,
        owner,
    };
    let access_token = service.keys.sign(&claims).map_err(ApiError::server_error)?;
    Ok(IssuedToken {
        access_token,
        expires_in,
        scope: claims.scope,
        created_at,
    })
}
