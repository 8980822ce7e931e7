//! The resource API's bearer-token check (`BearerVerifier::verify`, as `functions/api` calls it
//! with the `Authorization` header's value), with an ES256 and an RS512 key generated at start
//! (`jwt::generate_private_key_pem`), both published.
//!
//! Input: a first byte that says what the rest is.
//! - `t`: edits to a valid token (`Bearer <token>`, freshly signed by the ES256 key, or by the
//!   RS512 key when the first edit byte is odd): each 3 bytes are (operation, position,
//!   byte), replacing, inserting or deleting one byte. The result must be refused, or give
//!   exactly the claims that were signed.
//! - `s`: claims (JSON) signed by a real key with a header naming its `kid`: the verifier must
//!   accept them exactly when they are the access token's claims, from this issuer, and valid
//!   now (a differential check against `AccessTokenClaims` and the rules of docs/api.md).
//! - `h`: a forged token from three lines, JOSE header, claims and signature, each encoded
//!   base64url (`$KID` in the header becomes the ES256 key's kid): it must be refused.
//! - anything else: the whole input as the header value: it must be refused.
//!
//! Checked besides: no panic, and every refusal answers 401 with `WWW-Authenticate`.

#![no_main]

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_core::clock::{ManualClock, UnixMillis};
use gatehouse_core::jwt::{
    generate_private_key_pem, public_pem, AccessTokenClaims, ApplicationClaim, KeySet, MarketClaim,
    PublishedKeys, SigningAlgorithm,
};
use gatehouse_core::model::{ApplicationKind, Organization};
use gatehouse_edge::bearer::{BearerError, BearerVerifier, CLOCK_LEEWAY_SECONDS};
use libfuzzer_sys::fuzz_target;

const ISSUER: &str = "https://auth.example";
const NOW: u64 = 1_700_000_000;

struct Keys {
    es256: (String, KeySet),
    rs512: (String, KeySet),
    verifier: BearerVerifier,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let es256 = generate_private_key_pem(SigningAlgorithm::Es256);
        let rs512 = generate_private_key_pem(SigningAlgorithm::Rs512);
        // Both keys published, as after a rotation, and the verifier built from their public
        // halves only, as the API function builds it.
        let public = public_pem(&format!("{es256}{rs512}")).expect("generated keys load");
        let published = PublishedKeys::from_config(&public).unwrap();
        let verifier = BearerVerifier::new(published.verification_keys().unwrap(), ISSUER);
        let es256_keys = KeySet::from_pem(&es256).unwrap();
        let rs512_keys = KeySet::from_pem(&rs512).unwrap();
        Keys {
            es256: (es256, es256_keys),
            rs512: (rs512, rs512_keys),
            verifier,
        }
    })
}

fn claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.into(),
        iat: NOW,
        exp: NOW + 7200,
        jti: "b3c2a1d0-jti".into(),
        scope: "market:1 stock_location:2".into(),
        test: true,
        organization: Organization {
            id: "org".into(),
            slug: "acme".into(),
        },
        application: ApplicationClaim {
            id: "app".into(),
            client_id: "sales-channel".into(),
            kind: ApplicationKind::SalesChannel,
            public: true,
            confidential: false,
        },
        market: Some(MarketClaim {
            id: "m-eu".into(),
            number: 1,
            price_list_id: "pl-eu".into(),
            stock_location_ids: vec!["sl-2".into()],
        }),
        owner: None,
        sid: None,
        auth_time: None,
        custom_claim: None,
        status: None,
    }
}

/// The verifier's answer to this `Authorization` header value, as `functions/api` reads it:
/// a value that is not visible ASCII is no value.
fn verify(header: &[u8]) -> Option<Result<AccessTokenClaims, BearerError>> {
    let value = http::HeaderValue::from_bytes(header).ok()?;
    let clock = ManualClock::at(UnixMillis(NOW * 1000));
    let result = keys().verifier.verify(value.to_str().ok(), &clock);
    if let Err(error) = &result {
        let response = error.clone().into_response();
        assert_eq!(response.status(), 401);
        assert!(response.headers().contains_key("www-authenticate"));
    }
    Some(result)
}

/// Edits to a freshly signed token: refused, or the very claims signed.
fn mutated_token(edits: &[u8]) {
    let keys = keys();
    let (_, key_set) = if edits.first().is_some_and(|b| b % 2 == 1) {
        &keys.rs512
    } else {
        &keys.es256
    };
    let mut header = b"Bearer ".to_vec();
    header.extend(key_set.sign(&claims()).expect("signs").into_bytes());
    for edit in edits.chunks_exact(3) {
        let (operation, position, byte) = (edit[0], usize::from(edit[1]), edit[2]);
        // Positions wrap around the token, so that edits reach its signature too.
        let position = (position * 7 + usize::from(operation >> 2)) % (header.len() + 1);
        match operation % 3 {
            0 if position < header.len() => header[position] = byte,
            1 => header.insert(position, byte),
            2 if position < header.len() => {
                header.remove(position);
            }
            _ => {}
        }
    }
    if let Some(Ok(verified)) = verify(&header) {
        assert_eq!(
            verified,
            claims(),
            "an edited token verified with other claims"
        );
    }
}

/// Claims of the fuzzer's choosing, really signed: accepted exactly when they are valid.
fn signed_claims(payload: &[u8]) {
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return;
    };
    let keys = keys();
    let (pem, key_set) = &keys.es256;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key_set.signing_key().kid.clone());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &payload, &key).expect("signs");
    let result = verify(format!("Bearer {token}").as_bytes()).expect("a JWT is a header value");
    // docs/api.md, "The resource API": verified are the signature, `kid`, `exp` and `iss`; the
    // leeway is the documented clock skew.
    let expected = serde_json::from_value::<AccessTokenClaims>(payload)
        .ok()
        .filter(|claims| {
            claims.iss == ISSUER
                && NOW < claims.exp.saturating_add(CLOCK_LEEWAY_SECONDS)
                && claims.iat <= NOW + CLOCK_LEEWAY_SECONDS
        });
    assert_eq!(result.ok(), expected);
}

/// A token put together from a header, claims and signature of the fuzzer's choosing.
fn forged_token(rest: &[u8]) {
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let (header, payload, signature) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let kid = &keys().es256.1.signing_key().kid;
    let header = String::from_utf8_lossy(header).replace("$KID", kid);
    let token = format!(
        "Bearer {}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(signature)
    );
    let result = verify(token.as_bytes()).expect("a JWT is a header value");
    assert!(result.is_err(), "a forged token verified: {token}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        b't' => mutated_token(rest),
        b's' => signed_claims(rest),
        b'h' => forged_token(rest),
        _ => {
            if let Some(result) = verify(data) {
                assert!(result.is_err(), "arbitrary bytes verified as a token");
            }
        }
    }
});
