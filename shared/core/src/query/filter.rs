//! Filters in Commerce Layer's syntax: `filter[q][<attribute>_<predicate>]=<operand>`, several
//! attributes joined by `_or_` (`name_or_code_cont`: either one), several filters all holding.
//! Commerce Layer's filters are Ransack's, and the predicates read as Ransack reads them:
//! `cont` is a case-sensitive substring (SQL `LIKE`), `i_cont` ignores case, `in` and
//! `not_in` take a comma-separated list, and `null`, `not_null`, `present`, `blank`, `true`
//! and `false` take a flag, `false` turning the test around (`name_present=false` is a blank
//! name). A name that is not an attribute of the record, a predicate that does not exist or
//! does not apply to the attribute's kind, and an operand of the wrong kind are errors naming
//! what is wrong: a filter is never ignored.

use super::{attribute_names, flag_of, Kind, Record, Value};
use crate::input::echo_input;

/// What a filter tests of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Predicate {
    Eq,
    NotEq,
    In,
    NotIn,
    Start,
    End,
    Cont,
    ICont,
    Lt,
    Lteq,
    Gt,
    Gteq,
    Null,
    NotNull,
    Present,
    Blank,
    True,
    False,
}

impl Predicate {
    /// Every predicate, the longer of two that end alike first (`not_eq` before `eq`, `lteq`
    /// before `eq`), so that a name's suffix is read as the longest predicate it ends with.
    pub const ALL: [Predicate; 18] = [
        Predicate::NotNull,
        Predicate::Present,
        Predicate::NotEq,
        Predicate::NotIn,
        Predicate::ICont,
        Predicate::Start,
        Predicate::Blank,
        Predicate::False,
        Predicate::Lteq,
        Predicate::Gteq,
        Predicate::Cont,
        Predicate::Null,
        Predicate::True,
        Predicate::End,
        Predicate::Eq,
        Predicate::In,
        Predicate::Lt,
        Predicate::Gt,
    ];

    pub fn suffix(self) -> &'static str {
        match self {
            Predicate::Eq => "eq",
            Predicate::NotEq => "not_eq",
            Predicate::In => "in",
            Predicate::NotIn => "not_in",
            Predicate::Start => "start",
            Predicate::End => "end",
            Predicate::Cont => "cont",
            Predicate::ICont => "i_cont",
            Predicate::Lt => "lt",
            Predicate::Lteq => "lteq",
            Predicate::Gt => "gt",
            Predicate::Gteq => "gteq",
            Predicate::Null => "null",
            Predicate::NotNull => "not_null",
            Predicate::Present => "present",
            Predicate::Blank => "blank",
            Predicate::True => "true",
            Predicate::False => "false",
        }
    }

    /// Whether the predicate applies to an attribute of `kind`.
    fn applies_to(self, kind: Kind) -> bool {
        match self {
            Predicate::Start | Predicate::End | Predicate::Cont | Predicate::ICont => {
                kind == Kind::Text
            }
            Predicate::True | Predicate::False => kind == Kind::Flag,
            Predicate::Lt | Predicate::Lteq | Predicate::Gt | Predicate::Gteq => kind != Kind::Flag,
            Predicate::Eq
            | Predicate::NotEq
            | Predicate::In
            | Predicate::NotIn
            | Predicate::Null
            | Predicate::NotNull
            | Predicate::Present
            | Predicate::Blank => true,
        }
    }

    /// Whether the operand is a flag rather than a value of the attribute.
    fn takes_flag(self) -> bool {
        matches!(
            self,
            Predicate::Null
                | Predicate::NotNull
                | Predicate::Present
                | Predicate::Blank
                | Predicate::True
                | Predicate::False
        )
    }
}

/// The predicates' names, for an error that lists them.
pub fn predicate_names() -> String {
    let mut names: Vec<&str> = Predicate::ALL.iter().map(|p| p.suffix()).collect();
    names.sort_unstable();
    names.join(", ")
}

/// One filter: `predicate` holds for at least one of `attributes` (one unless `_or_` joined
/// several), with `operands` (one, or the list of `in` / `not_in`) or `flag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub attributes: Vec<&'static str>,
    pub predicate: Predicate,
    pub operands: Vec<String>,
    pub flag: bool,
}

/// `filter[q][<name>]=<operand>` (`name` is what the brackets hold) on records of type `R`.
pub fn parse<R: Record>(name: &str, operand: &str) -> Result<Condition, String> {
    let mut unknown = None;
    for predicate in Predicate::ALL {
        let Some(joined) = name
            .strip_suffix(predicate.suffix())
            .and_then(|rest| rest.strip_suffix('_'))
        else {
            continue;
        };
        match attributes_of::<R>(joined) {
            Ok(attributes) => return condition(name, predicate, attributes, operand),
            // The longest predicate the name ends with names the attributes it is read with.
            Err(attribute) => {
                unknown.get_or_insert(attribute);
            }
        }
    }
    let name = echo_input(name);
    Err(match unknown {
        Some(attribute) => format!(
            "the filter {name} names {}, which is not an attribute of {}; \
             filterable: {}",
            echo_input(&attribute),
            R::TYPE,
            attribute_names::<R>()
        ),
        None => format!(
            "the filter {name} ends with no predicate; predicates: {}",
            predicate_names()
        ),
    })
}

