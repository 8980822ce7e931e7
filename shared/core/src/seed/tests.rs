//! The seed rules, each broken at least once; every message and path is part of the contract.

use super::*;
use serde_json::{json, Value};

fn minimal() -> Value {
    json!({
        "organization": {"id": "org", "slug": "acme"},
        "price_lists": [{"id": "pl", "mode": "test", "name": "EUR", "currency": "EUR"}],
        "stock_locations": [{"id": "sl", "mode": "test", "number": 1, "code": "wh", "name": "WH"}],
        "markets": [{"id": "m", "mode": "test", "number": 10, "code": "eu", "name": "EU", "active": true,
                     "price_list_id": "pl", "stock_location_numbers": [1], "customer_group_id": null}],
        "applications": [{"id": "a", "mode": "test", "name": "Shop", "kind": "sales_channel",
                          "client_id": "shop", "client_secret": null, "token_lifetime": null, "redirect_uris": []}]
    })
}

fn problems(seed: Value) -> Vec<String> {
    match parse_seed(&seed.to_string()) {
        Ok(_) => vec![],
        Err(SeedError(problems)) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn with(mut seed: Value, pointer: &str, value: Value) -> Value {
    *seed.pointer_mut(pointer).unwrap() = value;
    seed
}

#[test]
fn the_demo_seed_is_valid() {
    let catalog = parse_seed(DEMO_SEED).unwrap();
    assert!(!catalog.applications.is_empty());
}

#[test]
fn reading_a_seed_hashes_no_password_until_one_is_used() {
    let catalog = parse_seed(DEMO_SEED).unwrap();
    let hashes: Vec<_> = catalog
        .customers
        .iter()
        .map(|c| &c.password_hash)
        .chain(catalog.users.iter().map(|u| &u.password_hash))
        .collect();
    assert!(!hashes.is_empty());
    assert!(hashes.iter().all(|hash| !hash.is_computed()));
    let alice = &catalog.customers[0];
    assert!(
        alice.password_hash.verify("alice-demo-password"),
        "{}",
        alice.email
    );
    assert!(alice.password_hash.is_computed());
}

#[test]
fn a_minimal_seed_resolves_stock_location_numbers_to_ids_and_hashes_secrets() {
    let catalog = parse_seed(&minimal().to_string()).unwrap();
    assert_eq!(catalog.markets[0].stock_location_ids, vec!["sl".to_owned()]);
    let seed = with(minimal(), "/applications/0/kind", json!("integration"));
    let secret = "s".repeat(40);
    let seed = with(seed, "/applications/0/client_secret", json!(secret));
    let catalog = parse_seed(&seed.to_string()).unwrap();
    assert!(catalog.applications[0]
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify(&secret));
}

#[test]
fn a_sales_channel_with_a_secret_is_a_confidential_client_and_without_one_a_public_one() {
    use crate::model::ClientType;
    let public = parse_seed(&minimal().to_string()).unwrap();
    assert_eq!(public.applications[0].client_type(), ClientType::Public);
    let secret = "s".repeat(40);
    let seed = with(minimal(), "/applications/0/client_secret", json!(secret));
    let confidential = parse_seed(&seed.to_string()).unwrap();
    let application = &confidential.applications[0];
    assert_eq!(application.client_type(), ClientType::Confidential);
    assert!(application
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify(&secret));
}

#[test]
fn unknown_fields_are_refused_with_their_path() {
    let mut seed = minimal();
    seed["markets"][0]["colour"] = json!("red");
    let found = problems(seed);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("markets[0].colour: unknown field `colour`"),
        "{found:?}"
    );
    let mut seed = minimal();
    seed["widgets"] = json!([]);
    assert!(problems(seed)[0].starts_with("widgets: unknown field"));
}

#[test]
fn broken_rules_are_each_reported_at_their_path() {
    let cases: Vec<(Value, &str)> = vec![
        (with(minimal(), "/markets/0/price_list_id", json!("nope")), "markets[0].price_list_id: no price list 'nope' in test mode"),
        (with(minimal(), "/markets/0/stock_location_numbers", json!([2])), "markets[0].stock_location_numbers[0]: no stock location number 2 in test mode"),
        (with(minimal(), "/markets/0/customer_group_id", json!("vip")), "markets[0].customer_group_id: no customer group 'vip' in test mode"),
        (with(minimal(), "/markets/0/mode", json!("live")), "markets[0].price_list_id: no price list 'pl' in live mode"),
        (with(minimal(), "/applications/0/client_secret", json!("short")), "applications[0].client_secret: must be at least 32 characters of high-entropy text"),
        (with(minimal(), "/applications/0/kind", json!("integration")), "applications[0].client_secret: integration applications need a client_secret"),
        (with(minimal(), "/applications/0/token_lifetime", json!(7199)), "applications[0].token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 7199"),
        (with(minimal(), "/applications/0/token_lifetime", json!(31_536_001)), "applications[0].token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 31536001"),
        (with(webapp(), "/applications/0/redirect_uris", json!(["http://evil.example/cb"])), "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost)"),
        (with(webapp(), "/applications/0/redirect_uris", json!(["http://localhost.evil.example/cb"])), "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost)"),
        (with(webapp(), "/applications/0/redirect_uris", json!(["https://x", "http://localhost:3000/cb#f"])), "applications[0].redirect_uris[1]: must be an absolute https URL without fragment (http only for localhost)"),
        (with(webapp(), "/applications/0/redirect_uris", json!(["https://shop.example/cb\r\nX: y"])), "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): character 24 (U+000D) is not allowed in the path"),
        (with(webapp(), "/applications/0/redirect_uris", json!(["https://shop.example/c b"])), "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): character 23 (a space) is not allowed in the path"),
        (with(webapp(), "/applications/0/redirect_uris", json!(["https://shop.example/caf\u{e9}"])), "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): character 25 (U+00E9) is not allowed in the path"),
        (with(webapp(), "/applications/0/redirect_uris", json!(["https://shop.example/cb?\u{0}"])), "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): character 25 (U+0000) is not allowed in the query"),
        (with(minimal(), "/applications/0/client_id", json!("")), "applications[0].client_id: must not be empty"),
        (with(minimal(), "/markets/0/mode", json!("staging")), "markets[0].mode: unknown variant `staging`, expected `test` or `live`"),
        (with(minimal(), "/markets/0/number", json!(-1)), "markets[0].number: invalid value: integer `-1`, expected u64"),
        // Ids and codes are the keys records are stored and ordered under.
        (with(minimal(), "/markets/0/id", json!("m\u{1}1")), "markets[0].id: must be at most 255 bytes, without control characters"),
        (with(minimal(), "/stock_locations/0/code", json!("c".repeat(256))), "stock_locations[0].code: must be at most 255 bytes, without control characters"),
        (with(minimal(), "/markets/0/code", json!("eu\n")), "markets[0].code: must be at most 255 bytes, without control characters"),
    ];
    for (seed, expected) in cases {
        let found = problems(seed);
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "expected {expected:?} in {found:?}"
        );
    }
}

