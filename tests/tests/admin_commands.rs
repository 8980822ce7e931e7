//! The admin on the local side: `gatehouse apps|markets|audit` against DynamoDB (moto), run
//! as `main` runs them (parsed from arguments, printing to a buffer), and `gatehouse serve`'s
//! admin API over HTTP behind its admin token.

use std::sync::Arc;

use clap::Parser;
use gatehouse_admin::{AdminAccess, AdminApi, AdminToken};
use gatehouse_cli::admin::{run, AdminCommand};
use gatehouse_core::clock::{Clock, SystemClock};
use gatehouse_core::ratelimit::RateLimitPolicy;
use gatehouse_store::memory::MemoryStore;
use gatehouse_store::{AuditAction, Clients, Store};
use gatehouse_tests::*;
use serde_json::json;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: AdminCommand,
}

/// Runs `gatehouse <args> --table <table> --dynamodb-endpoint <endpoint>`: its output, or
/// its error as `main` would print it.
async fn gatehouse(table: &str, args: &[&str]) -> Result<String, String> {
    let endpoint = dynamodb_endpoint();
    let mut argv = vec!["gatehouse"];
    argv.extend(args);
    argv.extend(["--table", table, "--dynamodb-endpoint", &endpoint]);
    let cli = Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    run(cli.command, &mut out)
        .await
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8(out).unwrap())
}

/// The value printed after `label`.
fn printed<'a>(output: &'a str, label: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {output}"))
        .trim()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn the_admin_commands_manage_applications_markets_and_show_the_audit_log() {
    let store = demo_dynamo_store().await;
    let table = store.table().to_owned();
    let list = gatehouse(&table, &["apps", "list"]).await.unwrap();
    assert_eq!(list.lines().count(), 4, "{list}");
    assert!(
        list.contains("integration    test  enabled  client_id=demo-integration"),
        "{list}"
    );
    assert!(!list.contains("secret"), "{list}");
    let live = gatehouse(&table, &["apps", "list", "--mode", "live"])
        .await
        .unwrap();
    assert_eq!(live.lines().count(), 1, "{live}");

    let created = gatehouse(
        &table,
        &[
            "apps",
            "create",
            "--name",
            "ERP",
            "--kind",
            "integration",
            "--mode",
            "live",
            "--client-id",
            "erp",
            "--token-lifetime",
            "86400",
            "--actor",
            "ops",
        ],
    )
    .await
    .unwrap();
    let secret = printed(&created, "client_secret:").to_owned();
    assert_eq!(secret.len(), 43, "{created}");
    assert!(printed(&created, "token lifetime:").starts_with("86400 s"));
    let erp = store.find_application("erp").await.unwrap().unwrap();
    assert!(erp.secret_matches(&secret, test_start()));
    let shown = gatehouse(&table, &["apps", "show", "erp"]).await.unwrap();
    assert!(
        !shown.contains(&secret) && !shown.contains("client_secret"),
        "{shown}"
    );

    // A sales channel made confidential is given a secret, printed once.
    let shop = gatehouse(
        &table,
        &[
            "apps",
            "create",
            "--name",
            "Server shop",
            "--kind",
            "sales-channel",
            "--mode",
            "test",
            "--client-id",
            "server-shop",
            "--confidential",
        ],
    )
    .await
    .unwrap();
    assert_eq!(printed(&shop, "kind:"), "sales_channel (confidential)");
    let shop_secret = printed(&shop, "client_secret:").to_owned();
    let stored = store
        .find_application("server-shop")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.secret_matches(&shop_secret, test_start()));

    let refused = gatehouse(
        &table,
        &[
            "apps", "create", "--name", "Web", "--kind", "webapp", "--mode", "test",
        ],
    )
    .await
    .unwrap_err();
    assert!(
        refused.contains("redirect_uris: webapp applications need at least one redirect URI"),
        "{refused}"
    );
    let too_short = gatehouse(&table, &["apps", "update", "erp", "--token-lifetime", "60"])
        .await
        .unwrap_err();
    assert!(too_short.starts_with("token_lifetime: "), "{too_short}");

    let disabled = gatehouse(&table, &["apps", "disable", "erp"])
        .await
        .unwrap();
    assert_eq!(printed(&disabled, "enabled:"), "false");
    assert!(
        !store
            .find_application("erp")
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    gatehouse(&table, &["apps", "enable", "erp"]).await.unwrap();
    let narrowed = gatehouse(
        &table,
        &[
            "apps",
            "update",
            "demo-storefront",
            "--grant-type",
            "password",
            "--grant-type",
            "refresh_token",
        ],
    )
    .await
    .unwrap();
    assert_eq!(printed(&narrowed, "grants:"), "password, refresh_token");

    let rotated = gatehouse(
        &table,
        &["apps", "rotate-secret", "erp", "--overlap-seconds", "60"],
    )
    .await
    .unwrap();
    let new_secret = rotated
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("New client_secret for erp: "))
        .expect("the new secret")
        .to_owned();
    let erp = store.find_application("erp").await.unwrap().unwrap();
    assert!(erp.secret_matches(&new_secret, test_start()));
    assert!(
        rotated.contains("The previous secret is accepted until"),
        "{rotated}"
    );

    let market = gatehouse(&table, &["markets", "disable", "mkt_eu"])
        .await
        .unwrap();
    assert_eq!(
        market.trim(),
        "Market mkt_eu (1001 eu, test) is now disabled"
    );
    let missing = gatehouse(&table, &["markets", "enable", "mkt_nowhere"])
        .await
        .unwrap_err();
    assert_eq!(missing, "no market has id 'mkt_nowhere'");
    gatehouse(&table, &["apps", "delete", "erp"]).await.unwrap();
    assert!(store.find_application("erp").await.unwrap().is_none());

    let audit = gatehouse(&table, &["audit", "--limit", "20"])
        .await
        .unwrap();
    let lines: Vec<&str> = audit.lines().collect();
    assert_eq!(lines.len(), 8, "{audit}");
    assert!(
        lines[0].contains("application.delete") && lines[0].contains("by cli:"),
        "{audit}"
    );
    assert!(
        lines[6].contains("application.create") && lines[6].contains("server-shop"),
        "{audit}"
    );
    assert!(
        lines[7].contains("application.create") && lines[7].contains("by ops"),
        "{audit}"
    );
    assert!(!audit.contains(&secret) && !audit.contains(&new_secret) && !audit.contains("sha256"));
    assert!(!audit.contains(&shop_secret));
}

