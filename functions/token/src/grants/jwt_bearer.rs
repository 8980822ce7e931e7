//! RFC 7523 §2.1, the JWT bearer grant: a confidential client presents an assertion that
//! names the customer or user it acts for, and gets their token without their password.
//!
//! The client's authentication and its `jwt_bearer` setting were checked before
//! ([`gatehouse_core::model::Application::may_use_grant`]). Here: the assertion's signature in
//! `verified` mode (one of the application's keys, [`crate::assertion_keys`]), its claims
//! ([`gatehouse_core::jwt_bearer::assertion`]), its owner in the application's environment, the
//! scope under the owner's rules, and its `jti`, remembered with the login it begins in one
//! atomic step, so that a replay is refused even when sent at the same instant.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_core::grant::GrantType;
use gatehouse_core::jwt_bearer::assertion::{
    check_claims, AssertedOwner, AssertionContext, AssertionMode, MAX_ASSERTION_BYTES,
};
use gatehouse_core::jwt_bearer::{AssertionKey, JwtBearer};
use gatehouse_core::model::{Application, OwnerType};
use gatehouse_core::scope::{answered_scope, resolve_scope, ScopeContext};
use gatehouse_core::secret::random_token;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_store::{AssertionUse, UsedAssertion};
use jsonwebtoken::{decode, decode_header, Algorithm, Validation};
use serde_json::Value;

use super::{
    invalid_scope, issue_access_token_with, new_refresh_token, owner_now, GrantRequest, Granted,
    Login, OwnerNow, OwnerTokens, TokenResponse,
};

/// Commerce Layer's answer to a bad assertion: `invalid_grant`, titled `invalid_assertion`.
pub fn invalid_assertion(description: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(ErrorCode::InvalidAssertion, description)
}

pub async fn grant(request: GrantRequest<'_>, assertion: &str) -> Result<TokenResponse, ApiError> {
    let GrantRequest {
        service,
        client,
        scope,
        now,
        ..
    } = request;
    let application = &client.application;
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(invalid_assertion(format!(
            "the assertion is larger than {MAX_ASSERTION_BYTES} bytes"
        )));
    }
    let (mode, payload) = payload_of(request, application, assertion).await?;
    let token_endpoint = format!("{}/oauth/token", service.config.issuer);
    let context = AssertionContext {
        mode,
        client_id: &application.client_id,
        audiences: [&service.config.issuer, &token_endpoint],
        now: now.floor_seconds(),
    };
    let asserted =
        check_claims(&payload, &context).map_err(|error| invalid_assertion(error.to_string()))?;

    let group = match &asserted.owner {
        Some(owner) => owner_group(request, application, owner).await?,
        None => None,
    };
    let scope_context = ScopeContext {
        kind: application.kind,
        mode: application.mode,
        grant: GrantType::JwtBearer,
        owner_customer_group: group.as_deref(),
    };
    let granted = resolve_scope(
        scope,
        &scope_context,
        &client.markets,
        &client.stock_locations,
    )
    .map_err(invalid_scope)?;
    let answered = answered_scope(scope, &granted);

    let family_id = random_token(16);
    let custom_claim = asserted.custom_claim.as_ref();
    let login = asserted.owner.as_ref().map(|owner| Login {
        owner_id: &owner.id,
        owner_type: owner.owner_type,
        family_id: &family_id,
        authenticated_at: now,
        custom_claim,
    });
    // A login to keep only where the application may refresh it: an integration asks again
    // instead. (Its token still names the login, `sid`, so that revoking it ends them all.)
    let refresh = login
        .filter(|_| application.may_use_grant(GrantType::RefreshToken))
        .map(|login| new_refresh_token(application, login, &granted, &answered, now));
    // Signed before the jti is spent, as a code's token is before the code: a step that can
    // fail (the status list index's reservation) must not fail after it, or the client's retry
    // with the same assertion would be refused as a replay. Dropped if it is one.
    let access = issue_access_token_with(
        service,
        Granted {
            application,
            scope: &granted,
            answered: &answered,
        },
        login,
        custom_claim,
        now,
    )
    .await?;
    let storage = &service.storage;
    match (&asserted.replay, &refresh) {
        (Some((jti, kept_until)), _) => {
            let used = UsedAssertion {
                application_id: &application.id,
                jti,
                kept_until: *kept_until,
            };
            let first = refresh.as_ref().map(|(_, record)| record);
            if storage.assertions.use_assertion(&used, first, now).await? == AssertionUse::Replayed
            {
                return Err(invalid_assertion("the assertion's jti was used already"));
            }
        }
        (None, Some((_, record))) => storage.refresh_tokens.create_refresh_token(record).await?,
        (None, None) => {}
    }
    Ok(TokenResponse {
        access,
        owner: asserted.owner.map(|owner| OwnerTokens {
            refresh_token: refresh.map(|(value, _)| value),
            owner_id: owner.id,
            owner_type: owner.owner_type,
        }),
    })
}

