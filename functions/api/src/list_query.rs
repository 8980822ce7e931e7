//! A list request's parameters, read once for the record type listed: its page
//! (`page[number]`, `page[size]` up to 25, `page[after]`), its filters
//! (`filter[q][<attribute>_<predicate>]`, or `filter[<attribute>_<predicate>]`), its sort order
//! (`sort`) and its sparse fieldsets (`fields[<type>]`), each refused by name when it cannot
//! be applied. And what a list of records already read becomes under them.

use std::sync::Arc;

use gatehouse_core::input::echo_input;
use gatehouse_core::query::filter::{self, Condition};
use gatehouse_core::query::sort::{self, SortField};
use gatehouse_core::query::Record;
use gatehouse_edge::oauth_request::Params;
use gatehouse_store::catalog::page_of_shared;
use gatehouse_store::{Page, PageRequest};

use crate::document::{self, fields_of};

/// The page size when the request names none.
pub const DEFAULT_PAGE_SIZE: u64 = 10;

/// The largest page a request may ask for: Commerce Layer's.
pub const MAX_PAGE_SIZE: u64 = 25;

/// A list request, read.
pub struct ListQuery {
    pub page: PageRequest,
    pub conditions: Vec<Condition>,
    pub sort: Vec<SortField>,
    /// The request's filters, sort order, fieldsets and `include`, encoded, kept in every link.
    pub kept: String,
}

impl ListQuery {
    /// Whether the list is the store's page as it stands: no filter, no sort order.
    pub fn plain(&self) -> bool {
        self.conditions.is_empty() && self.sort.is_empty()
    }

    /// The code or id one of the filters pins the records to, for a key read.
    pub fn key(&self) -> Option<(&'static str, &str)> {
        self.conditions.iter().find_map(Condition::key)
    }

    /// `records`, read in the list's own order, filtered, sorted and cut to the page; its
    /// `record_count` counts the filtered records.
    pub fn narrow<T: Record>(&self, records: Vec<Arc<T>>) -> Page<T> {
        let mut kept: Vec<Arc<T>> = records
            .into_iter()
            .filter(|record| self.conditions.iter().all(|c| c.admits(record.as_ref())))
            .collect();
        // Stable: records equal on every sort field keep the list's order.
        kept.sort_by(|a, b| sort::compare(&self.sort, a.as_ref(), b.as_ref()));
        page_of_shared(kept, &self.page)
    }
}

/// The filter a parameter name holds (what the last brackets enclose), if it is one.
fn filter_name(name: &str) -> Option<&str> {
    let inner = name.strip_prefix("filter[")?.strip_suffix(']')?;
    Some(inner.strip_prefix("q][").unwrap_or(inner))
}

/// The list parameters of `params` for a list of `R`, or what is wrong with them.
pub fn list_query<R: Record>(params: &Params) -> Result<ListQuery, String> {
    let number = |name: &str, default: u64, max: u64| -> Result<u64, String> {
        match params.get(name) {
            None => Ok(default),
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("{name} must be a whole number from 1 to {max}")),
        }
    };
    let after = match params.get("page[after]") {
        None => None,
        Some(cursor) => Some(document::cursor_from(cursor).ok_or_else(|| {
            "page[after] must be the value of a `next` link's page[after]".to_owned()
        })?),
    };
    let page = PageRequest {
        number: number("page[number]", 1, 1_000_000)?,
        size: number("page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?,
        after,
    };
    let mut conditions = Vec::new();
    let mut sort = Vec::new();
    let mut kept = Vec::new();
    for (name, value) in params.pairs() {
        if let Some(filter) = filter_name(name) {
            conditions.push(filter::parse::<R>(filter, value)?);
        } else if name == "sort" {
            sort = sort::parse::<R>(value)?;
        } else if !(name.starts_with("fields[") || name == "include") {
            continue;
        }
        kept.push(format!("{}={}", encode(name), encode(value)));
    }
    Ok(ListQuery {
        page,
        conditions,
        sort,
        kept: kept.join("&"),
    })
}

/// A `filter`, `sort` or `page` parameter on a request for one record: an error naming it.
pub fn list_only(params: &Params) -> Result<(), String> {
    match params
        .names()
        .find(|name| filter_name(name).is_some() || *name == "sort" || name.starts_with("page["))
    {
        Some(name) => Err(format!(
            "{} applies to lists; this is one record",
            echo_input(name)
        )),
        None => Ok(()),
    }
}

/// The fieldset `fields[<kind>]` asks for, checked against the members each type has:
/// `None` when the request names none for `kind`.
pub fn fieldset(params: &Params, kind: &str) -> Result<Option<Vec<String>>, String> {
    let mut shown = None;
    for (name, value) in params.pairs() {
        let Some(named) = name
            .strip_prefix("fields[")
            .and_then(|n| n.strip_suffix(']'))
        else {
            continue;
        };
        let members = fields_of(named).ok_or_else(|| {
            format!(
                "{} names '{}', which is not a type this API serves",
                echo_input(name),
                echo_input(named)
            )
        })?;
        // "The value of any fields[TYPE] parameter MUST be a comma-separated (U+002C COMMA,
        // ",") list that refers to the name(s) of the fields to be returned. An empty value
        // indicates that no fields should be returned."
        let fields: Vec<String> = value
            .split(',')
            .filter(|field| !field.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) = fields.iter().find(|f| !members.contains(&f.as_str())) {
            return Err(format!(
                "{name} names '{}', which is not a field of {named}; fields: {}",
                echo_input(unknown),
                members.join(", ")
            ));
        }
        if named == kind {
            shown = Some(fields);
        }
    }
    Ok(shown)
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
#[path = "list_query_tests.rs"]
mod tests;
