//! A grant's reads that need only the request, sent in the first round trip beside the client
//! lookup and the rate-limit count, so that no grant takes more than two round trips: this one,
//! and the write that issues.
//!
//! - password: the customer with that email in each environment (which one counts depends on
//!   the client, not known yet);
//! - refresh_token and authorization_code: the token or code by the hash of its value and, when
//!   the value carries a [`GrantHint`], the owner and the scope records it names.
//!
//! Nothing read here is trusted before the grant checks it: the client is authenticated first,
//! and a hint's reads are used only when the stored record names exactly what the hint does.
//! A request refused before its grant runs (rate limit, client authentication) has read these
//! for nothing; that costs a read, never an answer.

use gatehouse_core::grant_hint::{GrantHint, StoredGrant};
use gatehouse_core::model::{AuthorizationCodeRecord, Customer, Mode, RefreshTokenState};
use gatehouse_core::secret::SecretHash;
use gatehouse_edge::error::ApiError;
use gatehouse_store::StoreError;

use crate::grants::{owner_now, stored_scope, OwnerNow, StoredScope};
use crate::TokenService;

/// What a request names that can be read before its client is known.
pub enum PrefetchKey<'a> {
    Email(&'a str),
    RefreshToken(&'a str),
    Code(&'a str),
}

/// The owner and scope records a hint names, as they are now.
pub struct ReadAhead {
    pub hint: GrantHint,
    pub owner: Result<OwnerNow, ApiError>,
    pub scope: Result<StoredScope, ApiError>,
}

/// What was read for the grant, each read's error kept for the grant to report in its turn.
pub enum Prefetched {
    Nothing,
    Customers {
        test: Result<Option<Customer>, StoreError>,
        live: Result<Option<Customer>, StoreError>,
    },
    RefreshToken {
        state: Result<Option<RefreshTokenState>, StoreError>,
        ahead: Option<ReadAhead>,
    },
    Code {
        record: Result<Option<AuthorizationCodeRecord>, StoreError>,
        ahead: Option<ReadAhead>,
    },
}

impl Prefetched {
    /// The customer with the email in `mode`, as read ahead.
    pub fn customer(self, mode: Mode) -> Option<Result<Option<Customer>, StoreError>> {
        match self {
            Prefetched::Customers { test, live } => Some(match mode {
                Mode::Test => test,
                Mode::Live => live,
            }),
            _ => None,
        }
    }
}

/// The owner and the scope of `grant` as they are now: as read ahead when the hint named
/// exactly these records, else read now (both together).
pub async fn owner_and_scope(
    service: &TokenService,
    ahead: Option<ReadAhead>,
    grant: StoredGrant<'_>,
) -> Result<(OwnerNow, StoredScope), ApiError> {
    match ahead.filter(|ahead| ahead.hint.names(&grant)) {
        Some(ahead) => Ok((ahead.owner?, ahead.scope?)),
        None => futures::try_join!(
            owner_now(service, grant.mode, grant.owner.1, grant.owner.0),
            stored_scope(
                service,
                grant.mode,
                grant.market_id,
                grant.stock_location_ids
            ),
        ),
    }
}

/// The owner and scope records `hint` names, when the value carried one.
async fn read_ahead(service: &TokenService, hint: Option<GrantHint>) -> Option<ReadAhead> {
    let hint = hint?;
    let owner = owner_now(service, hint.mode, hint.owner_type, &hint.owner_id);
    let scope = stored_scope(
        service,
        hint.mode,
        hint.market_id.as_deref(),
        &hint.stock_location_ids,
    );
    let (owner, scope) = futures::join!(owner, scope);
    Some(ReadAhead { hint, owner, scope })
}

/// Sends the reads `key` allows, all together.
pub async fn prefetch(service: &TokenService, key: Option<PrefetchKey<'_>>) -> Prefetched {
    let storage = &service.storage;
    match key {
        None => Prefetched::Nothing,
        Some(PrefetchKey::Email(email)) => {
            let (test, live) = futures::join!(
                storage.customers.find_customer_by_email(Mode::Test, email),
                storage.customers.find_customer_by_email(Mode::Live, email),
            );
            Prefetched::Customers { test, live }
        }
        Some(PrefetchKey::RefreshToken(value)) => {
            let hash = SecretHash::of(value);
            let hint = GrantHint::of(value);
            let state = async {
                match &hint {
                    Some(hint) => {
                        storage
                            .refresh_tokens
                            .find_refresh_token_in_family(&hash, &hint.family_id)
                            .await
                    }
                    None => storage.refresh_tokens.find_refresh_token(&hash).await,
                }
            };
            let (state, ahead) = futures::join!(state, read_ahead(service, hint.clone()));
            Prefetched::RefreshToken { state, ahead }
        }
        Some(PrefetchKey::Code(value)) => {
            let hash = SecretHash::of(value);
            let record = storage.authorization_codes.find_authorization_code(&hash);
            let ahead = read_ahead(service, GrantHint::of(value));
            let (record, ahead) = futures::join!(record, ahead);
            Prefetched::Code { record, ahead }
        }
    }
}
