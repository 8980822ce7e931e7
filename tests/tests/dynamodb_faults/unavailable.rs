//! DynamoDB refuses: throttling, 500s, transactions cancelled for a reason other than a
//! condition. Nothing was applied, so nothing may have changed, and a retry once it clears
//! makes every change exactly once.

use gatehouse_store::dynamo::MAX_ATTEMPTS;

use super::*;

/// What a request changed in the table.
fn changed(before: State, after: State) -> State {
    State {
        refresh_tokens: after.refresh_tokens - before.refresh_tokens,
        consumed_refresh_tokens: after.consumed_refresh_tokens - before.consumed_refresh_tokens,
        codes: after.codes - before.codes,
        consumed_codes: after.consumed_codes - before.consumed_codes,
        families: after.families - before.families,
        revoked_families: after.revoked_families - before.revoked_families,
        // A successful sign-in deletes its account's window: the count may fall.
        counted: after.counted.wrapping_sub(before.counted),
    }
}

/// One token request counted in its address's window, and nothing else.
const COUNTED: State = State {
    refresh_tokens: 0,
    consumed_refresh_tokens: 0,
    codes: 0,
    consumed_codes: 0,
    families: 0,
    revoked_families: 0,
    counted: 1,
};

const NOTHING: State = State {
    counted: 0,
    ..COUNTED
};

/// The request each case sends.
#[derive(Clone, Copy, Debug)]
enum Sent {
    ClientCredentials,
    Login,
    Refresh,
    Exchange,
    Revoke,
    SignIn,
}

/// A request, the operation that fails under it, and what it changes when it fails and when
/// it succeeds. (`Revoke` and `SignIn` ignore the rate-limit count: whether revocation is rate
/// limited, and how a sign-in clears its account's window, are not what these cases are about.)
const CASES: [(Sent, &str, State, State); 7] = [
    (Sent::ClientCredentials, "UpdateItem", NOTHING, COUNTED),
    // The limiter accepted the request before the lookup failed: counted, as documented.
    (Sent::ClientCredentials, "BatchGetItem", COUNTED, COUNTED),
    (
        Sent::Login,
        "TransactWriteItems",
        COUNTED,
        State {
            refresh_tokens: 1,
            families: 1,
            ..COUNTED
        },
    ),
    (
        Sent::Refresh,
        "TransactWriteItems",
        COUNTED,
        State {
            refresh_tokens: 1,
            consumed_refresh_tokens: 1,
            ..COUNTED
        },
    ),
    (
        Sent::Exchange,
        "TransactWriteItems",
        COUNTED,
        State {
            refresh_tokens: 1,
            consumed_codes: 1,
            families: 1,
            ..COUNTED
        },
    ),
    (
        Sent::Revoke,
        "UpdateItem",
        NOTHING,
        State {
            revoked_families: 1,
            ..NOTHING
        },
    ),
    // The sign-in stores its code in one transaction with its sign-in windows' conditions.
    (
        Sent::SignIn,
        "TransactWriteItems",
        NOTHING,
        State {
            codes: 1,
            ..NOTHING
        },
    ),
];

/// The fixtures one harness's cases use: a refresh token to refresh, a code to exchange, a
/// refresh token to revoke, and a sign-in window that exists.
struct Fixtures {
    refresh: String,
    code: String,
    revoke: String,
}

async fn fixtures(harness: &Harness) -> Fixtures {
    let refresh = refresh_token_of(&harness.login().await.assert_ok("first login"));
    let revoke = refresh_token_of(&harness.login().await.assert_ok("second login"));
    let code = harness.code().await;
    assert_eq!(harness.sign_in_with("wrong").await.status, 401);
    Fixtures {
        refresh,
        code,
        revoke,
    }
}

async fn send(harness: &Harness, sent: Sent, fixtures: &Fixtures) -> Answer {
    match sent {
        Sent::ClientCredentials => harness.client_credentials().await,
        Sent::Login => harness.login().await,
        Sent::Refresh => harness.refresh(&fixtures.refresh).await,
        Sent::Exchange => harness.exchange(&fixtures.code).await,
        Sent::Revoke => harness.revoke(&fixtures.revoke).await,
        Sent::SignIn => harness.sign_in().await,
    }
}

