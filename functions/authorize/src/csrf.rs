//! Cross-site request forgery protection for the sign-in form: a double-submit cookie. The
//! page sets a random value in a cookie and in a hidden field; a POST is taken only when both
//! are present and equal. Another site can read neither the cookie nor the page, and a browser
//! does not send the cookie with a cross-site POST (`SameSite=Lax`). Lax, not Strict: the user
//! arrives from the client's site, and a Strict cookie would not come with that navigation, so
//! each arrival would replace the cookie and a second tab's form would expire the first's.
//!
//! On an https issuer the cookie is a `__Host-` cookie: `Secure`, `Path=/`, no `Domain`, so a
//! sibling subdomain cannot plant one (the weakness of a plain double-submit cookie). On a
//! loopback http issuer (local runs) browsers refuse such cookies, so a plain name is used.

use gatehouse_core::secret::{constant_time_eq, random_token};
use http::HeaderMap;

/// How long a sign-in page stays usable: the cookie's lifetime.
const MAX_AGE_SECONDS: u32 = 1800;

/// The cookie, as the issuer's scheme allows.
#[derive(Clone, Copy, Debug)]
pub struct CsrfCookie {
    secure: bool,
}

impl CsrfCookie {
    pub fn for_issuer(issuer: &str) -> Self {
        Self {
            secure: issuer.starts_with("https://"),
        }
    }

    fn name(self) -> &'static str {
        if self.secure {
            "__Host-gatehouse-csrf"
        } else {
            "gatehouse-csrf"
        }
    }

    /// The value the request's cookie carries, if any.
    pub fn read(self, headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name())
            .map(|(_, value)| value.to_owned())
            .filter(|value| {
                value.len() == 43
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    }

    /// The request's value when it has a well-formed one, else a new one to set.
    pub fn value(self, headers: &HeaderMap) -> (String, bool) {
        self.read(headers)
            .map_or_else(|| (random_token(32), true), |value| (value, false))
    }

    /// The `Set-Cookie` header for `value`.
    pub fn set_cookie(self, value: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; Max-Age={MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax{secure}",
            self.name()
        )
    }

    /// Does the form's field match the request's cookie?
    pub fn verify(self, headers: &HeaderMap, field: Option<&str>) -> bool {
        match (self.read(headers), field) {
            (Some(cookie), Some(field)) => constant_time_eq(cookie.as_bytes(), field.as_bytes()),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::COOKIE, cookie.parse().unwrap());
        headers
    }

    #[test]
    fn a_form_is_taken_only_with_a_matching_cookie() {
        let cookie = CsrfCookie::for_issuer("http://127.0.0.1:3000");
        let value = random_token(32);
        let sent = headers(&format!("other=1; gatehouse-csrf={value}"));
        assert!(cookie.verify(&sent, Some(&value)));
        assert!(!cookie.verify(&sent, Some(&random_token(32))));
        assert!(!cookie.verify(&sent, None));
        assert!(!cookie.verify(&HeaderMap::new(), Some(&value)));
        assert!(!cookie.verify(&headers("gatehouse-csrf=short"), Some("short")));
    }

    #[test]
    fn an_https_issuer_gets_a_host_only_secure_cookie() {
        let https = CsrfCookie::for_issuer("https://auth.example.com");
        let set = https.set_cookie("v");
        assert!(set.starts_with("__Host-gatehouse-csrf=v; Path=/;"), "{set}");
        assert!(
            set.contains("; Secure") && set.contains("HttpOnly") && set.contains("SameSite=Lax")
        );
        let value = random_token(32);
        // A cookie without the prefix (one a subdomain could set) is not the one read.
        assert!(!https.verify(&headers(&format!("gatehouse-csrf={value}")), Some(&value)));
        assert!(https.verify(
            &headers(&format!("__Host-gatehouse-csrf={value}")),
            Some(&value)
        ));
    }
}
