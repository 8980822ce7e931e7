//! Importing a catalog again: replaced records, retired names, moved environments ([`gatehouse_store::Import`]), on both stores.

use super::*;

async fn importing_again_replaces_records_and_forgets_their_old_names(store: Arc<dyn Store>) {
    let mut catalog = demo_catalog();
    let eu = catalog
        .markets
        .iter_mut()
        .find(|m| m.id == "mkt_eu")
        .unwrap();
    eu.code = "europe".into();
    eu.number = 1011;
    eu.active = false;
    let app = catalog
        .applications
        .iter_mut()
        .find(|a| a.client_id == STOREFRONT)
        .unwrap();
    app.name = "Renamed storefront".into();
    store.import(&catalog).await.unwrap();
    assert!(market_ids(
        store.as_ref(),
        Mode::Test,
        &[Code("eu".into()), Number(1001)]
    )
    .await
    .is_empty());
    let renamed = store
        .find_markets(Mode::Test, &[Code("europe".into())])
        .await
        .unwrap();
    assert_eq!((renamed[0].number, renamed[0].active), (1011, false));
    assert_eq!(
        market_ids(
            store.as_ref(),
            Mode::Test,
            &[Number(1011), Id("mkt_eu".into())]
        )
        .await,
        ["mkt_eu"]
    );
    assert_eq!(
        store
            .find_application(STOREFRONT)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Renamed storefront"
    );
}

async fn importing_a_customer_again_replaces_their_email_and_group(store: Arc<dyn Store>) {
    let mut catalog = demo_catalog();
    let alice = catalog
        .customers
        .iter_mut()
        .find(|c| c.id == "cus_alice")
        .unwrap();
    alice.email = "alice.new@example.com".into();
    alice.customer_group_id = None;
    store.import(&catalog).await.unwrap();
    assert!(store
        .find_customer_by_email(Mode::Test, "alice@example.com")
        .await
        .unwrap()
        .is_none());
    let alice = store
        .find_customer_by_email(Mode::Test, "Alice.New@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.customer_group_id, None);
}

async fn a_changed_client_id_retires_the_old_one(store: Arc<dyn Store>) {
    let mut catalog = demo_catalog();
    catalog
        .applications
        .iter_mut()
        .find(|a| a.client_id == INTEGRATION)
        .unwrap()
        .client_id = "erp-2".into();
    store.import(&catalog).await.unwrap();
    assert!(
        store.find_application(INTEGRATION).await.unwrap().is_none(),
        "the old client_id no longer works"
    );
    assert_eq!(
        store.find_application("erp-2").await.unwrap().unwrap().id,
        "app_erp"
    );
}

async fn records_that_swap_numbers_codes_or_emails_keep_every_name(store: Arc<dyn Store>) {
    let mut catalog = demo_catalog();
    let (eu, us) = (
        catalog
            .markets
            .iter()
            .position(|m| m.id == "mkt_eu")
            .unwrap(),
        catalog
            .markets
            .iter()
            .position(|m| m.id == "mkt_us")
            .unwrap(),
    );
    let (eu_number, eu_code) = (catalog.markets[eu].number, catalog.markets[eu].code.clone());
    catalog.markets[eu].number = catalog.markets[us].number;
    catalog.markets[eu].code = catalog.markets[us].code.clone();
    catalog.markets[us].number = eu_number;
    catalog.markets[us].code = eu_code;
    let (alice, bob) = (
        catalog
            .customers
            .iter()
            .position(|c| c.id == "cus_alice")
            .unwrap(),
        catalog
            .customers
            .iter()
            .position(|c| c.id == "cus_bob")
            .unwrap(),
    );
    let alice_email = catalog.customers[alice].email.clone();
    catalog.customers[alice].email = catalog.customers[bob].email.clone();
    catalog.customers[bob].email = alice_email;
    store.import(&catalog).await.unwrap();
    let store = store.as_ref();
    assert_eq!(
        market_ids(store, Mode::Test, &[Number(1001)]).await,
        ["mkt_us"]
    );
    assert_eq!(
        market_ids(store, Mode::Test, &[Number(1002)]).await,
        ["mkt_eu"]
    );
    assert_eq!(
        market_ids(store, Mode::Test, &[Code("eu".into())]).await,
        ["mkt_us"]
    );
    assert_eq!(
        market_ids(store, Mode::Test, &[Code("us".into())]).await,
        ["mkt_eu"]
    );
    assert_eq!(
        store
            .find_customer_by_email(Mode::Test, "alice@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        "cus_bob"
    );
    assert_eq!(
        store
            .find_customer_by_email(Mode::Test, "bob@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        "cus_alice"
    );
}

async fn a_record_moved_to_the_other_environment_leaves_the_first(store: Arc<dyn Store>) {
    let mut catalog = demo_catalog();
    let us = catalog
        .markets
        .iter_mut()
        .find(|m| m.id == "mkt_us")
        .unwrap();
    us.mode = Mode::Live;
    us.price_list_id = "pl_live_eur".into();
    us.stock_location_ids = vec![];
    us.stock_location_numbers = vec![];
    catalog
        .customers
        .iter_mut()
        .find(|c| c.id == "cus_bob")
        .unwrap()
        .mode = Mode::Live;
    store.import(&catalog).await.unwrap();
    let store = store.as_ref();
    assert!(market_ids(
        store,
        Mode::Test,
        &[Number(1002), Code("us".into()), Id("mkt_us".into())]
    )
    .await
    .is_empty());
    assert_eq!(
        market_ids(store, Mode::Live, &[Code("us".into())]).await,
        ["mkt_us"]
    );
    assert!(store
        .find_customer_by_email(Mode::Test, "bob@example.com")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_customer(Mode::Test, "cus_bob")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .find_customer_by_email(Mode::Live, "bob@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        "cus_bob"
    );
}

conformance!(
    importing_again_replaces_records_and_forgets_their_old_names,
    importing_a_customer_again_replaces_their_email_and_group,
    a_changed_client_id_retires_the_old_one,
    records_that_swap_numbers_codes_or_emails_keep_every_name,
    a_record_moved_to_the_other_environment_leaves_the_first,
);
