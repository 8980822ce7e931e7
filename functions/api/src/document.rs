//! JSON:API documents (https://jsonapi.org): resources, pagination links and
//! `meta.record_count`, with `application/vnd.api+json`. Errors are the edge's JSON:API
//! error writer's ([`gatehouse_edge::jsonapi`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_core::model::{Market, Price, Sku, StockItem};
use gatehouse_edge::jsonapi::response;
use gatehouse_store::{Page, PageRequest};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

/// A record as a JSON:API resource.
pub trait Resource {
    const TYPE: &'static str;
    fn id(&self) -> &str;
    fn attributes(&self) -> Value;
}

impl Resource for Market {
    const TYPE: &'static str = "markets";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> Value {
        json!({
            "number": self.number,
            "code": self.code,
            "name": self.name,
            "active": self.active,
            "price_list_id": self.price_list_id,
            "stock_location_ids": self.stock_location_ids,
        })
    }
}

impl Resource for Sku {
    const TYPE: &'static str = "skus";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> Value {
        json!({ "code": self.code, "name": self.name })
    }
}

impl Resource for Price {
    const TYPE: &'static str = "prices";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> Value {
        json!({
            "sku_code": self.sku_code,
            "price_list_id": self.price_list_id,
            "amount_cents": self.amount_cents,
        })
    }
}

impl Resource for StockItem {
    const TYPE: &'static str = "stock_items";
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> Value {
        json!({
            "sku_code": self.sku_code,
            "stock_location_id": self.stock_location_id,
            "stock_location_number": self.stock_location_number,
            "quantity": self.quantity,
        })
    }
}

fn resource<T: Resource>(record: &T, base: &str) -> Value {
    json!({
        "id": record.id(),
        "type": T::TYPE,
        "attributes": record.attributes(),
        "links": { "self": format!("{base}/api/{}/{}", T::TYPE, record.id()) },
    })
}

/// One record.
pub fn single<T: Resource>(record: &T, base: &str) -> Response<Body> {
    response(StatusCode::OK, &json!({ "data": resource(record, base) }))
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
    let link = |number: u64, after: Option<&str>| {
        let separator = if query.is_empty() { "" } else { "&" };
        let after = after.map_or(String::new(), |a| {
            format!("&page%5Bafter%5D={}", cursor_of(a))
        });
        format!(
            "{base}/api/{}?{query}{separator}page%5Bnumber%5D={number}&page%5Bsize%5D={}{after}",
            T::TYPE,
            request.size
        )
    };
    let mut links = json!({
        "self": link(request.number, request.after.as_deref()),
        "first": link(1, None),
        "last": link(page_count, None),
    });
    if request.number > 1 {
        links["prev"] = json!(link((request.number - 1).min(page_count), None));
    }
    if request.number < page_count {
        links["next"] = json!(link(request.number + 1, page.next.as_deref()));
    }
    let data: Vec<Value> = page.records.iter().map(|r| resource(r, base)).collect();
    response(
        StatusCode::OK,
        &json!({
            "data": data,
            "meta": { "record_count": page.record_count, "page_count": page_count },
            "links": links,
        }),
    )
}
