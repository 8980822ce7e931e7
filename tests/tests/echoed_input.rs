//! Issue 19: `error_description` echoed scope references uncut (1,027 characters seen), though
//! the contract says echoed input is cut short. Every endpoint family, sent a huge value in
//! each place its errors could quote one, answers a description that quotes at most 64 of
//! its characters and stays short.

use std::sync::Arc;

use gatehouse_admin::{AdminAccess, AdminApi};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::Store;
use gatehouse_tests::*;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

/// What a client sends: long enough to show any echo that is not cut. (A scope holds 1024
/// characters at most: a stock location's reference gets 900 of them.)
fn huge() -> String {
    "Z".repeat(1000)
}

/// The longest description any of these cases may get: its own words and 64 echoed
/// characters fit well within it. (The longest is an unknown field's, which lists every field
/// an application takes: 305 characters since `jwt_bearer`.)
const MAX_DESCRIPTION: usize = 320;

/// Where `description`, answered to `case`, quotes more than 64 characters of the huge value
/// or is longer than [`MAX_DESCRIPTION`] characters: what is wrong, briefly.
fn uncut(case: &str, description: &str) -> Option<String> {
    let length = description.chars().count();
    let echoed = description.contains(&"Z".repeat(65));
    (echoed || length > MAX_DESCRIPTION).then(|| {
        let start: String = description.chars().take(80).collect();
        format!("{case}: {length} characters, echoed uncut: {echoed}: {start}...")
    })
}

