//! Filters, sort orders, sparse fieldsets and pages of filtered lists, on both stores, over a
//! catalog of the resource API's seed and twelve more SKUs. Each expected answer is computed
//! here from the seed's records, by plain Rust over the seed's JSON, never from what the API
//! said: the records the token sees, those a filter keeps, in the order asked.

use std::cmp::Ordering;
use std::sync::Arc;

use gatehouse_store::memory::MemoryStore;
use gatehouse_store::{Import, Store};
use gatehouse_tests::*;
use serde_json::{json, Value};

use super::{catalog, seed, Api};

/// The resource API's seed and twelve SKUs `GEN-01`..`GEN-12`: blue socks (odd) and green
/// hats (even); each even one priced in EUR at n x 100; each one not a multiple of 3 stocked
/// in Amsterdam (101) with n mod 4 in stock, and the multiples of 4 in Berlin (102) too.
pub(super) fn wide_seed() -> Value {
    let mut seed = seed();
    for n in 1..=12u64 {
        let code = format!("GEN-{n:02}");
        let name = if n % 2 == 1 { "Blue sock" } else { "green Hat" };
        seed["skus"].as_array_mut().unwrap().push(
            json!({"id": format!("sku_gen_{n:02}"), "mode": "test", "code": code, "name": format!("{name} {n}")}),
        );
        if n % 2 == 0 {
            seed["prices"].as_array_mut().unwrap().push(json!({"id": format!("pr_gen_{n:02}"), "mode": "test", "sku_code": code, "price_list_id": "pl_eur", "amount_cents": n * 100}));
        }
        let stock = seed["stock_items"].as_array_mut().unwrap();
        if n % 3 != 0 {
            stock.push(json!({"id": format!("si_gen_{n:02}_ams"), "mode": "test", "sku_code": code, "stock_location_number": 101, "quantity": n % 4}));
        }
        if n % 4 == 0 {
            stock.push(json!({"id": format!("si_gen_{n:02}_ber"), "mode": "test", "sku_code": code, "stock_location_number": 102, "quantity": n}));
        }
    }
    seed
}

/// The test-mode records of one kind in the seed.
pub(super) fn records(kind: &str) -> Vec<Value> {
    wide_seed()[kind]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "test")
        .cloned()
        .collect()
}

pub(super) fn text<'a>(record: &'a Value, attribute: &str) -> &'a str {
    record[attribute].as_str().unwrap_or_default()
}

pub(super) fn number(record: &Value, attribute: &str) -> u64 {
    record[attribute].as_u64().unwrap()
}

/// A list's own order, as the API documents it.
pub(super) fn in_list_order(kind: &str, mut list: Vec<Value>) -> Vec<Value> {
    let key = |r: &Value| -> (u64, String, String, String) {
        match kind {
            "markets" => (
                number(r, "number"),
                String::new(),
                String::new(),
                String::new(),
            ),
            "skus" => (0, text(r, "code").into(), String::new(), String::new()),
            "prices" => (
                0,
                text(r, "sku_code").into(),
                text(r, "price_list_id").into(),
                text(r, "id").into(),
            ),
            _ => (
                number(r, "stock_location_number"),
                text(r, "sku_code").into(),
                text(r, "id").into(),
                String::new(),
            ),
        }
    };
    list.sort_by_key(key);
    list
}

/// The SKU codes market 1001 sells to a token narrowed to `locations`: priced in its price
/// list (EUR) and stocked at one of those locations.
pub(super) fn sold_in_europe(locations: &[u64]) -> Vec<String> {
    let priced: Vec<String> = records("prices")
        .iter()
        .filter(|p| p["price_list_id"] == "pl_eur")
        .map(|p| text(p, "sku_code").to_owned())
        .collect();
    records("stock_items")
        .iter()
        .filter(|s| locations.contains(&number(s, "stock_location_number")))
        .map(|s| text(s, "sku_code").to_owned())
        .filter(|code| priced.contains(code))
        .collect()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(|r| text(r, "id").to_owned()).collect()
}