/// The attributes of `joined` (`name_or_code`) with their kinds, or the first one `R` does
/// not have.
fn attributes_of<R: Record>(joined: &str) -> Result<Vec<(&'static str, Kind)>, String> {
    joined
        .split("_or_")
        .map(|attribute| {
            R::ATTRIBUTES
                .iter()
                .find(|(name, _)| *name == attribute)
                .copied()
                .ok_or_else(|| attribute.to_owned())
        })
        .collect()
}

fn condition(
    name: &str,
    predicate: Predicate,
    kinds: Vec<(&'static str, Kind)>,
    operand: &str,
) -> Result<Condition, String> {
    let attributes = kinds.iter().map(|(attribute, _)| *attribute).collect();
    if predicate.takes_flag() {
        if let Some((attribute, _)) = kinds.iter().find(|(_, k)| !predicate.applies_to(*k)) {
            return Err(not_applicable(name, predicate, attribute));
        }
        let flag = flag_of(operand).ok_or_else(|| {
            format!(
                "the filter {} takes true or false, not '{}'",
                echo_input(name),
                echo_input(operand)
            )
        })?;
        return Ok(Condition {
            attributes,
            predicate,
            operands: vec![],
            flag,
        });
    }
    let operands: Vec<String> = match predicate {
        Predicate::In | Predicate::NotIn => operand.split(',').map(str::to_owned).collect(),
        _ => vec![operand.to_owned()],
    };
    for (attribute, kind) in kinds {
        if !predicate.applies_to(kind) {
            return Err(not_applicable(name, predicate, attribute));
        }
        if let Some(bad) = operands.iter().find(|o| !kind.operand_fits(o)) {
            return Err(format!(
                "the filter {} compares {attribute}, a {}, with '{}'",
                echo_input(name),
                match kind {
                    Kind::Text => "text",
                    Kind::Number => "whole number",
                    Kind::Flag => "flag (true or false)",
                },
                echo_input(bad)
            ));
        }
    }
    Ok(Condition {
        attributes,
        predicate,
        operands,
        flag: true,
    })
}

fn not_applicable(name: &str, predicate: Predicate, attribute: &str) -> String {
    format!(
        "the filter {}: {} does not apply to {attribute}",
        echo_input(name),
        predicate.suffix()
    )
}

impl Condition {
    /// Whether `record` passes this filter.
    pub fn admits<R: Record>(&self, record: &R) -> bool {
        self.attributes
            .iter()
            .filter_map(|attribute| record.value(attribute))
            .any(|value| self.holds(value))
    }

    fn holds(&self, value: Value<'_>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let operand = self.operands.first().map(String::as_str).unwrap_or("");
        let text = match value {
            Value::Text(text) => Some(text),
            _ => None,
        };
        let equal = |o: &str| value.compare(o) == Some(Equal);
        // Attributes are never null here: every record has a value for each one it exposes.
        let present = text.is_none_or(|t| !t.trim().is_empty());
        match self.predicate {
            Predicate::Eq => equal(operand),
            Predicate::NotEq => !equal(operand),
            Predicate::In => self.operands.iter().any(|o| equal(o)),
            Predicate::NotIn => !self.operands.iter().any(|o| equal(o)),
            Predicate::Start => text.is_some_and(|t| t.starts_with(operand)),
            Predicate::End => text.is_some_and(|t| t.ends_with(operand)),
            Predicate::Cont => text.is_some_and(|t| t.contains(operand)),
            Predicate::ICont => {
                text.is_some_and(|t| t.to_lowercase().contains(&operand.to_lowercase()))
            }
            Predicate::Lt => value.compare(operand) == Some(Less),
            Predicate::Lteq => matches!(value.compare(operand), Some(Less | Equal)),
            Predicate::Gt => value.compare(operand) == Some(Greater),
            Predicate::Gteq => matches!(value.compare(operand), Some(Greater | Equal)),
            Predicate::Null => !self.flag,
            Predicate::NotNull => self.flag,
            Predicate::Present => present == self.flag,
            Predicate::Blank => present != self.flag,
            Predicate::True => (value == Value::Flag(true)) == self.flag,
            Predicate::False => (value == Value::Flag(false)) == self.flag,
        }
    }

    /// The one code or id this filter pins the record to, when it is `code_eq` or `id_eq`
    /// on one attribute: a store finds that record by its key instead of reading the list.
    pub fn key(&self) -> Option<(&'static str, &str)> {
        match (
            self.predicate,
            self.attributes.as_slice(),
            self.operands.as_slice(),
        ) {
            (Predicate::Eq, [attribute @ ("code" | "id")], [operand]) => {
                Some((attribute, operand.as_str()))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
