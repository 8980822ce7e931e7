//! Gatehouse's rules and model, with no I/O: which application kind may use which grant, how
//! long a token lives, what a scope names and how it resolves against the catalog, the access
//! token's claims and their signature, PKCE, password hashing's parameters, the sign-in and
//! rate-limit windows' arithmetic, the seed file's format and validation, and the clock every
//! rule reads time from. Nothing here opens a socket, reads a file or the environment, or knows
//! HTTP: the store and the edge build on it, and each rule is a table-tested function.

pub mod application_rules;
pub mod clock;
pub mod grant;
pub mod grant_hint;
pub mod idempotency;
pub mod input;
pub mod jwt;
pub mod jwt_bearer;
pub mod kind;
pub mod lifetime;
pub mod listing;
pub mod model;
pub mod password;
pub mod pkce;
pub mod query;
pub mod ratelimit;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod seed;
pub mod sign_in;
pub mod status_list;
pub mod uri;
pub mod url_rules;
