//! Revocation's pure rules (docs/api.md, "Revocation"): which access tokens a revocation ends.
//!
//! A revocation is one of three things. One token, by its `jti`. A login, by its refresh-token
//! family (the token's `sid`): revoking a customer's access token revokes the login it came
//! from, and revoking a refresh token ends the access tokens issued from its login. Or an
//! *epoch*, a scope of damage ended at once: every token of an application (a leaked secret),
//! of an owner (a password change, "log out everywhere") or scoped to a market (the market
//! disabled), issued up to the instant of the revocation. An epoch is the second after that
//! instant: `iat` is in whole seconds, so a token issued in the revocation's own second may
//! have been issued before it and is ended too (a client asks again; never the reverse, a
//! token from before the revocation that survives it).

use crate::clock::{UnixMillis, UnixSeconds};
use crate::jwt::AccessTokenClaims;
use crate::lifetime::MAX_CUSTOM_LIFETIME;
use crate::model::{Mode, RefreshTokenRecord};

/// The epoch a revocation at `now` writes: the first second none of whose tokens it ends.
pub fn epoch_at(now: UnixMillis) -> UnixSeconds {
    UnixSeconds(now.0 / 1000 + 1)
}

/// How long an epoch is kept: until the last token it can end has expired, however long its
/// application's tokens live, and the verifiers' leeway past that.
pub fn epoch_kept_until(epoch: UnixSeconds) -> UnixSeconds {
    UnixSeconds(epoch.0 + u64::from(MAX_CUSTOM_LIFETIME) + KEPT_PAST_EXPIRY)
}

/// A revocation is kept this long (seconds) past the expiry of the tokens it ends, longer
/// than any verifier's leeway on `exp`.
pub const KEPT_PAST_EXPIRY: u64 = 3600;

/// What an epoch applies to: every token of one application, of one owner or scoped to one
/// market. Owners and markets are named within their environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EpochSubject {
    Application {
        id: String,
    },
    /// `owner_type` as the token's `owner.type` says it (`Customer`, `User`).
    Owner {
        mode: Mode,
        owner_type: String,
        id: String,
    },
    Market {
        mode: Mode,
        id: String,
    },
}

impl EpochSubject {
    /// The subject as storage keys it: the kind, then what names it within the kind.
    pub fn key(&self) -> String {
        match self {
            EpochSubject::Application { id } => format!("application#{id}"),
            EpochSubject::Owner {
                mode,
                owner_type,
                id,
            } => {
                format!("owner#{}#{owner_type}#{id}", mode.as_str())
            }
            EpochSubject::Market { mode, id } => format!("market#{}#{id}", mode.as_str()),
        }
    }

    /// The subject of a [`EpochSubject::key`]; an id may hold `#`, which only ends a key.
    pub fn parse(key: &str) -> Option<Self> {
        let mode = |name: &str| Mode::ALL.into_iter().find(|m| m.as_str() == name);
        let mut parts = key.splitn(2, '#');
        let (kind, rest) = (parts.next()?, parts.next()?);
        let subject = match kind {
            "application" => EpochSubject::Application { id: rest.into() },
            "owner" => {
                let mut parts = rest.splitn(3, '#');
                let (m, owner_type, id) = (parts.next()?, parts.next()?, parts.next()?);
                EpochSubject::Owner {
                    mode: mode(m)?,
                    owner_type: owner_type.into(),
                    id: id.into(),
                }
            }
            "market" => {
                let (m, id) = rest.split_once('#')?;
                EpochSubject::Market {
                    mode: mode(m)?,
                    id: id.into(),
                }
            }
            _ => return None,
        };
        Some(subject).filter(|subject| !subject.id().is_empty())
    }

    /// The id of what it names.
    pub fn id(&self) -> &str {
        match self {
            EpochSubject::Application { id }
            | EpochSubject::Owner { id, .. }
            | EpochSubject::Market { id, .. } => id,
        }
    }
}

/// What a verifier asks storage about one token: its `jti`, its login and its epochs' subjects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSubjects {
    pub jti: String,
    pub family: Option<String>,
    pub application: EpochSubject,
    pub owner: Option<EpochSubject>,
    pub market: Option<EpochSubject>,
}

