//! The resource API through Lambda events, on both stores: what tokens of a sales channel
//! (market:1001), of a sales channel narrowed to a stock location (market:1001
//! stock_location:102) and of an integration (market:all) see of a catalog where two markets
//! share a SKU, one SKU is priced but not stocked, one is stocked but not priced in market 1001,
//! and one is stocked only at a location of the other market.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_api::ApiService;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::model::Catalog;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::seed::{parse_seed, DEMO_SEED};
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::{Import, Store};
use gatehouse_tests::*;
use gatehouse_token::TokenService;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

#[path = "resource_api/queries.rs"]
mod queries;

#[path = "resource_api/includes.rs"]
mod includes;

/// A sales channel that is a confidential client (it holds a secret).
const SERVER_SHOP: (&str, &str) = ("server-shop", "server-shop-secret-0123456789abcdef0123");

/// The demo seed plus a SKU priced in EUR but stocked nowhere, one priced in EUR and USD but
/// stocked only in New York (market 1002's location), and a confidential sales channel.
fn seed() -> Value {
    let mut seed: Value = serde_json::from_str(DEMO_SEED).unwrap();
    seed["applications"].as_array_mut().unwrap().push(json!({
        "id": "app_server_shop", "mode": "test", "name": "Server-rendered shop",
        "kind": "sales_channel", "client_id": SERVER_SHOP.0, "client_secret": SERVER_SHOP.1,
        "token_lifetime": null, "redirect_uris": [],
    }));
    let skus = seed["skus"].as_array_mut().unwrap();
    skus.push(json!({"id": "sku_priced_only", "mode": "test", "code": "PRICED-ONLY", "name": "Priced, never stocked"}));
    skus.push(json!({"id": "sku_us_only", "mode": "test", "code": "US-ONLY", "name": "Stocked in New York only"}));
    let prices = seed["prices"].as_array_mut().unwrap();
    prices.push(json!({"id": "pr_priced_only_eur", "mode": "test", "sku_code": "PRICED-ONLY", "price_list_id": "pl_eur", "amount_cents": 100}));
    prices.push(json!({"id": "pr_us_only_eur", "mode": "test", "sku_code": "US-ONLY", "price_list_id": "pl_eur", "amount_cents": 100}));
    prices.push(json!({"id": "pr_us_only_usd", "mode": "test", "sku_code": "US-ONLY", "price_list_id": "pl_usd", "amount_cents": 110}));
    seed["stock_items"].as_array_mut().unwrap().push(
        json!({"id": "si_us_only_nyc", "mode": "test", "sku_code": "US-ONLY", "stock_location_number": 103, "quantity": 7}),
    );
    seed
}

fn catalog(seed: &Value) -> Catalog {
    parse_seed(&seed.to_string()).unwrap()
}

struct Api {
    store: Arc<dyn Store>,
    token: TokenService,
    api: ApiService,
    clock: Arc<ManualClock>,
}

impl Api {
    fn on(store: Arc<dyn Store>) -> Self {
        let clock = manual_clock();
        Self {
            token: token_service(store.clone(), clock.clone(), RateLimitPolicy::default()),
            api: api_service(store.clone(), clock.clone()),
            store,
            clock,
        }
    }

    async fn token(&self, client: &str, secret: Option<&str>, scope: &str) -> String {
        let mut pairs = vec![("grant_type", "client_credentials"), ("scope", scope)];
        let event = match secret {
            Some(secret) => TokenEvent::form(&pairs).basic(client, secret),
            None => {
                pairs.push(("client_id", client));
                TokenEvent::form(&pairs)
            }
        };
        let response = gatehouse_token::handle(event.request(), &self.token).await;
        let body = body_json(&response);
        body["access_token"].as_str().expect("a token").to_owned()
    }

    async fn storefront(&self) -> String {
        self.token(STOREFRONT, None, "market:1001").await
    }

    async fn narrowed(&self) -> String {
        self.token(STOREFRONT, None, "market:1001 stock_location:102")
            .await
    }

    async fn integration(&self) -> String {
        self.token(INTEGRATION, Some(INTEGRATION_SECRET), "").await
    }

    async fn get(&self, token: Option<&str>, path_and_query: &str) -> Response<Body> {
        self.get_with(token, path_and_query, &[]).await
    }

