//! The `gatehouse` command's library: the local router and server, so that tests can start
//! the same server in process, and `serve`'s flags and the configuration built from them.

pub mod config;
pub mod router;
pub mod server;
