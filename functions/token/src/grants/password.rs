//! RFC 6749 §4.3, the resource owner password credentials grant: a sales channel logs a
//! customer in with email and password, and gets a refresh token to keep them logged in.

use gatehouse_shared::clock::UnixMillis;
use gatehouse_shared::error::{ApiError, ErrorCode};
use gatehouse_shared::grant::GrantType;
use gatehouse_shared::model::MAX_EMAIL_LENGTH;
use gatehouse_shared::model::{email_key, OwnerType};
use gatehouse_shared::observe::facts::Limit;
use gatehouse_shared::ratelimit::{RateLimitOutcome, RateLimitPolicy};
use gatehouse_shared::scope::{resolve_scope, ScopeContext};
use gatehouse_shared::secret::random_token;
use gatehouse_shared::store::SignIn;

use super::{
    invalid_grant, invalid_scope, issue_access_token, new_refresh_token, GrantRequest, OwnerTokens,
    TokenResponse,
};
use crate::prefetch::Prefetched;
use crate::TokenService;

/// One answer for an unknown email and a wrong password, so that nobody learns which emails
/// have accounts.
const BAD_CREDENTIALS: &str = "the email or password is not valid";

/// The answer while the account's sign-in window is full, whatever the password.
fn locked_out(lockout: &RateLimitPolicy, attempt: &RateLimitOutcome) -> ApiError {
    let mut locked = ApiError::new(
        ErrorCode::InvalidGrant,
        format!(
            "this account is locked after {} failed logins in {} minutes: try again in {} seconds",
            lockout.limit,
            lockout.window.as_secs() / 60,
            attempt.reset_seconds
        ),
    );
    locked.retry_after = Some(attempt.reset_seconds);
    locked.limited_by = Some(Limit::SignIn);
    locked
}

/// A failed attempt takes a place in the account's window; only an attempt the window admits
/// is told why it failed (`refusal`), any other that the account is locked.
async fn count_failed_attempt(
    service: &TokenService,
    attempts_key: &str,
    refusal: ApiError,
    now: UnixMillis,
) -> ApiError {
    let lockout = &service.config.login_lockout;
    match service
        .storage
        .rate_limits
        .hit_rate_limit(attempts_key, lockout, now)
        .await
    {
        Ok(attempt) if attempt.allowed => refusal,
        Ok(attempt) => locked_out(lockout, &attempt),
        Err(error) => error.into(),
    }
}

/// The lockout: every attempt is decided by the account's sign-in window in one atomic step,
/// after the password is checked and before anything is answered. A wrong password takes a
/// place in the window ([`count_failed_attempt`]); the right one starts the login's refresh
/// token family only while the window has room, and clears it (`RefreshTokens::
/// create_refresh_token_at_sign_in`). So parallel guesses cannot outrun
/// the lock: of any burst, only as many attempts as the window admits learn anything but
/// "locked", and the right password is refused like a wrong one while the lock lasts.
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
        now,
    } = request;
    let application = &client.application;
    let storage = &service.storage;
    if email.len() > MAX_EMAIL_LENGTH {
        return Err(invalid_grant(BAD_CREDENTIALS));
    }
    let lockout = &service.config.login_lockout;
    let attempts_key = format!("login:{}:{}", application.mode.as_str(), email_key(email));

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
        return Err(count_failed_attempt(service, &attempts_key, refusal, now).await);
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
            return Err(count_failed_attempt(service, &attempts_key, refusal, now).await);
        }
    };
    let family_id = random_token(16);
    let (refresh_token, record) = new_refresh_token(
        application,
        &customer.id,
        OwnerType::Customer,
        &family_id,
        &granted,
        now,
    );
    match storage
        .refresh_tokens
        .create_refresh_token_at_sign_in(&record, &attempts_key, lockout, now)
        .await?
    {
        SignIn::Created => {}
        SignIn::Locked(attempt) => return Err(locked_out(lockout, &attempt)),
    }
    let access = issue_access_token(
        service,
        application,
        &granted,
        Some((&customer.id, OwnerType::Customer)),
        now,
    )?;
    Ok(TokenResponse {
        access,
        owner: Some(OwnerTokens {
            refresh_token,
            owner_id: customer.id,
            owner_type: OwnerType::Customer,
        }),
    })
}
