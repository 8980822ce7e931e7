//! Scope: parsing the requested scope string, and the rules that turn it into a granted scope.
//!
//! Syntax (space-separated, RFC 6749 §3.3 scope tokens):
//! `market:<number>`, `market:id:<id>`, `market:code:<code>`, `market:all`,
//! `stock_location:<number>`, `stock_location:id:<id>`, `stock_location:code:<code>`.
//!
//! Parsing is pure; resolving takes the markets and stock locations that storage found for the
//! references (the fields of [`ScopeRequest`]) and applies the rules, again without I/O.

use std::fmt;

use crate::grant::GrantType;
use crate::model::{ApplicationKind, Market, Mode, StockLocation};

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
    #[error("stock_location:{0} needs its market in the same scope")]
    StockLocationWithoutMarket(ResourceRef),
    #[error("market:{0} does not exist")]
    MarketNotFound(ResourceRef),
    #[error("market:{0} is disabled")]
    MarketDisabled(ResourceRef),
    #[error("market:{0} is private to a customer group: only a logged-in customer of that group gets it in scope")]
    MarketPrivate(ResourceRef),
    #[error("stock_location:{0} does not exist")]
    StockLocationNotFound(ResourceRef),
    #[error("stock_location:{location} does not belong to market:{market}")]
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

