//! The seed's rules: one function per collection, with `Known` (known.rs) for the references
//! between collections.
//!
//! Collections are checked in an order in which every reference points at a collection already
//! checked (price lists and customer groups, stock locations, markets, ..., SKUs, prices, stock
//! items), and each record's references are checked with the record. So the problems come out
//! collection by collection, each collection's in the order of its records.

use std::collections::HashSet;

use super::catalog::{price_lists, prices, skus, stock_items};
use super::format::{
    SeedApplication, SeedCustomer, SeedCustomerGroup, SeedFile, SeedMarket, SeedOrganization,
    SeedStockLocation, SeedUser,
};
use super::known::Known;
use super::{Problems, SeedError};
use crate::application_rules::{self as rules, Violation};
use crate::model::{
    email_key, Application, Catalog, Customer, CustomerGroup, Market, Organization, StockLocation,
    User,
};
use crate::password::PasswordHash;
use crate::secret::SecretHash;

pub(super) fn validate(seed: SeedFile) -> Result<Catalog, SeedError> {
    let mut problems = Problems::default();
    let mut known = Known::default();
    let organization = organization(&mut problems, &seed.organization);
    let price_lists = price_lists(&mut problems, &mut known, &seed.price_lists);
    let customer_groups = customer_groups(&mut problems, &mut known, &seed.customer_groups);
    let stock_locations = stock_locations(&mut problems, &mut known, &seed.stock_locations);
    let markets = markets(&mut problems, &known, &seed.markets);
    let applications = applications(&mut problems, &seed.applications);
    customers(&mut problems, &known, &seed.customers);
    users(&mut problems, &seed.users);
    let skus = skus(&mut problems, &mut known, &seed.skus);
    let prices = prices(&mut problems, &known, &seed.prices);
    let stock_items = stock_items(&mut problems, &known, &seed.stock_items);
    if !problems.0.is_empty() {
        return Err(SeedError(problems.0));
    }
    // Hashing is deliberately slow, so it waits until the seed is known to be valid.
    let customers = seed
        .customers
        .iter()
        .map(|customer| Customer {
            id: customer.id.clone(),
            mode: customer.mode,
            email: customer.email.trim().to_owned(),
            password_hash: PasswordHash::deferred(&customer.password),
            customer_group_id: customer.customer_group_id.clone(),
        })
        .collect();
    let users = seed
        .users
        .iter()
        .map(|user| User {
            id: user.id.clone(),
            mode: user.mode,
            email: user.email.trim().to_owned(),
            name: user.name.clone(),
            password_hash: PasswordHash::deferred(&user.password),
        })
        .collect();
    Ok(Catalog {
        organization,
        applications,
        markets,
        stock_locations,
        customer_groups,
        customers,
        users,
        price_lists,
        skus,
        prices,
        stock_items,
    })
}

fn organization(problems: &mut Problems, organization: &SeedOrganization) -> Organization {
    problems.non_empty("organization.id".into(), &organization.id);
    problems.non_empty("organization.slug".into(), &organization.slug);
    Organization {
        id: organization.id.clone(),
        slug: organization.slug.clone(),
    }
}

fn customer_groups<'a>(
    problems: &mut Problems,
    known: &mut Known<'a>,
    groups: &'a [SeedCustomerGroup],
) -> Vec<CustomerGroup> {
    let mut ids = HashSet::new();
    let checked = groups.iter().enumerate().map(|(i, group)| {
        problems.id(&mut ids, "customer_groups", i, &group.id);
        known.customer_groups.insert((group.mode, &group.id));
        CustomerGroup {
            id: group.id.clone(),
            name: group.name.clone(),
            mode: group.mode,
        }
    });
    checked.collect()
}

fn stock_locations<'a>(
    problems: &mut Problems,
    known: &mut Known<'a>,
    locations: &'a [SeedStockLocation],
) -> Vec<StockLocation> {
    let mut ids = HashSet::new();
    let mut numbers = HashSet::new();
    let mut codes = HashSet::new();
    let checked = locations.iter().enumerate().map(|(i, location)| {
        let path = |field: &str| format!("stock_locations[{i}].{field}");
        problems.id(&mut ids, "stock_locations", i, &location.id);
        problems.key(path("code"), &location.code);
        let mode = location.mode;
        problems.unique(
            &mut numbers,
            (mode, location.number),
            path("number"),
            "number",
        );
        problems.unique(&mut codes, (mode, &location.code), path("code"), "code");
        known
            .stock_locations
            .insert((mode, location.number), &location.id);
        StockLocation {
            id: location.id.clone(),
            number: location.number,
            code: location.code.clone(),
            name: location.name.clone(),
            mode,
        }
    });
    checked.collect()
}

