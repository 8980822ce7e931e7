//! The flow itself: every grant, rotation, revocation, the code flow, the API and a few
//! refusals.

use super::*;

/// Runs every grant, rotation, revocation, the code flow, the API and a few refusals.
pub async fn run_the_flow(flow: &Flow) {
    for secret in [
        INTEGRATION_SECRET,
        WEBAPP_SECRET,
        WRONG_SECRET,
        WRONG_PASSWORD,
        WRONG_WEBAPP_SECRET,
        VERIFIER,
    ] {
        flow.secret(secret);
    }
    let cc = [
        ("grant_type", "client_credentials"),
        ("scope", "market:1001"),
    ];
    flow.token_ok(
        &cc,
        Some((INTEGRATION, INTEGRATION_SECRET)),
        "client_credentials",
        "demo-integration",
    )
    .await;
    let address = flow.fresh_address();
    flow.token(
        &cc,
        Some((INTEGRATION, WRONG_SECRET)),
        &address,
        refused(
            "client_credentials",
            Some("demo-integration"),
            401,
            "invalid_client",
        ),
    )
    .await;

    let login = |password| {
        [
            ("grant_type", "password"),
            ("client_id", STOREFRONT),
            ("username", BOB.0),
            ("password", password),
            ("scope", "market:1001"),
        ]
    };
    let session = flow
        .token_ok(&login(BOB.1), None, "password", STOREFRONT)
        .await;
    let address = flow.fresh_address();
    flow.token(
        &login(WRONG_PASSWORD),
        None,
        &address,
        refused("password", Some(STOREFRONT), 400, "invalid_grant"),
    )
    .await;
    let first = session["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("client_id", STOREFRONT.to_owned()),
            ("refresh_token", token.to_owned()),
        ]
    };
    let pairs = refresh(&first);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rotated = flow
        .token_ok(&pairs, None, "refresh_token", STOREFRONT)
        .await;
    let address = flow.fresh_address();
    flow.token(
        &pairs,
        None,
        &address,
        refused("refresh_token", Some(STOREFRONT), 400, "invalid_grant"),
    )
    .await;
    let rotated_token = rotated["refresh_token"].as_str().unwrap();
    flow.revoke(rotated_token, RevokeAs::Public(STOREFRONT), 200, None)
        .await;

    let code = flow.authorization_code().await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let owned = flow
        .token_ok(
            &exchange,
            Some((WEBAPP, WEBAPP_SECRET)),
            "authorization_code",
            WEBAPP,
        )
        .await;
    let access = owned["access_token"].as_str().unwrap();
    flow.api("/api/markets", access, 200, None).await;
    let forged = format!("{}AAAA", &access[..access.len() - 4]);
    flow.secret(&forged);
    flow.api("/api/skus/sku_tshirt", &forged, 401, Some("invalid_token"))
        .await;

    // The webapp refreshes with its secret, then logs out; a wrong secret is refused first.
    let code_refresh = owned["refresh_token"].as_str().unwrap().to_owned();
    let webapp_refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", code_refresh.as_str()),
    ];
    let rotated = flow
        .token_ok(
            &webapp_refresh,
            Some((WEBAPP, WEBAPP_SECRET)),
            "refresh_token",
            WEBAPP,
        )
        .await;
    let newest = rotated["refresh_token"].as_str().unwrap();
    flow.revoke(
        newest,
        RevokeAs::Confidential(WEBAPP, WRONG_WEBAPP_SECRET),
        401,
        Some("invalid_client"),
    )
    .await;
    flow.revoke(
        newest,
        RevokeAs::Confidential(WEBAPP, WEBAPP_SECRET),
        200,
        None,
    )
    .await;
    // The code a second time: refused, and what it issued is revoked.
    let address = flow.fresh_address();
    flow.token(
        &exchange,
        Some((WEBAPP, WEBAPP_SECRET)),
        &address,
        refused("authorization_code", Some(WEBAPP), 400, "invalid_grant"),
    )
    .await;

    // A refresh token reused past the grace period revokes its family: the reused token and
    // the newest one are both refused.
    let second_login = flow
        .token_ok(&login(BOB.1), None, "password", STOREFRONT)
        .await;
    let old = second_login["refresh_token"].as_str().unwrap().to_owned();
    let old_pairs = refresh(&old);
    let old_pairs: Vec<(&str, &str)> = old_pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let next = flow
        .token_ok(&old_pairs, None, "refresh_token", STOREFRONT)
        .await;
    flow.clock
        .advance(ServiceConfig::default_refresh_reuse_grace() + Duration::from_secs(1));
    let next = next["refresh_token"].as_str().unwrap().to_owned();
    let next_pairs = refresh(&next);
    let next_pairs: Vec<(&str, &str)> = next_pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for pairs in [&old_pairs, &next_pairs] {
        let address = flow.fresh_address();
        flow.token(
            pairs,
            None,
            &address,
            refused("refresh_token", Some(STOREFRONT), 400, "invalid_grant"),
        )
        .await;
    }

    // One address over its limit.
    let address = flow.fresh_address();
    for attempt in 0..=TOKEN_LIMIT {
        let expected = if attempt < TOKEN_LIMIT {
            Expected {
                route: "/oauth/token",
                status: 200,
                grant: Some("client_credentials"),
                client_id: Some(STOREFRONT),
                error: None,
            }
        } else {
            refused(
                "client_credentials",
                Some(STOREFRONT),
                429,
                "too_many_requests",
            )
        };
        let body = flow
            .token(
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", STOREFRONT),
                    ("scope", "market:1001"),
                ],
                None,
                &address,
                expected,
            )
            .await;
        if let Some(token) = body["access_token"].as_str() {
            flow.secret(token);
        }
    }
}
