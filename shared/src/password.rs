//! Customer and user passwords: argon2id with OWASP's minimum parameters.
//!
//! OWASP Password Storage Cheat Sheet: "Use Argon2id with a minimum configuration of 19 MiB of
//! memory, an iteration count of 2, and 1 degree of parallelism." Those are the parameters
//! here (m = 19456 KiB, t = 2, p = 1). Verification reads the parameters stored in each hash,
//! so they can be raised later without invalidating existing hashes.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A password hash in PHC string form (`$argon2id$v=19$m=19456,t=2,p=1$…`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an argon2id PHC string")]
pub struct MalformedPasswordHash;

impl PasswordHash {
    pub fn of(password: &str) -> Self {
        let mut salt = [0u8; 16];
        aws_lc_rs::rand::fill(&mut salt).expect("the operating system's random source failed");
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        let hash = hasher()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing with valid parameters");
        Self(hash.to_string())
    }

    pub fn from_stored(stored: &str) -> Result<Self, MalformedPasswordHash> {
        let phc = Phc::new(stored).map_err(|_| MalformedPasswordHash)?;
        if phc.algorithm.as_str() != "argon2id" {
            return Err(MalformedPasswordHash);
        }
        Ok(Self(stored.to_owned()))
    }

    pub fn as_stored(&self) -> &str {
        &self.0
    }

    pub fn verify(&self, password: &str) -> bool {
        match Phc::new(&self.0) {
            Ok(phc) => Argon2::default()
                .verify_password(password.as_bytes(), &phc)
                .is_ok(),
            Err(_) => false,
        }
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// Checks a password against a hash, or, when there is no account, against a fixed dummy hash,
/// so that an unknown email costs the same time as a wrong password.
pub fn verify_or_dummy(hash: Option<&PasswordHash>, password: &str) -> bool {
    match hash {
        Some(hash) => hash.verify(password),
        None => {
            dummy_hash().verify(password);
            false
        }
    }
}

/// The dummy hash, made once. Call at cold start, so that no request pays for making it (and
/// the first unknown email does not stand out by its time).
pub fn dummy_hash() -> &'static PasswordHash {
    static DUMMY: OnceLock<PasswordHash> = OnceLock::new();
    DUMMY.get_or_init(|| PasswordHash::of("gatehouse dummy password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_argon2id_hash_only() {
        let hash = PasswordHash::of("hunter2 is not a good password");
        assert!(hash
            .as_stored()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hash.verify("hunter2 is not a good password"));
        assert!(!hash.verify("hunter2"));
        assert_ne!(
            hash,
            PasswordHash::of("hunter2 is not a good password"),
            "salted"
        );
    }

    #[test]
    fn stored_hashes_round_trip_and_other_formats_are_refused() {
        let hash = PasswordHash::of("p");
        assert_eq!(PasswordHash::from_stored(hash.as_stored()).unwrap(), hash);
        for bad in [
            "",
            "plain",
            "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
            "sha256:00",
        ] {
            assert!(PasswordHash::from_stored(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unknown_account_never_verifies_whatever_the_password() {
        assert!(!verify_or_dummy(None, "gatehouse dummy password"));
        assert!(!verify_or_dummy(None, ""));
    }
}
