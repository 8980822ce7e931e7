//! `POST /oauth/token` (RFC 6749 §3.2): parses and authenticates once, then dispatches on
//! `grant_type` to one module per grant.

pub mod grants;

use std::sync::Arc;

use gatehouse_shared::clock::Clock;
use gatehouse_shared::config::ServiceConfig;
use gatehouse_shared::error::{ApiError, ErrorCode};
use gatehouse_shared::grant::{kind_may_use_grant, GrantType};
use gatehouse_shared::http::{client_ip, json_response};
use gatehouse_shared::jwt::KeySet;
use gatehouse_shared::oauth_request::{authenticate, lookup_id, parse_oauth_request, OAuthRequest};
use gatehouse_shared::ratelimit::RateLimitOutcome;
use gatehouse_shared::scope::{parse_scope, ScopeError, ScopeRequest};
use gatehouse_shared::store::{ClientWithScope, Store, StoreError};
use http::{HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};

use grants::GrantRequest;

/// Everything the token endpoint depends on, built once per cold start.
pub struct TokenService {
    pub store: Arc<dyn Store>,
    pub keys: Arc<KeySet>,
    pub clock: Arc<dyn Clock>,
    pub config: ServiceConfig,
}

fn rate_limit_headers(response: &mut Response<Body>, outcome: &RateLimitOutcome) {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(outcome.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(outcome.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(outcome.reset_seconds));
}

fn too_many_requests(outcome: &RateLimitOutcome, service: &TokenService) -> ApiError {
    let mut error = ApiError::new(
        ErrorCode::TooManyRequests,
        format!(
            "too many token requests from this address: at most {} in any {} seconds",
            service.config.rate_limit.limit,
            service.config.rate_limit.window.as_secs()
        ),
    );
    error.retry_after = Some(outcome.reset_seconds.max(1));
    error
}

/// Authenticates the client, checks the grant table, and runs the grant.
async fn respond(
    service: &TokenService,
    parsed: Result<OAuthRequest, ApiError>,
    scope: Option<Result<ScopeRequest, ScopeError>>,
    found: Option<Result<Option<ClientWithScope>, StoreError>>,
    now_millis: u64,
) -> Result<Response<Body>, ApiError> {
    let request = parsed?;
    let grant_type = request
        .params
        .get("grant_type")
        .ok_or_else(|| ApiError::invalid_request("grant_type is required"))?;
    let grant = GrantType::parse(grant_type).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedGrantType,
            format!(
                "grant_type '{}' is not supported",
                grant_type.chars().take(64).collect::<String>()
            ),
        )
    })?;
    let client = found.transpose()?.flatten();
    authenticate(
        &request.credentials,
        client.as_ref().map(|c| &c.application),
    )?;
    let Some(client) = client else {
        return Err(ApiError::invalid_client().with_basic_auth(request.credentials.via_basic));
    };
    let kind = client.application.kind;
    if !kind_may_use_grant(kind, grant) {
        return Err(ApiError::new(
            ErrorCode::UnauthorizedClient,
            format!(
                "{} applications may not use the {} grant",
                kind.as_str(),
                grant.as_str()
            ),
        ));
    }
    let grant_request = GrantRequest {
        service,
        client: &client,
        params: &request.params,
        scope: scope.unwrap_or_else(|| Ok(ScopeRequest::default())),
        now_millis,
    };
    let response = match grant {
        GrantType::ClientCredentials => grants::client_credentials::grant(grant_request).await?,
        GrantType::Password => grants::password::grant(grant_request).await?,
        GrantType::RefreshToken => grants::refresh_token::grant(grant_request).await?,
        GrantType::AuthorizationCode => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type '{}' is not supported yet", grant.as_str()),
            ));
        }
    };
    Ok(json_response(StatusCode::OK, &response.body()))
}

/// Handles one `POST /oauth/token`.
pub async fn handle(request: Request, service: &TokenService) -> Response<Body> {
    if request.method() != Method::POST {
        return ApiError::method_not_allowed("POST").into_response();
    }
    let now_millis = service.clock.now_millis();
    let client_key = client_ip(&request).unwrap_or_else(|| "unknown".to_owned());
    let parsed = parse_oauth_request(&request);
    let scope = parsed
        .as_ref()
        .ok()
        .map(|r| parse_scope(r.params.get("scope")));
    let lookup = async {
        let request = parsed.as_ref().ok()?;
        let id = lookup_id(&request.credentials)?;
        let (markets, locations) = match &scope {
            Some(Ok(scope)) => (&scope.markets[..], &scope.stock_locations[..]),
            _ => (&[][..], &[][..]),
        };
        Some(
            service
                .store
                .find_client_with_scope(id, markets, locations)
                .await,
        )
    };
    // The two storage requests of the warm path, sent together.
    let (rate, found) = futures::join!(
        service
            .store
            .hit_rate_limit(&client_key, &service.config.rate_limit, now_millis),
        lookup
    );
    let outcome = match rate {
        Ok(outcome) => outcome,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let mut response = if outcome.allowed {
        respond(service, parsed, scope, found, now_millis)
            .await
            .unwrap_or_else(ApiError::into_response)
    } else {
        too_many_requests(&outcome, service).into_response()
    };
    rate_limit_headers(&mut response, &outcome);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grant_the_metadata_advertises_is_dispatched_and_no_other() {
        use gatehouse_shared::grant::SERVED_GRANTS;
        for grant in GrantType::ALL {
            let dispatched = match grant {
                GrantType::ClientCredentials | GrantType::Password | GrantType::RefreshToken => {
                    true
                }
                GrantType::AuthorizationCode => false,
            };
            assert_eq!(SERVED_GRANTS.contains(&grant), dispatched, "{grant:?}");
        }
    }
}
