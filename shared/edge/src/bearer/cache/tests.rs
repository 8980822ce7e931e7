use std::time::Duration;

use base64::Engine;
use gatehouse_core::clock::{ManualClock, UnixMillis};
use gatehouse_core::jwt::{generate_private_key_pem, ApplicationClaim, KeySet, SigningAlgorithm};
use gatehouse_core::model::{ApplicationKind, Organization};

use super::*;

const ISSUER: &str = "https://auth.example";
/// The tests' present, in seconds.
const NOW: u64 = 1_700_000_000;

fn keys() -> KeySet {
    KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256)).unwrap()
}

/// Claims as the token function fills them: issued now, valid `lifetime` seconds.
fn claims(jti: &str, lifetime: u64) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.into(),
        iat: NOW,
        exp: NOW + lifetime,
        jti: jti.into(),
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

fn verifier(keys: &KeySet) -> BearerVerifier {
    BearerVerifier::new(keys.verification_keys().unwrap(), ISSUER)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn clock() -> ManualClock {
    ManualClock::at(UnixMillis(NOW * 1000))
}

fn kept(tokens: &VerifiedTokens) -> (usize, usize) {
    let entries = tokens.entries();
    assert_eq!(entries.by_token.len(), entries.by_expiry.len());
    (entries.by_token.len(), entries.by_token.capacity())
}

#[test]
fn a_kept_token_is_refused_at_the_instant_the_full_check_refuses_it() {
    let keys = keys();
    let (full, tokens) = (verifier(&keys), VerifiedTokens::new(verifier(&keys), 10));
    let token = bearer(&keys.sign(&claims("a", 3600)).unwrap());
    let clock = clock();
    let answer = |clock: &ManualClock| {
        let cached = tokens.verify(Some(&token), clock).map(|c| (*c).clone());
        assert_eq!(cached, full.verify(Some(&token), clock));
        cached
    };
    assert!(answer(&clock).is_ok());
    assert_eq!(tokens.full_checks(), 1);
    // The last second the full check accepts: exp + leeway - 1.
    clock.advance(Duration::from_secs(3600 + CLOCK_LEEWAY_SECONDS - 1));
    assert!(answer(&clock).is_ok());
    assert_eq!(tokens.full_checks(), 1, "taken from the cache");
    clock.advance(Duration::from_millis(999));
    assert!(answer(&clock).is_ok());
    clock.advance(Duration::from_millis(1));
    assert!(matches!(answer(&clock), Err(BearerError::Expired { .. })));
    assert_eq!(tokens.full_checks(), 2, "refused by the full check");
    assert_eq!(kept(&tokens).0, 0, "and dropped");
}

#[test]
fn a_kept_token_is_refused_when_the_clock_goes_back_before_its_iat() {
    let keys = keys();
    let (full, tokens) = (verifier(&keys), VerifiedTokens::new(verifier(&keys), 10));
    let token = bearer(&keys.sign(&claims("a", 3600)).unwrap());
    assert!(tokens.verify(Some(&token), &clock()).is_ok());
    let back = ManualClock::at(UnixMillis((NOW - CLOCK_LEEWAY_SECONDS - 1) * 1000));
    let refused = tokens.verify(Some(&token), &back).map(|c| (*c).clone());
    assert!(matches!(refused, Err(BearerError::NotYetValid { .. })));
    assert_eq!(refused, full.verify(Some(&token), &back));
}

#[test]
fn the_bound_holds_with_one_token_more_and_the_first_to_expire_leaves() {
    let keys = keys();
    let tokens = VerifiedTokens::new(verifier(&keys), 3);
    let clock = clock();
    // Signed in the order 0..4, expiring in the order 1, 0, 2, 3.
    let lifetimes = [1200, 600, 1800, 2400];
    let signed: Vec<String> = lifetimes
        .iter()
        .enumerate()
        .map(|(i, lifetime)| bearer(&keys.sign(&claims(&format!("t{i}"), *lifetime)).unwrap()))
        .collect();
    for token in &signed {
        assert!(tokens.verify(Some(token), &clock).is_ok());
    }
    assert_eq!(kept(&tokens).0, 3);
    assert_eq!(tokens.full_checks(), 4);
    for i in [0, 2, 3] {
        assert!(tokens.verify(Some(&signed[i]), &clock).is_ok());
    }
    assert_eq!(tokens.full_checks(), 4, "tokens 0, 2 and 3 are kept");
    assert!(tokens.verify(Some(&signed[1]), &clock).is_ok());
    assert_eq!(
        tokens.full_checks(),
        5,
        "token 1, the first to expire, was dropped"
    );
    assert_eq!(kept(&tokens).0, 3);
}

#[test]
fn a_tampered_token_is_checked_in_full_and_refused() {
    let keys = keys();
    let tokens = VerifiedTokens::new(verifier(&keys), 10);
    let clock = clock();
    let token = keys.sign(&claims("a", 3600)).unwrap();
    assert!(tokens.verify(Some(&bearer(&token)), &clock).is_ok());
    let parts: Vec<&str> = token.split('.').collect();
    // Another payload under the kept token's header and signature.
    let mut other = claims("a", 3600);
    other.scope = "market:1001".into();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&other).unwrap());
    let swapped = format!("{}.{payload}.{}", parts[0], parts[2]);
    // The kept token's signature with one character changed in its middle.
    let mut signature = parts[2].to_owned().into_bytes();
    signature[10] = if signature[10] == b'A' { b'B' } else { b'A' };
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        String::from_utf8(signature).unwrap()
    );
    for (n, forged) in [swapped, flipped].iter().enumerate() {
        for _ in 0..2 {
            let refused = tokens.verify(Some(&bearer(forged)), &clock);
            assert_eq!(refused, Err(BearerError::BadSignature));
        }
        assert_eq!(tokens.full_checks() as usize, 1 + 2 * (n + 1));
    }
    assert_eq!(kept(&tokens).0, 1, "refusals are never kept");
}

