//! The JWT bearer grant end to end, on both stores (docs/api.md, "The JWT bearer grant"):
//! each mode's assertions through the token function, what the token and the response say,
//! replays (one after another and at the same instant), owners of another environment,
//! private markets, and who may use the grant at all.

use std::sync::{Arc, OnceLock};

use gatehouse_core::jwt::{generate_private_key_pem, SigningAlgorithm};
use gatehouse_core::jwt_bearer::{AssertionKey, AssertionKeys, JwtBearer};
use gatehouse_core::model::{Application, ApplicationKind, Catalog, Mode};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::secret::SecretHash;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SECRET: &str = "backend-secret-of-the-shop-0123456789";
/// Commerce Layer's assertions, as its clients send them.
const CL_BACKEND: &str = "cl-backend";
/// Assertions signed with a registered ES256 key.
const SIGNED_BACKEND: &str = "signed-backend";
/// An integration with a registered Ed25519 key.
const SIGNED_ERP: &str = "signed-erp";
/// A sales channel with the setting but no secret: stored only by going around the rules.
const PUBLIC_CHANNEL: &str = "public-jwt-channel";
/// A live sales channel in Commerce Layer's mode.
const LIVE_BACKEND: &str = "live-cl-backend";
/// Its keys at a JWKS URL.
const JWKS_BACKEND: &str = "jwks-backend";
const JWKS_URI: &str = "https://keys.shop.example/jwks.json";
const CL_CLAIMS: &str = "https://commercelayer.io/claims";

/// A key pair an application signs its assertions with, and its public JWK.
struct Signer {
    key: EncodingKey,
    algorithm: Algorithm,
    kid: &'static str,
    jwk: Value,
}

impl Signer {
    fn es256(kid: &'static str) -> Self {
        let pem = generate_private_key_pem(SigningAlgorithm::Es256);
        Self::of(
            EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            Algorithm::ES256,
            kid,
        )
    }

    fn ed25519(kid: &'static str) -> Self {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let der = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8v1(&rng).unwrap();
        Self::of(
            EncodingKey::from_ed_der(der.as_ref()),
            Algorithm::EdDSA,
            kid,
        )
    }

    fn of(key: EncodingKey, algorithm: Algorithm, kid: &'static str) -> Self {
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&key, algorithm).unwrap()).unwrap();
        jwk["kid"] = json!(kid);
        Self {
            key,
            algorithm,
            kid,
            jwk,
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.into());
        encode(&header, claims, &self.key).unwrap()
    }

    fn setting(&self) -> JwtBearer {
        JwtBearer::Verified(AssertionKeys::Listed(vec![
            AssertionKey::parse(&self.jwk).unwrap()
        ]))
    }
}

/// The keys of this test process: the shop's, an ERP's, and one nobody registered.
fn signers() -> &'static [Signer; 3] {
    static SIGNERS: OnceLock<[Signer; 3]> = OnceLock::new();
    SIGNERS.get_or_init(|| {
        [
            Signer::es256("shop-2026"),
            Signer::ed25519("erp-1"),
            Signer::es256("shop-2026"),
        ]
    })
}

fn application(
    client_id: &str,
    kind: ApplicationKind,
    mode: Mode,
    secret: bool,
    setting: JwtBearer,
) -> Application {
    Application {
        id: format!("app_{client_id}"),
        name: client_id.into(),
        kind,
        mode,
        client_id: client_id.into(),
        client_secret_hash: secret.then(|| SecretHash::of(SECRET)),
        token_lifetime: None,
        redirect_uris: vec![],
        enabled: true,
        previous_client_secret: None,
        grant_types: None,
        jwt_bearer: Some(setting),
    }
}

