//! Gatehouse's rules and storage, shared by every Lambda function and the `gatehouse` command.
//!
//! The pure rules (`scope`, `lifetime`, `grant`, `ratelimit`) do no I/O and are table-tested;
//! `store` holds the storage traits and their DynamoDB and embedded implementations.

pub mod application_rules;
pub mod bearer;
pub mod clock;
pub mod config;
pub mod cors;
pub mod error;
pub mod grant;
pub mod grant_hint;
pub mod http;
pub mod idempotency;
pub mod init;
pub mod jwt;
pub mod lifetime;
pub mod model;
pub mod oauth_request;
pub mod observe;
pub mod password;
pub mod pkce;
pub mod ratelimit;
pub mod scope;
pub mod secret;
#[cfg(feature = "secrets-manager")]
pub mod secrets_manager;
pub mod seed;
pub mod sign_in;
pub mod signing_keys;
pub mod store;
pub mod uri;
pub mod url_rules;
