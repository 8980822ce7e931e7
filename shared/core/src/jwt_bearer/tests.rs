use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

use super::assertion::*;
use super::*;
use crate::clock::UnixSeconds;
use crate::model::OwnerType;

fn public_jwk(key: &EncodingKey, algorithm: Algorithm) -> Value {
    serde_json::to_value(Jwk::from_encoding_key(key, algorithm).unwrap()).unwrap()
}

fn ec_jwk() -> Value {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    public_jwk(&EncodingKey::from_ec_der(der.as_ref()), Algorithm::ES256)
}

fn ed_jwk() -> Value {
    let der = Ed25519KeyPair::generate_pkcs8v1(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
    public_jwk(&EncodingKey::from_ed_der(der.as_ref()), Algorithm::EdDSA)
}

fn rsa_jwk(size: aws_lc_rs::rsa::KeySize) -> Value {
    use aws_lc_rs::encoding::AsDer;
    let pair = aws_lc_rs::rsa::KeyPair::generate(size).unwrap();
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    public_jwk(
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        Algorithm::RS256,
    )
}

fn with(mut jwk: Value, member: &str, value: Value) -> Value {
    jwk[member] = value;
    jwk
}

#[test]
fn public_keys_of_the_three_kinds_are_registered_and_anything_else_refused() {
    let ec = ec_jwk();
    let cases = [
        (ec.clone(), Ok(Algorithm::ES256)),
        (ed_jwk(), Ok(Algorithm::EdDSA)),
        (
            rsa_jwk(aws_lc_rs::rsa::KeySize::Rsa2048),
            Ok(Algorithm::RS256),
        ),
        (
            with(ec.clone(), "alg", json!("ES256")),
            Ok(Algorithm::ES256),
        ),
        (
            with(ec.clone(), "alg", json!("RS256")),
            Err("signs with ES256"),
        ),
        (with(ec.clone(), "d", json!("AAAA")), Err("must be public")),
        (with(ec.clone(), "use", json!("enc")), Err("signing key")),
        (with(ec.clone(), "use", json!("sig")), Ok(Algorithm::ES256)),
        (
            with(ec.clone(), "key_ops", json!(["encrypt"])),
            Err("key_ops"),
        ),
        (
            with(ec.clone(), "key_ops", json!(["verify"])),
            Ok(Algorithm::ES256),
        ),
        (
            json!({"kty": "oct", "k": "c2VjcmV0"}),
            Err("must be public"),
        ),
        (with(ec.clone(), "crv", json!("P-384")), Err("")),
        (json!("not a key"), Err("JWK object")),
        (json!({"kty": "EC"}), Err("")),
        (
            json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
            Err("at least 2048 bits"),
        ),
    ];
    for (jwk, expected) in cases {
        let parsed = AssertionKey::parse(&jwk);
        match (&parsed, expected) {
            (Ok(key), Ok(algorithm)) => {
                assert_eq!(key.algorithm, algorithm);
                assert!(key.decoding_key().is_some());
            }
            (Err(error), Err(words)) => assert!(error.contains(words), "{error} / {words}"),
            _ => panic!("{jwk}: {parsed:?} / {expected:?}"),
        }
    }
}

#[test]
fn the_setting_reads_each_mode_and_writes_what_it_read() {
    let ec = ec_jwk();
    let cases = [
        (json!({"mode": "verified", "keys": [ec]}), Ok("verified")),
        (json!({"keys": [ec]}), Ok("verified")),
        (
            json!({"jwks_uri": "https://shop.example/jwks.json"}),
            Ok("verified"),
        ),
        (json!({"mode": "commercelayer"}), Ok("commercelayer")),
        (json!({"mode": "verified"}), Err("keys or jwks_uri")),
        (
            json!({"keys": [ec], "jwks_uri": "https://shop.example/jwks.json"}),
            Err("keys or jwks_uri"),
        ),
        (
            json!({"jwks_uri": "http://shop.example/jwks.json"}),
            Err("https"),
        ),
        (json!({"jwks_uri": "/jwks.json"}), Err("https")),
        (json!({"keys": []}), Err("from 1 to 10")),
        (json!({"keys": vec![ec.clone(); 11]}), Err("from 1 to 10")),
        (json!({"keys": [{"kty": "RSA"}]}), Err("keys[0]")),
        (
            json!({"mode": "commercelayer", "keys": [ec]}),
            Err("no keys"),
        ),
        (json!({"mode": "none"}), Err("mode must be")),
        (
            json!({"mode": "verified", "keys": [ec], "issuer": "x"}),
            Err("unknown field \"issuer\""),
        ),
        (json!(["verified"]), Err("an object")),
    ];
    for (value, expected) in cases {
        let read = JwtBearer::from_json(&value);
        match (&read, expected) {
            (Ok(setting), Ok(mode)) => {
                assert_eq!(setting.mode_name(), mode);
                assert_eq!(
                    JwtBearer::from_json(&setting.to_json()).as_ref(),
                    Ok(setting)
                );
            }
            (Err(error), Err(words)) => assert!(error.contains(words), "{error} / {words}"),
            _ => panic!("{value}: {read:?} / {expected:?}"),
        }
    }
}

#[test]
fn a_jwk_set_gives_its_usable_keys_and_passes_over_the_others() {
    let set = json!({"keys": [ec_jwk(), {"kty": "oct", "k": "c2VjcmV0"}, ed_jwk()]});
    let keys = keys_of_jwks(set.to_string().as_bytes()).unwrap();
    assert_eq!(
        keys.iter().map(|k| k.algorithm).collect::<Vec<_>>(),
        [Algorithm::ES256, Algorithm::EdDSA]
    );
    assert!(keys_of_jwks(b"{}").is_err());
    assert!(keys_of_jwks(b"<html>").is_err());
}

const NOW: u64 = 1_800_000_000;
const CLIENT: &str = "shop-backend";
const ISSUER: &str = "https://auth.example";
const ENDPOINT: &str = "https://auth.example/oauth/token";

fn context(mode: AssertionMode) -> AssertionContext<'static> {
    AssertionContext {
        mode,
        client_id: CLIENT,
        audiences: [ISSUER, ENDPOINT],
        now: UnixSeconds(NOW),
    }
}

