//! Customer and user passwords: argon2id with OWASP's minimum parameters.
//!
//! OWASP Password Storage Cheat Sheet: "Use Argon2id with a minimum configuration of 19 MiB of
//! memory, an iteration count of 2, and 1 degree of parallelism." Those are the parameters
//! here (m = 19456 KiB, t = 2, p = 1). Verification reads the parameters stored in each hash,
//! so they can be raised later without invalidating existing hashes.
//!
//! An argon2 run takes tens of milliseconds of CPU and 19 MiB of memory on purpose. Request
//! handlers and `gatehouse import` run it through the edge's bound (`gatehouse_edge::hashing`): at most a
//! configured number of runs at once, on tokio's blocking pool, each in a block buffer of
//! its own; a request that waits past the deadline for its turn is told to come back later.
//! The blocking methods here ([`PasswordHash::of`], [`PasswordHash::verify`], and
//! [`PasswordHash::as_stored`] of a deferred hash) run outside that bound, for tests and tools.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{Output, ParamsString, PasswordHash as Phc, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid argon2 parameters")
}

/// The memory argon2 works in (one [`Block`] per KiB of its `m` parameter), and the count of
/// runs made in it, so that a caller can tell how many runs a piece of work cost.
pub struct Argon2Memory {
    blocks: Vec<Block>,
    runs: u64,
}

impl Default for Argon2Memory {
    fn default() -> Self {
        Self::new()
    }
}

impl Argon2Memory {
    /// Memory for one run at this module's parameters, allocated now.
    pub fn new() -> Self {
        Self {
            blocks: vec![Block::default(); params().block_count()],
            runs: 0,
        }
    }

