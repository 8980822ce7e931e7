//! One module per grant, behind one contract: [`GrantRequest`] in, [`TokenResponse`] or the
//! error to show out. Client authentication and the grant table were checked before.

pub mod authorization_code;
pub mod client_credentials;
pub mod jwt_bearer;
pub mod password;
pub mod refresh_token;

use std::time::Duration;

use gatehouse_core::clock::UnixMillis;
use gatehouse_core::grant_hint::GrantHint;
use gatehouse_core::jwt::{AccessTokenClaims, ApplicationClaim, MarketClaim, OwnerClaim};
use gatehouse_core::lifetime::{access_token_lifetime, REFRESH_TOKEN_LIFETIME};
use gatehouse_core::model::{
    Application, Market, Mode, OwnerType, RefreshTokenRecord, StockLocation,
};
use gatehouse_core::scope::{GrantedScope, ScopeError, ScopeRequest};
use gatehouse_core::secret::{random_token, SecretHash};
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_store::ClientWithScope;
use serde_json::{json, Map, Value};

use crate::TokenService;

/// What every grant gets: an admitted request (see [`crate::request`]). A grant's own fields
/// come beside it, already present.
#[derive(Clone, Copy)]
pub struct GrantRequest<'a> {
    pub service: &'a TokenService,
    /// The authenticated client, with the scope records its request named.
    pub client: &'a ClientWithScope,
    /// Syntactically valid; each grant decides what of it may be granted.
    pub scope: &'a ScopeRequest,
    /// The client's address as the rate limit keys it (an IPv6 address by its /64): the
    /// password grant's sign-in protection counts failures per account and address.
    pub client_address: &'a str,
    pub now: UnixMillis,
}

pub fn invalid_scope(error: ScopeError) -> ApiError {
    ApiError::new(ErrorCode::InvalidScope, error.to_string())
}

pub fn invalid_grant(description: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(ErrorCode::InvalidGrant, description)
}

/// A stored grant's scope as it is now: the request that names its records, and the markets
/// and stock locations found.
pub type StoredScope = (ScopeRequest, Vec<Market>, Vec<StockLocation>);

/// The markets and stock locations a stored grant (`market_id`, `stock_location_ids`) names,
/// as they are now, with the request that names them: to check the grant again before it is
/// extended. The two reads go together.
pub async fn stored_scope(
    service: &TokenService,
    mode: Mode,
    market_id: Option<&str>,
    stock_location_ids: &[String],
) -> Result<StoredScope, ApiError> {
    let request = ScopeRequest::by_ids(market_id, stock_location_ids);
    if market_id.is_none() {
        return Ok((request, vec![], vec![]));
    }
    let clients = &service.storage.clients;
    let (markets, locations) = futures::try_join!(
        clients.find_markets(mode, &request.markets),
        clients.find_stock_locations(mode, &request.stock_locations),
    )?;
    Ok((request, markets, locations))
}

/// What a grant needs to know of its owner now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerNow {
    /// Deleted since the grant.
    Gone,
    /// A customer, with the group their private markets depend on.
    Customer {
        group: Option<String>,
    },
    User,
}

/// Reads the owner of a stored grant.
pub async fn owner_now(
    service: &TokenService,
    mode: Mode,
    owner_type: OwnerType,
    owner_id: &str,
) -> Result<OwnerNow, ApiError> {
    let storage = &service.storage;
    Ok(match owner_type {
        OwnerType::Customer => match storage.customers.find_customer(mode, owner_id).await? {
            Some(customer) => OwnerNow::Customer {
                group: customer.customer_group_id,
            },
            None => OwnerNow::Gone,
        },
        OwnerType::User => match storage.users.find_user(mode, owner_id).await? {
            Some(_) => OwnerNow::User,
            None => OwnerNow::Gone,
        },
    })
}

/// A signed access token and what the response says about it.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u32,
    pub scope: String,
    pub created_at: u64,
}

/// The refresh token and owner that grants with an owner add to the response.
pub struct OwnerTokens {
    /// None where the application's kind may not refresh (an integration's JWT bearer token).
    pub refresh_token: Option<String>,
    pub owner_id: String,
    pub owner_type: OwnerType,
}

pub struct TokenResponse {
    pub access: IssuedToken,
    pub owner: Option<OwnerTokens>,
}

impl TokenResponse {
    /// The RFC 6749 §5.1 body with the contract's `created_at` and, for grants with an owner,
    /// `refresh_token`, `owner_id` and `owner_type`.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "access_token": self.access.access_token,
            "token_type": "bearer",
            "expires_in": self.access.expires_in,
            "scope": self.access.scope,
            "created_at": self.access.created_at,
        });
        if let Some(owner) = &self.owner {
            if let Some(refresh_token) = &owner.refresh_token {
                body["refresh_token"] = json!(refresh_token);
            }
            body["owner_id"] = json!(owner.owner_id);
            body["owner_type"] = json!(owner.owner_type.as_str());
        }
        body
    }
}

