//! The IAM actions the DynamoDB store's source can send, found by reading it: each operation
//! called on the SDK client (`self.client.get_item()`, whitespace and line breaks allowed) and
//! each transaction part built (`ConditionCheck::builder()`). A transaction itself is no action:
//! its parts are (see `gatehouse_tests::request_log::Sent::iam_actions`).
//!
//! The flows must record exactly this set, all functions and `gatehouse import` together: an
//! action found here and never recorded is a store path no flow runs (add one); one recorded
//! and not found here is a way of calling the SDK this scan does not know (teach it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The kinds of transaction part, and the IAM action that authorizes each.
const PARTS: [(&str, &str); 5] = [
    ("Put", "PutItem"),
    ("Update", "UpdateItem"),
    ("Delete", "DeleteItem"),
    ("ConditionCheck", "ConditionCheckItem"),
    ("Get", "GetItem"),
];

/// `get_item` -> `GetItem`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The code of one source file, without its tests and comments, and without whitespace (so
/// that a call split over lines reads as one).
fn compact(source: &str) -> String {
    let code = source.split("#[cfg(test)]").next().unwrap_or("");
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

/// The IAM actions one file's code can send.
pub fn actions_in(source: &str) -> BTreeSet<String> {
    let code = compact(source);
    let mut actions = BTreeSet::new();
    for (at, _) in code.match_indices(".client.") {
        let rest = &code[at + ".client.".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if name.is_empty() || !rest[name.len()..].starts_with("()") || name.starts_with("transact_")
        {
            continue;
        }
        actions.insert(format!("dynamodb:{}", pascal_case(&name)));
    }
    for (part, action) in PARTS {
        let call = format!("{part}::builder()");
        let built = code
            .match_indices(&call)
            .any(|(at, _)| !code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
        if built {
            actions.insert(format!("dynamodb:{action}"));
        }
    }
    actions
}

/// Each action the store's source can send, with the files that send it.
pub fn store_actions() -> BTreeMap<String, BTreeSet<String>> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/store/src/dynamo");
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let entries = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"));
    for path in entries {
        let source = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for action in actions_in(&source) {
            found.entry(action).or_default().insert(file.clone());
        }
    }
    assert!(
        found.len() >= 3,
        "the scan of {} found almost nothing: {found:?}",
        folder.display()
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_on_the_client_and_transaction_parts_are_found_across_lines() {
        let source = r#"
            // self.client.scan() in a comment is no call
            let output = self
                .client
                .get_item()
                .send();
            self.client.batch_get_item().send();
            self.client
                .transact_write_items() // its parts count, not it
                .transact_items(TransactWriteItem::builder().condition_check(
                    ConditionCheck::builder().build()?).build());
            let clear = Delete::builder().table_name(t);
            let not_a_part = TransactWriteItem::builder();
            #[cfg(test)]
            mod tests { fn f() { self.client.query(); Put::builder(); } }
        "#;
        assert_eq!(
            actions_in(source),
            [
                "dynamodb:BatchGetItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem"
            ]
            .map(String::from)
            .into()
        );
    }
}
