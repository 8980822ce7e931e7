//! The admin API, `/admin/...`: applications (list, show, create, update, delete, rotate a
//! secret), markets (enable, disable), revocations (every token of an application, a market,
//! a customer or a user) and the audit log, JSON in and out. The commands
//! themselves are [`AdminService`]'s, which the `gatehouse` admin commands call too.
//!
//! Who may call it: on AWS, API Gateway admits only requests signed by an IAM identity
//! (AWS_IAM authorization on the route, in template.yaml), and the handler checks again that
//! the request carries that identity (a request without one is 403); the identity's ARN is the
//! actor of every change. Under `gatehouse serve`, a bearer admin token compared in constant
//! time, and the actor is `admin-token`.

mod command_error;
pub mod commands;
mod outcomes;
pub mod requests;
pub mod revocations;
mod routes;
pub mod views;

use std::fmt;

use gatehouse_core::secret::constant_time_eq;
use gatehouse_edge::error::{ApiError, ErrorCode};
use http::header::AUTHORIZATION;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

pub use commands::{AdminService, CommandError};
pub use requests::{ApplicationChanges, Caller, NewApplication};
pub use revocations::{Revocation, RevocationRequest};

/// The path every admin route is under.
pub const ADMIN_PREFIX: &str = "/admin/";

/// The actor of changes made with the admin token.
pub const ADMIN_TOKEN_ACTOR: &str = "admin-token";

/// A token that opens the admin API of `gatehouse serve`: long enough not to be guessed.
#[derive(Clone)]
pub struct AdminToken(String);

impl AdminToken {
    pub const MIN_LENGTH: usize = 32;

    pub fn new(token: &str) -> Result<Self, String> {
        if token.chars().count() < Self::MIN_LENGTH || token.chars().any(char::is_whitespace) {
            return Err(format!(
                "the admin token must be at least {} characters without spaces (e.g. `openssl rand -base64 32`)",
                Self::MIN_LENGTH
            ));
        }
        Ok(Self(token.to_owned()))
    }

    fn matches(&self, presented: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), presented.as_bytes())
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

/// How callers prove who they are.
#[derive(Debug)]
pub enum AdminAccess {
    /// Behind API Gateway's AWS_IAM authorization: the IAM identity in the request context.
    IamCaller,
    /// `gatehouse serve`: `Authorization: Bearer <token>`.
    Token(AdminToken),
}

/// The admin API: the commands and who may call them.
pub struct AdminApi {
    pub service: AdminService,
    pub access: AdminAccess,
}

/// The ARN of the IAM identity that signed the request, as API Gateway put it in the
/// request context (`requestContext.authorizer.iam.userArn`).
fn iam_caller(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context
            .authorizer
            .as_ref()?
            .iam
            .as_ref()?
            .user_arn
            .clone()
            .filter(|arn| !arn.trim().is_empty()),
        _ => None,
    }
}

fn bearer_token(request: &Request) -> Option<&str> {
    let mut values = request.headers().get_all(AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The actor of the request's changes, or why it may not call.
fn actor(request: &Request, access: &AdminAccess) -> Result<String, ApiError> {
    match access {
        AdminAccess::IamCaller => iam_caller(request).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Forbidden,
                "the admin API needs a request signed by an IAM identity (AWS_IAM authorization)",
            )
        }),
        AdminAccess::Token(token) => match bearer_token(request) {
            Some(presented) if token.matches(presented) => Ok(ADMIN_TOKEN_ACTOR.to_owned()),
            // RFC 6750 §3: a 401 names the scheme it wants.
            _ => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "send the admin token: Authorization: Bearer <token>",
            )
            .with_challenge("Bearer realm=\"gatehouse-admin\"")),
        },
    }
}

/// Handles one request under `/admin/`.
pub async fn handle(request: Request, api: &AdminApi) -> Response<Body> {
    let answer = match actor(&request, &api.access) {
        Ok(actor) => routes::respond(&request, &api.service, &actor).await,
        Err(refusal) => Err(refusal),
    };
    answer.unwrap_or_else(ApiError::into_response)
}
