//! One conformance suite, run against every store: the embedded one and DynamoDB (moto's
//! server, a fresh table per test).

use std::sync::Arc;

use gatehouse_shared::model::{ApplicationKind, Mode, OwnerType, RefreshTokenRecord};
use gatehouse_shared::ratelimit::RateLimitPolicy;
use gatehouse_shared::scope::ResourceRef::{self, Code, Id, Number};
use gatehouse_shared::secret::SecretHash;
use gatehouse_shared::store::memory::MemoryStore;
use gatehouse_shared::store::Rotation;
use gatehouse_shared::store::Store;
use gatehouse_tests::*;

/// The suite's "now": the real time of the test run (see `test_start_millis`), never a date
/// written into the test.
fn t0() -> u64 {
    test_start_millis()
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    let mut ids: Vec<String> = records.iter().map(|r| id(r).to_owned()).collect();
    ids.sort();
    ids
}

async fn market_ids(store: &dyn Store, mode: Mode, refs: &[ResourceRef]) -> Vec<String> {
    ids(&store.find_markets(mode, refs).await.unwrap(), |m| &m.id)
}

async fn location_ids(store: &dyn Store, mode: Mode, refs: &[ResourceRef]) -> Vec<String> {
    ids(
        &store.find_stock_locations(mode, refs).await.unwrap(),
        |l| &l.id,
    )
}

