//! What stands behind tokens: refresh tokens and authorization codes, stored only as hashes,
//! and the rules on whether one may be exchanged.

use super::{Mode, OwnerType};
use crate::clock::UnixMillis;

/// A refresh token as stored: only its hash, bound to an application, an owner, an
/// environment and the scope of the original grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub token_hash: crate::secret::SecretHash,
    /// Every token rotated from one original grant shares its family.
    pub family_id: String,
    pub application_id: String,
    pub client_id: String,
    pub mode: Mode,
    pub owner_id: String,
    pub owner_type: OwnerType,
    /// The scope of the original grant: its market (by id) and stock locations (by id).
    pub market_id: Option<String>,
    pub stock_location_ids: Vec<String>,
    /// That scope as the grant answered it (as asked, [`crate::scope::answered_scope`]), to
    /// answer it again; `None` in a record kept before answers were kept.
    pub scope: Option<String>,
    pub issued_at: UnixMillis,
    /// When the owner signed in to the login (the family's first token): kept by every
    /// successor, so that an epoch after it ends the whole login.
    pub authenticated_at: UnixMillis,
    pub expires_at: UnixMillis,
    /// When it was exchanged for its successor.
    pub consumed_at: Option<UnixMillis>,
    /// The `custom_claim` of the JWT bearer assertion that began the login, which each of its
    /// access tokens carries.
    pub custom_claim: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What a presented refresh token turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenState {
    pub record: RefreshTokenRecord,
    /// The family was revoked: by reuse detection or by `POST /oauth/revoke`.
    pub family_revoked: bool,
}

impl RefreshTokenState {
    /// May this token be exchanged, at `now`, for a successor of `family_id`? Only once,
    /// before it expires, while its family stands, and within its own family.
    pub fn can_rotate_into(&self, family_id: &str, now: UnixMillis) -> bool {
        self.record.consumed_at.is_none()
            && !self.family_revoked
            && self.record.expires_at > now
            && self.record.family_id == family_id
    }
}

/// An authorization code (RFC 6749 §4.1.2), stored only as the hash of its value and bound to
/// everything its redemption must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationCodeRecord {
    pub code_hash: crate::secret::SecretHash,
    pub application_id: String,
    pub client_id: String,
    pub mode: Mode,
    pub user_id: String,
    /// The `redirect_uri` of the authorization request, which the token request must repeat.
    pub redirect_uri: String,
    /// The approved scope: its market (by id) and stock locations (by id), none for all.
    pub market_id: Option<String>,
    pub stock_location_ids: Vec<String>,
    /// That scope as the authorization request asked it, for the token response to answer;
    /// `None` in a record kept before answers were kept.
    pub scope: Option<String>,
    /// The S256 PKCE challenge (RFC 7636), when the request sent one.
    pub code_challenge: Option<String>,
    /// The refresh-token family its redemption starts, so that a second use can revoke it.
    pub family_id: String,
    pub issued_at: UnixMillis,
    pub expires_at: UnixMillis,
    pub consumed_at: Option<UnixMillis>,
}

/// Why an authorization code cannot be exchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Used before: a replay, so every token issued from it is revoked.
    AlreadyUsed,
    Expired,
    /// Issued to another application (another id, whatever its `client_id`).
    OtherClient,
    /// The token request's `redirect_uri` is not the authorization request's.
    RedirectUriMismatch,
    /// The code has a PKCE challenge and the token request sent no `code_verifier`.
    VerifierMissing,
    /// A `code_verifier` for a code that was issued without a challenge: a PKCE downgrade.
    VerifierWithoutChallenge,
    /// The `code_verifier` does not match the challenge.
    VerifierMismatch,
}

/// What a token request presents with a code.
#[derive(Clone, Copy, Debug)]
pub struct CodePresentation<'a> {
    /// The authenticated application's id: not its `client_id`, which a new application can
    /// take over once the old one is deleted.
    pub application_id: &'a str,
    pub redirect_uri: &'a str,
    /// The S256 challenge computed from the `code_verifier` sent, if one was sent.
    pub verifier_challenge: Option<&'a str>,
}

