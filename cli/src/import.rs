//! `gatehouse import`: a seed file into a DynamoDB table, its passwords hashed within a bound.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_edge::config::password_hashing_from_lookup;
use gatehouse_edge::hashing::{HashingLimits, PasswordHashing};
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_store::{Import, ImportProgress};

use crate::read_seed_file;
use crate::table::WhenMissing;

type Failure = Box<dyn std::error::Error>;

/// Loads `seed` into `table`, which must exist with Gatehouse's keys and TTL unless `missing`
/// says to create it.
pub async fn import(
    seed: &Path,
    endpoint: Option<&str>,
    table: &str,
    missing: WhenMissing,
) -> Result<(), Failure> {
    let (catalog, _) = read_seed_file(seed)?;
    // The table first: a mistyped name fails before minutes of password hashing.
    let client = dynamo::client(endpoint).await;
    crate::table::checked(&DynamoStore::new(client.clone(), table), missing).await?;
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

    let started = Instant::now();
    let last = Arc::new(Mutex::new(ImportProgress::default()));
    let seen = Arc::clone(&last);
    let terminal = std::io::stderr().is_terminal();
    let mut shown = started;
    let sink = move |progress: &ImportProgress| {
        let mut last = seen.lock().unwrap_or_else(|e| e.into_inner());
        *last = *progress;
        let now = Instant::now();
        if terminal && now.duration_since(shown) >= Duration::from_millis(500) {
            eprint!("\r{}\x1b[K", progress_line(progress, started.elapsed()));
            shown = now;
        }
    };
    let sink = Mutex::new(sink);
    let store = DynamoStore::new(client, table).with_import_progress(Arc::new(move |p| {
        (sink.lock().unwrap_or_else(|e| e.into_inner()))(p)
    }));
    store.import(&catalog).await?;
    if terminal {
        eprint!("\r\x1b[K");
    }
    let done = *last.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "{} in {} lists: {}",
        catalog_line(&catalog),
        thousands(done.lists_total),
        summary_line(&done, started.elapsed())
    );
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

/// Prints what importing `seed` would write of its catalog into an empty table, or into one
/// that holds `against`, writing nothing.
pub fn plan(seed: &Path, against: Option<&Path>) -> Result<(), Failure> {
    let (catalog, _) = read_seed_file(seed)?;
    let (plan, into) = match against {
        None => (dynamo::plan_import(&catalog), "an empty table".to_owned()),
        Some(old) => {
            let (old_catalog, _) = read_seed_file(old)?;
            let into = format!("a table holding {}", old.display());
            (dynamo::plan_change(&old_catalog, &catalog), into)
        }
    };
    println!(
        "{} in {} lists ({} entries): importing it into {into} writes {} items, {} bytes, {} write units; nothing was written",
        catalog_line(&catalog),
        thousands(plan.lists),
        thousands(plan.entries),
        thousands(plan.items),
        thousands(plan.bytes),
        thousands(plan.write_units),
    );
    Ok(())
}

/// The catalog's records, counted.
fn catalog_line(catalog: &gatehouse_core::model::Catalog) -> String {
    format!(
        "Catalog: {} SKUs, {} prices, {} stock items",
        thousands(catalog.skus.len() as u64),
        thousands(catalog.prices.len() as u64),
        thousands(catalog.stock_items.len() as u64),
    )
}

/// The progress line: lists and entries compared, their rate, what was written, and the time
/// left at that rate.
fn progress_line(progress: &ImportProgress, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64().max(0.001);
    let rate = progress.entries_done as f64 / seconds;
    let left = progress.entries_total.saturating_sub(progress.entries_done);
    let eta = match rate {
        rate if rate > 0.0 => format!("about {} left", duration((left as f64 / rate) as u64)),
        _ => "time left unknown".to_owned(),
    };
    format!(
        "lists {}/{} · entries {}/{} ({}/s) · {} put, {} deleted · {eta}",
        progress.lists_done,
        progress.lists_total,
        thousands(progress.entries_done),
        thousands(progress.entries_total),
        thousands(rate as u64),
        thousands(progress.put),
        thousands(progress.deleted),
    )
}

/// The end of an import: what it wrote and how long it took.
fn summary_line(progress: &ImportProgress, elapsed: Duration) -> String {
    format!(
        "{} entries compared, {} items put, {} deleted, in {}",
        thousands(progress.entries_done),
        thousands(progress.put),
        thousands(progress.deleted),
        duration(elapsed.as_secs()),
    )
}

fn duration(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min {} s", seconds / 60, seconds % 60),
        _ => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_tells_what_is_done_its_rate_and_the_time_left() {
        let progress = ImportProgress {
            lists_done: 12,
            lists_total: 340,
            entries_done: 10_000,
            entries_total: 1_210_000,
            put: 9_500,
            deleted: 3,
        };
        let cases = [
            (
                Duration::from_secs(2),
                "lists 12/340 · entries 10,000/1,210,000 (5,000/s) · 9,500 put, 3 deleted · about 4 min 0 s left",
            ),
            (
                Duration::from_secs(20),
                "lists 12/340 · entries 10,000/1,210,000 (500/s) · 9,500 put, 3 deleted · about 40 min 0 s left",
            ),
        ];
        for (elapsed, line) in cases {
            assert_eq!(progress_line(&progress, elapsed), line);
        }
        let none = ImportProgress {
            entries_total: 5,
            ..ImportProgress::default()
        };
        assert!(progress_line(&none, Duration::ZERO).ends_with("time left unknown"));
        assert_eq!(
            summary_line(&progress, Duration::from_secs(3_700)),
            "10,000 entries compared, 9,500 items put, 3 deleted, in 1 h 1 min"
        );
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }
}
