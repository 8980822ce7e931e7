//! The `gatehouse` command's library: the local router and server, so that tests can start
//! the same server in process, `serve`'s flags and the configuration built from them, and the
//! admin commands (`apps`, `markets`, `audit`).

pub mod accept;
pub mod admin;
pub mod admin_output;
pub mod banner;
pub mod config;
pub mod connection_limits;
pub mod import;
pub mod router;
pub mod server;

use std::path::Path;

/// The text of the file at `path`, or an error that names it.
pub fn read_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