    async fn get_with(
        &self,
        token: Option<&str>,
        path_and_query: &str,
        extra_headers: &[(&str, &str)],
    ) -> Response<Body> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut event = TokenEvent::new().method("GET").event().clone();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["routeKey"] = json!("GET /api/{proxy+}");
        event["rawQueryString"] = json!(query);
        event["body"] = Value::Null;
        let headers = event["headers"].as_object_mut().unwrap();
        headers.remove("content-type");
        if let Some(token) = token {
            headers.insert("authorization".into(), json!(format!("Bearer {token}")));
        }
        for (name, value) in extra_headers {
            headers.insert((*name).into(), json!(value));
        }
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        gatehouse_api::handle(request, &self.api).await
    }

    async fn ids(&self, token: &str, path: &str) -> Vec<String> {
        let response = self.get(Some(token), path).await;
        assert_eq!(response.status(), 200, "{path}: {}", body_json(&response));
        let body = body_json(&response);
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

async fn skus_are_those_sellable_in_the_tokens_market_and_locations(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let (storefront, narrowed, integration) = (
        api.storefront().await,
        api.narrowed().await,
        api.integration().await,
    );
    assert_eq!(
        api.ids(&storefront, "/api/skus").await,
        ["sku_mug", "sku_tshirt"]
    );
    assert_eq!(api.ids(&narrowed, "/api/skus").await, ["sku_mug"]);
    assert_eq!(
        api.ids(&integration, "/api/skus").await,
        [
            "sku_cap",
            "sku_mug",
            "sku_priced_only",
            "sku_tshirt",
            "sku_us_only"
        ]
    );
    // By id: a SKU the market does not sell is not found for that token.
    for (token, id, status) in [
        (&storefront, "sku_tshirt", 200),
        (&storefront, "sku_cap", 404),
        (&storefront, "sku_priced_only", 404),
        (&storefront, "sku_us_only", 404),
        (&narrowed, "sku_tshirt", 404),
        (&narrowed, "sku_mug", 200),
        (&integration, "sku_cap", 200),
        (&integration, "sku_nope", 404),
    ] {
        let response = api.get(Some(token), &format!("/api/skus/{id}")).await;
        assert_eq!(response.status(), status, "{id}");
        if status == 200 {
            let body = body_json(&response);
            assert_eq!(
                (body["data"]["type"].as_str(), body["data"]["id"].as_str()),
                (Some("skus"), Some(id))
            );
        } else {
            assert_eq!(body_json(&response)["errors"][0]["code"], "NOT_FOUND");
        }
    }
    // filter[q][code_eq]: a key read
    assert_eq!(
        api.ids(&storefront, "/api/skus?filter[q][code_eq]=TSHIRT-BLK-M")
            .await,
        ["sku_tshirt"]
    );
    assert!(api
        .ids(&storefront, "/api/skus?filter[q][code_eq]=CAP-RED")
        .await
        .is_empty());
    assert_eq!(
        api.ids(&integration, "/api/skus?filter%5Bq%5D%5Bcode_eq%5D=CAP-RED")
            .await,
        ["sku_cap"]
    );
}

async fn prices_and_stock_items_are_those_of_the_tokens_market(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let (storefront, narrowed, integration) = (
        api.storefront().await,
        api.narrowed().await,
        api.integration().await,
    );
    assert_eq!(
        api.ids(&storefront, "/api/prices").await,
        [
            "pr_mug_eur",
            "pr_priced_only_eur",
            "pr_tshirt_eur",
            "pr_us_only_eur"
        ]
    );
    assert_eq!(api.ids(&narrowed, "/api/prices").await.len(), 4);
    assert_eq!(api.ids(&integration, "/api/prices").await.len(), 7);
    assert_eq!(
        api.ids(&storefront, "/api/stock_items").await,
        ["si_cap_ams", "si_tshirt_ams", "si_mug_ber"]
    );
    assert_eq!(api.ids(&narrowed, "/api/stock_items").await, ["si_mug_ber"]);
    assert_eq!(api.ids(&integration, "/api/stock_items").await.len(), 5);
    assert_eq!(api.ids(&storefront, "/api/markets").await, ["mkt_eu"]);
    assert_eq!(
        api.ids(&integration, "/api/markets").await,
        ["mkt_eu", "mkt_us", "mkt_vip", "mkt_outlet"]
    );
    assert_eq!(
        api.get(Some(&storefront), "/api/markets/mkt_us")
            .await
            .status(),
        404
    );
    assert_eq!(
        api.get(Some(&storefront), "/api/markets/mkt_eu")
            .await
            .status(),
        200
    );
    assert_eq!(
        api.get(Some(&integration), "/api/markets/mkt_us")
            .await
            .status(),
        200
    );
}

async fn lists_are_paged_with_links_and_a_record_count(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let integration = api.integration().await;
    let response = api
        .get(Some(&integration), "/api/skus?page[number]=2&page[size]=2")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.api+json"
    );
    let body = body_json(&response);
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["sku_priced_only", "sku_tshirt"]);
    assert_eq!(body["meta"], json!({"record_count": 5, "page_count": 3}));
    let link = |name: &str| body["links"][name].as_str().map(str::to_owned);
    // On DynamoDB it also says where this page ended (`page[after]`).
    let next = link("next").unwrap();
    assert!(
        next.starts_with(&format!(
            "{ISSUER}/api/skus?page%5Bnumber%5D=3&page%5Bsize%5D=2"
        )),
        "{next}"
    );
    assert_eq!(
        link("prev").unwrap(),
        format!("{ISSUER}/api/skus?page%5Bnumber%5D=1&page%5Bsize%5D=2")
    );
    assert_eq!(
        link("last").unwrap(),
        format!("{ISSUER}/api/skus?page%5Bnumber%5D=3&page%5Bsize%5D=2")
    );
    let last = body_json(
        &api.get(Some(&integration), "/api/skus?page[number]=3&page[size]=2")
            .await,
    );
    assert_eq!(last["data"].as_array().unwrap().len(), 1);
    assert!(last["links"].get("next").is_none());
    // The market's stock items across its two locations' pages.
    let storefront = api.storefront().await;
    assert_eq!(
        api.ids(&storefront, "/api/stock_items?page[size]=2&page[number]=2")
            .await,
        ["si_mug_ber"]
    );
    for bad in [
        "page[size]=0",
        "page[size]=26",
        "page[number]=0",
        "page[number]=x",
        "page[after]=not%20base64",
        "page[after]=%2F%2F%2F%2F",
    ] {
        let response = api
            .get(Some(&integration), &format!("/api/skus?{bad}"))
            .await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(body_json(&response)["errors"][0]["code"], "BAD_REQUEST");
    }
}

