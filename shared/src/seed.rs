//! The seed and import file (DESIGN.md "Seed and import file"): one JSON document that loads the
//! embedded store and imports into DynamoDB.
//!
//! Parsing is strict: an unknown field is refused with its path (`markets[0].colour`). Then
//! every cross-reference and uniqueness rule is checked, and all violations are reported at
//! once, each with its path. Secrets arrive in plain text and leave this module hashed.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Deserialize;

use crate::lifetime::TokenLifetime;
use crate::model::{
    email_key, Application, ApplicationKind, ClientType, Customer, CustomerGroup, Market, Mode,
    Organization, StockLocation,
};
use crate::password::PasswordHash;
use crate::secret::{SecretHash, MIN_SECRET_LENGTH};

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

/// One problem in a seed file, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedProblem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SeedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SeedError(pub Vec<SeedProblem>);

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the seed file is not valid:")?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// What the stores keep, from a valid seed. Collections not yet served by any endpoint
/// (users, price lists, SKUs, prices, stock items) are checked by [`parse_seed`] but not
/// carried here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub organization: Organization,
    pub applications: Vec<Application>,
    pub markets: Vec<Market>,
    pub stock_locations: Vec<StockLocation>,
    pub customer_groups: Vec<CustomerGroup>,
    /// Passwords hashed with argon2id.
    pub customers: Vec<Customer>,
}

/// Parses and checks a seed document.
pub fn parse_seed(text: &str) -> Result<Catalog, SeedError> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let seed: SeedFile = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        SeedError(vec![SeedProblem {
            path: if path == "." {
                "(document)".into()
            } else {
                path
            },
            message: error.into_inner().to_string(),
        }])
    })?;
    validate(seed)
}

struct Problems(Vec<SeedProblem>);

impl Problems {
    fn add(&mut self, path: String, message: impl Into<String>) {
        self.0.push(SeedProblem {
            path,
            message: message.into(),
        });
    }

    fn non_empty(&mut self, path: String, value: &str) {
        if value.trim().is_empty() {
            self.add(path, "must not be empty");
        }
    }

    /// Records `key` and reports it when already seen.
    fn unique<K: std::hash::Hash + Eq>(
        &mut self,
        seen: &mut HashSet<K>,
        key: K,
        path: String,
        what: &str,
    ) {
        if !seen.insert(key) {
            self.add(path, format!("{what} is already used by another record"));
        }
    }
}

fn is_acceptable_redirect_uri(uri: &str) -> bool {
    let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"];
    (uri.starts_with("https://") && uri.len() > "https://".len() && !uri.contains('#'))
        || local.iter().any(|prefix| {
            uri.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        })
}

