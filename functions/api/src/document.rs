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
use gatehouse_core::model::{Market, Price, PriceList, Sku, StockItem, StockLocation};
use gatehouse_core::query::Record;
use gatehouse_edge::jsonapi::text_response;
use gatehouse_store::{Page, PageRequest};
use http::StatusCode;
use lambda_http::{Body, Response};

use crate::include::{Included, Linked, Related};
use crate::json_text::{Decimal, JsonText};
use crate::singletons::{ApplicationRecord, OrganizationRecord};

/// A record as a JSON:API resource.
pub trait Resource: Record + Linked {
    /// The members of its `attributes`, which `fields[<type>]` may name.
    const FIELDS: &'static [&'static str];
    /// Whether `/api/<type>/<id>` serves it, so that its object links there: a type served
    /// only as an included record has no `self` link.
    const SERVED: bool = true;
    fn id(&self) -> &str;
    /// Writes the members of `attributes`, in alphabetical order.
    fn attributes(&self, out: &mut Attributes<'_>);
}

/// The members a sparse fieldset (`fields[<type>]=a,b`) keeps of a type, `None` for all.
pub type Shown<'a> = Option<&'a [String]>;

/// An `attributes` object being written: a member the fieldset leaves out is not written.
pub struct Attributes<'a> {
    json: &'a mut JsonText,
    shown: Shown<'a>,
}

impl Attributes<'_> {
    fn member(&mut self, name: &'static str) -> Option<&mut JsonText> {
        let shown = self
            .shown
            .is_none_or(|shown| shown.iter().any(|field| field == name));
        shown.then(|| self.json.key(name))
    }
    pub fn string(&mut self, name: &'static str, value: &str) {
        if let Some(json) = self.member(name) {
            json.string(value);
        }
    }
    pub fn optional_string(&mut self, name: &'static str, value: Option<&str>) {
        match (self.member(name), value) {
            (Some(json), Some(value)) => json.string(value),
            (Some(json), None) => json.null(),
            (None, _) => return,
        };
    }
    pub fn number(&mut self, name: &'static str, value: u64) {
        if let Some(json) = self.member(name) {
            json.number(value);
        }
    }
    pub fn boolean(&mut self, name: &'static str, value: bool) {
        if let Some(json) = self.member(name) {
            json.boolean(value);
        }
    }
    pub fn strings(&mut self, name: &'static str, values: &[String]) {
        if let Some(json) = self.member(name) {
            json.begin_array();
            for value in values {
                json.element().string(value);
            }
            json.end_array();
        }
    }
}

/// The members of `kind`'s `attributes`, if the API serves that type.
pub fn fields_of(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        Market::TYPE => Some(Market::FIELDS),
        Sku::TYPE => Some(Sku::FIELDS),
        Price::TYPE => Some(Price::FIELDS),
        StockItem::TYPE => Some(StockItem::FIELDS),
        PriceList::TYPE => Some(PriceList::FIELDS),
        StockLocation::TYPE => Some(StockLocation::FIELDS),
        OrganizationRecord::TYPE => Some(OrganizationRecord::FIELDS),
        ApplicationRecord::TYPE => Some(ApplicationRecord::FIELDS),
        _ => None,
    }
}

impl Resource for Market {
    const FIELDS: &'static [&'static str] = &[
        "active",
        "code",
        "name",
        "number",
        "price_list_id",
        "stock_location_ids",
    ];
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.boolean("active", self.active);
        out.string("code", &self.code);
        out.string("name", &self.name);
        out.number("number", self.number);
        out.string("price_list_id", &self.price_list_id);
        out.strings("stock_location_ids", &self.stock_location_ids);
    }
}

impl Resource for Sku {
    const FIELDS: &'static [&'static str] = &["code", "name"];
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.string("code", &self.code);
        out.string("name", &self.name);
    }
}

impl Resource for Price {
    const FIELDS: &'static [&'static str] = &["amount_cents", "price_list_id", "sku_code"];
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.number("amount_cents", self.amount_cents);
        out.string("price_list_id", &self.price_list_id);
        out.string("sku_code", &self.sku_code);
    }
}

