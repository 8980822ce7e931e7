//! The token function called directly with API Gateway HTTP API (v2) events.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::clock::SystemClock;
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_core::seed::parse_seed;
use gatehouse_store::memory::MemoryStore;
use gatehouse_tests::*;
use gatehouse_token::handle;
use serde_json::{json, Value};

async fn post(event: TokenEvent) -> (u16, http::HeaderMap, Value) {
    let response = handle(event.request(), &demo_service()).await;
    (
        response.status().as_u16(),
        response.headers().clone(),
        body_json(&response),
    )
}

async fn storefront(scope: &str) -> (u16, http::HeaderMap, Value) {
    post(TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", scope),
    ]))
    .await
}

#[tokio::test]
async fn a_sales_channel_gets_a_market_scoped_token_with_the_contracts_claims() {
    let service = demo_service();
    let event = TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
    ]);
    let response = handle(event.request(), &service).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["ratelimit-limit"], "30");
    assert_eq!(response.headers()["ratelimit-remaining"], "29");
    let body = body_json(&response);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 14_400);
    assert_eq!(body["scope"], "market:1001");
    assert!(body.get("refresh_token").is_none() && body.get("owner_id").is_none());
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &service.keys,
        service.clock.as_ref(),
    );
    assert_eq!(body["created_at"], claims.iat);
    assert_eq!(claims.exp, claims.iat + 14_400);
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.scope, "market:1001");
    assert!(claims.test);
    assert_eq!(claims.organization.slug, "acme");
    let raw: Value = {
        use base64::Engine;
        let payload = body["access_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        raw["application"],
        json!({"id": "app_storefront", "client_id": STOREFRONT, "kind": "sales_channel", "public": true, "confidential": false})
    );
    assert_eq!(
        raw["market"],
        json!({"id": "mkt_eu", "number": 1001, "price_list_id": "pl_eur", "stock_location_ids": ["sl_ams", "sl_ber"]})
    );
    assert!(raw.get("owner").is_none());
    assert!(raw["jti"].as_str().is_some_and(|j| j.len() >= 20));
}

#[tokio::test]
async fn a_stock_location_in_scope_narrows_the_market_claim_and_the_scope_comes_back_as_asked() {
    let (status, _, body) = storefront("stock_location:code:ber market:code:eu").await;
    assert_eq!(status, 200, "{body}");
    // As asked, each token once, the market first.
    assert_eq!(body["scope"], "market:code:eu stock_location:code:ber");
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &test_keys(),
        &SystemClock,
    );
    assert_eq!(
        claims.market.unwrap().stock_location_ids,
        vec!["sl_ber".to_owned()]
    );
}

#[tokio::test]
async fn an_integration_without_scope_gets_market_all_and_its_own_lifetime() {
    let (status, _, body) = post(
        TokenEvent::form(&[("grant_type", "client_credentials")])
            .basic(INTEGRATION, INTEGRATION_SECRET),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "market:all");
    assert_eq!(body["expires_in"], 86_400);
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &test_keys(),
        &SystemClock,
    );
    assert!(claims.market.is_none());
    assert!(!claims.application.public);
}

