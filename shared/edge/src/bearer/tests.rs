use super::*;
use gatehouse_core::clock::{ManualClock, UnixMillis};
use gatehouse_core::jwt::{
    generate_private_key_pem, public_pem, ApplicationClaim, KeySet, PublishedKeys,
};
use gatehouse_core::model::{ApplicationKind, Mode, Organization};
use http::header;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

const ISSUER: &str = "https://auth.example";
/// The tests' present, in seconds.
const NOW: u64 = 1_700_000_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn clock_at(seconds: u64) -> ManualClock {
    ManualClock::at(UnixMillis(seconds * 1000))
}

/// Claims as the token function fills them: issued now, valid two hours.
fn claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.into(),
        iat: NOW,
        exp: NOW + 7200,
        jti: "jti-1".into(),
        scope: "market:all".into(),
        test: true,
        organization: Organization {
            id: "org".into(),
            slug: "acme".into(),
        },
        application: ApplicationClaim {
            id: "app".into(),
            client_id: "client".into(),
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

/// A private key PEM, its key set, and a verifier built from its public key only, as the
/// API function builds it.
struct Fixture {
    private_pem: String,
    keys: KeySet,
    verifier: BearerVerifier,
}

fn fixture(algorithm: SigningAlgorithm) -> Fixture {
    let private_pem = generate_private_key_pem(algorithm);
    let keys = KeySet::from_pem(&private_pem).unwrap();
    let published = PublishedKeys::from_public_pem(&public_pem(&private_pem).unwrap()).unwrap();
    let verifier = BearerVerifier::new(published.verification_keys().unwrap(), ISSUER);
    Fixture {
        private_pem,
        keys,
        verifier,
    }
}

impl Fixture {
    fn kid(&self) -> String {
        self.keys.signing_key().kid.clone()
    }

    fn verify_token(&self, token: &str) -> Result<AccessTokenClaims, BearerError> {
        self.verifier
            .verify(Some(&format!("Bearer {token}")), &clock_at(NOW))
    }

    /// A token signed by this fixture's private key with any header and payload.
    fn sign_raw(&self, header: Header, payload: &serde_json::Value) -> String {
        let pem = self.private_pem.as_bytes();
        let key = match header.alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
            _ => EncodingKey::from_rsa_pem(pem),
        }
        .unwrap();
        jsonwebtoken::encode(&header, payload, &key).unwrap()
    }
}

#[test]
fn a_valid_token_verifies_with_each_algorithm() {
    for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs512] {
        let f = fixture(algorithm);
        let token = f.keys.sign(&claims()).unwrap();
        assert_eq!(f.verify_token(&token), Ok(claims()), "{algorithm:?}");
    }
}

#[test]
fn a_verifier_from_a_key_set_accepts_tokens_of_every_published_key() {
    let new = generate_private_key_pem(SigningAlgorithm::Es256);
    let old = generate_private_key_pem(SigningAlgorithm::Rs512);
    let both = KeySet::from_pem(&format!("{new}{old}")).unwrap();
    let verifier = BearerVerifier::new(both.verification_keys().unwrap(), ISSUER);
    let algorithms: Vec<_> = both
        .verification_keys()
        .unwrap()
        .iter()
        .map(|k| k.algorithm)
        .collect();
    assert_eq!(
        algorithms,
        [SigningAlgorithm::Es256, SigningAlgorithm::Rs512]
    );
    for pem in [new, old] {
        let token = KeySet::from_pem(&pem).unwrap().sign(&claims()).unwrap();
        let header = format!("Bearer {token}");
        assert_eq!(verifier.verify(Some(&header), &clock_at(NOW)), Ok(claims()));
    }
}

#[test]
fn the_scheme_is_case_insensitive_and_surrounding_spaces_are_ignored() {
    let f = fixture(SigningAlgorithm::Es256);
    let token = f.keys.sign(&claims()).unwrap();
    for header in [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("BeArEr  {token} "),
    ] {
        assert_eq!(
            f.verifier.verify(Some(&header), &clock_at(NOW)),
            Ok(claims()),
            "{header}"
        );
    }
}