/// `gatehouse revoke`: each kind of subject, its epoch read back from the table, its audit
/// record, and a subject that does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn the_revoke_command_ends_every_token_of_a_subject_and_is_audited() {
    use gatehouse_core::revocation::{EpochSubject, TokenSubjects};
    use gatehouse_store::Revocations;
    let store = demo_dynamo_store().await;
    let table = store.table().to_owned();
    let now = || SystemClock.now().floor_seconds().0;
    let before = now();
    let revoked = gatehouse(&table, &["revoke", "customer", "cus_bob", "--mode", "test"])
        .await
        .unwrap();
    let after = now();
    let epoch: u64 = revoked
        .trim()
        .strip_prefix("Every token of owner#test#Customer#cus_bob issued before ")
        .and_then(|rest| rest.strip_suffix(" (Unix seconds) is revoked"))
        .unwrap_or_else(|| panic!("{revoked}"))
        .parse()
        .unwrap();
    // The second after the command ran.
    assert!(
        (before + 1..=after + 1).contains(&epoch),
        "{epoch} {before} {after}"
    );
    let bob = TokenSubjects {
        jti: "any".into(),
        family: None,
        application: EpochSubject::Application {
            id: "app_storefront".into(),
        },
        owner: Some(EpochSubject::Owner {
            mode: gatehouse_core::model::Mode::Test,
            owner_type: "Customer".into(),
            id: "cus_bob".into(),
        }),
        market: None,
    };
    let state = store.revocation_state(&bob).await.unwrap();
    assert_eq!(state.epochs.owner.map(|e| e.0), Some(epoch));
    assert_eq!(state.epochs.application, None);
    for args in [
        &["revoke", "application", STOREFRONT][..],
        &["revoke", "market", "mkt_eu"],
        &["revoke", "user", "usr_admin", "--mode", "test"],
    ] {
        let printed = gatehouse(&table, args).await.unwrap();
        assert!(printed.starts_with("Every token of "), "{printed}");
    }
    let state = store.revocation_state(&bob).await.unwrap();
    assert!(state.epochs.application.is_some());
    let missing = gatehouse(
        &table,
        &["revoke", "customer", "cus_nobody", "--mode", "test"],
    )
    .await
    .unwrap_err();
    assert_eq!(missing, "no customer has id 'cus_nobody'");
    let unnamed = gatehouse(&table, &["revoke", "customer", "cus_bob"]).await;
    assert!(unnamed.unwrap_err().contains("--mode"));
    let audit = gatehouse(&table, &["audit"]).await.unwrap();
    let revocations = audit
        .lines()
        .filter(|l| l.contains("tokens.revoke"))
        .count();
    assert_eq!(revocations, 4, "{audit}");
}

