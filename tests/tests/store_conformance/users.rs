//! Users ([`gatehouse_store::Users`]), on both stores.

use super::*;

async fn users_are_found_by_email_case_insensitively_and_by_id_within_their_environment(
    store: Arc<dyn Users>,
) {
    let admin = store
        .find_user_by_email(Mode::Test, "  Admin@Example.COM ")
        .await
        .unwrap()
        .expect("the demo admin");
    assert_eq!(admin.id, "usr_admin");
    assert!(admin.password_hash.verify("admin-demo-password"));
    assert!(!admin.password_hash.verify("admin-demo-passwort"));
    assert_eq!(
        store
            .find_user(Mode::Test, "usr_admin")
            .await
            .unwrap()
            .map(|u| u.email),
        Some("admin@example.com".to_owned())
    );
    assert!(store
        .find_user_by_email(Mode::Live, "admin@example.com")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_user(Mode::Live, "usr_admin")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_user_by_email(Mode::Test, "alice@example.com")
        .await
        .unwrap()
        .is_none());
}

conformance!(users_are_found_by_email_case_insensitively_and_by_id_within_their_environment,);
