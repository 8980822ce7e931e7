//! Revocation's pure rules (issue 24, in progress): which access tokens a revocation ends.
//!
//! A revocation is one of two things. One token, by its `jti`. Or an *epoch*, a scope of damage
//! ended at once: every token of an application (a leaked secret), of an owner (a password
//! change, "log out everywhere") or scoped to a market (the market disabled), issued up to the
//! instant of the revocation. An epoch is the second after that instant: `iat` is in whole
//! seconds, so a token issued in the revocation's own second may have been issued before it
//! and is ended too (a client asks again; never the reverse, a token from before the
//! revocation that survives it).

use crate::clock::{UnixMillis, UnixSeconds};
use crate::jwt::AccessTokenClaims;

/// The epoch a revocation at `now` writes: the first second none of whose tokens it ends.
pub fn epoch_at(now: UnixMillis) -> UnixSeconds {
    UnixSeconds(now.0 / 1000 + 1)
}

/// The epochs that apply to one token, as storage found them: its application's, its owner's
/// and its market's, each `None` when none was written (or it has expired).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Epochs {
    pub application: Option<UnixSeconds>,
    pub owner: Option<UnixSeconds>,
    pub market: Option<UnixSeconds>,
}

/// Why a token is no longer valid, when it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Revoked by its `jti`.
    Token,
    /// Issued before its application's epoch.
    Application,
    /// Issued before its owner's epoch.
    Owner,
    /// Issued before its market's epoch.
    Market,
}

/// Whether `claims` is ended, given whether its `jti` was revoked and the epochs that apply to
/// it. The first reason found is given, in the order above.
pub fn ended(claims: &AccessTokenClaims, jti_revoked: bool, epochs: &Epochs) -> Option<Ended> {
    let before = |epoch: Option<UnixSeconds>| epoch.is_some_and(|e| claims.iat < e.0);
    match (
        jti_revoked,
        before(epochs.application),
        before(epochs.owner),
        before(epochs.market),
    ) {
        (true, _, _, _) => Some(Ended::Token),
        (false, true, _, _) => Some(Ended::Application),
        (false, false, true, _) => Some(Ended::Owner),
        (false, false, false, true) => Some(Ended::Market),
        (false, false, false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::ApplicationClaim;
    use crate::model::{ApplicationKind, Organization};

    fn issued_at(iat: u64) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://auth.example".into(),
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
                kind: ApplicationKind::Integration,
                public: false,
                confidential: true,
            },
            market: None,
            owner: None,
        }
    }

    #[test]
    fn an_epoch_is_the_second_after_the_revocation() {
        let cases = [(1_000, 2), (1_999, 2), (2_000, 3), (0, 1)];
        for (millis, seconds) in cases {
            assert_eq!(
                epoch_at(UnixMillis(millis)),
                UnixSeconds(seconds),
                "{millis}"
            );
        }
    }

    #[test]
    fn a_token_is_ended_by_its_jti_or_by_an_epoch_after_it_was_issued() {
        let at = |s| Some(UnixSeconds(s));
        let epochs = |application, owner, market| Epochs {
            application,
            owner,
            market,
        };
        let cases = [
            (100, false, Epochs::default(), None),
            (100, true, Epochs::default(), Some(Ended::Token)),
            (100, true, epochs(at(200), None, None), Some(Ended::Token)),
            (
                100,
                false,
                epochs(at(101), None, None),
                Some(Ended::Application),
            ),
            // Issued in the epoch's second or after it: alive.
            (101, false, epochs(at(101), None, None), None),
            (150, false, epochs(at(101), at(120), at(140)), None),
            (100, false, epochs(None, at(101), None), Some(Ended::Owner)),
            (100, false, epochs(None, None, at(101)), Some(Ended::Market)),
            (
                100,
                false,
                epochs(at(50), at(101), at(101)),
                Some(Ended::Owner),
            ),
        ];
        for (iat, jti_revoked, epochs, expected) in cases {
            assert_eq!(
                ended(&issued_at(iat), jti_revoked, &epochs),
                expected,
                "{iat} {jti_revoked} {epochs:?}"
            );
        }
    }

    #[test]
    fn a_revocation_ends_every_token_issued_up_to_its_own_instant() {
        // Issued at 1,999 ms (second 1), revoked at 1,500 ms: the token may be the later one,
        // and is ended anyway; one issued at 2,000 ms (second 2) is alive.
        let epoch = epoch_at(UnixMillis(1_500));
        let epochs = Epochs {
            application: Some(epoch),
            ..Epochs::default()
        };
        assert_eq!(
            ended(&issued_at(UnixMillis(1_999).0 / 1000), false, &epochs),
            Some(Ended::Application)
        );
        assert_eq!(ended(&issued_at(2), false, &epochs), None);
    }
}
