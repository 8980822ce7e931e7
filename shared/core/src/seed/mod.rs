//! The seed and import file (docs/seed-format.md): one JSON document that loads the
//! embedded store and imports into DynamoDB.
//!
//! Parsing is strict ([`format`]): an unknown field is refused with its path
//! (`markets[0].colour`). Then every cross-reference and uniqueness rule is checked
//! ([`validate`]), and all violations are reported at once, each with its path. Secrets arrive
//! in plain text and leave this module hashed, in a [`Catalog`](crate::model::Catalog).

mod catalog;
mod format;
mod known;
#[cfg(test)]
mod tests;
mod validate;

use std::collections::HashSet;
use std::fmt;

pub use format::{
    SeedApplication, SeedCustomer, SeedCustomerGroup, SeedFile, SeedMarket, SeedOrganization,
    SeedPrice, SeedPriceList, SeedSku, SeedStockItem, SeedStockLocation, SeedUser,
};

use crate::input::{is_lookup_key, MAX_CLIENT_ID_LENGTH};
use crate::model::{Catalog, MAX_EMAIL_LENGTH};

/// One problem in a seed file, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedProblem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SeedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SeedError(pub Vec<SeedProblem>);

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the seed file is not valid:")?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// The problems found so far, each at its path: every rule adds to them, and all of them are
/// reported at once.
#[derive(Default)]
struct Problems(Vec<SeedProblem>);

impl Problems {
    fn add(&mut self, path: String, message: impl Into<String>) {
        self.0.push(SeedProblem {
            path,
            message: message.into(),
        });
    }

    fn non_empty(&mut self, path: String, value: &str) {
        if value.trim().is_empty() {
            self.add(path, "must not be empty");
        }
    }

    /// Records `key` and reports it when already seen.
    fn unique<K: std::hash::Hash + Eq>(
        &mut self,
        seen: &mut HashSet<K>,
        key: K,
        path: String,
        what: &str,
    ) {
        if !seen.insert(key) {
            self.add(path, format!("{what} is already used by another record"));
        }
    }

    /// An id or a code: the key a record is stored, ordered and looked up under, so it must
    /// be one a request can name ([`is_lookup_key`]). Storage orders a list by its entries'
    /// keys joined with a control character, which sorts before any character a key may have.
    fn key(&mut self, path: String, value: &str) {
        self.non_empty(path.clone(), value);
        if !is_lookup_key(value) {
            let most = MAX_CLIENT_ID_LENGTH;
            self.add(
                path,
                format!("must be at most {most} bytes, without control characters"),
            );
        }
    }

    /// A record's id: a key, unique within its collection (in both environments).
    fn id<'a>(&mut self, seen: &mut HashSet<&'a str>, collection: &str, i: usize, id: &'a str) {
        let path = format!("{collection}[{i}].id");
        self.key(path.clone(), id);
        self.unique(seen, id, path, "id");
    }

    fn email(&mut self, path: String, email: &str) {
        if !email.contains('@') || email.len() > MAX_EMAIL_LENGTH {
            self.add(
                path,
                format!("must be an email address of at most {MAX_EMAIL_LENGTH} characters"),
            );
        }
    }
}

/// Parses and checks a seed document.
pub fn parse_seed(text: &str) -> Result<Catalog, SeedError> {
    parse_seed_from(text.as_bytes())
}

/// [`parse_seed`] from a reader: a large seed is read as it is parsed, never held whole as
/// text beside its records. (One way of reading for both, so that an error names the same
/// line and column whichever way the seed came.)
pub fn parse_seed_from(reader: impl std::io::Read) -> Result<Catalog, SeedError> {
    let deserializer = &mut serde_json::Deserializer::from_reader(reader);
    validate::validate(serde_path_to_error::deserialize(deserializer).map_err(unreadable)?)
}

/// A document that is not a seed's JSON, at the path where reading it stopped.
fn unreadable(error: serde_path_to_error::Error<serde_json::Error>) -> SeedError {
    let path = error.path().to_string();
    SeedError(vec![SeedProblem {
        path: if path == "." {
            "(document)".into()
        } else {
            path
        },
        message: error.into_inner().to_string(),
    }])
}

/// The demo seed shipped with the repository (`demo/seed.json`).
pub const DEMO_SEED: &str = include_str!("../../../../demo/seed.json");
