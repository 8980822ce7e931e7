//! A sign-in form's attempt, once its address is counted: the password, then the sign-in
//! protection ([`gatehouse_core::sign_in`]), which also stores the code of a successful one.

use std::time::Duration;

use gatehouse_core::clock::UnixMillis;
use gatehouse_core::grant_hint::GrantHint;
use gatehouse_core::lifetime::AUTHORIZATION_CODE_LIFETIME;
use gatehouse_core::model::{AuthorizationCodeRecord, OwnerType, MAX_EMAIL_LENGTH};
use gatehouse_core::secret::{random_token, SecretHash};
use gatehouse_core::sign_in::{AccountKind, SignInCheck, SignInKeys};
use gatehouse_edge::error::ApiError;
use gatehouse_store::SignInGrant;
use lambda_http::Request;

use crate::refusal::{Refusal, BAD_CREDENTIALS};
use crate::request::AuthorizationRequest;
use crate::AuthorizeService;

/// The refusal of an attempt the sign-in protection holds off, whatever the password.
fn held(check: SignInCheck) -> Refusal {
    let (message, retry_after) = match (&check, check.hold_message()) {
        (SignInCheck::Held { outcome, .. }, Some(message)) => {
            (message, outcome.reset_seconds.max(1))
        }
        _ => (BAD_CREDENTIALS.to_owned(), 1),
    };
    Refusal::Held {
        message: as_sentence(&message),
        retry_after,
    }
}

/// A message of the token endpoint's style ("too many …: try again …") as the page's
/// sentences are written: capitalized, with a full stop.
fn as_sentence(message: &str) -> String {
    let mut chars = message.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

/// A sign-in attempt its address may make: checks a user's email and password with the
/// customers' sign-in protection ([`gatehouse_core::sign_in`]): an unknown email costs a dummy
/// hash, a failure is counted in the account's windows, and the right password issues the code
/// only while they have room, in one atomic step with forgetting this address's failures. The
/// code it earns, or why not; Err: storage failed, or no password hashing could start in time.
pub(crate) async fn attempt(
    http_request: &Request,
    service: &AuthorizeService,
    request: &AuthorizationRequest,
    email: &str,
    password: &str,
) -> Result<Result<String, Refusal>, ApiError> {
    if email.len() > MAX_EMAIL_LENGTH {
        return Ok(Err(Refusal::BadCredentials));
    }
    let mode = request.application.mode;
    // As the gate counted it: a trusted backend's forwarded address, else the connection's.
    let address = service.gate.caller(http_request)?;
    let keys = SignInKeys::of(mode, AccountKind::User, email, &address);
    let policy = &service.config.sign_in;
    let now = service.clock.now();
    let user = service.users.find_user_by_email(mode, email).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let verified = service
        .hashing
        .verify_or_dummy(hash, password.to_owned())
        .await?;
    let Some(user) = user.filter(|_| verified) else {
        let check = service
            .sign_ins
            .count_failed_sign_in(&keys, policy, now)
            .await?;
        return Ok(Err(match check {
            SignInCheck::Admitted => Refusal::BadCredentials,
            check => held(check),
        }));
    };
    let (code, record) = new_code(request, &user.id, now);
    match service
        .sign_ins
        .complete_sign_in(&keys, policy, SignInGrant::AuthorizationCode(&record), now)
        .await?
    {
        SignInCheck::Admitted => {
            tracing::info!(client_id = %request.application.client_id, user_id = %user.id, "authorization code issued");
            Ok(Ok(code))
        }
        check => Ok(Err(held(check))),
    }
}

/// A new code for the signed-in user (256 random bits, stored only as its hash), with the
/// [`GrantHint`] that lets the token endpoint read what it needs in one round trip.
fn new_code(
    request: &AuthorizationRequest,
    user_id: &str,
    now: UnixMillis,
) -> (String, AuthorizationCodeRecord) {
    let (market_id, stock_location_ids) = request.scope.stored_ids();
    let application = &request.application;
    let family_id = random_token(16);
    let code = GrantHint {
        mode: application.mode,
        family_id: family_id.clone(),
        owner_id: user_id.to_owned(),
        owner_type: OwnerType::User,
        market_id: market_id.clone(),
        stock_location_ids: stock_location_ids.clone(),
    }
    .attach_to(random_token(32));
    let record = AuthorizationCodeRecord {
        code_hash: SecretHash::of(&code),
        application_id: application.id.clone(),
        client_id: application.client_id.clone(),
        mode: application.mode,
        user_id: user_id.to_owned(),
        redirect_uri: request.redirect_uri.clone(),
        market_id,
        stock_location_ids,
        scope: Some(request.answered_scope.clone()),
        code_challenge: request.code_challenge.clone(),
        family_id,
        issued_at: now,
        expires_at: now + Duration::from_secs(AUTHORIZATION_CODE_LIFETIME.into()),
        consumed_at: None,
    };
    (code, record)
}
