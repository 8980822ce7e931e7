//! The `gatehouse` command's library: the local router and server, so that tests can start
//! the same server in process, `serve`'s flags and the configuration built from them, and the
//! admin commands (`apps`, `markets`, `audit`).

pub mod accept;
pub mod admin;
pub mod admin_args;
pub mod admin_output;
pub mod admin_revoke;
pub mod banner;
pub mod config;
pub mod connection_limits;
pub mod import;
pub mod router;
pub mod server;
pub mod table;

use std::path::Path;

/// The text of the file at `path`, or an error that names it.
pub fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The seed file at `path`, parsed as it is read (a large seed is never held whole as text),
/// and whether it is the demo seed, whose secrets are public.
pub fn read_seed_file(
    path: &Path,
) -> Result<(gatehouse_core::model::Catalog, bool), Box<dyn std::error::Error>> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let length = file.metadata().map_err(cannot)?.len();
    let demo = length == gatehouse_core::seed::DEMO_SEED.len() as u64
        && read_file(path)? == gatehouse_core::seed::DEMO_SEED;
    let catalog = gatehouse_core::seed::parse_seed_from(std::io::BufReader::new(file))?;
    Ok((catalog, demo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::seed::DEMO_SEED;

    /// A file of `text` in the system's temporary folder, named for the test.
    fn seed_file(name: &str, text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("gatehouse-{}-{name}.json", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_seed_file_is_the_demo_seed_only_when_it_is_its_text() {
        let demo = seed_file("demo", DEMO_SEED);
        let (catalog, is_demo) = read_seed_file(&demo).unwrap();
        assert!(is_demo);
        assert_eq!(
            catalog,
            gatehouse_core::seed::parse_seed(DEMO_SEED)
                .map(|mut c| {
                    // Password hashes are salted: compare everything else.
                    c.customers.clone_from(&catalog.customers);
                    c.users.clone_from(&catalog.users);
                    c
                })
                .unwrap()
        );
        // The same length, one character changed: not the demo seed.
        let changed = DEMO_SEED.replacen("Demo", "Dema", 1);
        assert_eq!(changed.len(), DEMO_SEED.len());
        let changed = seed_file("changed", &changed);
        let (_, is_demo) = read_seed_file(&changed).unwrap();
        assert!(!is_demo);
        for path in [demo, changed] {
            std::fs::remove_file(path).unwrap();
        }
        let missing = std::env::temp_dir().join("gatehouse-no-such-seed.json");
        let error = read_seed_file(&missing).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("cannot read {}", missing.display())),
            "{error}"
        );
    }
}
