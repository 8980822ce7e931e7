//! `GET /.well-known/jwks.json` (RFC 7517) and `GET /.well-known/oauth-authorization-server`
//! (RFC 8414). Both documents are built once, at cold start.

use gatehouse_core::grant::SERVED_GRANTS;
use gatehouse_edge::config::ServiceConfig;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::http::json_response;
use http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// How long clients and caches may keep the documents: 300 seconds. A new key must be published
/// at least this long before it signs (see the README on key rotation).
const CACHE_CONTROL: &str = "public, max-age=300";

pub struct WellKnown {
    jwks: serde_json::Value,
    metadata: serde_json::Value,
}

impl WellKnown {
    /// `jwks` is the JWK Set to publish ([`gatehouse_core::jwt::PublishedKeys::jwks`]).
    pub fn new(config: &ServiceConfig, jwks: serde_json::Value) -> Self {
        let issuer = &config.issuer;
        let metadata = json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}/oauth/token"),
            "jwks_uri": format!("{issuer}{JWKS_PATH}"),
            "revocation_endpoint": format!("{issuer}/oauth/revoke"),
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            // RFC 7662, for confidential clients only: no "none".
            "introspection_endpoint": format!("{issuer}/oauth/introspect"),
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "grant_types_supported": SERVED_GRANTS.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
            // RFC 8414 §2 allows members of our own; this one follows its
            // `*_signing_alg_values_supported` pattern for RFC 7523 assertions (an application
            // in `commercelayer` mode takes any, since their signature is not checked).
            "jwt_bearer_assertion_signing_alg_values_supported":
                gatehouse_core::jwt_bearer::ASSERTION_ALGORITHMS,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "authorization_endpoint": format!("{issuer}/oauth/authorize"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": gatehouse_core::pkce::METHODS_SUPPORTED,
            // RFC 9207: authorization responses carry `iss`.
            "authorization_response_iss_parameter_supported": true,
            "scopes_supported": ["market:all"],
        });
        Self { jwks, metadata }
    }
}

pub async fn handle(request: Request, documents: &WellKnown) -> Response<Body> {
    let document = match request.uri().path() {
        JWKS_PATH => &documents.jwks,
        METADATA_PATH => &documents.metadata,
        _ => return ApiError::new(ErrorCode::NotFound, "no such document").into_response(),
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return ApiError::method_not_allowed("GET, HEAD").into_response();
    }
    let mut response = json_response(StatusCode::OK, document);
    let headers = response.headers_mut();
    headers.remove(header::PRAGMA);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}