impl TokenSubjects {
    pub fn of(claims: &AccessTokenClaims) -> Self {
        let mode = claims.mode();
        Self {
            jti: claims.jti.clone(),
            family: claims.sid.clone(),
            application: EpochSubject::Application {
                id: claims.application.id.clone(),
            },
            owner: claims.owner.as_ref().map(|owner| EpochSubject::Owner {
                mode,
                owner_type: owner.owner_type.clone(),
                id: owner.id.clone(),
            }),
            market: claims.market.as_ref().map(|market| EpochSubject::Market {
                mode,
                id: market.id.clone(),
            }),
        }
    }
}

/// The epochs that apply to one token, as storage found them: its application's, its owner's
/// and its market's, each `None` when none was written (or it has expired).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Epochs {
    pub application: Option<UnixSeconds>,
    pub owner: Option<UnixSeconds>,
    pub market: Option<UnixSeconds>,
}

/// What storage knows of one token's revocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RevocationState {
    /// Its `jti` was revoked.
    pub token: bool,
    /// Its login (refresh-token family) was revoked.
    pub family: bool,
    pub epochs: Epochs,
}

/// Why a token is no longer valid, when it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Revoked by its `jti`.
    Token,
    /// Its login was revoked: its refresh token, or another access token of the login.
    Family,
    /// Issued before its application's epoch.
    Application,
    /// Issued before its owner's epoch.
    Owner,
    /// Issued before its market's epoch.
    Market,
}

/// Whether `claims` is ended, given what storage knows. The first reason found is given, in
/// the order of [`Ended`]. An epoch ends a token with a login by the login's start
/// (`auth_time`): a token refreshed after an epoch from a login before it is ended too.
pub fn ended(claims: &AccessTokenClaims, state: &RevocationState) -> Option<Ended> {
    let since = claims.auth_time.unwrap_or(claims.iat).min(claims.iat);
    match (
        state.token,
        state.family,
        epoch_ending(since, &state.epochs),
    ) {
        (true, _, _) => Some(Ended::Token),
        (false, true, _) => Some(Ended::Family),
        (false, false, by_epoch) => by_epoch,
    }
}

/// The epoch among `epochs` that ends what was issued (or signed in) at second `since`, in
/// the order of [`Ended`].
pub fn epoch_ending(since: u64, epochs: &Epochs) -> Option<Ended> {
    let before = |epoch: Option<UnixSeconds>| epoch.is_some_and(|e| since < e.0);
    match (
        before(epochs.application),
        before(epochs.owner),
        before(epochs.market),
    ) {
        (true, _, _) => Some(Ended::Application),
        (false, true, _) => Some(Ended::Owner),
        (false, false, true) => Some(Ended::Market),
        (false, false, false) => None,
    }
}

/// The subjects of the epochs that end a login: its application, its owner, its market.
pub fn login_subjects(record: &RefreshTokenRecord) -> TokenSubjects {
    TokenSubjects {
        jti: String::new(),
        family: Some(record.family_id.clone()),
        application: EpochSubject::Application {
            id: record.application_id.clone(),
        },
        owner: Some(EpochSubject::Owner {
            mode: record.mode,
            owner_type: record.owner_type.claim_name().to_owned(),
            id: record.owner_id.clone(),
        }),
        market: record.market_id.as_ref().map(|id| EpochSubject::Market {
            mode: record.mode,
            id: id.clone(),
        }),
    }
}

