//! How long `gatehouse serve` waits for a slow or idle client, and how many connections it
//! holds at once: without these, a client that sends half its headers, or a body shorter
//! than its Content-Length, holds a connection (and a file descriptor) forever.

use std::time::Duration;

/// Headers of a request, counted from when the connection is ready for one (accepted, or idle
/// after the previous response).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole body of a request, counted from when its headers were read.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Well above the benchmark's 64 connections, well below the usual limit of 1024 descriptors
/// per process (the store, the log and the listener need some too).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Also the keep-alive idle timeout: hyper starts the header timer when a connection goes
    /// idle, so a connection with no request under way is closed after this long.
    pub header_read: Duration,
    /// Past it, the request is answered 408 and the connection closed.
    pub body_read: Duration,
    /// Past it, the server stops accepting until a connection ends; the kernel queues new
    /// ones in the listen backlog meanwhile.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read: DEFAULT_HEADER_READ_TIMEOUT,
            body_read: DEFAULT_BODY_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}
