//! Interoperability: the `oauth2` crate (an OAuth 2.0 client nobody here wrote) against the
//! local server over HTTP, for every grant Gatehouse serves, and its tokens verified by
//! `jsonwebtoken` knowing only the JWKS URL and the issuer.
//!
//! The crate's requests go through hyper (its "custom async HTTP client"), so that the test
//! needs no second HTTP stack; what goes over the wire is the crate's own.

use std::net::SocketAddr;
use std::sync::Arc;

use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_store::memory::MemoryStore;
use gatehouse_tests::*;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use oauth2::url::Url;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, PkceCodeChallenge, RedirectUrl, RequestTokenError,
    ResourceOwnerPassword, ResourceOwnerUsername, Scope, TokenResponse, TokenUrl,
};
use serde_json::Value;

const REDIRECT: &str = "http://localhost:8080/callback";
const ADMIN: (&str, &str) = ("admin@example.com", "admin-demo-password");
const BOB: (&str, &str) = ("bob@example.com", "bob-demo-password");

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The `oauth2` crate's HTTP client: one HTTP/1.1 request with hyper, as the crate builds it.
async fn hyper_client(request: HttpRequest) -> Result<HttpResponse, std::io::Error> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let response = client
        .request(request.map(|body| Full::new(Bytes::from(body))))
        .await
        .map_err(std::io::Error::other)?;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.map_err(std::io::Error::other)?;
    Ok(HttpResponse::from_parts(parts, bytes.to_bytes().to_vec()))
}

async fn server() -> SocketAddr {
    spawn_server(
        Arc::new(MemoryStore::from_catalog(&demo_catalog())),
        RateLimitPolicy::default(),
    )
    .await
}

