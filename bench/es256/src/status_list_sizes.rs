//! The size of a status list (issue 24): the signed list's `lst` (zlib, base64url) for 1, 10
//! and 100 million tokens in one list, with 0.1 % and 1 % of them revoked at random places,
//! built by the very code the token function signs lists with; and what a verifier downloads
//! a minute, fetching each list it needs once per `ttl`.
//!
//! Usage: `status-list-sizes`; prints one markdown table (the 100-million rows take a few
//! seconds each in a release build).

use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::status_list::{list_claims, TTL_SECONDS};

/// `count` distinct indexes below `size`, drawn by a fixed-seed xorshift: places as random as
/// a real list's revocations, the same at every run.
fn revoked(size: u64, count: u64) -> Vec<u64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut indexes = std::collections::BTreeSet::new();
    while (indexes.len() as u64) < count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        indexes.insert(state % size);
    }
    indexes.into_iter().collect()
}

fn main() {
    println!("| tokens in the list | revoked | `lst` bytes | per verifier per minute (one list) |");
    println!("|---|---|---|---|");
    for size in [1_000_000u64, 10_000_000, 100_000_000] {
        for per_mille in [1u64, 10] {
            let revoked = revoked(size, size * per_mille / 1000);
            let count = revoked.len();
            let claims = list_claims("u".into(), UnixSeconds(0), size, revoked, vec![]);
            let bytes = claims.status_list.lst.len();
            let per_minute = bytes as u64 * 60 / TTL_SECONDS;
            println!(
                "| {size} | {count} ({:.1} %) | {bytes} | {per_minute} |",
                per_mille as f64 / 10.0
            );
        }
        let empty = list_claims("u".into(), UnixSeconds(0), size, [], vec![]);
        println!(
            "| {size} | 0 | {} | {} |",
            empty.status_list.lst.len(),
            empty.status_list.lst.len() as u64 * 60 / TTL_SECONDS
        );
    }
}