/// The demo shop with the JWT bearer applications of these tests.
fn catalog() -> Catalog {
    use ApplicationKind::*;
    let [shop, erp, _] = signers();
    let mut catalog = demo_catalog();
    catalog.applications.extend([
        application(
            CL_BACKEND,
            SalesChannel,
            Mode::Test,
            true,
            JwtBearer::CommerceLayer,
        ),
        application(
            SIGNED_BACKEND,
            SalesChannel,
            Mode::Test,
            true,
            shop.setting(),
        ),
        application(SIGNED_ERP, Integration, Mode::Test, true, erp.setting()),
        application(
            PUBLIC_CHANNEL,
            SalesChannel,
            Mode::Test,
            false,
            JwtBearer::CommerceLayer,
        ),
        application(
            LIVE_BACKEND,
            SalesChannel,
            Mode::Live,
            true,
            JwtBearer::CommerceLayer,
        ),
        application(
            JWKS_BACKEND,
            SalesChannel,
            Mode::Test,
            true,
            JwtBearer::Verified(AssertionKeys::JwksUri(JWKS_URI.into())),
        ),
    ]);
    // A live customer, for the test applications to fail to name.
    let bob = catalog
        .customers
        .iter()
        .find(|c| c.id == "cus_bob")
        .unwrap();
    let mut carol = bob.clone();
    (carol.id, carol.mode, carol.email) = (
        "cus_live_carol".into(),
        Mode::Live,
        "carol@example.com".into(),
    );
    catalog.customers.push(carol);
    catalog
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(dynamo_store_holding(&catalog()).await)
}

struct Shop {
    token: TokenService,
    clock: Arc<gatehouse_core::clock::ManualClock>,
}

impl Shop {
    fn on(store: Arc<dyn Store>) -> Arc<Self> {
        let clock = manual_clock();
        Arc::new(Self {
            token: token_service(store, clock.clone(), RateLimitPolicy::default()),
            clock,
        })
    }

    fn now(&self) -> u64 {
        use gatehouse_core::clock::Clock;
        self.clock.now().floor_seconds().0
    }

    /// A `verified` assertion's claims for `sub`, from `client`, valid for a minute.
    fn claims(&self, client: &str, sub: &str, jti: &str) -> Value {
        json!({
            "iss": client, "sub": sub, "aud": format!("{ISSUER}/oauth/token"),
            "iat": self.now(), "exp": self.now() + 60, "jti": jti,
        })
    }

    /// The grant for `client` with its secret; no scope when `scope` is empty.
    async fn grant(&self, client: &str, assertion: &str, scope: &str) -> (u16, Value) {
        let mut pairs = vec![
            ("grant_type", GRANT),
            ("client_id", client),
            ("client_secret", SECRET),
            ("assertion", assertion),
        ];
        if !scope.is_empty() {
            pairs.push(("scope", scope));
        }
        let event = TokenEvent::form(&pairs);
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        (response.status().as_u16(), body_json(&response))
    }

    fn claims_of(&self, body: &Value) -> gatehouse_core::jwt::AccessTokenClaims {
        verify(
            body["access_token"].as_str().unwrap(),
            &test_keys(),
            self.clock.as_ref(),
        )
    }
}

/// What `@commercelayer/js-auth`'s `createAssertion` makes: the claim and `iat`, HS512 with the
/// key `"cl"`.
fn commerce_layer_assertion(claim: Value, iat: u64) -> String {
    let claims = json!({ CL_CLAIMS: claim, "iat": iat });
    encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(b"cl").unwrap(),
    )
    .unwrap()
}

/// The refusal of an assertion: 400 `invalid_grant`, titled `invalid_assertion`.
fn assert_invalid_assertion((status, body): &(u16, Value), words: &str) {
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert_eq!(body["errors"][0]["title"], "invalid_assertion", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains(words), "{description} / {words}");
}

