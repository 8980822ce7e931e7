//! RFC 3986's grammar for a URI (§3), checked by hand: the `url` crate parses the WHATWG URL
//! standard, which repairs what it reads (it drops tabs and line breaks, percent-encodes
//! spaces and non-ASCII characters, reads `0x7f.1` as an IPv4 address), so a URI it accepts
//! need not be one. This accepts exactly
//!
//! ```text
//! URI       = scheme ":" hier-part [ "?" query ] [ "#" fragment ]
//! hier-part = "//" authority path-abempty / path-absolute / path-rootless / path-empty
//! authority = [ userinfo "@" ] host [ ":" port ]
//! host      = IP-literal / IPv4address / reg-name
//! ```
//!
//! with each component held to its own characters, and reports the first character outside
//! them by its position, never by quoting the input. Pure: what a URI may be used for (https,
//! loopback http) is for the caller to rule (`url_rules.rs`).

use std::net::{Ipv4Addr, Ipv6Addr};

/// The parts of a URI, as written (nothing decoded or normalized).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri<'a> {
    pub scheme: &'a str,
    /// Present when the hier-part starts with `//`.
    pub authority: Option<Authority<'a>>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority<'a> {
    pub userinfo: Option<&'a str>,
    pub host: Host<'a>,
    /// The port as written, digits only; None when there is no `:`.
    pub port: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// A registered name (possibly empty), as written.
    Name(&'a str),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// `[v<hex>.<text>]`: grammatical, though nothing resolves it.
    Future(&'a str),
}

/// The component a character was found in, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    Scheme,
    UserInfo,
    Host,
    Port,
    Path,
    Query,
    Fragment,
}

impl Component {
    fn as_str(self) -> &'static str {
        match self {
            Component::Scheme => "scheme",
            Component::UserInfo => "user information",
            Component::Host => "host",
            Component::Port => "port",
            Component::Path => "path",
            Component::Query => "query",
            Component::Fragment => "fragment",
        }
    }
}

/// Why a text is not a URI. Positions count characters from 1; the input is never quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("is empty")]
    Empty,
    #[error("has no scheme: an absolute URI starts with one, as in https://")]
    NoScheme,
    #[error("character {position} ({}) is not allowed in the {}", describe(*.character), .component.as_str())]
    Character {
        position: usize,
        character: char,
        component: Component,
    },
    #[error("the '%' at character {position} is not followed by two hexadecimal digits")]
    PercentEncoding { position: usize },
    #[error("the '[' of the host at character {position} is not closed by ']'")]
    UnclosedIpLiteral { position: usize },
    #[error("the host in brackets is not an IPv6 address")]
    IpLiteral,
}

/// A character for a message: printable ASCII quoted, anything else (and the quote and
/// backslash, which an `error_description` may not hold) by its code point.
fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        c if c.is_ascii_graphic() && !matches!(c, '"' | '\\') => format!("'{c}'"),
        c => format!("U+{:04X}", c as u32),
    }
}

/// unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
fn is_sub_delim(c: char) -> bool {
    matches!(
        c,
        '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '='
    )
}

/// pchar = unreserved / pct-encoded / sub-delims / ":" / "@" (pct-encoded checked apart)
fn is_pchar(c: char) -> bool {
    is_unreserved(c) || is_sub_delim(c) || matches!(c, ':' | '@')
}

/// The characters each component may hold besides pct-encoded triplets.
fn allowed(component: Component, c: char) -> bool {
    match component {
        Component::Scheme => c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'),
        // userinfo = *( unreserved / pct-encoded / sub-delims / ":" )
        Component::UserInfo => is_unreserved(c) || is_sub_delim(c) || c == ':',
        // reg-name = *( unreserved / pct-encoded / sub-delims )
        Component::Host => is_unreserved(c) || is_sub_delim(c),
        Component::Port => c.is_ascii_digit(),
        // path-abempty and the others: segments of pchar separated by "/"
        Component::Path => is_pchar(c) || c == '/',
        // query = fragment = *( pchar / "/" / "?" )
        Component::Query | Component::Fragment => is_pchar(c) || matches!(c, '/' | '?'),
    }
}

/// Where `part` starts in `text`, in characters from 1 (`part` is a slice of `text`).
fn position_in(text: &str, part: &str, offset: usize) -> usize {
    let start = part.as_ptr() as usize - text.as_ptr() as usize;
    text[..start + offset].chars().count() + 1
}

/// Checks that every character of `part` (a slice of `text`) belongs to `component`, and that
/// every `%` starts a pct-encoded triplet (`"%" HEXDIG HEXDIG`) where the component allows
/// them (every one but the scheme and the port).
fn check(text: &str, part: &str, component: Component) -> Result<(), UriError> {
    let percent_allowed = !matches!(component, Component::Scheme | Component::Port);
    let bytes = part.as_bytes();
    for (i, c) in part.char_indices() {
        if c == '%' && percent_allowed {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Err(UriError::PercentEncoding {
                    position: position_in(text, part, i),
                });
            }
        } else if !allowed(component, c) {
            return Err(UriError::Character {
                position: position_in(text, part, i),
                character: c,
                component,
            });
        }
    }
    Ok(())
}

/// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
fn is_ipv_future(inside: &str) -> bool {
    let rest = inside.strip_prefix(['v', 'V']);
    let Some((version, address)) = rest.and_then(|rest| rest.split_once('.')) else {
        return false;
    };
    !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_hexdigit())
        && !address.is_empty()
        && address
            .chars()
            .all(|c| is_unreserved(c) || is_sub_delim(c) || c == ':')
}

fn authority<'a>(text: &str, authority: &'a str) -> Result<Authority<'a>, UriError> {
    // userinfo holds no "@", so the first one ends it; any other is the host's to refuse.
    let (userinfo, host_port) = match authority.split_once('@') {
        Some((userinfo, rest)) => {
            check(text, userinfo, Component::UserInfo)?;
            (Some(userinfo), rest)
        }
        None => (None, authority),
    };
    let (host, port) = if host_port.starts_with('[') {
        let close = host_port.find(']').ok_or(UriError::UnclosedIpLiteral {
            position: position_in(text, host_port, 0),
        })?;
        let inside = &host_port[1..close];
        let host = if is_ipv_future(inside) {
            Host::Future(inside)
        } else {
            Host::Ipv6(inside.parse().map_err(|_| UriError::IpLiteral)?)
        };
        let after = &host_port[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            // Whatever follows "]" but a port is not the host's.
            None => {
                return Err(UriError::Character {
                    position: position_in(text, after, 0),
                    character: after.chars().next().unwrap_or(' '),
                    component: Component::Host,
                })
            }
        };
        (host, port)
    } else {
        // reg-name and IPv4address hold no ":", so the first one starts the port.
        let (host, port) = split_at(host_port, ':');
        check(text, host, Component::Host)?;
        // RFC 3986 §3.2.2: IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet,
        // each "0" to "255" without leading zeros. (Rust's parser reads the same form.)
        let host = match host.parse() {
            Ok(address) => Host::Ipv4(address),
            Err(_) => Host::Name(host),
        };
        (host, port)
    };
    if let Some(port) = port {
        check(text, port, Component::Port)?;
    }
    Ok(Authority {
        userinfo,
        host,
        port,
    })
}

/// `text` before the first `delimiter`, and what follows it when there is one.
fn split_at(text: &str, delimiter: char) -> (&str, Option<&str>) {
    match text.split_once(delimiter) {
        Some((before, after)) => (before, Some(after)),
        None => (text, None),
    }
}

