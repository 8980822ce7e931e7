//! RFC 6749 §4.1.3, the authorization code grant, for webapps: a code from
//! `/oauth/authorize` for a user's access token and refresh token, with PKCE (RFC 7636).

use gatehouse_core::grant::GrantType;
use gatehouse_core::model::{AuthorizationCodeRecord, CodePresentation, CodeRefusal, OwnerType};
use gatehouse_core::scope::{resolve_scope, ScopeContext};
use gatehouse_core::secret::SecretHash;
use gatehouse_edge::error::ApiError;
use gatehouse_store::Redemption;

use super::{
    invalid_grant, issue_access_token, new_refresh_token, GrantRequest, Login, OwnerNow,
    OwnerTokens, TokenResponse,
};
use gatehouse_core::grant_hint::StoredGrant;

use crate::prefetch::{owner_and_scope, Prefetched};
use crate::TokenService;

/// What the token request presents with its code.
pub struct Presented<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    /// The S256 challenge of the `code_verifier` sent, if one was sent.
    pub verifier_challenge: Option<&'a str>,
}

const NOT_VALID: &str = "the authorization code is not valid";

/// The answer to each refusal. A replay also revokes what the code issued: RFC 6749 §4.1.2:
/// "If an authorization code is used more than once, the authorization server MUST deny the
/// request and SHOULD revoke (when possible) all tokens previously issued based on that
/// authorization code." Access tokens are stateless and run out by themselves; the refresh
/// token family the code started is revoked.
async fn refuse(
    service: &TokenService,
    record: &AuthorizationCodeRecord,
    refusal: CodeRefusal,
) -> ApiError {
    match refusal {
        CodeRefusal::AlreadyUsed => {
            let tokens = &service.storage.refresh_tokens;
            match tokens.revoke_refresh_family(&record.family_id).await {
                Ok(()) => {
                    tracing::warn!(client_id = %record.client_id, family = %record.family_id, "authorization code replayed: its tokens are revoked");
                    invalid_grant("the authorization code was already used: the tokens issued from it are revoked")
                }
                Err(error) => error.into(),
            }
        }
        CodeRefusal::Expired => invalid_grant("the authorization code has expired"),
        CodeRefusal::OtherClient => invalid_grant(NOT_VALID),
        CodeRefusal::RedirectUriMismatch => {
            invalid_grant("redirect_uri is not the one of the authorization request")
        }
        CodeRefusal::VerifierMissing => invalid_grant(
            "code_verifier is required: the authorization request sent a code_challenge",
        ),
        CodeRefusal::VerifierWithoutChallenge => invalid_grant(
            "code_verifier was sent but the authorization request had no code_challenge",
        ),
        CodeRefusal::VerifierMismatch => {
            invalid_grant("code_verifier does not match the code_challenge")
        }
    }
}

pub async fn grant(
    request: GrantRequest<'_>,
    presented: Presented<'_>,
    prefetched: Prefetched,
) -> Result<TokenResponse, ApiError> {
    let GrantRequest {
        service,
        client,
        now,
        ..
    } = request;
    let application = &client.application;
    let codes = &service.storage.authorization_codes;
    let hash = SecretHash::of(presented.code);
    let presentation = CodePresentation {
        application_id: &application.id,
        redirect_uri: presented.redirect_uri,
        verifier_challenge: presented.verifier_challenge,
    };

    let (record, ahead) = match prefetched {
        Prefetched::Code { record, ahead } => (record?, ahead),
        _ => (codes.find_authorization_code(&hash).await?, None),
    };
    let record = record
        .filter(|record| record.mode == application.mode)
        .ok_or_else(|| invalid_grant(NOT_VALID))?;
    if let Some(refusal) = record.refusal(&presentation, now) {
        return Err(refuse(service, &record, refusal).await);
    }

    // The user and the approved scope as they are now: the user still a member, the market
    // still active. Read ahead when the code's hint named them; else both now, together.
    let (user, (original, markets, locations)) = owner_and_scope(
        service,
        ahead,
        StoredGrant {
            mode: record.mode,
            family_id: &record.family_id,
            owner: (&record.user_id, OwnerType::User),
            market_id: record.market_id.as_deref(),
            stock_location_ids: &record.stock_location_ids,
        },
    )
    .await?;
    if user == OwnerNow::Gone {
        return Err(invalid_grant("the user of this code no longer exists"));
    }
    let context = ScopeContext {
        kind: application.kind,
        mode: application.mode,
        grant: GrantType::AuthorizationCode,
        owner_customer_group: None,
    };
    let granted = resolve_scope(&original, &context, &markets, &locations)
        .map_err(|e| invalid_grant(format!("the approved scope no longer holds: {e}")))?;
    // As the authorization request asked it; the normal form for a code kept before answers were.
    let answered = record
        .scope
        .clone()
        .unwrap_or_else(|| granted.to_scope_string());

    // The user signed in when the code was issued.
    let login = Login {
        owner_id: &record.user_id,
        owner_type: OwnerType::User,
        family_id: &record.family_id,
        authenticated_at: record.issued_at,
        custom_claim: None,
    };
    let access =
        issue_access_token(service, application, &granted, &answered, Some(login), now).await?;
    let (refresh_token, first) = new_refresh_token(application, login, &granted, &answered, now);
    match codes.redeem_authorization_code(&hash, &first, now).await? {
        Redemption::Redeemed => Ok(TokenResponse {
            access,
            owner: Some(OwnerTokens {
                refresh_token: Some(refresh_token),
                owner_id: record.user_id.clone(),
                owner_type: OwnerType::User,
            }),
        }),
        // Another request redeemed it first (a replay: the winner's tokens are revoked), or it
        // expired meanwhile.
        Redemption::NotActive(Some(now_record)) => match now_record.refusal(&presentation, now) {
            Some(refusal) => Err(refuse(service, &now_record, refusal).await),
            None => Err(gatehouse_store::StoreError::Unavailable(
                "the code's redemption conflicted with another transaction".into(),
            )
            .into()),
        },
        Redemption::NotActive(None) => Err(invalid_grant(NOT_VALID)),
    }
}
