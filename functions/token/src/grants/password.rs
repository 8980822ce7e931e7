//! RFC 6749 §4.3, the resource owner password credentials grant: a sales channel logs a
//! customer in with email and password, and gets a refresh token to keep them logged in.

use gatehouse_core::clock::UnixMillis;
use gatehouse_core::grant::GrantType;
use gatehouse_core::model::OwnerType;
use gatehouse_core::model::MAX_EMAIL_LENGTH;
use gatehouse_core::scope::{answered_scope, resolve_scope, ScopeContext};
use gatehouse_core::secret::random_token;
use gatehouse_core::sign_in::{AccountKind, SignInCheck, SignInKeys};
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::observe::facts::Limit;
use gatehouse_store::SignInGrant;

use super::{
    invalid_grant, invalid_scope, issue_access_token, new_refresh_token, GrantRequest, Login,
    OwnerTokens, TokenResponse,
};
use crate::prefetch::Prefetched;
use crate::TokenService;

/// One answer for an unknown email and a wrong password, so that nobody learns which emails
/// have accounts.
const BAD_CREDENTIALS: &str = "the email or password is not valid";

/// The answer to an attempt the sign-in protection holds off, whatever its password.
fn held_off(check: &SignInCheck) -> Option<ApiError> {
    let SignInCheck::Held { outcome, .. } = check else {
        return None;
    };
    let mut held = ApiError::new(ErrorCode::InvalidGrant, check.hold_message()?);
    held.retry_after = Some(outcome.reset_seconds.max(1));
    held.limited_by = Some(Limit::SignIn);
    Some(held)
}

/// A failed attempt is counted in the account's windows; only an attempt they admit is told
/// why it failed (`refusal`), any other that it is held off.
async fn count_failed_attempt(
    service: &TokenService,
    keys: &SignInKeys,
    refusal: ApiError,
    now: UnixMillis,
) -> ApiError {
    match service
        .storage
        .sign_ins
        .count_failed_sign_in(keys, &service.config.sign_in, now)
        .await
    {
        Ok(check) => held_off(&check).unwrap_or(refusal),
        Err(error) => error.into(),
    }
}

/// Every attempt is decided by the sign-in protection ([`gatehouse_core::sign_in`]) in one
/// atomic step, after the password is checked and before anything is answered. A wrong
/// password is counted in the account's windows ([`count_failed_attempt`]); the right one
/// starts the login's refresh token family only while both windows have room
/// (`SignIns::complete_sign_in`). So parallel guesses cannot outrun the protection: of any
/// burst, only as many attempts as the windows admit learn anything but "held off", and the
/// right password is refused like a wrong one while a hold lasts.
pub async fn grant(
    request: GrantRequest<'_>,
    email: &str,
    password: &str,
    prefetched: Prefetched,
) -> Result<TokenResponse, ApiError> {
    let GrantRequest {
        service,
        client,
        scope,
        client_address,
        now,
    } = request;
    let application = &client.application;
    let storage = &service.storage;
    if email.len() > MAX_EMAIL_LENGTH {
        return Err(invalid_grant(BAD_CREDENTIALS));
    }
    let keys = SignInKeys::of(
        application.mode,
        AccountKind::Customer,
        email,
        client_address,
    );

    let customer = match prefetched.customer(application.mode) {
        Some(found) => found?,
        None => {
            storage
                .customers
                .find_customer_by_email(application.mode, email)
                .await?
        }
    };
    // An unknown email is checked against a dummy hash: the same work, the same time. Within
    // the process's bound on hashing: past its deadline, 503 with Retry-After.
    let hash = customer.as_ref().map(|c| c.password_hash.clone());
    let verified = service
        .hashing
        .verify_or_dummy(hash, password.to_owned())
        .await?;
    let Some(customer) = customer.filter(|_| verified) else {
        let refusal = invalid_grant(BAD_CREDENTIALS);
        return Err(count_failed_attempt(service, &keys, refusal, now).await);
    };

    let context = ScopeContext {
        kind: application.kind,
        mode: application.mode,
        grant: GrantType::Password,
        owner_customer_group: customer.customer_group_id.as_deref(),
    };
    let granted = match resolve_scope(scope, &context, &client.markets, &client.stock_locations) {
        Ok(granted) => granted,
        // Told only within the window, like a wrong password: else a scope error would say
        // "right password" to a guesser while the account is locked.
        Err(error) => {
            let refusal = invalid_scope(error);
            return Err(count_failed_attempt(service, &keys, refusal, now).await);
        }
    };
    let answered = answered_scope(scope, &granted);
    let family_id = random_token(16);
    let login = Login {
        owner_id: &customer.id,
        owner_type: OwnerType::Customer,
        family_id: &family_id,
        authenticated_at: now,
        custom_claim: None,
    };
    let (refresh_token, record) = new_refresh_token(application, login, &granted, &answered, now);
    let check = storage
        .sign_ins
        .complete_sign_in(
            &keys,
            &service.config.sign_in,
            SignInGrant::RefreshToken(&record),
            now,
        )
        .await?;
    if let Some(held) = held_off(&check) {
        return Err(held);
    }
    let access =
        issue_access_token(service, application, &granted, &answered, Some(login), now).await?;
    Ok(TokenResponse {
        access,
        owner: Some(OwnerTokens {
            refresh_token: Some(refresh_token),
            owner_id: customer.id,
            owner_type: OwnerType::Customer,
        }),
    })
}
