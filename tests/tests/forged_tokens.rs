//! Forged, altered and stale bearer tokens against the resource API, through Lambda events as
//! API Gateway sends them: the API function is deployed with the published (public) keys only,
//! as `functions/api/src/main.rs` builds it, and each forgery starts from a genuine token the
//! token function issued. The genuine token gets its 200 first, so that each 401 is the
//! forgery's and not the setup's.
//!
//! The embedded store only: the bearer check runs before the API reads storage
//! (`gatehouse_api::handle`), and the unit tests in `shared/edge/src/bearer/tests.rs` cover the
//! verifier's every branch.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use gatehouse_api::ApiService;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::jwt::{
    generate_private_key_pem, public_pem, AccessTokenClaims, KeySet, PublishedKeys,
    SigningAlgorithm,
};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_edge::bearer::BearerVerifier;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lambda_http::{Body, Response};
use serde_json::{json, Value};

/// A deployment signing with one key: the token function holds the private key, the API
/// function only the published public key.
struct Deployment {
    private_pem: String,
    keys: Arc<KeySet>,
    token: TokenService,
    api: ApiService,
    clock: Arc<ManualClock>,
}

impl Deployment {
    fn signing_with(algorithm: SigningAlgorithm) -> Self {
        let private_pem = generate_private_key_pem(algorithm);
        let keys = Arc::new(KeySet::from_pem(&private_pem).unwrap());
        let store: Arc<dyn Store> = Arc::new(MemoryStore::from_catalog(&demo_catalog()));
        let clock = manual_clock();
        let published = PublishedKeys::from_public_pem(&public_pem(&private_pem).unwrap()).unwrap();
        let verifier = BearerVerifier::new(published.verification_keys().unwrap(), ISSUER);
        let runtime = runtime(store, clock.clone(), RateLimitPolicy::default());
        Self {
            token: TokenService::new(&runtime, keys.clone()),
            api: ApiService::new(&runtime, verifier, std::time::Duration::ZERO),
            private_pem,
            keys,
            clock,
        }
    }

    fn kid(&self) -> String {
        self.keys.signing_key().kid.clone()
    }

