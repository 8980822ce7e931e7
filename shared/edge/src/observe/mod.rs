//! Observability: structured logs, one log line per request, CloudWatch metrics in the
//! embedded metric format, and the time requests spend in storage.
//!
//! - [`logging`] installs the subscriber: timestamps on every line, JSON or text, the level from
//!   `RUST_LOG`, and a clamp on the crates that log wire bodies at trace.
//! - [`facts`]: what a handler tells the request line about a request ([`RequestFacts`], put in
//!   the response's extensions).
//! - [`request_log`]: the one wrapper around every handler ([`Observer::observe`]) that writes
//!   the request line and the metrics.
//! - [`metrics`]: the EMF document of one request.
//! - The time a request spent in DynamoDB comes from the store's SDK interceptor
//!   (`gatehouse_store::timing`).
//!
//! Nothing here ever receives a secret, a password, a code, a token or a hash of one: handlers
//! report only bounded facts (the grant, a client id that storage knows, the application kind,
//! an error code).

pub mod batched;
pub mod facts;
pub mod init;
pub mod logging;
pub mod metrics;
pub mod record;
pub mod request_log;

pub use facts::RequestFacts;
pub use record::RequestRecord;
pub use request_log::Observer;
