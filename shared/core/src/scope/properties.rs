//! Properties of scope normalization over generated scopes: any mix of references to the test
//! catalog's markets and stock locations (by number, id or code, known or not), `market:all`,
//! repeated and in any order. The table tests (`tests.rs`) pin each rule's answer; these check
//! that the rules hold together for every combination.

use proptest::prelude::*;

use super::tests::{catalog, context};
use super::*;
use crate::grant::GrantType;
use crate::model::{ApplicationKind, Market, Mode, StockLocation};

/// One scope token, as a client might write it.
fn token() -> impl Strategy<Value = String> {
    let (markets, locations) = catalog();
    let market_refs: Vec<String> = markets
        .iter()
        .flat_map(|m| {
            [
                m.number.to_string(),
                format!("id:{}", m.id),
                format!("code:{}", m.code),
            ]
        })
        .chain(["555".into(), "code:nope".into()])
        .collect();
    let location_refs: Vec<String> = locations
        .iter()
        .flat_map(|l| {
            [
                l.number.to_string(),
                format!("id:{}", l.id),
                format!("code:{}", l.code),
            ]
        })
        .chain(["77".into()])
        .collect();
    prop_oneof![
        4 => prop::sample::select(market_refs).prop_map(|r| format!("market:{r}")),
        4 => prop::sample::select(location_refs).prop_map(|r| format!("stock_location:{r}")),
        1 => Just("market:all".to_owned()),
    ]
}

/// Tokens with the same tokens shuffled.
fn tokens_and_shuffled() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    scope_tokens().prop_flat_map(|tokens| (Just(tokens.clone()), Just(tokens).prop_shuffle()))
}

fn asker() -> impl Strategy<Value = ScopeContext<'static>> {
    (
        prop::sample::select(vec![
            ApplicationKind::SalesChannel,
            ApplicationKind::Integration,
            ApplicationKind::Webapp,
        ]),
        prop::sample::select(GrantType::ALL.to_vec()),
        prop::sample::select(vec![None, Some("vip")]),
        prop_oneof![3 => Just(Mode::Test), 1 => Just(Mode::Live)],
    )
        .prop_map(|(kind, grant, group, mode)| ScopeContext {
            owner_customer_group: group,
            mode,
            ..context(kind, grant)
        })
}

fn granted(scope: &str, asker: &ScopeContext<'_>) -> Result<GrantedScope, ScopeError> {
    let (markets, locations) = catalog();
    resolve_scope(&parse_scope(Some(scope))?, asker, &markets, &locations)
}

fn market_token(market: &Market, form: usize) -> String {
    match form {
        0 => format!("market:{}", market.number),
        1 => format!("market:id:{}", market.id),
        _ => format!("market:code:{}", market.code),
    }
}

fn location_token(location: &StockLocation, form: usize) -> String {
    match form {
        0 => format!("stock_location:{}", location.number),
        1 => format!("stock_location:id:{}", location.id),
        _ => format!("stock_location:code:{}", location.code),
    }
}

fn test_mode_markets() -> Vec<Market> {
    catalog()
        .0
        .into_iter()
        .filter(|m| m.mode == Mode::Test)
        .collect()
}

/// A scope most rules accept: one test-mode market, named in one or more forms, with some of
/// its own stock locations in any form, repeated or not, in any order.
fn one_market_with_its_locations() -> impl Strategy<Value = Vec<String>> {
    let (_, locations) = catalog();
    (
        prop::sample::select(test_mode_markets()),
        prop::collection::vec(0..3usize, 1..3),
        prop::collection::vec((any::<prop::sample::Index>(), 0..3usize), 0..5),
    )
        .prop_flat_map(move |(market, market_forms, picks)| {
            let mut tokens: Vec<String> = market_forms
                .iter()
                .map(|form| market_token(&market, *form))
                .collect();
            let own: Vec<&StockLocation> = locations
                .iter()
                .filter(|l| market.stock_location_ids.contains(&l.id))
                .collect();
            if !own.is_empty() {
                for (index, form) in picks {
                    tokens.push(location_token(own[index.index(own.len())], form));
                }
            }
            Just(tokens).prop_shuffle()
        })
}

/// Generated scopes: as often well-formed ones as any mix of tokens.
fn scope_tokens() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        one_market_with_its_locations(),
        prop::collection::vec(token(), 0..6)
    ]
}

