//! The list query language of the resource API, as Commerce Layer speaks it: filters
//! (`filter[q][<attribute>_<predicate>]`, [`filter`]) and sort orders (`sort=-name,code`,
//! [`sort`]) over the attributes each record exposes ([`Record`]). Pure: parsing a parameter
//! and testing or ordering a record; reading the records is the store's, answering the edge's.

pub mod filter;
pub mod sort;

use std::cmp::Ordering;

use crate::model::{Market, Price, PriceList, Sku, StockItem, StockLocation};

/// What an attribute holds, which decides the predicates that apply to it and how an operand
/// is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number: operands must be whole numbers, compared as numbers.
    Number,
    /// `true` or `false`.
    Flag,
}

/// One attribute's value in one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(&'a str),
    Number(u64),
    Flag(bool),
}

impl Value<'_> {
    /// This value against an operand that [`Kind::operand_fits`] admitted for its kind;
    /// `None` when it does not read as one (never, after that check).
    pub fn compare(self, operand: &str) -> Option<Ordering> {
        match self {
            Value::Text(text) => Some(text.cmp(operand)),
            Value::Number(number) => operand.parse::<u64>().ok().map(|n| number.cmp(&n)),
            Value::Flag(flag) => flag_of(operand).map(|f| flag.cmp(&f)),
        }
    }

    /// The order of two values of one attribute (the same kind); values of different kinds
    /// (never of one attribute) order by kind.
    pub fn order(self, other: Value<'_>) -> Ordering {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.cmp(&b),
            (Value::Flag(a), Value::Flag(b)) => a.cmp(&b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(self) -> u8 {
        match self {
            Value::Text(_) => 0,
            Value::Number(_) => 1,
            Value::Flag(_) => 2,
        }
    }
}

impl Kind {
    /// Whether `operand` reads as a value of this kind.
    pub fn operand_fits(self, operand: &str) -> bool {
        match self {
            Kind::Text => true,
            Kind::Number => operand.parse::<u64>().is_ok(),
            Kind::Flag => flag_of(operand).is_some(),
        }
    }
}

/// A flag operand, as Ransack (Commerce Layer's filters) reads one.
pub fn flag_of(operand: &str) -> Option<bool> {
    match operand {
        "true" | "t" | "1" => Some(true),
        "false" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// A record the resource API lists: its JSON:API type and the attributes a filter or a sort
/// may name (`id` among them), each with its kind.
pub trait Record {
    const TYPE: &'static str;
    const ATTRIBUTES: &'static [(&'static str, Kind)];
    /// The value of `attribute`, one of [`Record::ATTRIBUTES`]; `None` for any other name.
    fn value(&self, attribute: &str) -> Option<Value<'_>>;
}

/// The kind of `attribute` in `R`, if `R` exposes it.
pub fn kind_of<R: Record>(attribute: &str) -> Option<Kind> {
    R::ATTRIBUTES
        .iter()
        .find(|(name, _)| *name == attribute)
        .map(|(_, kind)| *kind)
}

/// `R`'s attribute names, for an error that lists them.
pub fn attribute_names<R: Record>() -> String {
    R::ATTRIBUTES
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Record for Market {
    const TYPE: &'static str = "markets";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Text),
        ("number", Kind::Number),
        ("code", Kind::Text),
        ("name", Kind::Text),
        ("active", Kind::Flag),
        ("price_list_id", Kind::Text),
    ];
    fn value(&self, attribute: &str) -> Option<Value<'_>> {
        match attribute {
            "id" => Some(Value::Text(&self.id)),
            "number" => Some(Value::Number(self.number)),
            "code" => Some(Value::Text(&self.code)),
            "name" => Some(Value::Text(&self.name)),
            "active" => Some(Value::Flag(self.active)),
            "price_list_id" => Some(Value::Text(&self.price_list_id)),
            _ => None,
        }
    }
}

impl Record for Sku {
    const TYPE: &'static str = "skus";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Text),
        ("code", Kind::Text),
        ("name", Kind::Text),
    ];
    fn value(&self, attribute: &str) -> Option<Value<'_>> {
        match attribute {
            "id" => Some(Value::Text(&self.id)),
            "code" => Some(Value::Text(&self.code)),
            "name" => Some(Value::Text(&self.name)),
            _ => None,
        }
    }
}

impl Record for Price {
    const TYPE: &'static str = "prices";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Text),
        ("sku_code", Kind::Text),
        ("price_list_id", Kind::Text),
        ("amount_cents", Kind::Number),
    ];
    fn value(&self, attribute: &str) -> Option<Value<'_>> {
        match attribute {
            "id" => Some(Value::Text(&self.id)),
            "sku_code" => Some(Value::Text(&self.sku_code)),
            "price_list_id" => Some(Value::Text(&self.price_list_id)),
            "amount_cents" => Some(Value::Number(self.amount_cents)),
            _ => None,
        }
    }
}

