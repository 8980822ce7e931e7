//! `include`: a compound document, the records that a page's records are related to beside
//! them (`included`), and each record's `relationships` naming them. One level only, as
//! Commerce Layer's own relationships: skus → prices, stock_items; prices → sku; stock_items →
//! sku, stock_location; markets → price_list, stock_locations.
//!
//! Included records obey the token's scope as listed ones do: a market's token is given its
//! price list's prices, its (scoped) stock locations' stock items and stock locations, and only
//! the SKUs it could list. A related record the token cannot see is left out of `included` and
//! of the linkage, as if it did not exist.
//!
//! JSON:API 1.1, "Inclusion of Related Resources": "If a server is unable to identify a
//! relationship path or does not support inclusion of resources from a path, it MUST respond
//! with 400 Bad Request."

use std::sync::Arc;

use gatehouse_core::input::echo_input;
use gatehouse_core::model::{CatalogView, Market, Price, PriceList, Sku, StockItem, StockLocation};
use gatehouse_core::scope::ResourceRef;
use gatehouse_edge::oauth_request::Params;
use gatehouse_store::StoreError;

use crate::ApiService;

/// A relationship that `include` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relationship {
    /// A SKU's prices.
    Prices,
    /// A SKU's stock items.
    StockItems,
    /// A price's or a stock item's SKU.
    Sku,
    /// A stock item's stock location.
    StockLocation,
    /// A market's price list.
    PriceList,
    /// A market's stock locations.
    StockLocations,
}

impl Relationship {
    /// The relationship `name` of records of the type `kind`, if `include` takes it.
    pub fn of(kind: &str, name: &str) -> Option<Self> {
        match (kind, name) {
            ("skus", "prices") => Some(Self::Prices),
            ("skus", "stock_items") => Some(Self::StockItems),
            ("prices" | "stock_items", "sku") => Some(Self::Sku),
            ("stock_items", "stock_location") => Some(Self::StockLocation),
            ("markets", "price_list") => Some(Self::PriceList),
            ("markets", "stock_locations") => Some(Self::StockLocations),
            (_, _) => None,
        }
    }

    /// The relationships of `kind` that `include` takes, as an error lists them.
    pub fn names_of(kind: &str) -> &'static [&'static str] {
        match kind {
            "skus" => &["prices", "stock_items"],
            "prices" => &["sku"],
            "stock_items" => &["sku", "stock_location"],
            "markets" => &["price_list", "stock_locations"],
            _ => &[],
        }
    }

    /// Its member name in `relationships`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Prices => "prices",
            Self::StockItems => "stock_items",
            Self::Sku => "sku",
            Self::StockLocation => "stock_location",
            Self::PriceList => "price_list",
            Self::StockLocations => "stock_locations",
        }
    }

    /// The type of the records it names.
    pub fn target(self) -> &'static str {
        match self {
            Self::Prices => "prices",
            Self::StockItems => "stock_items",
            Self::Sku => "skus",
            Self::StockLocation | Self::StockLocations => "stock_locations",
            Self::PriceList => "price_lists",
        }
    }

    /// Whether it names several records (its linkage is an array) or one (an object or null).
    pub fn to_many(self) -> bool {
        match self {
            Self::Prices | Self::StockItems | Self::StockLocations => true,
            Self::Sku | Self::StockLocation | Self::PriceList => false,
        }
    }
}

/// A record whose relationships `include` may name.
pub trait Linked {
    /// The keys (a SKU code, a stock location's or price list's id) of the records it is
    /// related to by `relationship`; none when it has no such relationship.
    fn related_keys(&self, relationship: Relationship) -> Vec<&str> {
        let _ = relationship;
        vec![]
    }
}

impl Linked for Market {
    fn related_keys(&self, relationship: Relationship) -> Vec<&str> {
        match relationship {
            Relationship::PriceList => vec![&self.price_list_id],
            Relationship::StockLocations => {
                self.stock_location_ids.iter().map(String::as_str).collect()
            }
            _ => vec![],
        }
    }
}

impl Linked for Sku {
    fn related_keys(&self, relationship: Relationship) -> Vec<&str> {
        match relationship {
            Relationship::Prices | Relationship::StockItems => vec![&self.code],
            _ => vec![],
        }
    }
}

impl Linked for Price {
    fn related_keys(&self, relationship: Relationship) -> Vec<&str> {
        match relationship {
            Relationship::Sku => vec![&self.sku_code],
            _ => vec![],
        }
    }
}

impl Linked for StockItem {
    fn related_keys(&self, relationship: Relationship) -> Vec<&str> {
        match relationship {
            Relationship::Sku => vec![&self.sku_code],
            Relationship::StockLocation => vec![&self.stock_location_id],
            _ => vec![],
        }
    }
}

impl Linked for PriceList {}

impl Linked for StockLocation {}

/// A type's sparse fieldset (`fields[<type>]`), as `fieldset_of` reads it from the request.
type FieldsetOf<'a> = &'a dyn Fn(&str) -> Result<Option<Vec<String>>, String>;

