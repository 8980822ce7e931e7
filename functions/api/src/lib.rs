//! `GET /api/...`: the read side of the commerce API, filtered by the bearer token's scope.
//! `markets`, `skus` (`filter[code_eq]`), `prices` and `stock_items`, each a JSON:API list
//! with `page[number]` / `page[size]`, and `markets/{id}` and `skus/{id}`.
//!
//! What a token sees: its environment's records only; with `market:all` all of them; with a
//! market, that market, the SKUs sellable there, its price list's prices and its stock
//! locations' stock items, narrowed to the scoped stock locations when the scope names some
//! (see [`CatalogView`]). The market is read again at each request: a market disabled since
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
mod json_text;
pub mod parameters;

use std::sync::Arc;

use gatehouse_core::clock::Clock;
use gatehouse_core::input::is_lookup_key;
use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::model::{CatalogView, Market};
use gatehouse_core::scope::ResourceRef;
use gatehouse_edge::bearer::{BearerError, BearerVerifier, VerifiedTokens};
use gatehouse_edge::gate::{Gate, Knock};
use gatehouse_edge::jsonapi::JsonApiError;
use gatehouse_edge::jsonapi_media::negotiation_problem;
use gatehouse_edge::oauth_request::{parse_form, Params};
use gatehouse_edge::observe::facts::Fault;
use gatehouse_edge::observe::RequestFacts;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::catalog::{page_of, MAX_PAGE_SIZE};
use gatehouse_store::{CatalogReads, Clients, Concerns, Page, PageRequest, StoreError};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// The page size when the request names none.
pub const DEFAULT_PAGE_SIZE: u64 = 10;

/// Everything the API depends on, built once per cold start.
pub struct ApiService {
    pub clients: Arc<dyn Clients>,
    pub catalog: Arc<dyn CatalogReads>,
    /// The verifier, and the tokens it accepted until they expire.
    pub tokens: VerifiedTokens,
    /// The per-token limit.
    pub gate: Gate,
    pub clock: Arc<dyn Clock>,
    /// The public base URL (the issuer), for links.
    pub base_url: String,
}

impl ApiService {
    /// The API of `runtime`'s process, taking tokens that `verifier` verifies, and keeping as
    /// many as its configuration says.
    pub fn new<S: ?Sized + Concerns>(runtime: &Runtime<S>, verifier: BearerVerifier) -> Self {
        Self {
            clients: runtime.store().clients(),
            catalog: runtime.store().catalog(),
            tokens: VerifiedTokens::new(verifier, runtime.config.verified_token_cache),
            gate: runtime.gate(),
            clock: Arc::clone(&runtime.clock),
            base_url: runtime.config.issuer.clone(),
        }
    }
}

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

/// The token's market as it is now, and the view it gives, or why the token gets no view.
async fn view_of(
    claims: &AccessTokenClaims,
    service: &ApiService,
) -> Result<(CatalogView, Option<Market>), JsonApiError> {
    let mode = claims.mode();
    let Some(claim) = &claims.market else {
        return Ok((CatalogView::All { mode }, None));
    };
    let market = service
        .clients
        .find_markets(mode, &[ResourceRef::Id(claim.id.clone())])
        .await
        .map_err(unavailable)?
        .into_iter()
        .next()
        // The market is not in the token's environment: the token does not belong here.
        .ok_or_else(|| {
            BearerError::Malformed("the token's market is not in its environment").refusal()
        })?;
    if !market.active {
        return Err(JsonApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Market disabled",
            "MARKET_DISABLED",
            format!(
                "market:{} has been disabled: this token gets no data from it",
                market.number
            ),
        ));
    }
    // The claim lists the scoped stock locations when the scope names some.
    let narrowed = claims
        .scope
        .split(' ')
        .any(|t| t.starts_with("stock_location:"));
    let scoped = if narrowed {
        claim.stock_location_ids.clone()
    } else {
        vec![]
    };
    Ok((CatalogView::of_market(&market, &scoped), Some(market)))
}