impl Record for StockItem {
    const TYPE: &'static str = "stock_items";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Text),
        ("sku_code", Kind::Text),
        ("stock_location_id", Kind::Text),
        ("stock_location_number", Kind::Number),
        ("quantity", Kind::Number),
    ];
    fn value(&self, attribute: &str) -> Option<Value<'_>> {
        match attribute {
            "id" => Some(Value::Text(&self.id)),
            "sku_code" => Some(Value::Text(&self.sku_code)),
            "stock_location_id" => Some(Value::Text(&self.stock_location_id)),
            "stock_location_number" => Some(Value::Number(self.stock_location_number)),
            "quantity" => Some(Value::Number(self.quantity)),
            _ => None,
        }
    }
}

impl Record for PriceList {
    const TYPE: &'static str = "price_lists";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Text),
        ("name", Kind::Text),
        ("currency_code", Kind::Text),
    ];
    fn value(&self, attribute: &str) -> Option<Value<'_>> {
        match attribute {
            "id" => Some(Value::Text(&self.id)),
            "name" => Some(Value::Text(&self.name)),
            "currency_code" => Some(Value::Text(&self.currency)),
            _ => None,
        }
    }
}

impl Record for StockLocation {
    const TYPE: &'static str = "stock_locations";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[
        ("id", Kind::Text),
        ("number", Kind::Number),
        ("code", Kind::Text),
        ("name", Kind::Text),
    ];
    fn value(&self, attribute: &str) -> Option<Value<'_>> {
        match attribute {
            "id" => Some(Value::Text(&self.id)),
            "number" => Some(Value::Number(self.number)),
            "code" => Some(Value::Text(&self.code)),
            "name" => Some(Value::Text(&self.name)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Mode;

    fn each_attribute_has_its_value<R: Record>(record: &R) {
        for (name, kind) in R::ATTRIBUTES {
            let value = record.value(name).expect(name);
            let matches = matches!(
                (kind, value),
                (Kind::Text, Value::Text(_))
                    | (Kind::Number, Value::Number(_))
                    | (Kind::Flag, Value::Flag(_))
            );
            assert!(matches, "{} {name}", R::TYPE);
        }
        assert_eq!(record.value("unknown"), None);
    }

    #[test]
    fn every_listed_attribute_has_a_value_of_its_kind() {
        let sku = Sku {
            id: "s".into(),
            mode: Mode::Test,
            code: "C".into(),
            name: "N".into(),
        };
        each_attribute_has_its_value(&sku);
        let price = Price {
            id: "p".into(),
            mode: Mode::Test,
            sku_code: "C".into(),
            price_list_id: "l".into(),
            amount_cents: 5,
        };
        each_attribute_has_its_value(&price);
        let stock = StockItem {
            id: "i".into(),
            mode: Mode::Test,
            sku_code: "C".into(),
            stock_location_id: "sl".into(),
            stock_location_number: 3,
            quantity: 0,
        };
        each_attribute_has_its_value(&stock);
        let market = Market {
            id: "m".into(),
            number: 1,
            code: "eu".into(),
            name: "Europe".into(),
            mode: Mode::Test,
            active: true,
            price_list_id: "l".into(),
            stock_location_ids: vec![],
            stock_location_numbers: vec![],
            customer_group_id: None,
        };
        each_attribute_has_its_value(&market);
        let list = PriceList {
            id: "l".into(),
            mode: Mode::Test,
            name: "EUR".into(),
            currency: "EUR".into(),
        };
        each_attribute_has_its_value(&list);
        let location = StockLocation {
            id: "sl".into(),
            number: 1,
            code: "ams".into(),
            name: "Amsterdam".into(),
            mode: Mode::Test,
        };
        each_attribute_has_its_value(&location);
    }

    #[test]
    fn operands_are_read_by_kind() {
        let cases = [
            (Value::Text("b"), "a", Some(Ordering::Greater)),
            (Value::Text("b"), "b", Some(Ordering::Equal)),
            (Value::Number(10), "9", Some(Ordering::Greater)),
            (Value::Number(10), "10", Some(Ordering::Equal)),
            (Value::Number(10), "x", None),
            (Value::Flag(true), "true", Some(Ordering::Equal)),
            (Value::Flag(true), "0", Some(Ordering::Greater)),
            (Value::Flag(true), "yes", None),
        ];
        for (value, operand, expected) in cases {
            assert_eq!(value.compare(operand), expected, "{value:?} {operand}");
        }
        assert!(Kind::Number.operand_fits("12"));
        assert!(!Kind::Number.operand_fits("-1"));
        assert!(!Kind::Number.operand_fits("1.5"));
        assert!(Kind::Flag.operand_fits("f"));
        assert!(Kind::Text.operand_fits(""));
    }
}