/// Shortens client input before echoing it in an error description.
fn echo(token: &str) -> String {
    const MAX: usize = 64;
    if token.len() <= MAX {
        token.to_owned()
    } else {
        let mut end = MAX;
        while !token.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &token[..end])
    }
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
    // RFC 6749 §3.3 separates tokens with one space; runs of spaces are tolerated here.
    let tokens: Vec<&str> = scope.split(' ').filter(|t| !t.is_empty()).collect();
    if tokens.len() > MAX_SCOPE_TOKENS {
        return Err(ScopeError::TooManyTokens);
    }
    for token in tokens {
        if !token.chars().all(is_scope_token_char) {
            return Err(ScopeError::Malformed(echo(token)));
        }
        if token == "market:all" {
            request.all_markets = true;
        } else if let Some(rest) = token.strip_prefix("market:") {
            let reference = parse_ref(rest).ok_or_else(|| ScopeError::Malformed(echo(token)))?;
            if !request.markets.contains(&reference) {
                request.markets.push(reference);
            }
        } else if let Some(rest) = token.strip_prefix("stock_location:") {
            let reference = parse_ref(rest).ok_or_else(|| ScopeError::Malformed(echo(token)))?;
            if !request.stock_locations.contains(&reference) {
                request.stock_locations.push(reference);
            }
        } else {
            return Err(ScopeError::Malformed(echo(token)));
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

    pub fn market(&self) -> Option<&Market> {
        match self {
            GrantedScope::AllMarkets => None,
            GrantedScope::Market { market, .. } => Some(market),
        }
    }
}

/// Is this market open to this request? A private market only to its own customers: through
/// the password grant, and through refresh tokens for as long as the customer stays in the group.
fn market_open_to(market: &Market, context: &ScopeContext<'_>) -> bool {
    match (&market.customer_group_id, context.grant) {
        (None, _) => true,
        (Some(group), GrantType::Password | GrantType::RefreshToken) => {
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
    let in_mode = |market: &&Market| market.mode == context.mode;
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
            let first_market = markets
                .iter()
                .filter(in_mode)
                .find(|m| first.matches_market(m));
            for other in rest {
                let other_market = markets
                    .iter()
                    .filter(in_mode)
                    .find(|m| other.matches_market(m));
                match (first_market, other_market) {
                    (Some(a), Some(b)) if a.id == b.id => {}
                    (None, _) => return Err(ScopeError::MarketNotFound(first.clone())),
                    (Some(_), None) => return Err(ScopeError::MarketNotFound(other.clone())),
                    (Some(_), Some(_)) => return Err(ScopeError::MoreThanOneMarket),
                }
            }
            first
        }
    };
    let market = markets
        .iter()
        .filter(in_mode)
        .find(|m| market_ref.matches_market(m))
        .ok_or_else(|| ScopeError::MarketNotFound(market_ref.clone()))?;
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
            .filter(|l| l.mode == context.mode)
            .find(|l| location_ref.matches_stock_location(l))
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

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationKind::*;
    use GrantType::*;
    use ResourceRef::*;

    fn market(id: &str, number: u64, code: &str, mode: Mode) -> Market {
        Market {
            id: id.into(),
            number,
            code: code.into(),
            name: code.to_uppercase(),
            mode,
            active: true,
            price_list_id: format!("pl-{id}"),
            stock_location_ids: vec![],
            stock_location_numbers: vec![],
            customer_group_id: None,
        }
    }

    fn location(id: &str, number: u64, code: &str, mode: Mode) -> StockLocation {
        StockLocation {
            id: id.into(),
            number,
            code: code.into(),
            name: code.into(),
            mode,
        }
    }

    /// Test-mode catalog: market 100 (eu) with locations 1 and 2; 200 (us) with 3; 300 disabled;
    /// 400 private to group "vip"; and in live mode, market 900.
    fn catalog() -> (Vec<Market>, Vec<StockLocation>) {
        let mut eu = market("m-eu", 100, "eu", Mode::Test);
        eu.stock_location_ids = vec!["sl-1".into(), "sl-2".into()];
        eu.stock_location_numbers = vec![1, 2];
        let mut us = market("m-us", 200, "us", Mode::Test);
        us.stock_location_ids = vec!["sl-3".into()];
        us.stock_location_numbers = vec![3];
        let mut off = market("m-off", 300, "off", Mode::Test);
        off.active = false;
        let mut vip = market("m-vip", 400, "vip", Mode::Test);
        vip.customer_group_id = Some("vip".into());
        let live = market("m-live", 900, "live", Mode::Live);
        let locations = vec![
            location("sl-1", 1, "wh-a", Mode::Test),
            location("sl-2", 2, "wh-b", Mode::Test),
            location("sl-3", 3, "wh-c", Mode::Test),
            location("sl-9", 9, "wh-live", Mode::Live),
        ];
        (vec![eu, us, off, vip, live], locations)
    }

    fn context(kind: ApplicationKind, grant: GrantType) -> ScopeContext<'static> {
        ScopeContext {
            kind,
            mode: Mode::Test,
            grant,
            owner_customer_group: None,
        }
    }

    fn resolve_with(scope: Option<&str>, ctx: ScopeContext<'_>) -> Result<String, ScopeError> {
        let (markets, locations) = catalog();
        let request = parse_scope(scope)?;
        resolve_scope(&request, &ctx, &markets, &locations).map(|s| s.to_scope_string())
    }

    fn resolve(scope: Option<&str>, kind: ApplicationKind) -> Result<String, ScopeError> {
        resolve_with(scope, context(kind, ClientCredentials))
    }

    #[test]
    fn every_reference_syntax_parses() {
        let cases: [(&str, ScopeRequest); 5] = [
            (
                "market:1234",
                ScopeRequest {
                    markets: vec![Number(1234)],
                    ..Default::default()
                },
            ),
            (
                "market:id:xYz",
                ScopeRequest {
                    markets: vec![Id("xYz".into())],
                    ..Default::default()
                },
            ),
            (
                "market:code:eu stock_location:code:wh-a",
                ScopeRequest {
                    markets: vec![Code("eu".into())],
                    stock_locations: vec![Code("wh-a".into())],
                    ..Default::default()
                },
            ),
            (
                "market:1 stock_location:7 stock_location:id:abc stock_location:7",
                ScopeRequest {
                    markets: vec![Number(1)],
                    stock_locations: vec![Number(7), Id("abc".into())],
                    ..Default::default()
                },
            ),
            (
                "market:all",
                ScopeRequest {
                    all_markets: true,
                    ..Default::default()
                },
            ),
        ];
        for (scope, expected) in cases {
            assert_eq!(parse_scope(Some(scope)), Ok(expected), "{scope}");
        }
        assert_eq!(parse_scope(None), Ok(ScopeRequest::default()));
        assert_eq!(parse_scope(Some("  ")), Ok(ScopeRequest::default()));
    }

    #[test]
    fn malformed_scopes_are_refused_with_the_rule_that_failed() {
        let long = "market:1 ".repeat(200);
        let many = (0..21)
            .map(|i| format!("stock_location:{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let cases: Vec<(&str, ScopeError)> = vec![
            ("market", ScopeError::Malformed("market".into())),
            ("market:", ScopeError::Malformed("market:".into())),
            ("market:-1", ScopeError::Malformed("market:-1".into())),
            ("market:+1", ScopeError::Malformed("market:+1".into())),
            ("market:1.5", ScopeError::Malformed("market:1.5".into())),
            (
                "market:99999999999999999999999",
                ScopeError::Malformed("market:99999999999999999999999".into()),
            ),
            ("market:id:", ScopeError::Malformed("market:id:".into())),
            ("market:code:", ScopeError::Malformed("market:code:".into())),
            ("markets:1", ScopeError::Malformed("markets:1".into())),
            ("MARKET:1", ScopeError::Malformed("MARKET:1".into())),
            (
                "market:1\tstock_location:1",
                ScopeError::Malformed("market:1\tstock_location:1".into()),
            ),
            (
                "market:code:\"eu\"",
                ScopeError::Malformed("market:code:\"eu\"".into()),
            ),
            (
                "market:code:é",
                ScopeError::Malformed("market:code:é".into()),
            ),
            (
                "stock_location:1",
                ScopeError::StockLocationWithoutMarket(Number(1)),
            ),
            ("market:all market:1", ScopeError::AllWithSpecific),
            ("market:all stock_location:1", ScopeError::AllWithSpecific),
            (&long, ScopeError::TooLong),
            (&many, ScopeError::TooManyTokens),
        ];
        for (scope, expected) in cases {
            assert_eq!(parse_scope(Some(scope)), Err(expected), "{scope:?}");
        }
    }

    #[test]
    fn error_descriptions_never_echo_more_than_64_bytes_of_input() {
        let token = format!("x{}", "é".repeat(100));
        let message = parse_scope(Some(&token)).unwrap_err().to_string();
        assert!(message.len() < 300, "{message}");
    }

    #[test]
    fn scope_rules_decide_each_request() {
        let cases: Vec<(Option<&str>, ApplicationKind, Result<&str, ScopeError>)> = vec![
            (Some("market:100"), SalesChannel, Ok("market:100")),
            (Some("market:code:eu"), SalesChannel, Ok("market:100")),
            (Some("market:id:m-eu"), Integration, Ok("market:100")),
            (
                Some("market:100 market:code:eu"),
                SalesChannel,
                Ok("market:100"),
            ),
            (
                Some("stock_location:2 market:100 stock_location:code:wh-a"),
                SalesChannel,
                Ok("market:100 stock_location:1 stock_location:2"),
            ),
            (None, Integration, Ok("market:all")),
            (Some("market:all"), Integration, Ok("market:all")),
            (None, Webapp, Ok("market:all")),
            (None, SalesChannel, Err(ScopeError::SalesChannelNeedsMarket)),
            (
                Some("market:all"),
                SalesChannel,
                Err(ScopeError::SalesChannelNeedsMarket),
            ),
            (
                Some("market:100 market:200"),
                SalesChannel,
                Err(ScopeError::MoreThanOneMarket),
            ),
            (
                Some("market:100 market:555"),
                SalesChannel,
                Err(ScopeError::MarketNotFound(Number(555))),
            ),
            (
                Some("market:555 market:100"),
                SalesChannel,
                Err(ScopeError::MarketNotFound(Number(555))),
            ),
            (
                Some("market:555 market:556"),
                SalesChannel,
                Err(ScopeError::MarketNotFound(Number(555))),
            ),
            (
                Some("market:555"),
                SalesChannel,
                Err(ScopeError::MarketNotFound(Number(555))),
            ),
            (
                Some("market:code:nope"),
                Integration,
                Err(ScopeError::MarketNotFound(Code("nope".into()))),
            ),
            (
                Some("market:900"),
                SalesChannel,
                Err(ScopeError::MarketNotFound(Number(900))),
            ),
            (
                Some("market:300"),
                SalesChannel,
                Err(ScopeError::MarketDisabled(Number(300))),
            ),
            (
                Some("market:400"),
                SalesChannel,
                Err(ScopeError::MarketPrivate(Number(400))),
            ),
            (
                Some("market:400"),
                Integration,
                Err(ScopeError::MarketPrivate(Number(400))),
            ),
            (
                Some("market:100 stock_location:3"),
                SalesChannel,
                Err(ScopeError::StockLocationNotInMarket {
                    location: Number(3),
                    market: Number(100),
                }),
            ),
            (
                Some("market:100 stock_location:9"),
                SalesChannel,
                Err(ScopeError::StockLocationNotFound(Number(9))),
            ),
            (
                Some("market:100 stock_location:code:ghost"),
                SalesChannel,
                Err(ScopeError::StockLocationNotFound(Code("ghost".into()))),
            ),
        ];
        for (scope, kind, expected) in cases {
            assert_eq!(
                resolve(scope, kind),
                expected.map(str::to_owned),
                "{scope:?} {kind:?}"
            );
        }
    }

    #[test]
    fn a_private_market_opens_only_to_its_own_customers_logged_in_with_a_password_or_refresh_token()
    {
        let with_group = |group: Option<&'static str>, grant: GrantType| ScopeContext {
            owner_customer_group: group,
            ..context(SalesChannel, grant)
        };
        let cases = [
            (
                with_group(Some("vip"), Password),
                Ok("market:400".to_owned()),
            ),
            (
                with_group(Some("other"), Password),
                Err(ScopeError::MarketPrivate(Number(400))),
            ),
            (
                with_group(None, Password),
                Err(ScopeError::MarketPrivate(Number(400))),
            ),
            (
                with_group(Some("vip"), RefreshToken),
                Ok("market:400".to_owned()),
            ),
            (
                with_group(Some("other"), RefreshToken),
                Err(ScopeError::MarketPrivate(Number(400))),
            ),
            (
                with_group(Some("vip"), AuthorizationCode),
                Err(ScopeError::MarketPrivate(Number(400))),
            ),
            (
                with_group(Some("vip"), ClientCredentials),
                Err(ScopeError::MarketPrivate(Number(400))),
            ),
        ];
        for (ctx, expected) in cases {
            assert_eq!(resolve_with(Some("market:400"), ctx), expected, "{ctx:?}");
        }
    }

    #[test]
    fn records_of_the_other_environment_are_never_in_scope() {
        let live = ScopeContext {
            mode: Mode::Live,
            ..context(SalesChannel, ClientCredentials)
        };
        assert_eq!(
            resolve_with(Some("market:900"), live),
            Ok("market:900".into())
        );
        assert_eq!(
            resolve_with(Some("market:100"), live),
            Err(ScopeError::MarketNotFound(Number(100)))
        );
    }
}
