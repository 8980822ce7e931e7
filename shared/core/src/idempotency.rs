//! Idempotency keys of administrative changes: the admin API's `Idempotency-Key` field
//! (draft-ietf-httpapi-idempotency-key-header) and the `gatehouse` commands'
//! `--idempotency-key`. A change is kept with a record of its request, named after the key and
//! its caller, holding the request's fingerprint and what the change answered; the same
//! request sent again under the same key is answered from that record, not made again. Pure
//! rules and crypto, no I/O: the stores keep the records (`store::replays`).
//!
//! A create or a rotation answers a new client secret, shown once, which the server never
//! keeps readable: only its hash is stored. To answer it again, the record keeps the secret
//! *sealed* ([`SealedSecret`]): AES-256-GCM under a key derived (HKDF-SHA256, with a random
//! salt) from the idempotency key, which is never stored (the record's name is a hash of it).
//! Only a caller presenting the key can open it, and only through the admin API as the same
//! caller; the table alone does not open it. Deriving the secret from the key instead would
//! make the secret no stronger than the key for anyone who learns the key; sealing keeps a
//! full 256-bit secret, and the key only guards the one copy kept for retries. That copy is as
//! safe as the key is hard to guess, which is why a key is at least 16 characters and a UUID or
//! the commands' 32 random bytes are what to use; it is kept for [`REPLAY_WINDOW`], and a
//! request sent without a key is given a random one that no one keeps, so its sealed copy can
//! never be opened by anyone but the process that made it.

use std::time::Duration;

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::{digest, hkdf, rand};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::secret::{hex, random_token};

/// How long a change is remembered under its key. The draft: "The resource server SHOULD
/// define such expiration policy and publish it in the documentation" (the README does).
pub const REPLAY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The shortest and longest key accepted, in characters.
pub const MIN_KEY_LENGTH: usize = 16;
pub const MAX_KEY_LENGTH: usize = 255;

/// The random bytes of a key made up for a request that came without one, or by a command.
const GENERATED_KEY_BYTES: usize = 32;

/// An idempotency key: 16 to 255 visible ASCII characters other than `"`, `\` and `,`. The
/// key itself is never stored nor logged (its `Debug` hides it): it opens the sealed secret.
#[derive(Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The key an `Idempotency-Key` field value names, or why it names none. The draft:
    /// "`Idempotency-Key` is an Item Structured Header [RFC8941]. Its value MUST be a String",
    /// an sf-string in double quotes; the bare form that Stripe and others send is accepted
    /// too and names the same key. A comma is refused: it is how two field lines are joined
    /// (API Gateway joins them so), and "Clients MUST NOT include more than one
    /// `Idempotency-Key` header field in the same request".
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim_matches([' ', '\t']);
        let key = match value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            true => &value[1..value.len() - 1],
            false => value,
        };
        if key.contains(',') {
            return Err("send one Idempotency-Key, not a list".into());
        }
        if !key
            .chars()
            .all(|c| matches!(c, '!'..='~') && c != '"' && c != '\\')
        {
            return Err(
                "Idempotency-Key may hold only visible ASCII characters other than '\"', '\\' and ',' (a UUID, say)"
                    .into(),
            );
        }
        if !(MIN_KEY_LENGTH..=MAX_KEY_LENGTH).contains(&key.len()) {
            return Err(format!(
                "Idempotency-Key must be {MIN_KEY_LENGTH} to {MAX_KEY_LENGTH} characters, got {}",
                key.len()
            ));
        }
        Ok(Self(key.to_owned()))
    }

    /// A new random key: 256 bits as 43 URL-safe characters.
    pub fn generate() -> Self {
        Self(random_token(GENERATED_KEY_BYTES))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdempotencyKey(..)")
    }
}

fn sha256_hex(framed: &[&[u8]]) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in framed {
        // Each part with its length first, so that no two lists of parts hash alike.
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    hex(context.finish().as_ref())
}

