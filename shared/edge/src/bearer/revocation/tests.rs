//! The revocation check's bound: how late a revocation can be seen, and how much it keeps.

use gatehouse_core::clock::{ManualClock, UnixSeconds};
use gatehouse_core::jwt::ApplicationClaim;
use gatehouse_core::model::{ApplicationKind, Organization};
use gatehouse_core::revocation::{epoch_at, EpochSubject};
use gatehouse_store::memory::MemoryStore;

use super::*;

/// The tests' present, in seconds.
const NOW: u64 = 1_700_000_000;

fn claims(jti: &str) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: "https://auth.example".into(),
        iat: NOW,
        exp: NOW + 7200,
        jti: jti.into(),
        scope: "market:all".into(),
        test: true,
        organization: Organization {
            id: "org".into(),
            slug: "acme".into(),
        },
        application: ApplicationClaim {
            id: "app".into(),
            client_id: "client".into(),
            kind: ApplicationKind::Integration,
            public: false,
            confidential: true,
        },
        market: None,
        owner: None,
        sid: None,
        auth_time: None,
        custom_claim: None,
        status: None,
    }
}

fn store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::default())
}

fn clock() -> ManualClock {
    ManualClock::at(UnixMillis(NOW * 1000))
}

async fn revoke(store: &MemoryStore, claims: &AccessTokenClaims) {
    store
        .revoke_access_token(&claims.jti, UnixSeconds(claims.exp))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_revocation_is_seen_within_the_staleness_and_no_later() {
    let (store, clock, token) = (store(), clock(), claims("j1"));
    let check = RevocationCheck::new(store.clone(), REVOCATION_STALENESS, 100);
    assert_eq!(check.ended(&token, &clock).await.unwrap(), None);
    revoke(&store, &token).await;
    // Still the answer read a moment ago, up to the bound...
    clock.advance(REVOCATION_STALENESS - Duration::from_millis(1));
    assert_eq!(check.ended(&token, &clock).await.unwrap(), None);
    // ...and never past it.
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        check.ended(&token, &clock).await.unwrap(),
        Some(Ended::Token)
    );
}

#[tokio::test]
async fn without_staleness_every_check_reads() {
    let (store, clock, token) = (store(), clock(), claims("j1"));
    let check = RevocationCheck::new(store.clone(), Duration::ZERO, 100);
    assert_eq!(check.ended(&token, &clock).await.unwrap(), None);
    revoke(&store, &token).await;
    assert_eq!(
        check.ended(&token, &clock).await.unwrap(),
        Some(Ended::Token)
    );
    // Nothing alive is kept: only the final answer.
    assert_eq!(check.seen().len(), 1);
}

#[tokio::test]
async fn an_ended_token_stays_ended_until_it_expires() {
    let (store, clock, token) = (store(), clock(), claims("j1"));
    let check = RevocationCheck::new(store.clone(), REVOCATION_STALENESS, 100);
    let subject = EpochSubject::Application { id: "app".into() };
    store
        .write_epoch(&subject, epoch_at(clock.now()))
        .await
        .unwrap();
    assert_eq!(
        check.ended(&token, &clock).await.unwrap(),
        Some(Ended::Application)
    );
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        check.ended(&token, &clock).await.unwrap(),
        Some(Ended::Application)
    );
    // A token issued after the epoch is not touched by it.
    let mut later = claims("j2");
    later.iat = NOW + 3600;
    assert_eq!(check.ended(&later, &clock).await.unwrap(), None);
}

#[tokio::test]
async fn the_answers_kept_stay_within_the_capacity_and_memory_is_given_back() {
    let (store, clock) = (store(), clock());
    let check = RevocationCheck::new(store.clone(), REVOCATION_STALENESS, 1000);
    for i in 0..1000 {
        check
            .ended(&claims(&format!("j{i}")), &clock)
            .await
            .unwrap();
    }
    assert_eq!(check.seen().len(), 1000);
    let room = check.seen().capacity();
    // The burst is over: the next answer finds every kept one stale and gives the room back.
    clock.advance(REVOCATION_STALENESS);
    for i in 1000..1010 {
        check
            .ended(&claims(&format!("j{i}")), &clock)
            .await
            .unwrap();
    }
    let kept = check.seen().len();
    let room_after = check.seen().capacity();
    assert!(kept <= 10, "{kept}");
    assert!(room_after < room / 4, "{room_after} of {room}");
    // Full of answers that still hold: never more than the capacity.
    for i in 2000..4000 {
        check
            .ended(&claims(&format!("j{i}")), &clock)
            .await
            .unwrap();
        assert!(check.seen().len() <= 1000);
    }
}