#[test]
fn a_refusal_is_not_kept() {
    let keys = keys();
    let tokens = VerifiedTokens::new(verifier(&keys), 10);
    let mut foreign = claims("a", 3600);
    foreign.iss = "https://elsewhere.example".into();
    let token = bearer(&keys.sign(&foreign).unwrap());
    for checks in 1..=3 {
        let refused = tokens.verify(Some(&token), &clock());
        assert_eq!(refused, Err(BearerError::WrongIssuer));
        assert_eq!(tokens.full_checks(), checks);
    }
    assert_eq!(kept(&tokens).0, 0);
}

#[test]
fn a_burst_expires_and_the_map_gives_its_memory_back() {
    let keys = keys();
    let tokens = VerifiedTokens::new(verifier(&keys), 10_000);
    let clock = clock();
    for i in 0..2000 {
        let token = bearer(&keys.sign(&claims(&format!("burst-{i}"), 600)).unwrap());
        assert!(tokens.verify(Some(&token), &clock).is_ok());
    }
    let (len, room) = kept(&tokens);
    assert_eq!(len, 2000);
    assert!(room >= 2000);
    clock.advance(Duration::from_secs(600 + CLOCK_LEEWAY_SECONDS));
    let late = bearer(&keys.sign(&claims("late", 7200)).unwrap());
    let late_clock = ManualClock::at(clock.now());
    assert!(tokens.verify(Some(&late), &late_clock).is_ok());
    let (len, room) = kept(&tokens);
    assert_eq!(len, 1, "the burst's tokens expired and left");
    assert!(
        room <= 4 * MIN_ROOM,
        "room for {room} entries is kept for 1"
    );
}

#[test]
fn a_cache_of_no_entries_and_an_oversized_token_keep_nothing() {
    let keys = keys();
    let token = bearer(&keys.sign(&claims("a", 3600)).unwrap());
    let none = VerifiedTokens::new(verifier(&keys), 0);
    for checks in 1..=2 {
        assert!(none.verify(Some(&token), &clock()).is_ok());
        assert_eq!(none.full_checks(), checks);
    }
    let tokens = VerifiedTokens::new(verifier(&keys), 10);
    let mut large = claims("large", 3600);
    large.scope = "x".repeat(MAX_CACHED_TOKEN_BYTES);
    let large = bearer(&keys.sign(&large).unwrap());
    for checks in 1..=2 {
        assert!(tokens.verify(Some(&large), &clock()).is_ok());
        assert_eq!(tokens.full_checks(), checks);
    }
    assert_eq!(kept(&tokens).0, 0);
}
