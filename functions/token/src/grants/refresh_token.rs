//! RFC 6749 §6, refreshing an access token. Every use rotates the refresh token; presenting a
//! consumed one again is taken for theft and revokes its whole family, except within a short
//! grace period after the exchange, where it is taken for a retry (a lost response, a second
//! browser tab) and only refused.

use std::time::Duration;

use gatehouse_core::clock::UnixMillis;
use gatehouse_core::grant::GrantType;
use gatehouse_core::input::echo_input;
use gatehouse_core::model::RefreshTokenRecord;
use gatehouse_core::scope::{answered_scope, resolve_scope, GrantedScope, ScopeContext};
use gatehouse_core::secret::SecretHash;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_store::Rotation;

use super::{
    invalid_grant, invalid_scope, issue_access_token, new_refresh_token, GrantRequest, Login,
    OwnerNow, OwnerTokens, TokenResponse,
};
use gatehouse_core::grant_hint::StoredGrant;

use crate::prefetch::{owner_and_scope, Prefetched};
use crate::TokenService;

const NOT_VALID: &str = "the refresh token is not valid";

/// A consumed token presented this soon after its exchange came from a request that was in
/// flight with the exchange (both read the token while it was still active, or this one read
/// it a moment after the other's write): a race between a client's own requests, never a sign
/// of theft, whatever grace period is configured. Without it, `--refresh-reuse-grace 0` let a
/// losing concurrent request revoke the family whose new token the winner had just received.
/// Two seconds is far longer than an exchange takes (tens of milliseconds) and far shorter
/// than a stolen token's replay can be timed to hit.
const CONCURRENT_EXCHANGE: Duration = Duration::from_secs(2);

/// What to answer for a consumed token presented again. RFC 9700 §4.14.2: "If a refresh token
/// is compromised and subsequently used by both the attacker and the legitimate client, one of
/// them will present an invalidated refresh token, which will inform the authorization server
/// of the breach" — and then the whole family is revoked. Within the grace period (never
/// shorter than [`CONCURRENT_EXCHANGE`]) it is taken for a retry and only refused.
async fn reuse(
    service: &TokenService,
    record: &RefreshTokenRecord,
    consumed_at: UnixMillis,
    now: UnixMillis,
) -> ApiError {
    let grace = service.config.refresh_reuse_grace.max(CONCURRENT_EXCHANGE);
    if now < consumed_at + grace {
        return just_exchanged();
    }
    let tokens = &service.storage.refresh_tokens;
    match tokens.revoke_refresh_family(&record.family_id).await {
        Ok(()) => {
            tracing::warn!(family = %record.family_id, client_id = %record.client_id, "refresh token reuse: family revoked");
            invalid_grant("this refresh token was already used: every token of this login is now revoked, log in again")
        }
        Err(error) => error.into(),
    }
}

/// Is `narrower` within `original`? The same market, and stock locations within the original's
/// (any of the market's when the original named none).
fn within(narrower: &GrantedScope, original: &GrantedScope) -> bool {
    match (original, narrower) {
        (GrantedScope::AllMarkets, _) => true,
        (GrantedScope::Market { .. }, GrantedScope::AllMarkets) => false,
        (
            GrantedScope::Market {
                market: a,
                stock_locations: allowed,
            },
            GrantedScope::Market {
                market: b,
                stock_locations: asked,
            },
        ) => {
            a.id == b.id
                && (allowed.is_empty()
                    || (!asked.is_empty()
                        && asked.iter().all(|l| allowed.iter().any(|k| k.id == l.id))))
        }
    }
}

