//! `include` on both stores, over the catalog of `queries.rs`: for each token (market:all, a
//! market, a market narrowed to one stock location), each record's `relationships` and the
//! document's `included` are compared with what the seed's records say the token may see,
//! computed here by plain Rust over the seed's JSON.

use std::collections::BTreeSet;
use std::sync::Arc;

use gatehouse_store::Store;
use gatehouse_tests::*;
use serde_json::Value;

use super::queries::{in_list_order, number, records, sold_in_europe, text};
use super::Api;

/// What a token may see, as the seed says: its stock locations (by number) and its price list
/// (every one with market:all).
struct Seen {
    locations: Vec<u64>,
    price_list: Option<&'static str>,
}

impl Seen {
    fn all() -> Self {
        let locations = records("stock_locations");
        Seen {
            locations: locations.iter().map(|l| number(l, "number")).collect(),
            price_list: None,
        }
    }

    fn europe(locations: &[u64]) -> Self {
        Seen {
            locations: locations.to_vec(),
            price_list: Some("pl_eur"),
        }
    }

    fn prices_of(&self, code: &str) -> Vec<String> {
        let prices = records("prices").into_iter().filter(|p| {
            text(p, "sku_code") == code
                && self
                    .price_list
                    .is_none_or(|list| text(p, "price_list_id") == list)
        });
        ids(&in_list_order("prices", prices.collect()))
    }

    fn stock_items_of(&self, code: &str) -> Vec<String> {
        let items = records("stock_items").into_iter().filter(|s| {
            text(s, "sku_code") == code
                && self.locations.contains(&number(s, "stock_location_number"))
        });
        ids(&in_list_order("stock_items", items.collect()))
    }

    /// The SKU coded `code`, if the token could list it.
    fn sku(&self, code: &str) -> Option<String> {
        let sold = match self.price_list {
            None => true,
            Some(_) => sold_in_europe(&self.locations).iter().any(|c| c == code),
        };
        let sku = records("skus")
            .into_iter()
            .find(|s| text(s, "code") == code);
        sku.filter(|_| sold).map(|s| text(&s, "id").to_owned())
    }

    /// The stock locations, by id, among those numbered `numbers` that the token sees.
    fn locations(&self, numbers: &[u64]) -> Vec<String> {
        let mut seen: Vec<Value> = records("stock_locations")
            .into_iter()
            .filter(|l| numbers.contains(&number(l, "number")))
            .filter(|l| self.locations.contains(&number(l, "number")))
            .collect();
        seen.sort_by_key(|l| number(l, "number"));
        ids(&seen)
    }
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(|r| text(r, "id").to_owned()).collect()
}

/// The linkage of `record`'s relationship `name`, as (type, id)s.
fn linkage(record: &Value, name: &str) -> Vec<(String, String)> {
    let data = &record["relationships"][name]["data"];
    let one = |r: &Value| (text(r, "type").to_owned(), text(r, "id").to_owned());
    match data {
        Value::Array(many) => many.iter().map(one).collect(),
        Value::Null => vec![],
        single => vec![one(single)],
    }
}

fn typed(kind: &str, ids: Vec<String>) -> Vec<(String, String)> {
    ids.into_iter().map(|id| (kind.to_owned(), id)).collect()
}

/// Checks a document: each primary record's linkage of each relationship is what `expected`
/// computes for it, and `included` holds each linked record once and nothing else, each with
/// the seed's attributes.
/// A relationship's name, and the linkage a record should have for it.
type Expected<'a> = (&'a str, &'a dyn Fn(&Value) -> Vec<(String, String)>);

