//! JSON:API documents (https://jsonapi.org): resources, pagination links and
//! `meta.record_count`, with `application/vnd.api+json`. Errors are the edge's JSON:API
//! error writer's ([`gatehouse_edge::jsonapi`]).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatehouse_core::model::{Market, Price, Sku, StockItem};
use gatehouse_edge::jsonapi::response;
use gatehouse_store::{Page, PageRequest};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::{Serialize, Serializer};

// The documents are typed and written straight to text, with every object's members in
// alphabetical order (as they were when the documents were built as `serde_json::Value`s):
// a page of 25 then costs no tree of values, no map per object and no `self` string per
// record.

/// A record as a JSON:API resource.
pub trait Resource {
    const TYPE: &'static str;
    /// The resource's `attributes` object, borrowing the record.
    type Attributes<'r>: Serialize
    where
        Self: 'r;
    fn id(&self) -> &str;
    fn attributes(&self) -> Self::Attributes<'_>;
}

#[derive(Serialize)]
pub struct MarketAttributes<'r> {
    active: bool,
    code: &'r str,
    name: &'r str,
    number: u64,
    price_list_id: &'r str,
    stock_location_ids: &'r [String],
}

impl Resource for Market {
    const TYPE: &'static str = "markets";
    type Attributes<'r> = MarketAttributes<'r>;
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> MarketAttributes<'_> {
        MarketAttributes {
            active: self.active,
            code: &self.code,
            name: &self.name,
            number: self.number,
            price_list_id: &self.price_list_id,
            stock_location_ids: &self.stock_location_ids,
        }
    }
}

#[derive(Serialize)]
pub struct SkuAttributes<'r> {
    code: &'r str,
    name: &'r str,
}

impl Resource for Sku {
    const TYPE: &'static str = "skus";
    type Attributes<'r> = SkuAttributes<'r>;
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> SkuAttributes<'_> {
        SkuAttributes {
            code: &self.code,
            name: &self.name,
        }
    }
}

#[derive(Serialize)]
pub struct PriceAttributes<'r> {
    amount_cents: u64,
    price_list_id: &'r str,
    sku_code: &'r str,
}

impl Resource for Price {
    const TYPE: &'static str = "prices";
    type Attributes<'r> = PriceAttributes<'r>;
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> PriceAttributes<'_> {
        PriceAttributes {
            amount_cents: self.amount_cents,
            price_list_id: &self.price_list_id,
            sku_code: &self.sku_code,
        }
    }
}

#[derive(Serialize)]
pub struct StockItemAttributes<'r> {
    quantity: u64,
    sku_code: &'r str,
    stock_location_id: &'r str,
    stock_location_number: u64,
}

impl Resource for StockItem {
    const TYPE: &'static str = "stock_items";
    type Attributes<'r> = StockItemAttributes<'r>;
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self) -> StockItemAttributes<'_> {
        StockItemAttributes {
            quantity: self.quantity,
            sku_code: &self.sku_code,
            stock_location_id: &self.stock_location_id,
            stock_location_number: self.stock_location_number,
        }
    }
}

/// A record's `self` link, `{base}/api/{type}/{id}`, made as it is serialized: joined by
/// hand, as `format!` (or serde's `collect_str`) runs the formatting machinery, which cost more
/// than the rest of the record.
struct SelfLink<'r> {
    base: &'r str,
    kind: &'static str,
    id: &'r str,
}

impl Serialize for SelfLink<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let parts = [self.base, "/api/", self.kind, "/", self.id];
        let mut link = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        parts.iter().for_each(|part| link.push_str(part));
        serializer.serialize_str(&link)
    }
}

#[derive(Serialize)]
struct ResourceLinks<'r> {
    #[serde(rename = "self")]
    to_self: SelfLink<'r>,
}

/// One resource object.
#[derive(Serialize)]
struct ResourceObject<'r, A> {
    attributes: A,
    id: &'r str,
    links: ResourceLinks<'r>,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn resource<'r, T: Resource>(
    record: &'r T,
    base: &'r str,
) -> ResourceObject<'r, T::Attributes<'r>> {
    ResourceObject {
        attributes: record.attributes(),
        id: record.id(),
        links: ResourceLinks {
            to_self: SelfLink {
                base,
                kind: T::TYPE,
                id: record.id(),
            },
        },
        kind: T::TYPE,
    }
}

/// A page's records, each serialized as a resource object as it is written.
struct Resources<'r, T> {
    records: &'r [Arc<T>],
    base: &'r str,
}

impl<T: Resource> Serialize for Resources<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.records.iter().map(|r| resource(r.as_ref(), self.base)))
    }
}

#[derive(Serialize)]
struct Single<'r, A> {
    data: ResourceObject<'r, A>,
}

/// One record.
pub fn single<T: Resource>(record: &T, base: &str) -> Response<Body> {
    response(
        StatusCode::OK,
        &Single {
            data: resource(record, base),
        },
    )
}

#[derive(Serialize)]
struct PageLinks {
    first: String,
    last: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<String>,
    #[serde(rename = "self")]
    to_self: String,
}

#[derive(Serialize)]
struct PageMeta {
    page_count: u64,
    record_count: u64,
}

#[derive(Serialize)]
#[serde(bound = "T: Resource")]
struct ListDocument<'r, T> {
    data: Resources<'r, T>,
    links: PageLinks,
    meta: PageMeta,
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
    let links = PageLinks {
        first: link(1, None),
        last: link(page_count, None),
        next: (request.number < page_count).then(|| link(request.number + 1, page.next.as_deref())),
        prev: (request.number > 1).then(|| link((request.number - 1).min(page_count), None)),
        to_self: link(request.number, request.after.as_deref()),
    };
    response(
        StatusCode::OK,
        &ListDocument {
            data: Resources {
                records: &page.records,
                base,
            },
            links,
            meta: PageMeta {
                page_count,
                record_count: page.record_count,
            },
        },
    )
}