#[tokio::test]
async fn credentials_in_a_json_body_work_like_form_credentials() {
    let (status, _, body) = post(TokenEvent::json(&json!({
        "grant_type": "client_credentials",
        "client_id": INTEGRATION,
        "client_secret": INTEGRATION_SECRET,
        "scope": "market:id:mkt_us"
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "market:id:mkt_us");
}

#[tokio::test]
async fn a_base64_encoded_event_body_is_read_like_a_text_body() {
    let form = format!("grant_type=client_credentials&client_id={STOREFRONT}&scope=market%3A1001");
    let (status, _, body) = post(
        TokenEvent::new()
            .header("content-type", "application/x-www-form-urlencoded")
            .binary_body(form.as_bytes()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn basic_credentials_are_form_url_decoded_as_rfc_6749_section_2_3_1_requires() {
    let secret = "p+ss/w%rd: with spaces & symbols 0123456789";
    let mut seed: Value = serde_json::from_str(gatehouse_core::seed::DEMO_SEED).unwrap();
    seed["applications"][1]["client_id"] = json!("erp:eu");
    seed["applications"][1]["client_secret"] = json!(secret);
    let catalog = parse_seed(&seed.to_string()).unwrap();
    let service = token_service(
        Arc::new(MemoryStore::from_catalog(&catalog)),
        Arc::new(SystemClock),
        RateLimitPolicy::default(),
    );
    let event = TokenEvent::form(&[("grant_type", "client_credentials")]).basic("erp:eu", secret);
    let response = handle(event.request(), &service).await;
    assert_eq!(response.status(), 200, "{}", body_json(&response));
}

#[tokio::test]
async fn a_test_application_never_reaches_live_records_and_a_live_one_gets_live_tokens() {
    let (status, _, body) = storefront("market:2001").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, _, body) = post(TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", LIVE_STOREFRONT),
        ("scope", "market:2001"),
    ]))
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !verify(
            body["access_token"].as_str().unwrap(),
            &test_keys(),
            &SystemClock
        )
        .test
    );
    let (status, _, _) = post(TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", LIVE_STOREFRONT),
        ("scope", "market:1001"),
    ]))
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn each_scope_rule_refuses_with_invalid_scope_and_says_which_rule() {
    let cases = [
        ("", "sales channels must put a market in scope"),
        ("market:all", "sales channels must put a market in scope"),
        ("market:1004", "market:1004 is disabled"),
        ("market:1003", "market:1003 is private to a customer group"),
        ("market:9999", "market:9999 does not exist"),
        ("market:code:mars", "market:code:mars does not exist"),
        (
            "market:1001 market:1002",
            "a token is scoped to one market at most",
        ),
        (
            "market:1001 stock_location:103",
            "stock_location:103 does not belong to market:1001",
        ),
        (
            "stock_location:101",
            "stock_location:101 needs its market in the same scope",
        ),
        (
            "market:1001 stock_location:999",
            "stock_location:999 does not exist",
        ),
        (
            "market:1001 warehouse:1",
            "scope token 'warehouse:1' is not valid",
        ),
    ];
    for (scope, description) in cases {
        let (status, headers, body) = storefront(scope).await;
        assert_eq!(status, 400, "{scope}: {body}");
        assert_eq!(
            assert_error_format(status, &headers, &body),
            "invalid_scope",
            "{scope}"
        );
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(description),
            "{scope}: {body}"
        );
    }
}

#[tokio::test]
async fn failed_client_authentication_is_a_401_and_names_basic_only_when_basic_was_used() {
    let cases: Vec<(TokenEvent, bool)> = vec![
        (
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
            ]),
            false,
        ),
        (
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", INTEGRATION),
            ]),
            false,
        ),
        (
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", INTEGRATION),
                ("client_secret", "wrong"),
            ]),
            false,
        ),
        (
            TokenEvent::form(&[("grant_type", "client_credentials")]),
            false,
        ),
        (
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &"x".repeat(5000)),
            ]),
            false,
        ),
        (
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("scope", "market:1001"),
            ])
            .basic(STOREFRONT, "a-secret"),
            true,
        ),
        (
            TokenEvent::form(&[("grant_type", "client_credentials")]).basic(INTEGRATION, "wrong"),
            true,
        ),
        (
            TokenEvent::form(&[("grant_type", "client_credentials")])
                .header("authorization", "Basic !!!not-base64"),
            true,
        ),
        (
            TokenEvent::form(&[("grant_type", "client_credentials")])
                .header("authorization", "Bearer abc"),
            true,
        ),
    ];
    for (i, (event, basic)) in cases.into_iter().enumerate() {
        let (status, headers, body) = post(event).await;
        assert_eq!(status, 401, "case {i}: {body}");
        assert_eq!(
            assert_error_format(status, &headers, &body),
            "invalid_client",
            "case {i}"
        );
        assert_eq!(headers.contains_key("www-authenticate"), basic, "case {i}");
    }
}

