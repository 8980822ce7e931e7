//! `POST /oauth/introspect` (RFC 7662; docs/api.md, "Introspection"): whether a token is
//! active now, for a confidential client of the token's environment. Every token that is not
//! active (revoked one by one or by an epoch, expired, of the other environment, unknown,
//! malformed) gets the same answer, `{"active": false}`, so that nothing is learnt of it.
//!
//! The answer is storage's at this instant: no cache, unlike the resource API's check.

use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::model::{Application, RefreshTokenState};
use gatehouse_core::revocation::{ended, login_ended, login_subjects, TokenSubjects};
use gatehouse_edge::error::ApiError;
use gatehouse_edge::observe::RequestFacts;
use lambda_http::Request;
use serde_json::{json, Value};

use crate::{client_request, find, token_of, Found, RevokeService};

/// The path of the introspection endpoint.
pub const INTROSPECTION_PATH: &str = "/oauth/introspect";

const INACTIVE: fn() -> Value = || json!({"active": false});

/// The introspection answer for the token the request names.
pub(crate) async fn introspect(
    request: &Request,
    service: &RevokeService,
    facts: &mut RequestFacts,
) -> Result<Value, ApiError> {
    let (request, application) = client_request(request, service, facts).await?;
    // RFC 7662 §2.1: "the endpoint MUST also require some form of authorization to access
    // this endpoint": a client's secret. A public client has none to show.
    if application.is_public() {
        return Err(ApiError::new(
            gatehouse_edge::error::ErrorCode::InvalidClient,
            "introspection is for confidential clients: authenticate with the client secret",
        ));
    }
    let hint = request.params.get("token_type_hint");
    Ok(match find(token_of(&request), hint, service).await? {
        Some(Found::Access(claims)) => access_token(&claims, &application, service).await?,
        Some(Found::Refresh(state)) => refresh_token(&state, &application, service).await?,
        None => INACTIVE(),
    })
}

async fn access_token(
    claims: &AccessTokenClaims,
    application: &Application,
    service: &RevokeService,
) -> Result<Value, ApiError> {
    if claims.mode() != application.mode {
        return Ok(INACTIVE());
    }
    let state = service
        .revocations
        .revocation_state(&TokenSubjects::of(claims))
        .await?;
    if ended(claims, &state).is_some() {
        return Ok(INACTIVE());
    }
    let owner = claims.owner.as_ref();
    Ok(json!({
        "active": true,
        "token_type": "bearer",
        "token_use": "access_token",
        "scope": claims.scope,
        "client_id": claims.application.client_id,
        // RFC 7662 §2.2: "Subject of the token ... usually a machine-readable identifier of
        // the resource owner who authorized this token": the owner, else the client itself.
        "sub": owner.map_or(&claims.application.client_id, |owner| &owner.id),
        "owner_type": owner.map(|owner| &owner.owner_type),
        "iss": claims.iss,
        "iat": claims.iat,
        "exp": claims.exp,
        "jti": claims.jti,
        "market_id": claims.market.as_ref().map(|market| &market.id),
        "test": claims.test,
    }))
}

async fn refresh_token(
    state: &RefreshTokenState,
    application: &Application,
    service: &RevokeService,
) -> Result<Value, ApiError> {
    let record = &state.record;
    let now = service.clock.now();
    if record.mode != application.mode || !state.can_rotate_into(&record.family_id, now) {
        return Ok(INACTIVE());
    }
    let epochs = service
        .revocations
        .revocation_state(&login_subjects(record))
        .await?
        .epochs;
    if login_ended(record, &epochs).is_some() {
        return Ok(INACTIVE());
    }
    Ok(json!({
        "active": true,
        "token_use": "refresh_token",
        "scope": record.scope,
        "client_id": record.client_id,
        "sub": record.owner_id,
        "owner_type": record.owner_type.claim_name(),
        "iat": record.issued_at.floor_seconds().0,
        "exp": record.expires_at.floor_seconds().0,
        "test": record.mode == gatehouse_core::model::Mode::Test,
    }))
}