fn client(address: SocketAddr, client_id: &str, secret: Option<&str>) -> Client {
    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(AuthUrl::new(format!("http://{address}/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(format!("http://{address}/oauth/token")).unwrap());
    match secret {
        Some(secret) => client.set_client_secret(ClientSecret::new(secret.to_owned())),
        None => client,
    }
}

/// The claims of `token`, verified by `jsonwebtoken` with only what a resource server is told:
/// the JWKS URL and the issuer. The algorithm comes from the JWK the header's `kid` names,
/// never from the token's header. No audience is asked for: Gatehouse tokens carry none.
async fn verified_with_the_jwks(address: SocketAddr, token: &str) -> Value {
    let jwks = http_request(address, "GET", "/.well-known/jwks.json", &[], "").await;
    assert_eq!(jwks.status, 200);
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body).unwrap();
    let kid = jsonwebtoken::decode_header(token)
        .unwrap()
        .kid
        .expect("a kid");
    let jwk = set.find(&kid).expect("the kid is published");
    let algorithm = match jwk
        .common
        .key_algorithm
        .expect("the JWK names its algorithm")
    {
        jsonwebtoken::jwk::KeyAlgorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        jsonwebtoken::jwk::KeyAlgorithm::RS512 => jsonwebtoken::Algorithm::RS512,
        other => panic!("Gatehouse does not sign with {other:?}"),
    };
    let mut validation = jsonwebtoken::Validation::new(algorithm);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("the token verifies with the JWKS and the issuer")
        .claims
}

/// `outcome` is the server's RFC 6749 §5.2 error `expected`, as the crate parsed it.
fn assert_refused<T: std::fmt::Debug, E: std::error::Error + 'static>(
    outcome: Result<T, RequestTokenError<E, BasicErrorResponse>>,
    expected: BasicErrorResponseType,
) {
    match outcome {
        Err(RequestTokenError::ServerResponse(error)) => assert_eq!(*error.error(), expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

fn scopes(response: &impl TokenResponse) -> Vec<String> {
    response
        .scopes()
        .expect("the response names its scope")
        .iter()
        .map(|scope| scope.to_string())
        .collect()
}

#[tokio::test]
async fn the_oauth2_crate_gets_a_sales_channel_token_by_client_credentials_as_a_public_client() {
    let address = server().await;
    let response = client(address, STOREFRONT, None)
        .exchange_client_credentials()
        .add_scope(Scope::new("market:code:eu".to_owned()))
        .request_async(&hyper_client)
        .await
        .expect("a token");
    // The crate reports the granted scope as it came: as asked.
    assert_eq!(scopes(&response), ["market:code:eu"]);
    assert_eq!(response.expires_in().unwrap().as_secs(), 14400);
    assert!(response.refresh_token().is_none());
    let claims = verified_with_the_jwks(address, response.access_token().secret()).await;
    assert_eq!(claims["application"]["client_id"], STOREFRONT);
    assert_eq!(claims["market"]["number"], 1001);
}

#[tokio::test]
async fn the_oauth2_crate_gets_an_integration_token_with_its_secret_in_basic_auth() {
    let address = server().await;
    let response = client(address, INTEGRATION, Some(INTEGRATION_SECRET))
        .exchange_client_credentials()
        .request_async(&hyper_client)
        .await
        .expect("a token");
    assert_eq!(scopes(&response), ["market:all"]);
    let claims = verified_with_the_jwks(address, response.access_token().secret()).await;
    assert_eq!(claims["application"]["kind"], "integration");

    let wrong = client(address, INTEGRATION, Some("not-the-secret"))
        .exchange_client_credentials()
        .request_async(&hyper_client)
        .await;
    assert_refused(wrong, BasicErrorResponseType::InvalidClient);
}

#[tokio::test]
async fn the_oauth2_crate_signs_a_customer_in_by_password_and_refreshes_with_rotation() {
    let address = server().await;
    let storefront = client(address, STOREFRONT, None);
    let signed_in = storefront
        .exchange_password(
            &ResourceOwnerUsername::new(BOB.0.to_owned()),
            &ResourceOwnerPassword::new(BOB.1.to_owned()),
        )
        .add_scope(Scope::new("market:1001".to_owned()))
        .request_async(&hyper_client)
        .await
        .expect("a customer token");
    let claims = verified_with_the_jwks(address, signed_in.access_token().secret()).await;
    assert_eq!(claims["owner"]["id"], "cus_bob");
    assert_eq!(claims["owner"]["type"], "Customer");
    let first_refresh = signed_in.refresh_token().expect("a refresh token");

    let refreshed = storefront
        .exchange_refresh_token(first_refresh)
        .request_async(&hyper_client)
        .await
        .expect("a refreshed token");
    assert_eq!(scopes(&refreshed), ["market:1001"]);
    let second_refresh = refreshed.refresh_token().expect("a rotated refresh token");
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    let claims = verified_with_the_jwks(address, refreshed.access_token().secret()).await;
    assert_eq!(claims["owner"]["id"], "cus_bob");

    let wrong_password = storefront
        .exchange_password(
            &ResourceOwnerUsername::new(BOB.0.to_owned()),
            &ResourceOwnerPassword::new("not-bobs-password".to_owned()),
        )
        .add_scope(Scope::new("market:1001".to_owned()))
        .request_async(&hyper_client)
        .await;
    assert_refused(wrong_password, BasicErrorResponseType::InvalidGrant);
    // Presenting the rotated-away token again is reuse: refused.
    let reused = storefront
        .exchange_refresh_token(first_refresh)
        .request_async(&hyper_client)
        .await;
    assert_refused(reused, BasicErrorResponseType::InvalidGrant);
}

/// One HTTP/1.1 request, the body kept as text (the sign-in page is HTML).
async fn page_request(
    address: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (u16, http::HeaderMap, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{address}{path_and_query}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// What a user does in a browser: opens the URL the crate built, signs in on the page and
/// approves. Returns the Location the server redirects to.
async fn sign_in_and_allow(address: SocketAddr, authorize_url: &Url) -> String {
    let path_and_query = format!(
        "{}?{}",
        authorize_url.path(),
        authorize_url.query().unwrap()
    );
    let (status, headers, page) =
        page_request(address, "GET", &path_and_query, &[], String::new()).await;
    assert_eq!(status, 200, "{page}");
    let start = page.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    let csrf = &page[start..start + 43];
    let cookie = headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // The form posts back the authorize request's parameters with the credentials.
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(authorize_url.query_pairs());
    form.extend_pairs([
        ("csrf", csrf),
        ("email", ADMIN.0),
        ("password", ADMIN.1),
        ("action", "allow"),
    ]);
    let (status, headers, body) = page_request(
        address,
        "POST",
        "/oauth/authorize",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", &cookie),
        ],
        form.finish(),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    headers["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_oauth2_crate_runs_the_authorization_code_flow_with_pkce_and_refreshes() {
    let address = server().await;
    let webapp = client(address, WEBAPP, Some(WEBAPP_SECRET))
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = webapp
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("market:code:eu".to_owned()))
        .set_pkce_challenge(challenge)
        .url();

    let location = Url::parse(&sign_in_and_allow(address, &authorize_url).await).unwrap();
    assert_eq!(&location.as_str()[..REDIRECT.len()], REDIRECT);
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some(state.secret().as_str()));
    assert_eq!(param("iss").as_deref(), Some(ISSUER));
    let code = AuthorizationCode::new(param("code").expect("a code"));

    let response = webapp
        .exchange_code(code.clone())
        .set_pkce_verifier(verifier)
        .request_async(&hyper_client)
        .await
        .expect("the code exchanged");
    // The scope the authorization request asked, as it asked it.
    assert_eq!(scopes(&response), ["market:code:eu"]);
    let claims = verified_with_the_jwks(address, response.access_token().secret()).await;
    assert_eq!(claims["owner"]["id"], "usr_admin");
    assert_eq!(claims["owner"]["type"], "User");

    // A code is single use, whatever client library presents it.
    let (_, other_verifier) = PkceCodeChallenge::new_random_sha256();
    let again = webapp
        .exchange_code(code)
        .set_pkce_verifier(other_verifier)
        .request_async(&hyper_client)
        .await;
    assert_refused(again, BasicErrorResponseType::InvalidGrant);
    // The second presentation revoked what the code issued: its refresh token is dead.
    let refreshed = webapp
        .exchange_refresh_token(response.refresh_token().expect("a refresh token"))
        .request_async(&hyper_client)
        .await;
    assert_refused(refreshed, BasicErrorResponseType::InvalidGrant);
}

#[tokio::test]
async fn the_oauth2_crate_refreshes_a_webapp_token_with_its_secret() {
    let address = server().await;
    let webapp = client(address, WEBAPP, Some(WEBAPP_SECRET))
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, _state) = webapp
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("market:1001".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let location = Url::parse(&sign_in_and_allow(address, &authorize_url).await).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let response = webapp
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&hyper_client)
        .await
        .expect("the code exchanged");
    let refreshed = webapp
        .exchange_refresh_token(response.refresh_token().expect("a refresh token"))
        .request_async(&hyper_client)
        .await
        .expect("refreshed");
    assert_eq!(scopes(&refreshed), ["market:1001"]);
    let claims = verified_with_the_jwks(address, refreshed.access_token().secret()).await;
    assert_eq!(claims["owner"]["id"], "usr_admin");
}

/// Gatehouse tokens carry no `aud` (the contract's claims have none): a verifier told to
/// require an audience refuses them, which is why `verified_with_the_jwks` asks for none.
#[tokio::test]
async fn a_verifier_that_requires_an_audience_refuses_a_gatehouse_token() {
    let address = server().await;
    let response = client(address, STOREFRONT, None)
        .exchange_client_credentials()
        .add_scope(Scope::new("market:1001".to_owned()))
        .request_async(&hyper_client)
        .await
        .expect("a token");
    let token = response.access_token().secret();
    let claims = verified_with_the_jwks(address, token).await;
    assert!(claims.get("aud").is_none(), "{claims}");

    let jwks = http_request(address, "GET", "/.well-known/jwks.json", &[], "").await;
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body).unwrap();
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(set.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[ISSUER]);
    // jsonwebtoken checks `aud` against the audience only when the token has one; requiring
    // it is a second setting.
    validation.set_audience(&["https://api.example"]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    let refused = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap_err();
    assert_eq!(
        refused.kind(),
        &jsonwebtoken::errors::ErrorKind::MissingRequiredClaim("aud".to_owned())
    );
}
