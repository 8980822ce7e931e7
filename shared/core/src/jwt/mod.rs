//! Access tokens: JWTs signed with ES256 (default) or RS512, `kid` = RFC 7638 thumbprint.
//!
//! Keys come from configuration as PEM blocks ([`keys`]). The first private key signs; every
//! key, private or public-only, is published at `/.well-known/jwks.json`, so that a new key can
//! be published before it signs and an old one can stay published until its tokens have
//! expired. [`claims`] is what a token says; key generation ([`generate`]) is only built with
//! the `keygen` feature (the CLI and the tests), and into this crate's own tests.

mod algorithm;
mod claims;
mod compact;
#[cfg(any(test, feature = "keygen"))]
mod generate;
mod keys;
mod signer;
#[cfg(test)]
mod tests;

pub use algorithm::{KeyError, SigningAlgorithm};
pub use claims::{AccessTokenClaims, ApplicationClaim, MarketClaim, OwnerClaim};
#[cfg(any(test, feature = "keygen"))]
pub use generate::generate_private_key_pem;
pub use keys::{public_one_line, public_pem, KeySet, PublishedKeys, SigningKey, VerificationKey};
pub use signer::SignError;
