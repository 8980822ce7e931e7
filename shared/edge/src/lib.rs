//! Gatehouse's HTTP edge: what every function does between the socket and the rules. Request
//! parsing (form bodies, client credentials, bearer tokens), the error writers (OAuth 2.0 and
//! JSON:API), CORS and security headers, the per-address gate, the bound on password hashing,
//! configuration from the environment, signing-key loading, the logs and metrics of each
//! request, and what a process has ([`runtime::Runtime`]), from which each function's service
//! is built. It builds on the rules (`gatehouse_core`) and the stores (`gatehouse_store`).

pub mod bearer;
pub mod config;
pub mod cors;
pub mod error;
pub mod forwarded;
pub mod gate;
pub mod hashing;
pub mod http;
pub mod init;
pub mod jsonapi;
pub mod jsonapi_media;
pub mod oauth_request;
pub mod observe;
pub mod runtime;
#[cfg(feature = "secrets-manager")]
pub mod secrets_manager;
pub mod signing_keys;
