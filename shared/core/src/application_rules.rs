//! The rules an application must follow, whoever writes it: the seed validator and the admin
//! commands check applications with these functions, so the two cannot disagree. Pure: no
//! storage, no clock. Each rule answers with the messages a caller reports under a field path
//! relative to the application (`client_id`, `redirect_uris[1]`).

use crate::grant::{kind_may_use_grant, GrantType};
use crate::input::{echo_input, is_lookup_key, MAX_CLIENT_ID_LENGTH};
use crate::lifetime::TokenLifetime;
use crate::model::ApplicationKind;
use crate::secret::MIN_SECRET_LENGTH;
use crate::url_rules;

/// The longest application name accepted from an administrator.
pub const MAX_NAME_LENGTH: usize = 200;

/// One broken rule: the field (relative to the application) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub message: String,
}

impl Violation {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A client_id is the key a token request looks the application up by: not blank, and a key
/// storage can hold ([`is_lookup_key`]).
pub fn client_id(client_id: &str) -> Result<(), Violation> {
    if client_id.trim().is_empty() {
        return Err(Violation::new("client_id", "must not be empty"));
    }
    if !is_lookup_key(client_id) {
        return Err(Violation::new(
            "client_id",
            format!("must be at most {MAX_CLIENT_ID_LENGTH} bytes, without control characters"),
        ));
    }
    Ok(())
}

/// A name an administrator gives: shown on the sign-in page, so not blank and not endless.
pub fn name(name: &str) -> Result<(), Violation> {
    if name.trim().is_empty() {
        return Err(Violation::new("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_LENGTH || name.chars().any(char::is_control) {
        return Err(Violation::new(
            "name",
            format!("must be at most {MAX_NAME_LENGTH} characters, without control characters"),
        ));
    }
    Ok(())
}

/// A secret written by hand (the seed file): integrations and webapps have one, a long one; a
/// sales channel may have one (it is then a confidential client) or none (a public one).
/// Administrators never write one: the server generates it.
pub fn supplied_secret(kind: ApplicationKind, secret: Option<&str>) -> Result<(), Violation> {
    let problem = |message: String| Err(Violation::new("client_secret", message));
    match (kind.needs_secret(), secret) {
        (false, None) => Ok(()),
        (true, None) => problem(format!(
            "{} applications need a client_secret",
            kind.as_str()
        )),
        (_, Some(secret)) if secret.chars().count() < MIN_SECRET_LENGTH => problem(format!(
            "must be at least {MIN_SECRET_LENGTH} characters of high-entropy text"
        )),
        (_, Some(_)) => Ok(()),
    }
}

/// Whether a new application is a confidential client (and so is given a secret), from its
/// kind and what the administrator asked (`confidential`): integrations and webapps always
/// are; a sales channel is public unless asked to be confidential.
pub fn confidential(kind: ApplicationKind, asked: Option<bool>) -> Result<bool, Violation> {
    match (kind.needs_secret(), asked) {
        (true, Some(false)) => Err(Violation::new(
            "confidential",
            format!(
                "{} applications are always confidential clients",
                kind.as_str()
            ),
        )),
        (needs, None) => Ok(needs),
        (_, Some(asked)) => Ok(asked),
    }
}

/// An application's own access-token lifetime, when it sets one (see [`TokenLifetime`]).
pub fn token_lifetime(seconds: Option<i64>) -> Result<Option<TokenLifetime>, Violation> {
    seconds
        .map(TokenLifetime::try_from)
        .transpose()
        .map_err(|error| Violation::new("token_lifetime", error.to_string()))
}

/// Redirect URIs: URIs in RFC 3986's grammar, https without fragment (http only on a loopback
/// host; [`url_rules::redirect_uri`]), at least one
/// for a webapp (the authorization code flow sends the browser back to one), none for the
/// other kinds (they never redirect).
pub fn redirect_uris(kind: ApplicationKind, uris: &[String]) -> Vec<Violation> {
    let count = match (kind, uris.is_empty()) {
        (ApplicationKind::Webapp, true) => Some(Violation::new(
            "redirect_uris",
            "webapp applications need at least one redirect URI",
        )),
        (ApplicationKind::SalesChannel | ApplicationKind::Integration, false) => {
            Some(Violation::new(
                "redirect_uris",
                format!(
                    "only webapps redirect: {} applications take no redirect URIs",
                    kind.as_str()
                ),
            ))
        }
        (ApplicationKind::Webapp, false)
        | (ApplicationKind::SalesChannel | ApplicationKind::Integration, true) => None,
    };
    let each = uris.iter().enumerate().filter_map(|(j, uri)| {
        let refusal = url_rules::redirect_uri(uri).err()?;
        Some(Violation::new(
            format!("redirect_uris[{j}]"),
            format!("must be an absolute https URL without fragment (http only for localhost): {refusal}"),
        ))
    });
    count.into_iter().chain(each).collect()
}

/// An application's own grant types, by name: at least one, each once, each one its kind
/// may use. Returned in [`GrantType::ALL`]'s order.
pub fn grant_types(kind: ApplicationKind, names: &[String]) -> Result<Vec<GrantType>, Violation> {
    let problem = |message: String| Violation::new("grant_types", message);
    if names.is_empty() {
        return Err(problem(
            "must name at least one grant (leave it out for every grant of the kind)".into(),
        ));
    }
    let mut grants = Vec::new();
    for name in names {
        let grant = GrantType::parse(name)
            .ok_or_else(|| problem(format!("unknown grant type '{}'", echo_input(name))))?;
        if !kind_may_use_grant(kind, grant) {
            return Err(problem(format!(
                "{} applications may not use the {} grant",
                kind.as_str(),
                grant.as_str()
            )));
        }
        if grants.contains(&grant) {
            return Err(problem(format!("{} is listed twice", grant.as_str())));
        }
        grants.push(grant);
    }
    Ok(GrantType::ALL
        .into_iter()
        .filter(|grant| grants.contains(grant))
        .collect())
}

/// The `jwt_bearer` setting from its JSON form (`null`: off), for an application that is
/// `confidential` or not: only a confidential client may present assertions, since an
/// assertion names any customer.
pub fn jwt_bearer(
    value: &serde_json::Value,
    confidential: bool,
) -> Result<Option<crate::jwt_bearer::JwtBearer>, Violation> {
    let problem = |message: String| Violation::new("jwt_bearer", message);
    if value.is_null() {
        return Ok(None);
    }
    let setting = crate::jwt_bearer::JwtBearer::from_json(value).map_err(problem)?;
    if !confidential {
        return Err(problem(
            "the JWT bearer grant is only for confidential applications: give this one a client secret".into(),
        ));
    }
    Ok(Some(setting))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationKind::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn client_ids_must_be_lookup_keys() {
        let long = "x".repeat(MAX_CLIENT_ID_LENGTH + 1);
        let cases = [
            ("shop", true),
            ("my shop/é", true),
            (&"x".repeat(MAX_CLIENT_ID_LENGTH)[..], true),
            ("", false),
            ("   ", false),
            (&long[..], false),
            ("tab\there", false),
        ];
        for (id, accepted) in cases {
            assert_eq!(client_id(id).is_ok(), accepted, "{id:?}");
        }
    }

    #[test]
    fn names_are_not_blank_and_at_most_200_characters() {
        let cases = [
            ("Shop", true),
            (&"é".repeat(MAX_NAME_LENGTH)[..], true),
            (&"é".repeat(MAX_NAME_LENGTH + 1)[..], false),
            ("", false),
            (" ", false),
            ("line\nbreak", false),
        ];
        for (value, accepted) in cases {
            assert_eq!(name(value).is_ok(), accepted, "{value:?}");
        }
    }

    #[test]
    fn only_a_sales_channel_chooses_whether_it_is_confidential() {
        let cases = [
            (SalesChannel, None, Ok(false)),
            (SalesChannel, Some(false), Ok(false)),
            (SalesChannel, Some(true), Ok(true)),
            (Integration, None, Ok(true)),
            (Integration, Some(true), Ok(true)),
            (
                Integration,
                Some(false),
                Err("integration applications are always confidential clients"),
            ),
            (Webapp, None, Ok(true)),
            (
                Webapp,
                Some(false),
                Err("webapp applications are always confidential clients"),
            ),
        ];
        for (kind, asked, expected) in cases {
            let got = confidential(kind, asked);
            assert_eq!(
                got.as_ref().map_err(|v| v.message.as_str()),
                expected.as_ref().map_err(|m| *m),
                "{kind:?} {asked:?}"
            );
            assert!(got.is_ok() || got.unwrap_err().field == "confidential");
        }
    }

    #[test]
    fn a_sales_channel_may_have_a_secret_and_the_other_kinds_must_each_a_long_one() {
        let long = "s".repeat(MIN_SECRET_LENGTH);
        let short = "s".repeat(MIN_SECRET_LENGTH - 1);
        let cases = [
            (SalesChannel, None, None),
            (SalesChannel, Some(&long[..]), None),
            (
                SalesChannel,
                Some(&short[..]),
                Some("must be at least 32 characters of high-entropy text"),
            ),
            (
                Integration,
                None,
                Some("integration applications need a client_secret"),
            ),
            (
                Webapp,
                None,
                Some("webapp applications need a client_secret"),
            ),
            (
                Integration,
                Some(&short[..]),
                Some("must be at least 32 characters of high-entropy text"),
            ),
            (Integration, Some(&long[..]), None),
            (Webapp, Some(&long[..]), None),
        ];
        for (kind, secret, message) in cases {
            let result = supplied_secret(kind, secret).err();
            assert_eq!(
                result.as_ref().map(|v| v.message.as_str()),
                message,
                "{kind:?} {secret:?}"
            );
            assert!(result.is_none_or(|v| v.field == "client_secret"));
        }
    }

    #[test]
    fn lifetimes_are_absent_or_from_7200_to_31536000() {
        let cases = [
            (None, Ok(None)),
            (Some(7_200), Ok(Some(7_200))),
            (Some(31_536_000), Ok(Some(31_536_000))),
            (Some(7_199), Err("token_lifetime must be a whole number of seconds from 7200 to 31536000, got 7199")),
            (Some(31_536_001), Err("token_lifetime must be a whole number of seconds from 7200 to 31536000, got 31536001")),
            (Some(-1), Err("token_lifetime must be a whole number of seconds from 7200 to 31536000, got -1")),
        ];
        for (seconds, expected) in cases {
            let result = token_lifetime(seconds)
                .map(|l| l.map(|l| l.seconds()))
                .map_err(|v| v.message);
            assert_eq!(result, expected.map_err(str::to_owned), "{seconds:?}");
        }
    }

    #[test]
    fn webapps_need_a_redirect_uri_and_the_other_kinds_take_none() {
        let ok = strings(&["https://app.example/cb", "http://localhost:8080/cb"]);
        let cases: [(ApplicationKind, Vec<String>, &[&str]); 7] = [
            (Webapp, ok.clone(), &[]),
            (Webapp, vec![], &["redirect_uris"]),
            (SalesChannel, vec![], &[]),
            (Integration, vec![], &[]),
            (SalesChannel, ok.clone(), &["redirect_uris"]),
            (Integration, strings(&["https://x"]), &["redirect_uris"]),
            (
                Webapp,
                strings(&["https://ok", "http://evil.example/cb", "https://x/#f"]),
                &["redirect_uris[1]", "redirect_uris[2]"],
            ),
        ];
        for (kind, uris, fields) in cases {
            let found: Vec<String> = redirect_uris(kind, &uris)
                .into_iter()
                .map(|v| v.field)
                .collect();
            assert_eq!(found, fields, "{kind:?} {uris:?}");
        }
    }

    /// RFC 6749 §3.1.2: "The redirection endpoint URI MUST be an absolute URI as defined by
    /// [RFC3986] Section 4.3." Each of these was accepted before, by the seed, the admin API
    /// and the commands alike.
    #[test]
    fn redirect_uris_outside_the_rfc_3986_grammar_are_refused() {
        let bad = [
            "https://app.example/cb\r\nSet-Cookie: x=1",
            "https://app.example/c\nb",
            "https://app.example/cb\0",
            "https://app.example/c b",
            " https://app.example/cb",
            "https://app.example/cb\t",
            "https://app.example/caf\u{e9}",
            "https://b\u{fc}cher.example/cb",
            "https://app.example/cb?q=\u{2028}",
            "https://app.example/cb?q=a b",
            "https://app.example/cb%",
            "https://app.example/cb%2",
            "https://app.example/cb%zz",
            "https://app.example/\"cb\"",
            "https://app.example/<cb>",
            "https://app.example/cb\\x",
            "https://app.example/{cb}",
            "https://app.exa mple/cb",
            "https://app.example:44x3/cb",
            "https://app.example:99999/cb",
            "https://user:pw@app.example/cb",
            "https://[::1/cb",
            "https://[not-an-ip]/cb",
            "https://0x7f.0.0.1/cb",
            "https://1.2.3.256/cb",
            "http://localhost.evil.example/cb",
            "http://evil.example/cb",
            "https://app.example/cb#",
            "https://app.example/cb#frag",
            "https:/app.example/cb",
            "https:app.example/cb",
            "//app.example/cb",
            "/cb",
            "",
        ];
        for uri in bad {
            let found = redirect_uris(Webapp, &strings(&[uri]));
            assert_eq!(
                found.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(),
                ["redirect_uris[0]"],
                "{uri:?} must be refused"
            );
        }
        let good = [
            "https://app.example/cb",
            "https://app.example:8443/a/b;c=d/e@f:g?x=1&y=%20z/?#".trim_end_matches('#'),
            "https://APP.example/%7Euser/cb?next=/a?b",
            "https://192.0.2.7/cb",
            "https://[2001:db8::7]:8443/cb",
            "https://xn--bcher-kva.example/cb",
            "https://a-b_c~d.example/!$&'()*+,;=",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080",
        ];
        for uri in good {
            assert_eq!(redirect_uris(Webapp, &strings(&[uri])), [], "{uri:?}");
        }
    }

    #[test]
    fn grant_types_are_a_non_empty_subset_of_the_kinds_grants() {
        use GrantType::*;
        type Case<'a> = (
            ApplicationKind,
            &'a [&'a str],
            Result<Vec<GrantType>, &'a str>,
        );
        let cases: [Case; 8] = [
            (
                SalesChannel,
                &["refresh_token", "password"],
                Ok(vec![Password, RefreshToken]),
            ),
            (
                SalesChannel,
                &["client_credentials"],
                Ok(vec![ClientCredentials]),
            ),
            (
                Integration,
                &["client_credentials"],
                Ok(vec![ClientCredentials]),
            ),
            (
                Webapp,
                &["authorization_code", "refresh_token"],
                Ok(vec![AuthorizationCode, RefreshToken]),
            ),
            (
                Webapp,
                &["client_credentials"],
                Err("webapp applications may not use the client_credentials grant"),
            ),
            (
                Integration,
                &["password"],
                Err("integration applications may not use the password grant"),
            ),
            (
                SalesChannel,
                &["password", "password"],
                Err("password is listed twice"),
            ),
            (
                SalesChannel,
                &["implicit"],
                Err("unknown grant type 'implicit'"),
            ),
        ];
        for (kind, names, expected) in cases {
            let result = grant_types(kind, &strings(names)).map_err(|v| v.message);
            assert_eq!(
                result,
                expected.map_err(str::to_owned),
                "{kind:?} {names:?}"
            );
        }
        assert!(grant_types(Webapp, &[]).is_err());
    }

    mod properties {
        use super::*;
        use crate::lifetime::{MAX_CUSTOM_LIFETIME, MIN_CUSTOM_LIFETIME};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn a_configured_lifetime_is_kept_exactly_when_it_is_in_the_range(
                seconds in prop_oneof![
                    any::<i64>(),
                    i64::from(MIN_CUSTOM_LIFETIME)..=i64::from(MAX_CUSTOM_LIFETIME),
                    // The edges, where an off-by-one would show.
                    i64::from(MIN_CUSTOM_LIFETIME) - 2..=i64::from(MIN_CUSTOM_LIFETIME) + 2,
                    i64::from(MAX_CUSTOM_LIFETIME) - 2..=i64::from(MAX_CUSTOM_LIFETIME) + 2,
                ],
            ) {
                let in_range = (i64::from(MIN_CUSTOM_LIFETIME)..=i64::from(MAX_CUSTOM_LIFETIME))
                    .contains(&seconds);
                match token_lifetime(Some(seconds)) {
                    Ok(kept) => {
                        prop_assert!(in_range, "{} accepted", seconds);
                        prop_assert_eq!(kept.map(|l| i64::from(l.seconds())), Some(seconds));
                    }
                    Err(violation) => {
                        prop_assert!(!in_range, "{} refused", seconds);
                        prop_assert_eq!(violation.field, "token_lifetime");
                    }
                }
            }
        }
    }
}