/// Following `next` links from page 1 gives the same records, page by page, as asking for
/// each page by number, for every list and token; each page's count is the list's.
async fn following_next_links_reads_the_pages_their_numbers_name(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let tokens = [
        api.storefront().await,
        api.narrowed().await,
        api.integration().await,
    ];
    for token in &tokens {
        for list in ["skus", "prices", "stock_items"] {
            let mut numbered = Vec::new();
            for number in 1.. {
                let path = format!("/api/{list}?page[size]=2&page[number]={number}");
                let ids = api.ids(token, &path).await;
                if ids.is_empty() {
                    break;
                }
                numbered.extend(ids);
            }
            let mut followed = Vec::new();
            let mut next = Some(format!("{ISSUER}/api/{list}?page[size]=2"));
            while let Some(link) = next.take() {
                let path = link.strip_prefix(ISSUER).unwrap().to_owned();
                let body = body_json(&api.get(Some(token), &path).await);
                let ids = body["data"].as_array().unwrap().iter();
                followed.extend(ids.map(|r| r["id"].as_str().unwrap().to_owned()));
                assert_eq!(body["meta"]["record_count"], numbered.len(), "{path}");
                next = body["links"]["next"].as_str().map(str::to_owned);
            }
            assert_eq!(followed, numbered, "{list}");
        }
    }
}

async fn a_disabled_market_gives_its_tokens_no_data(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let storefront = api.storefront().await;
    let mut seed = seed();
    seed["markets"][0]["active"] = json!(false);
    api.store.import(&catalog(&seed)).await.unwrap();
    for path in [
        "/api/skus",
        "/api/prices",
        "/api/stock_items",
        "/api/markets",
        "/api/skus/sku_mug",
    ] {
        let response = api.get(Some(&storefront), path).await;
        assert_eq!(response.status(), 422, "{path}");
        let body = body_json(&response);
        assert_eq!(body["errors"][0]["code"], "MARKET_DISABLED");
        assert_eq!(body["errors"][0]["status"], "422");
    }
}