async fn commerce_layers_assertion_names_the_owner_and_enriches_the_token(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let custom = json!({"first_name": "Bob", "tier": "gold"});
    let assertion = commerce_layer_assertion(
        json!({"owner": {"type": "Customer", "id": "cus_bob"}, "custom_claim": custom}),
        shop.now(),
    );
    let (status, body) = shop.grant(CL_BACKEND, &assertion, "market:code:eu").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["owner_id"].as_str(), body["owner_type"].as_str()),
        (Some("cus_bob"), Some("customer"))
    );
    assert_eq!(body["scope"], "market:code:eu");
    let claims = shop.claims_of(&body);
    assert_eq!(
        claims
            .owner
            .as_ref()
            .map(|o| (o.id.as_str(), o.owner_type.as_str())),
        Some(("cus_bob", "Customer"))
    );
    assert_eq!(claims.custom_claim.map(Value::Object), Some(custom.clone()));
    assert!(claims.application.confidential);
    // Refreshed as a password login is, and its tokens keep the custom claim.
    let refresh = body["refresh_token"].as_str().expect("a refresh token");
    let event = TokenEvent::form(&[
        ("grant_type", "refresh_token"),
        ("client_id", CL_BACKEND),
        ("client_secret", SECRET),
        ("refresh_token", refresh),
    ]);
    let response = gatehouse_token::handle(event.request(), &shop.token).await;
    let refreshed = body_json(&response);
    assert_eq!(response.status(), 200, "{refreshed}");
    let claims = shop.claims_of(&refreshed);
    assert_eq!(claims.custom_claim.map(Value::Object), Some(custom));
    assert_eq!(claims.owner.map(|o| o.id), Some("cus_bob".to_owned()));
    // A custom claim alone: a token of the application, with no owner and no refresh token.
    let alone = commerce_layer_assertion(json!({"custom_claim": {"cart": "c1"}}), shop.now());
    let (status, body) = shop.grant(CL_BACKEND, &alone, "market:1001").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("refresh_token").is_none() && body.get("owner_id").is_none(),
        "{body}"
    );
    assert_eq!(
        shop.claims_of(&body).custom_claim.map(Value::Object),
        Some(json!({"cart": "c1"}))
    );
}

async fn a_bad_commerce_layer_assertion_is_refused_with_its_reason(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let now = shop.now();
    let big = json!({"custom_claim": {"note": "x".repeat(1100)}});
    let cases = [
        (
            commerce_layer_assertion(json!({}), now),
            "neither an owner nor a custom_claim",
        ),
        (
            commerce_layer_assertion(json!({"owner": {"type": "Admin", "id": "x"}}), now),
            "owner type",
        ),
        (commerce_layer_assertion(big, now), "larger than 1024 bytes"),
        (
            commerce_layer_assertion(
                json!({"owner": {"type": "Customer", "id": "cus_bob"}}),
                now + 3600,
            ),
            "in the future",
        ),
        ("not-a-jwt".to_owned(), "not a JWT"),
        ("a.b.c".to_owned(), "not base64url JSON"),
        ("x".repeat(4097), "larger than 4096 bytes"),
    ];
    for (assertion, words) in cases {
        assert_invalid_assertion(
            &shop.grant(CL_BACKEND, &assertion, "market:1001").await,
            words,
        );
    }
}

