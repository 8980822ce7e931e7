//! The rules that turn a requested scope into a granted one.

use super::{ResourceRef, ScopeError, ScopeRequest};
use crate::grant::GrantType;
use crate::model::{ApplicationKind, Market, Mode, StockLocation};

/// Who is asking, for the rules that depend on it.
#[derive(Clone, Copy, Debug)]
pub struct ScopeContext<'a> {
    pub kind: ApplicationKind,
    pub mode: Mode,
    pub grant: GrantType,
    /// The customer group of the token's owner, for the password grant.
    pub owner_customer_group: Option<&'a str>,
}

/// The scope a token is granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantedScope {
    /// No market restriction (integrations and webapps without a scope).
    AllMarkets,
    /// One market and, optionally, some of its stock locations (sorted by number).
    Market {
        market: Box<Market>,
        stock_locations: Vec<StockLocation>,
    },
}

/// The scope a grant answers, in the response and the token's `scope` claim: as asked when the
/// request named one (`market:code:eu` stays `market:code:eu`), the normal form when the server
/// chose it (an integration's default `market:all`). RFC 6749 §5.1 makes the answer's scope
/// "OPTIONAL, if identical to the scope requested by the client; otherwise, REQUIRED": a scope
/// granted as asked is identical, and clients that compare (oauthlib warns "Scope has changed")
/// compare it with what they sent.
pub fn answered_scope(request: &ScopeRequest, granted: &GrantedScope) -> String {
    if request.is_empty() {
        granted.to_scope_string()
    } else {
        request.as_asked()
    }
}

impl ScopeRequest {
    /// The request's tokens in its own terms, each once, separated by spaces: the market (or
    /// `market:all`), then the stock locations, in the order asked.
    pub fn as_asked(&self) -> String {
        let markets = self.markets.iter().map(|m| format!("market:{m}"));
        let all = self.all_markets.then(|| "market:all".to_owned());
        let locations = self
            .stock_locations
            .iter()
            .map(|l| format!("stock_location:{l}"));
        all.into_iter()
            .chain(markets)
            .chain(locations)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl GrantedScope {
    /// The normalized scope string: `market:all`, or `market:<number>` followed by the
    /// stock locations by ascending number.
    pub fn to_scope_string(&self) -> String {
        match self {
            GrantedScope::AllMarkets => "market:all".to_owned(),
            GrantedScope::Market {
                market,
                stock_locations,
            } => {
                let mut scope = format!("market:{}", market.number);
                for location in stock_locations {
                    scope.push_str(&format!(" stock_location:{}", location.number));
                }
                scope
            }
        }
    }

    /// How records that carry a grant (refresh tokens, authorization codes) keep it: the
    /// market's id and the stock locations' ids, none for all markets.
    pub fn stored_ids(&self) -> (Option<String>, Vec<String>) {
        match self {
            GrantedScope::AllMarkets => (None, vec![]),
            GrantedScope::Market {
                market,
                stock_locations,
            } => (
                Some(market.id.clone()),
                stock_locations.iter().map(|l| l.id.clone()).collect(),
            ),
        }
    }
}

/// Is this market open to this request? A private market only to its own customers: through
/// the password grant or a JWT bearer assertion naming them, and through refresh tokens for as
/// long as the customer stays in the group.
fn market_open_to(market: &Market, context: &ScopeContext<'_>) -> bool {
    match (&market.customer_group_id, context.grant) {
        (None, _) => true,
        (Some(group), GrantType::Password | GrantType::RefreshToken | GrantType::JwtBearer) => {
            context.owner_customer_group == Some(group.as_str())
        }
        (Some(_), GrantType::ClientCredentials | GrantType::AuthorizationCode) => false,
    }
}

/// Applies the scope rules. `markets` and `stock_locations` are what storage found for the
/// request's references, in any environment: records of another environment count as absent.
pub fn resolve_scope(
    request: &ScopeRequest,
    context: &ScopeContext<'_>,
    markets: &[Market],
    stock_locations: &[StockLocation],
) -> Result<GrantedScope, ScopeError> {
    let find_market = |reference: &ResourceRef| {
        markets
            .iter()
            .find(|m| m.mode == context.mode && reference.matches_market(m))
    };
    let market_ref = match request.markets.as_slice() {
        [] => {
            return match context.kind {
                ApplicationKind::SalesChannel => Err(ScopeError::SalesChannelNeedsMarket),
                ApplicationKind::Integration | ApplicationKind::Webapp => {
                    Ok(GrantedScope::AllMarkets)
                }
            };
        }
        [first, rest @ ..] => {
            // Several references may name the same market (`market:1 market:code:eu`).
            for other in rest {
                match (find_market(first), find_market(other)) {
                    (Some(a), Some(b)) if a.id == b.id => {}
                    (None, _) => return Err(ScopeError::MarketNotFound(first.clone())),
                    (Some(_), None) => return Err(ScopeError::MarketNotFound(other.clone())),
                    (Some(_), Some(_)) => return Err(ScopeError::MoreThanOneMarket),
                }
            }
            first
        }
    };
    let market =
        find_market(market_ref).ok_or_else(|| ScopeError::MarketNotFound(market_ref.clone()))?;
    if !market.active {
        return Err(ScopeError::MarketDisabled(market_ref.clone()));
    }
    if !market_open_to(market, context) {
        return Err(ScopeError::MarketPrivate(market_ref.clone()));
    }
    let mut granted_locations: Vec<StockLocation> = Vec::new();
    for location_ref in &request.stock_locations {
        let location = stock_locations
            .iter()
            .find(|l| l.mode == context.mode && location_ref.matches_stock_location(l))
            .ok_or_else(|| ScopeError::StockLocationNotFound(location_ref.clone()))?;
        if !market.stock_location_ids.contains(&location.id) {
            return Err(ScopeError::StockLocationNotInMarket {
                location: location_ref.clone(),
                market: market_ref.clone(),
            });
        }
        if !granted_locations.iter().any(|l| l.id == location.id) {
            granted_locations.push(location.clone());
        }
    }
    granted_locations.sort_by_key(|l| l.number);
    Ok(GrantedScope::Market {
        market: Box::new(market.clone()),
        stock_locations: granted_locations,
    })
}
