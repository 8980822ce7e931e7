//! Observability: structured logs, one log line per request, CloudWatch metrics in the
//! embedded metric format, and the time requests spend in storage.
//!
//! Its parts: [`logging`] (the subscriber), [`facts`] (what a handler reports, as
//! [`RequestFacts`]), [`request_log`] (the wrapper, [`Observer::observe`], that writes the request
//! line and the metrics) and [`metrics`] (the EMF document); the time spent in DynamoDB comes from
//! the store's SDK interceptor (`gatehouse_store::timing`).
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