#[test]
fn redirect_uris_may_be_https_anywhere_or_http_on_a_loopback_host() {
    let uris = json!([
        "https://shop.example/cb?x=1",
        "http://localhost:3000/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8080/cb"
    ]);
    let seed = with(webapp(), "/applications/0/redirect_uris", uris);
    assert_eq!(problems(seed), Vec::<String>::new());
}

/// The minimal seed with its application made a webapp, with a secret and a redirect URI.
fn webapp() -> Value {
    let seed = with(minimal(), "/applications/0/kind", json!("webapp"));
    let seed = with(seed, "/applications/0/client_secret", json!("s".repeat(40)));
    with(
        seed,
        "/applications/0/redirect_uris",
        json!(["https://shop.example/cb"]),
    )
}

#[test]
fn webapps_need_a_redirect_uri_and_other_kinds_take_none() {
    assert_eq!(problems(webapp()), Vec::<String>::new());
    let cases = [
        (
            with(webapp(), "/applications/0/redirect_uris", json!([])),
            "applications[0].redirect_uris: webapp applications need at least one redirect URI",
        ),
        (
            with(minimal(), "/applications/0/redirect_uris", json!(["https://x"])),
            "applications[0].redirect_uris: only webapps redirect: sales_channel applications take no redirect URIs",
        ),
        (
            with(minimal(), "/applications/0/client_id", json!("a\u{7}b")),
            "applications[0].client_id: must be at most 255 bytes, without control characters",
        ),
    ];
    for (seed, expected) in cases {
        assert_eq!(problems(seed), vec![expected.to_owned()]);
    }
}

#[test]
fn duplicate_keys_within_an_environment_are_refused_but_allowed_across_environments() {
    let mut seed = minimal();
    let mut second = seed["applications"][0].clone();
    second["id"] = json!("b");
    seed["applications"].as_array_mut().unwrap().push(second);
    assert!(problems(seed)
        .iter()
        .any(|p| p.starts_with("applications[1].client_id: client_id is already used")));

    let mut seed = minimal();
    let mut live = seed["stock_locations"][0].clone();
    live["id"] = json!("sl-live");
    live["mode"] = json!("live");
    seed["stock_locations"].as_array_mut().unwrap().push(live);
    assert_eq!(problems(seed), Vec::<String>::new());
}

