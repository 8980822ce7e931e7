//! The seed file's shape, as serde reads it. Every struct refuses unknown fields, so that a
//! misspelt field is reported with its path instead of being silently ignored.

use serde::Deserialize;

use crate::model::{ApplicationKind, Mode};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    pub organization: SeedOrganization,
    #[serde(default)]
    pub markets: Vec<SeedMarket>,
    #[serde(default)]
    pub stock_locations: Vec<SeedStockLocation>,
    #[serde(default)]
    pub applications: Vec<SeedApplication>,
    #[serde(default)]
    pub customer_groups: Vec<SeedCustomerGroup>,
    #[serde(default)]
    pub customers: Vec<SeedCustomer>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub price_lists: Vec<SeedPriceList>,
    #[serde(default)]
    pub skus: Vec<SeedSku>,
    #[serde(default)]
    pub prices: Vec<SeedPrice>,
    #[serde(default)]
    pub stock_items: Vec<SeedStockItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedOrganization {
    pub id: String,
    pub slug: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMarket {
    pub id: String,
    pub mode: Mode,
    pub number: u64,
    pub code: String,
    pub name: String,
    pub active: bool,
    pub price_list_id: String,
    pub stock_location_numbers: Vec<u64>,
    pub customer_group_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedStockLocation {
    pub id: String,
    pub mode: Mode,
    pub number: u64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedApplication {
    pub id: String,
    pub mode: Mode,
    pub name: String,
    pub kind: ApplicationKind,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub token_lifetime: Option<i64>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The JWT bearer setting (see [`crate::jwt_bearer::JwtBearer::from_json`]); absent or
    /// null: off.
    #[serde(default)]
    pub jwt_bearer: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCustomerGroup {
    pub id: String,
    pub mode: Mode,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCustomer {
    pub id: String,
    pub mode: Mode,
    pub email: String,
    pub password: String,
    pub customer_group_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub id: String,
    pub mode: Mode,
    pub email: String,
    pub password: String,
    /// Shown on the sign-in page's account; optional.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPriceList {
    pub id: String,
    pub mode: Mode,
    pub name: String,
    pub currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSku {
    pub id: String,
    pub mode: Mode,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPrice {
    pub id: String,
    pub mode: Mode,
    pub sku_code: String,
    pub price_list_id: String,
    pub amount_cents: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedStockItem {
    pub id: String,
    pub mode: Mode,
    pub sku_code: String,
    pub stock_location_number: u64,
    pub quantity: i64,
}