pub async fn grant(
    request: GrantRequest<'_>,
    refresh_token: &str,
    prefetched: Prefetched,
) -> Result<TokenResponse, ApiError> {
    let GrantRequest {
        service,
        client,
        scope: requested,
        now,
        ..
    } = request;
    let application = &client.application;
    let tokens = &service.storage.refresh_tokens;
    let presented = SecretHash::of(refresh_token);

    let (state, ahead) = match prefetched {
        Prefetched::RefreshToken { state, ahead } => (state?, ahead),
        _ => (tokens.find_refresh_token(&presented).await?, None),
    };
    let state = state.ok_or_else(|| invalid_grant(NOT_VALID))?;
    let record = &state.record;
    // RFC 6749 §6: "ensure that the refresh token was issued to the authenticated client". The
    // client is the application's id, not its `client_id`: a new application created with a
    // deleted one's `client_id` must not inherit its tokens.
    if record.application_id != application.id || record.mode != application.mode {
        return Err(invalid_grant(NOT_VALID));
    }
    if state.family_revoked {
        return Err(invalid_grant("the refresh token has been revoked"));
    }
    if let Some(consumed_at) = record.consumed_at {
        return Err(reuse(service, record, consumed_at, now).await);
    }
    if record.expires_at <= now {
        return Err(invalid_grant("the refresh token has expired"));
    }

    // The owner and the original scope as they are now: the market must still be active, the
    // customer still in its group, the user still a member. Read ahead when the token's hint
    // named them; else (a token issued before hints) both now, together.
    let (owner, (original_request, original_markets, original_locations)) = owner_and_scope(
        service,
        ahead,
        StoredGrant {
            mode: record.mode,
            family_id: &record.family_id,
            owner: (&record.owner_id, record.owner_type),
            market_id: record.market_id.as_deref(),
            stock_location_ids: &record.stock_location_ids,
        },
    )
    .await?;
    let owner_group = match owner {
        OwnerNow::Gone => return Err(invalid_grant("the refresh token's owner no longer exists")),
        OwnerNow::Customer { group } => group,
        OwnerNow::User => None,
    };
    let context = ScopeContext {
        kind: application.kind,
        mode: application.mode,
        grant: GrantType::RefreshToken,
        owner_customer_group: owner_group.as_deref(),
    };
    let original = resolve_scope(
        &original_request,
        &context,
        &original_markets,
        &original_locations,
    )
    // The original grant no longer holds (market disabled, customer left the group): the
    // refresh token cannot be used for it any more.
    .map_err(|e| invalid_grant(format!("the refresh token's scope no longer holds: {e}")))?;
    // The original grant's answer: as kept, or (a record kept before answers were) its normal form.
    let original_answer = record
        .scope
        .clone()
        .unwrap_or_else(|| original.to_scope_string());
    // RFC 6749 §6: a requested scope "MUST NOT include any scope not originally granted".
    let (granted, answered) = if requested.is_empty() {
        (original.clone(), original_answer.clone())
    } else {
        let asked = resolve_scope(
            requested,
            &context,
            &client.markets,
            &client.stock_locations,
        )
        .map_err(invalid_scope)?;
        if !within(&asked, &original) {
            return Err(ApiError::new(
                ErrorCode::InvalidScope,
                format!(
                    "the requested scope {} is wider than the original grant {}",
                    echo_input(&asked.to_scope_string()),
                    echo_input(&original.to_scope_string())
                ),
            ));
        }
        (asked, answered_scope(requested, &original))
    };

    // The login goes on: its owner, its family and when it began.
    let login = Login {
        owner_id: &record.owner_id,
        owner_type: record.owner_type,
        family_id: &record.family_id,
        authenticated_at: record.authenticated_at,
        custom_claim: record.custom_claim.as_ref(),
    };
    let access =
        issue_access_token(service, application, &granted, &answered, Some(login), now).await?;
    // RFC 6749 §6: the new refresh token's scope is "identical to that of the refresh token
    // included by the client", however narrow this access token is.
    let (refresh_token, successor) =
        new_refresh_token(application, login, &original, &original_answer, now);
    match tokens
        .rotate_refresh_token(&presented, &successor, now)
        .await?
    {
        Rotation::Rotated => Ok(TokenResponse {
            access,
            owner: Some(OwnerTokens {
                refresh_token: Some(refresh_token),
                owner_id: record.owner_id.clone(),
                owner_type: record.owner_type,
            }),
        }),
        // Another request exchanged it while this one ran: this request saw the token active,
        // so it lost a race with the client's own request and is refused, never taken for
        // reuse (that would revoke the token the winner was just given). Or it was revoked
        // meanwhile.
        Rotation::NotActive(Some(now_state)) => match now_state.record.consumed_at {
            Some(_) if !now_state.family_revoked => Err(just_exchanged()),
            _ => Err(invalid_grant("the refresh token has been revoked")),
        },
        Rotation::NotActive(None) => Err(invalid_grant(NOT_VALID)),
        Rotation::LoginEnded => Err(invalid_grant("the refresh token has been revoked")),
    }
}

fn just_exchanged() -> ApiError {
    invalid_grant("this refresh token was just exchanged for a new one: use the new one")
}