/// Two different test-mode markets of the catalog, each named in any form, among other
/// tokens, in any order.
fn two_markets_among_other_tokens() -> impl Strategy<Value = Vec<String>> {
    let in_test_mode = test_mode_markets();
    (
        prop::sample::subsequence(in_test_mode, 2),
        0..3usize,
        0..3usize,
        prop::collection::vec(token(), 0..4),
    )
        .prop_flat_map(move |(two, first_form, second_form, mut tokens)| {
            tokens.push(market_token(&two[0], first_form));
            tokens.push(market_token(&two[1], second_form));
            Just(tokens).prop_shuffle()
        })
}

/// A request written back as a scope string.
fn scope_string(request: &ScopeRequest) -> String {
    let all = request.all_markets.then(|| "market:all".to_owned());
    all.into_iter()
        .chain(request.markets.iter().map(|r| format!("market:{r}")))
        .chain(
            request
                .stock_locations
                .iter()
                .map(|r| format!("stock_location:{r}")),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_granted_scope_does_not_depend_on_the_order_or_repetition_of_tokens(
        (tokens, shuffled) in tokens_and_shuffled(),
        asker in asker(),
    ) {
        let original = granted(&tokens.join(" "), &asker);
        prop_assert_eq!(granted(&shuffled.join(" "), &asker).ok(), original.clone().ok());
        let doubled: Vec<&String> = tokens.iter().flat_map(|t| [t, t]).collect();
        let doubled: Vec<&str> = doubled.into_iter().map(String::as_str).collect();
        prop_assert_eq!(granted(&doubled.join(" "), &asker).ok(), original.ok());
    }

    #[test]
    fn normalizing_a_normalized_scope_changes_nothing_and_lists_locations_by_number(
        tokens in scope_tokens(),
        asker in asker(),
    ) {
        if let Ok(scope) = granted(&tokens.join(" "), &asker) {
            let normalized = scope.to_scope_string();
            prop_assert_eq!(granted(&normalized, &asker), Ok(scope.clone()));
            if let GrantedScope::Market { market, stock_locations } = &scope {
                let numbers: Vec<u64> = stock_locations.iter().map(|l| l.number).collect();
                prop_assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]), "{:?}", numbers);
                let expected = std::iter::once(format!("market:{}", market.number))
                    .chain(numbers.iter().map(|n| format!("stock_location:{n}")))
                    .collect::<Vec<_>>()
                    .join(" ");
                prop_assert_eq!(normalized, expected);
            }
        }
    }

    #[test]
    fn a_parsed_scope_reads_back_the_same_from_its_string_form(
        tokens in scope_tokens(),
    ) {
        if let Ok(request) = parse_scope(Some(&tokens.join(" "))) {
            prop_assert_eq!(parse_scope(Some(&scope_string(&request))), Ok(request));
        }
    }

    #[test]
    fn a_scope_naming_two_markets_is_never_granted(
        tokens in two_markets_among_other_tokens(),
        asker in asker(),
    ) {
        let asker = ScopeContext { mode: Mode::Test, ..asker };
        prop_assert!(granted(&tokens.join(" "), &asker).is_err(), "{:?}", tokens);
    }

    #[test]
    fn a_stock_location_is_granted_only_with_its_market_and_all_of_them_are(
        tokens in scope_tokens(),
        asker in asker(),
    ) {
        let has_location = tokens.iter().any(|t| t.starts_with("stock_location:"));
        let has_market = tokens.iter().any(|t| t.starts_with("market:"));
        let result = granted(&tokens.join(" "), &asker);
        if has_location && !has_market {
            prop_assert!(
                matches!(result, Err(ScopeError::StockLocationWithoutMarket(_))),
                "{:?}",
                result
            );
        }
        if let Ok(GrantedScope::Market { market, stock_locations }) = &result {
            let (_, locations) = catalog();
            let request = parse_scope(Some(&tokens.join(" "))).unwrap();
            let mut asked: Vec<&str> = request
                .stock_locations
                .iter()
                .map(|r| {
                    locations
                        .iter()
                        .find(|l| l.mode == asker.mode && r.matches_stock_location(l))
                        .map(|l| l.id.as_str())
                        .expect("a granted stock location exists")
                })
                .collect();
            asked.sort_unstable();
            asked.dedup();
            let mut given: Vec<&str> = stock_locations.iter().map(|l| l.id.as_str()).collect();
            given.sort_unstable();
            prop_assert_eq!(asked, given);
            for location in stock_locations {
                prop_assert!(market.stock_location_ids.contains(&location.id));
            }
        }
        if matches!(result, Ok(GrantedScope::AllMarkets)) {
            prop_assert!(!has_location);
        }
    }
}
