//! `POST /oauth/token` (RFC 6749 §3.2): parses and authenticates once, then dispatches on
//! `grant_type` to one module per grant.

pub mod assertion_keys;
pub mod grants;
pub mod prefetch;
pub mod request;
pub mod status;

use std::sync::Arc;

use gatehouse_core::clock::{Clock, UnixMillis};
use gatehouse_core::jwt::KeySet;
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::error::ApiError;
use gatehouse_edge::gate::{Endpoint, Gate, Knock};
use gatehouse_edge::hashing::PasswordHashing;
use gatehouse_edge::http::json_response;
use gatehouse_edge::observe::RequestFacts;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::{
    Assertions, AuthorizationCodes, ClientWithScope, Clients, Concerns, Customers, RefreshTokens,
    SignIns, StatusLists, StoreError, Users,
};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use grants::GrantRequest;
use prefetch::{prefetch, Prefetched};
use request::{Grant, Incoming, TokenRequest};

/// Everything the token endpoint depends on, built once per cold start ([`TokenService::new`]).
pub struct TokenService {
    pub storage: TokenStorage,
    /// The per-address limit of token requests.
    pub gate: Gate,
    pub keys: Arc<KeySet>,
    pub clock: Arc<dyn Clock>,
    pub config: ServiceConfig,
    /// The process's one bound on password hashing (`gatehouse serve` shares it with the
    /// sign-in page).
    pub hashing: PasswordHashing,
    /// Each access token's status list index.
    pub status: status::StatusIndexes,
    /// The status lists this process signed lately.
    pub lists: status::PublishedLists,
    /// The keys JWT bearer assertions are checked with, fetched JWK Sets cached.
    pub assertion_keys: assertion_keys::AssertionKeySource,
}

/// The storage concerns the token endpoint uses, each on its own.
pub struct TokenStorage {
    pub clients: Arc<dyn Clients>,
    pub customers: Arc<dyn Customers>,
    pub users: Arc<dyn Users>,
    pub sign_ins: Arc<dyn SignIns>,
    pub refresh_tokens: Arc<dyn RefreshTokens>,
    pub authorization_codes: Arc<dyn AuthorizationCodes>,
    pub status_lists: Arc<dyn StatusLists>,
    pub assertions: Arc<dyn Assertions>,
}

impl TokenService {
    /// The token endpoint of `runtime`'s process, signing with `keys`.
    pub fn new<S: ?Sized + Concerns>(runtime: &Runtime<S>, keys: Arc<KeySet>) -> Self {
        Self {
            storage: TokenStorage {
                clients: runtime.store().clients(),
                customers: runtime.store().customers(),
                users: runtime.store().users(),
                sign_ins: runtime.store().sign_ins(),
                refresh_tokens: runtime.store().refresh_tokens(),
                authorization_codes: runtime.store().authorization_codes(),
                status_lists: runtime.store().status_lists(),
                assertions: runtime.store().assertions(),
            },
            status: status::StatusIndexes::new(
                runtime.store().status_lists(),
                runtime.config.issuer.clone(),
            ),
            lists: status::PublishedLists::default(),
            assertion_keys: assertion_keys::AssertionKeySource::over_https(),
            gate: runtime.gate(),
            keys,
            clock: Arc::clone(&runtime.clock),
            config: runtime.config.clone(),
            hashing: runtime.hashing.clone(),
        }
    }
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
        Grant::JwtBearer { assertion } => grants::jwt_bearer::grant(request, assertion).await?,
    };
    Ok(json_response(StatusCode::OK, &response.body()))
}

/// Handles one request to `/oauth/token`: `POST`, and the CORS preflight for it; and the
/// status lists ([`status::serve_list`]), which only this function can sign.
pub async fn handle(request: Request, service: &TokenService) -> Response<Body> {
    if request
        .uri()
        .path()
        .starts_with(gatehouse_core::status_list::PATH_PREFIX)
    {
        return status::serve_list(&request, service).await;
    }
    let cors = &service.config.cors;
    cors.serve(request, |request| token(request, service)).await
}

/// One `POST /oauth/token`.
async fn token(request: Request, service: &TokenService) -> Response<Body> {
    if request.method() != Method::POST {
        return ApiError::method_not_allowed("POST").into_response();
    }
    let incoming = Incoming::read(&request);
    let count = match service.gate.knock(Endpoint::Token, &request) {
        Ok(Knock::Open(count)) => count,
        Ok(Knock::Refused(refused)) => {
            let response = refused.stamp(refused.refusal().into_response());
            return with_facts(response, incoming.facts(None));
        }
        Err(invalid) => return with_facts(invalid.into_response(), incoming.facts(None)),
    };
    let clients = &service.storage.clients;
    let lookup = async {
        let (id, markets, locations) = incoming.lookup()?;
        Some(clients.find_client_with_scope(id, markets, locations).await)
    };
    // The warm path's storage requests, sent together: the rate-limit count, the client with
    // its scope records, what the grant can read ahead (see `prefetch`) and, once per 1,024
    // tokens, the process's next block of status list indexes.
    let (admission, found, prefetched, ()) = futures::join!(
        count.count(),
        lookup,
        prefetch(service, incoming.prefetch_key()),
        service.status.reserve_ahead(count.now().floor_seconds().0),
    );
    let facts = incoming.facts(found.as_ref());
    let admission = match admission {
        Ok(admission) => admission,
        Err(error) => return with_facts(error.into_response(), facts),
    };
    let response = if admission.allowed() {
        let (address, now) = (count.address(), count.now());
        respond(service, incoming, found, prefetched, address, now)
            .await
            .unwrap_or_else(ApiError::into_response)
    } else {
        admission.refusal().into_response()
    };
    with_facts(admission.stamp(response), facts)
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
