//! Admin changes whose answer DynamoDB lost: the transaction committed, its answer came after
//! the SDK's attempt timeout, and the SDK sent it again (moto, like DynamoDB past the ten
//! minutes of a `ClientRequestToken`, then cancels it for the conditions the first send
//! consumed). The change is answered with its true outcome, made once: one audit record, the
//! rotation's overlap kept, the create's secret shown. Where every attempt's answer is lost
//! the caller gets a 503, and its retry under the same `Idempotency-Key` (the admin API's
//! caller, or the `gatehouse` command, which retries by itself) gets the first outcome.

use clap::Parser;
use gatehouse_cli::admin::{run, AdminCommand};
use gatehouse_core::clock::Clock;
use gatehouse_core::model::Mode;
use gatehouse_core::scope::ResourceRef;
use gatehouse_store::dynamo::MAX_ATTEMPTS;
use gatehouse_store::{Administration, AuditAction, Clients};

use super::*;

const KEY: &str = "0b7c5e4e-2f5a-4d8e-9b61-3c2a7f1d9e08";

impl Harness {
    /// An admin API request by the usual IAM caller, under `key` when one is given.
    async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Answer {
        let mut request = admin_event(method, path, "", body.as_ref(), Some(ADMIN_CALLER_ARN));
        if let Some(key) = key {
            request
                .headers_mut()
                .insert("idempotency-key", http::HeaderValue::from_str(key).unwrap());
        }
        Answer::of(gatehouse_admin::handle(request, &self.admin).await)
    }

    /// The audit log, oldest first, read once every fault is cleared.
    async fn audit_actions(&self) -> Vec<AuditAction> {
        self.proxy.heal();
        let mut log = self.store.audit_log(100).await.unwrap();
        log.reverse();
        log.into_iter().map(|record| record.action).collect()
    }

    /// `gatehouse <args>` on this table through the proxy: its output, or its error.
    async fn gatehouse(&self, args: &[&str]) -> Result<String, String> {
        #[derive(Parser)]
        struct Cli {
            #[command(subcommand)]
            command: AdminCommand,
        }
        let endpoint = self.proxy.endpoint();
        let mut argv = vec!["gatehouse"];
        argv.extend(args);
        argv.extend(["--table", &self.table, "--dynamodb-endpoint", &endpoint]);
        let cli = Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        run(cli.command, &mut out)
            .await
            .map_err(|e| e.to_string())?;
        Ok(String::from_utf8(out).unwrap())
    }
}

fn new_integration() -> Option<Value> {
    // No client_id: a create made twice would make two applications.
    Some(json!({"name": "ERP", "kind": "integration", "mode": "live"}))
}

