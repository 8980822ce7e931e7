//! The token function's side of the status lists (docs/api.md, "The status list"): each access
//! token's index, taken from a block this process reserved, and `GET /oauth/status_lists/{window}`,
//! the signed list, which only this function can sign.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::status_list::{
    list_claims, list_kept_until, list_uri, window_of, window_of_path, window_start, StatusClaim,
    StatusListRef, BLOCK, MEDIA_TYPE, TTL_SECONDS,
};
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_store::{StatusLists, StoreError};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

use crate::TokenService;

/// The indexes this process may hand out: `next..end` of one window's list.
#[derive(Clone, Copy)]
struct Block {
    window: u64,
    next: u64,
    end: u64,
}

/// Hands out status list indexes, reserving a block of [`BLOCK`] at a time: one storage write
/// per block per process, none per token.
pub struct StatusIndexes {
    store: Arc<dyn StatusLists>,
    issuer: String,
    block: Mutex<Option<Block>>,
}

impl StatusIndexes {
    pub fn new(store: Arc<dyn StatusLists>, issuer: String) -> Self {
        Self {
            store,
            issuer,
            block: Mutex::default(),
        }
    }

    /// The `status` claim of a token issued at `iat` (Unix seconds).
    pub async fn claim(&self, iat: u64) -> Result<StatusClaim, StoreError> {
        let window = window_of(iat);
        let index = match self.take(window) {
            Some(index) => index,
            // No room: this request reserves a block and takes its first index itself.
            None => self.reserve(window, 1).await?,
        };
        Ok(StatusClaim {
            status_list: StatusListRef {
                idx: index,
                uri: list_uri(&self.issuer, window),
            },
        })
    }

    /// Reserves the block a token issued at `iat` will take its index from, unless one with
    /// room is held: sent beside a request's first reads, so that the reservation (once per
    /// 1,024 tokens, and at each hour's first token) adds no round trip. A failure is left to
    /// [`StatusIndexes::claim`], which tries again and reports it.
    pub async fn reserve_ahead(&self, iat: u64) {
        let window = window_of(iat);
        let held = *self.block();
        if held.is_none_or(|held| held.window != window || held.next >= held.end) {
            let _ = self.reserve(window, 0).await;
        }
    }

    /// Reserves a block of `window`, keeps it from its index `taken` on (unless another
    /// request installed one with room meanwhile), and answers its first index.
    async fn reserve(&self, window: u64, taken: u64) -> Result<u64, StoreError> {
        let first = self.store.reserve_status_indexes(window, BLOCK).await?;
        let mut block = self.block();
        if block.is_none_or(|held| held.window < window || held.next >= held.end) {
            *block = Some(Block {
                window,
                next: first + taken,
                end: first + BLOCK,
            });
        }
        Ok(first)
    }

    fn take(&self, window: u64) -> Option<u64> {
        let mut block = self.block();
        let held = block.as_mut().filter(|held| held.window == window)?;
        (held.next < held.end).then(|| {
            held.next += 1;
            held.next - 1
        })
    }

    fn block(&self) -> MutexGuard<'_, Option<Block>> {
        self.block.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How long a process serves a list it built before it reads storage again: with the list's
/// `ttl`, the bound on how late a verifier sees a revocation ([`TTL_SECONDS`] + this).
pub const BUILT_LIST_SECONDS: u64 = 5;

/// Lists kept built at most: every window whose tokens still live is a few at default lifetimes.
const MAX_BUILT_LISTS: usize = 64;

/// The lists this process signed lately, by window: each read and signed at most once per
/// [`BUILT_LIST_SECONDS`], however many verifiers ask, so that storage reads stay bounded.
#[derive(Default)]
pub struct PublishedLists {
    built: Mutex<HashMap<u64, (u64, Arc<str>)>>,
}

impl PublishedLists {
    fn kept(&self, window: u64, now: u64) -> Option<Arc<str>> {
        let built = self.built();
        let (at, token) = built.get(&window)?;
        (now < at + BUILT_LIST_SECONDS).then(|| Arc::clone(token))
    }

    fn keep(&self, window: u64, now: u64, token: Arc<str>) {
        let mut built = self.built();
        built.retain(|_, (at, _)| now < *at + BUILT_LIST_SECONDS);
        if built.len() < MAX_BUILT_LISTS {
            built.insert(window, (now, token));
        }
    }

    fn built(&self) -> MutexGuard<'_, HashMap<u64, (u64, Arc<str>)>> {
        self.built.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `GET /oauth/status_lists/{window}`: the list as a signed `statuslist+jwt`, with the epochs
/// written since its window began, cacheable for its `ttl`.
pub async fn serve_list(request: &Request, service: &TokenService) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return ApiError::method_not_allowed("GET").into_response();
    }
    let now = service.clock.now().floor_seconds();
    // A list of a window not begun yet cannot hold a token, and one past its keeping holds
    // none still valid: neither is read, so that no path makes storage work for nothing.
    let live = |window: &u64| window_start(*window) <= now.0 && now < list_kept_until(*window);
    let Some(window) = window_of_path(request.uri().path()).filter(live) else {
        return ApiError::new(ErrorCode::NotFound, "no such status list").into_response();
    };
    let token = match service.lists.kept(window, now.0) {
        Some(token) => token,
        None => match build(window, now, service).await {
            Ok(token) => {
                service.lists.keep(window, now.0, Arc::clone(&token));
                token
            }
            Err(error) => return error.into_response(),
        },
    };
    let mut response = Response::new(Body::from(token.to_string()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, http::HeaderValue::from_static(MEDIA_TYPE));
    let cache = format!("public, max-age={TTL_SECONDS}");
    headers.insert(CACHE_CONTROL, cache.parse().expect("a header value"));
    response
}

/// List `window` as storage holds it now, signed.
async fn build(
    window: u64,
    now: UnixSeconds,
    service: &TokenService,
) -> Result<Arc<str>, ApiError> {
    let store = &service.storage.status_lists;
    let (list, epochs) = futures::try_join!(
        store.status_list(window),
        store.epochs_after(UnixSeconds(window_start(window))),
    )?;
    let uri = list_uri(&service.config.issuer, window);
    let claims = list_claims(uri, now, list.size, list.revoked, epochs);
    let token = service
        .keys
        .sign_status_list(&claims)
        .map_err(ApiError::signing_failed)?;
    Ok(Arc::from(token))
}