/// Parses `text` as a URI (RFC 3986 §3; a relative reference is refused: no scheme).
pub fn parse(text: &str) -> Result<Uri<'_>, UriError> {
    if text.is_empty() {
        return Err(UriError::Empty);
    }
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), ended by the first ":"; a "/",
    // "?" or "#" before any ":" makes a relative reference.
    let Some(colon) = text
        .find([':', '/', '?', '#'])
        .filter(|&i| text[i..].starts_with(':'))
    else {
        return Err(UriError::NoScheme);
    };
    let scheme = &text[..colon];
    if !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return match scheme.chars().next() {
            None => Err(UriError::NoScheme),
            Some(character) => Err(UriError::Character {
                position: 1,
                character,
                component: Component::Scheme,
            }),
        };
    }
    check(text, scheme, Component::Scheme)?;
    let (rest, fragment) = split_at(&text[colon + 1..], '#');
    let (hier, query) = split_at(rest, '?');
    let (authority, path) = match hier.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            (Some(self::authority(text, &after[..end])?), &after[end..])
        }
        // path-absolute, path-rootless or path-empty: not starting with "//", any run of
        // pchar and "/" is one of them.
        None => (None, hier),
    };
    check(text, path, Component::Path)?;
    if let Some(query) = query {
        check(text, query, Component::Query)?;
    }
    if let Some(fragment) = fragment {
        check(text, fragment, Component::Fragment)?;
    }
    Ok(Uri {
        scheme,
        authority,
        path,
        query,
        fragment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn character(position: usize, character: char, component: Component) -> UriError {
        UriError::Character {
            position,
            character,
            component,
        }
    }

    #[test]
    fn uris_in_the_grammar_parse_into_their_parts() {
        let uri = parse("https://u:p@shop.example:8443/a/b;c?x=1&y=/?#top").unwrap();
        assert_eq!(uri.scheme, "https");
        let authority = uri.authority.unwrap();
        assert_eq!(authority.userinfo, Some("u:p"));
        assert_eq!(authority.host, Host::Name("shop.example"));
        assert_eq!(authority.port, Some("8443"));
        assert_eq!(uri.path, "/a/b;c");
        assert_eq!(uri.query, Some("x=1&y=/?"));
        assert_eq!(uri.fragment, Some("top"));

        let cases: [(&str, Option<Host>, &str); 10] = [
            (
                "http://127.0.0.1",
                Some(Host::Ipv4(Ipv4Addr::LOCALHOST)),
                "",
            ),
            (
                "http://[::1]:80/x",
                Some(Host::Ipv6(Ipv6Addr::LOCALHOST)),
                "/x",
            ),
            ("https://[v1.a:b]/", Some(Host::Future("v1.a:b")), "/"),
            ("https://1.2.3.256/", Some(Host::Name("1.2.3.256")), "/"),
            (
                "https://%41.example/%7e",
                Some(Host::Name("%41.example")),
                "/%7e",
            ),
            ("file:///etc/hosts", Some(Host::Name("")), "/etc/hosts"),
            ("urn:ietf:rfc:3986", None, "ietf:rfc:3986"),
            ("mailto:a@example.com", None, "a@example.com"),
            ("x:/absolute", None, "/absolute"),
            ("a+b-c.d:", None, ""),
        ];
        for (text, host, path) in cases {
            let uri = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(uri.authority.map(|a| a.host), host, "{text}");
            assert_eq!(uri.path, path, "{text}");
        }
    }

    #[test]
    fn anything_outside_the_grammar_is_refused_at_its_first_bad_character() {
        use Component::*;
        let cases = [
            ("", UriError::Empty),
            ("//host/path", UriError::NoScheme),
            ("/path:x", UriError::NoScheme),
            ("no-colon", UriError::NoScheme),
            (":x", UriError::NoScheme),
            ("1http://x", character(1, '1', Scheme)),
            (" https://x", character(1, ' ', Scheme)),
            ("ht tp://x", character(3, ' ', Scheme)),
            ("h%41://x", character(2, '%', Scheme)),
            ("https://x/a b", character(12, ' ', Path)),
            ("https://x/a\r\nb", character(12, '\r', Path)),
            ("https://x/a\nb", character(12, '\n', Path)),
            ("https://x/a\tb", character(12, '\t', Path)),
            ("https://x/\0", character(11, '\0', Path)),
            (
                "https://x/caf\u{e9}/\u{1F600}",
                character(14, '\u{e9}', Path),
            ),
            ("https://x/<a>", character(11, '<', Path)),
            ("https://x/a\"b", character(12, '"', Path)),
            ("https://x/a\\b", character(12, '\\', Path)),
            ("https://x/{a}", character(11, '{', Path)),
            ("https://x/a|b", character(12, '|', Path)),
            ("https://x/a^b", character(12, '^', Path)),
            ("https://x/a`b", character(12, '`', Path)),
            ("https://x/?q=a b", character(15, ' ', Query)),
            ("https://x/?q=[1]", character(14, '[', Query)),
            ("https://x/#a#b", character(13, '#', Fragment)),
            ("https://x/#a b", character(13, ' ', Fragment)),
            ("https://x y/", character(10, ' ', Host)),
            (
                "https://b\u{fc}cher.example/",
                character(10, '\u{fc}', Host),
            ),
            ("https://a@b@c/", character(12, '@', Host)),
            ("https://x_y.example:8o/", character(22, 'o', Port)),
            ("https://x:1:2/", character(12, ':', Port)),
            ("https://u\u{0}@x/", character(10, '\0', UserInfo)),
            ("https://u s@x/", character(10, ' ', UserInfo)),
            ("https://x/%", UriError::PercentEncoding { position: 11 }),
            ("https://x/%2", UriError::PercentEncoding { position: 11 }),
            ("https://x/%g0", UriError::PercentEncoding { position: 11 }),
            ("https://x/?%%", UriError::PercentEncoding { position: 12 }),
            ("https://x%/", UriError::PercentEncoding { position: 10 }),
            ("https://[::1/", UriError::UnclosedIpLiteral { position: 9 }),
            ("https://[::1]x/", character(14, 'x', Host)),
            ("https://[1.2.3.4]/", UriError::IpLiteral),
            ("https://[::1%25eth0]/", UriError::IpLiteral),
            ("https://[vz.x]/", UriError::IpLiteral),
            ("https://[]/", UriError::IpLiteral),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_character_by_position_never_quoting_the_input() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            message("https://x/a b"),
            "character 12 (a space) is not allowed in the path"
        );
        assert_eq!(
            message("https://x/a\r\n"),
            "character 12 (U+000D) is not allowed in the path"
        );
        assert_eq!(
            message("https://x/a\"b"),
            "character 12 (U+0022) is not allowed in the path"
        );
        assert_eq!(
            message("https://x/<"),
            "character 11 ('<') is not allowed in the path"
        );
        assert_eq!(
            message("https://\u{1F600}\u{1F600}/"),
            "character 9 (U+1F600) is not allowed in the host"
        );
        let long = format!("https://x/{}", " ".repeat(10_000));
        assert!(message(&long).len() < 80);
    }
}
