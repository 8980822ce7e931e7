//! The one rule for the URLs Gatehouse trusts, shared by the issuer (configuration), the CORS
//! origins and the applications' redirect URIs (seed, admin API and commands alike): a URI
//! in RFC 3986's grammar ([`crate::uri`]), https anywhere, plain http only on this machine.

use crate::uri::{self, Host, Uri, UriError};

/// The hosts that plain http is allowed on: the loopback interface, by name or address.
const LOOPBACK_NAMES: [&str; 1] = ["localhost"];

/// The longest redirect URI accepted, in bytes: a code and a state are added to it, and
/// browsers and proxies refuse much longer URLs.
pub const MAX_REDIRECT_URI_LENGTH: usize = 2048;

/// Why a URL is not one Gatehouse trusts. Messages name positions and parts, never quote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error(transparent)]
    Grammar(#[from] UriError),
    #[error("is longer than {MAX_REDIRECT_URI_LENGTH} bytes")]
    TooLong,
    #[error("the scheme must be https (http only on a loopback host)")]
    Scheme,
    #[error("must start with its scheme and \"//\" and a host")]
    NoAuthority,
    #[error("has no host")]
    EmptyHost,
    #[error("must not hold a user name or password before an '@'")]
    UserInfo,
    #[error("the host ends in a number but is not a dotted-decimal IPv4 address")]
    AmbiguousNumericHost,
    #[error("the host in brackets is not an IPv6 address")]
    FutureIpLiteral,
    #[error("the port must be a number from 1 to 65535")]
    Port,
    #[error("plain http is allowed only on a loopback host (localhost, 127.0.0.1 or [::1])")]
    HttpNotLoopback,
    #[error("must not have a fragment")]
    Fragment,
}

/// Does a registered name end in a number, as WHATWG URL parsers (browsers) read it: its last
/// label (before a final dot) all digits, or `0x` and hex digits? Such a host is an IPv4
/// address to a browser (`0x7f.1` is 127.0.0.1) and a name to RFC 3986.
fn ends_in_a_number(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let last = name.rsplit('.').next().unwrap_or("");
    if let Some(hex) = last.strip_prefix("0x").or_else(|| last.strip_prefix("0X")) {
        return hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())
}

/// A URI of RFC 3986's grammar whose scheme is `https`, or `http` on a loopback host, with a
/// host, no user information and a port from 1 to 65535 when it has one. Queries and
/// fragments are for the caller to rule on.
///
/// The host must be the whole authority's host, so `http://localhost.evil.example`,
/// `http://127.0.0.1.nip.io` and `http://localhost@evil.example` are not loopback. Schemes and
/// hosts are matched as written (lowercase): the authorization request's redirect URI is
/// compared with the registered one by exact string anyway.
pub fn https_or_loopback_http(url: &str) -> Result<Uri<'_>, UrlRefusal> {
    let parsed = uri::parse(url)?;
    let https = match parsed.scheme {
        "https" => true,
        "http" => false,
        _ => return Err(UrlRefusal::Scheme),
    };
    let authority = parsed.authority.as_ref().ok_or(UrlRefusal::NoAuthority)?;
    // RFC 9110 §4.2.4: "A sender MUST NOT generate the userinfo subcomponent (and its "@"
    // delimiter) when an "http" or "https" URI reference is generated within a message".
    if authority.userinfo.is_some() {
        return Err(UrlRefusal::UserInfo);
    }
    let loopback = match &authority.host {
        // RFC 9110 §4.2.1: "A sender MUST NOT generate an "http" URI with an empty host
        // identifier. A recipient that processes such a URI reference MUST reject it as
        // invalid." (§4.2.2 says the same of "https".)
        Host::Name("") => return Err(UrlRefusal::EmptyHost),
        // RFC 3986 §7.4: implementations read "rare IP address formats" (octal, hex, fewer
        // parts) as addresses, so a name that looks like one means different hosts to
        // different readers.
        Host::Name(name) if ends_in_a_number(name) => return Err(UrlRefusal::AmbiguousNumericHost),
        Host::Name(name) => LOOPBACK_NAMES.contains(name),
        Host::Ipv4(address) => *address == std::net::Ipv4Addr::LOCALHOST,
        Host::Ipv6(address) => *address == std::net::Ipv6Addr::LOCALHOST,
        Host::Future(_) => return Err(UrlRefusal::FutureIpLiteral),
    };
    // RFC 3986 §3.2.3 allows an empty port ("http://localhost:"); nothing should write one.
    if let Some(port) = authority.port {
        if !port.parse::<u16>().is_ok_and(|port| port > 0) {
            return Err(UrlRefusal::Port);
        }
    }
    if !https && !loopback {
        return Err(UrlRefusal::HttpNotLoopback);
    }
    Ok(parsed)
}

