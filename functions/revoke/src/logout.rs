//! `POST /oauth/logout_everywhere` (docs/api.md, "Revocation"): a customer or a user ends
//! every login of theirs, on every application, with one of their own access tokens in
//! `Authorization: Bearer`. It writes their owner epoch: every token of theirs issued (or
//! signed in) before now is ended, this one included.

use gatehouse_core::revocation::{epoch_at, TokenSubjects};
use gatehouse_edge::bearer::BearerError;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::http::json_response;
use gatehouse_edge::observe::RequestFacts;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

use crate::RevokeService;

/// The path of the owner's own "log out everywhere".
pub const LOGOUT_EVERYWHERE_PATH: &str = "/oauth/logout_everywhere";

/// Ends every token of the owner of the request's bearer token.
pub(crate) async fn logout_everywhere(
    request: &Request,
    service: &RevokeService,
    facts: &mut RequestFacts,
) -> Response<Body> {
    let authorization = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let clock = service.clock.as_ref();
    let claims = match service.verifier.verify(authorization, clock) {
        Ok(claims) => claims,
        Err(error) => return error.into_response(),
    };
    facts.client(&claims.application.client_id, claims.application.kind);
    // A revoked token may not end anything more: it may be a stolen one.
    let subjects = TokenSubjects::of(&claims);
    let state = match service.revocations.revocation_state(&subjects).await {
        Ok(state) => state,
        Err(error) => return ApiError::from(error).into_response(),
    };
    if let Some(ended) = gatehouse_core::revocation::ended(&claims, &state) {
        return BearerError::Revoked(ended).into_response();
    }
    let Some(owner) = subjects.owner else {
        return ApiError::new(
            ErrorCode::InvalidRequest,
            "this access token has no owner: only a customer's or a user's token can log its owner out",
        )
        .into_response();
    };
    let epoch = epoch_at(clock.now());
    if let Err(error) = service.revocations.write_epoch(&owner, epoch).await {
        return ApiError::from(error).into_response();
    }
    tracing::info!(owner = %owner.key(), epoch = epoch.0, client_id = %claims.application.client_id, "owner logged out everywhere");
    json_response(StatusCode::OK, &json!({}))
}
