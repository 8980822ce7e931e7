//! The SKU listings the catalog keeps, and which of them show a SKU.
//!
//! A market sells the SKUs priced in its price list and stocked at one of its stock locations
//! ([`CatalogView::shows_sku`]). What a market shows therefore depends on its price list and its
//! set of locations alone, and markets that share both share one listing. A token narrowed to
//! some of a market's locations reads the single-location listings of those locations and
//! merges them. So the listings kept are, for each market, one for its price list and all its
//! locations, and one for its price list at each of its locations; never one for a subset of
//! several. Their number grows with the markets and their locations, and an entry's count with
//! the SKUs each one sells: linearly, whatever subsets the tokens name.

pub mod changes;
#[cfg(test)]
mod fixtures;

use std::collections::{BTreeSet, HashMap};

use aws_lc_rs::digest;

use crate::model::{CatalogView, Market, Mode, Price, StockItem};
use crate::secret::hex;

/// The SKUs that one price list sells at a set of stock locations: priced in the list and
/// stocked (whatever the quantity) at one of the locations.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkuListing {
    pub mode: Mode,
    pub price_list_id: String,
    /// Sorted, without repeats, never empty.
    stock_location_ids: Vec<String>,
}

impl SkuListing {
    /// The listing of `price_list_id` at `stock_location_ids`, in any order; `None` without a
    /// location (a market that stocks nowhere sells nothing and needs no listing).
    pub fn new<I, L>(mode: Mode, price_list_id: &str, stock_location_ids: I) -> Option<Self>
    where
        I: IntoIterator<Item = L>,
        L: Into<String>,
    {
        let ids: BTreeSet<String> = stock_location_ids.into_iter().map(Into::into).collect();
        (!ids.is_empty()).then(|| Self {
            mode,
            price_list_id: price_list_id.to_owned(),
            stock_location_ids: ids.into_iter().collect(),
        })
    }

    pub fn stock_location_ids(&self) -> &[String] {
        &self.stock_location_ids
    }

    /// A name for storage keys: the price list's id and a digest of the locations, so that a
    /// key's size does not grow with a market's locations. Two listings have the same name
    /// only if they are the same listing (up to a SHA-256 collision).
    pub fn name(&self) -> String {
        let mut context = digest::Context::new(&digest::SHA256);
        for id in &self.stock_location_ids {
            // Each id with its length, so that no two lists of ids hash the same bytes.
            context.update(&(id.len() as u64).to_be_bytes());
            context.update(id.as_bytes());
        }
        let locations = hex(&context.finish().as_ref()[..16]);
        format!("{}@{locations}", self.price_list_id)
    }

    /// Does this listing show a SKU that `presence` describes?
    pub fn shows(&self, presence: &SkuPresence) -> bool {
        presence
            .price_list_ids
            .contains(self.price_list_id.as_str())
            && self
                .stock_location_ids
                .iter()
                .any(|id| presence.stock_location_ids.contains(id.as_str()))
    }
}

/// Every SKU listing kept for `markets`: each market's own, and one for its price list at each
/// of its locations. Markets with the same price list and locations share theirs.
pub fn listings_of(markets: &[Market]) -> BTreeSet<SkuListing> {
    let mut listings = BTreeSet::new();
    for market in markets {
        let (mode, list) = (market.mode, market.price_list_id.as_str());
        listings.extend(SkuListing::new(mode, list, &market.stock_location_ids));
        for location in &market.stock_location_ids {
            listings.extend(SkuListing::new(mode, list, [location]));
        }
    }
    listings
}

/// Where one SKU stands: the price lists that price it and the stock locations that stock it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkuPresence<'a> {
    mode: Mode,
    price_list_ids: BTreeSet<&'a str>,
    stock_location_ids: BTreeSet<&'a str>,
}

impl<'a> SkuPresence<'a> {
    /// A SKU of `mode` priced in `price_list_ids` and stocked at `stock_location_ids`.
    pub fn new(
        mode: Mode,
        price_list_ids: impl IntoIterator<Item = &'a str>,
        stock_location_ids: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            mode,
            price_list_ids: price_list_ids.into_iter().collect(),
            stock_location_ids: stock_location_ids.into_iter().collect(),
        }
    }

    /// The presence of the SKU `sku_code` in `mode`, from any prices and stock items (others'
    /// are passed over).
    pub fn of(mode: Mode, sku_code: &str, prices: &'a [Price], stock: &'a [StockItem]) -> Self {
        Self::new(
            mode,
            (prices.iter())
                .filter(|p| p.mode == mode && p.sku_code == sku_code)
                .map(|p| p.price_list_id.as_str()),
            (stock.iter())
                .filter(|s| s.mode == mode && s.sku_code == sku_code)
                .map(|s| s.stock_location_id.as_str()),
        )
    }
}

/// The listings kept for a set of markets, found by location: a SKU is shown only by listings
/// of the locations that stock it, so finding them costs the SKU's locations, not the listings.
#[derive(Clone, Debug, Default)]
pub struct KeptListings {
    listings: Vec<SkuListing>,
    /// By location id: the listings that name it.
    by_location: HashMap<String, Vec<usize>>,
}

impl KeptListings {
    /// The listings kept for `markets` ([`listings_of`]).
    pub fn of(markets: &[Market]) -> Self {
        let listings: Vec<SkuListing> = listings_of(markets).into_iter().collect();
        let mut by_location: HashMap<String, Vec<usize>> = HashMap::new();
        for (at, listing) in listings.iter().enumerate() {
            for location in &listing.stock_location_ids {
                by_location.entry(location.clone()).or_default().push(at);
            }
        }
        Self {
            listings,
            by_location,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &SkuListing> {
        self.listings.iter()
    }

    pub fn contains(&self, listing: &SkuListing) -> bool {
        self.listings.binary_search(listing).is_ok()
    }

    /// The kept listings that show a SKU that `presence` describes.
    pub fn showing(&self, presence: &SkuPresence) -> BTreeSet<&SkuListing> {
        let mut showing = BTreeSet::new();
        for location in &presence.stock_location_ids {
            for at in self.by_location.get(*location).into_iter().flatten() {
                let listing = &self.listings[*at];
                if listing.shows(presence) {
                    showing.insert(listing);
                }
            }
        }
        showing
    }
}

/// Where the SKUs of a token's view are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkuSource {
    /// Every SKU of the environment.
    All { mode: Mode },
    /// One kept listing: a whole market's, or a market's at one location.
    Listing(SkuListing),
    /// The single-location listings of a scope narrowed to several of a market's locations,
    /// merged in code order without repeats.
    Merge(Vec<SkuListing>),
}

impl SkuSource {
    /// The source of `view`'s SKUs. A view narrowed to all of its market's locations is read
    /// as a merge too: the same SKUs, from listings that are kept.
    pub fn of(view: &CatalogView) -> Self {
        match view {
            CatalogView::All { mode } => Self::All { mode: *mode },
            CatalogView::Market {
                mode,
                price_list_id,
                stock_location_ids,
                narrowed,
                ..
            } => {
                let one = |ids: &[String]| SkuListing::new(*mode, price_list_id, ids);
                match (narrowed, stock_location_ids.as_slice()) {
                    (false, all) => one(all).map_or(Self::Merge(vec![]), Self::Listing),
                    (true, [location]) => one(std::slice::from_ref(location))
                        .map_or(Self::Merge(vec![]), Self::Listing),
                    (true, several) => Self::Merge(
                        several
                            .iter()
                            .filter_map(|l| one(std::slice::from_ref(l)))
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect(),
                    ),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