fn check(body: &Value, relationships: &[Expected<'_>]) {
    let data = match &body["data"] {
        Value::Array(many) => many.clone(),
        one => vec![one.clone()],
    };
    let mut linked = BTreeSet::new();
    for record in &data {
        for (name, expected) in relationships {
            let found = linkage(record, name);
            assert_eq!(found, expected(record), "{name} of {}", record["id"]);
            linked.extend(found);
        }
    }
    let included = body["included"].as_array().expect("included");
    let pairs: Vec<(String, String)> = included
        .iter()
        .map(|r| (text(r, "type").to_owned(), text(r, "id").to_owned()))
        .collect();
    assert_eq!(pairs.len(), linked.len(), "each once: {pairs:?}");
    assert_eq!(pairs.into_iter().collect::<BTreeSet<_>>(), linked);
    for record in included {
        let kind = text(record, "type");
        let seed_kind = match kind {
            "skus" | "prices" | "stock_items" | "stock_locations" | "price_lists" => kind,
            other => panic!("unexpected included type {other}"),
        };
        let source = records(seed_kind)
            .into_iter()
            .find(|r| r["id"] == record["id"])
            .expect("an included record is a seed record");
        for (attribute, value) in record["attributes"].as_object().unwrap() {
            let seeded = match attribute.as_str() {
                "currency_code" => &source["currency"],
                "stock_location_id" => continue,
                other => &source[other],
            };
            assert_eq!(value, seeded, "{kind} {attribute}");
        }
    }
}

async fn tokens(api: &Api) -> Vec<(String, Seen)> {
    vec![
        (api.integration().await, Seen::all()),
        (api.storefront().await, Seen::europe(&[101, 102])),
        (api.narrowed().await, Seen::europe(&[102])),
    ]
}

async fn every_page(api: &Api, token: &str, path: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    for number in 1.. {
        let page = format!("{path}&page[size]=4&page[number]={number}");
        let response = api.get(Some(token), &page).await;
        let body = body_json(&response);
        assert_eq!(response.status(), 200, "{page}: {body}");
        let last = body["links"].get("next").is_none();
        pages.push(body);
        if last {
            return pages;
        }
    }
    unreachable!()
}

async fn skus_include_their_prices_and_stock_items(store: Arc<dyn Store>) {
    let api = Api::on(store);
    for (token, seen) in tokens(&api).await {
        let path = "/api/skus?include=stock_items,prices";
        let prices = |r: &Value| typed("prices", seen.prices_of(text(&r["attributes"], "code")));
        let stock = |r: &Value| {
            typed(
                "stock_items",
                seen.stock_items_of(text(&r["attributes"], "code")),
            )
        };
        let pages = every_page(&api, &token, path).await;
        if seen.price_list.is_none() {
            assert!(pages.len() > 1, "market:all's SKUs take several pages");
        }
        for body in pages {
            check(&body, &[("prices", &prices), ("stock_items", &stock)]);
            // The next page's link keeps the include.
            if let Some(next) = body["links"]["next"].as_str() {
                assert!(next.contains("include=stock_items%2Cprices"), "{next}");
            }
        }
    }
}

async fn prices_and_stock_items_include_their_sku_and_location(store: Arc<dyn Store>) {
    let api = Api::on(store);
    for (token, seen) in tokens(&api).await {
        let sku = |r: &Value| {
            let code = text(&r["attributes"], "sku_code");
            typed("skus", seen.sku(code).into_iter().collect())
        };
        let location = |r: &Value| {
            let at = r["attributes"]["stock_location_number"].as_u64().unwrap();
            typed("stock_locations", seen.locations(&[at]))
        };
        for body in every_page(&api, &token, "/api/prices?include=sku").await {
            check(&body, &[("sku", &sku)]);
        }
        let path = "/api/stock_items?include=sku,stock_location";
        for body in every_page(&api, &token, path).await {
            check(&body, &[("sku", &sku), ("stock_location", &location)]);
        }
    }
}

async fn markets_include_their_price_list_and_stock_locations(store: Arc<dyn Store>) {
    let api = Api::on(store);
    for (token, seen) in tokens(&api).await {
        let price_list = |r: &Value| {
            let id = text(&r["attributes"], "price_list_id");
            typed("price_lists", vec![id.to_owned()])
        };
        let locations = |r: &Value| {
            let market = records("markets")
                .into_iter()
                .find(|m| m["id"] == r["id"])
                .unwrap();
            let numbers: Vec<u64> = (market["stock_location_numbers"].as_array().unwrap())
                .iter()
                .map(|n| n.as_u64().unwrap())
                .collect();
            typed("stock_locations", seen.locations(&numbers))
        };
        let path = "/api/markets?include=price_list,stock_locations";
        for body in every_page(&api, &token, path).await {
            check(
                &body,
                &[("price_list", &price_list), ("stock_locations", &locations)],
            );
        }
        // One record, with a fieldset on an included type.
        let response = api
            .get(
                Some(&token),
                "/api/markets/mkt_eu?include=stock_locations&fields[stock_locations]=number",
            )
            .await;
        let body = body_json(&response);
        assert_eq!(response.status(), 200, "{body}");
        check(&body, &[("stock_locations", &locations)]);
        for location in body["included"].as_array().unwrap() {
            let names: Vec<&String> = location["attributes"].as_object().unwrap().keys().collect();
            assert_eq!(names, ["number"]);
        }
    }
}

async fn a_single_sku_includes_what_its_token_sees(store: Arc<dyn Store>) {
    let api = Api::on(store);
    for (token, seen) in tokens(&api).await {
        let response = api
            .get(Some(&token), "/api/skus/sku_mug?include=prices,stock_items")
            .await;
        let body = body_json(&response);
        assert_eq!(response.status(), 200, "{body}");
        let prices = |_: &Value| typed("prices", seen.prices_of("MUG-WHT"));
        let stock = |_: &Value| typed("stock_items", seen.stock_items_of("MUG-WHT"));
        check(&body, &[("prices", &prices), ("stock_items", &stock)]);
    }
    let integration = api.integration().await;
    for (path, named) in [
        ("/api/skus?include=price", "include names 'price'"),
        ("/api/skus?include=prices.sku", "a path of relationships"),
        ("/api/skus/sku_mug?include=market", "those of skus are"),
        (
            "/api/organization?include=markets",
            "organizations have none",
        ),
    ] {
        let response = api.get(Some(&integration), path).await;
        let body = body_json(&response);
        assert_eq!(response.status(), 400, "{path}: {body}");
        let detail = body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(named), "{path}: {detail}");
    }
}

on_both_stores!(crate::queries::memory, crate::queries::dynamodb;
    skus_include_their_prices_and_stock_items,
    prices_and_stock_items_include_their_sku_and_location,
    markets_include_their_price_list_and_stock_locations,
    a_single_sku_includes_what_its_token_sees,
);