/// Asserts that no case was answered [`uncut`], naming every one that was.
fn assert_all_cut(failures: Vec<Option<String>>) {
    let failures: Vec<String> = failures.into_iter().flatten().collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The OAuth `error_description` of an error response, checked against the documented format.
fn oauth_description(case: &str, response: &Response<Body>) -> String {
    let status = response.status().as_u16();
    assert!((400..500).contains(&status), "{case}: {status}");
    let body = body_json(response);
    assert_error_format(status, response.headers(), &body);
    body["error_description"].as_str().unwrap().to_owned()
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

async fn token_errors_quote_at_most_64_characters(store: Arc<dyn Store>) {
    let service = token_service(store, manual_clock(), RateLimitPolicy::default());
    let huge = huge();
    let client_credentials = |scope: &str| {
        TokenEvent::form(&[
            ("grant_type", "client_credentials"),
            ("client_id", STOREFRONT),
            ("scope", scope),
        ])
    };
    let cases = [
        (
            "market code",
            client_credentials(&format!("market:code:{huge}")),
        ),
        (
            "market id",
            client_credentials(&format!("market:id:{huge}")),
        ),
        (
            "stock location code",
            client_credentials(&format!("market:1001 stock_location:code:{}", &huge[..900])),
        ),
        (
            "stock location id",
            client_credentials(&format!("market:1001 stock_location:id:{}", &huge[..900])),
        ),
        ("scope token", client_credentials(&huge)),
        (
            "scope too long",
            client_credentials(&format!("{huge}{huge}")),
        ),
        (
            "grant type",
            TokenEvent::form(&[("grant_type", &huge), ("client_id", STOREFRONT)]),
        ),
        (
            "client id",
            TokenEvent::form(&[("grant_type", "client_credentials"), ("client_id", &huge)]),
        ),
        (
            "repeated parameter",
            TokenEvent::new()
                .header("content-type", "application/x-www-form-urlencoded")
                .body(&format!("{huge}=1&{huge}=2")),
        ),
        (
            "basic credentials",
            TokenEvent::form(&[("grant_type", "client_credentials")]).basic(&huge, &huge),
        ),
        (
            "refresh token",
            TokenEvent::form(&[
                ("grant_type", "refresh_token"),
                ("client_id", STOREFRONT),
                ("refresh_token", &huge),
            ]),
        ),
        (
            "password",
            TokenEvent::form(&[
                ("grant_type", "password"),
                ("client_id", STOREFRONT),
                ("username", &huge),
                ("password", &huge),
                ("scope", "market:1001"),
            ]),
        ),
    ];
    let mut failures = Vec::new();
    for (case, event) in cases {
        let response = gatehouse_token::handle(event.request(), &service).await;
        failures.push(uncut(case, &oauth_description(case, &response)));
    }
    assert_all_cut(failures);
}

async fn revoke_errors_quote_at_most_64_characters(store: Arc<dyn Store>) {
    let service = revoke_service(store, manual_clock());
    let huge = huge();
    let revoke = |event: TokenEvent| {
        let mut event = event.event().clone();
        event["rawPath"] = json!("/oauth/revoke");
        event["requestContext"]["http"]["path"] = json!("/oauth/revoke");
        event["routeKey"] = json!("POST /oauth/revoke");
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    let cases = [
        (
            "repeated parameter",
            TokenEvent::new()
                .header("content-type", "application/x-www-form-urlencoded")
                .body(&format!("token=t&{huge}=1&{huge}=2")),
        ),
        (
            "client id",
            TokenEvent::form(&[("token", &huge), ("client_id", &huge)]),
        ),
        (
            "token type hint",
            TokenEvent::form(&[
                ("token", &huge),
                ("token_type_hint", &huge),
                ("client_id", STOREFRONT),
            ]),
        ),
    ];
    let mut failures = Vec::new();
    for (case, event) in cases {
        let response = gatehouse_revoke::handle(revoke(event), &service).await;
        if response.status().is_success() {
            continue; // RFC 7009 §2.2: an unknown token is answered 200.
        }
        failures.push(uncut(case, &oauth_description(case, &response)));
    }
    assert_all_cut(failures);
}

/// The authorization endpoint redirects its errors back once the client and redirect URI
/// check out (RFC 6749 §4.1.2.1), with `error_description` in the query.
async fn authorize_errors_quote_at_most_64_characters(store: Arc<dyn Store>) {
    let service = authorize_service(store, manual_clock(), RateLimitPolicy::default());
    let huge = huge();
    let redirect = "http://localhost:8080/callback";
    let query = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    };
    let request = |pairs: &[(&str, &str)]| {
        let mut event = TokenEvent::new().method("GET").event().clone();
        event["rawPath"] = json!("/oauth/authorize");
        event["requestContext"]["http"]["path"] = json!("/oauth/authorize");
        event["routeKey"] = json!("GET /oauth/authorize");
        event["rawQueryString"] = json!(query(pairs));
        event["body"] = Value::Null;
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    let asked = |scope: &str, response_type: &str, challenge: &str| {
        vec![
            ("response_type".to_owned(), response_type.to_owned()),
            ("client_id".to_owned(), WEBAPP.to_owned()),
            ("redirect_uri".to_owned(), redirect.to_owned()),
            ("scope".to_owned(), scope.to_owned()),
            ("code_challenge".to_owned(), challenge.to_owned()),
            ("code_challenge_method".to_owned(), "S256".to_owned()),
        ]
    };
    let challenge = gatehouse_core::pkce::s256_challenge(&"a".repeat(43)).unwrap();
    let cases = [
        (
            "market code",
            asked(&format!("market:code:{huge}"), "code", &challenge),
        ),
        (
            "stock location id",
            asked(
                &format!("market:1001 stock_location:id:{}", &huge[..900]),
                "code",
                &challenge,
            ),
        ),
        ("scope token", asked(&huge, "code", &challenge)),
        ("response type", asked("market:1001", &huge, &challenge)),
        ("code challenge", asked("market:1001", "code", &huge)),
    ];
    let mut failures = Vec::new();
    for (case, pairs) in cases {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        let response = gatehouse_authorize::handle(request(&pairs), &service).await;
        let location = response
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("{case}: no redirect ({})", response.status()))
            .to_str()
            .unwrap();
        let (_, query) = location.split_once('?').unwrap();
        let description = form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "error_description")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("{case}: {location}"));
        failures.push(uncut(case, &description));
    }
    assert_all_cut(failures);
    // Before the client checks out, errors are pages: they quote nothing of the request.
    let page = gatehouse_authorize::handle(
        request(&[("client_id", &huge), ("redirect_uri", &huge)]),
        &service,
    )
    .await;
    assert_eq!(page.status(), 400);
    let text = String::from_utf8_lossy(page.body().as_ref()).into_owned();
    assert!(!text.contains(&"Z".repeat(65)), "{text}");
}