/// The name of the record of `actor`'s request under `key`. The draft: "implement a unique
/// composite key as the idempotent cache lookup key ... by combining the idempotency key sent
/// by the client with other client specific attributes known only to the resource server":
/// one caller's key never finds another caller's change (nor its secret). Hashed, so that
/// the record does not hold the key that opens its sealed secret.
pub fn record_name(actor: &str, key: &IdempotencyKey) -> String {
    sha256_hex(&[
        b"gatehouse admin request",
        actor.as_bytes(),
        key.0.as_bytes(),
    ])
}

/// The fingerprint of a request: a hash of what it asks (the change and its parameters, as
/// the caller gave them). The draft's "Idempotency Fingerprint ... generated from request
/// payload data by the resource server": a key sent again with another fingerprint is another
/// request, refused.
pub fn fingerprint(parts: &[&str]) -> String {
    let parts: Vec<&[u8]> = parts.iter().map(|part| part.as_bytes()).collect();
    sha256_hex(&parts)
}

/// A client secret sealed under an idempotency key (see the module's documentation), bound to
/// its record's name. Stored as `v1.<salt>.<nonce>.<ciphertext and tag>`, base64url.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(String);

const SEAL_INFO: &[u8] = b"gatehouse admin replay secret v1";
const SALT_BYTES: usize = 32;

/// The AES-256 key for one seal: HKDF-SHA256 of the idempotency key with the seal's salt.
fn sealing_key(key: &IdempotencyKey, salt: &[u8]) -> Option<RandomizedNonceKey> {
    let mut bytes = [0u8; 32];
    hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
        .extract(key.0.as_bytes())
        .expand(&[SEAL_INFO], hkdf::HKDF_SHA256)
        .ok()?
        .fill(&mut bytes)
        .ok()?;
    RandomizedNonceKey::new(&AES_256_GCM, &bytes).ok()
}

impl SealedSecret {
    pub fn seal(secret: &str, key: &IdempotencyKey, record: &str) -> Self {
        let mut salt = [0u8; SALT_BYTES];
        rand::fill(&mut salt).expect("the operating system's random source failed");
        let sealing = sealing_key(key, &salt).expect("a 32-byte AES-256-GCM key");
        let mut data = secret.as_bytes().to_vec();
        let nonce = sealing
            .seal_in_place_append_tag(Aad::from(record.as_bytes()), &mut data)
            .expect("AES-256-GCM seals any secret this short");
        Self(format!(
            "v1.{}.{}.{}",
            URL_SAFE_NO_PAD.encode(salt),
            URL_SAFE_NO_PAD.encode(nonce.as_ref()),
            URL_SAFE_NO_PAD.encode(data)
        ))
    }