#[test]
fn malformed_json_is_reported_not_panicked_on() {
    for text in ["", "{", "[]", "null", "{\"organization\": 5}"] {
        assert!(parse_seed(text).is_err(), "{text}");
    }
}

#[test]
fn every_problem_is_reported_at_once_in_the_order_of_the_file() {
    let seed = json!({
        "organization": {"id": "", "slug": " "},
        "price_lists": [
            {"id": "pl", "mode": "test", "name": "EUR", "currency": "eur"},
            {"id": "pl", "mode": "test", "name": "USD", "currency": "USD"}
        ],
        "customer_groups": [
            {"id": "vip", "mode": "test", "name": "VIP"},
            {"id": "vip", "mode": "live", "name": "VIP"}
        ],
        "stock_locations": [
            {"id": "sl", "mode": "test", "number": 1, "code": "", "name": "WH"},
            {"id": "sl2", "mode": "test", "number": 1, "code": "wh", "name": "WH"},
            {"id": "sl3", "mode": "test", "number": 3, "code": "wh", "name": "WH"}
        ],
        "markets": [
            {"id": "m", "mode": "test", "number": 10, "code": "", "name": "EU", "active": true,
             "price_list_id": "nope", "stock_location_numbers": [1, 1, 9], "customer_group_id": "gold"},
            {"id": "m", "mode": "live", "number": 10, "code": "eu", "name": "EU", "active": true,
             "price_list_id": "pl", "stock_location_numbers": [], "customer_group_id": "vip"}
        ],
        "applications": [
            {"id": "a", "mode": "test", "name": "Shop", "kind": "sales_channel", "client_id": "",
             "client_secret": "x", "token_lifetime": 5, "redirect_uris": ["http://localhost.evil.example/cb", "https://ok.example/cb"]},
            {"id": "b", "mode": "live", "name": "ERP", "kind": "integration", "client_id": "",
             "client_secret": "short", "token_lifetime": null, "redirect_uris": []},
            {"id": "c", "mode": "live", "name": "Web", "kind": "webapp", "client_id": "web",
             "client_secret": null, "token_lifetime": 99999999999i64, "redirect_uris": ["https://x.example/#f"]}
        ],
        "customers": [
            {"id": "c1", "mode": "test", "email": "nobody", "password": "", "customer_group_id": "gold"},
            {"id": "c1", "mode": "test", "email": "A@x.example", "password": "p", "customer_group_id": null},
            {"id": "c3", "mode": "test", "email": " a@X.example ", "password": "p", "customer_group_id": "vip"}
        ],
        "users": [
            {"id": "u", "mode": "test", "email": "bad", "password": " "},
            {"id": "u", "mode": "live", "email": "u@x.example", "password": "p"},
            {"id": "u3", "mode": "live", "email": "U@x.example", "password": "p"}
        ],
        "skus": [
            {"id": "s", "mode": "test", "code": "", "name": "S"},
            {"id": "s", "mode": "test", "code": "", "name": "S"},
            {"id": "s3", "mode": "test", "code": "tee", "name": "T"}
        ],
        "prices": [
            {"id": "p", "mode": "test", "sku_code": "cap", "price_list_id": "pl", "amount_cents": -1},
            {"id": "p", "mode": "live", "sku_code": "tee", "price_list_id": "pl", "amount_cents": 5}
        ],
        "stock_items": [
            {"id": "i", "mode": "test", "sku_code": "tee", "stock_location_number": 7, "quantity": -2},
            {"id": "i", "mode": "live", "sku_code": "tee", "stock_location_number": 1, "quantity": 0}
        ]
    });
    let expected = [
        "organization.id: must not be empty",
        "organization.slug: must not be empty",
        "price_lists[0].currency: must be an ISO 4217 code such as EUR",
        "price_lists[1].id: id is already used by another record",
        "customer_groups[1].id: id is already used by another record",
        "stock_locations[0].code: must not be empty",
        "stock_locations[1].number: number is already used by another record",
        "stock_locations[2].code: code is already used by another record",
        "markets[0].code: must not be empty",
        "markets[0].price_list_id: no price list 'nope' in test mode",
        "markets[0].customer_group_id: no customer group 'gold' in test mode",
        "markets[0].stock_location_numbers[1]: stock location listed twice",
        "markets[0].stock_location_numbers[2]: no stock location number 9 in test mode",
        "markets[1].id: id is already used by another record",
        "markets[1].price_list_id: no price list 'pl' in live mode",
        "applications[0].client_id: must not be empty",
        "applications[0].client_secret: must be at least 32 characters of high-entropy text",
        "applications[0].token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 5",
        "applications[0].redirect_uris: only webapps redirect: sales_channel applications take no redirect URIs",
        "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): plain http is allowed only on a loopback host (localhost, 127.0.0.1 or [::1])",
        "applications[1].client_id: must not be empty",
        "applications[1].client_id: client_id is already used by another record",
        "applications[1].client_secret: must be at least 32 characters of high-entropy text",
        "applications[2].client_secret: webapp applications need a client_secret",
        "applications[2].token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 99999999999",
        "applications[2].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): must not have a fragment",
        "customers[0].email: must be an email address of at most 254 characters",
        "customers[0].password: must not be empty",
        "customers[0].customer_group_id: no customer group 'gold' in test mode",
        "customers[1].id: id is already used by another record",
        "customers[2].email: email is already used by another record",
        "users[0].email: must be an email address of at most 254 characters",
        "users[0].password: must not be empty",
        "users[1].id: id is already used by another record",
        "users[2].email: email is already used by another record",
        "skus[0].code: must not be empty",
        "skus[1].id: id is already used by another record",
        "skus[1].code: must not be empty",
        "skus[1].code: code is already used by another record",
        "prices[0].sku_code: no sku 'cap' in test mode",
        "prices[0].amount_cents: must not be negative",
        "prices[1].id: id is already used by another record",
        "prices[1].sku_code: no sku 'tee' in live mode",
        "prices[1].price_list_id: no price list 'pl' in live mode",
        "stock_items[0].stock_location_number: no stock location number 7 in test mode",
        "stock_items[0].quantity: must not be negative",
        "stock_items[1].id: id is already used by another record",
        "stock_items[1].sku_code: no sku 'tee' in live mode",
        "stock_items[1].stock_location_number: no stock location number 1 in live mode",
    ];
    assert_eq!(problems(seed), expected);
}

