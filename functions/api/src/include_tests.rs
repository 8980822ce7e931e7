use super::*;
use crate::document::{list, single};
use crate::list_query::fieldset;
use gatehouse_core::model::{Market, Mode};
use gatehouse_store::{Page, PageRequest};
use serde_json::{json, Value};

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().copied()).unwrap()
}

/// `include` as the routes read it, with the request's fieldsets.
fn included(params: &Params, kind: &str) -> Result<Inclusion, String> {
    read_include(params, kind, &|kind| fieldset(params, kind))
}

const KINDS: [&str; 6] = [
    "skus",
    "prices",
    "stock_items",
    "markets",
    "organizations",
    "price_lists",
];

#[test]
fn each_type_includes_the_relationships_it_names_and_no_other() {
    let names = [
        "prices",
        "stock_items",
        "sku",
        "stock_location",
        "price_list",
        "stock_locations",
        "market",
        "skus",
    ];
    for kind in KINDS {
        for name in names {
            let listed = Relationship::names_of(kind).contains(&name);
            let found = Relationship::of(kind, name);
            assert_eq!(found.is_some(), listed, "{kind} {name}");
            if let Some(relationship) = found {
                assert_eq!(relationship.name(), name);
            }
        }
    }
    let cases = [
        (Relationship::Prices, "prices", true),
        (Relationship::StockItems, "stock_items", true),
        (Relationship::Sku, "skus", false),
        (Relationship::StockLocation, "stock_locations", false),
        (Relationship::PriceList, "price_lists", false),
        (Relationship::StockLocations, "stock_locations", true),
    ];
    for (relationship, target, to_many) in cases {
        assert_eq!(relationship.target(), target, "{relationship:?}");
        assert_eq!(relationship.to_many(), to_many, "{relationship:?}");
        // Every target is a type whose fields a fieldset may name.
        assert!(crate::document::fields_of(target).is_some(), "{target}");
    }
}

#[test]
fn include_is_read_by_name_once_each_with_the_fieldsets_of_its_types() {
    let read = included(
        &params(&[
            ("include", "stock_items,prices,prices"),
            ("fields[prices]", "amount_cents"),
            ("fields[skus]", "code"),
        ]),
        "skus",
    )
    .unwrap();
    assert_eq!(
        read.relationships,
        [Relationship::Prices, Relationship::StockItems]
    );
    assert_eq!(
        read.fieldsets,
        [("prices", vec!["amount_cents".to_owned()])]
    );
    assert_eq!(
        included(&params(&[]), "skus").unwrap(),
        Inclusion::default()
    );
}

#[test]
fn an_include_that_cannot_be_applied_is_refused_by_name() {
    let cases = [
        ("skus", "price", "include names 'price', which is not a relationship that can be included; those of skus are: prices, stock_items"),
        ("skus", "prices.sku", "include names 'prices.sku', a path of relationships: only a record's own relationships are included; those of skus are: prices, stock_items"),
        ("prices", "sku,", "include names '', which is not a relationship that can be included; those of prices are: sku"),
        ("organizations", "market", "include names 'market', which is not a relationship that can be included; organizations have none"),
        ("markets", "prices", "include names 'prices', which is not a relationship that can be included; those of markets are: price_list, stock_locations"),
    ];
    for (kind, include, expected) in cases {
        let refused = included(&params(&[("include", include)]), kind).unwrap_err();
        assert_eq!(refused, expected, "{kind} {include}");
    }
    // A fieldset of an included type is checked as any other.
    let refused = included(
        &params(&[("include", "sku"), ("fields[skus]", "price")]),
        "prices",
    )
    .unwrap_err();
    assert!(
        refused.contains("'price', which is not a field of skus"),
        "{refused}"
    );
}

fn market() -> Market {
    Market {
        id: "mkt_1".into(),
        number: 1001,
        code: "eu".into(),
        name: "Europe".into(),
        mode: Mode::Test,
        active: true,
        price_list_id: "pl_eur".into(),
        stock_location_ids: vec!["sl_a".into(), "sl_b".into(), "sl_hidden".into()],
        stock_location_numbers: vec![1, 2, 3],
        customer_group_id: None,
    }
}

fn location(id: &str, number: u64) -> StockLocation {
    StockLocation {
        id: id.into(),
        number,
        code: id.into(),
        name: id.to_uppercase(),
        mode: Mode::Test,
    }
}

fn body(response: http::Response<lambda_http::Body>) -> Value {
    serde_json::from_slice(response.body()).unwrap()
}

#[test]
fn a_document_links_each_record_to_what_was_read_and_includes_it_once() {
    let base = "https://auth.example";
    let related = Related {
        inclusion: included(
            &params(&[
                ("include", "stock_locations,price_list"),
                ("fields[stock_locations]", "number"),
            ]),
            "markets",
        )
        .unwrap(),
        // sl_hidden is out of the view: not read, so neither linked nor included.
        stock_locations: vec![location("sl_a", 1), location("sl_b", 2)],
        price_lists: vec![PriceList {
            id: "pl_eur".into(),
            mode: Mode::Test,
            name: "Euro".into(),
            currency: "EUR".into(),
        }],
        ..Related::default()
    };
    let written = body(single(
        &market(),
        base,
        Some(&["code".to_owned()]),
        &related,
    ));
    let expected = json!({
        "data": {
            "attributes": {"code": "eu"},
            "id": "mkt_1",
            "links": {"self": "https://auth.example/api/markets/mkt_1"},
            "relationships": {
                "price_list": {"data": {"id": "pl_eur", "type": "price_lists"}},
                "stock_locations": {"data": [
                    {"id": "sl_a", "type": "stock_locations"},
                    {"id": "sl_b", "type": "stock_locations"},
                ]},
            },
            "type": "markets",
        },
        "included": [
            {"attributes": {"number": 1}, "id": "sl_a", "type": "stock_locations"},
            {"attributes": {"number": 2}, "id": "sl_b", "type": "stock_locations"},
            {
                "attributes": {"currency_code": "EUR", "name": "Euro"},
                "id": "pl_eur",
                "type": "price_lists",
            },
        ],
    });
    assert_eq!(written, expected);

    // A to-one relationship with nothing read is null; a to-many one, empty.
    let nothing = Related {
        inclusion: included(
            &params(&[("include", "price_list,stock_locations")]),
            "markets",
        )
        .unwrap(),
        ..Related::default()
    };
    let page = Page {
        records: vec![Arc::new(market())],
        record_count: 1,
        next: None,
    };
    let first = PageRequest {
        number: 1,
        size: 10,
        after: None,
    };
    let written = body(list(&page, &first, base, "", Some(&[]), &nothing));
    assert_eq!(
        written["data"][0]["relationships"],
        json!({"price_list": {"data": null}, "stock_locations": {"data": []}})
    );
    assert_eq!(written["included"], json!([]));
    // Without include, neither member is written.
    let written = body(list(
        &page,
        &first,
        base,
        "",
        Some(&[]),
        &Related::default(),
    ));
    assert!(written["data"][0].get("relationships").is_none());
    assert!(written.get("included").is_none());
}