    /// The secret, when `key` is the one it was sealed under and `record` its record; None
    /// otherwise (or when the stored form is damaged).
    pub fn open(&self, key: &IdempotencyKey, record: &str) -> Option<String> {
        let ["v1", salt, nonce, data] = self.0.split('.').collect::<Vec<_>>()[..] else {
            return None;
        };
        let salt = URL_SAFE_NO_PAD.decode(salt).ok()?;
        let nonce: [u8; NONCE_LEN] = URL_SAFE_NO_PAD.decode(nonce).ok()?.try_into().ok()?;
        let mut data = URL_SAFE_NO_PAD.decode(data).ok()?;
        let opened = sealing_key(key, &salt)?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(record.as_bytes()),
                &mut data,
            )
            .ok()?;
        String::from_utf8(opened.to_vec()).ok()
    }

    pub fn to_stored(&self) -> &str {
        &self.0
    }

    pub fn from_stored(stored: impl Into<String>) -> Self {
        Self(stored.into())
    }
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "8e03978e-40d5-43e8-bc93-6894a57f9324";

    #[test]
    fn a_key_is_taken_bare_or_as_an_sf_string_and_refused_outside_its_grammar() {
        let bare = IdempotencyKey::parse(UUID).unwrap();
        assert_eq!(IdempotencyKey::parse(&format!("\"{UUID}\"")).unwrap(), bare);
        assert_eq!(bare.as_str(), UUID);
        assert_eq!(format!("{bare:?}"), "IdempotencyKey(..)");
        for (value, expected) in [
            ("short", "must be 16 to 255"),
            ("\"\"", "must be 16 to 255"),
            (&"k".repeat(256), "must be 16 to 255"),
            ("a key with spaces-0123", "may hold only"),
            ("tab\there-0123456789", "may hold only"),
            ("non-ascii-é-0123456789", "may hold only"),
            ("back\\slash-0123456789", "may hold only"),
            ("\"unterminated-0123456789", "may hold only"),
            ("nul\0-0123456789abcdef", "may hold only"),
            ("first-0123456789, second-0123456789", "send one"),
            ("\"first-0123456789\", \"second-012345678\"", "send one"),
        ] {
            let error = IdempotencyKey::parse(value).unwrap_err();
            assert!(error.contains(expected), "{value:?}: {error}");
        }
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(255))
                .unwrap()
                .as_str()
                .len(),
            255
        );
        let generated = IdempotencyKey::generate();
        assert_eq!(
            IdempotencyKey::parse(generated.as_str()).unwrap(),
            generated
        );
        assert_ne!(IdempotencyKey::generate(), generated);
    }

    #[test]
    fn a_record_is_named_by_its_caller_and_key_and_holds_neither() {
        let key = IdempotencyKey::parse(UUID).unwrap();
        let other = IdempotencyKey::parse("9e03978e-40d5-43e8-bc93-6894a57f9324").unwrap();
        let name = record_name("alice", &key);
        assert_eq!(name, record_name("alice", &key));
        assert_ne!(name, record_name("bob", &key));
        assert_ne!(name, record_name("alice", &other));
        // The framing keeps actor and key apart.
        assert_ne!(
            record_name(
                "alice-",
                &IdempotencyKey::parse("0123456789abcdefg").unwrap()
            ),
            record_name(
                "alice",
                &IdempotencyKey::parse("-0123456789abcdefg").unwrap()
            )
        );
        assert_eq!(name.len(), 64);
        assert!(!name.contains("alice") && !name.contains("8e03978e"));
    }

    #[test]
    fn fingerprints_tell_requests_apart_by_every_part() {
        let base = fingerprint(&["application.update", "demo-webapp", "{\"enabled\":false}"]);
        assert_eq!(
            base,
            fingerprint(&["application.update", "demo-webapp", "{\"enabled\":false}"])
        );
        for other in [
            fingerprint(&["application.update", "demo-webapp", "{\"enabled\":true}"]),
            fingerprint(&["application.update", "demo-webap", "p{\"enabled\":false}"]),
            fingerprint(&["application.delete", "demo-webapp", "{\"enabled\":false}"]),
            fingerprint(&["application.update", "demo-webapp"]),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_record() {
        let key = IdempotencyKey::parse(UUID).unwrap();
        let record = record_name("alice", &key);
        let secret = crate::secret::generate_client_secret();
        let sealed = SealedSecret::seal(&secret, &key, &record);
        assert_eq!(sealed.open(&key, &record).as_deref(), Some(secret.as_str()));
        let stored = SealedSecret::from_stored(sealed.to_stored());
        assert_eq!(stored.open(&key, &record).as_deref(), Some(secret.as_str()));
        assert!(!sealed.to_stored().contains(&secret));
        // A fresh salt and nonce each time: two seals of one secret differ.
        assert_ne!(SealedSecret::seal(&secret, &key, &record), sealed);

        let other_key = IdempotencyKey::parse("9e03978e-40d5-43e8-bc93-6894a57f9324").unwrap();
        assert_eq!(sealed.open(&other_key, &record), None);
        assert_eq!(sealed.open(&key, &record_name("bob", &key)), None);
        let mut tampered = sealed.to_stored().to_owned();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            SealedSecret::from_stored(tampered).open(&key, &record),
            None
        );
        for damaged in ["", "v1", "v2.a.b.c", "v1.!.!.!", "v1.a.b.c.d"] {
            assert_eq!(
                SealedSecret::from_stored(damaged).open(&key, &record),
                None,
                "{damaged}"
            );
        }
    }
}
