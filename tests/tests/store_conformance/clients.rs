//! Applications and the scope records a token names ([`gatehouse_store::Clients`]), on both stores.

use super::*;

async fn applications_are_found_by_client_id_with_their_secret_hashed(store: Arc<dyn Clients>) {
    let storefront = store
        .find_application(STOREFRONT)
        .await
        .unwrap()
        .expect("storefront");
    assert_eq!(
        (storefront.kind, storefront.mode),
        (ApplicationKind::SalesChannel, Mode::Test)
    );
    assert!(storefront.client_secret_hash.is_none() && storefront.token_lifetime.is_none());
    let integration = store
        .find_application(INTEGRATION)
        .await
        .unwrap()
        .expect("integration");
    assert!(integration
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify(INTEGRATION_SECRET));
    assert!(!integration
        .client_secret_hash
        .as_ref()
        .unwrap()
        .verify("demo-integration-secret"));
    assert_eq!(
        integration.token_lifetime.map(|l| l.seconds()),
        Some(86_400)
    );
    let webapp = store
        .find_application(WEBAPP)
        .await
        .unwrap()
        .expect("webapp");
    assert_eq!(
        webapp.redirect_uris,
        vec!["http://localhost:8080/callback".to_owned()]
    );
    assert_eq!(
        store
            .find_application(LIVE_STOREFRONT)
            .await
            .unwrap()
            .unwrap()
            .mode,
        Mode::Live
    );
    assert!(store.find_application("nobody").await.unwrap().is_none());
    assert!(store.find_application("").await.unwrap().is_none());
}

async fn markets_are_found_by_number_code_and_id_within_their_environment(store: Arc<dyn Clients>) {
    let store = store.as_ref();
    assert_eq!(
        market_ids(store, Mode::Test, &[Number(1001)]).await,
        ["mkt_eu"]
    );
    assert_eq!(
        market_ids(store, Mode::Test, &[Code("eu".into())]).await,
        ["mkt_eu"]
    );
    assert_eq!(
        market_ids(store, Mode::Test, &[Id("mkt_eu".into())]).await,
        ["mkt_eu"]
    );
    assert_eq!(
        market_ids(store, Mode::Live, &[Code("eu".into())]).await,
        ["mkt_live_eu"]
    );
    assert!(
        market_ids(store, Mode::Live, &[Id("mkt_eu".into()), Number(1001)])
            .await
            .is_empty()
    );
    assert_eq!(
        market_ids(
            store,
            Mode::Test,
            &[Number(1001), Code("eu".into()), Number(1002), Number(9999)]
        )
        .await,
        ["mkt_eu", "mkt_us"]
    );
    assert!(market_ids(store, Mode::Test, &[]).await.is_empty());
    let vip = store
        .find_markets(Mode::Test, &[Number(1003)])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(vip.customer_group_id.as_deref(), Some("cg_vip"));
    assert_eq!(
        (vip.stock_location_ids, vip.stock_location_numbers),
        (vec!["sl_ams".to_owned()], vec![101])
    );
    let outlet = store
        .find_markets(Mode::Test, &[Code("outlet".into())])
        .await
        .unwrap()
        .remove(0);
    assert!(!outlet.active);
}

async fn stock_locations_are_found_by_number_code_and_id_within_their_environment(
    store: Arc<dyn Clients>,
) {
    let store = store.as_ref();
    assert_eq!(
        location_ids(store, Mode::Test, &[Number(101)]).await,
        ["sl_ams"]
    );
    assert_eq!(
        location_ids(store, Mode::Test, &[Code("ams".into())]).await,
        ["sl_ams"]
    );
    assert_eq!(
        location_ids(store, Mode::Live, &[Code("ams".into())]).await,
        ["sl_live_ams"]
    );
    assert_eq!(
        location_ids(store, Mode::Test, &[Id("sl_ber".into()), Number(103)]).await,
        ["sl_ber", "sl_nyc"]
    );
    assert!(location_ids(store, Mode::Live, &[Number(101)])
        .await
        .is_empty());
}

async fn a_client_is_found_with_only_its_own_environments_scope_records(store: Arc<dyn Clients>) {
    let found = store
        .find_client_with_scope(
            STOREFRONT,
            &[Code("eu".into()), Number(2001)],
            &[Code("ams".into()), Number(201)],
        )
        .await
        .unwrap()
        .expect("the storefront");
    assert_eq!(found.application.client_id, STOREFRONT);
    assert_eq!(ids(&found.markets, |m| &m.id), ["mkt_eu"]);
    assert_eq!(ids(&found.stock_locations, |l| &l.id), ["sl_ams"]);
    let live = store
        .find_client_with_scope(LIVE_STOREFRONT, &[Code("eu".into())], &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&live.markets, |m| &m.id), ["mkt_live_eu"]);
    assert!(store
        .find_client_with_scope("nobody", &[Number(1001)], &[])
        .await
        .unwrap()
        .is_none());
    let bare = store
        .find_client_with_scope(INTEGRATION, &[], &[])
        .await
        .unwrap()
        .unwrap();
    assert!(bare.markets.is_empty() && bare.stock_locations.is_empty());
}

conformance!(
    applications_are_found_by_client_id_with_their_secret_hashed,
    markets_are_found_by_number_code_and_id_within_their_environment,
    stock_locations_are_found_by_number_code_and_id_within_their_environment,
    a_client_is_found_with_only_its_own_environments_scope_records,
);
