//! RFC 6749 §4.3, the resource owner password credentials grant: a sales channel logs a
//! customer in with email and password, and gets a refresh token to keep them logged in.

use gatehouse_shared::error::{ApiError, ErrorCode};
use gatehouse_shared::grant::GrantType;
use gatehouse_shared::model::MAX_EMAIL_LENGTH;
use gatehouse_shared::model::{email_key, OwnerType};
use gatehouse_shared::observe::facts::Limit;
use gatehouse_shared::password::verify_or_dummy_async;
use gatehouse_shared::scope::{resolve_scope, ScopeContext};
use gatehouse_shared::secret::random_token;

use super::{
    invalid_grant, invalid_scope, issue_access_token, new_refresh_token, GrantRequest, OwnerTokens,
    TokenResponse,
};

/// One answer for an unknown email and a wrong password, so that nobody learns which emails
/// have accounts.
const BAD_CREDENTIALS: &str = "the email or password is not valid";

pub async fn grant(
    request: GrantRequest<'_>,
    email: &str,
    password: &str,
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

    // Every attempt takes a place in the account's window before the password is checked, so
    // that parallel guesses cannot outrun the lock; a successful login frees them all.
    let lockout = &service.config.login_lockout;
    let attempts_key = format!("login:{}:{}", application.mode.as_str(), email_key(email));
    let attempt = storage
        .rate_limits
        .hit_rate_limit(&attempts_key, lockout, now)
        .await?;
    if !attempt.allowed {
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
        return Err(locked);
    }

    let customer = storage
        .customers
        .find_customer_by_email(application.mode, email)
        .await?;
    // An unknown email is checked against a dummy hash: the same work, the same time. On the
    // blocking pool, so that argon2 does not stall the requests sharing this thread.
    let hash = customer.as_ref().map(|c| c.password_hash.clone());
    if !verify_or_dummy_async(hash, password.to_owned()).await {
        return Err(invalid_grant(BAD_CREDENTIALS));
    }
    let Some(customer) = customer else {
        return Err(invalid_grant(BAD_CREDENTIALS));
    };
    storage
        .rate_limits
        .clear_rate_limit(&attempts_key, lockout)
        .await?;

    let context = ScopeContext {
        kind: application.kind,
        mode: application.mode,
        grant: GrantType::Password,
        owner_customer_group: customer.customer_group_id.as_deref(),
    };
    let granted = resolve_scope(scope, &context, &client.markets, &client.stock_locations)
        .map_err(invalid_scope)?;
    let access = issue_access_token(
        service,
        application,
        &granted,
        Some((&customer.id, OwnerType::Customer)),
        now,
    )?;
    let family_id = random_token(16);
    let (refresh_token, record) = new_refresh_token(
        application,
        &customer.id,
        OwnerType::Customer,
        &family_id,
        &granted,
        now,
    );
    storage.refresh_tokens.create_refresh_token(&record).await?;
    Ok(TokenResponse {
        access,
        owner: Some(OwnerTokens {
            refresh_token,
            owner_id: customer.id,
            owner_type: OwnerType::Customer,
        }),
    })
}