#[test]
fn headers_without_a_well_formed_bearer_token_are_refused() {
    let f = fixture(SigningAlgorithm::Es256);
    let token = f.keys.sign(&claims()).unwrap();
    let missing = BearerError::Missing;
    let not_bearer = BearerError::NotBearer;
    // Any reason: only the variant is compared.
    let malformed = BearerError::Malformed("");
    let cases = [
        (None, &missing),
        (Some(String::new()), &not_bearer),
        (Some("Basic Y2xpZW50OnNlY3JldA==".into()), &not_bearer),
        (Some(format!("Token {token}")), &not_bearer),
        (Some(format!("Bearer{token}")), &not_bearer),
        (Some("Bearer".into()), &malformed),
        (Some("Bearer   ".into()), &malformed),
        (Some("Bearer garbage".into()), &malformed),
        (Some("Bearer a.b.c".into()), &malformed),
        (Some(format!("Bearer {token}.extra")), &malformed),
        (Some(format!("Bearer {token} {token}")), &malformed),
        (Some(format!("Bearer {token}==")), &malformed),
    ];
    for (header, expected) in cases {
        let error = f
            .verifier
            .verify(header.as_deref(), &clock_at(NOW))
            .unwrap_err();
        assert_eq!(
            std::mem::discriminant(&error),
            std::mem::discriminant(expected),
            "{header:?}: {error:?}"
        );
    }
}

#[test]
fn a_token_whose_kid_is_not_published_or_absent_is_refused() {
    let f = fixture(SigningAlgorithm::Es256);
    let stranger = KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
    let unknown = stranger.sign(&claims()).unwrap();
    let no_kid = f.sign_raw(Header::new(Algorithm::ES256), &json!(claims()));
    for token in [unknown, no_kid] {
        assert_eq!(f.verify_token(&token), Err(BearerError::UnknownKey));
    }
}

#[test]
fn an_alg_none_token_with_the_real_kid_is_refused() {
    let f = fixture(SigningAlgorithm::Es256);
    let header = json!({"alg": "none", "typ": "JWT", "kid": f.kid()});
    let payload = serde_json::to_vec(&claims()).unwrap();
    for signature in ["", "AAAA"] {
        let token = format!(
            "{}.{}.{signature}",
            b64(header.to_string().as_bytes()),
            b64(&payload)
        );
        assert_eq!(
            f.verify_token(&token),
            Err(BearerError::WrongAlgorithm { expected: "ES256" })
        );
    }
}

#[test]
fn an_hs256_token_keyed_with_the_public_key_bytes_is_refused() {
    for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs512] {
        let f = fixture(algorithm);
        let public = public_pem(&f.private_pem).unwrap();
        let der = pem::parse(&public).unwrap().contents().to_vec();
        for secret in [public.as_bytes().to_vec(), der] {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(f.kid());
            let token = jsonwebtoken::encode(
                &header,
                &claims(),
                &EncodingKey::from_secret(&secret).unwrap(),
            )
            .unwrap();
            assert_eq!(
                f.verify_token(&token),
                Err(BearerError::WrongAlgorithm {
                    expected: algorithm.as_str()
                }),
                "{algorithm:?}"
            );
        }
    }
}

#[test]
fn a_token_signed_by_the_right_key_with_another_algorithm_is_refused() {
    let f = fixture(SigningAlgorithm::Rs512);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(f.kid());
    let token = f.sign_raw(header, &json!(claims()));
    assert_eq!(
        f.verify_token(&token),
        Err(BearerError::WrongAlgorithm { expected: "RS512" })
    );
}