async fn applications_are_found_by_client_id_with_their_secret_hashed(store: Arc<dyn Store>) {
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

async fn markets_are_found_by_number_code_and_id_within_their_environment(store: Arc<dyn Store>) {
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
    store: Arc<dyn Store>,
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

async fn a_client_is_found_with_only_its_own_environments_scope_records(store: Arc<dyn Store>) {
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

async fn the_rate_limit_admits_exactly_the_limit_per_sliding_window(store: Arc<dyn Store>) {
    let policy = RateLimitPolicy::new(3, 60).unwrap();
    let hit = |at: u64| store.hit_rate_limit("192.0.2.1", &policy, at);
    let first = hit(t0()).await.unwrap();
    assert!(first.allowed);
    assert_eq!(
        (first.limit, first.remaining, first.reset_seconds),
        (3, 2, 60)
    );
    assert!(hit(t0() + 10_000).await.unwrap().allowed);
    assert_eq!(hit(t0() + 20_000).await.unwrap().remaining, 0);
    let refused = hit(t0() + 30_000).await.unwrap();
    assert!(!refused.allowed);
    assert_eq!((refused.remaining, refused.reset_seconds), (0, 30));
    // Refused requests are not counted: the first place frees at t0 + 60 s exactly.
    assert!(!hit(t0() + 59_999).await.unwrap().allowed);
    let admitted = hit(t0() + 60_000).await.unwrap();
    assert!(admitted.allowed);
    assert_eq!(admitted.remaining, 0);
    assert!(!hit(t0() + 60_001).await.unwrap().allowed);
    assert!(hit(t0() + 70_000).await.unwrap().allowed);
}

async fn the_rate_limit_holds_under_concurrent_requests(store: Arc<dyn Store>) {
    let policy = RateLimitPolicy::new(10, 60).unwrap();
    let outcomes = race(25, |i| {
        let store = Arc::clone(&store);
        async move {
            store
                .hit_rate_limit("192.0.2.9", &policy, t0() + i as u64)
                .await
        }
    })
    .await;
    let allowed = outcomes
        .iter()
        .filter(|o| o.as_ref().unwrap().allowed)
        .count();
    assert_eq!(allowed, 10);
}

async fn rate_limit_windows_are_per_key_and_per_policy(store: Arc<dyn Store>) {
    let one = RateLimitPolicy::new(1, 60).unwrap();
    let two = RateLimitPolicy::new(2, 60).unwrap();
    assert!(
        store
            .hit_rate_limit("192.0.2.1", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        !store
            .hit_rate_limit("192.0.2.1", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        store
            .hit_rate_limit("192.0.2.2", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        store
            .hit_rate_limit("2001:db8::1", &one, t0())
            .await
            .unwrap()
            .allowed
    );
    assert!(
        store
            .hit_rate_limit("192.0.2.1", &two, t0())
            .await
            .unwrap()
            .allowed
    );
}

async fn an_expired_window_that_ttl_has_not_deleted_counts_for_nothing(store: Arc<dyn Store>) {
    let policy = RateLimitPolicy::new(2, 60).unwrap();
    for _ in 0..3 {
        store
            .hit_rate_limit("192.0.2.5", &policy, t0())
            .await
            .unwrap();
    }
    let a_day_later = store
        .hit_rate_limit("192.0.2.5", &policy, t0() + 86_400_000)
        .await
        .unwrap();
    assert!(a_day_later.allowed);
    assert_eq!(a_day_later.remaining, 1);
}

async fn customers_are_found_by_email_case_insensitively_and_by_id_within_their_environment(
    store: Arc<dyn Store>,
) {
    let alice = store
        .find_customer_by_email(Mode::Test, "ALICE@Example.com")
        .await
        .unwrap()
        .expect("alice");
    assert_eq!(
        (alice.id.as_str(), alice.customer_group_id.as_deref()),
        ("cus_alice", Some("cg_vip"))
    );
    assert!(alice.password_hash.verify("alice-demo-password"));
    assert!(!alice.password_hash.verify("bob-demo-password"));
    assert_eq!(
        store
            .find_customer(Mode::Test, "cus_bob")
            .await
            .unwrap()
            .unwrap()
            .email,
        "bob@example.com"
    );
    assert!(store
        .find_customer_by_email(Mode::Live, "alice@example.com")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_customer(Mode::Live, "cus_alice")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_customer_by_email(Mode::Test, "carol@example.com")
        .await
        .unwrap()
        .is_none());
    let group = store
        .find_customer_group(Mode::Test, "cg_vip")
        .await
        .unwrap()
        .expect("group");
    assert_eq!(group.name, "VIP club");
    assert!(store
        .find_customer_group(Mode::Live, "cg_vip")
        .await
        .unwrap()
        .is_none());
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

async fn clearing_a_window_forgets_its_events(store: Arc<dyn Store>) {
    let policy = RateLimitPolicy::new(2, 900).unwrap();
    let key = "login:test:alice@example.com";
    for _ in 0..2 {
        assert!(
            store
                .hit_rate_limit(key, &policy, t0())
                .await
                .unwrap()
                .allowed
        );
    }
    assert!(
        !store
            .hit_rate_limit(key, &policy, t0())
            .await
            .unwrap()
            .allowed
    );
    store.clear_rate_limit(key, &policy).await.unwrap();
    assert_eq!(
        store
            .hit_rate_limit(key, &policy, t0())
            .await
            .unwrap()
            .remaining,
        1
    );
    store
        .clear_rate_limit("login:test:never-seen", &policy)
        .await
        .unwrap();
}

fn refresh_record(value: &str, family: &str, issued_at: u64) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: SecretHash::of(value),
        family_id: family.to_owned(),
        application_id: "app_storefront".into(),
        client_id: STOREFRONT.into(),
        mode: Mode::Test,
        owner_id: "cus_alice".into(),
        owner_type: OwnerType::Customer,
        market_id: Some("mkt_vip".into()),
        stock_location_ids: vec!["sl_ams".into()],
        issued_at_millis: issued_at,
        expires_at_millis: issued_at + 14 * 86_400_000,
        consumed_at_millis: None,
    }
}

async fn refresh_tokens_are_stored_by_hash_with_their_binding(store: Arc<dyn Store>) {
    let record = refresh_record("first", "family-1", t0());
    store.create_refresh_token(&record).await.unwrap();
    let state = store
        .find_refresh_token(&SecretHash::of("first"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(state.record, record);
    assert!(!state.family_revoked);
    assert!(store
        .find_refresh_token(&SecretHash::of("other"))
        .await
        .unwrap()
        .is_none());
}

async fn rotation_consumes_the_presented_token_once_and_stores_its_successor(
    store: Arc<dyn Store>,
) {
    store
        .create_refresh_token(&refresh_record("first", "family-1", t0()))
        .await
        .unwrap();
    let second = refresh_record("second", "family-1", t0() + 1_000);
    assert_eq!(
        store
            .rotate_refresh_token(&SecretHash::of("first"), &second, t0() + 1_000)
            .await
            .unwrap(),
        Rotation::Rotated
    );
    let first = store
        .find_refresh_token(&SecretHash::of("first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.record.consumed_at_millis, Some(t0() + 1_000));
    assert_eq!(
        store
            .find_refresh_token(&SecretHash::of("second"))
            .await
            .unwrap()
            .unwrap()
            .record,
        second
    );
    let third = refresh_record("third", "family-1", t0() + 2_000);
    match store
        .rotate_refresh_token(&SecretHash::of("first"), &third, t0() + 2_000)
        .await
        .unwrap()
    {
        Rotation::NotActive(Some(state)) => {
            assert_eq!(state.record.consumed_at_millis, Some(t0() + 1_000))
        }
        other => panic!("a consumed token rotated again: {other:?}"),
    }
    assert!(
        store
            .find_refresh_token(&SecretHash::of("third"))
            .await
            .unwrap()
            .is_none(),
        "no successor stored"
    );
    assert!(matches!(
        store
            .rotate_refresh_token(&SecretHash::of("unknown"), &third, t0())
            .await
            .unwrap(),
        Rotation::NotActive(None)
    ));
}

async fn expired_tokens_and_revoked_families_do_not_rotate(store: Arc<dyn Store>) {
    let record = refresh_record("old", "family-old", t0());
    store.create_refresh_token(&record).await.unwrap();
    let late = refresh_record("late", "family-old", record.expires_at_millis);
    assert!(matches!(
        store
            .rotate_refresh_token(&SecretHash::of("old"), &late, record.expires_at_millis)
            .await
            .unwrap(),
        Rotation::NotActive(Some(_))
    ));
    store
        .create_refresh_token(&refresh_record("a", "family-2", t0()))
        .await
        .unwrap();
    let b = refresh_record("b", "family-2", t0() + 1);
    assert_eq!(
        store
            .rotate_refresh_token(&SecretHash::of("a"), &b, t0() + 1)
            .await
            .unwrap(),
        Rotation::Rotated
    );
    store.revoke_refresh_family("family-2").await.unwrap();
    for value in ["a", "b"] {
        assert!(
            store
                .find_refresh_token(&SecretHash::of(value))
                .await
                .unwrap()
                .unwrap()
                .family_revoked,
            "{value}"
        );
    }
    let c = refresh_record("c", "family-2", t0() + 2);
    assert!(matches!(
        store.rotate_refresh_token(&SecretHash::of("b"), &c, t0() + 2).await.unwrap(),
        Rotation::NotActive(Some(state)) if state.family_revoked
    ));
    store.revoke_refresh_family("no-such-family").await.unwrap();
}

async fn of_ten_concurrent_rotations_of_one_token_exactly_one_wins(store: Arc<dyn Store>) {
    store
        .create_refresh_token(&refresh_record("contested", "family-c", t0()))
        .await
        .unwrap();
    let successors: Vec<RefreshTokenRecord> = (0..10)
        .map(|i| refresh_record(&format!("successor-{i}"), "family-c", t0() + 1))
        .collect();
    let outcomes = race(10, |i| {
        let (store, successor) = (Arc::clone(&store), successors[i].clone());
        async move {
            store
                .rotate_refresh_token(&SecretHash::of("contested"), &successor, t0() + 1)
                .await
        }
    })
    .await;
    let winners = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Rotation::Rotated)))
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    let mut stored = 0;
    for i in 0..10 {
        stored += store
            .find_refresh_token(&SecretHash::of(&format!("successor-{i}")))
            .await
            .unwrap()
            .is_some() as usize;
    }
    assert_eq!(stored, 1, "exactly one successor exists");
}

async fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::from_catalog(&demo_catalog()))
}

async fn dynamodb() -> Arc<dyn Store> {
    Arc::new(demo_dynamo_store().await)
}

macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(super::memory().await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs a DynamoDB API: scripts/test starts moto and runs it"]
                async fn $check() {
                    super::$check(super::dynamodb().await).await;
                }
            )*
        }
    };
}

conformance!(
    applications_are_found_by_client_id_with_their_secret_hashed,
    markets_are_found_by_number_code_and_id_within_their_environment,
    stock_locations_are_found_by_number_code_and_id_within_their_environment,
    a_client_is_found_with_only_its_own_environments_scope_records,
    importing_again_replaces_records_and_forgets_their_old_names,
    the_rate_limit_admits_exactly_the_limit_per_sliding_window,
    the_rate_limit_holds_under_concurrent_requests,
    rate_limit_windows_are_per_key_and_per_policy,
    an_expired_window_that_ttl_has_not_deleted_counts_for_nothing,
    customers_are_found_by_email_case_insensitively_and_by_id_within_their_environment,
    importing_a_customer_again_replaces_their_email_and_group,
    a_changed_client_id_retires_the_old_one,
    records_that_swap_numbers_codes_or_emails_keep_every_name,
    a_record_moved_to_the_other_environment_leaves_the_first,
    clearing_a_window_forgets_its_events,
    refresh_tokens_are_stored_by_hash_with_their_binding,
    rotation_consumes_the_presented_token_once_and_stores_its_successor,
    expired_tokens_and_revoked_families_do_not_rotate,
    of_ten_concurrent_rotations_of_one_token_exactly_one_wins,
);
