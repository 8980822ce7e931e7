//! Customers and their groups ([`gatehouse_store::Customers`]), on both stores.

use super::*;

async fn customers_are_found_by_email_case_insensitively_and_by_id_within_their_environment(
    store: Arc<dyn Customers>,
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

conformance!(customers_are_found_by_email_case_insensitively_and_by_id_within_their_environment,);