/// The epoch that ends the login of `record`, if one does: its start is before it.
pub fn login_ended(record: &RefreshTokenRecord, epochs: &Epochs) -> Option<Ended> {
    epoch_ending(record.authenticated_at.floor_seconds().0, epochs)
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
            sid: None,
            auth_time: None,
            custom_claim: None,
            status: None,
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
        for (iat, token, epochs, expected) in cases {
            let state = RevocationState {
                token,
                family: false,
                epochs,
            };
            assert_eq!(
                ended(&issued_at(iat), &state),
                expected,
                "{iat} {token} {epochs:?}"
            );
        }
    }

    #[test]
    fn a_revocation_ends_every_token_issued_up_to_its_own_instant() {
        // Issued at 1,999 ms (second 1), revoked at 1,500 ms: the token may be the later one,
        // and is ended anyway; one issued at 2,000 ms (second 2) is alive.
        let epoch = epoch_at(UnixMillis(1_500));
        let state = RevocationState {
            epochs: Epochs {
                application: Some(epoch),
                ..Epochs::default()
            },
            ..RevocationState::default()
        };
        assert_eq!(
            ended(&issued_at(UnixMillis(1_999).0 / 1000), &state),
            Some(Ended::Application)
        );
        assert_eq!(ended(&issued_at(2), &state), None);
    }

    #[test]
    fn a_revoked_login_ends_its_tokens_whatever_their_epochs() {
        let cases = [
            (false, false, None),
            (false, true, Some(Ended::Family)),
            (true, true, Some(Ended::Token)),
        ];
        for (token, family, expected) in cases {
            let state = RevocationState {
                token,
                family,
                epochs: Epochs::default(),
            };
            assert_eq!(ended(&issued_at(100), &state), expected, "{token} {family}");
        }
    }

    #[test]
    fn a_token_names_the_subjects_of_its_epochs() {
        use crate::jwt::{MarketClaim, OwnerClaim};
        let mut claims = issued_at(100);
        assert_eq!(
            TokenSubjects::of(&claims),
            TokenSubjects {
                jti: "j".into(),
                family: None,
                application: EpochSubject::Application { id: "app".into() },
                owner: None,
                market: None,
            }
        );
        claims.sid = Some("fam".into());
        claims.owner = Some(OwnerClaim {
            id: "cus".into(),
            owner_type: "Customer".into(),
        });
        claims.market = Some(MarketClaim {
            id: "mkt".into(),
            number: 1,
            price_list_id: "pl".into(),
            stock_location_ids: vec![],
        });
        let subjects = TokenSubjects::of(&claims);
        assert_eq!(subjects.family.as_deref(), Some("fam"));
        let keys = [
            subjects.application.key(),
            subjects.owner.map(|o| o.key()).unwrap_or_default(),
            subjects.market.map(|m| m.key()).unwrap_or_default(),
        ];
        assert_eq!(
            keys,
            [
                "application#app".to_owned(),
                "owner#test#Customer#cus".to_owned(),
                "market#test#mkt".to_owned()
            ]
        );
    }

    #[test]
    fn an_epoch_ends_a_login_by_its_start_however_recently_refreshed() {
        let epochs = Epochs {
            owner: Some(UnixSeconds(150)),
            ..Epochs::default()
        };
        let state = RevocationState {
            epochs,
            ..RevocationState::default()
        };
        // (signed in, issued, ended?)
        let cases = [
            (None, 100, Some(Ended::Owner)),
            (None, 200, None),
            (Some(100), 200, Some(Ended::Owner)),
            (Some(150), 200, None),
            // An auth_time after iat cannot be: the earlier of the two counts.
            (Some(300), 100, Some(Ended::Owner)),
        ];
        for (auth_time, iat, expected) in cases {
            let mut claims = issued_at(iat);
            claims.auth_time = auth_time;
            assert_eq!(ended(&claims, &state), expected, "{auth_time:?} {iat}");
        }
    }

    #[test]
    fn a_subject_is_read_back_from_its_key() {
        let subjects = [
            EpochSubject::Application { id: "app#1".into() },
            EpochSubject::Owner {
                mode: Mode::Live,
                owner_type: "User".into(),
                id: "usr#x".into(),
            },
            EpochSubject::Market {
                mode: Mode::Test,
                id: "mkt_eu".into(),
            },
        ];
        for subject in subjects {
            assert_eq!(EpochSubject::parse(&subject.key()), Some(subject));
        }
        for bad in [
            "",
            "application",
            "application#",
            "owner#test#Customer",
            "market#prod#m",
            "shop#x",
        ] {
            assert_eq!(EpochSubject::parse(bad), None, "{bad}");
        }
    }
}