impl Resource for StockItem {
    const FIELDS: &'static [&'static str] = &[
        "quantity",
        "sku_code",
        "stock_location_id",
        "stock_location_number",
    ];
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.number("quantity", self.quantity);
        out.string("sku_code", &self.sku_code);
        out.string("stock_location_id", &self.stock_location_id);
        out.number("stock_location_number", self.stock_location_number);
    }
}

impl Resource for PriceList {
    const SERVED: bool = false;
    const FIELDS: &'static [&'static str] = &["currency_code", "name"];
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.string("currency_code", &self.currency);
        out.string("name", &self.name);
    }
}

impl Resource for StockLocation {
    const SERVED: bool = false;
    const FIELDS: &'static [&'static str] = &["code", "name", "number"];
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.string("code", &self.code);
        out.string("name", &self.name);
        out.number("number", self.number);
    }
}

/// One resource object: `attributes`, `id`, `links.self` (`{base}/api/{type}/{id}`, for a
/// type the API serves), `relationships` (those `include` names, with their linkage), `type`.
fn resource<T: Resource>(
    json: &mut JsonText,
    record: &T,
    base: &str,
    shown: Shown<'_>,
    related: Option<&Related>,
) {
    json.begin_object();
    json.key("attributes").begin_object();
    record.attributes(&mut Attributes {
        json: &mut *json,
        shown,
    });
    json.end_object();
    json.key("id").string(record.id());
    if T::SERVED {
        json.key("links").begin_object();
        json.key("self")
            .joined(&[base, "/api/", T::TYPE, "/", record.id()]);
        json.end_object();
    }
    if let Some(related) = related.filter(|r| !r.inclusion.relationships.is_empty()) {
        json.key("relationships").begin_object();
        for &relationship in &related.inclusion.relationships {
            let ids = related.linked(relationship, &record.related_keys(relationship));
            let linkage = |json: &mut JsonText, id: &str| {
                json.begin_object();
                json.key("id").string(id);
                json.key("type").string(relationship.target());
                json.end_object();
            };
            json.key(relationship.name()).begin_object();
            let data = json.key("data");
            match (relationship.to_many(), ids.first()) {
                (true, _) => {
                    data.begin_array();
                    for id in &ids {
                        linkage(json.element(), id);
                    }
                    json.end_array();
                }
                (false, Some(id)) => linkage(data, id),
                (false, None) => {
                    data.null();
                }
            }
            json.end_object();
        }
        json.end_object();
    }
    json.key("type").string(T::TYPE);
    json.end_object();
}

/// The `included` member, when the request names relationships.
fn included(json: &mut JsonText, related: &Related, base: &str) {
    if related.inclusion.relationships.is_empty() {
        return;
    }
    json.key("included").begin_array();
    related.each_included(|record| {
        let json = json.element();
        match record {
            Included::Price(r, shown) => resource(json, r, base, shown, None),
            Included::StockItem(r, shown) => resource(json, r, base, shown, None),
            Included::Sku(r, shown) => resource(json, r, base, shown, None),
            Included::StockLocation(r, shown) => resource(json, r, base, shown, None),
            Included::PriceList(r, shown) => resource(json, r, base, shown, None),
        }
    });
    json.end_array();
}

/// One record, and the records `related` holds.
pub fn single<T: Resource>(
    record: &T,
    base: &str,
    shown: Shown<'_>,
    related: &Related,
) -> Response<Body> {
    let mut json = JsonText::with_capacity(512);
    json.begin_object().key("data");
    resource(&mut json, record, base, shown, Some(related));
    included(&mut json, related, base);
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
    shown: Shown<'_>,
    related: &Related,
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
        resource(&mut json, record.as_ref(), base, shown, Some(related));
    }
    json.end_array();
    included(&mut json, related, base);
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
#[path = "document_tests.rs"]
mod tests;
