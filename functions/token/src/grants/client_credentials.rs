//! RFC 6749 §4.4, the client credentials grant: a token for the application itself, no owner.

use gatehouse_shared::error::ApiError;
use gatehouse_shared::grant::GrantType;
use gatehouse_shared::scope::{resolve_scope, ScopeContext, ScopeError, ScopeRequest};
use gatehouse_shared::store::ClientWithScope;

use super::{invalid_scope, issue_access_token, IssuedToken};
use crate::TokenService;

pub fn grant(
    service: &TokenService,
    client: &ClientWithScope,
    scope: Result<ScopeRequest, ScopeError>,
    now_millis: u64,
) -> Result<IssuedToken, ApiError> {
    let application = &client.application;
    let requested = scope.map_err(invalid_scope)?;
    let context = ScopeContext {
        kind: application.kind,
        mode: application.mode,
        grant: GrantType::ClientCredentials,
        owner_customer_group: None,
    };
    let granted = resolve_scope(
        &requested,
        &context,
        &client.markets,
        &client.stock_locations,
    )
    .map_err(invalid_scope)?;
    issue_access_token(service, application, &granted, None, now_millis)
}
