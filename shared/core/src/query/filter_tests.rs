use super::*;
use crate::model::{Market, Mode, Sku, StockItem};

fn sku(code: &str, name: &str) -> Sku {
    Sku {
        id: format!("id-{code}"),
        mode: Mode::Test,
        code: code.into(),
        name: name.into(),
    }
}

fn stock(id: &str, quantity: u64) -> StockItem {
    StockItem {
        id: id.into(),
        mode: Mode::Test,
        sku_code: "CAP".into(),
        stock_location_id: "sl".into(),
        stock_location_number: 2,
        quantity,
    }
}

fn market(code: &str, active: bool) -> Market {
    Market {
        id: code.into(),
        number: 1,
        code: code.into(),
        name: code.into(),
        mode: Mode::Test,
        active,
        price_list_id: "l".into(),
        stock_location_ids: vec![],
        stock_location_numbers: vec![],
        customer_group_id: None,
    }
}

fn admitted<R: Record>(
    records: &[R],
    name: &str,
    operand: &str,
    id: fn(&R) -> &str,
) -> Vec<String> {
    let condition = parse::<R>(name, operand).unwrap_or_else(|e| panic!("{name}: {e}"));
    records
        .iter()
        .filter(|r| condition.admits(*r))
        .map(|r| id(r).to_owned())
        .collect()
}

#[test]
fn each_predicate_admits_the_records_ransack_would() {
    let skus = [
        sku("CAP-RED", "Red cap"),
        sku("MUG-WHT", "White mug"),
        sku("TSHIRT-BLK-M", "Black T-shirt"),
        sku("BLANK", " "),
    ];
    let cases = [
        ("code_eq", "MUG-WHT", vec!["MUG-WHT"]),
        ("code_eq", "mug-wht", vec![]),
        (
            "code_not_eq",
            "MUG-WHT",
            vec!["CAP-RED", "TSHIRT-BLK-M", "BLANK"],
        ),
        (
            "code_in",
            "MUG-WHT,CAP-RED,NONE",
            vec!["CAP-RED", "MUG-WHT"],
        ),
        (
            "code_not_in",
            "MUG-WHT,CAP-RED",
            vec!["TSHIRT-BLK-M", "BLANK"],
        ),
        ("code_start", "TSHIRT", vec!["TSHIRT-BLK-M"]),
        ("code_end", "-RED", vec!["CAP-RED"]),
        ("name_cont", "mug", vec!["MUG-WHT"]),
        ("name_cont", "Mug", vec![]),
        ("name_i_cont", "MUG", vec!["MUG-WHT"]),
        ("code_lt", "MUG-WHT", vec!["CAP-RED", "BLANK"]),
        ("code_lteq", "MUG-WHT", vec!["CAP-RED", "MUG-WHT", "BLANK"]),
        ("code_gt", "MUG-WHT", vec!["TSHIRT-BLK-M"]),
        ("code_gteq", "MUG-WHT", vec!["MUG-WHT", "TSHIRT-BLK-M"]),
        ("name_null", "true", vec![]),
        (
            "name_null",
            "false",
            vec!["CAP-RED", "MUG-WHT", "TSHIRT-BLK-M", "BLANK"],
        ),
        (
            "name_not_null",
            "1",
            vec!["CAP-RED", "MUG-WHT", "TSHIRT-BLK-M", "BLANK"],
        ),
        (
            "name_present",
            "true",
            vec!["CAP-RED", "MUG-WHT", "TSHIRT-BLK-M"],
        ),
        ("name_present", "false", vec!["BLANK"]),
        ("name_blank", "true", vec!["BLANK"]),
        ("name_or_code_cont", "cap", vec!["CAP-RED"]),
        ("name_or_code_i_cont", "BL", vec!["TSHIRT-BLK-M", "BLANK"]),
        ("id_eq", "id-CAP-RED", vec!["CAP-RED"]),
    ];
    for (name, operand, expected) in cases {
        assert_eq!(
            admitted(&skus, name, operand, |s| s.code.as_str()),
            expected,
            "{name}={operand}"
        );
    }

    let stock_items = [stock("a", 0), stock("b", 9), stock("c", 10)];
    let cases = [
        ("quantity_eq", "9", vec!["b"]),
        ("quantity_gt", "0", vec!["b", "c"]),
        ("quantity_lt", "10", vec!["a", "b"]),
        ("quantity_gteq", "9", vec!["b", "c"]),
        ("quantity_lteq", "0", vec!["a"]),
        ("quantity_in", "0,10", vec!["a", "c"]),
        ("quantity_not_eq", "0", vec!["b", "c"]),
        ("stock_location_number_eq", "2", vec!["a", "b", "c"]),
        ("sku_code_or_id_eq", "b", vec!["b"]),
    ];
    for (name, operand, expected) in cases {
        assert_eq!(
            admitted(&stock_items, name, operand, |s| s.id.as_str()),
            expected,
            "{name}={operand}"
        );
    }

    let markets = [market("eu", true), market("us", false)];
    let cases = [
        ("active_true", "true", vec!["eu"]),
        ("active_true", "false", vec!["us"]),
        ("active_false", "true", vec!["us"]),
        ("active_eq", "false", vec!["us"]),
        ("code_eq", "eu", vec!["eu"]),
    ];
    for (name, operand, expected) in cases {
        assert_eq!(
            admitted(&markets, name, operand, |m| m.id.as_str()),
            expected,
            "{name}={operand}"
        );
    }
}