async fn environments_never_mix(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let live = api.token(LIVE_STOREFRONT, None, "market:2001").await;
    assert!(api.ids(&live, "/api/skus").await.is_empty());
    assert!(api.ids(&live, "/api/stock_items").await.is_empty());
    assert_eq!(api.ids(&live, "/api/markets").await, ["mkt_live_eu"]);
    assert_eq!(
        api.get(Some(&live), "/api/skus/sku_mug").await.status(),
        404
    );
    assert_eq!(
        api.get(Some(&live), "/api/markets/mkt_eu").await.status(),
        404
    );
}

async fn bad_tokens_get_a_401_invalid_token(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let storefront = api.storefront().await;
    let expired = {
        api.clock.advance(Duration::from_secs(14_400 + 61));
        api.get(Some(&storefront), "/api/skus").await
    };
    for (name, response) in [
        ("no token", api.get(None, "/api/skus").await),
        ("garbage", api.get(Some("not.a.token"), "/api/skus").await),
        ("expired", expired),
    ] {
        assert_eq!(response.status(), 401, "{name}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{name}"
        );
        let body = body_json(&response);
        assert_eq!(body["errors"][0]["code"], "INVALID_TOKEN", "{name}");
        assert_eq!(body["errors"][0]["title"], "Invalid token", "{name}");
        assert_eq!(body["errors"][0]["status"], "401", "{name}");
    }
    let integration = api.integration().await;
    assert_eq!(
        api.get(Some(&integration), "/api/orders").await.status(),
        404
    );
}

async fn ids_and_codes_that_cannot_exist_are_not_found_without_a_storage_error(
    store: Arc<dyn Store>,
) {
    let api = Api::on(store);
    let integration = api.integration().await;
    let long = "x".repeat(3000);
    for path in [format!("/api/skus/{long}"), format!("/api/markets/{long}")] {
        let response = api.get(Some(&integration), &path).await;
        assert_eq!(response.status(), 404, "{}", body_json(&response));
    }
    let response = api
        .get(
            Some(&integration),
            &format!("/api/skus?filter[q][code_eq]={long}"),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", body_json(&response));
    assert_eq!(body_json(&response)["meta"]["record_count"], 0);
}

/// JSON:API's rules: a query parameter the API does not apply is a 400 naming it, never
/// ignored; media type parameters it cannot honour are a 415 or a 406.
async fn what_json_api_says_cannot_be_honoured_is_refused_by_name(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let integration = api.integration().await;
    for (path, named) in [
        ("/api/skus?include[skus]=prices", "include[skus]"),
        ("/api/markets?page[limit]=1", "page[limit]"),
        ("/api/markets?sort[number]=asc", "sort[number]"),
        ("/api/prices?unknown=1", "unknown"),
    ] {
        let response = api.get(Some(&integration), path).await;
        let body = body_json(&response);
        assert_eq!(response.status(), 400, "{path}: {body}");
        assert_eq!(body["errors"][0]["code"], "BAD_REQUEST", "{path}");
        let detail = body["errors"][0]["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!("the query parameter {named} is not supported")),
            "{path}: {detail}"
        );
    }
    // An implementation-specific name (a character outside a-z) is not JSON:API's: left alone.
    let mut every_test_sku: Vec<String> = seed()["skus"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|sku| sku["mode"] == "test")
        .map(|sku| sku["id"].as_str().unwrap().to_owned())
        .collect();
    every_test_sku.sort();
    assert_eq!(
        api.ids(&integration, "/api/skus?_=1700000000&page[size]=25")
            .await,
        every_test_sku
    );

    // Every answer, a refusal as much as a document, is `application/vnd.api+json`.
    for (token, path, status) in [
        (None, "/api/skus", 401),
        (Some("not-a-token"), "/api/skus", 401),
        (Some(integration.as_str()), "/api/nothing", 404),
        (Some(integration.as_str()), "/api/skus/sku_nope", 404),
        (Some(integration.as_str()), "/api/skus?include=price", 400),
        (
            Some(integration.as_str()),
            "/api/skus?filter[q][colour_eq]=red",
            400,
        ),
        (Some(integration.as_str()), "/api/organization", 200),
    ] {
        let response = api.get(token, path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.api+json",
            "{path}"
        );
    }
    for (header, value, status) in [
        ("accept", "application/vnd.api+json", 200),
        ("accept", "application/vnd.api+json; q=0.8, */*", 200),
        ("accept", "application/vnd.api+json; charset=utf-8", 406),
        (
            "accept",
            "application/vnd.api+json; ext=\"https://example.com/e\"",
            406,
        ),
        (
            "content-type",
            "application/vnd.api+json; charset=utf-8",
            415,
        ),
        ("content-type", "application/vnd.api+json", 200),
    ] {
        let response = api
            .get_with(Some(&integration), "/api/skus", &[(header, value)])
            .await;
        assert_eq!(response.status(), status, "{header}: {value}");
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.api+json"
        );
        if status != 200 {
            let code = if status == 406 {
                "NOT_ACCEPTABLE"
            } else {
                "UNSUPPORTED_MEDIA_TYPE"
            };
            assert_eq!(body_json(&response)["errors"][0]["code"], code);
        }
    }
}

