//! JSON:API documents (https://jsonapi.org): resources, pagination links and
//! `meta.record_count`, with `application/vnd.api+json`. Errors are the edge's JSON:API
//! error writer's ([`gatehouse_edge::jsonapi`]).
//!
//! The documents are written as text ([`JsonText`]), each object's members in alphabetical
//! order (as when they were built as `serde_json::Value`s, whose maps sort them): a page of 25
//! then costs no tree of values, no map per object and no string per record (a `self` link is
//! written from its parts).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_core::model::{Market, Price, Sku, StockItem};
use gatehouse_edge::jsonapi::text_response;
use gatehouse_store::{Page, PageRequest};
use http::StatusCode;
use lambda_http::{Body, Response};

use crate::json_text::{Decimal, JsonText};

/// A record as a JSON:API resource.
pub trait Resource {
    const TYPE: &'static str;
    fn id(&self) -> &str;
    /// Writes the `attributes` object, its members in alphabetical order.
    fn attributes(&self, json: &mut JsonText);
}

impl Resource for Market {
    const TYPE: &'static str = "markets";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, json: &mut JsonText) {
        json.begin_object();
        json.key("active").boolean(self.active);
        json.key("code").string(&self.code);
        json.key("name").string(&self.name);
        json.key("number").number(self.number);
        json.key("price_list_id").string(&self.price_list_id);
        json.key("stock_location_ids").begin_array();
        for id in &self.stock_location_ids {
            json.element().string(id);
        }
        json.end_array().end_object();
    }
}

impl Resource for Sku {
    const TYPE: &'static str = "skus";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, json: &mut JsonText) {
        json.begin_object();
        json.key("code").string(&self.code);
        json.key("name").string(&self.name);
        json.end_object();
    }
}

impl Resource for Price {
    const TYPE: &'static str = "prices";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, json: &mut JsonText) {
        json.begin_object();
        json.key("amount_cents").number(self.amount_cents);
        json.key("price_list_id").string(&self.price_list_id);
        json.key("sku_code").string(&self.sku_code);
        json.end_object();
    }
}

impl Resource for StockItem {
    const TYPE: &'static str = "stock_items";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, json: &mut JsonText) {
        json.begin_object();
        json.key("quantity").number(self.quantity);
        json.key("sku_code").string(&self.sku_code);
        json.key("stock_location_id")
            .string(&self.stock_location_id);
        json.key("stock_location_number")
            .number(self.stock_location_number);
        json.end_object();
    }
}

/// One resource object: `attributes`, `id`, `links.self` (`{base}/api/{type}/{id}`), `type`.
fn resource<T: Resource>(json: &mut JsonText, record: &T, base: &str) {
    json.begin_object();
    json.key("attributes");
    record.attributes(json);
    json.key("id").string(record.id());
    json.key("links").begin_object();
    json.key("self")
        .joined(&[base, "/api/", T::TYPE, "/", record.id()]);
    json.end_object();
    json.key("type").string(T::TYPE);
    json.end_object();
}

/// One record.
pub fn single<T: Resource>(record: &T, base: &str) -> Response<Body> {
    let mut json = JsonText::with_capacity(512);
    json.begin_object().key("data");
    resource(&mut json, record, base);
    json.end_object();
    text_response(StatusCode::OK, json.finish())
}

/// The longest `page[after]` read: a store's place is at most 1,024 bytes.
const MAX_CURSOR_CHARACTERS: usize = 1_400;

/// A store's place as a link's `page[after]`: base64url, so that any place fits in a URL.
fn cursor_of(place: &str) -> String {
    URL_SAFE_NO_PAD.encode(place)
}

/// The place a `page[after]` names, if it is one [`cursor_of`] could have written.
pub fn cursor_from(cursor: &str) -> Option<String> {
    if cursor.len() > MAX_CURSOR_CHARACTERS {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes).ok()
}

/// A page of a list, with `links` to its neighbours (`query` is the request's other
/// parameters, kept in every link) and `meta.record_count` / `meta.page_count`. The `next`
/// link carries where this page ended (`page[after]`) when the store gave it: following it
/// reads the next page alone, however deep, while `page[number]` alone steps over the pages
/// before it.
pub fn list<T: Resource>(
    page: &Page<T>,
    request: &PageRequest,
    base: &str,
    query: &str,
) -> Response<Body> {
    let page_count = page.record_count.div_ceil(request.size).max(1);
    let separator = if query.is_empty() { "" } else { "&" };
    let size = Decimal::of(request.size);
    // `{base}/api/{type}?{query}&page%5Bnumber%5D={number}&page%5Bsize%5D={size}`, and
    // `&page%5Bafter%5D={cursor}` when it starts after a place.
    let link = |json: &mut JsonText, number: u64, after: Option<&str>| {
        let number = Decimal::of(number);
        let cursor = after.map(cursor_of);
        let (after_name, cursor) = match &cursor {
            Some(cursor) => ("&page%5Bafter%5D=", cursor.as_str()),
            None => ("", ""),
        };
        json.joined(&[
            base,
            "/api/",
            T::TYPE,
            "?",
            query,
            separator,
            "page%5Bnumber%5D=",
            number.as_str(),
            "&page%5Bsize%5D=",
            size.as_str(),
            after_name,
            cursor,
        ]);
    };
    let mut json = JsonText::with_capacity(512 + 192 * page.records.len());
    json.begin_object();
    json.key("data").begin_array();
    for record in &page.records {
        json.element();
        resource(&mut json, record.as_ref(), base);
    }
    json.end_array();
    json.key("links").begin_object();
    link(json.key("first"), 1, None);
    link(json.key("last"), page_count, None);
    if request.number < page_count {
        link(json.key("next"), request.number + 1, page.next.as_deref());
    }
    if request.number > 1 {
        link(json.key("prev"), (request.number - 1).min(page_count), None);
    }
    link(json.key("self"), request.number, request.after.as_deref());
    json.end_object();
    json.key("meta").begin_object();
    json.key("page_count").number(page_count);
    json.key("record_count").number(page.record_count);
    json.end_object().end_object();
    text_response(StatusCode::OK, json.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::model::Mode;
    use serde_json::{json, Value};
    use std::sync::Arc;

    /// What serde_json writes for `value`: its maps sort their members, as the documents do.
    fn serde_text(value: Value) -> String {
        serde_json::to_string(&value).unwrap()
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
            let written = body(single(&market(name), "https://auth.example"));
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
            format!("{base}/api/skus?filter%5Bcode_eq%5D=x&page%5Bnumber%5D={number}&page%5Bsize%5D=2{after}")
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
            body(list(&skus, &request, base, "filter%5Bcode_eq%5D=x")),
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
        let written = body(list(&one(price), &first, base, ""));
        let value: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(serde_text(value.clone()), written);
        assert_eq!(
            value["data"][0]["attributes"],
            json!({"amount_cents": 1999, "price_list_id": "pl_1", "sku_code": "SKU-1"})
        );
        assert!(value["links"].get("next").is_none() && value["links"].get("prev").is_none());
        let written = body(list(&one(stock), &first, base, ""));
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
            body(list(&empty, &first, base, "")),
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
}
