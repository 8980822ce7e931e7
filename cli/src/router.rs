//! Routes a request to the function that API Gateway would invoke for it (see template.yaml).

use std::sync::Arc;

use gatehouse_admin::{AdminApi, ADMIN_PREFIX};
use gatehouse_api::ApiService;
use gatehouse_authorize::{AuthorizeService, AUTHORIZE_PATH};
use gatehouse_core::jwt::{KeyError, KeySet};
use gatehouse_edge::bearer::BearerVerifier;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::runtime::Runtime;
use gatehouse_revoke::{RevokeService, INTROSPECTION_PATH, LOGOUT_EVERYWHERE_PATH};
use gatehouse_store::Store;
use gatehouse_token::TokenService;
use gatehouse_wellknown::{WellKnown, JWKS_PATH, METADATA_PATH};
use lambda_http::{Body, Request, Response};

/// Every function, served from one process.
pub struct Functions {
    pub token: TokenService,
    pub revoke: RevokeService,
    pub wellknown: WellKnown,
    pub authorize: AuthorizeService,
    pub api: ApiService,
    /// The admin API, served only when an admin token is configured: without one, `/admin/`
    /// does not exist.
    pub admin: Option<AdminApi>,
}

impl Functions {
    /// Every function of one process (`gatehouse serve`, and the tests' server): each built by
    /// its own constructor from `runtime`, so that they share its store, clock, hashing bound
    /// and remembered refusals. The token function signs with `keys`; the API verifies, and
    /// the well-known documents publish, their public halves.
    pub fn new(
        runtime: &Runtime<dyn Store>,
        keys: Arc<KeySet>,
        admin: Option<AdminApi>,
    ) -> Result<Self, KeyError> {
        let issuer = runtime.config.issuer.clone();
        let verifier = BearerVerifier::new(keys.verification_keys()?, issuer);
        Ok(Self {
            wellknown: WellKnown::new(&runtime.config, keys.jwks()),
            // One process: a revocation is seen by the next request.
            revoke: RevokeService::new(runtime, verifier.clone()),
            api: ApiService::new(runtime, verifier, std::time::Duration::ZERO),
            authorize: AuthorizeService::new(runtime),
            token: TokenService::new(runtime, keys),
            admin,
        })
    }
}

/// Each function's future is boxed: held inline, the largest (the token endpoint's, several KB)
/// would size every request's future, and each move of it on the way to the connection's task
/// would copy those bytes for an `/api` request too.
pub async fn route(request: Request, functions: &Functions) -> Response<Body> {
    match request.uri().path() {
        "/oauth/token" => Box::pin(gatehouse_token::handle(request, &functions.token)).await,
        "/oauth/revoke" | LOGOUT_EVERYWHERE_PATH | INTROSPECTION_PATH => {
            Box::pin(gatehouse_revoke::handle(request, &functions.revoke)).await
        }
        AUTHORIZE_PATH => {
            Box::pin(gatehouse_authorize::handle(request, &functions.authorize)).await
        }
        path if path.starts_with(gatehouse_core::status_list::PATH_PREFIX) => {
            Box::pin(gatehouse_token::handle(request, &functions.token)).await
        }
        path if path.starts_with("/api/") => {
            Box::pin(gatehouse_api::handle(request, &functions.api)).await
        }
        path if path.starts_with(ADMIN_PREFIX) => match &functions.admin {
            Some(admin) => Box::pin(gatehouse_admin::handle(request, admin)).await,
            None => not_found(),
        },
        JWKS_PATH | METADATA_PATH => {
            gatehouse_wellknown::handle(request, &functions.wellknown).await
        }
        _ => not_found(),
    }
}

fn not_found() -> Response<Body> {
    ApiError::new(ErrorCode::NotFound, "no such endpoint").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of the future `handler` returns, without calling it.
    fn future_size<'f, R>(_handler: impl Fn(Request, &'f Functions) -> R) -> usize {
        std::mem::size_of::<R>()
    }

    #[test]
    fn a_request_future_holds_no_function_future_inline() {
        // Unboxed, the token endpoint's future alone made it 7,320 bytes (debug build).
        let size = future_size(route);
        assert!(size < 1024, "route's future is {size} bytes");
    }
}
