//! Client secrets: high-entropy strings, stored as SHA-256 digests, compared in constant time.
//!
//! A fast hash is enough here because a client secret is long and random (at least
//! [`MIN_SECRET_LENGTH`] characters): nobody can guess one from its digest. Human passwords are
//! a different matter and get argon2id.

use std::fmt;

use aws_lc_rs::{constant_time, digest, rand};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The shortest client secret accepted when an application is loaded or saved.
pub const MIN_SECRET_LENGTH: usize = 32;

/// The SHA-256 digest of a client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        let digest = digest::digest(&digest::SHA256, secret.as_bytes());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        Self(bytes)
    }

    /// Does this presented secret hash to the stored digest? Constant time in the digest.
    pub fn verify(&self, presented: &str) -> bool {
        let presented = Self::of(presented);
        constant_time::verify_slices_are_equal(&self.0, &presented.0).is_ok()
    }

    /// Storage form: `sha256:<hex>`.
    pub fn to_stored(&self) -> String {
        format!("sha256:{}", hex(&self.0))
    }

    pub fn from_stored(stored: &str) -> Option<Self> {
        let hex = stored.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Whether two byte strings are equal, in time that depends on their lengths only. Every
/// comparison of a secret the server holds with one a request presents goes through here or
/// through [`SecretHash::verify`] (SECURITY.md lists them); a length mismatch is refused at
/// once, which tells only the length, and each caller compares values of a known, public
/// length (43-character tokens, SHA-256 digests) or an operator's token.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// The random bytes of a generated client secret: 256 bits, 43 base64url characters.
pub const GENERATED_SECRET_BYTES: usize = 32;

/// A new client secret, generated for an application by the server (created or rotated):
/// 256 random bits as 43 URL-safe characters, shown once and stored only as its hash.
pub fn generate_client_secret() -> String {
    random_token(GENERATED_SECRET_BYTES)
}

/// `bytes` in lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random bytes from the operating system, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// .cargo/config.toml builds aws-lc without CPU jitter entropy (its initialisation was
    /// most of a cold start): randomness is seeded from the kernel (getrandom). This fails if
    /// a build stops reading that setting, e.g. a build run from another folder.
    #[test]
    fn randomness_comes_from_the_os_not_cpu_jitter() {
        assert_eq!(random_token(32).len(), 43);
        // SAFETY: a query of aws-lc's build configuration, no arguments, no state.
        let jitter = unsafe { aws_lc_sys::FIPS_is_entropy_cpu_jitter() };
        assert_eq!(jitter, 0, "aws-lc was built with CPU jitter entropy");
    }

    #[test]
    fn a_secret_verifies_against_its_own_hash_only() {
        let hash = SecretHash::of("correct horse battery staple 0123456789");
        assert!(hash.verify("correct horse battery staple 0123456789"));
        assert!(!hash.verify("correct horse battery staple 012345678"));
        assert!(!hash.verify(""));
    }

    #[test]
    fn constant_time_eq_is_true_for_equal_bytes_only_whatever_the_lengths() {
        let token = random_token(32);
        let mut last_differs = token.clone().into_bytes();
        *last_differs.last_mut().unwrap() ^= 1;
        let mut first_differs = token.clone().into_bytes();
        first_differs[0] ^= 1;
        let same = token.clone();
        let longer = format!("{token}x");
        let cases: [(&[u8], &[u8], bool); 9] = [
            (token.as_bytes(), same.as_bytes(), true),
            (b"", b"", true),
            (token.as_bytes(), &last_differs, false),
            (token.as_bytes(), &first_differs, false),
            // Different lengths: a prefix, one byte more, nothing.
            (token.as_bytes(), &token.as_bytes()[..42], false),
            (&token.as_bytes()[..42], token.as_bytes(), false),
            (token.as_bytes(), longer.as_bytes(), false),
            (token.as_bytes(), b"", false),
            (b"", token.as_bytes(), false),
        ];
        for (a, b, equal) in cases {
            assert_eq!(
                constant_time_eq(a, b),
                equal,
                "{:?} vs {:?}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            );
        }
    }

    #[test]
    fn the_stored_form_round_trips_and_rejects_garbage() {
        let hash = SecretHash::of("s");
        assert_eq!(SecretHash::from_stored(&hash.to_stored()), Some(hash));
        for bad in [
            "",
            "sha256:",
            "md5:00",
            "sha256:zz",
            &format!("sha256:{}", "é".repeat(32)),
        ] {
            assert_eq!(SecretHash::from_stored(bad), None, "{bad}");
        }
    }

    #[test]
    fn generated_secrets_are_43_url_safe_characters_and_long_enough_for_a_seed() {
        let secret = generate_client_secret();
        assert_eq!(secret.len(), 43);
        assert!(secret.len() >= MIN_SECRET_LENGTH);
        assert!(secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(secret, generate_client_secret());
    }

    #[test]
    fn random_tokens_differ_and_carry_the_asked_entropy() {
        let (a, b) = (random_token(32), random_token(32));
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(a).unwrap().len(), 32);
    }
}
