//! Customer and user passwords: argon2id with OWASP's minimum parameters.
//!
//! OWASP Password Storage Cheat Sheet: "Use Argon2id with a minimum configuration of 19 MiB of
//! memory, an iteration count of 2, and 1 degree of parallelism." Those are the parameters
//! here (m = 19456 KiB, t = 2, p = 1). Verification reads the parameters stored in each hash,
//! so they can be raised later without invalidating existing hashes.
//!
//! An argon2 run takes tens of milliseconds of CPU on purpose; request handlers use the async
//! wrappers ([`verify_or_dummy_async`], [`hash_async`]), which run it on tokio's blocking pool
//! so that it does not hold up the other requests an async worker thread serves.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

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
///
/// One made from a seed file's plain-text password ([`PasswordHash::deferred`]) is computed when
/// it is first needed (a sign-in, or `gatehouse import` writing it out), not when the seed is
/// read: hashing every seed password at start was most of `gatehouse serve`'s cold start (tens
/// of milliseconds each, by design). Until then the password stays in memory, as it is in the
/// seed file the process read. Clones share the one hash.
#[derive(Clone)]
pub struct PasswordHash(Arc<HashState>);

struct HashState {
    phc: OnceLock<String>,
    /// The password of a deferred hash, taken when the hash is computed.
    pending: Mutex<Option<String>>,
}

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
        Self::computed(hash.to_string())
    }

    /// The hash of `password`, computed on first use (see the type's documentation).
    pub fn deferred(password: &str) -> Self {
        Self(Arc::new(HashState {
            phc: OnceLock::new(),
            pending: Mutex::new(Some(password.to_owned())),
        }))
    }

    fn computed(phc: String) -> Self {
        Self(Arc::new(HashState {
            phc: OnceLock::from(phc),
            pending: Mutex::new(None),
        }))
    }

    pub fn from_stored(stored: &str) -> Result<Self, MalformedPasswordHash> {
        let phc = Phc::new(stored).map_err(|_| MalformedPasswordHash)?;
        if phc.algorithm.as_str() != "argon2id" {
            return Err(MalformedPasswordHash);
        }
        Ok(Self::computed(stored.to_owned()))
    }

    /// The PHC string, computing a deferred hash first (once, whoever asks first).
    pub fn as_stored(&self) -> &str {
        self.0.phc.get_or_init(|| {
            let password = self
                .0
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .expect("a deferred hash keeps its password until it is computed");
            PasswordHash::of(&password).as_stored().to_owned()
        })
    }

    /// Whether the hash exists yet (a deferred one does once something needed it).
    pub fn is_computed(&self) -> bool {
        self.0.phc.get().is_some()
    }

    pub fn verify(&self, password: &str) -> bool {
        verify_phc(self.as_stored(), password)
    }
}

impl PartialEq for PasswordHash {
    fn eq(&self, other: &Self) -> bool {
        self.as_stored() == other.as_stored()
    }
}

impl Eq for PasswordHash {}

fn verify_phc(stored: &str, password: &str) -> bool {
    match Phc::new(stored) {
        Ok(phc) => Argon2::default()
            .verify_password(password.as_bytes(), &phc)
            .is_ok(),
        Err(_) => false,
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// The hash an unknown email's password is checked against, so that the check costs what a
/// real customer's does (same algorithm, parameters, salt and output lengths; a test holds it
/// to [`MEMORY_KIB`], [`ITERATIONS`] and [`PARALLELISM`]) and no email stands out by its
/// response time. Made once by [`PasswordHash::of`] from 32 random bytes that were then thrown
/// away, so no password verifies against it; a constant, so that no cold start spends an
/// argon2 run making it.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$CUfno6D9DkyFr9utmT4LUA$RB7wQQQLiUlqiN1F/jxPNu/A9QN5b71sOyxMj3znfBE";

/// Checks a password against a hash, or, when there is no account, against [`DUMMY_HASH`], so
/// that an unknown email costs the same time as a wrong password. Blocks for an argon2 run: in
/// async code, use [`verify_or_dummy_async`].
pub fn verify_or_dummy(hash: Option<&PasswordHash>, password: &str) -> bool {
    match hash {
        Some(hash) => hash.verify(password),
        None => {
            // black_box: the result is ignored, but the work must be done, for the timing.
            std::hint::black_box(verify_phc(DUMMY_HASH, password));
            false
        }
    }
}

/// [`verify_or_dummy`], run on tokio's blocking pool.
pub async fn verify_or_dummy_async(hash: Option<PasswordHash>, password: String) -> bool {
    off_async_threads(move || verify_or_dummy(hash.as_ref(), &password)).await
}

/// [`PasswordHash::of`], run on tokio's blocking pool.
pub async fn hash_async(password: String) -> PasswordHash {
    off_async_threads(move || PasswordHash::of(&password)).await
}

async fn off_async_threads<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        // A panic in the work is the caller's, as if the work had run inline.
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => panic!("the tokio runtime shut down during a password check"),
    }
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
    fn a_deferred_hash_is_computed_once_on_first_use_and_then_acts_as_any_other() {
        let deferred = PasswordHash::deferred("a seed password");
        let shared = deferred.clone();
        assert!(
            !deferred.is_computed(),
            "nothing is hashed when the seed is read"
        );
        assert!(deferred.verify("a seed password"));
        assert!(shared.is_computed(), "clones share the one hash");
        assert!(!shared.verify("another password"));
        let stored = deferred.as_stored().to_owned();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(shared.as_stored(), stored, "computed once");
        assert_eq!(PasswordHash::from_stored(&stored).unwrap(), deferred);
        assert_ne!(
            PasswordHash::deferred("a seed password"),
            deferred,
            "each has its own salt"
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
        for password in [
            "",
            " ",
            "password",
            "123456",
            "gatehouse dummy password",
            "dummy",
            DUMMY_HASH,
        ] {
            assert!(!verify_or_dummy(None, password), "{password:?}");
            assert!(!verify_phc(DUMMY_HASH, password), "{password:?}");
        }
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_customers_hash_costs() {
        let dummy = Phc::new(DUMMY_HASH).expect("a PHC string");
        let real_hash = PasswordHash::of("a real customer's password");
        let real = Phc::new(real_hash.as_stored()).unwrap();
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        assert_eq!(dummy.version, Some(0x13));
        let expected = [("m", MEMORY_KIB), ("t", ITERATIONS), ("p", PARALLELISM)];
        for (name, value) in expected {
            assert_eq!(
                dummy.params.get_decimal(name),
                Some(value),
                "dummy hash {name}"
            );
        }
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(
            dummy.salt.map(|salt| salt.len()),
            real.salt.map(|salt| salt.len())
        );
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(PasswordHash::from_stored(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn the_async_wrappers_hash_and_verify_like_the_blocking_functions() {
        let hash = hash_async("correct horse".to_owned()).await;
        assert!(hash
            .as_stored()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_or_dummy_async(Some(hash.clone()), "correct horse".to_owned()).await);
        assert!(!verify_or_dummy_async(Some(hash), "wrong horse".to_owned()).await);
        assert!(!verify_or_dummy_async(None, "correct horse".to_owned()).await);
    }
}