    /// One argon2 run of `password` with `salt` under `params` into `out`. The blocks grow
    /// when a stored hash asks for more memory than this module's parameters (they can be
    /// raised later); argon2 writes every block it reads within a run, so a buffer is reused
    /// as it is.
    fn run(
        &mut self,
        algorithm: Algorithm,
        version: Version,
        params: Params,
        password: &str,
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let needed = params.block_count();
        if self.blocks.len() < needed {
            self.blocks.resize(needed, Block::default());
        }
        self.runs += 1;
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            out,
            &mut self.blocks[..needed],
        )
    }

    /// The runs made since the last call.
    pub fn take_runs(&mut self) -> u64 {
        std::mem::take(&mut self.runs)
    }

    /// A new PHC string for `password`, with a random salt: one run.
    pub fn hash(&mut self, password: &str) -> String {
        let mut raw_salt = [0u8; 16];
        aws_lc_rs::rand::fill(&mut raw_salt).expect("the operating system's random source failed");
        let salt = SaltString::encode_b64(&raw_salt).expect("16 bytes make a valid salt");
        let params = params();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.run(
            Algorithm::Argon2id,
            Version::V0x13,
            params.clone(),
            password,
            &raw_salt,
            &mut out,
        )
        .expect("argon2 hashing with valid parameters");
        Phc {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).expect("valid argon2 parameters"),
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).expect("a 32-byte output")),
        }
        .to_string()
    }

    /// Whether `password` hashes to `stored` under the algorithm, version, parameters and salt
    /// `stored` names: one run, what `argon2`'s `PasswordVerifier` does, in this memory. The
    /// outputs are compared by `Output`'s `PartialEq`, which is constant time.
    fn verify(&mut self, stored: &str, password: &str) -> bool {
        let Ok(phc) = Phc::new(stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
            return false;
        };
        let (Ok(algorithm), Ok(params)) =
            (Algorithm::try_from(phc.algorithm), Params::try_from(&phc))
        else {
            return false;
        };
        let version = match phc.version.map(Version::try_from) {
            None => Version::default(),
            Some(Ok(version)) => version,
            Some(Err(_)) => return false,
        };
        let mut raw_salt = [0u8; 64];
        let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        if self
            .run(algorithm, version, params, password, raw_salt, &mut out)
            .is_err()
        {
            return false;
        }
        Output::new(&out).is_ok_and(|computed| computed == expected)
    }
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
    /// The hash of `password`, computed now, outside `PasswordHashing`'s bound (for tests and
    /// tools; a request handler uses `PasswordHashing::hash`).
    pub fn of(password: &str) -> Self {
        Self::computed(Argon2Memory::new().hash(password))
    }

    /// The hash of `password`, computed on first use (see the type's documentation).
    pub fn deferred(password: &str) -> Self {
        Self(Arc::new(HashState {
            phc: OnceLock::new(),
            pending: Mutex::new(Some(password.to_owned())),
        }))
    }

    pub fn computed(phc: String) -> Self {
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

    /// The PHC string, computing a deferred hash first (once, whoever asks first), outside
    /// `PasswordHashing`'s bound: `gatehouse import` computes them through it beforehand
    /// (`PasswordHashing::compute`).
    pub fn as_stored(&self) -> &str {
        match self.0.phc.get() {
            Some(stored) => stored,
            None => self.computed_in(&mut Argon2Memory::new()),
        }
    }

    /// The PHC string, computing a deferred hash in `memory` first. The pending password is
    /// dropped only once the hash is set, so that whoever finds it gone finds the hash.
    pub fn computed_in(&self, memory: &mut Argon2Memory) -> &str {
        let stored = self.0.phc.get_or_init(|| {
            let password = self
                .pending()
                .clone()
                .expect("a deferred hash keeps its password until it is computed");
            memory.hash(&password)
        });
        self.pending().take();
        stored
    }

    /// The pending password; a panic elsewhere while it was held leaves it as it was.
    fn pending(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.0.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the hash exists yet (a deferred one does once something needed it).
    pub fn is_computed(&self) -> bool {
        self.0.phc.get().is_some()
    }

    /// Checks a password, outside `PasswordHashing`'s bound (for tests and tools).
    pub fn verify(&self, password: &str) -> bool {
        self.verify_in(&mut Argon2Memory::new(), password)
    }

    /// Checks a password in exactly one argon2 run, the cost of checking an unknown account's
    /// against the dummy hash, so that no account stands out by its response time. A deferred
    /// hash not computed yet is not computed and then verified (two runs: the first sign-in
    /// of an account would take twice as long as any other attempt, telling that it exists).
    /// Instead the password is compared with the pending one in constant time, and the one
    /// run computes the stored hash, with the parameters a verification uses.
    fn verify_in(&self, memory: &mut Argon2Memory, password: &str) -> bool {
        if let Some(stored) = self.0.phc.get() {
            return memory.verify(stored, password);
        }
        let Some(pending) = self.pending().clone() else {
            // Another check computed it meanwhile: the hash is set before the pending
            // password is dropped, so it is there now.
            let stored = self
                .0
                .phc
                .get()
                .expect("set before the password is dropped");
            return memory.verify(stored, password);
        };
        let matches = same_password(&pending, password);
        // Checks that come at once each make their run; the first to finish keeps its hash.
        self.0.phc.get_or_init(|| memory.hash(&pending));
        self.pending().take();
        matches
    }
}

/// Whether two passwords are the same, in time that does not depend on where they differ or
/// on their lengths: their SHA-256 digests compared in constant time.
fn same_password(a: &str, b: &str) -> bool {
    use aws_lc_rs::digest::{digest, SHA256};
    crate::secret::constant_time_eq(
        digest(&SHA256, a.as_bytes()).as_ref(),
        digest(&SHA256, b.as_bytes()).as_ref(),
    )
}

impl PartialEq for PasswordHash {
    fn eq(&self, other: &Self) -> bool {
        self.as_stored() == other.as_stored()
    }
}

impl Eq for PasswordHash {}

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
/// that an unknown email costs the same time as a wrong password: one argon2 run in `memory`.
pub fn verify_or_dummy(
    memory: &mut Argon2Memory,
    hash: Option<&PasswordHash>,
    password: &str,
) -> bool {
    match hash {
        Some(hash) => hash.verify_in(memory, password),
        None => {
            // black_box: the result is ignored, but the work must be done, for the timing.
            std::hint::black_box(memory.verify(DUMMY_HASH, password));
            false
        }
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
    fn a_deferred_hash_costs_one_run_a_check_the_first_one_included() {
        let mut memory = Argon2Memory::new();
        let deferred = PasswordHash::deferred("a seed password");
        assert!(!deferred.verify_in(&mut memory, "not the seed password"));
        assert_eq!(memory.take_runs(), 1, "first check, wrong password");
        assert!(deferred.is_computed(), "the one run computed the hash");
        assert!(deferred.verify_in(&mut memory, "a seed password"));
        assert_eq!(memory.take_runs(), 1, "later check");
        let deferred = PasswordHash::deferred("a seed password");
        assert!(deferred.verify_in(&mut memory, "a seed password"));
        assert_eq!(memory.take_runs(), 1, "first check, right password");
        assert!(deferred.verify_in(&mut memory, "a seed password"));
        assert!(!deferred.verify_in(&mut memory, "a seed passwore"));
        assert!(!verify_or_dummy(&mut memory, None, "a seed password"));
        assert_eq!(memory.take_runs(), 3, "later checks and an unknown account");
    }

    #[test]
    fn passwords_compare_equal_only_when_they_are() {
        assert!(same_password("", ""));
        assert!(same_password("é", "é"));
        for (a, b) in [("a", "b"), ("a", "ab"), ("", " "), ("password", "Password")] {
            assert!(!same_password(a, b), "{a:?} {b:?}");
        }
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
        let mut memory = Argon2Memory::new();
        for password in [
            "",
            " ",
            "password",
            "123456",
            "gatehouse dummy password",
            "dummy",
            DUMMY_HASH,
        ] {
            assert!(
                !verify_or_dummy(&mut memory, None, password),
                "{password:?}"
            );
            assert!(!memory.verify(DUMMY_HASH, password), "{password:?}");
        }
        assert_eq!(memory.take_runs(), 14, "one run a check");
    }

    #[test]
    fn a_hash_made_by_the_argon2_crate_verifies_here_and_one_made_here_there() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"correct horse", &SaltString::encode_b64(&[7; 16]).unwrap())
            .unwrap()
            .to_string();
        let mut memory = Argon2Memory::new();
        assert!(memory.verify(&theirs, "correct horse"));
        assert!(!memory.verify(&theirs, "correct horsf"));
        let ours = memory.hash("battery staple");
        let parsed = Phc::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"battery staple", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"battery stable", &parsed)
            .is_err());
    }

    #[test]
    fn a_hash_with_other_parameters_verifies_in_memory_made_for_these() {
        use argon2::password_hash::PasswordHasher;
        let bigger = Params::new(MEMORY_KIB + 1024, 1, 1, None).unwrap();
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, bigger)
            .hash_password(b"raised later", &SaltString::encode_b64(&[9; 16]).unwrap())
            .unwrap()
            .to_string();
        let mut memory = Argon2Memory::new();
        assert!(memory.verify(&stored, "raised later"));
        let ours = memory.hash("then these again");
        assert!(memory.verify(&ours, "then these again"));
        assert!(!memory.verify("$argon2id$v=19$m=19456,t=2,p=1$bad", "x"));
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
}