fn assert_refused(sent: Sent, answer: &Answer, what: &str) {
    match sent {
        // The sign-in is a browser page: an HTML page says so, with the same status and header.
        Sent::SignIn => {
            assert_eq!(answer.status, 503, "{what}: {}", answer.text);
            assert_eq!(answer.headers["retry-after"], "1", "{what}");
            assert!(
                answer.text.contains("unavailable"),
                "{what}: {}",
                answer.text
            );
        }
        _ => answer.assert_unavailable(what),
    }
}

fn assert_succeeded(sent: Sent, answer: &Answer, what: &str) {
    match sent {
        Sent::SignIn => {
            Harness::code_of(answer);
        }
        _ => {
            answer.assert_ok(what);
        }
    }
}

/// Runs every case under `fault`, which DynamoDB keeps answering until the case heals it.
async fn every_case_under(fault: Fault, name: &str) {
    let harness = Harness::new().await;
    let fixtures = fixtures(&harness).await;
    for (sent, operation, on_failure, on_success) in CASES {
        let what = format!("{sent:?} while {operation} gets {name}");
        let before = harness.state().await;
        harness.proxy.fail_always(operation, fault.clone());
        let answer = send(&harness, sent, &fixtures).await;
        harness.proxy.heal();
        assert_refused(sent, &answer, &what);
        let mut after = changed(before, harness.state().await);
        if let Sent::Revoke | Sent::SignIn = sent {
            after.counted = 0;
        }
        assert_eq!(after, on_failure, "{what}: what the failed request changed");

        let before = harness.state().await;
        let answer = send(&harness, sent, &fixtures).await;
        assert_succeeded(sent, &answer, &format!("{what}, retried once it cleared"));
        let mut after = changed(before, harness.state().await);
        if let Sent::Revoke | Sent::SignIn = sent {
            after.counted = 0;
        }
        assert_eq!(after, on_success, "{what}: what the retry changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn while_the_table_exceeds_its_throughput_every_endpoint_is_a_503_that_changed_nothing() {
    every_case_under(
        Fault::provisioned_throughput_exceeded(),
        "ProvisionedThroughputExceeded",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn while_dynamodb_throttles_every_endpoint_is_a_503_that_changed_nothing() {
    every_case_under(Fault::throttling(), "ThrottlingException").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn while_dynamodb_answers_500_every_endpoint_is_a_503_that_changed_nothing() {
    every_case_under(Fault::internal_server_error(), "HTTP 500").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_transaction_cancelled_for_throttling_or_a_conflict_is_a_503_never_a_lockout_or_a_replay()
{
    let harness = Harness::new().await;
    let fixtures = fixtures(&harness).await;
    // Each transaction's items in order: sign-in [window, family, token]; rotation [family,
    // presented token, successor]; redemption [code, family, token]. The failing item is never
    // one whose condition failed, so none of them may be read as a lockout or a reuse.
    let cases: [(Sent, &[&str], State); 5] = [
        (Sent::Login, &["None", "ThrottlingError", "None"], COUNTED),
        (
            Sent::Login,
            &["TransactionConflict", "None", "None"],
            COUNTED,
        ),
        (
            Sent::Refresh,
            &["None", "TransactionConflict", "None"],
            COUNTED,
        ),
        (
            Sent::Exchange,
            &["None", "None", "ThrottlingError"],
            COUNTED,
        ),
        (
            Sent::Exchange,
            &["TransactionConflict", "None", "None"],
            COUNTED,
        ),
    ];
    for (sent, reasons, on_failure) in cases {
        let what = format!("{sent:?} cancelled for {reasons:?}");
        let before = harness.state().await;
        harness
            .proxy
            .fail_always("TransactWriteItems", Fault::transaction_cancelled(reasons));
        let answer = send(&harness, sent, &fixtures).await;
        harness.proxy.heal();
        answer.assert_unavailable(&what);
        assert_eq!(changed(before, harness.state().await), on_failure, "{what}");
    }
    // Once it clears, the same refresh token and code still work, and nothing was revoked.
    for sent in [Sent::Login, Sent::Refresh, Sent::Exchange] {
        send(&harness, sent, &fixtures)
            .await
            .assert_ok(&format!("{sent:?} after the cancellations"));
    }
    assert_eq!(harness.state().await.revoked_families, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn one_cancelled_rotation_is_retried_by_the_store_and_rotates_once() {
    let harness = Harness::new().await;
    let fixtures = fixtures(&harness).await;
    let before = harness.state().await;
    harness.proxy.fail(
        "TransactWriteItems",
        0,
        1,
        Fault::transaction_cancelled(&["None", "TransactionConflict", "None"]),
    );
    let body = harness
        .refresh(&fixtures.refresh)
        .await
        .assert_ok("refresh");
    assert_eq!(
        changed(before, harness.state().await),
        State {
            refresh_tokens: 1,
            consumed_refresh_tokens: 1,
            ..COUNTED
        }
    );
    harness
        .refresh(&refresh_token_of(&body))
        .await
        .assert_ok("the successor refreshes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn the_sdk_retries_a_throttled_request_a_bounded_number_of_times() {
    let harness = Harness::new().await;
    harness
        .client_credentials()
        .await
        .assert_ok("a first request");
    harness.proxy.take_seen();

    // Throttled on every attempt: the pinned number of attempts, then a 503.
    harness
        .proxy
        .fail_always("BatchGetItem", Fault::throttling());
    harness
        .client_credentials()
        .await
        .assert_unavailable("always throttled");
    harness.proxy.heal();
    let batch_gets = |seen: &[String]| seen.iter().filter(|op| *op == "BatchGetItem").count();
    assert_eq!(
        batch_gets(&harness.proxy.take_seen()),
        MAX_ATTEMPTS as usize
    );

    // Throttled once, or a 500 once: the SDK's retry answers, and the token comes.
    for fault in [
        Fault::provisioned_throughput_exceeded(),
        Fault::internal_server_error(),
    ] {
        harness.proxy.fail("BatchGetItem", 0, 1, fault);
        harness.client_credentials().await.assert_ok("one fault");
        assert_eq!(batch_gets(&harness.proxy.take_seen()), 2);
    }
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::throttling());
    let before = harness.state().await;
    harness.login().await.assert_ok("a login throttled once");
    assert_eq!(
        changed(before, harness.state().await),
        State {
            refresh_tokens: 1,
            families: 1,
            ..COUNTED
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_throttled_window_update_is_not_resent_and_counts_nothing() {
    let harness = Harness::new().await;
    harness
        .client_credentials()
        .await
        .assert_ok("a first request");
    harness.proxy.take_seen();
    let before = harness.state().await;
    harness.proxy.fail_always("UpdateItem", Fault::throttling());
    harness
        .client_credentials()
        .await
        .assert_unavailable("the window throttled");
    harness.proxy.heal();
    let updates = harness
        .proxy
        .take_seen()
        .iter()
        .filter(|op| *op == "UpdateItem")
        .count();
    assert_eq!(updates, 1, "the window's update is not retried by the SDK");
    assert_eq!(changed(before, harness.state().await), NOTHING);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn a_request_that_never_reached_dynamodb_is_resent_and_one_that_never_answers_is_a_503() {
    let harness = Harness::new().await;
    let code = harness.code().await;
    // One attempt times out before DynamoDB saw it: the SDK's resend makes the change, once.
    let before = harness.state().await;
    harness
        .proxy
        .fail("TransactWriteItems", 0, 1, Fault::NoAnswer);
    harness.exchange(&code).await.assert_ok("the exchange");
    assert_eq!(
        changed(before, harness.state().await),
        State {
            refresh_tokens: 1,
            consumed_codes: 1,
            families: 1,
            ..COUNTED
        }
    );
    // No attempt is ever answered: a 503 once the operation timeout (5 s) is spent.
    harness.proxy.fail_always("BatchGetItem", Fault::NoAnswer);
    let started = std::time::Instant::now();
    harness
        .client_credentials()
        .await
        .assert_unavailable("DynamoDB never answers");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
}