#[tokio::test]
async fn a_kind_using_a_grant_outside_the_table_is_an_unauthorized_client() {
    let webapp =
        TokenEvent::form(&[("grant_type", "client_credentials")]).basic(WEBAPP, WEBAPP_SECRET);
    let (status, _, body) = post(webapp).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    let integration_password = TokenEvent::form(&[
        ("grant_type", "password"),
        ("username", "a@b.c"),
        ("password", "x"),
    ])
    .basic(INTEGRATION, INTEGRATION_SECRET);
    let (status, _, body) = post(integration_password).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_grants_are_unsupported_grant_type() {
    for grant in [
        "implicit",
        "client-credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let (status, headers, body) = post(TokenEvent::form(&[
            ("grant_type", grant),
            ("client_id", STOREFRONT),
        ]))
        .await;
        assert_eq!(status, 400, "{grant}");
        assert_eq!(
            assert_error_format(status, &headers, &body),
            "unsupported_grant_type",
            "{grant}"
        );
    }
}

#[tokio::test]
async fn input_echoed_in_an_error_description_is_cut_short_and_cleaned_to_rfc_6749_characters() {
    let hostile = "x\r\nSet-Cookie: a=\"b\"\\\u{e9}\u{2028}\u{0}";
    let long = "y".repeat(500);
    let long_scope = format!("market:{}", "x".repeat(70));
    let cases: Vec<(&str, TokenEvent)> = vec![
        (
            "grant_type",
            TokenEvent::form(&[("grant_type", hostile), ("client_id", STOREFRONT)]),
        ),
        (
            "long grant_type",
            TokenEvent::form(&[("grant_type", &long), ("client_id", STOREFRONT)]),
        ),
        (
            "scope",
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", STOREFRONT),
                ("scope", hostile),
            ]),
        ),
        (
            "repeated parameter name",
            TokenEvent::new()
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&x%0D%0A%22%5C%C3%A9=1&x%0D%0A%22%5C%C3%A9=2"),
        ),
        (
            "JSON parameter name",
            TokenEvent::json(
                &json!({"grant_type": "client_credentials", "client_id": {hostile: 1}}),
            ),
        ),
        // The fuzzer's finds (fuzz/regressions/token_request/), as they were.
        (
            "fuzz: line break in a repeated name",
            TokenEvent::new()
                .header("content-type", "application/x-www-form-urlencoded")
                .body("f%0A=a&%0A=b"),
        ),
        (
            "fuzz: non-ASCII grant_type",
            TokenEvent::new()
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=%C3%A9"),
        ),
        (
            "fuzz: shortened scope token",
            TokenEvent::form(&[
                ("grant_type", "client_credentials"),
                ("client_id", STOREFRONT),
                ("scope", &long_scope),
            ]),
        ),
        (
            "JSON non-string known parameter",
            TokenEvent::new()
                .header("content-type", "application/json")
                .body("{\"grant_type\": \"client_credentials\", \"scope\": [\"\\r\\n\"]}"),
        ),
    ];
    for (name, event) in cases {
        let (status, headers, body) = post(event).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_error_format(status, &headers, &body);
        let description = body["error_description"].as_str().unwrap();
        assert!(description.len() < 300, "{name}: {description}");
        assert!(
            !description.contains("yyyyy".repeat(13).as_str()),
            "{name}: {description}"
        );
    }
}