impl Api {
    /// Every record of a list, page by page (25 at a time), and its `record_count`.
    async fn every_id(&self, token: &str, path: &str) -> (Vec<String>, u64) {
        let mut all = Vec::new();
        for number in 1.. {
            let separator = if path.contains('?') { '&' } else { '?' };
            let page = format!("{path}{separator}page[size]=25&page[number]={number}");
            let response = self.get(Some(token), &page).await;
            let body = body_json(&response);
            assert_eq!(response.status(), 200, "{page}: {body}");
            let data = body["data"].as_array().unwrap();
            all.extend(data.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
            if body["links"].get("next").is_none() {
                return (all, body["meta"]["record_count"].as_u64().unwrap());
            }
        }
        unreachable!()
    }
}

type Keep = fn(&Value) -> bool;

async fn each_filter_keeps_the_records_its_predicate_holds_for(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let integration = api.integration().await;
    let cases: Vec<(&str, &str, Keep)> = vec![
        ("skus", "code_eq]=MUG-WHT", |r| text(r, "code") == "MUG-WHT"),
        ("skus", "id_eq]=sku_gen_03", |r| {
            text(r, "id") == "sku_gen_03"
        }),
        ("skus", "code_not_eq]=MUG-WHT", |r| {
            text(r, "code") != "MUG-WHT"
        }),
        ("skus", "code_in]=CAP-RED,GEN-07,NOPE", |r| {
            ["CAP-RED", "GEN-07"].contains(&text(r, "code"))
        }),
        ("skus", "code_not_in]=CAP-RED,GEN-07", |r| {
            !["CAP-RED", "GEN-07"].contains(&text(r, "code"))
        }),
        ("skus", "code_start]=GEN-1", |r| {
            text(r, "code").starts_with("GEN-1")
        }),
        ("skus", "code_end]=-M", |r| text(r, "code").ends_with("-M")),
        ("skus", "name_cont]=Hat", |r| {
            text(r, "name").contains("Hat")
        }),
        ("skus", "name_cont]=hat", |r| {
            text(r, "name").contains("hat")
        }),
        ("skus", "name_i_cont]=HAT", |r| {
            text(r, "name").to_lowercase().contains("hat")
        }),
        ("skus", "name_or_code_cont]=Red", |r| {
            text(r, "name").contains("Red") || text(r, "code").contains("Red")
        }),
        ("skus", "code_lt]=GEN-03", |r| text(r, "code") < "GEN-03"),
        ("skus", "code_gteq]=GEN-11", |r| text(r, "code") >= "GEN-11"),
        ("skus", "name_present]=true", |r| {
            !text(r, "name").trim().is_empty()
        }),
        ("skus", "name_blank]=true", |r| {
            text(r, "name").trim().is_empty()
        }),
        ("skus", "name_null]=true", |r| r["name"].is_null()),
        ("skus", "name_not_null]=true", |r| !r["name"].is_null()),
        ("prices", "amount_cents_gt]=1000", |r| {
            number(r, "amount_cents") > 1000
        }),
        ("prices", "amount_cents_lteq]=900", |r| {
            number(r, "amount_cents") <= 900
        }),
        ("prices", "amount_cents_lt]=600", |r| {
            number(r, "amount_cents") < 600
        }),
        ("prices", "amount_cents_gteq]=2500", |r| {
            number(r, "amount_cents") >= 2500
        }),
        ("prices", "price_list_id_not_eq]=pl_eur", |r| {
            text(r, "price_list_id") != "pl_eur"
        }),
        ("stock_items", "quantity_eq]=0", |r| {
            number(r, "quantity") == 0
        }),
        ("stock_items", "quantity_in]=1,3", |r| {
            [1, 3].contains(&number(r, "quantity"))
        }),
        ("stock_items", "stock_location_number_not_in]=101", |r| {
            number(r, "stock_location_number") != 101
        }),
        ("stock_items", "sku_code_eq]=TSHIRT-BLK-M", |r| {
            text(r, "sku_code") == "TSHIRT-BLK-M"
        }),
        ("markets", "active_true]=true", |r| r["active"] == true),
        ("markets", "active_false]=true", |r| r["active"] == false),
        ("markets", "active_true]=false", |r| r["active"] != true),
        ("markets", "code_eq]=us", |r| text(r, "code") == "us"),
        ("markets", "id_eq]=mkt_vip", |r| text(r, "id") == "mkt_vip"),
        ("markets", "number_gteq]=1003", |r| {
            number(r, "number") >= 1003
        }),
        ("markets", "name_or_code_i_cont]=EU", |r| {
            let both = format!("{} {}", text(r, "name"), text(r, "code")).to_lowercase();
            both.contains("eu")
        }),
    ];
    for (kind, filter, keep) in cases {
        let expected = ids(&in_list_order(
            kind,
            records(kind).into_iter().filter(keep).collect(),
        ));
        for spelling in ["filter[q][", "filter["] {
            let path = format!("/api/{kind}?{spelling}{filter}");
            let (got, count) = api.every_id(&integration, &path).await;
            assert_eq!(got, expected, "{path}");
            assert_eq!(count, expected.len() as u64, "{path}");
        }
    }
    // Several filters all hold.
    let path =
        "/api/skus?filter[q][code_start]=GEN&filter[q][name_i_cont]=sock&filter[q][code_lt]=GEN-09";
    let expected: Vec<String> = ["01", "03", "05", "07"]
        .iter()
        .map(|n| format!("sku_gen_{n}"))
        .collect();
    assert_eq!(api.every_id(&integration, path).await, (expected, 4));
}

async fn a_filter_narrows_what_the_scope_shows_and_never_widens_it(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let (storefront, narrowed) = (api.storefront().await, api.narrowed().await);
    for (token, locations) in [(&storefront, &[101, 102][..]), (&narrowed, &[102][..])] {
        let sold = sold_in_europe(locations);
        let cases: Vec<(&str, Keep)> = vec![
            ("name_i_cont]=hat", |r| {
                text(r, "name").to_lowercase().contains("hat")
            }),
            ("code_eq]=US-ONLY", |r| text(r, "code") == "US-ONLY"),
            ("id_eq]=sku_cap", |r| text(r, "id") == "sku_cap"),
            ("code_eq]=GEN-04", |r| text(r, "code") == "GEN-04"),
            ("code_not_eq]=GEN-04", |r| text(r, "code") != "GEN-04"),
            ("code_in]=GEN-02,GEN-04,CAP-RED", |r| {
                ["GEN-02", "GEN-04", "CAP-RED"].contains(&text(r, "code"))
            }),
        ];
        for (filter, keep) in cases {
            let expected = ids(&in_list_order(
                "skus",
                records("skus")
                    .into_iter()
                    .filter(|r| sold.iter().any(|code| code == text(r, "code")) && keep(r))
                    .collect(),
            ));
            let path = format!("/api/skus?filter[q][{filter}");
            let (got, count) = api.every_id(token, &path).await;
            assert_eq!(got, expected, "{locations:?} {path}");
            assert_eq!(count, expected.len() as u64, "{locations:?} {path}");
        }
        // A market token's markets are its market, whatever the filter asks for.
        assert_eq!(
            api.every_id(token, "/api/markets?filter[q][code_eq]=us")
                .await
                .1,
            0
        );
        assert_eq!(
            api.every_id(token, "/api/markets?filter[q][number_gt]=1000")
                .await,
            (vec!["mkt_eu".to_owned()], 1)
        );
    }
}

async fn sort_orders_lists_by_the_fields_named(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let integration = api.integration().await;
    type Order = fn(&Value, &Value) -> Ordering;
    let cases: Vec<(&str, &str, Order)> = vec![
        ("skus", "-code", |a, b| text(b, "code").cmp(text(a, "code"))),
        ("skus", "name,-id", |a, b| {
            text(a, "name")
                .cmp(text(b, "name"))
                .then(text(b, "id").cmp(text(a, "id")))
        }),
        ("prices", "-amount_cents", |a, b| {
            number(b, "amount_cents").cmp(&number(a, "amount_cents"))
        }),
        ("stock_items", "quantity,-stock_location_number", |a, b| {
            number(a, "quantity")
                .cmp(&number(b, "quantity"))
                .then(number(b, "stock_location_number").cmp(&number(a, "stock_location_number")))
        }),
        ("markets", "-active,name", |a, b| {
            b["active"]
                .as_bool()
                .cmp(&a["active"].as_bool())
                .then(text(a, "name").cmp(text(b, "name")))
        }),
    ];
    for (kind, sort, order) in cases {
        // Records equal on every sort field keep the list's own order: a stable sort of it.
        let mut expected = in_list_order(kind, records(kind));
        expected.sort_by(order);
        let path = format!("/api/{kind}?sort={sort}");
        assert_eq!(
            api.every_id(&integration, &path).await,
            (ids(&expected), expected.len() as u64),
            "{path}"
        );
    }
    // A filtered, sorted list's pages: the second page of pages of two, with links that keep both.
    let mut hats: Vec<Value> = records("skus")
        .into_iter()
        .filter(|r| text(r, "name").starts_with("green Hat"))
        .collect();
    hats.sort_by(|a, b| text(b, "code").cmp(text(a, "code")));
    let path = "/api/skus?filter[q][name_start]=green%20Hat&sort=-code&page[size]=2&page[number]=2";
    let response = api.get(Some(&integration), path).await;
    let body = body_json(&response);
    let got: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids(&hats)[2..4], "{body}");
    assert_eq!(body["meta"]["record_count"], hats.len());
    assert_eq!(body["meta"]["page_count"], hats.len().div_ceil(2));
    let next = body["links"]["next"].as_str().unwrap();
    assert!(
        next.contains("filter%5Bq%5D%5Bname_start%5D=green%20Hat&sort=-code&page%5Bnumber%5D=3"),
        "{next}"
    );
}

