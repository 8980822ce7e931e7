//! `POST /oauth/revoke` (RFC 7009), also in the Commerce Layer form (JSON `client_id`, `token`,
//! optional `client_secret`): revokes an access token or a refresh token, and with either the
//! login it belongs to (docs/api.md, "Revocation"). And `POST /oauth/logout_everywhere`
//! ([`logout`]), the owner's own revocation of every login of theirs; and
//! `POST /oauth/introspect` ([`introspect`], RFC 7662), which reads the same state.

mod introspect;
mod logout;

pub use introspect::INTROSPECTION_PATH;
pub use logout::LOGOUT_EVERYWHERE_PATH;

use std::sync::Arc;

use gatehouse_core::clock::{Clock, UnixSeconds};
use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::model::{Application, RefreshTokenState};
use gatehouse_core::revocation::KEPT_PAST_EXPIRY;
use gatehouse_core::secret::SecretHash;
use gatehouse_core::status_list::window_of;
use gatehouse_edge::bearer::BearerVerifier;
use gatehouse_edge::cors::CorsPolicy;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::gate::{Endpoint, Gate};
use gatehouse_edge::http::json_response;
use gatehouse_edge::oauth_request::{
    authenticate, lookup_id, parse_oauth_request, OAuthRequest, REVOCATION_PARAMETERS,
};
use gatehouse_edge::observe::RequestFacts;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::{Clients, Concerns, RefreshTokens, Revocations, StatusLists};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// What revocation depends on: the client that asks, the tokens of both kinds, the per-address
/// limit, and the clock that says whether a token or a rotated-out client secret still holds.
pub struct RevokeService {
    pub clients: Arc<dyn Clients>,
    pub refresh_tokens: Arc<dyn RefreshTokens>,
    pub revocations: Arc<dyn Revocations>,
    pub status_lists: Arc<dyn StatusLists>,
    /// Verifies an access token presented for revocation, as the resource API does.
    pub verifier: BearerVerifier,
    /// Per client address, as for `/oauth/token` (the same policy, its own count): every
    /// request costs storage reads, so none may come unbounded from one address.
    pub gate: Gate,
    /// Browser origins allowed to call this endpoint, as for the token endpoint.
    pub cors: CorsPolicy,
    pub clock: Arc<dyn Clock>,
}

impl RevokeService {
    /// The revocation endpoint of `runtime`'s process, knowing access tokens by `verifier`.
    pub fn new<S: ?Sized + Concerns>(runtime: &Runtime<S>, verifier: BearerVerifier) -> Self {
        Self {
            clients: runtime.store().clients(),
            refresh_tokens: runtime.store().refresh_tokens(),
            revocations: runtime.store().revocations(),
            status_lists: runtime.store().status_lists(),
            verifier,
            gate: runtime.gate(),
            cors: runtime.config.cors.clone(),
            clock: Arc::clone(&runtime.clock),
        }
    }
}

/// A presented token, as found.
pub(crate) enum Found {
    Access(AccessTokenClaims),
    Refresh(RefreshTokenState),
}

/// RFC 7009 §2.1: `token_type_hint` "MAY be passed by the client to help optimize the token
/// lookup. If the server is unable to locate the token using the given hint, it MUST extend
/// its search across all of its supported token types." An unknown hint is no hint.
pub(crate) async fn find(
    token: &str,
    hint: Option<&str>,
    service: &RevokeService,
) -> Result<Option<Found>, ApiError> {
    let access = || {
        service
            .verifier
            .verify_token(token, service.clock.as_ref())
            .ok()
            .map(Found::Access)
    };
    if hint == Some("access_token") {
        if let Some(found) = access() {
            return Ok(Some(found));
        }
    }
    let refresh = service
        .refresh_tokens
        .find_refresh_token(&SecretHash::of(token))
        .await?;
    Ok(refresh.map(Found::Refresh).or_else(access))
}

/// A request naming a `token`, from the client it authenticates; `facts` learns the client
/// when storage knows it.
async fn client_request(
    request: &Request,
    service: &RevokeService,
    facts: &mut RequestFacts,
) -> Result<(OAuthRequest, Application), ApiError> {
    let request = parse_oauth_request(request, REVOCATION_PARAMETERS)?;
    if request.params.get("token").is_none() {
        return Err(ApiError::invalid_request("token is required"));
    }
    let application = match lookup_id(&request.credentials) {
        Some(id) => service.clients.find_application(id).await?,
        None => None,
    };
    // RFC 7009 §2.1: "The authorization server first validates the client credentials (in
    // case of a confidential client) and then verifies whether the token was issued to the
    // client making the revocation request."
    if let Some(application) = &application {
        facts.client(&application.client_id, application.kind);
    }
    authenticate(
        &request.credentials,
        application.as_ref(),
        service.clock.now(),
    )?;
    let Some(application) = application else {
        return Err(ApiError::invalid_client());
    };
    Ok((request, application))
}

