//! The Token Status List (draft-ietf-oauth-status-list; docs/api.md, "The status list"): how
//! a verifier that never calls Gatehouse learns that an access token was revoked.
//!
//! Each access token carries `status: {"status_list": {"idx": i, "uri": ".../oauth/status_lists/W"}}`:
//! list `W` holds the tokens issued in window `W` (an hour of `iat`), so that no list grows
//! with time, only with the tokens of one window. Bit `i` of the list is 1 when the token was
//! revoked by itself. The list is a signed JWT (`typ: statuslist+jwt`) whose `status_list`
//! claim holds the bits, one per token, zlib-compressed and base64url-encoded, the token at
//! index 0 in the least significant bit of the first byte (the draft's §4.1). Beside the bits,
//! its `revocation_epochs` claim lists the epochs written since the window began: a token whose
//! subject one names, issued (or signed in) before it, is revoked too.
//!
//! Everything here is pure: storage keeps the revoked indexes and epochs, the token function
//! signs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::jwt::AccessTokenClaims;
use crate::lifetime::MAX_CUSTOM_LIFETIME;
use crate::revocation::{epoch_ending, EpochSubject, Epochs, TokenSubjects, KEPT_PAST_EXPIRY};

/// One list per this many seconds of `iat`.
pub const WINDOW_SECONDS: u64 = 3600;

/// Indexes a token function process reserves at once: one storage write per this many tokens.
pub const BLOCK: u64 = 1024;

/// Revoked indexes are stored per chunk of this many indexes (one item each).
pub const CHUNK: u64 = 32_768;

/// How long a verifier may keep a list before fetching it again (its `ttl` claim, and the
/// answer's `Cache-Control: max-age`): the bound on how late a revocation is seen.
pub const TTL_SECONDS: u64 = 60;

/// The media type of a status list token (the draft's §11.6), and its `typ` header.
pub const MEDIA_TYPE: &str = "application/statuslist+jwt";
pub const TYP: &str = "statuslist+jwt";

/// The path the lists are served under: `{issuer}{PATH_PREFIX}{window}`.
pub const PATH_PREFIX: &str = "/oauth/status_lists/";

/// The list of a token issued at `iat` (Unix seconds).
pub fn window_of(iat: u64) -> u64 {
    iat / WINDOW_SECONDS
}

/// The first second of `window`.
pub fn window_start(window: u64) -> u64 {
    window * WINDOW_SECONDS
}

/// Until when a list is kept: its last token can live the longest lifetime after the window.
pub fn list_kept_until(window: u64) -> UnixSeconds {
    UnixSeconds(window_start(window + 1) + u64::from(MAX_CUSTOM_LIFETIME) + KEPT_PAST_EXPIRY)
}

pub fn list_uri(issuer: &str, window: u64) -> String {
    format!("{issuer}{PATH_PREFIX}{window}")
}

/// The window a list's path names, when it is one.
pub fn window_of_path(path: &str) -> Option<u64> {
    let window = path.strip_prefix(PATH_PREFIX)?;
    // Digits only: `+1` or ` 1` would parse as the same list under another URI.
    window
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| window.parse().ok())
        .flatten()
}

/// An access token's `status` claim (the draft's §6.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusClaim {
    pub status_list: StatusListRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListRef {
    pub idx: u64,
    pub uri: String,
}

/// An epoch as a list publishes it: its subject's key ([`crate::revocation::EpochSubject::key`])
/// and the first second it spares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedEpoch {
    pub subject: String,
    pub before: u64,
}

/// The claims of a status list token (the draft's §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListClaims {
    /// The list's own URI: a token's `status.status_list.uri` must equal it.
    pub sub: String,
    pub iat: u64,
    pub exp: u64,
    pub ttl: u64,
    pub status_list: EncodedList,
    /// The epochs written since the list's window began (Gatehouse's claim).
    pub revocation_epochs: Vec<PublishedEpoch>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedList {
    /// Bits per token: 1 (valid, revoked).
    pub bits: u8,
    /// base64url (no padding) of the zlib-compressed bytes.
    pub lst: String,
}

/// The bytes of a list of `size` tokens with `revoked` set; an index past the size is ignored.
pub fn bits(size: u64, revoked: impl IntoIterator<Item = u64>) -> Vec<u8> {
    let mut bytes = vec![0u8; usize::try_from(size.div_ceil(8)).unwrap_or(usize::MAX)];
    for index in revoked.into_iter().filter(|&i| i < size) {
        bytes[(index / 8) as usize] |= 1 << (index % 8);
    }
    bytes
}

/// The claims of list `uri` at `now`, of `size` tokens, `revoked` set, beside `epochs`.
pub fn list_claims(
    uri: String,
    now: UnixSeconds,
    size: u64,
    revoked: impl IntoIterator<Item = u64>,
    epochs: Vec<PublishedEpoch>,
) -> StatusListClaims {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&bits(size, revoked), 9);
    StatusListClaims {
        sub: uri,
        iat: now.0,
        exp: now.0 + 2 * TTL_SECONDS,
        ttl: TTL_SECONDS,
        status_list: EncodedList {
            bits: 1,
            lst: URL_SAFE_NO_PAD.encode(compressed),
        },
        revocation_epochs: epochs,
    }
}

/// Why a verifier could not tell a token's status from a list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("the token has no status claim")]
    NoStatus,
    #[error("the list is not the one the token names")]
    OtherList,
    #[error("the list has expired")]
    Expired,
    #[error("the list's bits cannot be read")]
    Malformed,
    #[error("the token's index is past the end of the list")]
    OutOfRange,
}

/// The most bytes a list may inflate to (a billion tokens): a verifier's bound on a zlib bomb.
pub const MAX_LIST_BYTES: usize = 125_000_000;

/// Whether the token of `claims` is revoked, as `list` (already signature-checked) says at
/// `now`: its bit, or an epoch of its subjects after it was issued or its login began.
pub fn revoked_in(
    claims: &AccessTokenClaims,
    list: &StatusListClaims,
    now: UnixSeconds,
) -> Result<bool, StatusError> {
    let status = claims.status.as_ref().ok_or(StatusError::NoStatus)?;
    if status.status_list.uri != list.sub {
        return Err(StatusError::OtherList);
    }
    if now.0 >= list.exp {
        return Err(StatusError::Expired);
    }
    let compressed = URL_SAFE_NO_PAD
        .decode(&list.status_list.lst)
        .map_err(|_| StatusError::Malformed)?;
    let bytes =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, MAX_LIST_BYTES)
            .map_err(|_| StatusError::Malformed)?;
    let index = status.status_list.idx;
    let byte = usize::try_from(index / 8).map_err(|_| StatusError::OutOfRange)?;
    let bit = bytes.get(byte).ok_or(StatusError::OutOfRange)? >> (index % 8) & 1;
    let subjects = TokenSubjects::of(claims);
    let epoch = |subject: Option<&EpochSubject>| {
        let key = subject?.key();
        list.revocation_epochs
            .iter()
            .filter(|published| published.subject == key)
            .map(|published| UnixSeconds(published.before))
            .max()
    };
    let epochs = Epochs {
        application: epoch(Some(&subjects.application)),
        owner: epoch(subjects.owner.as_ref()),
        market: epoch(subjects.market.as_ref()),
    };
    let since = claims.auth_time.unwrap_or(claims.iat).min(claims.iat);
    Ok(bit == 1 || epoch_ending(since, &epochs).is_some())
}

mod verify;
pub use verify::{verify_list, ListError};

#[cfg(test)]
mod tests;