/// A `verified` assertion for customer `cus-1`, changed by `change`.
fn verified(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut claims = json!({
        "iss": CLIENT, "sub": "cus-1", "aud": ENDPOINT,
        "exp": NOW + 60, "iat": NOW, "jti": "j-1",
    });
    change(claims.as_object_mut().unwrap());
    claims
}

fn customer(id: &str) -> Option<AssertedOwner> {
    Some(AssertedOwner {
        owner_type: OwnerType::Customer,
        id: id.into(),
    })
}

#[test]
fn a_verified_assertion_passes_only_with_every_claim_rfc_7523_asks() {
    use AssertionError::*;
    let cl = |owner: Value| json!({"owner": owner});
    #[rustfmt::skip]
    let cases: Vec<(Value, Result<Option<AssertedOwner>, AssertionError>)> = vec![
        (verified(|_| {}), Ok(customer("cus-1"))),
        (verified(|c| { c.insert("aud".into(), json!([ "other", ISSUER ])); }), Ok(customer("cus-1"))),
        (verified(|c| { c.insert("sub".into(), json!(CLIENT)); c.insert(COMMERCE_LAYER_CLAIMS.into(), json!({"custom_claim": {"a": 1}})); }), Ok(None)),
        (verified(|c| { c.insert("sub".into(), json!("usr-1")); c.insert(COMMERCE_LAYER_CLAIMS.into(), cl(json!({"type": "User", "id": "usr-1"}))); }),
            Ok(Some(AssertedOwner { owner_type: OwnerType::User, id: "usr-1".into() }))),
        (verified(|c| { c.insert(COMMERCE_LAYER_CLAIMS.into(), cl(json!({"type": "Customer", "id": "cus-2"}))); }), Err(SubjectIsNotOwner)),
        (verified(|c| { c.insert(COMMERCE_LAYER_CLAIMS.into(), cl(json!({"type": "Admin", "id": "cus-1"}))); }), Err(UnknownOwnerType)),
        (verified(|c| { c.insert("sub".into(), json!(CLIENT)); }), Err(NothingAsserted)),
        (verified(|c| { c.remove("iss"); }), Err(Missing("iss"))),
        (verified(|c| { c.insert("iss".into(), json!("someone-else")); }), Err(WrongIssuer)),
        (verified(|c| { c.remove("sub"); }), Err(Missing("sub"))),
        (verified(|c| { c.remove("aud"); }), Err(Missing("aud"))),
        (verified(|c| { c.insert("aud".into(), json!("https://evil.example")); }), Err(WrongAudience)),
        (verified(|c| { c.insert("aud".into(), json!(7)); }), Err(Malformed("aud"))),
        (verified(|c| { c.remove("exp"); }), Err(Missing("exp"))),
        (verified(|c| { c.insert("exp".into(), json!(NOW - CLOCK_SKEW)); }), Err(Expired)),
        (verified(|c| { c.insert("exp".into(), json!(NOW - CLOCK_SKEW + 1)); }), Ok(customer("cus-1"))),
        (verified(|c| { c.insert("exp".into(), json!(NOW + MAX_ASSERTION_LIFETIME + CLOCK_SKEW)); }), Ok(customer("cus-1"))),
        (verified(|c| { c.insert("exp".into(), json!(NOW + MAX_ASSERTION_LIFETIME + CLOCK_SKEW + 1)); }), Err(ExpiresTooLate)),
        (verified(|c| { c.insert("exp".into(), json!("soon")); }), Err(Malformed("exp"))),
        (verified(|c| { c.insert("nbf".into(), json!(NOW + CLOCK_SKEW + 1)); }), Err(NotYetValid)),
        (verified(|c| { c.insert("nbf".into(), json!(NOW + CLOCK_SKEW)); }), Ok(customer("cus-1"))),
        (verified(|c| { c.insert("iat".into(), json!(NOW + CLOCK_SKEW + 1)); }), Err(IssuedInTheFuture)),
        (verified(|c| { c.remove("jti"); }), Err(Missing("jti"))),
        (verified(|c| { c.insert("jti".into(), json!("x".repeat(MAX_ID_LENGTH + 1))); }), Err(Malformed("jti"))),
        (verified(|c| { c.insert("sub".into(), json!("")); }), Err(Malformed("sub"))),
        (json!("claims"), Err(NotAnObject)),
    ];
    for (claims, expected) in cases {
        let checked = check_claims(&claims, &context(AssertionMode::Verified));
        assert_eq!(checked.map(|a| a.owner), expected, "{claims}");
    }
    let accepted = check_claims(&verified(|_| {}), &context(AssertionMode::Verified)).unwrap();
    assert_eq!(
        accepted.replay,
        Some(("j-1".into(), UnixSeconds(NOW + 60 + CLOCK_SKEW)))
    );
}