/// The assertion's mode and payload: in `verified` mode once its signature is checked.
async fn payload_of(
    request: GrantRequest<'_>,
    application: &Application,
    assertion: &str,
) -> Result<(AssertionMode, Value), ApiError> {
    let keys = match &application.jwt_bearer {
        Some(JwtBearer::CommerceLayer) => {
            return Ok((AssertionMode::CommerceLayer, unverified(assertion)?))
        }
        Some(JwtBearer::Verified(keys)) => keys,
        // Admitted only with a setting (`Application::may_use_grant`).
        None => {
            return Err(ApiError::new(
                ErrorCode::UnauthorizedClient,
                "the JWT bearer grant is not turned on for this application",
            ))
        }
    };
    let header = decode_header(assertion)
        .map_err(|_| invalid_assertion("the assertion is not a signed JWT"))?;
    if !matches!(
        header.alg,
        Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA
    ) {
        return Err(invalid_assertion(
            "the assertion must be signed with RS256, ES256 or EdDSA",
        ));
    }
    let keys = request
        .service
        .assertion_keys
        .keys(keys, header.kid.as_deref(), request.now)
        .await?;
    let payload = verified(assertion, header.alg, header.kid, &keys)?;
    Ok((AssertionMode::Verified, payload))
}

/// The owner named by the assertion, in the application's environment, with the customer group
/// its private markets depend on. One of another environment, or none, is refused alike.
async fn owner_group(
    request: GrantRequest<'_>,
    application: &Application,
    owner: &AssertedOwner,
) -> Result<Option<String>, ApiError> {
    let found = owner_now(
        request.service,
        application.mode,
        owner.owner_type,
        &owner.id,
    )
    .await?;
    match found {
        OwnerNow::Customer { group } => Ok(group),
        OwnerNow::User => Ok(None),
        OwnerNow::Gone => Err(invalid_assertion(match owner.owner_type {
            OwnerType::Customer => "the assertion's customer does not exist in this environment",
            OwnerType::User => "the assertion's user does not exist in this environment",
        })),
    }
}

/// A Commerce Layer assertion's payload, read without its signature: three base64url parts, the
/// second a JSON object. (Its helper signs with the key `"cl"`, which proves nothing.)
fn unverified(assertion: &str) -> Result<Value, ApiError> {
    let mut parts = assertion.split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Err(invalid_assertion("the assertion is not a JWT")),
    };
    URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| invalid_assertion("the assertion's payload is not base64url JSON"))
}

/// A `verified` assertion's payload, once a key of the application with its `alg` (and its
/// `kid`, when it names one) verifies its signature. Only the signature: the claims are
/// checked by the rules, with the injected clock.
fn verified(
    assertion: &str,
    alg: Algorithm,
    kid: Option<String>,
    keys: &[AssertionKey],
) -> Result<Value, ApiError> {
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let candidates = keys
        .iter()
        .filter(|key| key.algorithm == alg && (kid.is_none() || key.kid == kid));
    for key in candidates {
        let Some(decoding) = key.decoding_key() else {
            continue;
        };
        if let Ok(data) = decode::<Value>(assertion, &decoding, &validation) {
            return Ok(data.claims);
        }
    }
    Err(invalid_assertion(
        "the assertion is not signed by a key of this application",
    ))
}
