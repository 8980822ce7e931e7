//! `POST /oauth/revoke` (RFC 7009), also in the Commerce Layer form (JSON `client_id`, `token`,
//! optional `client_secret`): revokes a refresh token and every token of its family.

use std::sync::Arc;

use gatehouse_core::clock::Clock;
use gatehouse_core::secret::SecretHash;
use gatehouse_edge::cors::CorsPolicy;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::gate::{Endpoint, Gate};
use gatehouse_edge::http::json_response;
use gatehouse_edge::oauth_request::{
    authenticate, lookup_id, parse_oauth_request, REVOCATION_PARAMETERS,
};
use gatehouse_edge::observe::RequestFacts;
use gatehouse_edge::runtime::Runtime;
use gatehouse_store::{Clients, Concerns, RefreshTokens};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// What revocation depends on: the client that asks, the refresh tokens, the per-address
/// limit, and the clock that says whether a rotated-out client secret is still accepted.
pub struct RevokeService {
    pub clients: Arc<dyn Clients>,
    pub refresh_tokens: Arc<dyn RefreshTokens>,
    /// Per client address, as for `/oauth/token` (the same policy, its own count): every
    /// request costs storage reads, so none may come unbounded from one address.
    pub gate: Gate,
    /// Browser origins allowed to call this endpoint, as for the token endpoint.
    pub cors: CorsPolicy,
    pub clock: Arc<dyn Clock>,
}

impl RevokeService {
    /// The revocation endpoint of `runtime`'s process.
    pub fn new<S: ?Sized + Concerns>(runtime: &Runtime<S>) -> Self {
        Self {
            clients: runtime.store().clients(),
            refresh_tokens: runtime.store().refresh_tokens(),
            gate: runtime.gate(),
            cors: runtime.config.cors.clone(),
            clock: Arc::clone(&runtime.clock),
        }
    }
}

/// Revokes the token the request names; `facts` learns the client when storage knows it.
async fn revoke(
    request: &Request,
    service: &RevokeService,
    facts: &mut RequestFacts,
) -> Result<(), ApiError> {
    let request = parse_oauth_request(request, REVOCATION_PARAMETERS)?;
    let token = request
        .params
        .get("token")
        .ok_or_else(|| ApiError::invalid_request("token is required"))?;
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
    let Some(state) = service
        .refresh_tokens
        .find_refresh_token(&SecretHash::of(token))
        .await?
    else {
        // RFC 7009 §2.2: "invalid tokens do not cause an error response", an access token
        // (they are not revoked) and an unknown string included.
        return Ok(());
    };
    // By the application's id: a `client_id` can pass to a new application.
    if state.record.application_id != application.id {
        return Err(ApiError::new(
            ErrorCode::TokenOfAnotherClient,
            "this token was not issued to this client",
        ));
    }
    if !state.family_revoked {
        service
            .refresh_tokens
            .revoke_refresh_family(&state.record.family_id)
            .await?;
        tracing::info!(family = %state.record.family_id, client_id = %application.client_id, "refresh token family revoked");
    }
    Ok(())
}

/// Handles one request to `/oauth/revoke`: `POST`, and the CORS preflight for it.
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
    let response = if admission.allowed() {
        match revoke(&request, service, &mut facts).await {
            Ok(()) => json_response(StatusCode::OK, &json!({})),
            Err(error) => error.into_response(),
        }
    } else {
        admission.refusal().into_response()
    };
    let mut response = admission.stamp(response);
    let reported = RequestFacts::of(&mut response);
    reported.client_id = facts.client_id;
    reported.kind = facts.kind;
    response
}
