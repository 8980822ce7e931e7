//! The `gatehouse` command's library: the local router and server, so that tests can start
//! the same server in process.

pub mod router;
pub mod server;