#[tokio::test]
async fn bad_input_gets_a_4xx_in_the_documented_format_and_never_a_500() {
    let ok = [
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
    ];
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, TokenEvent, u16, &str)> = vec![
        ("malformed JSON", TokenEvent::new().header("content-type", "application/json").body("{\"grant_type\":"), 400, "invalid_request"),
        ("JSON array", TokenEvent::new().header("content-type", "application/json").body("[1,2]"), 400, "invalid_request"),
        ("JSON number for a parameter", TokenEvent::json(&json!({"grant_type": "client_credentials", "client_id": 42})), 400, "invalid_request"),
        ("JSON object for a parameter", TokenEvent::json(&json!({"grant_type": {"a": 1}})), 400, "invalid_request"),
        ("JSON repeated key", TokenEvent::new().header("content-type", "application/json")
            .body(r#"{"grant_type":"client_credentials","client_id":"demo-storefront","client_id":"x"}"#), 400, "invalid_request"),
        ("deeply nested JSON", TokenEvent::new().header("content-type", "application/json")
            .body(&format!("{{\"x\":{}{}}}", "[".repeat(5000), "]".repeat(5000))), 400, "invalid_request"),
        ("wrong content type", TokenEvent::new().header("content-type", "text/plain").body("grant_type=client_credentials"), 400, "invalid_request"),
        ("missing content type", TokenEvent::new().body("grant_type=client_credentials"), 400, "invalid_request"),
        ("empty body", TokenEvent::new().header("content-type", form).body(""), 400, "invalid_request"),
        ("missing grant_type", TokenEvent::form(&[("client_id", STOREFRONT)]), 400, "invalid_request"),
        ("empty grant_type", TokenEvent::form(&[("grant_type", ""), ("client_id", STOREFRONT)]), 400, "invalid_request"),
        ("repeated form parameter", TokenEvent::new().header("content-type", form)
            .body("grant_type=client_credentials&client_id=demo-storefront&scope=market%3A1001&scope=market%3A1002"), 400, "invalid_request"),
        ("unknown grant", TokenEvent::form(&[("grant_type", "magic"), ("client_id", STOREFRONT)]), 400, "unsupported_grant_type"),
        ("body over 16 KiB", TokenEvent::form(&[("grant_type", "client_credentials"), ("client_id", STOREFRONT), ("padding", &"a".repeat(16 * 1024))]), 400, "invalid_request"),
        ("non-UTF-8 body", TokenEvent::new().header("content-type", form).binary_body(b"grant_type=client_credentials&client_id=\xff\xfe"), 400, "invalid_request"),
        ("non-UTF-8 percent-encoding", TokenEvent::new().header("content-type", form).body("grant_type=client_credentials&client_id=%FF%FE"), 400, "invalid_request"),
        ("huge scope", TokenEvent::form(&[("grant_type", "client_credentials"), ("client_id", STOREFRONT), ("scope", &"market:1 ".repeat(1000))]), 400, "invalid_scope"),
        ("too many scope tokens", TokenEvent::form(&[("grant_type", "client_credentials"), ("client_id", STOREFRONT),
            ("scope", &(0..25).map(|i| format!("stock_location:{i}")).collect::<Vec<_>>().join(" "))]), 400, "invalid_scope"),
        ("control characters in scope", TokenEvent::form(&[("grant_type", "client_credentials"), ("client_id", STOREFRONT), ("scope", "market:1001\u{0}\n")]), 400, "invalid_scope"),
        ("non-ASCII scope", TokenEvent::form(&[("grant_type", "client_credentials"), ("client_id", STOREFRONT), ("scope", "market:code:évian")]), 400, "invalid_scope"),
        ("number overflow in scope", TokenEvent::form(&[("grant_type", "client_credentials"), ("client_id", STOREFRONT), ("scope", "market:184467440737095516160")]), 400, "invalid_scope"),
        ("Basic and body credentials", TokenEvent::form(&ok).basic(STOREFRONT, ""), 400, "invalid_request"),
        ("Basic and body secret", TokenEvent::form(&[("grant_type", "client_credentials"), ("client_secret", INTEGRATION_SECRET)])
            .basic(INTEGRATION, INTEGRATION_SECRET), 400, "invalid_request"),
        ("GET instead of POST", TokenEvent::form(&ok).method("GET"), 405, "method_not_allowed"),
    ];
    for (name, event, status, error) in cases {
        let (got, headers, body) = post(event).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(assert_error_format(got, &headers, &body), error, "{name}");
    }
}

#[tokio::test]
async fn unrecognized_parameters_and_null_values_are_ignored_as_rfc_6749_asks() {
    let (status, _, body) = post(TokenEvent::json(&json!({
        "grant_type": "client_credentials", "client_id": STOREFRONT, "scope": "market:1001",
        "client_secret": null, "extra": {"nested": [1, 2]}, "flag": true
    })))
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = post(TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
        ("client_secret", ""),
        ("utm", "x"),
    ]))
    .await;
    assert_eq!(status, 200, "{body}");
}