async fn a_sparse_fieldset_keeps_the_attributes_it_names(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let integration = api.integration().await;
    let by_id = |kind: &str, id: &str| {
        records(kind)
            .into_iter()
            .find(|r| text(r, "id") == id)
            .unwrap()
    };
    for path in [
        "/api/skus?fields[skus]=name&filter[q][code_start]=GEN-0",
        "/api/skus?fields[skus]=name&fields[prices]=amount_cents",
        "/api/skus/sku_gen_02?fields[skus]=name",
    ] {
        let response = api.get(Some(&integration), path).await;
        let body = body_json(&response);
        assert_eq!(response.status(), 200, "{path}: {body}");
        let data = match &body["data"] {
            Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        assert!(!data.is_empty(), "{path}");
        for record in data {
            let sku = by_id("skus", record["id"].as_str().unwrap());
            assert_eq!(record["attributes"], json!({"name": sku["name"]}), "{path}");
        }
    }
    let response = api
        .get(Some(&integration), "/api/prices?fields[prices]=")
        .await;
    let body = body_json(&response);
    assert_eq!(
        body["data"].as_array().unwrap().len(),
        records("prices").len().min(10)
    );
    assert!(body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["attributes"] == json!({})));
}

async fn what_a_list_cannot_apply_is_a_400_naming_it(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let integration = api.integration().await;
    for (path, named) in [
        (
            "/api/skus?filter[q][price_eq]=1",
            "names price, which is not an attribute of skus",
        ),
        ("/api/skus?filter[q][name_or_colour_cont]=x", "names colour"),
        (
            "/api/skus?filter[q][code_like]=x",
            "filter code_like ends with no predicate",
        ),
        (
            "/api/prices?filter[q][amount_cents_eq]=cheap",
            "compares amount_cents, a whole number",
        ),
        (
            "/api/markets?filter[q][active_true]=maybe",
            "takes true or false",
        ),
        (
            "/api/stock_items?filter[q][quantity_cont]=1",
            "cont does not apply to quantity",
        ),
        ("/api/skus?sort=price", "sort names 'price'"),
        ("/api/skus?sort=", "sort names ''"),
        ("/api/skus?fields[skus]=price", "fields[skus] names 'price'"),
        (
            "/api/skus?fields[orders]=number",
            "not a type this API serves",
        ),
        (
            "/api/skus/sku_mug?filter[q][code_eq]=x",
            "filter[q][code_eq] applies to lists",
        ),
        ("/api/skus/sku_mug?sort=code", "sort applies to lists"),
        (
            "/api/skus?page[size]=26",
            "page[size] must be a whole number from 1 to 25",
        ),
    ] {
        let response = api.get(Some(&integration), path).await;
        let body = body_json(&response);
        assert_eq!(response.status(), 400, "{path}: {body}");
        assert_eq!(body["errors"][0]["code"], "BAD_REQUEST", "{path}");
        let detail = body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(named), "{path}: {detail}");
    }
}

