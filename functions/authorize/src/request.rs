//! The authorization request (RFC 6749 §4.1.1), checked in two tiers. Until the client and its
//! redirect URI are known good, an error is shown on a page and never redirected: RFC 6749
//! §4.1.2.1 says the server "MUST NOT automatically redirect the user-agent to the invalid
//! redirection URI", and anything else would make Gatehouse an open redirector. After that,
//! errors go back to the client's redirect URI with `error`, `error_description` and `state`.

use gatehouse_core::grant::GrantType;
use gatehouse_core::input::is_lookup_key;
use gatehouse_core::model::ApplicationKind;
use gatehouse_core::pkce::parse_challenge;
use gatehouse_core::scope::{answered_scope, parse_scope, resolve_scope, ScopeContext};
use gatehouse_edge::oauth_request::Params;

pub use crate::checked::AuthorizationRequest;
use crate::refusal::Refusal;
use crate::AuthorizeService;

/// The parameters of an authorization request, carried from the page to its form as hidden
/// fields and checked again when the form comes back.
pub const REQUEST_PARAMETERS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

fn page(status: u16, message: impl Into<String>) -> Refusal {
    Refusal::Page {
        status,
        message: message.into(),
    }
}

/// Checks an authorization request's parameters, looking up the client and the markets and
/// stock locations its scope names in one storage request.
pub async fn check(
    params: &Params,
    service: &AuthorizeService,
) -> Result<AuthorizationRequest, Refusal> {
    let client_id = params.get("client_id").ok_or_else(|| {
        page(
            400,
            "The request names no application (client_id is missing).",
        )
    })?;
    let unknown = || {
        page(
            400,
            "No web application is registered under this client_id.",
        )
    };
    if !is_lookup_key(client_id) {
        return Err(unknown());
    }
    let requested_scope = parse_scope(params.get("scope"));
    let (markets, locations) = match &requested_scope {
        Ok(scope) => (&scope.markets[..], &scope.stock_locations[..]),
        Err(_) => (&[][..], &[][..]),
    };
    let client = service
        .clients
        .find_client_with_scope(client_id, markets, locations)
        .await
        .map_err(|error| Refusal::Unavailable(error.into()))?
        // A disabled application is answered like an unknown one.
        .filter(|client| {
            client.application.kind == ApplicationKind::Webapp && client.application.enabled
        })
        .ok_or_else(unknown)?;
    // RFC 9700 §4.1.3: redirect URIs are compared by exact string match.
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| page(400, "The request has no redirect_uri."))?;
    if !client
        .application
        .redirect_uris
        .iter()
        .any(|r| r == redirect_uri)
    {
        return Err(page(
            400,
            "The redirect_uri is not one this application registered, so you are not sent back to it.",
        ));
    }

    let state = params.get("state").map(str::to_owned);
    let back = |error: &'static str, description: String| Refusal::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error,
        description,
    };
    if !client
        .application
        .may_use_grant(GrantType::AuthorizationCode)
    {
        return Err(back(
            "unauthorized_client",
            "this application is not allowed the authorization_code grant".into(),
        ));
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => {
            return Err(back(
                "unsupported_response_type",
                "response_type must be code".into(),
            ))
        }
        None => return Err(back("invalid_request", "response_type is required".into())),
    }
    let code_challenge = parse_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )
    .map_err(|error| back("invalid_request", error.to_string()))?;
    let requested = requested_scope.map_err(|error| back("invalid_scope", error.to_string()))?;
    let context = ScopeContext {
        kind: client.application.kind,
        mode: client.application.mode,
        grant: GrantType::AuthorizationCode,
        owner_customer_group: None,
    };
    let scope = resolve_scope(
        &requested,
        &context,
        &client.markets,
        &client.stock_locations,
    )
    .map_err(|error| back("invalid_scope", error.to_string()))?;
    let parameters = REQUEST_PARAMETERS
        .iter()
        .filter_map(|name| params.get(name).map(|value| (*name, value.to_owned())))
        .collect();
    Ok(AuthorizationRequest {
        application: client.application,
        redirect_uri: redirect_uri.to_owned(),
        state,
        answered_scope: answered_scope(&requested, &scope),
        scope,
        code_challenge,
        parameters,
    })
}
