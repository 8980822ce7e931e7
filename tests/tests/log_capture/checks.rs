//! What each request must have logged and measured.

use super::*;

pub fn assert_one_request_line_each(flow: &Flow, lines: &[Value]) {
    let mut by_id: HashMap<&str, Vec<&Value>> = HashMap::new();
    for line in lines.iter().filter(|l| l["target"] == REQUEST_TARGET) {
        let id = line["request_id"].as_str().expect("a request id");
        if id.starts_with(&flow.prefix) {
            by_id.entry(id).or_default().push(line);
        }
    }
    let sent = flow.sent.lock().unwrap();
    assert_eq!(by_id.len(), sent.len(), "one request line per request");
    for (id, expected) in sent.iter() {
        let found = &by_id[id.as_str()];
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        let line = found[0];
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["route"], expected.route, "{line}");
        assert_eq!(line["status"], expected.status, "{line}");
        assert_eq!(line["grant"].as_str(), expected.grant, "{line}");
        assert_eq!(line["client_id"].as_str(), expected.client_id, "{line}");
        assert_eq!(line["error"].as_str(), expected.error, "{line}");
        for field in [
            "timestamp",
            "method",
            "latency_ms",
            "storage_requests",
            "storage_ms",
        ] {
            assert!(!line[field].is_null(), "{field} missing: {line}");
        }
        if flow.on_dynamodb && expected.route == "/oauth/token" {
            assert!(line["storage_requests"].as_u64() >= Some(1), "{line}");
        }
    }
}

/// The EMF document of each request: namespace, timestamp, and every directive's dimensions
/// and metrics at the root.
pub fn assert_metrics_of_each_request(flow: &Flow) {
    let documents: Vec<Value> = flow
        .metrics
        .lock()
        .unwrap()
        .iter()
        .map(|line| serde_json::from_str(line).expect("an EMF line is JSON"))
        .collect();
    let sent = flow.sent.lock().unwrap();
    assert_eq!(documents.len(), sent.len());
    let mut issued = vec![];
    let mut refusals = vec![];
    let mut limited = vec![];
    for document in &documents {
        assert!(
            document["_aws"]["Timestamp"].as_u64().is_some(),
            "{document}"
        );
        for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Namespace"], "Gatehouse");
            for dimension in directive["Dimensions"][0].as_array().unwrap() {
                assert!(
                    document[dimension.as_str().unwrap()].is_string(),
                    "{document}"
                );
            }
            for metric in directive["Metrics"].as_array().unwrap() {
                assert!(
                    document[metric["Name"].as_str().unwrap()].is_number(),
                    "{document}"
                );
            }
        }
        if document["TokensIssued"] == 1 {
            issued.push((
                document["Grant"].clone(),
                document["ApplicationKind"].clone(),
            ));
        }
        if document["Refusals"] == 1 {
            refusals.push(document["Error"].as_str().unwrap().to_owned());
        }
        if document["RateLimited"] == 1 {
            limited.push(document["Limit"].as_str().unwrap().to_owned());
        }
        if flow.on_dynamodb {
            assert!(
                document["StorageLatency"].as_f64() > Some(0.0) || document["StorageRequests"] == 0
            );
        }
    }
    assert!(
        issued.contains(&(json!("client_credentials"), json!("integration"))),
        "{issued:?}"
    );
    assert!(
        issued.contains(&(json!("password"), json!("sales_channel"))),
        "{issued:?}"
    );
    assert!(
        issued.contains(&(json!("authorization_code"), json!("webapp"))),
        "{issued:?}"
    );
    assert!(
        issued.contains(&(json!("refresh_token"), json!("webapp"))),
        "{issued:?}"
    );
    // Four grants, the webapp's refresh, a second login and its rotation, and the burst.
    assert_eq!(issued.len(), 7 + TOKEN_LIMIT as usize);
    refusals.sort();
    assert_eq!(
        refusals,
        [
            "access_denied",
            "invalid_client",
            "invalid_client",
            "invalid_grant",
            "invalid_grant",
            "invalid_grant",
            "invalid_grant",
            "invalid_grant",
            "invalid_token",
            "too_many_requests"
        ]
    );
    assert_eq!(limited, ["token_requests"]);
}

pub async fn a_full_flow_logs_no_secret_token_or_hash_and_one_request_line_each(
    store: Arc<dyn Store>,
    on_dynamodb: bool,
) {
    let flow = Flow::on(store, on_dynamodb);
    run_the_flow(&flow).await;
    let lines = captured_lines();
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    for line in &parsed {
        assert!(line["timestamp"].is_string(), "no timestamp: {line}");
    }
    let mut forbidden = seed_forbidden();
    for secret in flow.secrets.lock().unwrap().iter() {
        forbidden.extend(forbidden_forms(secret));
    }
    assert_no_secret_in(&lines, &forbidden);
    assert_no_secret_in(&flow.metrics.lock().unwrap(), &forbidden);
    assert_one_request_line_each(&flow, &parsed);
    assert_metrics_of_each_request(&flow);
    if on_dynamodb {
        // The SDK did log (at debug), so the search above covered its lines.
        assert!(
            parsed.iter().any(|l| l["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("aws_smithy_runtime"))),
            "no SDK line was captured"
        );
    }
}