/// Filtering reads the whole list the token sees: past the bound, the request is refused
/// before the list is read, and the plain pages of the list are still served.
async fn a_list_too_long_to_filter_is_refused(store: Arc<dyn Store>) {
    let mut api = Api::on(store);
    let skus = records("skus").len() as u64;
    api.api.max_filtered_list = skus - 1;
    let integration = api.integration().await;
    let response = api
        .get(Some(&integration), "/api/skus?filter[q][name_cont]=a")
        .await;
    let body = body_json(&response);
    assert_eq!(response.status(), 400, "{body}");
    let detail = body["errors"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("skus are {skus}, more than {}", skus - 1)),
        "{detail}"
    );
    assert_eq!(api.every_id(&integration, "/api/skus").await.1, skus);
    // A key read is no scan.
    assert_eq!(
        api.every_id(&integration, "/api/skus?filter[q][code_eq]=GEN-01")
            .await
            .1,
        1
    );
    api.api.max_filtered_list = skus;
    assert_eq!(
        api.every_id(&integration, "/api/skus?sort=-name").await.1,
        skus
    );
}

pub(super) async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&catalog(&wide_seed())))
}

pub(super) async fn dynamodb() -> Arc<dyn Store> {
    let store = fresh_dynamo_store(&dynamodb_endpoint()).await;
    store
        .import(&catalog(&wide_seed()))
        .await
        .expect("catalog imported");
    Arc::new(store)
}

on_both_stores!(crate::queries::memory, crate::queries::dynamodb;
    each_filter_keeps_the_records_its_predicate_holds_for,
    a_filter_narrows_what_the_scope_shows_and_never_widens_it,
    sort_orders_lists_by_the_fields_named,
    a_sparse_fieldset_keeps_the_attributes_it_names,
    what_a_list_cannot_apply_is_a_400_naming_it,
    a_list_too_long_to_filter_is_refused,
);
