//! `POST /oauth/token` (RFC 6749 §3.2): parses and authenticates once, then dispatches on
//! `grant_type` to one module per grant.

pub mod grants;
pub mod prefetch;
pub mod request;

use std::sync::Arc;

use gatehouse_core::clock::{Clock, UnixMillis};
use gatehouse_core::jwt::KeySet;
use gatehouse_core::ratelimit::{KnownRefusals, RateLimitOutcome};
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::error::ApiError;
use gatehouse_edge::hashing::PasswordHashing;
use gatehouse_edge::http::{client_rate_key, json_response, rate_limit_headers};
use gatehouse_edge::observe::facts::Limit;
use gatehouse_edge::observe::RequestFacts;
use gatehouse_store::{
    AuthorizationCodes, ClientWithScope, Clients, Customers, RateLimits, RefreshTokens, SignIns,
    Store, StoreError, Users,
};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use grants::GrantRequest;
use prefetch::{prefetch, Prefetched};
use request::{Grant, Incoming, TokenRequest};

/// Everything the token endpoint depends on, built once per cold start.
pub struct TokenService {
    pub storage: TokenStorage,
    pub keys: Arc<KeySet>,
    pub clock: Arc<dyn Clock>,
    pub config: ServiceConfig,
    /// The process's one bound on password hashing (`gatehouse serve` shares it with the
    /// sign-in page).
    pub hashing: PasswordHashing,
}

/// The storage concerns the token endpoint uses, each on its own.
#[derive(Clone)]
pub struct TokenStorage {
    pub clients: Arc<dyn Clients>,
    pub customers: Arc<dyn Customers>,
    pub users: Arc<dyn Users>,
    pub rate_limits: Arc<dyn RateLimits>,
    pub sign_ins: Arc<dyn SignIns>,
    pub refresh_tokens: Arc<dyn RefreshTokens>,
    pub authorization_codes: Arc<dyn AuthorizationCodes>,
    /// The rate limit's refusals, remembered by this process until they lapse: a client
    /// refused once is refused again without a storage request.
    pub known_refusals: Arc<KnownRefusals>,
}

impl TokenStorage {
    /// Every concern from one backend.
    pub fn on<S>(store: Arc<S>) -> Self
    where
        S: Clients
            + Customers
            + Users
            + RateLimits
            + SignIns
            + RefreshTokens
            + AuthorizationCodes
            + 'static,
    {
        Self {
            clients: store.clone(),
            customers: store.clone(),
            users: store.clone(),
            rate_limits: store.clone(),
            sign_ins: store.clone(),
            refresh_tokens: store.clone(),
            authorization_codes: store,
            known_refusals: Arc::default(),
        }
    }
}

/// Every concern from a backend chosen at run time (`gatehouse serve`, tests).
impl From<Arc<dyn Store>> for TokenStorage {
    fn from(store: Arc<dyn Store>) -> Self {
        Self {
            clients: store.clone(),
            customers: store.clone(),
            users: store.clone(),
            rate_limits: store.clone(),
            sign_ins: store.clone(),
            refresh_tokens: store.clone(),
            authorization_codes: store,
            known_refusals: Arc::default(),
        }
    }
}

fn too_many_requests(outcome: &RateLimitOutcome, service: &TokenService) -> ApiError {
    ApiError::too_many_requests(
        "token requests",
        Limit::TokenRequests,
        &service.config.rate_limit,
        outcome,
    )
}

/// Admits the request (see [`Incoming::admit`] for the order of its checks) and runs its grant.
async fn respond(
    service: &TokenService,
    incoming: Incoming,
    found: Option<Result<Option<ClientWithScope>, StoreError>>,
    prefetched: Prefetched,
    client_address: &str,
    now: UnixMillis,
) -> Result<Response<Body>, ApiError> {
    let TokenRequest {
        client,
        grant,
        scope,
    } = incoming.admit(found, now)?;
    let request = GrantRequest {
        service,
        client: &client,
        scope: &scope,
        client_address,
        now,
    };
    let response = match &grant {
        Grant::ClientCredentials => grants::client_credentials::grant(request).await?,
        Grant::Password { username, password } => {
            grants::password::grant(request, username, password, prefetched).await?
        }
        Grant::RefreshToken { refresh_token } => {
            grants::refresh_token::grant(request, refresh_token, prefetched).await?
        }
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            verifier_challenge,
        } => {
            let presented = grants::authorization_code::Presented {
                code,
                redirect_uri,
                verifier_challenge: verifier_challenge.as_deref(),
            };
            grants::authorization_code::grant(request, presented, prefetched).await?
        }
    };
    Ok(json_response(StatusCode::OK, &response.body()))
}

/// Handles one request to `/oauth/token`: `POST`, and the CORS preflight for it.
pub async fn handle(request: Request, service: &TokenService) -> Response<Body> {
    let cors = &service.config.cors;
    cors.serve(request, |request| token(request, service)).await
}

/// One `POST /oauth/token`.
async fn token(request: Request, service: &TokenService) -> Response<Body> {
    if request.method() != Method::POST {
        return ApiError::method_not_allowed("POST").into_response();
    }
    let now = service.clock.now();
    let client_key = client_rate_key(&request);
    let incoming = Incoming::read(&request);
    let policy = &service.config.rate_limit;
    if let Some(outcome) = service
        .storage
        .known_refusals
        .check(&client_key, policy, now)
    {
        let mut response = too_many_requests(&outcome, service).into_response();
        rate_limit_headers(&mut response, &outcome);
        return with_facts(response, incoming.facts(None));
    }
    let lookup = async {
        let (id, markets, locations) = incoming.lookup()?;
        Some(
            service
                .storage
                .clients
                .find_client_with_scope(id, markets, locations)
                .await,
        )
    };
    // The warm path's storage requests, sent together: the rate-limit count, the client with
    // its scope records and what the grant can read ahead (see `prefetch`).
    let (rate, found, prefetched) = futures::join!(
        service
            .storage
            .rate_limits
            .hit_rate_limit(&client_key, policy, now),
        lookup,
        prefetch(service, incoming.prefetch_key()),
    );
    let facts = incoming.facts(found.as_ref());
    let outcome = match rate {
        Ok(outcome) => outcome,
        Err(error) => return with_facts(ApiError::from(error).into_response(), facts),
    };
    service
        .storage
        .known_refusals
        .remember(&client_key, &outcome, now);
    let mut response = if outcome.allowed {
        respond(service, incoming, found, prefetched, &client_key, now)
            .await
            .unwrap_or_else(ApiError::into_response)
    } else {
        too_many_requests(&outcome, service).into_response()
    };
    rate_limit_headers(&mut response, &outcome);
    with_facts(response, facts)
}

/// `response` with what the request line says of a token request: its grant and client, and
/// whether a token was issued. The password grant's lockout and refusals report themselves.
fn with_facts(mut response: Response<Body>, known: RequestFacts) -> Response<Body> {
    let issued = response.status() == StatusCode::OK;
    let facts = RequestFacts::of(&mut response);
    facts.grant = known.grant;
    facts.client_id = known.client_id;
    facts.kind = known.kind;
    facts.token_issued = issued;
    response
}
