//! The well-known function called directly with API Gateway HTTP API (v2) events.

use gatehouse_tests::*;
use gatehouse_wellknown::{handle, WellKnown};

fn documents() -> WellKnown {
    WellKnown::new(&config(Default::default()), test_keys().jwks())
}

#[tokio::test]
async fn the_jwks_publishes_the_signing_key_under_its_kid() {
    let response = handle(well_known_event("/.well-known/jwks.json"), &documents()).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let body = body_json(&response);
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kid"], test_keys().signing_key().kid.as_str());
    assert_eq!(
        (
            keys[0]["kty"].as_str(),
            keys[0]["alg"].as_str(),
            keys[0]["use"].as_str()
        ),
        (Some("EC"), Some("ES256"), Some("sig"))
    );
    assert!(keys[0].get("d").is_none(), "no private part is published");
}

#[tokio::test]
async fn the_server_metadata_follows_rfc_8414() {
    let response = handle(
        well_known_event("/.well-known/oauth-authorization-server"),
        &documents(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body = body_json(&response);
    assert_eq!(body["issuer"], ISSUER);
    assert_eq!(body["token_endpoint"], format!("{ISSUER}/oauth/token"));
    assert_eq!(body["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(
        body["grant_types_supported"],
        serde_json::json!([
            "client_credentials",
            "password",
            "refresh_token",
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        ])
    );
    assert_eq!(
        body["jwt_bearer_assertion_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256", "EdDSA"])
    );
    assert_eq!(
        body["authorization_endpoint"],
        format!("{ISSUER}/oauth/authorize")
    );
    assert_eq!(
        body["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        body["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(body["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        body["revocation_endpoint"],
        format!("{ISSUER}/oauth/revoke")
    );
    assert_eq!(
        body["introspection_endpoint"],
        format!("{ISSUER}/oauth/introspect")
    );
    assert_eq!(
        body["introspection_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    assert!(body["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "client_secret_basic"));
}

#[tokio::test]
async fn other_documents_are_not_found() {
    let response = handle(
        well_known_event("/.well-known/openid-configuration"),
        &documents(),
    )
    .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        assert_error_format(404, response.headers(), &body_json(&response)),
        "not_found"
    );
}
