//! The table a command is given: checked before anything is written to it, created only when
//! the command is told to (`gatehouse import --create-table`).

use gatehouse_store::dynamo::{DynamoStore, TableFit, TTL_ATTRIBUTE};

type Failure = Box<dyn std::error::Error>;

/// What to do when the table does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenMissing {
    Refuse,
    Create,
}

/// Checks that `store`'s table exists with Gatehouse's keys and TTL; creates it when it does
/// not exist and `missing` says so. Returns whether it was created.
pub async fn checked(store: &DynamoStore, missing: WhenMissing) -> Result<bool, Failure> {
    let table = store.table();
    match (store.table_fit().await?, missing) {
        (TableFit::Fits, _) => Ok(false),
        (TableFit::Missing, WhenMissing::Create) => {
            store.ensure_table().await?;
            println!("Created table {table} (PK, SK; TTL on {TTL_ATTRIBUTE})");
            Ok(true)
        }
        (TableFit::Missing, WhenMissing::Refuse) => Err(format!(
            "table {table} does not exist in this account and region ({}). Give the table the \
             stack made (its output TableName); to make a new table for a local or test run, \
             add --create-table to `gatehouse import`",
            region_hint()
        )
        .into()),
        (TableFit::Unfit(reason), _) => Err(format!(
            "table {table} is not a Gatehouse table: {reason}. Give the table the stack made \
             (its output TableName)"
        )
        .into()),
    }
}

/// Where the AWS default chain looks, in words.
fn region_hint() -> String {
    match std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")) {
        Ok(region) => format!("region {region}"),
        Err(_) => "the region of your AWS profile".into(),
    }
}