fn validate(seed: SeedFile) -> Result<Catalog, SeedError> {
    let mut problems = Problems(Vec::new());
    problems.non_empty("organization.id".into(), &seed.organization.id);
    problems.non_empty("organization.slug".into(), &seed.organization.slug);

    let mut ids = HashSet::new();
    let mut check_id = |problems: &mut Problems, collection: &str, i: usize, id: &str| {
        let path = format!("{collection}[{i}].id");
        problems.non_empty(path.clone(), id);
        problems.unique(&mut ids, (collection.to_owned(), id.to_owned()), path, "id");
    };

    let mut price_lists = HashSet::new();
    for (i, list) in seed.price_lists.iter().enumerate() {
        check_id(&mut problems, "price_lists", i, &list.id);
        if list.currency.len() != 3 || !list.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            problems.add(
                format!("price_lists[{i}].currency"),
                "must be an ISO 4217 code such as EUR",
            );
        }
        price_lists.insert((list.mode, list.id.as_str()));
    }
    let mut groups = HashSet::new();
    let mut customer_groups = Vec::new();
    for (i, group) in seed.customer_groups.iter().enumerate() {
        check_id(&mut problems, "customer_groups", i, &group.id);
        groups.insert((group.mode, group.id.as_str()));
        customer_groups.push(CustomerGroup {
            id: group.id.clone(),
            name: group.name.clone(),
            mode: group.mode,
        });
    }

    let mut location_numbers = HashSet::new();
    let mut location_codes = HashSet::new();
    let mut locations_by_number: HashMap<(Mode, u64), &SeedStockLocation> = HashMap::new();
    let mut stock_locations = Vec::new();
    for (i, location) in seed.stock_locations.iter().enumerate() {
        check_id(&mut problems, "stock_locations", i, &location.id);
        problems.non_empty(format!("stock_locations[{i}].code"), &location.code);
        let path = |field: &str| format!("stock_locations[{i}].{field}");
        problems.unique(
            &mut location_numbers,
            (location.mode, location.number),
            path("number"),
            "number",
        );
        problems.unique(
            &mut location_codes,
            (location.mode, location.code.clone()),
            path("code"),
            "code",
        );
        locations_by_number.insert((location.mode, location.number), location);
        stock_locations.push(StockLocation {
            id: location.id.clone(),
            number: location.number,
            code: location.code.clone(),
            name: location.name.clone(),
            mode: location.mode,
        });
    }

    let mut market_numbers = HashSet::new();
    let mut market_codes = HashSet::new();
    let mut markets = Vec::new();
    for (i, market) in seed.markets.iter().enumerate() {
        let path = |field: &str| format!("markets[{i}].{field}");
        check_id(&mut problems, "markets", i, &market.id);
        problems.non_empty(path("code"), &market.code);
        problems.unique(
            &mut market_numbers,
            (market.mode, market.number),
            path("number"),
            "number",
        );
        problems.unique(
            &mut market_codes,
            (market.mode, market.code.clone()),
            path("code"),
            "code",
        );
        if !price_lists.contains(&(market.mode, market.price_list_id.as_str())) {
            problems.add(
                path("price_list_id"),
                format!(
                    "no price list '{}' in {} mode",
                    market.price_list_id,
                    market.mode.as_str()
                ),
            );
        }
        if let Some(group) = &market.customer_group_id {
            if !groups.contains(&(market.mode, group.as_str())) {
                problems.add(
                    path("customer_group_id"),
                    format!(
                        "no customer group '{group}' in {} mode",
                        market.mode.as_str()
                    ),
                );
            }
        }
        let mut stock_location_ids = Vec::new();
        let mut numbers_seen = HashSet::new();
        for (j, number) in market.stock_location_numbers.iter().enumerate() {
            let location_path = format!("markets[{i}].stock_location_numbers[{j}]");
            if !numbers_seen.insert(*number) {
                problems.add(location_path, "stock location listed twice");
                continue;
            }
            match locations_by_number.get(&(market.mode, *number)) {
                Some(location) => stock_location_ids.push(location.id.clone()),
                None => problems.add(
                    location_path,
                    format!(
                        "no stock location number {number} in {} mode",
                        market.mode.as_str()
                    ),
                ),
            }
        }
        markets.push(Market {
            id: market.id.clone(),
            number: market.number,
            code: market.code.clone(),
            name: market.name.clone(),
            mode: market.mode,
            active: market.active,
            price_list_id: market.price_list_id.clone(),
            stock_location_numbers: market.stock_location_numbers.clone(),
            stock_location_ids,
            customer_group_id: market.customer_group_id.clone(),
        });
    }

    let mut client_ids = HashSet::new();
    let mut applications = Vec::new();
    for (i, app) in seed.applications.iter().enumerate() {
        let path = |field: &str| format!("applications[{i}].{field}");
        check_id(&mut problems, "applications", i, &app.id);
        problems.non_empty(path("client_id"), &app.client_id);
        // client_id is unique across both environments: a token request names no environment.
        problems.unique(
            &mut client_ids,
            app.client_id.clone(),
            path("client_id"),
            "client_id",
        );
        let client_secret_hash = match (app.kind.client_type(), &app.client_secret) {
            (ClientType::Public, None) => None,
            (ClientType::Public, Some(_)) => {
                problems.add(
                    path("client_secret"),
                    "sales channels are public clients: client_secret must be null",
                );
                None
            }
            (ClientType::Confidential, None) => {
                problems.add(
                    path("client_secret"),
                    format!("{} applications need a client_secret", app.kind.as_str()),
                );
                None
            }
            (ClientType::Confidential, Some(secret)) => {
                if secret.chars().count() < MIN_SECRET_LENGTH {
                    problems.add(
                        path("client_secret"),
                        format!(
                            "must be at least {MIN_SECRET_LENGTH} characters of high-entropy text"
                        ),
                    );
                }
                Some(SecretHash::of(secret))
            }
        };
        let token_lifetime = match app.token_lifetime.map(TokenLifetime::try_from) {
            None => None,
            Some(Ok(lifetime)) => Some(lifetime),
            Some(Err(error)) => {
                problems.add(path("token_lifetime"), error.to_string());
                None
            }
        };
        for (j, uri) in app.redirect_uris.iter().enumerate() {
            if !is_acceptable_redirect_uri(uri) {
                problems.add(
                    format!("applications[{i}].redirect_uris[{j}]"),
                    "must be an absolute https URL without fragment (http only for localhost)",
                );
            }
        }
        applications.push(Application {
            id: app.id.clone(),
            name: app.name.clone(),
            kind: app.kind,
            mode: app.mode,
            client_id: app.client_id.clone(),
            client_secret_hash,
            token_lifetime,
            redirect_uris: app.redirect_uris.clone(),
        });
    }

    let mut emails = HashSet::new();
    let mut customers = Vec::new();
    for (i, customer) in seed.customers.iter().enumerate() {
        check_id(&mut problems, "customers", i, &customer.id);
        let path = |field: &str| format!("customers[{i}].{field}");
        if !customer.email.contains('@') || customer.email.len() > MAX_EMAIL_LENGTH {
            problems.add(
                path("email"),
                format!("must be an email address of at most {MAX_EMAIL_LENGTH} characters"),
            );
        }
        problems.unique(
            &mut emails,
            (customer.mode, email_key(&customer.email)),
            path("email"),
            "email",
        );
        problems.non_empty(path("password"), &customer.password);
        if let Some(group) = &customer.customer_group_id {
            if !groups.contains(&(customer.mode, group.as_str())) {
                problems.add(
                    path("customer_group_id"),
                    format!(
                        "no customer group '{group}' in {} mode",
                        customer.mode.as_str()
                    ),
                );
            }
        }
        customers.push(customer);
    }
    let mut user_emails = HashSet::new();
    for (i, user) in seed.users.iter().enumerate() {
        check_id(&mut problems, "users", i, &user.id);
        let path = |field: &str| format!("users[{i}].{field}");
        if !user.email.contains('@') || user.email.len() > MAX_EMAIL_LENGTH {
            problems.add(
                path("email"),
                format!("must be an email address of at most {MAX_EMAIL_LENGTH} characters"),
            );
        }
        problems.unique(
            &mut user_emails,
            (user.mode, email_key(&user.email)),
            path("email"),
            "email",
        );
        problems.non_empty(path("password"), &user.password);
    }
    let mut sku_codes = HashSet::new();
    for (i, sku) in seed.skus.iter().enumerate() {
        check_id(&mut problems, "skus", i, &sku.id);
        problems.non_empty(format!("skus[{i}].code"), &sku.code);
        problems.unique(
            &mut sku_codes,
            (sku.mode, sku.code.clone()),
            format!("skus[{i}].code"),
            "code",
        );
    }
    for (i, price) in seed.prices.iter().enumerate() {
        check_id(&mut problems, "prices", i, &price.id);
        if !sku_codes.contains(&(price.mode, price.sku_code.clone())) {
            problems.add(
                format!("prices[{i}].sku_code"),
                format!(
                    "no sku '{}' in {} mode",
                    price.sku_code,
                    price.mode.as_str()
                ),
            );
        }
        if !price_lists.contains(&(price.mode, price.price_list_id.as_str())) {
            problems.add(
                format!("prices[{i}].price_list_id"),
                format!(
                    "no price list '{}' in {} mode",
                    price.price_list_id,
                    price.mode.as_str()
                ),
            );
        }
        if price.amount_cents < 0 {
            problems.add(format!("prices[{i}].amount_cents"), "must not be negative");
        }
    }
    for (i, item) in seed.stock_items.iter().enumerate() {
        check_id(&mut problems, "stock_items", i, &item.id);
        if !sku_codes.contains(&(item.mode, item.sku_code.clone())) {
            problems.add(
                format!("stock_items[{i}].sku_code"),
                format!("no sku '{}' in {} mode", item.sku_code, item.mode.as_str()),
            );
        }
        if !locations_by_number.contains_key(&(item.mode, item.stock_location_number)) {
            problems.add(
                format!("stock_items[{i}].stock_location_number"),
                format!(
                    "no stock location number {} in {} mode",
                    item.stock_location_number,
                    item.mode.as_str()
                ),
            );
        }
        if item.quantity < 0 {
            problems.add(format!("stock_items[{i}].quantity"), "must not be negative");
        }
    }

    if !problems.0.is_empty() {
        return Err(SeedError(problems.0));
    }
    // Hashing is deliberately slow, so it waits until the seed is known to be valid.
    let customers = customers
        .into_iter()
        .map(|customer| Customer {
            id: customer.id.clone(),
            mode: customer.mode,
            email: customer.email.trim().to_owned(),
            password_hash: PasswordHash::of(&customer.password),
            customer_group_id: customer.customer_group_id.clone(),
        })
        .collect();
    Ok(Catalog {
        organization: Organization {
            id: seed.organization.id,
            slug: seed.organization.slug,
        },
        applications,
        markets,
        stock_locations,
        customer_groups,
        customers,
    })
}