fn markets(problems: &mut Problems, known: &Known<'_>, markets: &[SeedMarket]) -> Vec<Market> {
    let mut ids = HashSet::new();
    let mut numbers = HashSet::new();
    let mut codes = HashSet::new();
    let checked = markets.iter().enumerate().map(|(i, market)| {
        let path = |field: &str| format!("markets[{i}].{field}");
        let mode = market.mode;
        problems.id(&mut ids, "markets", i, &market.id);
        problems.key(path("code"), &market.code);
        problems.unique(
            &mut numbers,
            (mode, market.number),
            path("number"),
            "number",
        );
        problems.unique(&mut codes, (mode, &market.code), path("code"), "code");
        known.price_list(problems, path("price_list_id"), mode, &market.price_list_id);
        if let Some(group) = &market.customer_group_id {
            known.customer_group(problems, path("customer_group_id"), mode, group);
        }
        let mut stock_location_ids = Vec::new();
        let mut numbers_seen = HashSet::new();
        for (j, number) in market.stock_location_numbers.iter().enumerate() {
            let location_path = format!("markets[{i}].stock_location_numbers[{j}]");
            if !numbers_seen.insert(*number) {
                problems.add(location_path, "stock location listed twice");
                continue;
            }
            let id = known.stock_location(problems, location_path, mode, *number);
            stock_location_ids.extend(id.map(str::to_owned));
        }
        Market {
            id: market.id.clone(),
            number: market.number,
            code: market.code.clone(),
            name: market.name.clone(),
            mode,
            active: market.active,
            price_list_id: market.price_list_id.clone(),
            stock_location_numbers: market.stock_location_numbers.clone(),
            stock_location_ids,
            customer_group_id: market.customer_group_id.clone(),
        }
    });
    checked.collect()
}

fn applications(problems: &mut Problems, apps: &[SeedApplication]) -> Vec<Application> {
    let mut ids = HashSet::new();
    let mut client_ids = HashSet::new();
    let checked = apps.iter().enumerate().map(|(i, app)| {
        let path = |field: &str| format!("applications[{i}].{field}");
        let report = |problems: &mut Problems, violation: Violation| {
            problems.add(path(&violation.field), violation.message);
        };
        problems.id(&mut ids, "applications", i, &app.id);
        if let Err(violation) = rules::client_id(&app.client_id) {
            report(problems, violation);
        }
        // client_id is unique across both environments: a token request names no environment.
        problems.unique(
            &mut client_ids,
            &app.client_id,
            path("client_id"),
            "client_id",
        );
        if let Err(violation) = rules::supplied_secret(app.kind, app.client_secret.as_deref()) {
            report(problems, violation);
        }
        let token_lifetime =
            rules::token_lifetime(app.token_lifetime).unwrap_or_else(|violation| {
                report(problems, violation);
                None
            });
        for violation in rules::redirect_uris(app.kind, &app.redirect_uris) {
            report(problems, violation);
        }
        let confidential = app.kind.needs_secret() || app.client_secret.is_some();
        let jwt_bearer =
            rules::jwt_bearer(&app.jwt_bearer, confidential).unwrap_or_else(|violation| {
                report(problems, violation);
                None
            });
        Application {
            id: app.id.clone(),
            name: app.name.clone(),
            kind: app.kind,
            mode: app.mode,
            client_id: app.client_id.clone(),
            client_secret_hash: app.client_secret.as_deref().map(SecretHash::of),
            token_lifetime,
            redirect_uris: app.redirect_uris.clone(),
            enabled: true,
            previous_client_secret: None,
            grant_types: None,
            jwt_bearer,
        }
    });
    checked.collect()
}

/// Checks the customers; their passwords are hashed by [`validate`] once all is well.
fn customers(problems: &mut Problems, known: &Known<'_>, customers: &[SeedCustomer]) {
    let mut ids = HashSet::new();
    let mut emails = HashSet::new();
    for (i, customer) in customers.iter().enumerate() {
        let path = |field: &str| format!("customers[{i}].{field}");
        problems.id(&mut ids, "customers", i, &customer.id);
        problems.email(path("email"), &customer.email);
        let key = (customer.mode, email_key(&customer.email));
        problems.unique(&mut emails, key, path("email"), "email");
        problems.non_empty(path("password"), &customer.password);
        if let Some(group) = &customer.customer_group_id {
            known.customer_group(problems, path("customer_group_id"), customer.mode, group);
        }
    }
}

fn users(problems: &mut Problems, users: &[SeedUser]) {
    let mut ids = HashSet::new();
    let mut emails = HashSet::new();
    for (i, user) in users.iter().enumerate() {
        let path = |field: &str| format!("users[{i}].{field}");
        problems.id(&mut ids, "users", i, &user.id);
        problems.email(path("email"), &user.email);
        let key = (user.mode, email_key(&user.email));
        problems.unique(&mut emails, key, path("email"), "email");
        problems.non_empty(path("password"), &user.password);
    }
}
