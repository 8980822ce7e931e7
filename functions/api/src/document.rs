//! JSON:API documents (https://jsonapi.org): resources, pagination links and
//! `meta.record_count`, with `application/vnd.api+json`. Errors are the edge's JSON:API
//! error writer's ([`gatehouse_edge::jsonapi`]).

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

/// A page of a list, with `links` to its neighbours (`query` is the request's other
/// parameters, kept in every link) and `meta.record_count` / `meta.page_count`.
pub fn list<T: Resource>(
    page: &Page<T>,
    request: PageRequest,
    base: &str,
    query: &str,
) -> Response<Body> {
    let page_count = page.record_count.div_ceil(request.size).max(1);
    let link = |number: u64| {
        let separator = if query.is_empty() { "" } else { "&" };
        format!(
            "{base}/api/{}?{query}{separator}page%5Bnumber%5D={number}&page%5Bsize%5D={}",
            T::TYPE,
            request.size
        )
    };
    let mut links = json!({
        "self": link(request.number),
        "first": link(1),
        "last": link(page_count),
    });
    if request.number > 1 {
        links["prev"] = json!(link((request.number - 1).min(page_count)));
    }
    if request.number < page_count {
        links["next"] = json!(link(request.number + 1));
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