/// The longest email address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_LENGTH: usize = 254;

/// The demo seed shipped with the repository (`demo/seed.json`).
pub const DEMO_SEED: &str = include_str!("../../demo/seed.json");

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn minimal() -> Value {
        json!({
            "organization": {"id": "org", "slug": "acme"},
            "price_lists": [{"id": "pl", "mode": "test", "name": "EUR", "currency": "EUR"}],
            "stock_locations": [{"id": "sl", "mode": "test", "number": 1, "code": "wh", "name": "WH"}],
            "markets": [{"id": "m", "mode": "test", "number": 10, "code": "eu", "name": "EU", "active": true,
                         "price_list_id": "pl", "stock_location_numbers": [1], "customer_group_id": null}],
            "applications": [{"id": "a", "mode": "test", "name": "Shop", "kind": "sales_channel",
                              "client_id": "shop", "client_secret": null, "token_lifetime": null, "redirect_uris": []}]
        })
    }

    fn problems(seed: Value) -> Vec<String> {
        match parse_seed(&seed.to_string()) {
            Ok(_) => vec![],
            Err(SeedError(problems)) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    fn with(mut seed: Value, pointer: &str, value: Value) -> Value {
        *seed.pointer_mut(pointer).unwrap() = value;
        seed
    }

    #[test]
    fn the_demo_seed_is_valid() {
        let catalog = parse_seed(DEMO_SEED).unwrap();
        assert!(!catalog.applications.is_empty());
    }

    #[test]
    fn a_minimal_seed_resolves_stock_location_numbers_to_ids_and_hashes_secrets() {
        let catalog = parse_seed(&minimal().to_string()).unwrap();
        assert_eq!(catalog.markets[0].stock_location_ids, vec!["sl".to_owned()]);
        let seed = with(minimal(), "/applications/0/kind", json!("integration"));
        let secret = "s".repeat(40);
        let seed = with(seed, "/applications/0/client_secret", json!(secret));
        let catalog = parse_seed(&seed.to_string()).unwrap();
        assert!(catalog.applications[0]
            .client_secret_hash
            .as_ref()
            .unwrap()
            .verify(&secret));
    }

    #[test]
    fn unknown_fields_are_refused_with_their_path() {
        let mut seed = minimal();
        seed["markets"][0]["colour"] = json!("red");
        let found = problems(seed);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("markets[0].colour: unknown field `colour`"),
            "{found:?}"
        );
        let mut seed = minimal();
        seed["widgets"] = json!([]);
        assert!(problems(seed)[0].starts_with("widgets: unknown field"));
    }

    #[test]
    fn broken_rules_are_each_reported_at_their_path() {
        let secret = json!("s".repeat(40));
        let cases: Vec<(Value, &str)> = vec![
            (with(minimal(), "/markets/0/price_list_id", json!("nope")), "markets[0].price_list_id: no price list 'nope' in test mode"),
            (with(minimal(), "/markets/0/stock_location_numbers", json!([2])), "markets[0].stock_location_numbers[0]: no stock location number 2 in test mode"),
            (with(minimal(), "/markets/0/customer_group_id", json!("vip")), "markets[0].customer_group_id: no customer group 'vip' in test mode"),
            (with(minimal(), "/markets/0/mode", json!("live")), "markets[0].price_list_id: no price list 'pl' in live mode"),
            (with(minimal(), "/applications/0/client_secret", secret.clone()), "applications[0].client_secret: sales channels are public clients: client_secret must be null"),
            (with(minimal(), "/applications/0/kind", json!("integration")), "applications[0].client_secret: integration applications need a client_secret"),
            (with(minimal(), "/applications/0/token_lifetime", json!(7199)), "applications[0].token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 7199"),
            (with(minimal(), "/applications/0/token_lifetime", json!(31_536_001)), "applications[0].token_lifetime: token_lifetime must be a whole number of seconds from 7200 to 31536000, got 31536001"),
            (with(minimal(), "/applications/0/redirect_uris", json!(["http://evil.example/cb"])), "applications[0].redirect_uris[0]: must be an absolute https URL without fragment (http only for localhost)"),
            (with(minimal(), "/applications/0/client_id", json!("")), "applications[0].client_id: must not be empty"),
            (with(minimal(), "/markets/0/mode", json!("staging")), "markets[0].mode: unknown variant `staging`, expected `test` or `live`"),
            (with(minimal(), "/markets/0/number", json!(-1)), "markets[0].number: invalid value: integer `-1`, expected u64"),
        ];
        for (seed, expected) in cases {
            let found = problems(seed);
            assert!(
                found.iter().any(|p| p.starts_with(expected)),
                "expected {expected:?} in {found:?}"
            );
        }
    }

    #[test]
    fn duplicate_keys_within_an_environment_are_refused_but_allowed_across_environments() {
        let mut seed = minimal();
        let mut second = seed["applications"][0].clone();
        second["id"] = json!("b");
        seed["applications"].as_array_mut().unwrap().push(second);
        assert!(problems(seed)
            .iter()
            .any(|p| p.starts_with("applications[1].client_id: client_id is already used")));

        let mut seed = minimal();
        let mut live = seed["stock_locations"][0].clone();
        live["id"] = json!("sl-live");
        live["mode"] = json!("live");
        seed["stock_locations"].as_array_mut().unwrap().push(live);
        assert_eq!(problems(seed), Vec::<String>::new());
    }

    #[test]
    fn malformed_json_is_reported_not_panicked_on() {
        for text in ["", "{", "[]", "null", "{\"organization\": 5}"] {
            assert!(parse_seed(text).is_err(), "{text}");
        }
    }
}
