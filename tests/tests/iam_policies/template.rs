//! The DynamoDB actions each function's policy in `template.yaml` allows.
//!
//! Only the policy forms the template uses are read: inline policy documents under a
//! function's `Policies`, whose statements `Allow` a list of actions. Anything that would grant
//! DynamoDB actions in a way this reader cannot count exactly (a SAM policy template such as
//! `DynamoDBCrudPolicy`, a managed policy, a `Role`, a wildcard, `NotAction`, `Deny`, a
//! `Condition`, an IAM resource of its own) is refused with its place named, so that the check
//! can never pass by not seeing a grant.

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

/// A function of the template and the DynamoDB actions its policies allow.
#[derive(Debug, PartialEq, Eq)]
pub struct TemplateFunction {
    /// The resource's logical id, e.g. `TokenFunction`.
    pub resource: String,
    /// The binary it runs (`Metadata.BuildProperties.Binary`), e.g. `token`.
    pub binary: String,
    /// The allowed actions, e.g. `dynamodb:GetItem`.
    pub dynamodb_actions: BTreeSet<String>,
}

const IAM_RESOURCES: [&str; 4] = [
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
];

/// Every function of the template, or every place it grants in a form not read here.
pub fn functions(template: &str) -> Result<Vec<TemplateFunction>, Vec<String>> {
    let documents = YamlLoader::load_from_str(template).map_err(|e| vec![e.to_string()])?;
    let root = documents.first().ok_or_else(|| vec!["empty".to_owned()])?;
    let mut problems = Vec::new();
    for key in ["Policies", "Role"] {
        if !root["Globals"]["Function"][key].is_badvalue() {
            problems.push(format!("Globals.Function.{key}: not read by this check"));
        }
    }
    let Some(resources) = root["Resources"].as_hash() else {
        return Err(vec!["no Resources".into()]);
    };
    let mut functions = Vec::new();
    for (name, resource) in resources {
        let name = name.as_str().unwrap_or("?").to_owned();
        match resource["Type"].as_str() {
            Some("AWS::Serverless::Function") => match function(&name, resource) {
                Ok(function) => functions.push(function),
                Err(mut more) => problems.append(&mut more),
            },
            Some(kind) if kind == "AWS::Lambda::Function" || IAM_RESOURCES.contains(&kind) => {
                problems.push(format!("{name}: a {kind} is not read by this check"))
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(functions)
    } else {
        Err(problems)
    }
}

fn function(name: &str, resource: &Yaml) -> Result<TemplateFunction, Vec<String>> {
    let mut problems = Vec::new();
    let binary = resource["Metadata"]["BuildProperties"]["Binary"]
        .as_str()
        .unwrap_or_else(|| {
            problems.push(format!("{name}: no Metadata.BuildProperties.Binary"));
            "?"
        })
        .to_owned();
    let properties = &resource["Properties"];
    if !properties["Role"].is_badvalue() {
        problems.push(format!(
            "{name}.Role: a role of its own is not read by this check"
        ));
    }
    let mut dynamodb_actions = BTreeSet::new();
    let policies = match &properties["Policies"] {
        Yaml::BadValue => &[][..],
        Yaml::Array(policies) => policies.as_slice(),
        _ => {
            problems.push(format!("{name}.Policies: not a list"));
            &[][..]
        }
    };
    for (p, policy) in policies.iter().enumerate() {
        let place = format!("{name}.Policies[{p}]");
        let Some(statements) = policy["Statement"].as_vec() else {
            problems.push(format!(
                "{place}: only inline policy documents (Statement: [...]) are read by this \
                 check, not SAM policy templates or managed policies"
            ));
            continue;
        };
        for (s, statement) in statements.iter().enumerate() {
            let place = format!("{place}.Statement[{s}]");
            match statement_actions(conditional_statement(statement)) {
                Ok(actions) => dynamodb_actions.extend(
                    actions
                        .into_iter()
                        .filter(|action| action.to_ascii_lowercase().starts_with("dynamodb:")),
                ),
                Err(problem) => problems.push(format!("{place}: {problem}")),
            }
        }
    }
    for action in &dynamodb_actions {
        // IAM reads action names case-insensitively and with wildcards: only the exact
        // spelling is compared here, so anything else is refused rather than misread.
        let name = action.trim_start_matches("dynamodb:");
        if !action.starts_with("dynamodb:")
            || !name.starts_with(|c: char| c.is_ascii_uppercase())
            || !name.chars().all(|c| c.is_ascii_alphanumeric())
        {
            problems.push(format!(
                "{name}: {action} is not spelled as an exact action (dynamodb:PascalCase, no wildcard)"
            ));
        }
    }
    if problems.is_empty() {
        Ok(TemplateFunction {
            resource: name.to_owned(),
            binary,
            dynamodb_actions,
        })
    } else {
        Err(problems)
    }
}

/// The statement a `!If [Condition, statement, !Ref AWS::NoValue]` may put in place (the
/// YAML reader drops the tags: it reads a list of the three), read as if it always did; any
/// other statement as it is.
fn conditional_statement(statement: &Yaml) -> &Yaml {
    match statement.as_vec().map(Vec::as_slice) {
        Some([Yaml::String(_), inner @ Yaml::Hash(_), Yaml::String(none)])
            if none == "AWS::NoValue" =>
        {
            inner
        }
        _ => statement,
    }
}

/// The actions a statement allows.
fn statement_actions(statement: &Yaml) -> Result<Vec<String>, String> {
    if statement["Effect"].as_str() != Some("Allow") {
        return Err("only Effect: Allow is read by this check".into());
    }
    for key in ["NotAction", "Condition", "NotResource"] {
        if !statement[key].is_badvalue() {
            return Err(format!("{key} is not read by this check"));
        }
    }
    let action = &statement["Action"];
    let actions = match action {
        Yaml::String(one) => vec![one.clone()],
        Yaml::Array(many) => many
            .iter()
            .map(|a| {
                a.as_str()
                    .map(str::to_owned)
                    .ok_or("an action is not a string")
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("Action is neither a string nor a list".into()),
    };
    match actions.iter().find(|a| a.contains(['*', '?'])) {
        Some(wildcard) => Err(format!("{wildcard}: wildcards are not read by this check")),
        None => Ok(actions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(resources: &str) -> String {
        format!("Transform: AWS::Serverless-2016-10-31\nResources:\n{resources}")
    }

    const TABLE: &str = "  Table:\n    Type: AWS::DynamoDB::Table\n";

    fn one_function(policies: &str) -> String {
        template(&format!(
            "{TABLE}  TokenFunction:\n    Type: AWS::Serverless::Function\n    Metadata:\n      \
             BuildProperties:\n        Binary: token\n    Properties:\n      CodeUri: .\n{policies}"
        ))
    }

    #[test]
    fn each_functions_dynamodb_actions_are_read_from_its_inline_statements() {
        let text = one_function(
            "      Policies:
        - Version: \"2012-10-17\"
          Statement:
            - Effect: Allow
              Action:
                - dynamodb:GetItem
                - dynamodb:PutItem
              Resource: !GetAtt Table.Arn
            - Effect: Allow
              Action: secretsmanager:GetSecretValue
              Resource: !Ref Secret
            - Effect: Allow
              Action: dynamodb:ConditionCheckItem
              Resource: !GetAtt Table.Arn
",
        );
        let read = functions(&text).unwrap();
        assert_eq!(
            read,
            [TemplateFunction {
                resource: "TokenFunction".into(),
                binary: "token".into(),
                dynamodb_actions: [
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem"
                ]
                .map(String::from)
                .into()
            }]
        );
    }

    #[test]
    fn a_function_without_policies_is_allowed_nothing() {
        let read = functions(&one_function("")).unwrap();
        assert!(read[0].dynamodb_actions.is_empty());
    }

    #[test]
    fn grants_that_cannot_be_counted_exactly_are_refused_with_their_place() {
        for (policies, expected) in [
            (
                "      Policies:\n        - DynamoDBCrudPolicy:\n            TableName: !Ref Table\n",
                "TokenFunction.Policies[0]: only inline policy documents",
            ),
            (
                "      Policies:\n        - AmazonDynamoDBFullAccess\n",
                "TokenFunction.Policies[0]: only inline policy documents",
            ),
            (
                "      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: dynamodb:*\n",
                "TokenFunction.Policies[0].Statement[0]: dynamodb:*: wildcards",
            ),
            (
                "      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: [dynamodb:Get*]\n",
                "wildcards are not read",
            ),
            (
                "      Policies:\n        - Statement:\n            - Effect: Deny\n              Action: dynamodb:GetItem\n",
                "only Effect: Allow",
            ),
            (
                "      Policies:\n        - Statement:\n            - Effect: Allow\n              NotAction: dynamodb:GetItem\n",
                "NotAction is not read",
            ),
            (
                "      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: DynamoDB:getitem\n",
                "not spelled as an exact action",
            ),
            ("      Role: !GetAtt SomeRole.Arn\n", "TokenFunction.Role"),
        ] {
            let problems = functions(&one_function(policies)).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{policies}: {problems:?}"
            );
        }
        let role = template("  Extra:\n    Type: AWS::IAM::Policy\n");
        assert_eq!(
            functions(&role).unwrap_err(),
            ["Extra: a AWS::IAM::Policy is not read by this check"]
        );
    }
}