/// 200 requests from one address, released together: exactly 30 tokens, and 170 refusals
/// that each say when to come back, within the window. The window then holds exactly the 30:
/// it frees all at once 60 s later, for one request of 30 again.
async fn a_burst_of_200_from_one_ip_gets_exactly_30_tokens_and_170_retry_afters(
    store: Arc<dyn gatehouse_store::Store>,
) {
    let clock = manual_clock();
    let service = Arc::new(token_service(
        store,
        clock.clone(),
        RateLimitPolicy::default(),
    ));
    let request = || {
        TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:1001"),
        ])
        .source_ip("203.0.113.200")
    };
    let started = std::time::Instant::now();
    let responses = race(200, |_| {
        let (service, event) = (Arc::clone(&service), request());
        async move { handle(event.request(), &service).await }
    })
    .await;
    let mut statuses = Vec::new();
    for response in &responses {
        if response.status() == 429 {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry), "Retry-After {retry}");
            assert_eq!(response.headers()["ratelimit-remaining"], "0");
            assert_eq!(
                assert_error_format(429, response.headers(), &body_json(response)),
                "too_many_requests"
            );
        }
        statuses.push(response.status().as_u16());
    }
    let count = |status| statuses.iter().filter(|&&s| s == status).count();
    assert_eq!((count(200), count(429)), (30, 170), "{statuses:?}");
    println!("200 token requests answered in {:?}", started.elapsed());

    clock.advance(Duration::from_millis(59_999));
    assert_eq!(handle(request().request(), &service).await.status(), 429);
    clock.advance(Duration::from_millis(1));
    let response = handle(request().request(), &service).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["ratelimit-remaining"], "29");
}

async fn embedded_store() -> Arc<dyn gatehouse_store::Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

/// The demo table on moto, through a client that waits longer than production's (2 s an
/// attempt, 5 s in all): `scripts/moto_dynamodb.py` serves one request at a time, so the ~600
/// requests of 200 token requests queue behind one lock for seconds, where DynamoDB would
/// answer each in milliseconds. The race is about the window's atomic update, not latency.
async fn dynamodb_store() -> Arc<dyn gatehouse_store::Store> {
    let seeded = demo_dynamo_store().await;
    let client = gatehouse_store::dynamo::client(Some(&dynamodb_endpoint())).await;
    let patient = client
        .config()
        .to_builder()
        .timeout_config(
            aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    Arc::new(gatehouse_store::dynamo::DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(patient),
        seeded.table(),
    ))
}

on_both_stores!(crate::embedded_store, crate::dynamodb_store;
    a_burst_of_200_from_one_ip_gets_exactly_30_tokens_and_170_retry_afters,
);

