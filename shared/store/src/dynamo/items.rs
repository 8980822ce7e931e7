//! Records as items and back. Reading names the item and the attribute in every error, so that
//! a bad import or a bug shows where it is.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::*;
use super::reader::Reader;
use crate::StoreError;
use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::grant::GrantType;
use gatehouse_core::jwt_bearer::JwtBearer;
use gatehouse_core::lifetime::TokenLifetime;
use gatehouse_core::model::{
    email_key, Application, ApplicationKind, Customer, CustomerGroup, Market, PreviousSecret,
    StockLocation, User,
};

pub(super) fn application_item(app: &Application) -> Item {
    let mut item = app_key(&app.client_id);
    item.insert("type".into(), s("application"));
    item.insert("id".into(), s(&app.id));
    item.insert("name".into(), s(&app.name));
    item.insert("kind".into(), s(app.kind.as_str()));
    item.insert("mode".into(), s(app.mode.as_str()));
    item.insert("client_id".into(), s(&app.client_id));
    let secret_hash = app.client_secret_hash.as_ref().map(|h| s(h.to_stored()));
    set_some(&mut item, "secret_hash", secret_hash);
    let lifetime = app.token_lifetime.map(|l| n(l.seconds()));
    set_some(&mut item, "token_lifetime", lifetime);
    item.insert(
        "redirect_uris".into(),
        AttributeValue::L(app.redirect_uris.iter().map(s).collect()),
    );
    item.insert("enabled".into(), AttributeValue::Bool(app.enabled));
    if let Some(previous) = &app.previous_client_secret {
        item.insert("previous_secret_hash".into(), s(previous.hash.to_stored()));
        item.insert(
            "previous_secret_valid_until".into(),
            seconds(previous.valid_until),
        );
    }
    if let Some(grants) = &app.grant_types {
        item.insert(
            "grant_types".into(),
            AttributeValue::L(grants.iter().map(|g| s(g.as_str())).collect()),
        );
    }
    if let Some(setting) = &app.jwt_bearer {
        // Its JSON form, as the admin API shows it: keys are JWKs of any members.
        item.insert("jwt_bearer".into(), s(setting.to_json().to_string()));
    }
    item
}

pub(super) fn application_from(item: &Item) -> Result<Application, StoreError> {
    let r = Reader { item };
    let kind = r.string("kind")?;
    let kind =
        ApplicationKind::parse(&kind).ok_or_else(|| r.corrupt(format!("unknown kind '{kind}'")))?;
    let client_secret_hash = r.optional_secret_hash("secret_hash")?;
    let token_lifetime = r
        .optional_number::<i64>("token_lifetime")?
        .map(|seconds| TokenLifetime::try_from(seconds).map_err(|e| r.corrupt(e.to_string())))
        .transpose()?;
    let previous_client_secret = match r.optional_secret_hash("previous_secret_hash")? {
        None => None,
        Some(hash) => Some(PreviousSecret {
            hash,
            valid_until: UnixSeconds(r.number("previous_secret_valid_until")?),
        }),
    };
    let grant = |name: &String| {
        GrantType::parse(name).ok_or_else(|| r.corrupt(format!("unknown grant type '{name}'")))
    };
    let grant_types = match item.get("grant_types") {
        None => None,
        Some(_) => Some(r.string_list("grant_types")?.iter().map(grant).collect()),
    }
    .transpose()?;
    let jwt_bearer = match r.optional_string("jwt_bearer")? {
        None => None,
        Some(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| e.to_string())
                .and_then(|value| JwtBearer::from_json(&value))
                .map_err(|e| r.corrupt(format!("jwt_bearer: {e}")))?,
        ),
    };
    Ok(Application {
        id: r.string("id")?,
        name: r.string("name")?,
        kind,
        mode: r.mode()?,
        client_id: r.string("client_id")?,
        client_secret_hash,
        token_lifetime,
        redirect_uris: r.string_list("redirect_uris")?,
        // Items written before applications could be disabled have no attribute: enabled.
        enabled: r.optional_boolean("enabled")?.unwrap_or(true),
        previous_client_secret,
        grant_types,
        jwt_bearer,
    })
}

/// A record stored once under each of `sort_keys` in `partition`, every copy whole.
fn copies(partition: String, sort_keys: Vec<String>, attributes: Item) -> Vec<Item> {
    sort_keys
        .into_iter()
        .map(|sort_key| {
            let mut item = attributes.clone();
            item.extend(key(partition.clone(), sort_key));
            item
        })
        .collect()
}

