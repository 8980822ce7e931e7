//! Records for the listing rules' tests, in the test environment.

use crate::model::{Market, Mode, Price, StockItem};

pub(super) fn market(id: &str, list: &str, locations: &[&str]) -> Market {
    Market {
        id: id.into(),
        number: 1,
        code: id.into(),
        name: id.into(),
        mode: Mode::Test,
        active: true,
        price_list_id: list.into(),
        stock_location_ids: locations.iter().map(|l| l.to_string()).collect(),
        stock_location_numbers: vec![],
        customer_group_id: None,
    }
}

pub(super) fn price(code: &str, list: &str, cents: u64) -> Price {
    Price {
        id: format!("pr_{code}_{list}"),
        mode: Mode::Test,
        sku_code: code.into(),
        price_list_id: list.into(),
        amount_cents: cents,
    }
}

pub(super) fn stock(code: &str, location: &str, quantity: u64) -> StockItem {
    StockItem {
        id: format!("si_{code}_{location}"),
        mode: Mode::Test,
        sku_code: code.into(),
        stock_location_id: location.into(),
        stock_location_number: 0,
        quantity,
    }
}