/// Commerce Layer's singletons: the token's organization (from the seed) and application (as
/// the seed describes it), whatever the token's kind and market.
async fn the_tokens_organization_and_application_are_served(store: Arc<dyn Store>) {
    let api = Api::on(store);
    let seed = seed();
    let organization = &seed["organization"];
    let slug = organization["slug"].as_str().unwrap();
    let domain = ISSUER
        .strip_prefix("https://auth.")
        .map(|d| format!("{slug}.{d}"));
    let tokens = [
        (api.storefront().await, STOREFRONT),
        (api.narrowed().await, STOREFRONT),
        (api.integration().await, INTEGRATION),
        (
            api.token(SERVER_SHOP.0, Some(SERVER_SHOP.1), "market:1001")
                .await,
            SERVER_SHOP.0,
        ),
    ];
    for (token, client_id) in &tokens {
        let response = api.get(Some(token), "/api/organization").await;
        let body = body_json(&response);
        assert_eq!(response.status(), 200, "{body}");
        assert_eq!(
            response.headers()["content-type"],
            "application/vnd.api+json"
        );
        assert_eq!(body["data"]["type"], "organizations");
        assert_eq!(body["data"]["id"], organization["id"]);
        assert_eq!(
            body["data"]["attributes"],
            json!({"domain": domain, "name": slug, "slug": slug})
        );

        let application = seed["applications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["client_id"] == *client_id)
            .unwrap();
        let response = api.get(Some(token), "/api/application").await;
        let body = body_json(&response);
        assert_eq!(response.status(), 200, "{body}");
        assert_eq!(body["data"]["type"], "applications");
        assert_eq!(body["data"]["id"], application["id"]);
        assert_eq!(
            body["data"]["attributes"],
            json!({
                "kind": application["kind"],
                "name": application["name"],
                "public_access": application["client_secret"].is_null(),
                "redirect_uri": application["redirect_uris"].get(0),
            })
        );
        let response = api
            .get(Some(token), "/api/application?fields[applications]=name")
            .await;
        assert_eq!(
            body_json(&response)["data"]["attributes"],
            json!({"name": application["name"]})
        );
    }
    for path in [
        "/api/organization?fields[organizations]=colour",
        "/api/organization?sort=name",
        "/api/application?page[size]=1",
    ] {
        let response = api.get(Some(&tokens[2].0), path).await;
        assert_eq!(response.status(), 400, "{path}: {}", body_json(&response));
    }
    assert_eq!(api.get(None, "/api/organization").await.status(), 401);
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&catalog(&seed())))
}

async fn dynamodb() -> Arc<dyn Store> {
    let store = fresh_dynamo_store(&dynamodb_endpoint()).await;
    store
        .import(&catalog(&seed()))
        .await
        .expect("catalog imported");
    Arc::new(store)
}

on_both_stores!(crate::memory, crate::dynamodb;
    skus_are_those_sellable_in_the_tokens_market_and_locations,
    prices_and_stock_items_are_those_of_the_tokens_market,
    lists_are_paged_with_links_and_a_record_count,
    following_next_links_reads_the_pages_their_numbers_name,
    a_disabled_market_gives_its_tokens_no_data,
    environments_never_mix,
    bad_tokens_get_a_401_invalid_token,
    ids_and_codes_that_cannot_exist_are_not_found_without_a_storage_error,
    what_json_api_says_cannot_be_honoured_is_refused_by_name,
    the_tokens_organization_and_application_are_served,
);