    /// A genuine integration token from the token function.
    async fn genuine(&self) -> String {
        let event = TokenEvent::form(&[("grant_type", "client_credentials")])
            .basic(INTEGRATION, INTEGRATION_SECRET);
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        assert_eq!(response.status(), 200, "{}", body_json(&response));
        body_json(&response)["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `GET /api/markets` with `Authorization: Bearer <token>`, as API Gateway sends it.
    async fn get_markets(&self, token: &str) -> Response<Body> {
        let mut event = TokenEvent::new().method("GET").event().clone();
        event["rawPath"] = json!("/api/markets");
        event["requestContext"]["http"]["path"] = json!("/api/markets");
        event["routeKey"] = json!("GET /api/{proxy+}");
        event["body"] = Value::Null;
        let headers = event["headers"].as_object_mut().unwrap();
        headers.remove("content-type");
        headers.insert("authorization".into(), json!(format!("Bearer {token}")));
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        gatehouse_api::handle(request, &self.api).await
    }

    async fn assert_accepted(&self, token: &str) {
        let response = self.get_markets(token).await;
        assert_eq!(response.status(), 200, "{}", body_json(&response));
    }

    /// The documented 401: `INVALID_TOKEN`, RFC 6750's `WWW-Authenticate` with
    /// `error="invalid_token"`, nothing cached, and no part of the token echoed.
    async fn assert_refused(&self, name: &str, token: &str) {
        let response = self.get_markets(token).await;
        assert_eq!(response.status(), 401, "{name}: {}", body_json(&response));
        let headers = response.headers();
        assert_eq!(
            headers["www-authenticate"], r#"Bearer realm="gatehouse", error="invalid_token""#,
            "{name}"
        );
        assert_eq!(headers["cache-control"], "no-store", "{name}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{name}");
        let body = body_json(&response);
        assert_eq!(body["errors"][0]["code"], "INVALID_TOKEN", "{name}");
        assert_eq!(body["errors"][0]["status"], "401", "{name}");
        let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        for part in token.split('.').filter(|part| part.len() > 8) {
            assert!(!text.contains(part), "{name}: the body echoes the token");
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn parts(token: &str) -> (String, String, String) {
    let mut parts = token.split('.').map(str::to_owned);
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

/// The claims of a genuine token, to forge others from.
fn claims_of(token: &str) -> AccessTokenClaims {
    let payload = URL_SAFE_NO_PAD.decode(parts(token).1).unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// A token with any header, payload and key, as an attacker's library would make it.
fn forge(header: Header, payload: &impl serde::Serialize, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, payload, key).unwrap()
}

fn header(alg: Algorithm, kid: &str) -> Header {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    header
}

/// The DER bytes of a PEM block, as an attacker would take them for an HMAC key.
fn der_of(pem: &str) -> Vec<u8> {
    let base64: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(base64).unwrap()
}

#[tokio::test]
async fn alg_none_and_hmac_keyed_with_the_public_key_are_refused_by_the_api() {
    let d = Deployment::signing_with(SigningAlgorithm::Es256);
    let genuine = d.genuine().await;
    d.assert_accepted(&genuine).await;
    let (_, payload, _) = parts(&genuine);
    for none in ["none", "None", "NONE"] {
        let header = json!({"typ": "JWT", "alg": none, "kid": d.kid()});
        let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
        d.assert_refused(&format!("alg {none}"), &token).await;
    }
    let public = public_pem(&d.private_pem).unwrap();
    for (form, secret) in [
        ("PEM", public.as_bytes().to_vec()),
        ("DER", der_of(&public)),
    ] {
        for alg in [Algorithm::HS256, Algorithm::HS512] {
            let key = EncodingKey::from_secret(&secret).unwrap();
            let token = forge(header(alg, &d.kid()), &claims_of(&genuine), &key);
            d.assert_refused(&format!("{alg:?} keyed with the public {form}"), &token)
                .await;
        }
    }
}

#[tokio::test]
async fn a_token_of_the_other_asymmetric_algorithm_under_our_kid_is_refused_by_the_api() {
    for (ours, theirs, alg) in [
        (
            SigningAlgorithm::Es256,
            SigningAlgorithm::Rs512,
            Algorithm::RS512,
        ),
        (
            SigningAlgorithm::Rs512,
            SigningAlgorithm::Es256,
            Algorithm::ES256,
        ),
    ] {
        let d = Deployment::signing_with(ours);
        let genuine = d.genuine().await;
        d.assert_accepted(&genuine).await;
        let other_pem = generate_private_key_pem(theirs);
        let key = match theirs {
            SigningAlgorithm::Es256 => EncodingKey::from_ec_pem(other_pem.as_bytes()),
            SigningAlgorithm::Rs512 => EncodingKey::from_rsa_pem(other_pem.as_bytes()),
        }
        .unwrap();
        let token = forge(header(alg, &d.kid()), &claims_of(&genuine), &key);
        d.assert_refused(&format!("{alg:?} under a pinned {ours:?} kid"), &token)
            .await;
    }
}

#[tokio::test]
async fn tokens_of_another_key_or_issuer_and_tampered_tokens_are_refused_by_the_api() {
    let d = Deployment::signing_with(SigningAlgorithm::Es256);
    let genuine = d.genuine().await;
    d.assert_accepted(&genuine).await;
    let claims = claims_of(&genuine);
    let stranger = KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
    let stranger_pem = generate_private_key_pem(SigningAlgorithm::Es256);
    let stranger_key = EncodingKey::from_ec_pem(stranger_pem.as_bytes()).unwrap();

    // Right kid, wrong key.
    let right_kid = forge(header(Algorithm::ES256, &d.kid()), &claims, &stranger_key);
    d.assert_refused("another key under our kid", &right_kid)
        .await;
    // A kid we never published.
    d.assert_refused("an unknown kid", &stranger.sign(&claims).unwrap())
        .await;
    // Right key, wrong issuer.
    let other_issuer = d
        .keys
        .sign(&AccessTokenClaims {
            iss: "https://auth.evil.example".into(),
            ..claims.clone()
        })
        .unwrap();
    d.assert_refused("our key, another iss", &other_issuer)
        .await;
    // A payload changed after signing: wider scope, later expiry, the other environment.
    let (head, _, signature) = parts(&genuine);
    let tampered = [
        ("scope", json!("market:all")),
        ("exp", json!(claims.exp + 365 * 86_400)),
        ("test", json!(!claims.test)),
    ];
    for (claim, value) in tampered {
        let mut payload = serde_json::to_value(&claims).unwrap();
        payload[claim] = value;
        let token = format!(
            "{head}.{}.{signature}",
            b64(&serde_json::to_vec(&payload).unwrap())
        );
        d.assert_refused(&format!("{claim} changed after signing"), &token)
            .await;
    }
    // The genuine token is still good: none of the above touched it.
    d.assert_accepted(&genuine).await;
}

#[tokio::test]
async fn an_expired_token_is_refused_by_the_api_on_the_injected_clock() {
    let d = Deployment::signing_with(SigningAlgorithm::Es256);
    let genuine = d.genuine().await;
    let lifetime = claims_of(&genuine).exp - claims_of(&genuine).iat;
    // 59 s after exp: within the 60 s of clock leeway (`bearer::CLOCK_LEEWAY_SECONDS`).
    d.clock.advance(Duration::from_secs(lifetime + 59));
    d.assert_accepted(&genuine).await;
    d.clock.advance(Duration::from_secs(1));
    d.assert_refused("expired", &genuine).await;
}
