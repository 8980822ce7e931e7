//! PKCE (RFC 7636) for the authorization code grant: only the `S256` method is served.
//!
//! `plain` is refused: it protects nothing against an attacker who can read the authorization
//! request (RFC 9700 §2.1.1: "use a code challenge method that does not expose the PKCE
//! verifier in the authorization request", and S256 is one every client can compute).

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The methods the metadata advertises (`code_challenge_methods_supported`).
pub const METHODS_SUPPORTED: [&str; 1] = ["S256"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge_method must be S256 (plain is not supported)")]
    UnsupportedMethod,
    #[error("code_challenge must be 43 base64url characters, the S256 of a code_verifier")]
    MalformedChallenge,
    #[error("code_challenge_method was given without a code_challenge")]
    MethodWithoutChallenge,
    #[error("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")]
    MalformedVerifier,
}

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The challenge of an authorization request, checked: `None` when the request has none.
/// RFC 7636 §4.3: the method "defaults to plain if not present", which is refused here, so a
/// challenge needs `code_challenge_method=S256`.
pub fn parse_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, PkceError> {
    match (challenge, method) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(PkceError::MethodWithoutChallenge),
        (Some(_), None | Some("plain")) => Err(PkceError::UnsupportedMethod),
        (Some(challenge), Some("S256")) => {
            let decodes_to_a_digest = URL_SAFE_NO_PAD
                .decode(challenge)
                .is_ok_and(|bytes| bytes.len() == 32);
            if challenge.len() == 43 && decodes_to_a_digest {
                Ok(Some(challenge.to_owned()))
            } else {
                Err(PkceError::MalformedChallenge)
            }
        }
        (Some(_), Some(_)) => Err(PkceError::UnsupportedMethod),
    }
}

/// RFC 7636 §4.2: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, for a well-formed
/// verifier.
pub fn s256_challenge(verifier: &str) -> Result<String, PkceError> {
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
        return Err(PkceError::MalformedVerifier);
    }
    let digest = digest::digest(&digest::SHA256, verifier.as_bytes());
    Ok(URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_s256_challenge_of_rfc_7636_appendix_b_is_reproduced() {
        assert_eq!(s256_challenge(VERIFIER).unwrap(), CHALLENGE);
    }

    #[test]
    fn challenges_are_accepted_only_as_s256_and_well_formed() {
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Result<Option<String>, PkceError>,
        );
        let cases: [Case; 7] = [
            (None, None, Ok(None)),
            (
                Some(CHALLENGE),
                Some("S256"),
                Ok(Some(CHALLENGE.to_owned())),
            ),
            (Some(CHALLENGE), None, Err(PkceError::UnsupportedMethod)),
            (
                Some(CHALLENGE),
                Some("plain"),
                Err(PkceError::UnsupportedMethod),
            ),
            (
                Some(CHALLENGE),
                Some("s256"),
                Err(PkceError::UnsupportedMethod),
            ),
            (None, Some("S256"), Err(PkceError::MethodWithoutChallenge)),
            (
                Some("too-short"),
                Some("S256"),
                Err(PkceError::MalformedChallenge),
            ),
        ];
        for (challenge, method, expected) in cases {
            assert_eq!(
                parse_challenge(challenge, method),
                expected,
                "{challenge:?} {method:?}"
            );
        }
        let padded = format!("{}=", &CHALLENGE[..42]);
        assert_eq!(
            parse_challenge(Some(&padded), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
    }

    #[test]
    fn verifiers_must_be_43_to_128_unreserved_characters() {
        let cases = [
            ("a".repeat(42), false),
            ("a".repeat(43), true),
            ("a".repeat(128), true),
            ("a".repeat(129), false),
            (format!("{}+", "a".repeat(43)), false),
            (format!("{} ", "a".repeat(43)), false),
            (format!("{}-._~", "a".repeat(43)), true),
        ];
        for (verifier, ok) in cases {
            assert_eq!(s256_challenge(&verifier).is_ok(), ok, "{verifier}");
        }
    }
}