async fn a_verified_assertion_must_be_signed_by_a_registered_key(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let [signer, erp, stranger] = signers();
    let claims = shop.claims(SIGNED_BACKEND, "cus_bob", "jti-signed-1");
    // Unsigned (`alg: none`), signed with a shared secret, or by a key nobody registered.
    let unsigned = {
        use base64::Engine;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims)
        )
    };
    let refusals = [
        (unsigned, "not a signed JWT"),
        (
            commerce_layer_assertion(
                json!({"owner": {"type": "Customer", "id": "cus_bob"}}),
                shop.now(),
            ),
            "RS256, ES256 or EdDSA",
        ),
        (
            stranger.sign(&claims),
            "not signed by a key of this application",
        ),
        (erp.sign(&claims), "not signed by a key of this application"),
    ];
    for (assertion, words) in refusals {
        assert_invalid_assertion(
            &shop.grant(SIGNED_BACKEND, &assertion, "market:1001").await,
            words,
        );
    }
    // Signed by the application's key: its owner, its refresh token.
    let (status, body) = shop
        .grant(SIGNED_BACKEND, &signer.sign(&claims), "market:1001")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["owner_id"], "cus_bob");
    assert!(body["refresh_token"].is_string());
    // RFC 7523 §3's claims, checked after the signature.
    let mut wrong_audience = shop.claims(SIGNED_BACKEND, "cus_bob", "jti-signed-2");
    wrong_audience["aud"] = json!("https://elsewhere.example");
    let mut wrong_issuer = shop.claims(SIGNED_BACKEND, "cus_bob", "jti-signed-3");
    wrong_issuer["iss"] = json!(CL_BACKEND);
    let mut too_long = shop.claims(SIGNED_BACKEND, "cus_bob", "jti-signed-4");
    too_long["exp"] = json!(shop.now() + 3600);
    let mut no_jti = shop.claims(SIGNED_BACKEND, "cus_bob", "x");
    no_jti.as_object_mut().unwrap().remove("jti");
    for (claims, words) in [
        (wrong_audience, "`aud`"),
        (wrong_issuer, "`iss`"),
        (too_long, "more than 300 seconds ahead"),
        (no_jti, "needs a `jti` claim"),
    ] {
        assert_invalid_assertion(
            &shop
                .grant(SIGNED_BACKEND, &signer.sign(&claims), "market:1001")
                .await,
            words,
        );
    }
}

async fn a_jti_is_accepted_once_however_it_is_replayed(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let [signer, ..] = signers();
    let assertion = signer.sign(&shop.claims(SIGNED_BACKEND, "cus_bob", "jti-once"));
    assert_eq!(
        shop.grant(SIGNED_BACKEND, &assertion, "market:1001")
            .await
            .0,
        200
    );
    let replay = shop.grant(SIGNED_BACKEND, &assertion, "market:1001").await;
    assert_invalid_assertion(&replay, "jti was used already");
    // The same jti in a new assertion is the same jti.
    let again = signer.sign(&shop.claims(SIGNED_BACKEND, "cus_alice", "jti-once"));
    assert_invalid_assertion(
        &shop.grant(SIGNED_BACKEND, &again, "market:1001").await,
        "used already",
    );
    // Ten sends of one new assertion at the same instant: exactly one token.
    let racing = signer.sign(&shop.claims(SIGNED_BACKEND, "cus_bob", "jti-race"));
    let outcomes = race(10, |_| {
        let (shop, assertion) = (Arc::clone(&shop), racing.clone());
        async move { shop.grant(SIGNED_BACKEND, &assertion, "market:1001").await }
    })
    .await;
    let issued = outcomes.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(issued, 1, "{outcomes:?}");
    for refused in outcomes.iter().filter(|(status, _)| *status != 200) {
        assert_invalid_assertion(refused, "used already");
    }
}

async fn an_owner_must_exist_in_the_applications_environment(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let bob = json!({"owner": {"type": "Customer", "id": "cus_bob"}});
    // cus_bob is a customer of the test environment: a live application cannot name him.
    let assertion = commerce_layer_assertion(bob, shop.now());
    let foreign = shop.grant(LIVE_BACKEND, &assertion, "market:2001").await;
    assert_invalid_assertion(&foreign, "customer does not exist in this environment");
    // The same in verified mode, signed: a test application, a live customer.
    let [signer, ..] = signers();
    let carol = signer.sign(&shop.claims(SIGNED_BACKEND, "cus_live_carol", "jti-carol"));
    let foreign = shop.grant(SIGNED_BACKEND, &carol, "market:1001").await;
    assert_invalid_assertion(&foreign, "customer does not exist in this environment");
    // And a live application names her.
    let live = commerce_layer_assertion(
        json!({"owner": {"type": "Customer", "id": "cus_live_carol"}}),
        shop.now(),
    );
    let (status, body) = shop.grant(LIVE_BACKEND, &live, "market:2001").await;
    assert_eq!(
        (status, body["owner_id"].as_str()),
        (200, Some("cus_live_carol")),
        "{body}"
    );
    let nobody = commerce_layer_assertion(
        json!({"owner": {"type": "User", "id": "usr_nobody"}}),
        shop.now(),
    );
    assert_invalid_assertion(
        &shop.grant(CL_BACKEND, &nobody, "market:1001").await,
        "user does not exist",
    );
    // A user of the environment is an owner too.
    let admin = commerce_layer_assertion(
        json!({"owner": {"type": "User", "id": "usr_admin"}}),
        shop.now(),
    );
    let (status, body) = shop.grant(CL_BACKEND, &admin, "market:1001").await;
    assert_eq!(
        (status, body["owner_type"].as_str()),
        (200, Some("user")),
        "{body}"
    );
}