#[tokio::test]
async fn the_limit_is_per_ip_shared_by_test_and_live_and_counts_refused_requests_too() {
    let clock = manual_clock();
    let service = token_service(
        Arc::new(MemoryStore::from_catalog(&demo_catalog())),
        clock.clone(),
        RateLimitPolicy::new(3, 60).unwrap(),
    );
    let send = |client: &str, ip: &str| {
        let event = TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("scope", "market:1001"),
        ])
        .source_ip(ip);
        handle(event.request(), &service)
    };
    assert_eq!(send(STOREFRONT, "198.51.100.1").await.status(), 200);
    assert_eq!(send(LIVE_STOREFRONT, "198.51.100.1").await.status(), 400); // counted though refused
    assert_eq!(send(STOREFRONT, "198.51.100.1").await.status(), 200);
    assert_eq!(send(STOREFRONT, "198.51.100.1").await.status(), 429);
    assert_eq!(send(STOREFRONT, "198.51.100.2").await.status(), 200);
    clock.advance(Duration::from_millis(59_999));
    assert_eq!(send(STOREFRONT, "198.51.100.1").await.status(), 429);
    clock.advance(Duration::from_millis(1));
    // All three counted requests came at the same instant, so all three have left the window.
    let response = send(STOREFRONT, "198.51.100.1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["ratelimit-remaining"], "2");
}

#[tokio::test]
async fn ipv6_clients_share_one_limit_per_64_however_they_rotate_inside_it() {
    let service = token_service(
        Arc::new(MemoryStore::from_catalog(&demo_catalog())),
        manual_clock(),
        RateLimitPolicy::new(3, 60).unwrap(),
    );
    let send = |ip: &str| {
        let event = TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", "market:1001"),
        ])
        .source_ip(ip);
        handle(event.request(), &service)
    };
    for ip in [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
    ] {
        assert_eq!(send(ip).await.status(), 200, "{ip}");
    }
    assert_eq!(send("2001:db8:1:2:ffff::9").await.status(), 429);
    // The next /64 is another network, and an IPv4 client another key again.
    assert_eq!(send("2001:db8:1:3::1").await.status(), 200);
    assert_eq!(send("198.51.100.1").await.status(), 200);
}

#[tokio::test]
async fn a_storage_failure_is_a_503_with_retry_after_and_no_internals() {
    let store = FaultyStore::new(MemoryStore::from_catalog(&demo_catalog()));
    store.fail("*");
    let service = token_service(
        Arc::new(store),
        Arc::new(SystemClock),
        RateLimitPolicy::default(),
    );
    let event = TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
    ]);
    let response = handle(event.request(), &service).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body = body_json(&response);
    assert_eq!(
        assert_error_format(503, response.headers(), &body),
        "temporarily_unavailable"
    );
    assert!(!body.to_string().contains("10.0.0.1") && !body.to_string().contains("gatehouse-prod"));
}

#[tokio::test]
async fn of_two_faults_in_one_request_the_earlier_in_the_documented_order_is_reported() {
    // The order (functions/token/src/request.rs, Incoming::admit): body, grant_type, storage,
    // client authentication, the grant table, the grant's own fields, the scope's syntax.
    let cases: Vec<(&str, TokenEvent, u16, &str, &str)> = vec![
        (
            "no grant_type and an unknown client",
            TokenEvent::form(&[("client_id", "nobody")]),
            400,
            "invalid_request",
            "grant_type is required",
        ),
        (
            "an unknown grant and an unknown client",
            TokenEvent::form(&[("grant_type", "magic"), ("client_id", "nobody")]),
            400,
            "unsupported_grant_type",
            "grant_type 'magic' is not supported",
        ),
        (
            "a wrong secret and a grant outside the table",
            TokenEvent::form(&[("grant_type", "client_credentials")]).basic(WEBAPP, "wrong"),
            401,
            "invalid_client",
            "",
        ),
        (
            "a grant outside the table and missing fields",
            TokenEvent::form(&[("grant_type", "password")]).basic(INTEGRATION, INTEGRATION_SECRET),
            400,
            "unauthorized_client",
            "",
        ),
        (
            "a missing username and a malformed scope",
            TokenEvent::form(&[
                ("grant_type", "password"),
                ("client_id", STOREFRONT),
                ("password", "x"),
                ("scope", "warehouse:1"),
            ]),
            400,
            "invalid_request",
            "username is required",
        ),
        (
            "a missing refresh_token and a malformed scope",
            TokenEvent::form(&[
                ("grant_type", "refresh_token"),
                ("client_id", STOREFRONT),
                ("scope", "warehouse:1"),
            ]),
            400,
            "invalid_request",
            "refresh_token is required",
        ),
        (
            "a malformed scope and a wrong password",
            TokenEvent::form(&[
                ("grant_type", "password"),
                ("client_id", STOREFRONT),
                ("username", "alice@example.com"),
                ("password", "wrong"),
                ("scope", "warehouse:1"),
            ]),
            400,
            "invalid_scope",
            "",
        ),
    ];
    for (name, event, status, error, description) in cases {
        let (got, headers, body) = post(event).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(assert_error_format(got, &headers, &body), error, "{name}");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(description),
            "{name}: {body}"
        );
    }
}

