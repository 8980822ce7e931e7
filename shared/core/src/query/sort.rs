//! Sort orders: `sort=-name,code`, JSON:API's syntax ("The sort order for each sort field
//! MUST be ascending unless it is prefixed with a minus (U+002D HYPHEN-MINUS, "-"), in which
//! case it MUST be descending"), on any attribute a record exposes ([`Record::ATTRIBUTES`]).
//! Records equal on every field keep the list's own order.

use std::cmp::Ordering;

use super::{attribute_names, Record};
use crate::input::echo_input;

/// One sort field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortField {
    pub attribute: &'static str,
    pub descending: bool,
}

/// `sort=<fields>` on records of type `R`.
pub fn parse<R: Record>(fields: &str) -> Result<Vec<SortField>, String> {
    fields
        .split(',')
        .map(|field| {
            let (name, descending) = match field.strip_prefix('-') {
                Some(name) => (name, true),
                None => (field, false),
            };
            R::ATTRIBUTES
                .iter()
                .find(|(attribute, _)| *attribute == name)
                .map(|(attribute, _)| SortField {
                    attribute,
                    descending,
                })
                .ok_or_else(|| {
                    format!(
                        "sort names '{}', which is not an attribute of {}; sortable: {}",
                        echo_input(field),
                        R::TYPE,
                        attribute_names::<R>()
                    )
                })
        })
        .collect()
}

/// The order of `a` and `b` by `fields`, the first that tells them apart deciding.
pub fn compare<R: Record>(fields: &[SortField], a: &R, b: &R) -> Ordering {
    fields
        .iter()
        .map(|field| {
            let order = match (a.value(field.attribute), b.value(field.attribute)) {
                (Some(x), Some(y)) => x.order(y),
                _ => Ordering::Equal,
            };
            if field.descending {
                order.reverse()
            } else {
                order
            }
        })
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mode, Price};

    fn price(id: &str, sku: &str, amount: u64) -> Price {
        Price {
            id: id.into(),
            mode: Mode::Test,
            sku_code: sku.into(),
            price_list_id: "l".into(),
            amount_cents: amount,
        }
    }

    #[test]
    fn sort_fields_order_records_and_unknown_ones_are_named() {
        let prices = [
            price("1", "B", 900),
            price("2", "A", 1000),
            price("3", "C", 900),
        ];
        let cases: [(&str, [&str; 3]); 5] = [
            ("amount_cents", ["1", "3", "2"]),
            ("-amount_cents", ["2", "1", "3"]),
            ("amount_cents,-sku_code", ["3", "1", "2"]),
            ("sku_code", ["2", "1", "3"]),
            ("-id", ["3", "2", "1"]),
        ];
        for (sort, expected) in cases {
            let fields = parse::<Price>(sort).expect(sort);
            let mut sorted: Vec<&Price> = prices.iter().collect();
            sorted.sort_by(|a, b| compare(&fields, *a, *b));
            let ids: Vec<&str> = sorted.iter().map(|p| p.id.as_str()).collect();
            assert_eq!(ids, expected, "{sort}");
        }
        for bad in [
            "price",
            "amount_cents,",
            "--amount_cents",
            "+amount_cents",
            "",
        ] {
            let error = parse::<Price>(bad).expect_err(bad);
            assert!(error.contains("not an attribute of prices"), "{error}");
        }
    }
}
