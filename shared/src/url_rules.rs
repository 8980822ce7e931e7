//! The one rule for the URLs Gatehouse trusts, shared by the issuer (configuration) and the
//! applications' redirect URIs (seed): https anywhere, plain http only on this machine.

/// The hosts that plain http is allowed on: the loopback interface, by name or address.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Is `url` an https URL with a host, or an http URL whose authority is a loopback host, with
/// an optional port, and nothing else?
///
/// The host must end where the authority ends (RFC 3986 §3.2: at `/`, `?`, `#` or the end), so
/// `http://localhost.evil.example`, `http://127.0.0.1.nip.io` and
/// `http://localhost@evil.example` are not loopback. Schemes and hosts are matched as written
/// (lowercase). Queries and fragments are for the caller to rule on.
pub fn is_https_or_loopback_http(url: &str) -> bool {
    if let Some(rest) = url.strip_prefix("https://") {
        return !authority(rest).is_empty();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = authority(rest);
    LOOPBACK_HOSTS.iter().any(|host| {
        authority.strip_prefix(host).is_some_and(|port| {
            port.is_empty()
                || port.strip_prefix(':').is_some_and(|digits| {
                    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
                })
        })
    })
}

/// The authority of a URL, given what follows `scheme://`.
fn authority(after_scheme: &str) -> &str {
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    &after_scheme[..end]
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
            ("http://localhost.evil.example", false),
            ("http://localhost.evil.example/cb", false),
            ("http://127.0.0.1.nip.io", false),
            ("http://[::1].evil.example", false),
            ("http://localhost@evil.example", false),
            ("http://localhost:", false),
            ("http://localhost:80x/cb", false),
            ("http://evil.example/cb", false),
            ("http://127.0.0.2", false),
            ("https://", false),
            ("https:///path", false),
            ("ftp://x", false),
            ("HTTPS://x", false),
            ("localhost:3000", false),
            ("", false),
        ];
        for (url, accepted) in cases {
            assert_eq!(is_https_or_loopback_http(url), accepted, "{url}");
        }
    }
}
