//! The `gatehouse` binary when DynamoDB cannot be reached: the message names the endpoint and
//! the region, and says what to check, where it used to say "dispatch failure" and nothing
//! else (issue 19).

use std::net::TcpListener;
use std::process::Command;

const GATEHOUSE: &str = env!("CARGO_BIN_EXE_gatehouse");

/// An endpoint where nothing listens: a port that was free a moment ago.
fn unused_endpoint() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// Runs `gatehouse <args>` in eu-west-1, and returns its exit success and standard error.
fn gatehouse(args: &[&str]) -> (bool, String) {
    let output = Command::new(GATEHOUSE)
        .args(args)
        .current_dir(std::env::temp_dir())
        .env("AWS_REGION", "eu-west-1")
        .env_remove("AWS_DEFAULT_REGION")
        .env("GATEHOUSE_LOG_FORMAT", "text")
        .env("RUST_LOG", "off")
        .output()
        .expect("gatehouse runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_names_the_endpoint_and_region(stderr: &str, endpoint: &str) {
    let expected = format!(
        "cannot reach DynamoDB at {endpoint} (region eu-west-1): connection refused; check the endpoint URL, the network and that the service is running"
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!stderr.contains("dispatch failure"), "{stderr}");
}

#[test]
fn import_names_the_endpoint_and_region_it_cannot_reach() {
    let endpoint = unused_endpoint();
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/seed.json");
    let (ok, stderr) = gatehouse(&[
        "import",
        "--seed",
        seed,
        "--table",
        "gatehouse-test",
        "--dynamodb-endpoint",
        &endpoint,
    ]);
    assert!(!ok);
    assert_names_the_endpoint_and_region(&stderr, &endpoint);
}

#[test]
fn the_admin_commands_name_the_endpoint_and_region_they_cannot_reach() {
    let endpoint = unused_endpoint();
    let (ok, stderr) = gatehouse(&[
        "apps",
        "list",
        "--table",
        "gatehouse-test",
        "--dynamodb-endpoint",
        &endpoint,
    ]);
    assert!(!ok);
    assert_names_the_endpoint_and_region(&stderr, &endpoint);
}

#[test]
fn serve_names_the_endpoint_and_region_it_cannot_reach() {
    let endpoint = unused_endpoint();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let (ok, stderr) = gatehouse(&[
        "serve",
        "--port",
        &port,
        "--table",
        "gatehouse-test",
        "--dynamodb-endpoint",
        &endpoint,
    ]);
    assert!(!ok);
    assert_names_the_endpoint_and_region(&stderr, &endpoint);
    // The table may well exist: importing it again is no advice here.
    assert!(!stderr.contains("gatehouse import"), "{stderr}");
}