async fn admin_errors_quote_at_most_64_characters(store: Arc<dyn Store>) {
    let api = AdminApi {
        service: admin_service(store, manual_clock()),
        access: AdminAccess::IamCaller,
    };
    let huge = huge();
    let app = |extra: Value| {
        let mut body = json!({"name": "X", "kind": "webapp", "mode": "test",
                              "redirect_uris": ["https://x.example/cb"]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let created = |body: Value| ("POST", "/admin/applications".to_owned(), "", Some(body));
    let cases = [
        ("unknown field", created(app(json!({ huge.clone(): 1 })))),
        ("unknown kind", created(app(json!({"kind": huge})))),
        ("unknown mode", created(app(json!({"mode": huge})))),
        (
            "lifetime of the wrong type",
            created(app(json!({"token_lifetime": huge}))),
        ),
        ("grant type", created(app(json!({"grant_types": [huge]})))),
        ("client id", created(app(json!({"client_id": huge})))),
        ("name", created(app(json!({"name": huge})))),
        (
            "redirect uri",
            created(app(
                json!({"redirect_uris": [format!("https://x/{huge} ")]}),
            )),
        ),
        (
            "nested unknown field",
            created(app(json!({"grant_types": {huge.clone(): huge}}))),
        ),
        (
            "application",
            ("GET", format!("/admin/applications/{huge}"), "", None),
        ),
        (
            "application update",
            (
                "PATCH",
                format!("/admin/applications/{huge}"),
                "",
                Some(json!({"name": "Y"})),
            ),
        ),
        (
            "secret rotation",
            (
                "POST",
                format!("/admin/applications/{huge}/secret"),
                "",
                None,
            ),
        ),
        (
            "market",
            (
                "PATCH",
                format!("/admin/markets/{huge}"),
                "",
                Some(json!({"active": true})),
            ),
        ),
        (
            "unknown change of a market",
            (
                "PATCH",
                "/admin/markets/mkt_eu".to_owned(),
                "",
                Some(json!({ huge.clone(): true })),
            ),
        ),
        (
            "rotation of a public client",
            (
                "POST",
                format!("/admin/applications/{STOREFRONT}/secret"),
                "",
                None,
            ),
        ),
    ];
    let mut failures = Vec::new();
    for (case, (method, path, query, body)) in cases {
        let request = admin_event(method, &path, query, body.as_ref(), Some(ADMIN_CALLER_ARN));
        let response = gatehouse_admin::handle(request, &api).await;
        failures.push(uncut(case, &oauth_description(case, &response)));
    }
    let query = format!("{huge}=1");
    let request = admin_event(
        "GET",
        "/admin/applications",
        &query,
        None,
        Some(ADMIN_CALLER_ARN),
    );
    let response = gatehouse_admin::handle(request, &api).await;
    failures.push(uncut(
        "query parameter",
        &oauth_description("query parameter", &response),
    ));
    assert_all_cut(failures);
}

async fn resource_api_errors_quote_at_most_64_characters(store: Arc<dyn Store>) {
    let clock = manual_clock();
    let token_service = token_service(store.clone(), clock.clone(), RateLimitPolicy::default());
    let api = api_service(store, clock);
    let event = TokenEvent::form(&[
        ("grant_type", "client_credentials"),
        ("client_id", STOREFRONT),
        ("scope", "market:1001"),
    ]);
    let token = body_json(&gatehouse_token::handle(event.request(), &token_service).await)
        ["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let huge = huge();
    let cases = [
        (
            "repeated parameter",
            "/api/skus".to_owned(),
            format!("{huge}=1&{huge}=2"),
        ),
        (
            "page size",
            "/api/skus".to_owned(),
            format!("page[size]={huge}"),
        ),
        (
            "page number",
            "/api/skus".to_owned(),
            format!("page[number]={huge}"),
        ),
        ("record", format!("/api/skus/{huge}"), String::new()),
        ("resource", format!("/api/{huge}"), String::new()),
    ];
    let mut failures = Vec::new();
    for (case, path, query) in cases {
        let mut event = TokenEvent::new().method("GET").event().clone();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["routeKey"] = json!("GET /api/{proxy+}");
        event["rawQueryString"] = json!(query);
        event["body"] = Value::Null;
        event["headers"]["authorization"] = json!(format!("Bearer {token}"));
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = gatehouse_api::handle(request, &api).await;
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{case}: {status}");
        let detail = body_json(&response)["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .to_owned();
        failures.push(uncut(case, &detail));
    }
    assert_all_cut(failures);
}

on_both_stores!(crate::memory, crate::dynamodb;
    token_errors_quote_at_most_64_characters,
    revoke_errors_quote_at_most_64_characters,
    authorize_errors_quote_at_most_64_characters,
    admin_errors_quote_at_most_64_characters,
    resource_api_errors_quote_at_most_64_characters,
);