#[test]
fn a_token_tampered_after_signing_or_signed_by_another_key_is_refused() {
    let f = fixture(SigningAlgorithm::Es256);
    let token = f.keys.sign(&claims()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let tampered_payload = b64(&serde_json::to_vec(&AccessTokenClaims {
        test: false,
        ..claims()
    })
    .unwrap());
    let tampered = format!("{}.{tampered_payload}.{}", parts[0], parts[2]);

    let stranger = KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap();
    let foreign = stranger.sign(&claims()).unwrap();
    let foreign_signature = foreign.rsplit('.').next().unwrap();
    let resigned = format!("{}.{}.{foreign_signature}", parts[0], parts[1]);

    for token in [tampered, resigned] {
        assert_eq!(f.verify_token(&token), Err(BearerError::BadSignature));
    }
}

#[test]
fn a_token_of_another_issuer_is_refused() {
    let f = fixture(SigningAlgorithm::Es256);
    let token = f
        .keys
        .sign(&AccessTokenClaims {
            iss: "https://evil.example".into(),
            ..claims()
        })
        .unwrap();
    assert_eq!(f.verify_token(&token), Err(BearerError::WrongIssuer));
}

#[test]
fn a_signed_token_without_exp_or_with_foreign_claims_is_refused_as_malformed() {
    let f = fixture(SigningAlgorithm::Es256);
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(f.kid());
    let mut no_exp = json!(claims());
    no_exp.as_object_mut().unwrap().remove("exp");
    let foreign = json!({"iss": ISSUER, "exp": NOW + 60, "sub": "someone"});
    for payload in [no_exp, foreign] {
        let token = f.sign_raw(header.clone(), &payload);
        assert!(
            matches!(f.verify_token(&token), Err(BearerError::Malformed(_))),
            "{payload}"
        );
    }
}

#[test]
fn expiry_is_checked_against_the_injected_clock_with_sixty_seconds_of_leeway() {
    let f = fixture(SigningAlgorithm::Es256);
    let token = f.keys.sign(&claims()).unwrap();
    let exp = claims().exp;
    let header = format!("Bearer {token}");
    // (seconds after exp, accepted)
    let cases = [(-1, true), (0, true), (59, true), (60, false), (61, false)];
    for (after, accepted) in cases {
        let clock = clock_at(exp.checked_add_signed(after).unwrap());
        let result = f.verifier.verify(Some(&header), &clock);
        if accepted {
            assert_eq!(result, Ok(claims()), "{after} s after exp");
        } else {
            assert_eq!(
                result,
                Err(BearerError::Expired {
                    exp,
                    seconds_ago: after as u64
                }),
                "{after} s after exp"
            );
        }
    }
    // The clock's milliseconds count: 59.999 s after exp is still within the leeway.
    let clock = ManualClock::at(UnixMillis((exp + 59) * 1000 + 999));
    assert_eq!(f.verifier.verify(Some(&header), &clock), Ok(claims()));
}

#[test]
fn a_token_issued_more_than_sixty_seconds_ahead_is_not_yet_valid() {
    let f = fixture(SigningAlgorithm::Es256);
    // (seconds iat is ahead of the clock, accepted)
    let cases = [(60, true), (61, false), (120, false)];
    for (ahead, accepted) in cases {
        let issued = AccessTokenClaims {
            iat: NOW + ahead,
            exp: NOW + ahead + 7200,
            ..claims()
        };
        let token = f.keys.sign(&issued).unwrap();
        let result = f.verify_token(&token);
        if accepted {
            assert_eq!(result, Ok(issued), "{ahead} s ahead");
        } else {
            assert_eq!(
                result,
                Err(BearerError::NotYetValid {
                    iat: NOW + ahead,
                    seconds_ahead: ahead
                }),
                "{ahead} s ahead"
            );
        }
    }
}

#[test]
fn the_claims_tell_the_environment() {
    assert_eq!(claims().mode(), Mode::Test);
    let live = AccessTokenClaims {
        test: false,
        ..claims()
    };
    assert_eq!(live.mode(), Mode::Live);
}

fn body_of(response: &Response<Body>) -> serde_json::Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

#[test]
fn every_refusal_is_a_401_invalid_token_that_no_cache_keeps() {
    let invalid_token = r#"Bearer realm="gatehouse", error="invalid_token""#;
    let no_credentials = r#"Bearer realm="gatehouse""#;
    let cases = [
        (BearerError::Missing, no_credentials),
        (BearerError::NotBearer, no_credentials),
        (BearerError::Malformed("x"), invalid_token),
        (BearerError::UnknownKey, invalid_token),
        (
            BearerError::WrongAlgorithm { expected: "ES256" },
            invalid_token,
        ),
        (BearerError::BadSignature, invalid_token),
        (BearerError::WrongIssuer, invalid_token),
        (
            BearerError::Expired {
                exp: 1,
                seconds_ago: 61,
            },
            invalid_token,
        ),
        (
            BearerError::NotYetValid {
                iat: 1,
                seconds_ahead: 61,
            },
            invalid_token,
        ),
    ];
    for (error, www_authenticate) in cases {
        let name = format!("{error:?}");
        let detail = error.detail();
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        let headers = response.headers();
        assert_eq!(
            headers[header::WWW_AUTHENTICATE],
            www_authenticate,
            "{name}"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{name}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{name}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/vnd.api+json",
            "{name}"
        );
        assert_eq!(
            body_of(&response),
            json!({"errors": [{
                "title": "Invalid token",
                "detail": detail,
                "code": "INVALID_TOKEN",
                "status": "401",
            }]}),
            "{name}"
        );
    }
}

#[test]
fn the_refusal_of_a_real_token_does_not_echo_it() {
    let f = fixture(SigningAlgorithm::Es256);
    let token = f
        .keys
        .sign(&AccessTokenClaims {
            iss: "https://evil.example".into(),
            ..claims()
        })
        .unwrap();
    let error = f.verify_token(&token).unwrap_err();
    let logged = error.to_string();
    let response = error.into_response();
    let body = String::from_utf8(response.body().to_vec()).unwrap();
    for part in token.split('.') {
        assert!(!body.contains(part) && !logged.contains(part));
    }
    assert!(!body.contains("evil"));
}

/// An algorithm other than the one its key is pinned to, whoever signed: an RS512 token (signed
/// by a real RSA key) naming our ES256 key, and an ES256 token naming our RS512 key.
#[test]
fn a_token_of_the_other_asymmetric_algorithm_naming_our_kid_is_refused() {
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
        let f = fixture(ours);
        let other = fixture(theirs);
        let mut header = Header::new(alg);
        header.kid = Some(f.kid());
        let token = other.sign_raw(header, &json!(claims()));
        assert_eq!(
            f.verify_token(&token),
            Err(BearerError::WrongAlgorithm {
                expected: ours.as_str()
            }),
            "{alg:?} token for a {ours:?} key"
        );
        // The same token is good for the key that signed it: only the pinning refuses it.
        let mut header = Header::new(alg);
        header.kid = Some(other.kid());
        let genuine = other.sign_raw(header, &json!(claims()));
        assert_eq!(other.verify_token(&genuine), Ok(claims()), "{alg:?}");
    }
}

