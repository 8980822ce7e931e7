//! What the seed's collections checked so far define, for the checks of the references that
//! later collections make to them.

use std::collections::{HashMap, HashSet};

use super::Problems;
use crate::model::Mode;

/// What the collections checked so far define, and the checks of references to them: every
/// reference points at a record of its own record's environment.
#[derive(Default)]
pub(super) struct Known<'a> {
    pub(super) price_lists: HashSet<(Mode, &'a str)>,
    pub(super) customer_groups: HashSet<(Mode, &'a str)>,
    /// Stock location ids by number.
    pub(super) stock_locations: HashMap<(Mode, u64), &'a str>,
    /// SKU codes.
    pub(super) skus: HashSet<(Mode, &'a str)>,
}

impl Known<'_> {
    pub(super) fn price_list(&self, problems: &mut Problems, path: String, mode: Mode, id: &str) {
        if !self.price_lists.contains(&(mode, id)) {
            problems.add(
                path,
                format!("no price list '{id}' in {} mode", mode.as_str()),
            );
        }
    }

    pub(super) fn customer_group(
        &self,
        problems: &mut Problems,
        path: String,
        mode: Mode,
        id: &str,
    ) {
        if !self.customer_groups.contains(&(mode, id)) {
            problems.add(
                path,
                format!("no customer group '{id}' in {} mode", mode.as_str()),
            );
        }
    }

    pub(super) fn sku(&self, problems: &mut Problems, path: String, mode: Mode, code: &str) {
        if !self.skus.contains(&(mode, code)) {
            problems.add(path, format!("no sku '{code}' in {} mode", mode.as_str()));
        }
    }

    /// The id of the stock location with this number.
    pub(super) fn stock_location(
        &self,
        problems: &mut Problems,
        path: String,
        mode: Mode,
        number: u64,
    ) -> Option<&str> {
        let id = self.stock_locations.get(&(mode, number)).copied();
        if id.is_none() {
            problems.add(
                path,
                format!(
                    "no stock location number {number} in {} mode",
                    mode.as_str()
                ),
            );
        }
        id
    }
}