/// The token a request names (present: [`client_request`] checked it).
fn token_of(request: &OAuthRequest) -> &str {
    request.params.get("token").unwrap_or_default()
}

/// Revokes the token the request names.
async fn revoke(
    request: &Request,
    service: &RevokeService,
    facts: &mut RequestFacts,
) -> Result<(), ApiError> {
    let (request, application) = client_request(request, service, facts).await?;
    let token = token_of(&request);
    match find(token, request.params.get("token_type_hint"), service).await? {
        Some(Found::Access(claims)) => revoke_access(&claims, &application, service).await,
        Some(Found::Refresh(state)) => revoke_refresh(&state, &application, service).await,
        // RFC 7009 §2.2: "invalid tokens do not cause an error response": an expired token,
        // another server's, an unknown string.
        None => Ok(()),
    }
}

/// "If this validation fails, the request is refused and the client is informed of the error"
/// (RFC 7009 §2.1), as Commerce Layer does: 403 `unauthorized_client`, saying nothing of the
/// token. By the application's id: a `client_id` can pass to a new application.
fn issued_to(application_id: &str, application: &Application) -> Result<(), ApiError> {
    if application_id != application.id {
        return Err(ApiError::new(
            ErrorCode::TokenOfAnotherClient,
            "this token was not issued to this client",
        ));
    }
    Ok(())
}

/// An access token: its `jti` until it expires, and the login it came from, so that a
/// customer's logout with the access token alone ends the refresh token too.
async fn revoke_access(
    claims: &AccessTokenClaims,
    application: &Application,
    service: &RevokeService,
) -> Result<(), ApiError> {
    issued_to(&claims.application.id, application)?;
    let until = UnixSeconds(claims.exp.saturating_add(KEPT_PAST_EXPIRY));
    let login = async {
        match &claims.sid {
            Some(family) => service.refresh_tokens.revoke_refresh_family(family).await,
            None => Ok(()),
        }
    };
    // Its bit in its status list, for verifiers that never call us.
    let bit = async {
        match &claims.status {
            Some(status) => {
                let window = window_of(claims.iat);
                let index = status.status_list.idx;
                service
                    .status_lists
                    .revoke_status_index(window, index)
                    .await
            }
            None => Ok(()),
        }
    };
    futures::try_join!(
        service.revocations.revoke_access_token(&claims.jti, until),
        login,
        bit
    )?;
    tracing::info!(jti = %claims.jti, family = ?claims.sid, client_id = %application.client_id, "access token revoked");
    Ok(())
}

/// A refresh token: its whole login, and with it every access token issued from it.
async fn revoke_refresh(
    state: &RefreshTokenState,
    application: &Application,
    service: &RevokeService,
) -> Result<(), ApiError> {
    issued_to(&state.record.application_id, application)?;
    if !state.family_revoked {
        service
            .refresh_tokens
            .revoke_refresh_family(&state.record.family_id)
            .await?;
        tracing::info!(family = %state.record.family_id, client_id = %application.client_id, "refresh token family revoked");
    }
    Ok(())
}

/// Handles one request to `/oauth/revoke`, [`LOGOUT_EVERYWHERE_PATH`] or
/// [`INTROSPECTION_PATH`]: `POST`, and the CORS preflight for it. All are counted under the
/// revocation endpoint's limit.
pub async fn handle(request: Request, service: &RevokeService) -> Response<Body> {
    service
        .cors
        .serve(request, |request| revoke_request(request, service))
        .await
}

async fn revoke_request(request: Request, service: &RevokeService) -> Response<Body> {
    if request.method() != Method::POST {
        return ApiError::method_not_allowed("POST").into_response();
    }
    let admission = match service.gate.admit(Endpoint::Revoke, &request).await {
        Ok(admission) => admission,
        Err(error) => return error.into_response(),
    };
    let mut facts = RequestFacts::default();
    let response = if !admission.allowed() {
        admission.refusal().into_response()
    } else if request.uri().path() == LOGOUT_EVERYWHERE_PATH {
        logout::logout_everywhere(&request, service, &mut facts).await
    } else if request.uri().path() == INTROSPECTION_PATH {
        match introspect::introspect(&request, service, &mut facts).await {
            Ok(answer) => json_response(StatusCode::OK, &answer),
            Err(error) => error.into_response(),
        }
    } else {
        match revoke(&request, service, &mut facts).await {
            Ok(()) => json_response(StatusCode::OK, &json!({})),
            Err(error) => error.into_response(),
        }
    };
    let mut response = admission.stamp(response);
    let reported = RequestFacts::of(&mut response);
    reported.client_id = facts.client_id;
    reported.kind = facts.kind;
    response
}