#[test]
fn the_demo_seeds_catalog_is_carried_with_stock_locations_resolved_to_ids() {
    let catalog = parse_seed(DEMO_SEED).unwrap();
    assert_eq!(catalog.price_lists.len(), 4);
    assert_eq!(catalog.skus.len(), 3);
    assert_eq!(catalog.prices.len(), 4);
    let mug = catalog
        .stock_items
        .iter()
        .find(|item| item.id == "si_mug_ber")
        .expect("the mug's stock item");
    assert_eq!(
        (
            mug.stock_location_id.as_str(),
            mug.stock_location_number,
            mug.quantity
        ),
        ("sl_ber", 102, 0)
    );
    let tshirt_eur = catalog
        .prices
        .iter()
        .find(|p| p.id == "pr_tshirt_eur")
        .unwrap();
    assert_eq!(
        (tshirt_eur.price_list_id.as_str(), tshirt_eur.amount_cents),
        ("pl_eur", 2500)
    );
}

#[test]
fn the_jwt_bearer_setting_is_read_checked_and_only_for_confidential_applications() {
    let set = |seed: Value, setting: Value| {
        let mut seed = seed;
        seed["applications"][0]["jwt_bearer"] = setting;
        seed
    };
    let confidential = with(
        minimal(),
        "/applications/0/client_secret",
        json!("s".repeat(32)),
    );
    let cases = [
        (set(minimal(), Value::Null), vec![]),
        (set(confidential.clone(), json!({"mode": "commercelayer"})), vec![]),
        (
            set(minimal(), json!({"mode": "commercelayer"})),
            vec!["applications[0].jwt_bearer: the JWT bearer grant is only for confidential applications: give this one a client secret"],
        ),
        (
            set(confidential.clone(), json!({"mode": "verified"})),
            vec!["applications[0].jwt_bearer: the verified mode needs either keys or jwks_uri, not both"],
        ),
        (
            set(confidential, json!({"jwks_uri": "http://keys.example"})),
            vec!["applications[0].jwt_bearer: jwks_uri must be an absolute https URL without a fragment"],
        ),
    ];
    for (seed, expected) in cases {
        assert_eq!(problems(seed.clone()), expected, "{seed}");
    }
    let seed = set(
        with(
            minimal(),
            "/applications/0/client_secret",
            json!("s".repeat(32)),
        ),
        json!({"mode": "commercelayer"}),
    );
    let catalog = parse_seed(&seed.to_string()).unwrap();
    assert_eq!(
        catalog.applications[0].jwt_bearer,
        Some(crate::jwt_bearer::JwtBearer::CommerceLayer)
    );
}