/// The sort keys of a market's or stock location's copies: by number, code and id (last),
/// one for each way a scope names it.
fn alias_keys(number: u64, code: &str, id: &str) -> Vec<String> {
    vec![
        format!("number#{number}"),
        format!("code#{code}"),
        format!("id#{id}"),
    ]
}

/// The sort keys of a customer's or user's copies: by email and by id.
fn person_keys(email: &str, id: &str) -> Vec<String> {
    vec![format!("email#{}", email_key(email)), format!("id#{id}")]
}

/// A market's attributes, which each of its copies carries.
pub(super) fn market_attributes(market: &Market) -> Item {
    let mut item = Item::new();
    item.insert("type".into(), s("market"));
    item.insert("id".into(), s(&market.id));
    item.insert("number".into(), n(market.number));
    item.insert("code".into(), s(&market.code));
    item.insert("name".into(), s(&market.name));
    item.insert("mode".into(), s(market.mode.as_str()));
    item.insert("active".into(), AttributeValue::Bool(market.active));
    item.insert("price_list_id".into(), s(&market.price_list_id));
    item.insert(
        "stock_location_ids".into(),
        AttributeValue::L(market.stock_location_ids.iter().map(s).collect()),
    );
    item.insert(
        "stock_location_numbers".into(),
        AttributeValue::L(market.stock_location_numbers.iter().map(n).collect()),
    );
    let group = market.customer_group_id.as_ref().map(s);
    set_some(&mut item, "customer_group_id", group);
    item
}

pub(super) fn market_items(market: &Market) -> Vec<Item> {
    let sort_keys = alias_keys(market.number, &market.code, &market.id);
    copies(
        market_partition(market.mode),
        sort_keys,
        market_attributes(market),
    )
}

pub(super) fn market_from(item: &Item) -> Result<Market, StoreError> {
    let r = Reader { item };
    Ok(Market {
        id: r.string("id")?,
        number: r.number("number")?,
        code: r.string("code")?,
        name: r.string("name")?,
        mode: r.mode()?,
        active: r.boolean("active")?,
        price_list_id: r.string("price_list_id")?,
        stock_location_ids: r.string_list("stock_location_ids")?,
        stock_location_numbers: r.number_list("stock_location_numbers")?,
        customer_group_id: r.optional_string("customer_group_id")?,
    })
}

pub(super) fn location_items(location: &StockLocation) -> Vec<Item> {
    let mut item = Item::new();
    item.insert("type".into(), s("stock_location"));
    item.insert("id".into(), s(&location.id));
    item.insert("number".into(), n(location.number));
    item.insert("code".into(), s(&location.code));
    item.insert("name".into(), s(&location.name));
    item.insert("mode".into(), s(location.mode.as_str()));
    let sort_keys = alias_keys(location.number, &location.code, &location.id);
    copies(location_partition(location.mode), sort_keys, item)
}

pub(super) fn location_from(item: &Item) -> Result<StockLocation, StoreError> {
    let r = Reader { item };
    Ok(StockLocation {
        id: r.string("id")?,
        number: r.number("number")?,
        code: r.string("code")?,
        name: r.string("name")?,
        mode: r.mode()?,
    })
}

pub(super) fn customer_items(customer: &Customer) -> Vec<Item> {
    let mut item = Item::new();
    item.insert("type".into(), s("customer"));
    item.insert("id".into(), s(&customer.id));
    item.insert("mode".into(), s(customer.mode.as_str()));
    item.insert("email".into(), s(&customer.email));
    item.insert(
        "password_hash".into(),
        s(customer.password_hash.as_stored()),
    );
    let group = customer.customer_group_id.as_ref().map(s);
    set_some(&mut item, "customer_group_id", group);
    let sort_keys = person_keys(&customer.email, &customer.id);
    copies(customer_partition(customer.mode), sort_keys, item)
}

pub(super) fn customer_from(item: &Item) -> Result<Customer, StoreError> {
    let r = Reader { item };
    Ok(Customer {
        id: r.string("id")?,
        mode: r.mode()?,
        email: r.string("email")?,
        password_hash: r.password_hash()?,
        customer_group_id: r.optional_string("customer_group_id")?,
    })
}

pub(super) fn group_item(group: &CustomerGroup) -> Item {
    let mut item = key(
        format!("CUSTOMER_GROUP#{}", group.mode.as_str()),
        format!("id#{}", group.id),
    );
    item.insert("type".into(), s("customer_group"));
    item.insert("id".into(), s(&group.id));
    item.insert("name".into(), s(&group.name));
    item.insert("mode".into(), s(group.mode.as_str()));
    item
}

