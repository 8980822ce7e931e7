//! Each function's IAM policy in `template.yaml` grants exactly the DynamoDB actions its code
//! sends: no fewer (on AWS the request would fail with AccessDeniedException, as the token
//! function's sign-in did beside a failed attempt, issue 19: moto enforces no IAM, so nothing
//! else notices), and no more (least privilege).
//!
//! What a function sends is recorded, not listed by hand: its flows (`flows.rs`) run the paths
//! of its code against DynamoDB (moto) on a client whose interceptor records each request's
//! operation and each transaction part (`gatehouse_tests::request_log`). And the store's source
//! is read (`store_scan.rs`) to check that the flows, all functions and `gatehouse import`
//! together, send every action the store code can send, so that a new store path without a
//! flow fails here too.

mod authorize_flows;
mod flows;
mod other_flows;
mod store_scan;
mod template;
mod token_flows;

use std::collections::{BTreeMap, BTreeSet};

use template::TemplateFunction;

const TEMPLATE: &str = include_str!("../../../template.yaml");

/// What differs between what each function sent (by binary) and what its policy allows.
fn policy_problems(
    recorded: &BTreeMap<&str, BTreeSet<String>>,
    template: &[TemplateFunction],
) -> Vec<String> {
    let mut problems = Vec::new();
    for function in template {
        let name = format!("{} (binary {})", function.resource, function.binary);
        let Some(sent) = recorded.get(function.binary.as_str()) else {
            problems.push(format!(
                "{name}: no flow runs this function: add its flows to tests/tests/iam_policies"
            ));
            continue;
        };
        for action in sent.difference(&function.dynamodb_actions) {
            problems.push(format!(
                "{name}: its code sends {action}, which its policy in template.yaml does not \
                 grant (on AWS that request fails with AccessDeniedException)"
            ));
        }
        for action in function.dynamodb_actions.difference(sent) {
            problems.push(format!(
                "{name}: its policy in template.yaml grants {action}, which none of its flows \
                 sent: remove it (or, if its code can send it, add the flow that does)"
            ));
        }
    }
    for binary in recorded.keys() {
        if !template.iter().any(|function| function.binary == *binary) {
            problems.push(format!(
                "{binary}: its flows ran, but no function in template.yaml runs this binary"
            ));
        }
    }
    problems
}

/// What differs between the actions the store's source can send (with the files that send
/// them) and those every flow together sent.
fn scan_problems(
    in_source: &BTreeMap<String, BTreeSet<String>>,
    sent: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (action, files) in in_source {
        if !sent.contains(action) {
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            problems.push(format!(
                "the store code can send {action} (shared/store/src/dynamo/{{{}}}) but no flow \
                 sent it: add a flow that takes that path",
                files.join(",")
            ));
        }
    }
    for action in sent {
        if !in_source.contains_key(action) {
            problems.push(format!(
                "a flow sent {action}, but store_scan.rs found no call that sends it in \
                 shared/store/src/dynamo: teach it how that call is written"
            ));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
async fn each_functions_policy_grants_exactly_the_dynamodb_actions_its_code_sends() {
    let template = template::functions(TEMPLATE)
        .unwrap_or_else(|problems| panic!("template.yaml: {}", problems.join("\n")));
    let recorded = flows::record_every_flow().await;
    let mut sent: BTreeSet<String> = recorded.import.clone();
    for actions in recorded.functions.values() {
        sent.extend(actions.iter().cloned());
    }
    let mut problems = policy_problems(&recorded.functions, &template);
    problems.extend(scan_problems(&store_scan::store_actions(), &sent));
    let report: Vec<String> = recorded
        .functions
        .iter()
        .map(|(binary, actions)| format!("  {binary}: {actions:?}"))
        .chain([format!("  gatehouse import: {:?}", recorded.import)])
        .collect();
    assert!(
        problems.is_empty(),
        "{}\n\nwhat the flows sent:\n{}",
        problems.join("\n"),
        report.join("\n")
    );
}

#[test]
fn the_template_is_read_whole_and_runs_each_binary_once() {
    let functions = template::functions(TEMPLATE).unwrap();
    let binaries: BTreeSet<&str> = functions.iter().map(|f| f.binary.as_str()).collect();
    assert_eq!(binaries.len(), functions.len(), "{functions:?}");
    assert!(functions.len() >= 6, "{functions:?}");
}

fn actions(names: &[&str]) -> BTreeSet<String> {
    names
        .iter()
        .map(|name| format!("dynamodb:{name}"))
        .collect()
}

#[test]
fn a_sent_action_not_granted_and_a_granted_action_never_sent_are_both_named() {
    let template = [TemplateFunction {
        resource: "TokenFunction".into(),
        binary: "token".into(),
        dynamodb_actions: actions(&["GetItem", "PutItem", "Scan"]),
    }];
    let recorded = BTreeMap::from([
        (
            "token",
            actions(&["GetItem", "PutItem", "ConditionCheckItem"]),
        ),
        ("stray", actions(&[])),
    ]);
    let problems = policy_problems(&recorded, &template);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].starts_with(
        "TokenFunction (binary token): its code sends dynamodb:ConditionCheckItem, which its \
         policy in template.yaml does not grant"
    ));
    assert!(problems[1].starts_with(
        "TokenFunction (binary token): its policy in template.yaml grants dynamodb:Scan"
    ));
    assert!(problems[2].starts_with("stray: its flows ran, but no function"));
    let unrun = policy_problems(&BTreeMap::new(), &template);
    assert!(unrun[0].contains("no flow runs this function"), "{unrun:?}");
    let matching = BTreeMap::from([("token", actions(&["GetItem", "PutItem", "Scan"]))]);
    assert!(policy_problems(&matching, &template).is_empty());
}

#[test]
fn a_store_action_no_flow_sent_and_a_sent_action_the_scan_missed_are_both_named() {
    let in_source = BTreeMap::from([
        (
            "dynamodb:ConditionCheckItem".to_owned(),
            BTreeSet::from(["refresh_tokens.rs".to_owned()]),
        ),
        (
            "dynamodb:GetItem".to_owned(),
            BTreeSet::from(["mod.rs".to_owned()]),
        ),
    ]);
    let problems = scan_problems(&in_source, &actions(&["GetItem", "Query"]));
    assert_eq!(
        problems,
        [
            "the store code can send dynamodb:ConditionCheckItem \
             (shared/store/src/dynamo/{refresh_tokens.rs}) but no flow sent it: add a flow \
             that takes that path",
            "a flow sent dynamodb:Query, but store_scan.rs found no call that sends it in \
             shared/store/src/dynamo: teach it how that call is written"
        ]
    );
    assert!(scan_problems(&in_source, &actions(&["GetItem", "ConditionCheckItem"])).is_empty());
}
