//! The physical limit of the token endpoint's work on this machine, on one core: how many ES256
//! signatures per second aws-lc makes over a signing input the size of a real access token's
//! (`raw`), and how many access tokens per second the service's own signing path makes, claims
//! serialization and base64 included (`token`). Each is given as a rate over wall time and
//! as CPU time per operation (this thread's, from the kernel's scheduler statistics), which is
//! what `scripts/bench` compares with the server's CPU time per token: on a shared machine the
//! wall-clock rate moves with the neighbours' load, the CPU time much less.
//!
//! Usage: `es256-bench [seconds per measurement, default 3]`; prints one JSON line.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use gatehouse_core::jwt::{
    generate_private_key_pem, AccessTokenClaims, ApplicationClaim, KeySet, MarketClaim,
    SigningAlgorithm,
};
use gatehouse_core::model::{ApplicationKind, Organization};

/// The CPU time this thread has run, in nanoseconds (`/proc/thread-self/schedstat`'s first
/// field: exact, where `getrusage` counts in ticks).
fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("Linux's /proc/thread-self/schedstat");
    let first = stat.split_whitespace().next().unwrap_or_default();
    first.parse().expect("schedstat starts with nanoseconds")
}

/// Calls `work` in batches until `seconds` have passed (after a short warm-up): its rate per
/// wall-clock second, and the CPU microseconds one call takes.
fn measure(seconds: f64, mut work: impl FnMut()) -> (f64, f64) {
    let warm_up = Instant::now();
    while warm_up.elapsed() < Duration::from_millis(200) {
        work();
    }
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    let mut done = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..256 {
            work();
        }
        done += 256;
    }
    let cpu_us = (thread_cpu_ns() - cpu_start) as f64 / 1e3 / done as f64;
    (done as f64 / start.elapsed().as_secs_f64(), cpu_us)
}

fn rounded(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A client_credentials token's claims for a market with two stock locations, as the demo
/// storefront gets them.
fn claims() -> AccessTokenClaims {
    AccessTokenClaims {
        iss: "https://auth.example.com".into(),
        iat: 1_800_000_000,
        exp: 1_800_014_400,
        jti: "q1w2e3r4t5y6u7i8o9p0aa".into(),
        scope: "market:1001".into(),
        test: true,
        organization: Organization {
            id: "org_acme".into(),
            slug: "acme".into(),
        },
        application: ApplicationClaim {
            id: "app_storefront".into(),
            client_id: "demo-storefront".into(),
            kind: ApplicationKind::SalesChannel,
            public: true,
            confidential: false,
        },
        market: Some(MarketClaim {
            id: "mkt_eu".into(),
            number: 1001,
            price_list_id: "pl_eur".into(),
            stock_location_ids: vec!["sl_ams".into(), "sl_ber".into()],
        }),
        owner: None,
        sid: None,
        auth_time: None,
        custom_claim: None,
        status: None,
    }
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let keys = KeySet::from_pem(&generate_private_key_pem(SigningAlgorithm::Es256))
        .expect("a generated key reads back");
    let claims = claims();
    let token = keys.sign(&claims).expect("signs");
    let signing_input = &token[..token.rfind('.').expect("a JWS has three parts")];

    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("a P-256 key");
    let raw_key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .expect("reads back");
    let (raw, raw_cpu_us) = measure(seconds, || {
        black_box(
            raw_key
                .sign(&rng, black_box(signing_input.as_bytes()))
                .unwrap(),
        );
    });
    let (tokens, token_cpu_us) = measure(seconds, || {
        black_box(keys.sign(black_box(&claims)).unwrap());
    });
    println!(
        "{}",
        serde_json::json!({
            "signing_input_bytes": signing_input.len(),
            "raw_es256_per_second": raw.round(),
            "raw_es256_microseconds": rounded(1e6 / raw),
            "raw_es256_cpu_microseconds": rounded(raw_cpu_us),
            "token_sign_per_second": tokens.round(),
            "token_sign_microseconds": rounded(1e6 / tokens),
            "token_sign_cpu_microseconds": rounded(token_cpu_us),
        })
    );
}
