use super::*;
use gatehouse_core::model::Mode;
use serde_json::{json, Value};
use std::sync::Arc;

/// What serde_json writes for `value`: its maps sort their members, as the documents do.
fn serde_text(value: Value) -> String {
    serde_json::to_string(&value).unwrap()
}

fn none() -> Related {
    Related::default()
}

fn body(response: Response<Body>) -> String {
    String::from_utf8(response.body().to_vec()).unwrap()
}

fn market(name: &str) -> Market {
    Market {
        id: "mkt_1".into(),
        number: 1001,
        code: "eu".into(),
        name: name.into(),
        mode: Mode::Test,
        active: true,
        price_list_id: "pl_1".into(),
        stock_location_ids: vec!["sl_1".into(), "sl_2".into()],
        stock_location_numbers: vec![1, 2],
        customer_group_id: None,
    }
}

#[test]
fn a_record_is_written_as_serde_json_writes_its_value_whatever_its_strings_hold() {
    let names = [
        "Europe",
        "Qu\"ote \\ back",
        "line\nbreak\ttab\u{1}",
        "Zürich ✓",
        "",
    ];
    for name in names {
        let written = body(single(&market(name), "https://auth.example", None, &none()));
        let expected = serde_text(json!({"data": {
            "attributes": {
                "active": true, "code": "eu", "name": name, "number": 1001,
                "price_list_id": "pl_1", "stock_location_ids": ["sl_1", "sl_2"],
            },
            "id": "mkt_1",
            "links": {"self": "https://auth.example/api/markets/mkt_1"},
            "type": "markets",
        }}));
        assert_eq!(written, expected, "{name:?}");
    }
}

#[test]
fn a_page_is_written_as_serde_json_writes_its_value() {
    let sku = |n: u32| Sku {
        id: format!("sku_{n}"),
        mode: Mode::Test,
        code: format!("SKU-\"{n}\""),
        name: format!("Product {n}"),
    };
    let price = Price {
        id: "pr_1".into(),
        mode: Mode::Test,
        sku_code: "SKU-1".into(),
        price_list_id: "pl_1".into(),
        amount_cents: 1999,
    };
    let stock = StockItem {
        id: "si_1".into(),
        mode: Mode::Test,
        sku_code: "SKU-1".into(),
        stock_location_id: "sl_1".into(),
        stock_location_number: 7,
        quantity: 0,
    };
    let request = PageRequest {
        number: 2,
        size: 2,
        after: Some("e#1".into()),
    };
    let base = "http://127.0.0.1:3000";
    let skus = Page {
        records: vec![Arc::new(sku(3)), Arc::new(sku(4))],
        record_count: 7,
        next: Some("e#4".into()),
    };
    let link = |number: u64, after: &str| {
        format!("{base}/api/skus?filter%5Bq%5D%5Bcode_eq%5D=x&page%5Bnumber%5D={number}&page%5Bsize%5D=2{after}")
    };
    let resource = |s: &Sku| {
        json!({
            "attributes": {"code": s.code, "name": s.name},
            "id": s.id,
            "links": {"self": format!("{base}/api/skus/{}", s.id)},
            "type": "skus",
        })
    };
    let expected = serde_text(json!({
        "data": [resource(&sku(3)), resource(&sku(4))],
        "links": {
            "first": link(1, ""),
            "last": link(4, ""),
            "next": link(3, &format!("&page%5Bafter%5D={}", cursor_of("e#4"))),
            "prev": link(1, ""),
            "self": link(2, &format!("&page%5Bafter%5D={}", cursor_of("e#1"))),
        },
        "meta": {"page_count": 4, "record_count": 7},
    }));
    assert_eq!(
        body(list(
            &skus,
            &request,
            base,
            "filter%5Bq%5D%5Bcode_eq%5D=x",
            None,
            &none(),
        )),
        expected
    );

    let first = PageRequest {
        number: 1,
        size: 25,
        after: None,
    };
    fn one<T>(record: T) -> Page<T> {
        Page {
            records: vec![Arc::new(record)],
            record_count: 1,
            next: None,
        }
    }
    let written = body(list(&one(price), &first, base, "", None, &none()));
    let value: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(serde_text(value.clone()), written);
    assert_eq!(
        value["data"][0]["attributes"],
        json!({"amount_cents": 1999, "price_list_id": "pl_1", "sku_code": "SKU-1"})
    );
    assert!(value["links"].get("next").is_none() && value["links"].get("prev").is_none());
    let written = body(list(&one(stock), &first, base, "", None, &none()));
    let value: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(serde_text(value.clone()), written);
    assert_eq!(
        value["data"][0]["attributes"],
        json!({"quantity": 0, "sku_code": "SKU-1", "stock_location_id": "sl_1", "stock_location_number": 7})
    );
    let empty: Page<Sku> = Page {
        records: vec![],
        record_count: 0,
        next: None,
    };
    assert_eq!(
        body(list(&empty, &first, base, "", None, &none())),
        serde_text(json!({
            "data": [],
            "links": {
                "first": format!("{base}/api/skus?page%5Bnumber%5D=1&page%5Bsize%5D=25"),
                "last": format!("{base}/api/skus?page%5Bnumber%5D=1&page%5Bsize%5D=25"),
                "self": format!("{base}/api/skus?page%5Bnumber%5D=1&page%5Bsize%5D=25"),
            },
            "meta": {"page_count": 1, "record_count": 0},
        }))
    );
}

#[test]
fn a_sparse_fieldset_writes_the_members_it_names_and_no_others() {
    let base = "https://auth.example";
    let cases: [(&[&str], Value); 4] = [
        (&["name"], json!({"name": "Europe"})),
        (
            &["stock_location_ids", "active"],
            json!({"active": true, "stock_location_ids": ["sl_1", "sl_2"]}),
        ),
        (&[], json!({})),
        (
            Market::FIELDS,
            json!({
                "active": true, "code": "eu", "name": "Europe", "number": 1001,
                "price_list_id": "pl_1", "stock_location_ids": ["sl_1", "sl_2"],
            }),
        ),
    ];
    for (fields, attributes) in cases {
        let shown: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        let written = body(single(&market("Europe"), base, Some(&shown), &none()));
        let value: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(serde_text(value.clone()), written, "{fields:?}");
        assert_eq!(value["data"]["attributes"], attributes, "{fields:?}");
        assert_eq!(value["data"]["id"], "mkt_1");
    }
}
