//! The conformance suite's one macro: every storage behaviour is checked on both stores by the
//! same `async fn`, so that the embedded store that local runs and most tests use cannot drift
//! from the DynamoDB one that AWS runs. The checks themselves live in
//! `tests/tests/store_conformance/`, one file per concern, and beside the endpoint tests that
//! take a whole store.

/// Runs each check (an `async fn(Arc<dyn …>)` beside the call) on the embedded store and on
/// DynamoDB: a module `embedded` and a module `dynamodb` with one test each, the second
/// `#[ignore]`d with its reason (scripts/test runs it). `$memory` and `$dynamodb` are paths to
/// `async fn() -> Arc<dyn Store>` that make a store for one test.
#[macro_export]
macro_rules! on_both_stores {
    ($memory:path, $dynamodb:path; $($check:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check($memory().await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
                async fn $check() {
                    super::$check($dynamodb().await).await;
                }
            )*
        }
    };
}