/// Issue 19: the commands accepted redirect URIs with line breaks, NUL, spaces and non-ASCII
/// characters; they now refuse them with the seed's and the admin API's own message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn the_jwt_bearer_setting_is_given_inline_or_from_a_file_and_turned_off() {
    let store = demo_dynamo_store().await;
    let table = store.table().to_owned();
    let create = |extra: &'static [&'static str]| {
        let table = table.clone();
        async move {
            let mut args = vec![
                "apps",
                "create",
                "--name",
                "Shop backend",
                "--kind",
                "sales-channel",
                "--mode",
                "test",
            ];
            args.extend(extra);
            gatehouse(&table, &args).await
        }
    };
    // A public sales channel may not have it.
    let refused = create(&["--jwt-bearer", r#"{"mode": "commercelayer"}"#])
        .await
        .unwrap_err();
    assert!(
        refused.contains("only for confidential applications"),
        "{refused}"
    );
    let bad = create(&["--confidential", "--jwt-bearer", "{mode"])
        .await
        .unwrap_err();
    assert!(bad.contains("not JSON"), "{bad}");
    let created = create(&[
        "--confidential",
        "--client-id",
        "shop-backend",
        "--jwt-bearer",
        r#"{"mode": "commercelayer"}"#,
    ])
    .await
    .unwrap();
    assert_eq!(
        printed(&created, "jwt bearer:"),
        r#"{"mode":"commercelayer"}"#
    );
    assert!(printed(&created, "grants:").contains("urn:ietf:params:oauth:grant-type:jwt-bearer"));
    let path = std::env::temp_dir().join(format!("jwks-uri-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"jwks_uri": "https://keys.shop.example/jwks.json"}"#,
    )
    .unwrap();
    let from_file = format!("@{}", path.display());
    let updated = gatehouse(
        &table,
        &["apps", "update", "shop-backend", "--jwt-bearer", &from_file],
    )
    .await
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        printed(&updated, "jwt bearer:"),
        r#"{"jwks_uri":"https://keys.shop.example/jwks.json","mode":"verified"}"#
    );
    let off = gatehouse(
        &table,
        &["apps", "update", "shop-backend", "--no-jwt-bearer"],
    )
    .await
    .unwrap();
    assert!(!off.contains("jwt bearer:"), "{off}");
    let stored = store
        .find_application("shop-backend")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.jwt_bearer, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn the_commands_refuse_a_redirect_uri_outside_the_uri_grammar() {
    let store = demo_dynamo_store().await;
    let table = store.table().to_owned();
    let prefix = "redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost): ";
    let cases = [
        (
            "https://web.example/cb\r\n",
            "character 23 (U+000D) is not allowed in the path",
        ),
        (
            "https://web.example/cb\u{0}",
            "character 23 (U+0000) is not allowed in the path",
        ),
        (
            "https://web.example/my cb",
            "character 23 (a space) is not allowed in the path",
        ),
        (
            "https://w\u{e9}b.example/cb",
            "character 10 (U+00E9) is not allowed in the host",
        ),
        (
            "http://localhost.evil.example/cb",
            "plain http is allowed only on a loopback host (localhost, 127.0.0.1 or [::1])",
        ),
    ];
    for (uri, reason) in cases {
        let created = gatehouse(
            &table,
            &[
                "apps",
                "create",
                "--name",
                "Web",
                "--kind",
                "webapp",
                "--mode",
                "test",
                "--client-id",
                "web",
                "--redirect-uri",
                uri,
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(created, format!("{prefix}{reason}"), "{uri:?}");
        let updated = gatehouse(
            &table,
            &["apps", "update", "demo-webapp", "--redirect-uri", uri],
        )
        .await
        .unwrap_err();
        assert_eq!(updated, format!("{prefix}{reason}"), "{uri:?}");
    }
    assert!(store.find_application("web").await.unwrap().is_none());
    let webapp = store
        .find_application("demo-webapp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(webapp.redirect_uris, ["http://localhost:8080/callback"]);
}

const ADMIN_TOKEN: &str = "local-admin-token-0123456789abcdefghij";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_the_admin_api_only_to_its_admin_token() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::from_catalog(&demo_catalog()));
    let without = spawn_server(store.clone(), RateLimitPolicy::default()).await;
    let answer = http_request(without, "GET", "/admin/applications", &[], "").await;
    assert_eq!(answer.status, 404);

    let admin = AdminApi {
        service: admin_service(store.clone(), Arc::new(SystemClock)),
        access: AdminAccess::Token(AdminToken::new(ADMIN_TOKEN).unwrap()),
    };
    let with =
        spawn_server_with_admin(store.clone(), RateLimitPolicy::default(), Some(admin)).await;
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for headers in [
        vec![],
        vec![(
            "authorization",
            "Bearer wrong-token-0123456789abcdefghijklmnop",
        )],
        vec![("authorization", "Basic bG9jYWw6eA==")],
    ] {
        let answer = http_request(with, "GET", "/admin/applications", &headers, "").await;
        assert_eq!(answer.status, 401, "{headers:?}");
        assert_eq!(
            answer.headers["www-authenticate"],
            "Bearer realm=\"gatehouse-admin\""
        );
        assert_eq!(
            assert_error_format(401, &answer.headers, &answer.body),
            "unauthorized"
        );
    }
    let listed = http_request(
        with,
        "GET",
        "/admin/applications",
        &[("authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["applications"].as_array().unwrap().len(), 4);
    let changed = http_request(
        with,
        "PATCH",
        "/admin/markets/mkt_us",
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
        ],
        &json!({"active": false}).to_string(),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let log = store.audit_log(1).await.unwrap();
    assert_eq!(
        (log[0].action, log[0].actor.as_str()),
        (AuditAction::MarketDisabled, "admin-token")
    );
    // Only the admin API is behind the token.
    let token = http_request(
        with,
        "POST",
        "/oauth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        "grant_type=client_credentials&client_id=demo-storefront&scope=market%3A1001",
    )
    .await;
    assert_eq!(token.status, 200);
}

#[test]
fn an_admin_token_shorter_than_32_characters_or_with_spaces_is_refused() {
    for token in [
        "",
        "short",
        &"x".repeat(31),
        &format!("{} {}", "x".repeat(20), "y".repeat(20)),
    ] {
        assert!(AdminToken::new(token).is_err(), "{token:?}");
    }
    assert!(AdminToken::new(&"x".repeat(32)).is_ok());
    assert_eq!(
        format!("{:?}", AdminToken::new(ADMIN_TOKEN).unwrap()),
        "AdminToken(..)"
    );
}