/// Is `url` an https URL with a host, or an http URL whose host is a loopback host, and a URI
/// in RFC 3986's grammar? See [`https_or_loopback_http`].
pub fn is_https_or_loopback_http(url: &str) -> bool {
    https_or_loopback_http(url).is_ok()
}

/// A redirect URI an application may register. RFC 6749 §3.1.2: "The redirection endpoint
/// URI MUST be an absolute URI as defined by [RFC3986] Section 4.3. ... The endpoint URI MUST
/// NOT include a fragment component."
pub fn redirect_uri(uri: &str) -> Result<(), UrlRefusal> {
    if uri.len() > MAX_REDIRECT_URI_LENGTH {
        return Err(UrlRefusal::TooLong);
    }
    let parsed = https_or_loopback_http(uri)?;
    if parsed.fragment.is_some() {
        return Err(UrlRefusal::Fragment);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_on_a_loopback_host_are_accepted() {
        let cases = [
            ("https://x", true),
            ("https://auth.example.com/", true),
            ("https://auth.example.com:8443/cb?x=1", true),
            ("http://localhost", true),
            ("http://localhost/", true),
            ("http://localhost:3000", true),
            ("http://localhost:3000/cb", true),
            ("http://127.0.0.1", true),
            ("http://127.0.0.1:8080/cb", true),
            ("http://[::1]", true),
            ("http://[::1]:8080/cb", true),
            ("http://[0:0:0:0:0:0:0:1]:8080/cb", true),
            ("http://localhost.evil.example", false),
            ("http://localhost.evil.example/cb", false),
            ("http://127.0.0.1.nip.io", false),
            ("http://[::1].evil.example", false),
            ("http://localhost@evil.example", false),
            ("https://user@auth.example.com", false),
            ("http://localhost:", false),
            ("http://localhost:0", false),
            ("http://localhost:65536", false),
            ("http://localhost:80x/cb", false),
            ("http://evil.example/cb", false),
            ("http://127.0.0.2", false),
            ("http://0x7f.0.0.1", false),
            ("http://2130706433", false),
            ("https://0x7f.1/cb", false),
            ("https://1.2.3.256/cb", false),
            ("https://example.123/cb", false),
            ("https://123.example/cb", true),
            ("https://[v7.x]/cb", false),
            ("https://", false),
            ("https:///path", false),
            ("https:auth.example.com", false),
            ("https:/auth.example.com", false),
            ("ftp://x", false),
            ("HTTPS://x", false),
            ("localhost:3000", false),
            ("https://x/a b", false),
            ("https://x/\u{e9}", false),
            ("", false),
        ];
        for (url, accepted) in cases {
            assert_eq!(is_https_or_loopback_http(url), accepted, "{url}");
        }
    }

    #[test]
    fn a_redirect_uri_is_refused_with_the_reason() {
        let cases = [
            ("https://app.example/cb", Ok(())),
            ("https://app.example/cb?x=1", Ok(())),
            ("https://app.example/cb#", Err(UrlRefusal::Fragment)),
            ("https://app.example/cb#f", Err(UrlRefusal::Fragment)),
            ("http://app.example/cb", Err(UrlRefusal::HttpNotLoopback)),
            (
                "http://localhost.evil.example/cb",
                Err(UrlRefusal::HttpNotLoopback),
            ),
            (
                "http://localhost@evil.example/cb",
                Err(UrlRefusal::UserInfo),
            ),
            ("https://0x7f.1/cb", Err(UrlRefusal::AmbiguousNumericHost)),
            ("https:///cb", Err(UrlRefusal::EmptyHost)),
            ("https:app.example", Err(UrlRefusal::NoAuthority)),
            ("javascript:alert(1)", Err(UrlRefusal::Scheme)),
            ("https://app.example:99999/", Err(UrlRefusal::Port)),
            (
                "https://app.example/\r\n",
                Err(UrlRefusal::Grammar(UriError::Character {
                    position: 21,
                    character: '\r',
                    component: uri::Component::Path,
                })),
            ),
        ];
        for (uri, expected) in cases {
            assert_eq!(redirect_uri(uri), expected, "{uri:?}");
        }
        let longest = format!(
            "https://app.example/{}",
            "a".repeat(MAX_REDIRECT_URI_LENGTH - 20)
        );
        assert_eq!(redirect_uri(&longest), Ok(()));
        assert_eq!(
            redirect_uri(&format!("{longest}a")),
            Err(UrlRefusal::TooLong)
        );
    }
}