/// `alg: none` in any spelling, and the symmetric algorithms keyed with the public key's PEM
/// or DER bytes: refused before any signature check.
#[test]
fn none_in_any_case_and_every_hmac_keyed_with_the_public_key_are_refused() {
    let f = fixture(SigningAlgorithm::Es256);
    let payload = b64(&serde_json::to_vec(&claims()).unwrap());
    for none in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": none, "typ": "JWT", "kid": f.kid()});
        let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
        assert_eq!(
            f.verify_token(&token),
            Err(BearerError::WrongAlgorithm { expected: "ES256" }),
            "{none}"
        );
    }
    let public = public_pem(&f.private_pem).unwrap();
    let der = pem::parse(&public).unwrap().contents().to_vec();
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        for secret in [public.as_bytes(), &der[..]] {
            let mut header = Header::new(alg);
            header.kid = Some(f.kid());
            let key = EncodingKey::from_secret(secret).unwrap();
            let token = jsonwebtoken::encode(&header, &claims(), &key).unwrap();
            assert_eq!(
                f.verify_token(&token),
                Err(BearerError::WrongAlgorithm { expected: "ES256" }),
                "{alg:?}"
            );
        }
    }
}

/// Right kid, wrong key: a whole token signed by another key that names our kid.
#[test]
fn a_token_signed_by_another_key_under_our_kid_is_refused() {
    for algorithm in [SigningAlgorithm::Es256, SigningAlgorithm::Rs512] {
        let f = fixture(algorithm);
        let stranger = fixture(algorithm);
        let mut header = Header::new(algorithm.jwt_algorithm());
        header.kid = Some(f.kid());
        let token = stranger.sign_raw(header, &json!(claims()));
        assert_eq!(
            f.verify_token(&token),
            Err(BearerError::BadSignature),
            "{algorithm:?}"
        );
    }
}

/// Each claim the API reads, changed after signing: the signature no longer verifies.
#[test]
fn a_payload_with_any_claim_changed_after_signing_is_refused() {
    let f = fixture(SigningAlgorithm::Es256);
    let token = f.keys.sign(&claims()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let changes = [
        ("scope", json!("market:all")),
        ("exp", json!(NOW + 365 * 86_400)),
        ("iss", json!("https://evil.example")),
        ("test", json!(false)),
        (
            "application",
            json!({"id": "app", "client_id": "other", "kind": "integration", "public": false}),
        ),
    ];
    for (claim, value) in changes {
        let mut payload = json!(claims());
        payload[claim] = value;
        let token = format!(
            "{}.{}.{}",
            parts[0],
            b64(&serde_json::to_vec(&payload).unwrap()),
            parts[2]
        );
        assert_eq!(
            f.verify_token(&token),
            Err(BearerError::BadSignature),
            "{claim}"
        );
    }
    // The header too: another kid of ours would be looked up, another typ is signed over.
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": f.kid()});
    let token = format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        parts[1],
        parts[2]
    );
    assert_eq!(f.verify_token(&token), Err(BearerError::BadSignature));
}