/// What `include` asks of a request for records of `kind`: its relationships (each once, by
/// name) and the fieldsets of the types they name (`fieldset_of`); or the 400's detail.
pub fn read_include(
    params: &Params,
    kind: &str,
    fieldset_of: FieldsetOf<'_>,
) -> Result<Inclusion, String> {
    let Some(value) = params.get("include") else {
        return Ok(Inclusion::default());
    };
    let mut relationships = Vec::new();
    for name in value.split(',') {
        let relationship = Relationship::of(kind, name).ok_or_else(|| {
            let known = match Relationship::names_of(kind) {
                [] => format!("{kind} have none"),
                names => format!("those of {kind} are: {}", names.join(", ")),
            };
            let path = if name.contains('.') {
                ", a path of relationships: only a record's own relationships are included"
            } else {
                ", which is not a relationship that can be included"
            };
            format!("include names '{}'{path}; {known}", echo_input(name))
        })?;
        if !relationships.contains(&relationship) {
            relationships.push(relationship);
        }
    }
    relationships.sort_by_key(|r| r.name());
    let mut fieldsets = Vec::new();
    for relationship in &relationships {
        let target = relationship.target();
        if let Some(fields) = fieldset_of(target)? {
            fieldsets.push((target, fields));
        }
    }
    Ok(Inclusion {
        relationships,
        fieldsets,
    })
}

/// A request's `include`, read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Inclusion {
    /// By name.
    pub relationships: Vec<Relationship>,
    /// The `fields[<type>]` of the included types that name one.
    fieldsets: Vec<(&'static str, Vec<String>)>,
}

/// The records related to a page's, read under the token's view.
#[derive(Default)]
pub struct Related {
    pub inclusion: Inclusion,
    prices: Vec<Arc<Price>>,
    stock_items: Vec<Arc<StockItem>>,
    skus: Vec<Sku>,
    stock_locations: Vec<StockLocation>,
    price_lists: Vec<PriceList>,
}

impl Related {
    /// The records `inclusion` asks for of `records`, those `view` shows.
    pub async fn read<T: Linked>(
        inclusion: Inclusion,
        records: &[Arc<T>],
        view: &CatalogView,
        service: &ApiService,
    ) -> Result<Self, StoreError> {
        let mut related = Related::default();
        let (catalog, mode) = (&service.catalog, view.mode());
        for &relationship in &inclusion.relationships {
            let mut keys: Vec<String> = (records.iter())
                .flat_map(|record| record.related_keys(relationship))
                .map(str::to_owned)
                .collect();
            keys.sort();
            keys.dedup();
            match relationship {
                Relationship::Prices => {
                    related.prices = catalog.prices_of_skus(view, &keys).await?
                }
                Relationship::StockItems => {
                    related.stock_items = catalog.stock_items_of_skus(view, &keys).await?
                }
                Relationship::Sku => {
                    let found = keys.iter().map(|code| catalog.find_sku_by_code(view, code));
                    let found = futures::future::try_join_all(found).await?;
                    related.skus = found.into_iter().flatten().collect();
                }
                Relationship::StockLocation | Relationship::StockLocations => {
                    let refs: Vec<ResourceRef> = (keys.into_iter())
                        .filter(|id| view.shows_stock_location(id))
                        .map(ResourceRef::Id)
                        .collect();
                    let mut found = service.clients.find_stock_locations(mode, &refs).await?;
                    found.sort_by_key(|location| location.number);
                    related.stock_locations = found;
                }
                Relationship::PriceList => {
                    let mut found = catalog.find_price_lists(mode, &keys).await?;
                    found.sort_by(|a, b| a.id.cmp(&b.id));
                    related.price_lists = found;
                }
            }
        }
        related.inclusion = inclusion;
        Ok(related)
    }

    /// The fieldset of the included type `kind`.
    fn shown(&self, kind: &str) -> Option<&[String]> {
        let fieldsets = &self.inclusion.fieldsets;
        let found = fieldsets.iter().find(|(named, _)| *named == kind);
        found.map(|(_, fields)| fields.as_slice())
    }

    /// The ids of the records read for `relationship` whose key is one of `keys`.
    pub fn linked(&self, relationship: Relationship, keys: &[&str]) -> Vec<&str> {
        fn ids<'r, T>(
            records: &'r [T],
            key_and_id: impl Fn(&'r T) -> (&'r str, &'r str),
            keys: &[&str],
        ) -> Vec<&'r str> {
            let found = records.iter().map(key_and_id);
            found
                .filter(|(key, _)| keys.contains(key))
                .map(|(_, id)| id)
                .collect()
        }
        match relationship {
            Relationship::Prices => ids(&self.prices, |p| (&p.sku_code, &p.id), keys),
            Relationship::StockItems => ids(&self.stock_items, |s| (&s.sku_code, &s.id), keys),
            Relationship::Sku => ids(&self.skus, |s| (&s.code, &s.id), keys),
            Relationship::StockLocation | Relationship::StockLocations => {
                ids(&self.stock_locations, |l| (&l.id, &l.id), keys)
            }
            Relationship::PriceList => ids(&self.price_lists, |l| (&l.id, &l.id), keys),
        }
    }

    /// Writes each record read, once, as `write` writes a resource object with its fieldset.
    pub fn each_included(&self, mut write: impl FnMut(Included<'_>)) {
        for price in &self.prices {
            write(Included::Price(price, self.shown("prices")));
        }
        for item in &self.stock_items {
            write(Included::StockItem(item, self.shown("stock_items")));
        }
        for sku in &self.skus {
            write(Included::Sku(sku, self.shown("skus")));
        }
        for location in &self.stock_locations {
            write(Included::StockLocation(
                location,
                self.shown("stock_locations"),
            ));
        }
        for list in &self.price_lists {
            write(Included::PriceList(list, self.shown("price_lists")));
        }
    }
}

/// One included record, and the fieldset of its type.
pub enum Included<'r> {
    Price(&'r Price, Option<&'r [String]>),
    StockItem(&'r StockItem, Option<&'r [String]>),
    Sku(&'r Sku, Option<&'r [String]>),
    StockLocation(&'r StockLocation, Option<&'r [String]>),
    PriceList(&'r PriceList, Option<&'r [String]>),
}

#[cfg(test)]
#[path = "include_tests.rs"]
mod tests;