#[tokio::test]
async fn storage_trouble_is_reported_before_client_authentication() {
    let store = FaultyStore::new(MemoryStore::from_catalog(&demo_catalog()));
    store.fail("find_application");
    let service = token_service(
        Arc::new(store),
        Arc::new(SystemClock),
        RateLimitPolicy::default(),
    );
    let event = TokenEvent::form(&[("grant_type", "client_credentials")])
        .basic(INTEGRATION, "a wrong secret");
    let response = handle(event.request(), &service).await;
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn the_fixture_event_that_the_readme_invokes_gets_a_token() {
    let (status, _, body) = post(TokenEvent::fixture()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "market:1001");
}

#[tokio::test]
async fn a_browser_storefront_on_an_allowed_origin_passes_the_preflight_and_reads_the_token() {
    let mut runtime = runtime(
        Arc::new(MemoryStore::from_catalog(&demo_catalog())),
        Arc::new(SystemClock),
        RateLimitPolicy::default(),
    );
    runtime.config.cors =
        gatehouse_edge::cors::CorsPolicy::parse("https://shop.example.com").unwrap();
    let service = gatehouse_token::TokenService::new(&runtime, test_keys());
    let preflight = TokenEvent::new()
        .method("OPTIONS")
        .header("origin", "https://shop.example.com")
        .header("access-control-request-method", "POST");
    let response = handle(preflight.request(), &service).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    assert_eq!(response.headers()["access-control-allow-methods"], "POST");
    let request = TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
    ])
    .header("origin", "https://shop.example.com");
    let response = handle(request.request(), &service).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    // By default no origin is allowed: the same preflight gets no Access-Control-Allow-Origin.
    let response = handle(preflight.request(), &demo_service()).await;
    assert_eq!(response.status().as_u16(), 204);
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));
}

/// Issue 19: DynamoDB out of reach was logged and printed as "dispatch failure" and nothing
/// else. The store's error now names the endpoint and region and what to check; a client
/// still gets the plain 503, none of it.
#[tokio::test]
async fn an_unreachable_dynamodb_is_named_in_the_error_and_never_shown_to_a_client() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let store = gatehouse_store::dynamo::DynamoStore::new(
        gatehouse_store::dynamo::client(Some(&endpoint)).await,
        "gatehouse-nowhere",
    );
    let error = gatehouse_store::Clients::find_application(&store, STOREFRONT)
        .await
        .unwrap_err()
        .to_string();
    let named = format!("cannot reach DynamoDB at {endpoint} (region ");
    assert!(error.contains(&named), "{error}");
    assert!(
        error.contains("connection refused; check the endpoint URL, the network and that the service is running"),
        "{error}"
    );
    assert!(!error.contains("dispatch failure"), "{error}");

    let service = token_service(Arc::new(store), manual_clock(), RateLimitPolicy::default());
    let event = TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
    ]);
    let response = handle(event.request(), &service).await;
    assert_eq!(response.status(), 503);
    let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
    assert!(
        !text.contains("127.0.0.1") && !text.contains("reach"),
        "{text}"
    );
}