async fn a_private_market_opens_only_to_a_customer_of_its_group(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let assert_for = |id: &str| {
        commerce_layer_assertion(json!({"owner": {"type": "Customer", "id": id}}), shop.now())
    };
    let (status, body) = shop
        .grant(CL_BACKEND, &assert_for("cus_alice"), "market:1003")
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = shop
        .grant(CL_BACKEND, &assert_for("cus_bob"), "market:1003")
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope")),
        "{body}"
    );
    // Without an owner, nobody's group: closed.
    let alone = commerce_layer_assertion(json!({"custom_claim": {"a": 1}}), shop.now());
    assert_eq!(shop.grant(CL_BACKEND, &alone, "market:1003").await.0, 400);
}

async fn only_confidential_applications_that_turned_it_on_may_use_the_grant(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let assertion = commerce_layer_assertion(
        json!({"owner": {"type": "Customer", "id": "cus_bob"}}),
        shop.now(),
    );
    async fn send(shop: &Shop, pairs: Vec<(&str, &str)>) -> (u16, Value) {
        let response =
            gatehouse_token::handle(TokenEvent::form(&pairs).request(), &shop.token).await;
        (response.status().as_u16(), body_json(&response))
    }
    let base = |client| {
        vec![
            ("grant_type", GRANT),
            ("client_id", client),
            ("assertion", &assertion[..]),
            ("scope", "market:1001"),
        ]
    };
    // A sales channel without a secret could name any customer: refused.
    let (status, body) = send(&shop, base(PUBLIC_CHANNEL)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("confidential"),
        "{body}"
    );
    // A confidential one must present its secret.
    let (status, body) = send(&shop, base(CL_BACKEND)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    // An application that did not turn it on.
    let mut erp = base(INTEGRATION);
    erp.push(("client_secret", INTEGRATION_SECRET));
    let (status, body) = send(&shop, erp).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
}

async fn an_integration_gets_its_owners_token_without_a_refresh_token(store: Arc<dyn Store>) {
    let shop = Shop::on(store);
    let [_, erp, _] = signers();
    let assertion = erp.sign(&shop.claims(SIGNED_ERP, "cus_bob", "jti-erp"));
    let (status, body) = shop.grant(SIGNED_ERP, &assertion, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["owner_id"], "cus_bob");
    assert!(
        body.get("refresh_token").is_none(),
        "an integration may not refresh: {body}"
    );
    assert_eq!(body["scope"], "market:all");
    assert_eq!(
        shop.claims_of(&body).owner.map(|o| o.id),
        Some("cus_bob".into())
    );
}

on_both_stores!(crate::memory, crate::dynamodb;
    commerce_layers_assertion_names_the_owner_and_enriches_the_token,
    a_bad_commerce_layer_assertion_is_refused_with_its_reason,
    a_verified_assertion_must_be_signed_by_a_registered_key,
    a_jti_is_accepted_once_however_it_is_replayed,
    an_owner_must_exist_in_the_applications_environment,
    a_private_market_opens_only_to_a_customer_of_its_group,
    only_confidential_applications_that_turned_it_on_may_use_the_grant,
    an_integration_gets_its_owners_token_without_a_refresh_token,
);

#[path = "jwt_bearer/jwks.rs"]
mod jwks;