/// `page[number]`, `page[size]`, `page[after]`, `filter[code_eq]` and the parameters to keep
/// in links.
struct Query {
    page: PageRequest,
    code_eq: Option<String>,
    kept: String,
}

/// The list's parameters, or what is wrong with them.
fn query(params: &Params) -> Result<Query, String> {
    let number = |name: &str, default: u64, max: u64| -> Result<u64, String> {
        match params.get(name) {
            None => Ok(default),
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("{name} must be a whole number from 1 to {max}")),
        }
    };
    let after = match params.get("page[after]") {
        None => None,
        Some(cursor) => Some(document::cursor_from(cursor).ok_or_else(|| {
            "page[after] must be the value of a `next` link's page[after]".to_owned()
        })?),
    };
    let page = PageRequest {
        number: number("page[number]", 1, 1_000_000)?,
        size: number("page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?,
        after,
    };
    let code_eq = params.get("filter[code_eq]").map(str::to_owned);
    let kept = code_eq
        .as_deref()
        .map(|code| format!("filter%5Bcode_eq%5D={}", encode(code)))
        .unwrap_or_default();
    Ok(Query {
        page,
        code_eq,
        kept,
    })
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A list from `load`, as a JSON:API document.
async fn list<T: document::Resource, F>(
    service: &ApiService,
    params: &Params,
    load: impl FnOnce(PageRequest, Option<String>) -> F,
) -> Result<Response<Body>, JsonApiError>
where
    F: std::future::Future<Output = Result<Page<T>, StoreError>>,
{
    let query = query(params).map_err(bad_request)?;
    let page = load(query.page.clone(), query.code_eq)
        .await
        .map_err(unavailable)?;
    Ok(document::list(
        &page,
        &query.page,
        &service.base_url,
        &query.kept,
    ))
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
            // The window's count and the catalog's reads, sent together.
            let (admission, answer) =
                futures::join!(count.count(), respond(&request, service, &claims));
            match admission {
                Ok(admission) if admission.allowed() => {
                    admission.stamp(answer.unwrap_or_else(JsonApiError::into_response))
                }
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
    let (view, market) = view_of(claims, service).await?;
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').skip(2).collect();
    // An id or code that could not name a record is not found, without asking storage.
    let unfit = |value: &str| !is_lookup_key(value);
    if segments.get(1).is_some_and(|id| unfit(id)) {
        return Err(not_found("no such record"));
    }
    let catalog = &service.catalog;
    let base = &service.base_url;
    match segments.as_slice() {
        ["markets"] => {
            list(service, &params, |page, _| async move {
                match &market {
                    // A market token sees its market alone.
                    Some(market) => Ok(page_of(vec![market.clone()], page)),
                    None => catalog.list_markets(view.mode(), page).await,
                }
            })
            .await
        }
        ["markets", id] => {
            let found = match &market {
                Some(market) => Ok((market.id == *id).then(|| market.clone())),
                None => service
                    .clients
                    .find_markets(view.mode(), &[ResourceRef::Id((*id).to_owned())])
                    .await
                    .map(|markets| markets.into_iter().next()),
            };
            match found.map_err(unavailable)? {
                Some(market) => Ok(document::single(&market, base)),
                None => Err(not_found("no such record")),
            }
        }
        ["skus"] => {
            list(service, &params, |page, code| async move {
                match code {
                    Some(code) if unfit(&code) => Ok(page_of(vec![], page)),
                    Some(code) => {
                        let found = catalog.find_sku_by_code(&view, &code).await?;
                        Ok(page_of(found.into_iter().collect(), page))
                    }
                    None => catalog.list_skus(&view, page).await,
                }
            })
            .await
        }
        ["skus", id] => match catalog.find_sku(&view, id).await.map_err(unavailable)? {
            Some(sku) => Ok(document::single(&sku, base)),
            None => Err(not_found("no such record")),
        },
        ["prices"] => list(service, &params, |page, _| catalog.list_prices(&view, page)).await,
        ["stock_items"] => {
            list(service, &params, |page, _| {
                catalog.list_stock_items(&view, page)
            })
            .await
        }
        _ => Err(not_found("no such endpoint")),
    }
}