#[test]
fn commerce_layers_assertion_needs_its_claim_and_nothing_else() {
    use AssertionError::*;
    let owner = json!({"type": "Customer", "id": "cus-1"});
    let big = json!({"note": "x".repeat(MAX_CUSTOM_CLAIM_BYTES)});
    #[rustfmt::skip]
    let cases = [
        // What js-auth's createAssertion sends: the claim and `iat`.
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": owner}, "iat": NOW}), Ok((customer("cus-1"), false, None))),
        (json!({COMMERCE_LAYER_CLAIMS: {"custom_claim": {"tier": "gold"}}}), Ok((None, true, None))),
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": owner}, "jti": "j", "exp": NOW + 10}), Ok((customer("cus-1"), false, Some(NOW + 10 + CLOCK_SKEW)))),
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": owner}, "jti": "j"}), Ok((customer("cus-1"), false, Some(NOW + UNEXPIRING_JTI_KEPT)))),
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": owner}, "jti": "j", "exp": 9e14}), Ok((customer("cus-1"), false, Some(NOW + UNEXPIRING_JTI_KEPT)))),
        (json!({COMMERCE_LAYER_CLAIMS: {}}), Err(NothingAsserted)),
        (json!({"sub": "cus-1"}), Err(NothingAsserted)),
        (json!({COMMERCE_LAYER_CLAIMS: "cus-1"}), Err(Malformed(COMMERCE_LAYER_CLAIMS))),
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": owner, "custom_claim": big}}), Err(CustomClaimTooLarge)),
        (json!({COMMERCE_LAYER_CLAIMS: {"custom_claim": ["a"]}}), Err(Malformed("custom_claim"))),
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": {"type": "Customer"}}}), Err(Malformed("owner"))),
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": owner}, "exp": NOW - CLOCK_SKEW}), Err(Expired)),
        (json!({COMMERCE_LAYER_CLAIMS: {"owner": owner}, "iat": NOW + 3600}), Err(IssuedInTheFuture)),
    ];
    for (claims, expected) in cases {
        let checked = check_claims(&claims, &context(AssertionMode::CommerceLayer)).map(|a| {
            (
                a.owner,
                a.custom_claim.is_some(),
                a.replay.map(|(_, until)| until.0),
            )
        });
        assert_eq!(checked, expected, "{claims}");
    }
}
