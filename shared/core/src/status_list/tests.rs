use super::*;
use crate::jwt::{ApplicationClaim, OwnerClaim};
use crate::model::{ApplicationKind, Organization};

const ISSUER: &str = "https://auth.example";

fn token(iat: u64, idx: u64) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: ISSUER.into(),
        iat,
        exp: iat + 7200,
        jti: "j".into(),
        scope: "market:all".into(),
        test: true,
        organization: Organization {
            id: "org".into(),
            slug: "acme".into(),
        },
        application: ApplicationClaim {
            id: "app".into(),
            client_id: "c".into(),
            kind: ApplicationKind::SalesChannel,
            public: true,
            confidential: false,
        },
        market: None,
        owner: Some(OwnerClaim {
            id: "cus".into(),
            owner_type: "Customer".into(),
        }),
        sid: Some("fam".into()),
        auth_time: Some(iat),
        custom_claim: None,
        status: Some(StatusClaim {
            status_list: StatusListRef {
                idx,
                uri: list_uri(ISSUER, window_of(iat)),
            },
        }),
    }
}

#[test]
fn bits_are_laid_out_as_the_drafts_example() {
    // draft-ietf-oauth-status-list §4.1: statuses 1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1 are
    // the bytes 0xB9 0xA3.
    let statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    let revoked = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == 1)
        .map(|(i, _)| i as u64);
    assert_eq!(bits(16, revoked), vec![0xB9, 0xA3]);
    // A partial last byte, and an index past the size ignored.
    assert_eq!(bits(9, [8, 9, 100]), vec![0, 1]);
    assert_eq!(bits(0, [0]), Vec::<u8>::new());
}

#[test]
fn a_token_is_revoked_by_its_bit_or_a_published_epoch() {
    let iat = 1_800_000_000;
    let uri = list_uri(ISSUER, window_of(iat));
    let now = UnixSeconds(iat + 10);
    let epoch = |subject: &str, before: u64| PublishedEpoch {
        subject: subject.into(),
        before,
    };
    // (index, revoked indexes, epochs, revoked?)
    let cases = [
        (5, vec![], vec![], false),
        (5, vec![5], vec![], true),
        (5, vec![4, 6], vec![], false),
        (5, vec![], vec![epoch("application#app", iat + 1)], true),
        (5, vec![], vec![epoch("application#app", iat)], false),
        (
            5,
            vec![],
            vec![epoch("owner#test#Customer#cus", iat + 1)],
            true,
        ),
        (
            5,
            vec![],
            vec![epoch("owner#test#Customer#other", iat + 1)],
            false,
        ),
        (
            5,
            vec![],
            vec![epoch("owner#live#Customer#cus", iat + 1)],
            false,
        ),
    ];
    for (index, revoked, epochs, expected) in cases {
        let list = list_claims(uri.clone(), now, 64, revoked.clone(), epochs.clone());
        assert_eq!(
            revoked_in(&token(iat, index), &list, now),
            Ok(expected),
            "{index} {revoked:?} {epochs:?}"
        );
    }
}

#[test]
fn a_list_that_cannot_answer_for_the_token_says_why() {
    let iat = 1_800_000_000;
    let uri = list_uri(ISSUER, window_of(iat));
    let now = UnixSeconds(iat);
    let list = list_claims(uri.clone(), now, 8, [], vec![]);
    assert_eq!(
        revoked_in(&token(iat, 8), &list, now),
        Err(StatusError::OutOfRange)
    );
    let other = list_claims(list_uri(ISSUER, window_of(iat) + 1), now, 8, [], vec![]);
    assert_eq!(
        revoked_in(&token(iat, 1), &other, now),
        Err(StatusError::OtherList)
    );
    let later = UnixSeconds(list.exp);
    assert_eq!(
        revoked_in(&token(iat, 1), &list, later),
        Err(StatusError::Expired)
    );
    let mut bad = list.clone();
    bad.status_list.lst = "not zlib".into();
    assert_eq!(
        revoked_in(&token(iat, 1), &bad, now),
        Err(StatusError::Malformed)
    );
    let mut none = token(iat, 1);
    none.status = None;
    assert_eq!(revoked_in(&none, &list, now), Err(StatusError::NoStatus));
}

#[test]
fn a_list_path_names_one_window_in_digits_only() {
    let cases = [
        ("/oauth/status_lists/500000", Some(500_000)),
        ("/oauth/status_lists/0", Some(0)),
        ("/oauth/status_lists/+1", None),
        ("/oauth/status_lists/", None),
        ("/oauth/status_lists/1/2", None),
        ("/oauth/status_lists/99999999999999999999999", None),
        ("/oauth/token", None),
    ];
    for (path, expected) in cases {
        assert_eq!(window_of_path(path), expected, "{path}");
    }
}

#[test]
fn a_million_tokens_with_few_revoked_compress_to_under_a_kilobyte() {
    let list = list_claims(
        "u".into(),
        UnixSeconds(0),
        1_000_000,
        (0..100).map(|i| i * 9_973),
        vec![],
    );
    assert!(
        list.status_list.lst.len() < 1024,
        "{}",
        list.status_list.lst.len()
    );
}