/// The owner of a grant with one, and the login (refresh-token family) its tokens belong to.
#[derive(Clone, Copy)]
pub struct Login<'a> {
    pub owner_id: &'a str,
    pub owner_type: OwnerType,
    pub family_id: &'a str,
    /// When the owner signed in to it.
    pub authenticated_at: UnixMillis,
    /// What a JWT bearer assertion began it with, for each of its access tokens to carry.
    pub custom_claim: Option<&'a Map<String, Value>>,
}

/// Signs an access token for `application` with `scope`, answered as `answered` (its `scope`
/// claim and the response's, [`gatehouse_core::scope::answered_scope`]), and, for grants with
/// an owner, its login: the token names it (`sid`), so that revoking either ends the other.
pub async fn issue_access_token(
    service: &TokenService,
    application: &Application,
    scope: &GrantedScope,
    answered: &str,
    login: Option<Login<'_>>,
    now: UnixMillis,
) -> Result<IssuedToken, ApiError> {
    let custom_claim = login.and_then(|login| login.custom_claim);
    let granted = Granted {
        application,
        scope,
        answered,
    };
    issue_access_token_with(service, granted, login, custom_claim, now).await
}

/// What an access token is issued for: the application, the scope granted and its answer.
#[derive(Clone, Copy)]
pub struct Granted<'a> {
    pub application: &'a Application,
    pub scope: &'a GrantedScope,
    pub answered: &'a str,
}

/// [`issue_access_token`] with a `custom_claim` of its own: a JWT bearer assertion's, which
/// may come without a login.
pub async fn issue_access_token_with(
    service: &TokenService,
    granted: Granted<'_>,
    login: Option<Login<'_>>,
    custom_claim: Option<&Map<String, Value>>,
    now: UnixMillis,
) -> Result<IssuedToken, ApiError> {
    let Granted {
        application,
        scope,
        answered,
    } = granted;
    let created_at = now.floor_seconds().0;
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
        scope: answered.to_owned(),
        test: application.mode == Mode::Test,
        organization: service.config.organization.clone(),
        application: ApplicationClaim {
            id: application.id.clone(),
            client_id: application.client_id.clone(),
            kind: application.kind,
            public: application.is_public(),
            confidential: !application.is_public(),
        },
        market,
        owner: login.map(|login| OwnerClaim {
            id: login.owner_id.to_owned(),
            owner_type: login.owner_type.claim_name().to_owned(),
        }),
        sid: login.map(|login| login.family_id.to_owned()),
        auth_time: login.map(|login| login.authenticated_at.floor_seconds().0),
        custom_claim: custom_claim.cloned(),
        status: Some(service.status.claim(created_at).await?),
    };
    let access_token = service
        .keys
        .sign(&claims)
        .map_err(ApiError::signing_failed)?;
    Ok(IssuedToken {
        access_token,
        expires_in,
        scope: claims.scope,
        created_at,
    })
}

/// A new refresh token value (256 random bits and its [`GrantHint`]) and its record, bound to
/// the application, the login and `scope` (answered as `answered`). Only the record is
/// stored: it keeps the value's hash.
pub fn new_refresh_token(
    application: &Application,
    login: Login<'_>,
    scope: &GrantedScope,
    answered: &str,
    now: UnixMillis,
) -> (String, RefreshTokenRecord) {
    let (market_id, stock_location_ids) = scope.stored_ids();
    let value = GrantHint {
        mode: application.mode,
        family_id: login.family_id.to_owned(),
        owner_id: login.owner_id.to_owned(),
        owner_type: login.owner_type,
        market_id: market_id.clone(),
        stock_location_ids: stock_location_ids.clone(),
    }
    .attach_to(random_token(32));
    let record = RefreshTokenRecord {
        token_hash: SecretHash::of(&value),
        family_id: login.family_id.to_owned(),
        application_id: application.id.clone(),
        client_id: application.client_id.clone(),
        mode: application.mode,
        owner_id: login.owner_id.to_owned(),
        owner_type: login.owner_type,
        market_id,
        stock_location_ids,
        scope: Some(answered.to_owned()),
        issued_at: now,
        authenticated_at: login.authenticated_at,
        custom_claim: login.custom_claim.cloned(),
        expires_at: now + Duration::from_secs(REFRESH_TOKEN_LIFETIME.into()),
        consumed_at: None,
    };
    (value, record)
}
