//! Scope: parsing the requested scope string, and the rules that turn it into a granted scope.
//!
//! Syntax (space-separated, RFC 6749 §3.3 scope tokens):
//! `market:<number>`, `market:id:<id>`, `market:code:<code>`, `market:all`,
//! `stock_location:<number>`, `stock_location:id:<id>`, `stock_location:code:<code>`.
//!
//! Parsing is pure; resolving takes the markets and stock locations that storage found for the
//! references (the fields of [`ScopeRequest`]) and applies the rules, again without I/O
//! (`resolve.rs`).

#[cfg(test)]
mod properties;
mod resolve;
#[cfg(test)]
mod tests;

pub use resolve::{answered_scope, resolve_scope, GrantedScope, ScopeContext};

use std::fmt;

use crate::input::echo_input;
use crate::model::{Market, StockLocation};

/// Longest scope string accepted, in bytes.
pub const MAX_SCOPE_LENGTH: usize = 1024;
/// Most scope tokens accepted in one request: keeps the one-round-trip lookup within
/// DynamoDB's 100 keys per BatchGetItem.
pub const MAX_SCOPE_TOKENS: usize = 20;

/// How a scope token names a market or stock location.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceRef {
    Number(u64),
    Id(String),
    Code(String),
}

impl ResourceRef {
    /// The reference as a refusal quotes it: cut short ([`echo_input`]), since an id or code
    /// is whatever the client wrote, up to the whole scope's 1024 characters.
    pub fn echoed(&self) -> String {
        echo_input(&self.to_string())
    }

    pub fn matches_market(&self, market: &Market) -> bool {
        match self {
            ResourceRef::Number(n) => market.number == *n,
            ResourceRef::Id(id) => &market.id == id,
            ResourceRef::Code(code) => &market.code == code,
        }
    }

    pub fn matches_stock_location(&self, location: &StockLocation) -> bool {
        match self {
            ResourceRef::Number(n) => location.number == *n,
            ResourceRef::Id(id) => &location.id == id,
            ResourceRef::Code(code) => &location.code == code,
        }
    }
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceRef::Number(n) => write!(f, "{n}"),
            ResourceRef::Id(id) => write!(f, "id:{id}"),
            ResourceRef::Code(code) => write!(f, "code:{code}"),
        }
    }
}

/// What the client asked for, parsed but not yet checked against storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeRequest {
    /// Distinct market references, in the order given.
    pub markets: Vec<ResourceRef>,
    /// `market:all` was asked for explicitly.
    pub all_markets: bool,
    /// Distinct stock-location references, in the order given.
    pub stock_locations: Vec<ResourceRef>,
}

impl ScopeRequest {
    /// The request for a grant kept as ids ([`GrantedScope::stored_ids`]), to check it again.
    pub fn by_ids(market_id: Option<&str>, stock_location_ids: &[String]) -> Self {
        Self {
            markets: market_id
                .map(|id| ResourceRef::Id(id.to_owned()))
                .into_iter()
                .collect(),
            all_markets: market_id.is_none(),
            stock_locations: stock_location_ids
                .iter()
                .cloned()
                .map(ResourceRef::Id)
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.markets.is_empty() && !self.all_markets && self.stock_locations.is_empty()
    }
}

/// Why a scope was refused. Each variant is one rule; its message is the `error_description`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope is longer than {MAX_SCOPE_LENGTH} characters")]
    TooLong,
    #[error("scope has more than {MAX_SCOPE_TOKENS} tokens")]
    TooManyTokens,
    #[error("scope token '{0}' is not valid: expected market:<number>, market:id:<id>, market:code:<code>, market:all or the same forms of stock_location")]
    Malformed(String),
    #[error("a token is scoped to one market at most")]
    MoreThanOneMarket,
    #[error("market:all cannot be combined with a specific market or stock location")]
    AllWithSpecific,
    #[error("stock_location:{} needs its market in the same scope", .0.echoed())]
    StockLocationWithoutMarket(ResourceRef),
    #[error("market:{} does not exist", .0.echoed())]
    MarketNotFound(ResourceRef),
    #[error("market:{} is disabled", .0.echoed())]
    MarketDisabled(ResourceRef),
    #[error("market:{} is private to a customer group: only a logged-in customer of that group gets it in scope", .0.echoed())]
    MarketPrivate(ResourceRef),
    #[error("stock_location:{} does not exist", .0.echoed())]
    StockLocationNotFound(ResourceRef),
    #[error("stock_location:{} does not belong to market:{}", .location.echoed(), .market.echoed())]
    StockLocationNotInMarket {
        location: ResourceRef,
        market: ResourceRef,
    },
    #[error("sales channels must put a market in scope, e.g. market:<number>")]
    SalesChannelNeedsMarket,
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

fn parse_ref(rest: &str) -> Option<ResourceRef> {
    if let Some(id) = rest.strip_prefix("id:") {
        return (!id.is_empty()).then(|| ResourceRef::Id(id.to_owned()));
    }
    if let Some(code) = rest.strip_prefix("code:") {
        return (!code.is_empty()).then(|| ResourceRef::Code(code.to_owned()));
    }
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok().map(ResourceRef::Number)
}

/// Parses a requested scope. An absent or blank scope parses to the empty request.
pub fn parse_scope(scope: Option<&str>) -> Result<ScopeRequest, ScopeError> {
    let mut request = ScopeRequest::default();
    let Some(scope) = scope else {
        return Ok(request);
    };
    if scope.len() > MAX_SCOPE_LENGTH {
        return Err(ScopeError::TooLong);
    }
    // RFC 6749 §3.3 separates tokens with one space; runs of spaces are tolerated here, and so
    // are commas: Commerce Layer's CLI joins the tokens of its `-S` flags with commas, at login
    // and again when it renews its token. No token of ours holds a comma (a record whose code
    // does is named in a scope by its number or id).
    let tokens: Vec<&str> = scope.split([' ', ',']).filter(|t| !t.is_empty()).collect();
    if tokens.len() > MAX_SCOPE_TOKENS {
        return Err(ScopeError::TooManyTokens);
    }
    for token in tokens {
        if !token.chars().all(is_scope_token_char) {
            return Err(ScopeError::Malformed(echo_input(token)));
        }
        if token == "market:all" {
            request.all_markets = true;
        } else if let Some(rest) = token.strip_prefix("market:") {
            let reference =
                parse_ref(rest).ok_or_else(|| ScopeError::Malformed(echo_input(token)))?;
            if !request.markets.contains(&reference) {
                request.markets.push(reference);
            }
        } else if let Some(rest) = token.strip_prefix("stock_location:") {
            let reference =
                parse_ref(rest).ok_or_else(|| ScopeError::Malformed(echo_input(token)))?;
            if !request.stock_locations.contains(&reference) {
                request.stock_locations.push(reference);
            }
        } else {
            return Err(ScopeError::Malformed(echo_input(token)));
        }
    }
    if request.all_markets && !(request.markets.is_empty() && request.stock_locations.is_empty()) {
        return Err(ScopeError::AllWithSpecific);
    }
    if request.markets.is_empty() {
        if let Some(location) = request.stock_locations.first() {
            if !request.all_markets {
                return Err(ScopeError::StockLocationWithoutMarket(location.clone()));
            }
        }
    }
    Ok(request)
}
