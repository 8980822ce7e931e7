use super::*;
use crate::grant::GrantType;
use crate::model::{ApplicationKind, Mode};
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
pub(super) fn catalog() -> (Vec<Market>, Vec<StockLocation>) {
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

pub(super) fn context(kind: ApplicationKind, grant: GrantType) -> ScopeContext<'static> {
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
    let cases: [(&str, ScopeRequest); 7] = [
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
        // Commerce Layer's CLI joins its scope flags with commas.
        (
            "market:1001,stock_location:102",
            ScopeRequest {
                markets: vec![Number(1001)],
                stock_locations: vec![Number(102)],
                ..Default::default()
            },
        ),
        (
            ",market:code:eu, stock_location:id:sl,,",
            ScopeRequest {
                markets: vec![Code("eu".into())],
                stock_locations: vec![Id("sl".into())],
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
            // Echoed with the tab replaced: RFC 6749 §5.2 allows no tab in a description.
            ScopeError::Malformed("market:1?stock_location:1".into()),
        ),
        (
            "market:code:\"eu\"",
            ScopeError::Malformed("market:code:?eu?".into()),
        ),
        (
            "market:code:é",
            ScopeError::Malformed("market:code:?".into()),
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
fn a_private_market_opens_only_to_its_own_customers_logged_in_with_a_password_or_refresh_token() {
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
            with_group(Some("vip"), JwtBearer),
            Ok("market:400".to_owned()),
        ),
        (
            with_group(None, JwtBearer),
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

#[test]
fn the_answer_is_the_scope_as_asked_or_the_servers_own_choice() {
    let (markets, locations) = catalog();
    let cases = [
        (None, Integration, "market:all"),
        (Some("market:all"), Integration, "market:all"),
        (Some("market:code:eu"), SalesChannel, "market:code:eu"),
        (Some("market:100"), SalesChannel, "market:100"),
        (
            Some("stock_location:code:wh-b market:id:m-eu stock_location:1"),
            SalesChannel,
            "market:id:m-eu stock_location:code:wh-b stock_location:1",
        ),
        (
            Some("market:100,stock_location:1"),
            SalesChannel,
            "market:100 stock_location:1",
        ),
        (Some("market:100  market:100 "), Integration, "market:100"),
    ];
    for (scope, kind, expected) in cases {
        let request = parse_scope(scope).unwrap();
        let granted = resolve_scope(
            &request,
            &context(kind, ClientCredentials),
            &markets,
            &locations,
        )
        .unwrap();
        assert_eq!(answered_scope(&request, &granted), expected, "{scope:?}");
    }
}