/// The value the command printed after `label`.
fn printed<'a>(output: &'a str, label: &str) -> &'a str {
    output
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {output}"))
        .trim()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_create_whose_answer_was_lost_shows_its_secret_and_creates_once() {
    let harness = Harness::new().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    // No Idempotency-Key: the SDK's own resend is answered all the same.
    let created = harness
        .admin("POST", "/admin/applications", new_integration(), None)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let body = created.json();
    let client_id = body["client_id"].as_str().unwrap();
    let application = harness
        .store
        .find_application(client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        application.secret_matches(body["client_secret"].as_str().unwrap(), harness.clock.now())
    );
    let live = harness
        .store
        .list_applications(Some(Mode::Live))
        .await
        .unwrap();
    assert_eq!(live.len(), 2, "{live:?}");
    assert_eq!(
        harness.audit_actions().await,
        [AuditAction::ApplicationCreated]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_rotation_whose_answer_was_lost_keeps_the_previous_secret_for_the_overlap() {
    let harness = Harness::new().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate);
    let rotated = harness
        .admin(
            "POST",
            "/admin/applications/demo-integration/secret",
            Some(json!({"overlap_seconds": 3600})),
            Some(KEY),
        )
        .await;
    let body = rotated.assert_ok("the rotation");
    let integration = harness
        .store
        .find_application(INTEGRATION)
        .await
        .unwrap()
        .unwrap();
    assert!(integration
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify(body["client_secret"].as_str().unwrap()));
    let previous = integration.previous_client_secret.as_ref().unwrap();
    assert!(previous.hash.verify(INTEGRATION_SECRET));
    assert_eq!(
        previous.valid_until.0,
        test_start().floor_seconds().0 + 3600
    );
    assert_eq!(body["previous_secret_valid_until"], previous.valid_until.0);
    assert_eq!(harness.audit_actions().await, [AuditAction::SecretRotated]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn an_update_a_market_switch_and_a_deletion_whose_answers_were_lost_are_made_once() {
    let harness = Harness::new().await;
    // Each change's first send commits and its answer is lost; the SDK's resend gets through.
    let answer_lost = || {
        harness
            .proxy
            .fail("TransactWriteItems", 0, 1, Fault::AnswerTooLate)
    };
    answer_lost();
    let disabled = harness
        .admin(
            "PATCH",
            "/admin/applications/demo-webapp",
            Some(json!({"enabled": false})),
            None,
        )
        .await;
    assert_eq!(disabled.assert_ok("the update")["enabled"], false);
    answer_lost();
    harness.clock.advance(std::time::Duration::from_millis(1));
    let market = harness
        .admin(
            "PATCH",
            "/admin/markets/mkt_eu",
            Some(json!({"active": false})),
            None,
        )
        .await;
    assert_eq!(market.assert_ok("the market switch")["active"], false);
    answer_lost();
    harness.clock.advance(std::time::Duration::from_millis(1));
    let deleted = harness
        .admin("DELETE", "/admin/applications/demo-storefront", None, None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        harness
            .proxy
            .take_seen()
            .iter()
            .filter(|op| *op == "TransactWriteItems")
            .count(),
        6,
        "each change's transaction was sent twice"
    );

    harness.proxy.heal();
    assert!(!harness.store.application(WEBAPP).await.unwrap().enabled);
    let eu = harness
        .store
        .find_markets(Mode::Test, &[ResourceRef::Code("eu".into())])
        .await
        .unwrap();
    assert!(!eu[0].active);
    assert_eq!(
        harness.store.find_application(STOREFRONT).await.unwrap(),
        None
    );
    assert_eq!(
        harness.audit_actions().await,
        [
            AuditAction::ApplicationUpdated,
            AuditAction::MarketDisabled,
            AuditAction::ApplicationDeleted
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_create_answered_503_after_it_was_made_is_answered_by_its_retry_under_the_same_key() {
    let harness = Harness::new().await;
    // Every attempt the SDK makes: the first commits, and no answer arrives in time.
    harness.proxy.fail(
        "TransactWriteItems",
        0,
        MAX_ATTEMPTS as usize,
        Fault::AnswerTooLate,
    );
    let lost = harness
        .admin("POST", "/admin/applications", new_integration(), Some(KEY))
        .await;
    lost.assert_unavailable("the create");
    harness.proxy.heal();

    let retried = harness
        .admin("POST", "/admin/applications", new_integration(), Some(KEY))
        .await;
    assert_eq!(retried.status, 201, "{}", retried.text);
    let body = retried.json();
    let application = harness
        .store
        .find_application(body["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        application.secret_matches(body["client_secret"].as_str().unwrap(), harness.clock.now())
    );
    let live = harness
        .store
        .list_applications(Some(Mode::Live))
        .await
        .unwrap();
    assert_eq!(live.len(), 2, "one application made: {live:?}");
    assert_eq!(
        harness.audit_actions().await,
        [AuditAction::ApplicationCreated]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn the_command_retries_a_rotation_whose_answers_were_lost_under_one_key_and_prints_it() {
    let harness = Harness::new().await;
    harness.proxy.fail(
        "TransactWriteItems",
        0,
        MAX_ATTEMPTS as usize,
        Fault::AnswerTooLate,
    );
    let output = harness
        .gatehouse(&[
            "apps",
            "rotate-secret",
            INTEGRATION,
            "--overlap-seconds",
            "3600",
        ])
        .await
        .unwrap();
    let secret = printed(&output, &format!("New client_secret for {INTEGRATION}:"));
    harness.proxy.heal();
    let integration = harness
        .store
        .find_application(INTEGRATION)
        .await
        .unwrap()
        .unwrap();
    assert!(integration
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify(secret));
    let previous = integration.previous_client_secret.as_ref().unwrap();
    assert!(previous.hash.verify(INTEGRATION_SECRET), "rotated once");
    // The command runs on the system clock: the deadline is an hour after it ran.
    let since_start = previous.valid_until.0 - test_start().floor_seconds().0;
    assert!((3600..3600 + 600).contains(&since_start), "{since_start}");
    assert_eq!(harness.audit_actions().await, [AuditAction::SecretRotated]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_command_that_gives_up_names_its_key_and_run_again_with_it_changes_once() {
    let harness = Harness::new().await;
    harness
        .proxy
        .fail_always("TransactWriteItems", Fault::internal_server_error());
    let args = ["markets", "disable", "mkt_eu"];
    let failure = harness.gatehouse(&args).await.unwrap_err();
    // The argument as the message names it, one word, as a user would paste it.
    let named = failure
        .split_whitespace()
        .find(|word| word.starts_with("--idempotency-key="))
        .unwrap_or_else(|| panic!("no key named: {failure}"))
        .to_owned();
    harness.proxy.heal();
    let mut with_key = args.to_vec();
    with_key.push(&named);
    let first = harness.gatehouse(&with_key).await.unwrap();
    let again = harness.gatehouse(&with_key).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(harness.audit_actions().await, [AuditAction::MarketDisabled]);
}
