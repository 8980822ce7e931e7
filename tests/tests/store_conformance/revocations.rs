//! Revocations ([`gatehouse_store::Revocations`]): access tokens by `jti`, epochs that only move
//! forward, and a token's login read beside them, on both stores. Each answer is what was
//! written, read back.

use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::revocation::{EpochSubject, Epochs, RevocationState, TokenSubjects};

use super::refresh_tokens::refresh_record;
use super::*;

fn application(id: &str) -> EpochSubject {
    EpochSubject::Application { id: id.into() }
}

fn customer(mode: Mode, id: &str) -> EpochSubject {
    EpochSubject::Owner {
        mode,
        owner_type: "Customer".into(),
        id: id.into(),
    }
}

fn market(mode: Mode, id: &str) -> EpochSubject {
    EpochSubject::Market {
        mode,
        id: id.into(),
    }
}

/// A customer's token of `family` in market `mkt_eu`, issued by `app_storefront`.
fn subjects(jti: &str, family: Option<&str>) -> TokenSubjects {
    TokenSubjects {
        jti: jti.into(),
        family: family.map(str::to_owned),
        application: application("app_storefront"),
        owner: Some(customer(Mode::Test, "cus_alice")),
        market: Some(market(Mode::Test, "mkt_eu")),
    }
}

fn until() -> UnixSeconds {
    UnixSeconds(t0().floor_seconds().0 + 7200)
}

async fn an_access_token_is_revoked_by_its_jti_alone(store: Arc<dyn Store>) {
    let nothing = store.revocation_state(&subjects("j1", None)).await.unwrap();
    assert_eq!(nothing, RevocationState::default());
    store.revoke_access_token("j1", until()).await.unwrap();
    // Sent again, as a retry after a lost answer would: the same state.
    store.revoke_access_token("j1", until()).await.unwrap();
    let revoked = store.revocation_state(&subjects("j1", None)).await.unwrap();
    assert_eq!(
        revoked,
        RevocationState {
            token: true,
            ..RevocationState::default()
        }
    );
    let other = store.revocation_state(&subjects("j2", None)).await.unwrap();
    assert!(!other.token);
}

async fn an_epoch_only_moves_forward_and_names_one_subject(store: Arc<dyn Store>) {
    let epoch = |s: u64| UnixSeconds(t0().floor_seconds().0 + s);
    let writes = [
        (application("app_storefront"), epoch(20)),
        // An earlier one after a later one: the later stays.
        (application("app_storefront"), epoch(10)),
        (customer(Mode::Test, "cus_alice"), epoch(5)),
        (customer(Mode::Test, "cus_alice"), epoch(30)),
        (market(Mode::Test, "mkt_eu"), epoch(7)),
        // Other subjects: another application, the same ids in the other environment.
        (application("app_integration"), epoch(99)),
        (customer(Mode::Live, "cus_alice"), epoch(99)),
        (market(Mode::Live, "mkt_eu"), epoch(99)),
    ];
    for (subject, at) in &writes {
        store.write_epoch(subject, *at).await.unwrap();
    }
    // The latest write of each of the token's own subjects, computed from the writes above.
    let latest = |subject: &EpochSubject| {
        writes
            .iter()
            .filter(|(s, _)| s == subject)
            .map(|(_, at)| *at)
            .max()
    };
    let token = subjects("j1", None);
    let state = store.revocation_state(&token).await.unwrap();
    assert_eq!(
        state.epochs,
        Epochs {
            application: latest(&token.application),
            owner: token.owner.as_ref().and_then(latest),
            market: token.market.as_ref().and_then(latest),
        }
    );
    assert_eq!(state.epochs.application, Some(epoch(20)));
    // A token without an owner or a market reads only its application's.
    let alone = TokenSubjects {
        owner: None,
        market: None,
        ..subjects("j2", None)
    };
    let state = store.revocation_state(&alone).await.unwrap();
    assert_eq!(
        state.epochs,
        Epochs {
            application: Some(epoch(20)),
            ..Epochs::default()
        }
    );
}

async fn a_tokens_login_is_read_beside_its_revocations(store: Arc<dyn Store>) {
    store
        .create_refresh_token(&refresh_record("r1", "family-r", t0()))
        .await
        .unwrap();
    let token = subjects("j1", Some("family-r"));
    assert!(!store.revocation_state(&token).await.unwrap().family);
    store.revoke_refresh_family("family-r").await.unwrap();
    // Twice, as a retry would: still revoked.
    store.revoke_refresh_family("family-r").await.unwrap();
    assert!(store.revocation_state(&token).await.unwrap().family);
    // A login storage never had (or has forgotten) ends nothing.
    let unknown = subjects("j1", Some("family-unknown"));
    assert!(!store.revocation_state(&unknown).await.unwrap().family);
}

async fn a_rotation_is_refused_once_an_epoch_ends_its_login(store: Arc<dyn Store>) {
    let second = |s: u64| UnixSeconds(t0().floor_seconds().0 + s);
    // The login began at t0; its token was issued a minute later.
    let mut record = refresh_record("presented", "family-e", at(60_000));
    record.authenticated_at = t0();
    store.create_refresh_token(&record).await.unwrap();
    let successor = |value: &str| RefreshTokenRecord {
        token_hash: SecretHash::of(value),
        issued_at: at(120_000),
        ..record.clone()
    };
    // An epoch of the login's own second or before it ends nothing.
    let owner = customer(Mode::Test, "cus_alice");
    store.write_epoch(&owner, second(0)).await.unwrap();
    let rotated = store
        .rotate_refresh_token(
            &SecretHash::of("presented"),
            &successor("next"),
            at(120_000),
        )
        .await
        .unwrap();
    assert_eq!(rotated, Rotation::Rotated);
    // One after it, of any of the login's three subjects, ends it. Each case is a login of
    // its own, begun after the epochs of the cases before it (which therefore spare it).
    let subjects = [
        owner,
        application("app_storefront"),
        market(Mode::Test, "mkt_vip"),
    ];
    for (i, subject) in subjects.iter().enumerate() {
        let begun = 10_000 * (i as u64 + 1);
        let mut login = refresh_record(&format!("login-{i}"), &format!("family-{i}"), at(begun));
        login.authenticated_at = at(begun);
        store.create_refresh_token(&login).await.unwrap();
        store
            .write_epoch(subject, UnixSeconds(at(begun).floor_seconds().0 + 1))
            .await
            .unwrap();
        let next = RefreshTokenRecord {
            token_hash: SecretHash::of(&format!("next-{i}")),
            issued_at: at(begun + 5_000),
            ..login.clone()
        };
        let refused = store
            .rotate_refresh_token(&login.token_hash, &next, at(begun + 5_000))
            .await
            .unwrap();
        assert_eq!(refused, Rotation::LoginEnded, "{subject:?}");
        let stored = store.find_refresh_token(&next.token_hash).await.unwrap();
        assert!(stored.is_none(), "no successor is stored");
    }
}

conformance!(
    a_rotation_is_refused_once_an_epoch_ends_its_login,
    an_access_token_is_revoked_by_its_jti_alone,
    an_epoch_only_moves_forward_and_names_one_subject,
    a_tokens_login_is_read_beside_its_revocations,
);