#[test]
fn what_cannot_be_applied_is_an_error_naming_it() {
    let cases = [
        (
            "price_eq",
            "1",
            "names price, which is not an attribute of skus",
        ),
        (
            "name_or_colour_cont",
            "x",
            "names colour, which is not an attribute of skus",
        ),
        ("name_and_code_cont", "x", "names name_and_code"),
        ("code_like", "x", "ends with no predicate"),
        ("eq", "x", "ends with no predicate"),
        ("code", "x", "ends with no predicate"),
        ("code_true", "true", "true does not apply to code"),
        ("name_present", "yes", "takes true or false"),
    ];
    for (name, operand, expected) in cases {
        let error = parse::<Sku>(name, operand).expect_err(name);
        assert!(error.contains(expected), "{name}: {error}");
    }
    let cases = [
        (
            "quantity_eq",
            "many",
            "compares quantity, a whole number, with 'many'",
        ),
        ("quantity_in", "1,x", "with 'x'"),
        ("quantity_cont", "1", "cont does not apply to quantity"),
        ("quantity_gt", "-1", "whole number"),
    ];
    for (name, operand, expected) in cases {
        let error = parse::<StockItem>(name, operand).expect_err(name);
        assert!(error.contains(expected), "{name}: {error}");
    }
    let error = parse::<Market>("active_gt", "true").expect_err("flag order");
    assert!(error.contains("gt does not apply to active"), "{error}");
}

#[test]
fn a_longer_predicate_is_read_before_the_shorter_it_ends_with() {
    let cases = [
        ("code_not_eq", Predicate::NotEq),
        ("code_eq", Predicate::Eq),
        ("code_not_in", Predicate::NotIn),
        ("code_in", Predicate::In),
        ("name_i_cont", Predicate::ICont),
        ("name_cont", Predicate::Cont),
        ("name_not_null", Predicate::NotNull),
        ("name_null", Predicate::Null),
        ("code_lteq", Predicate::Lteq),
        ("code_gteq", Predicate::Gteq),
    ];
    for (name, predicate) in cases {
        let flag_or_value = if name.ends_with("null") { "true" } else { "A" };
        assert_eq!(
            parse::<Sku>(name, flag_or_value).map(|c| c.predicate),
            Ok(predicate),
            "{name}"
        );
    }
    // Every predicate's suffix that ends with another's comes before it.
    for (i, later) in Predicate::ALL.iter().enumerate() {
        for earlier in &Predicate::ALL[..i] {
            assert!(
                !later.suffix().ends_with(&format!("_{}", earlier.suffix()))
                    && later.suffix() != earlier.suffix(),
                "{} after {}",
                later.suffix(),
                earlier.suffix()
            );
        }
    }
}

#[test]
fn only_an_eq_on_one_code_or_id_is_a_key() {
    let cases = [
        ("code_eq", "A", Some(("code", "A"))),
        ("id_eq", "x", Some(("id", "x"))),
        ("code_in", "A", None),
        ("name_eq", "A", None),
        ("code_or_name_eq", "A", None),
        ("code_not_eq", "A", None),
    ];
    for (name, operand, key) in cases {
        let condition = parse::<Sku>(name, operand).expect(name);
        assert_eq!(condition.key(), key, "{name}");
    }
}
