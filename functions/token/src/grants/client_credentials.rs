//! RFC 6749 §4.4, the client credentials grant: a token for the application itself, no owner.

use gatehouse_core::grant::GrantType;
use gatehouse_core::scope::{answered_scope, resolve_scope, ScopeContext};
use gatehouse_edge::error::ApiError;

use super::{invalid_scope, issue_access_token, GrantRequest, TokenResponse};

pub async fn grant(request: GrantRequest<'_>) -> Result<TokenResponse, ApiError> {
    let GrantRequest {
        service,
        client,
        scope,
        now,
        ..
    } = request;
    let application = &client.application;
    let context = ScopeContext {
        kind: application.kind,
        mode: application.mode,
        grant: GrantType::ClientCredentials,
        owner_customer_group: None,
    };
    let granted = resolve_scope(scope, &context, &client.markets, &client.stock_locations)
        .map_err(invalid_scope)?;
    Ok(TokenResponse {
        access: issue_access_token(
            service,
            application,
            &granted,
            &answered_scope(scope, &granted),
            None,
            now,
        )
        .await?,
        owner: None,
    })
}
