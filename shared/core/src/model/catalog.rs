//! The catalog the resource API reads (price lists, SKUs, prices, stock items), and the pure
//! rules of what a token's scope lets it see of it.

use super::{Market, Mode};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceList {
    pub id: String,
    pub mode: Mode,
    pub name: String,
    /// ISO 4217, e.g. `EUR`.
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sku {
    pub id: String,
    pub mode: Mode,
    pub code: String,
    pub name: String,
}

/// A SKU's price in one price list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Price {
    pub id: String,
    pub mode: Mode,
    pub sku_code: String,
    pub price_list_id: String,
    pub amount_cents: u64,
}

/// A SKU's stock at one stock location, whatever its quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockItem {
    pub id: String,
    pub mode: Mode,
    pub sku_code: String,
    pub stock_location_id: String,
    pub stock_location_number: u64,
    pub quantity: u64,
}

/// What a token may see of the catalog: its environment's, all of it (`market:all`), or what
/// one market sells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogView {
    All {
        mode: Mode,
    },
    Market {
        mode: Mode,
        market_id: String,
        price_list_id: String,
        /// The market's stock locations, or only those in scope when the scope names some.
        stock_location_ids: Vec<String>,
        /// The scope names stock locations: the view is narrowed to them.
        narrowed: bool,
    },
}

impl CatalogView {
    /// The view of a token scoped to `market`, narrowed to `scoped_locations` (ids) when the
    /// scope names stock locations.
    pub fn of_market(market: &Market, scoped_locations: &[String]) -> Self {
        Self::Market {
            mode: market.mode,
            market_id: market.id.clone(),
            price_list_id: market.price_list_id.clone(),
            stock_location_ids: if scoped_locations.is_empty() {
                market.stock_location_ids.clone()
            } else {
                scoped_locations.to_vec()
            },
            narrowed: !scoped_locations.is_empty(),
        }
    }

    pub fn mode(&self) -> Mode {
        match self {
            Self::All { mode } | Self::Market { mode, .. } => *mode,
        }
    }

    /// Is this price shown? Only the market's price list's, with a market in scope.
    pub fn shows_price(&self, price: &Price) -> bool {
        price.mode == self.mode()
            && match self {
                Self::All { .. } => true,
                Self::Market { price_list_id, .. } => price.price_list_id == *price_list_id,
            }
    }

    /// Is this stock item shown? Only those at the view's stock locations, with a market in
    /// scope.
    pub fn shows_stock_item(&self, item: &StockItem) -> bool {
        item.mode == self.mode()
            && match self {
                Self::All { .. } => true,
                Self::Market {
                    stock_location_ids, ..
                } => stock_location_ids.contains(&item.stock_location_id),
            }
    }

    /// Is the stock location with this id (of the view's environment) shown? Only the view's
    /// locations, with a market in scope.
    pub fn shows_stock_location(&self, id: &str) -> bool {
        match self {
            Self::All { .. } => true,
            Self::Market {
                stock_location_ids, ..
            } => stock_location_ids.iter().any(|location| location == id),
        }
    }

    /// Is this SKU shown? With a market in scope, only when it is sellable there: a price in
    /// the market's price list and at least one stock item, whatever its quantity, at one of
    /// the view's stock locations ("the stock is restricted to the SKUs available in that
    /// specific stock location" when the scope names locations).
    pub fn shows_sku(&self, sku: &Sku, prices: &[Price], stock_items: &[StockItem]) -> bool {
        sku.mode == self.mode()
            && match self {
                Self::All { .. } => true,
                Self::Market { .. } => {
                    prices
                        .iter()
                        .any(|p| p.sku_code == sku.code && self.shows_price(p))
                        && stock_items
                            .iter()
                            .any(|s| s.sku_code == sku.code && self.shows_stock_item(s))
                }
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(code: &str) -> Sku {
        Sku {
            id: format!("sku_{code}"),
            mode: Mode::Test,
            code: code.into(),
            name: code.into(),
        }
    }

    fn price(code: &str, list: &str) -> Price {
        Price {
            id: format!("pr_{code}_{list}"),
            mode: Mode::Test,
            sku_code: code.into(),
            price_list_id: list.into(),
            amount_cents: 100,
        }
    }

    fn stock(code: &str, location: &str, quantity: u64) -> StockItem {
        StockItem {
            id: format!("si_{code}_{location}"),
            mode: Mode::Test,
            sku_code: code.into(),
            stock_location_id: location.into(),
            stock_location_number: 0,
            quantity,
        }
    }

    fn market_view(locations: &[&str]) -> CatalogView {
        CatalogView::Market {
            mode: Mode::Test,
            market_id: "mkt_eu".into(),
            price_list_id: "pl_eur".into(),
            stock_location_ids: locations.iter().map(|l| l.to_string()).collect(),
            narrowed: true,
        }
    }

    #[test]
    fn a_market_view_shows_its_stock_locations_alone() {
        let cases = [
            (market_view(&["sl_ams", "sl_ber"]), "sl_ams", true),
            (market_view(&["sl_ber"]), "sl_ams", false),
            (market_view(&[]), "sl_ams", false),
            (CatalogView::All { mode: Mode::Test }, "sl_ams", true),
        ];
        for (view, location, shown) in cases {
            assert_eq!(view.shows_stock_location(location), shown, "{view:?}");
        }
    }

    #[test]
    fn a_sku_is_sellable_in_a_market_only_with_a_price_there_and_stock_at_one_of_its_locations() {
        let prices = [
            price("priced-stocked", "pl_eur"),
            price("priced-only", "pl_eur"),
            price("other-list", "pl_usd"),
            price("stocked-elsewhere", "pl_eur"),
            price("out-of-stock", "pl_eur"),
        ];
        let stock_items = [
            stock("priced-stocked", "sl_ams", 3),
            stock("stocked-only", "sl_ams", 3),
            stock("other-list", "sl_ams", 3),
            stock("stocked-elsewhere", "sl_nyc", 3),
            stock("out-of-stock", "sl_ber", 0),
        ];
        let market = market_view(&["sl_ams", "sl_ber"]);
        let narrowed = market_view(&["sl_ber"]);
        let all = CatalogView::All { mode: Mode::Test };
        let cases = [
            ("priced-stocked", true, false),
            ("priced-only", false, false),
            ("stocked-only", false, false),
            ("other-list", false, false),
            ("stocked-elsewhere", false, false),
            ("out-of-stock", true, true),
        ];
        for (code, in_market, in_narrowed) in cases {
            let s = sku(code);
            assert_eq!(
                market.shows_sku(&s, &prices, &stock_items),
                in_market,
                "{code}"
            );
            assert_eq!(
                narrowed.shows_sku(&s, &prices, &stock_items),
                in_narrowed,
                "{code}"
            );
            assert!(all.shows_sku(&s, &prices, &stock_items), "{code}");
        }
    }

    #[test]
    fn prices_and_stock_items_are_shown_for_the_views_list_and_locations_in_its_environment() {
        let market = market_view(&["sl_ams"]);
        assert!(market.shows_price(&price("a", "pl_eur")));
        assert!(!market.shows_price(&price("a", "pl_usd")));
        assert!(market.shows_stock_item(&stock("a", "sl_ams", 0)));
        assert!(!market.shows_stock_item(&stock("a", "sl_ber", 9)));
        let live = CatalogView::All { mode: Mode::Live };
        assert!(!live.shows_price(&price("a", "pl_eur")));
        assert!(!live.shows_stock_item(&stock("a", "sl_ams", 1)));
        assert!(!live.shows_sku(&sku("a"), &[], &[]));
    }
}
