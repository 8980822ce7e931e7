//! `GET /api/...`: the read side of the commerce API, filtered by the bearer token's scope.
//! `markets`, `skus`, `prices` and `stock_items`, each a JSON:API list with pages, filters,
//! a sort order and sparse fieldsets ([`list_query`]), `markets/{id}` and `skus/{id}`, and the
//! token's `organization` and `application` (Commerce Layer's singletons).
//!
//! What a token sees: its environment's records only; with `market:all` all of them; with a
//! market, that market, the SKUs sellable there, its price list's prices and its stock
//! locations' stock items, narrowed to the scoped stock locations when the scope names some
//! (see [`gatehouse_core::model::CatalogView`]). The market is read again at each request: a market disabled since
//! the token was issued gives it no data (422).
//!
//! The order of a request's checks: the method, then the media types (JSON:API's 415 and 406,
//! [`negotiation_problem`]), then the token (a token verified before is taken from the
//! process's [`VerifiedTokens`] without its signature check), then the gate, per token (its
//! `jti`), whose count is sent together with the catalog's reads; a refused request gets the
//! 429 and none of the data read. Every answer to a verified token carries the `RateLimit-*`
//! headers, as the token endpoint's do. A query parameter the API does not apply is a 400
//! naming it ([`parameters`]), before anything is read.

pub mod document;
pub mod include;
mod json_text;
pub mod list_query;
pub mod parameters;
mod routes;
mod singletons;
mod view;

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::clock::Clock;
use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::model::Organization;
use gatehouse_edge::bearer::{BearerError, BearerVerifier, RevocationCheck, VerifiedTokens};
use gatehouse_edge::gate::{Gate, Knock};
use gatehouse_edge::jsonapi::JsonApiError;
use gatehouse_edge::jsonapi_media::negotiation_problem;
use gatehouse_edge::oauth_request::parse_form;
use gatehouse_edge::observe::facts::Fault;
use gatehouse_edge::observe::RequestFacts;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::{CatalogReads, Clients, Concerns, StoreError};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// Everything the API depends on, built once per cold start.
pub struct ApiService {
    pub clients: Arc<dyn Clients>,
    pub catalog: Arc<dyn CatalogReads>,
    /// The verifier, and the tokens it accepted until they expire.
    pub tokens: VerifiedTokens,
    /// Whether a verified token was revoked since, as of at most its staleness ago.
    pub revocations: RevocationCheck,
    /// The per-token limit.
    pub gate: Gate,
    pub clock: Arc<dyn Clock>,
    /// The public base URL (the issuer), for links.
    pub base_url: String,
    /// The deployment's organization, for `GET /api/organization`.
    pub organization: Organization,
    /// The longest list a filter or sort order reads ([`MAX_FILTERED_LIST`]).
    pub max_filtered_list: u64,
}

impl ApiService {
    /// The API of `runtime`'s process, taking tokens that `verifier` verifies, and keeping as
    /// many as its configuration says; a revocation is seen at most `revocation_staleness`
    /// after it was written ([`gatehouse_edge::bearer::REVOCATION_STALENESS`] on
    /// Lambda, none on `gatehouse serve`).
    pub fn new<S: ?Sized + Concerns>(
        runtime: &Runtime<S>,
        verifier: BearerVerifier,
        revocation_staleness: Duration,
    ) -> Self {
        let capacity = runtime.config.verified_token_cache;
        Self {
            clients: runtime.store().clients(),
            catalog: runtime.store().catalog(),
            tokens: VerifiedTokens::new(verifier, capacity),
            revocations: RevocationCheck::new(
                runtime.store().revocations(),
                revocation_staleness,
                capacity,
            ),
            gate: runtime.gate(),
            clock: Arc::clone(&runtime.clock),
            base_url: runtime.config.issuer.clone(),
            organization: runtime.config.organization.clone(),
            max_filtered_list: MAX_FILTERED_LIST,
        }
    }
}