pub(super) fn group_from(item: &Item) -> Result<CustomerGroup, StoreError> {
    let r = Reader { item };
    Ok(CustomerGroup {
        id: r.string("id")?,
        name: r.string("name")?,
        mode: r.mode()?,
    })
}

/// A user is stored twice, under its email and under its id, like a customer.
pub(super) fn user_items(user: &User) -> Vec<Item> {
    let mut item = Item::new();
    item.insert("type".into(), s("user"));
    item.insert("id".into(), s(&user.id));
    item.insert("mode".into(), s(user.mode.as_str()));
    item.insert("email".into(), s(&user.email));
    set_some(&mut item, "name", user.name.as_ref().map(s));
    item.insert("password_hash".into(), s(user.password_hash.as_stored()));
    copies(
        user_partition(user.mode),
        person_keys(&user.email, &user.id),
        item,
    )
}

pub(super) fn user_from(item: &Item) -> Result<User, StoreError> {
    let r = Reader { item };
    Ok(User {
        id: r.string("id")?,
        mode: r.mode()?,
        email: r.string("email")?,
        name: r.optional_string("name")?,
        password_hash: r.password_hash()?,
    })
}

pub(super) fn item_type(item: &Item) -> Option<&str> {
    match item.get("type") {
        Some(AttributeValue::S(t)) => Some(t.as_str()),
        _ => None,
    }
}

/// The sort keys of a market's or stock location's copies, from one of them.
pub(super) fn alias_sort_keys(item: &Item) -> Result<Vec<String>, StoreError> {
    let r = Reader { item };
    let number = r.number("number")?;
    Ok(alias_keys(number, &r.string("code")?, &r.string("id")?))
}

/// The sort keys of a customer's or user's copies, from one of them.
pub(super) fn customer_sort_keys(item: &Item) -> Result<Vec<String>, StoreError> {
    let r = Reader { item };
    Ok(person_keys(&r.string("email")?, &r.string("id")?))
}

pub(super) fn app_pointer_item(application: &Application) -> Item {
    let mut item = app_pointer_key(&application.id);
    item.insert("type".into(), s("application_pointer"));
    item.insert("client_id".into(), s(&application.client_id));
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::secret::SecretHash;

    #[test]
    fn records_survive_the_round_trip_through_items() {
        let catalog = gatehouse_core::seed::parse_seed(gatehouse_core::seed::DEMO_SEED).unwrap();
        for app in &catalog.applications {
            assert_eq!(&application_from(&application_item(app)).unwrap(), app);
        }
        for market in &catalog.markets {
            for item in market_items(market) {
                assert_eq!(&market_from(&item).unwrap(), market);
            }
        }
        for location in &catalog.stock_locations {
            for item in location_items(location) {
                assert_eq!(&location_from(&item).unwrap(), location);
            }
        }
    }

    #[test]
    fn administered_fields_survive_the_round_trip_and_an_old_item_reads_as_enabled() {
        let mut app = gatehouse_core::seed::parse_seed(gatehouse_core::seed::DEMO_SEED)
            .unwrap()
            .applications[0]
            .clone();
        app.enabled = false;
        app.grant_types = Some(vec![GrantType::Password, GrantType::RefreshToken]);
        app.previous_client_secret = Some(PreviousSecret {
            hash: SecretHash::of("old"),
            valid_until: UnixSeconds(1_800_000_000),
        });
        assert_eq!(application_from(&application_item(&app)).unwrap(), app);
        let mut old = application_item(&app);
        old.remove("enabled");
        assert!(application_from(&old).unwrap().enabled);
        for (attribute, bad) in [
            ("enabled", s("yes")),
            ("grant_types", AttributeValue::L(vec![s("implicit")])),
            ("previous_secret_hash", s("md5:00")),
            ("previous_secret_valid_until", s("soon")),
        ] {
            let mut item = application_item(&app);
            item.insert(attribute.into(), bad);
            let error = application_from(&item).unwrap_err();
            assert!(
                matches!(error, StoreError::Corrupt { .. }),
                "{attribute}: {error}"
            );
        }
    }

    #[test]
    fn a_corrupt_item_is_an_error_that_names_it() {
        let mut item = application_item(
            &gatehouse_core::seed::parse_seed(gatehouse_core::seed::DEMO_SEED)
                .unwrap()
                .applications[0],
        );
        item.insert("kind".into(), s("robot"));
        let error = application_from(&item).unwrap_err().to_string();
        assert!(
            error.contains("APP#demo-storefront/APP") && error.contains("robot"),
            "{error}"
        );
    }
}
