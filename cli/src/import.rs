//! `gatehouse import`: a seed file into a DynamoDB table, its passwords hashed within a bound.

use std::path::Path;
use std::time::Duration;

use gatehouse_edge::config::password_hashing_from_lookup;
use gatehouse_edge::hashing::{HashingLimits, PasswordHashing};
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_store::Import;

use crate::read_seed_file;

type Failure = Box<dyn std::error::Error>;

/// Loads `seed` into `table`, creating the table when it does not exist.
pub async fn import(seed: &Path, endpoint: Option<&str>, table: &str) -> Result<(), Failure> {
    let (catalog, _) = read_seed_file(seed)?;
    // Every password is hashed here, through one bound (the configured runs at once, one per
    // core by default), so that writing the records out runs no argon2 of its own: unbounded,
    // importing 1,000 customers took 19.5 GB. A batch job waits its turn however long.
    let limits = password_hashing_from_lookup(&|name| std::env::var(name).ok())?;
    let hashing = PasswordHashing::new(HashingLimits {
        deadline: Duration::from_secs(24 * 3600),
        ..limits
    });
    let hashes = catalog.customers.iter().map(|c| &c.password_hash);
    let hashes = hashes.chain(catalog.users.iter().map(|u| &u.password_hash));
    hashing.compute_all(hashes.cloned()).await?;

    let store = DynamoStore::new(dynamo::client(endpoint).await, table);
    if store.ensure_table().await? {
        println!(
            "Created table {table} (PK, SK; TTL on {})",
            dynamo::TTL_ATTRIBUTE
        );
    }
    store.import(&catalog).await?;
    println!(
        "Imported {} applications, {} markets, {} stock locations, {} customer groups and {} customers into {table}",
        catalog.applications.len(),
        catalog.markets.len(),
        catalog.stock_locations.len(),
        catalog.customer_groups.len(),
        catalog.customers.len()
    );
    Ok(())
}
