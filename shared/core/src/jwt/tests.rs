//! Signing, publishing and refusing keys.

use super::*;
use crate::model::{ApplicationKind, Organization};
use base64::Engine;
use jsonwebtoken::{decode, DecodingKey, Validation};

fn claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: "https://auth.example".into(),
        iat: 1,
        exp: 4_000_000_000,
        jti: "j".into(),
        scope: "market:all".into(),
        test: true,
        organization: Organization {
            id: "o".into(),
            slug: "acme".into(),
        },
        application: ApplicationClaim {
            id: "a".into(),
            client_id: "c".into(),
            kind: ApplicationKind::Integration,
            public: false,
            confidential: true,
        },
        market: None,
        owner: None,
        sid: None,
        auth_time: None,
        custom_claim: None,
        status: None,
    }
}

fn verify_with_jwks(keys: &KeySet, token: &str) -> AccessTokenClaims {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(keys.jwks()).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&["https://auth.example"]);
    decode::<AccessTokenClaims>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

#[test]
fn tokens_signed_with_each_algorithm_verify_against_the_published_jwks() {
    for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs512] {
        let keys = KeySet::from_pem(&generate_private_key_pem(algorithm)).unwrap();
        assert_eq!(keys.signing_key().algorithm, algorithm);
        let token = keys.sign(&claims()).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, algorithm.jwt_algorithm());
        assert_eq!(verify_with_jwks(&keys, &token), claims());
    }
}

#[test]
fn claims_are_written_so_that_atob_reads_them() {
    // Commerce Layer's SDK decodes the claims with `atob`, which refuses `-` and `_`. Each
    // character that would put one there, at each of the three places of a base64 group.
    let keys = KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
    for tricky in [">", "?", "~", "\u{7f}", "é", "✓", "😀", "a>?~b"] {
        for shift in ["", "x", "xy"] {
            let mut claims = claims();
            claims.jti = format!("{shift}{tricky}{tricky}{tricky}");
            let token = keys.sign(&claims).unwrap();
            let payload = token.split('.').nth(1).unwrap();
            assert!(
                !payload.contains(['-', '_']),
                "{tricky:?} after {shift:?}: {payload}"
            );
            // Read as base64 (what atob takes), it is JSON of the same claims.
            let padded = format!("{payload}{}", "=".repeat((4 - payload.len() % 4) % 4));
            let json = base64::engine::general_purpose::STANDARD
                .decode(padded)
                .unwrap();
            let read: AccessTokenClaims = serde_json::from_slice(&json).unwrap();
            assert_eq!(read, claims);
            assert_eq!(verify_with_jwks(&keys, &token), claims);
        }
    }
}

#[test]
fn the_kid_is_the_rfc_7638_thumbprint_of_the_public_key() {
    let keys = KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
    let jwk = &keys.jwks()["keys"][0];
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
        jwk["x"], jwk["y"]
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    use base64::Engine;
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    assert_eq!(keys.signing_key().kid, expected);
    assert_eq!(jwk["kid"], expected);
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["alg"], "ES256");
}

#[test]
fn several_keys_are_published_and_the_first_private_key_signs() {
    let new = generate_private_key_pem(SigningAlgorithm::Es256);
    let old = generate_private_key_pem(SigningAlgorithm::Rs512);
    let keys = KeySet::from_pem(&format!("{new}\n{old}")).unwrap();
    assert_eq!(keys.signing_key().algorithm, SigningAlgorithm::Es256);
    let published = keys.jwks()["keys"].as_array().unwrap().clone();
    assert_eq!(published.len(), 2);
    assert_eq!(published[0]["kid"], keys.signing_key().kid.as_str());
    assert_eq!(published[1]["kty"], "RSA");
}

#[test]
fn public_keys_derived_from_private_ones_publish_the_same_jwks() {
    for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs512] {
        let private = generate_private_key_pem(algorithm);
        let keys = KeySet::from_pem(&private).unwrap();
        let public = public_pem(&private).unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----") && !public.contains("PRIVATE"));
        let published = PublishedKeys::from_public_pem(&public).unwrap();
        assert_eq!(published.jwks(), keys.jwks(), "{algorithm:?}");
        assert_eq!(
            public_pem(&public).unwrap(),
            public,
            "public keys pass through"
        );
    }
}

#[test]
fn the_published_keys_refuse_private_key_material() {
    let private = generate_private_key_pem(SigningAlgorithm::Es256);
    let public = public_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
    let mixed = format!("{public}{private}");
    assert!(matches!(
        PublishedKeys::from_public_pem(&mixed),
        Err(KeyError::PrivateKeyNotAllowed { index: 1 })
    ));
}

#[test]
fn unusable_key_material_is_refused_with_a_reason() {
    assert!(matches!(KeySet::from_pem(""), Err(KeyError::Empty)));
    assert!(matches!(
        KeySet::from_pem("not a pem"),
        Err(KeyError::Empty)
    ));
    let garbage = pem::encode(&pem::Pem::new("PRIVATE KEY", vec![1, 2, 3]));
    assert!(matches!(
        KeySet::from_pem(&garbage),
        Err(KeyError::Unsupported { .. })
    ));
    let cert = pem::encode(&pem::Pem::new("CERTIFICATE", vec![1, 2, 3]));
    assert!(matches!(
        KeySet::from_pem(&cert),
        Err(KeyError::Unsupported { .. })
    ));
}

/// A P-384 key, generated now: PKCS#8 private key PEM and SubjectPublicKeyInfo PEM.
fn p384_key_pems() -> (String, String) {
    use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let spki: PublicKeyX509Der = pair.public_key().as_der().unwrap();
    (
        pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec())),
        pem::encode(&pem::Pem::new("PUBLIC KEY", spki.as_ref().to_vec())),
    )
}

#[test]
fn a_p384_key_is_refused_as_a_public_key_as_it_is_as_a_private_key() {
    let (private, public) = p384_key_pems();
    assert!(matches!(
        KeySet::from_pem(&private),
        Err(KeyError::Unsupported { index: 0, .. })
    ));
    let error = PublishedKeys::from_public_pem(&public).unwrap_err();
    assert_eq!(
        error.to_string(),
        "PEM block 0 (PUBLIC KEY) is not a P-256 EC or RSA (2048 bits or more) key"
    );
    assert!(matches!(
        public_pem(&public),
        Err(KeyError::Unsupported { index: 0, .. })
    ));
}

#[test]
fn an_rsa_public_key_under_2048_bits_is_refused() {
    // Made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 | openssl pkey
    // -pubout`: aws-lc-rs does not generate RSA keys that small.
    let public = include_str!("testdata/rsa-1024-public.pem");
    let error = PublishedKeys::from_public_pem(public).unwrap_err();
    assert_eq!(
        error.to_string(),
        "PEM block 0 (PUBLIC KEY) is not a P-256 EC or RSA (2048 bits or more) key"
    );
    let usable = public_pem(&generate_private_key_pem(SigningAlgorithm::Rs512)).unwrap();
    assert!(matches!(
        PublishedKeys::from_public_pem(&format!("{usable}{public}")),
        Err(KeyError::Unsupported { index: 1, .. })
    ));
}