impl AuthorizationCodeRecord {
    /// Why `presented` may not exchange this code at `now`, in the order the checks are made
    /// (a replay is recognised first, whoever presents it); `None` when it may.
    pub fn refusal(
        &self,
        presented: &CodePresentation<'_>,
        now: UnixMillis,
    ) -> Option<CodeRefusal> {
        use crate::secret::constant_time_eq;
        if self.consumed_at.is_some() {
            return Some(CodeRefusal::AlreadyUsed);
        }
        if self.expires_at <= now {
            return Some(CodeRefusal::Expired);
        }
        // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
        // confidential client" and that redirect_uri is "identical" to the request's. The
        // client is its application's id: a `client_id` outlives a deleted application when a
        // new one is created with it, and the old one's codes must not pass to the new one.
        if self.application_id != presented.application_id {
            return Some(CodeRefusal::OtherClient);
        }
        if self.redirect_uri != presented.redirect_uri {
            return Some(CodeRefusal::RedirectUriMismatch);
        }
        match (&self.code_challenge, presented.verifier_challenge) {
            (None, None) => None,
            (Some(_), None) => Some(CodeRefusal::VerifierMissing),
            (None, Some(_)) => Some(CodeRefusal::VerifierWithoutChallenge),
            (Some(expected), Some(computed)) => {
                (!constant_time_eq(expected.as_bytes(), computed.as_bytes()))
                    .then_some(CodeRefusal::VerifierMismatch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretHash;

    fn code(challenge: Option<&str>) -> AuthorizationCodeRecord {
        AuthorizationCodeRecord {
            code_hash: SecretHash::of("code"),
            application_id: "app_webapp".into(),
            client_id: "webapp".into(),
            mode: Mode::Test,
            user_id: "usr_1".into(),
            redirect_uri: "https://app.example/cb".into(),
            market_id: None,
            stock_location_ids: vec![],
            scope: None,
            code_challenge: challenge.map(str::to_owned),
            family_id: "family".into(),
            issued_at: UnixMillis(1_000),
            expires_at: UnixMillis(601_000),
            consumed_at: None,
        }
    }

    #[test]
    fn a_code_is_refused_for_the_first_binding_it_breaks() {
        let used = AuthorizationCodeRecord {
            consumed_at: Some(UnixMillis(2_000)),
            ..code(None)
        };
        let ok = CodePresentation {
            application_id: "app_webapp",
            redirect_uri: "https://app.example/cb",
            verifier_challenge: None,
        };
        let with = |challenge| CodePresentation {
            verifier_challenge: Some(challenge),
            ..ok
        };
        let now = UnixMillis(5_000);
        let cases: [(
            &AuthorizationCodeRecord,
            CodePresentation,
            UnixMillis,
            Option<CodeRefusal>,
        ); 11] = [
            (&code(None), ok, now, None),
            (&code(Some("c")), with("c"), now, None),
            (&used, ok, now, Some(CodeRefusal::AlreadyUsed)),
            (
                &used,
                CodePresentation {
                    application_id: "app_other",
                    ..ok
                },
                now,
                Some(CodeRefusal::AlreadyUsed),
            ),
            (
                &code(None),
                ok,
                UnixMillis(601_000),
                Some(CodeRefusal::Expired),
            ),
            (&code(None), ok, UnixMillis(600_999), None),
            (
                &code(None),
                CodePresentation {
                    application_id: "app_other",
                    ..ok
                },
                now,
                Some(CodeRefusal::OtherClient),
            ),
            (
                &code(None),
                CodePresentation {
                    redirect_uri: "https://app.example/cb/",
                    ..ok
                },
                now,
                Some(CodeRefusal::RedirectUriMismatch),
            ),
            (
                &code(Some("c")),
                ok,
                now,
                Some(CodeRefusal::VerifierMissing),
            ),
            (
                &code(None),
                with("c"),
                now,
                Some(CodeRefusal::VerifierWithoutChallenge),
            ),
            (
                &code(Some("c")),
                with("d"),
                now,
                Some(CodeRefusal::VerifierMismatch),
            ),
        ];
        for (i, (record, presented, at, refusal)) in cases.iter().enumerate() {
            assert_eq!(record.refusal(presented, *at), *refusal, "case {i}");
        }
    }
}
