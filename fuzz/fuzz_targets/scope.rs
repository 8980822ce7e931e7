//! The scope parser (`parse_scope`) and the rules that normalize a scope (`resolve_scope`,
//! `GrantedScope::to_scope_string`), against a small catalog.
//!
//! Input: a first byte that picks who asks (application kind, grant, customer group,
//! environment), then the scope string as the request's `scope` parameter.
//!
//! Checked: no panic; a parsed request keeps its limits and shape (distinct references,
//! `market:all` alone, no stock location without a market) and reads back the same from its
//! own string form; the result does not depend on the order or repetition of the tokens; a
//! granted scope's string is normalized (one market, its stock locations by ascending number,
//! each once, each of that market) and normalizing it again changes nothing.

#![no_main]

use gatehouse_core::grant::GrantType;
use gatehouse_core::model::{ApplicationKind, Market, Mode, StockLocation};
use gatehouse_core::scope::{
    parse_scope, resolve_scope, GrantedScope, ScopeContext, ScopeRequest, MAX_SCOPE_LENGTH,
    MAX_SCOPE_TOKENS,
};
use libfuzzer_sys::fuzz_target;

fn market(id: &str, number: u64, code: &str, mode: Mode, locations: &[(&str, u64)]) -> Market {
    Market {
        id: id.into(),
        number,
        code: code.into(),
        name: code.into(),
        mode,
        active: true,
        price_list_id: format!("pl-{id}"),
        stock_location_ids: locations.iter().map(|(id, _)| id.to_string()).collect(),
        stock_location_numbers: locations.iter().map(|(_, number)| *number).collect(),
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

/// Test mode: market 1 (eu) with locations 1, 2 and 10; 2 (us) with 3; 3 disabled; 4 private
/// to group "vip" with 4. Live mode: market 1 (eu-live) with location 1.
fn catalog() -> (Vec<Market>, Vec<StockLocation>) {
    let eu = market(
        "m-eu",
        1,
        "eu",
        Mode::Test,
        &[("sl-10", 10), ("sl-1", 1), ("sl-2", 2)],
    );
    let us = market("m-us", 2, "us", Mode::Test, &[("sl-3", 3)]);
    let mut off = market("m-off", 3, "off", Mode::Test, &[]);
    off.active = false;
    let mut vip = market("m-vip", 4, "vip", Mode::Test, &[("sl-4", 4)]);
    vip.customer_group_id = Some("vip".into());
    let live = market("m-live", 1, "eu-live", Mode::Live, &[("sl-live", 1)]);
    let locations = vec![
        location("sl-1", 1, "wh-a", Mode::Test),
        location("sl-2", 2, "wh-b", Mode::Test),
        location("sl-3", 3, "wh-c", Mode::Test),
        location("sl-4", 4, "wh-vip", Mode::Test),
        location("sl-10", 10, "wh-j", Mode::Test),
        location("sl-live", 1, "wh-live", Mode::Live),
    ];
    (vec![eu, us, off, vip, live], locations)
}

fn context(selector: u8) -> ScopeContext<'static> {
    let kinds = [
        ApplicationKind::SalesChannel,
        ApplicationKind::Integration,
        ApplicationKind::Webapp,
    ];
    ScopeContext {
        kind: kinds[usize::from(selector % 3)],
        grant: GrantType::ALL[usize::from(selector / 3 % 4)],
        owner_customer_group: [None, Some("vip")][usize::from(selector / 12 % 2)],
        mode: Mode::ALL[usize::from(selector / 24 % 2)],
    }
}

fn check_request_shape(scope: &str, request: &ScopeRequest) {
    assert!(scope.len() <= MAX_SCOPE_LENGTH);
    let tokens =
        request.markets.len() + request.stock_locations.len() + usize::from(request.all_markets);
    assert!(tokens <= MAX_SCOPE_TOKENS);
    for list in [&request.markets, &request.stock_locations] {
        for (index, reference) in list.iter().enumerate() {
            assert!(
                !list[..index].contains(reference),
                "{reference:?} kept twice"
            );
        }
    }
    if request.all_markets {
        assert!(request.markets.is_empty() && request.stock_locations.is_empty());
    }
    if !request.stock_locations.is_empty() {
        assert!(
            !request.markets.is_empty(),
            "a stock location without its market"
        );
    }
    // The request written back as asked (what a token answers) reads as the same request.
    let written = request.as_asked();
    assert_eq!(
        parse_scope(Some(&written)).as_ref(),
        Ok(request),
        "{written:?}"
    );
}

fn check_normalized(granted: &GrantedScope, context: &ScopeContext<'_>) {
    let (markets, locations) = catalog();
    let normalized = granted.to_scope_string();
    match granted {
        GrantedScope::AllMarkets => assert_eq!(normalized, "market:all"),
        GrantedScope::Market {
            market,
            stock_locations,
        } => {
            assert!(market.active && market.mode == context.mode);
            let numbers: Vec<u64> = stock_locations.iter().map(|l| l.number).collect();
            assert!(
                numbers.windows(2).all(|pair| pair[0] < pair[1]),
                "{numbers:?}"
            );
            for location in stock_locations {
                assert!(market.stock_location_ids.contains(&location.id));
            }
        }
    }
    let again = parse_scope(Some(&normalized)).expect("a normalized scope parses");
    let granted_again = resolve_scope(&again, context, &markets, &locations);
    assert_eq!(
        granted_again.as_ref(),
        Ok(granted),
        "normalizing {normalized:?} again"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // The scope parameter arrives as text: the request parser refuses what is not UTF-8.
    let Ok(scope) = std::str::from_utf8(rest) else {
        return;
    };
    let context = context(selector);
    let (markets, locations) = catalog();
    let resolve = |request: &ScopeRequest| resolve_scope(request, &context, &markets, &locations);

    let Ok(request) = parse_scope(Some(scope)) else {
        return;
    };
    check_request_shape(scope, &request);
    let granted = resolve(&request);
    if let Ok(granted) = &granted {
        check_normalized(granted, &context);
    }

    // Order and repetition: the same tokens reversed, or each twice, are granted the same.
    let tokens: Vec<&str> = scope.split([' ', ',']).filter(|t| !t.is_empty()).collect();
    let reversed: Vec<&str> = tokens.iter().rev().copied().collect();
    let doubled: Vec<&str> = tokens.iter().flat_map(|t| [*t, *t]).collect();
    for variant in [reversed.join(" "), doubled.join(" ")] {
        let Ok(variant_request) = parse_scope(Some(&variant)) else {
            // Only the limits may refuse what the original passed.
            assert!(variant.len() > MAX_SCOPE_LENGTH || doubled.len() > MAX_SCOPE_TOKENS);
            continue;
        };
        let variant_granted = resolve(&variant_request);
        assert_eq!(
            variant_granted.as_ref().ok(),
            granted.as_ref().ok(),
            "{scope:?} and {variant:?}"
        );
    }
});