/// The most records a filtered or sorted list reads: filtering and sorting read the whole
/// list the token sees (see the API document), and a list longer than this is refused rather
/// than read.
pub const MAX_FILTERED_LIST: u64 = 30_000;

fn not_found(detail: &'static str) -> JsonApiError {
    JsonApiError::new(StatusCode::NOT_FOUND, "Not found", "NOT_FOUND", detail)
}

fn bad_request(detail: String) -> JsonApiError {
    JsonApiError::new(
        StatusCode::BAD_REQUEST,
        "Bad request",
        "BAD_REQUEST",
        detail,
    )
}

/// Storage trouble, as a 503 the client may retry; an item that cannot be read is counted as
/// a corrupt item (`Faults`) but answered the same way, as its next read may find it rewritten.
fn unavailable(error: StoreError) -> JsonApiError {
    tracing::error!(error = %error, "api: storage unavailable");
    let mut refusal = storage_unavailable();
    refusal.fault = Some(Fault::of_storage(&error));
    refusal
}

fn storage_unavailable() -> JsonApiError {
    let mut error = JsonApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "SERVICE_UNAVAILABLE",
        "storage is unavailable for a moment; try again",
    )
    .with_retry_after(1);
    error.fault = Some(Fault::StorageUnavailable);
    error
}

/// Handles one `GET /api/...`.
pub async fn handle(request: Request, service: &ApiService) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return JsonApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "METHOD_NOT_ALLOWED",
            "only GET is served here",
        )
        .with_allow("GET, HEAD")
        .into_response();
    }
    if let Some(problem) = negotiation_problem(request.headers()) {
        return problem.into_response();
    }
    let authorization = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let claims = match service.tokens.verify(authorization, service.clock.as_ref()) {
        Ok(claims) => claims,
        Err(error) => return error.into_response(),
    };
    let mut response = match service.gate.knock_token(&claims.jti) {
        Knock::Refused(refused) => refused.stamp(refused.json_api_refusal().into_response()),
        Knock::Open(count) => {
            // The window's count, the token's revocations and the catalog's reads, sent
            // together: a revoked token's request costs its reads, and adds no wait to others.
            let (admission, revoked, answer) = futures::join!(
                count.count(),
                service.revocations.ended(&claims, service.clock.as_ref()),
                respond(&request, service, &claims)
            );
            match admission {
                Ok(admission) if admission.allowed() => admission.stamp(match revoked {
                    Ok(None) => answer.unwrap_or_else(JsonApiError::into_response),
                    // Revoked: what was read is dropped.
                    Ok(Some(ended)) => BearerError::Revoked(ended).into_response(),
                    Err(error) => unavailable(error).into_response(),
                }),
                // Refused: what was read is dropped.
                Ok(refused) => refused.stamp(refused.json_api_refusal().into_response()),
                Err(error) => {
                    tracing::error!(error = %error, "api: rate-limit window unavailable");
                    storage_unavailable().into_response()
                }
            }
        }
    };
    let application = &claims.application;
    RequestFacts::of(&mut response).client(&application.client_id, application.kind);
    response
}

/// The answer to a request whose token verified.
async fn respond(
    request: &Request,
    service: &ApiService,
    claims: &AccessTokenClaims,
) -> Result<Response<Body>, JsonApiError> {
    // A parameter the API would not apply is refused before anything is read.
    let params = parse_form(request.uri().query().unwrap_or(""))
        .map_err(|error| bad_request(error.description.into_owned()))?;
    if let Some(detail) = parameters::first_unsupported(params.names()) {
        return Err(bad_request(detail));
    }
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').skip(2).collect();
    // The token's own organization and application, whatever its market.
    match segments.as_slice() {
        ["organization"] => return Ok(singletons::organization(service, &params)),
        ["application"] => return singletons::application(service, claims, &params).await,
        _ => {}
    }
    routes::catalog(&segments, &params, service, claims).await
}
