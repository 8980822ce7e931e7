//! Routes a request to the function that API Gateway would invoke for it (see template.yaml).

use gatehouse_admin::{AdminApi, ADMIN_PREFIX};
use gatehouse_api::ApiService;
use gatehouse_authorize::{AuthorizeService, AUTHORIZE_PATH};
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_revoke::RevokeService;
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

pub async fn route(request: Request, functions: &Functions) -> Response<Body> {
    match request.uri().path() {
        "/oauth/token" => gatehouse_token::handle(request, &functions.token).await,
        "/oauth/revoke" => gatehouse_revoke::handle(request, &functions.revoke).await,
        AUTHORIZE_PATH => gatehouse_authorize::handle(request, &functions.authorize).await,
        path if path.starts_with("/api/") => gatehouse_api::handle(request, &functions.api).await,
        path if path.starts_with(ADMIN_PREFIX) => match &functions.admin {
            Some(admin) => gatehouse_admin::handle(request, admin).await,
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
