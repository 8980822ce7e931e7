//! The JWT bearer grant (RFC 7523 §2.1): an application's setting that turns it on
//! ([`JwtBearer`]), the public keys it registers ([`AssertionKey`]), and the rules an
//! assertion's claims must pass ([`assertion`]).
//!
//! Two modes. `verified`: the assertion is signed by one of the application's keys (listed, or
//! at its JWKS URL) and RFC 7523 §3 is checked in full. `commercelayer`: Commerce Layer's
//! assertion as its clients send it, whose signature (made with a key everybody knows) is not
//! checked; only the client's secret vouches for it.

pub mod assertion;
#[cfg(test)]
mod tests;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{json, Map, Value};

/// At most this many keys per application: each may be tried against an assertion without a
/// `kid`, so the list bounds that work.
pub const MAX_KEYS: usize = 10;

/// The longest JWKS URL accepted.
pub const MAX_JWKS_URI_LENGTH: usize = 2000;

/// RSA keys shorter than this (in bits) are refused: NIST SP 800-131A's floor.
pub const MIN_RSA_BITS: usize = 2048;

/// The algorithms a `verified` assertion may be signed with, as the server metadata lists them.
pub const ASSERTION_ALGORITHMS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

/// An application's `jwt_bearer` setting; an application without one may not use the grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtBearer {
    /// Assertions signed by one of these keys.
    Verified(AssertionKeys),
    /// Commerce Layer's assertions, unsigned as far as we are concerned.
    CommerceLayer,
}

/// Where a `verified` application's keys are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssertionKeys {
    /// Registered with the application: each a public JWK as given.
    Listed(Vec<AssertionKey>),
    /// Published by the application's owner at this `https` URL (a JWK Set).
    JwksUri(String),
}

/// A public key an application signs its assertions with: its JWK as registered, and what was
/// read from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionKey {
    pub jwk: Map<String, Value>,
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    /// Its public parameters, base64url as in the JWK: read here by hand rather than through
    /// jsonwebtoken's `Jwk` types, whose serde code every function that reads an application
    /// record would otherwise carry (issue 11's bound on a bootstrap's size).
    material: KeyMaterial,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum KeyMaterial {
    Rsa { n: String, e: String },
    Ec { x: String, y: String },
    Ed { x: String },
}

/// The JWK members that only a private (or symmetric) key has: a key with one is refused, so
/// that nobody registers, and so stores and shows, a secret.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

impl AssertionKey {
    /// A public JWK of one of [`ASSERTION_ALGORITHMS`]' kinds: RSA of at least
    /// [`MIN_RSA_BITS`], EC on P-256, or OKP on Ed25519. An `alg`, when given, must be the one
    /// its kind signs with.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let Value::Object(members) = value else {
            return Err("a key must be a JWK object".into());
        };
        if let Some(private) = PRIVATE_MEMBERS.iter().find(|m| members.contains_key(**m)) {
            return Err(format!(
                "a key must be public: remove its private member \"{private}\""
            ));
        }
        // RFC 7517 §4.2, §4.3: a key meant for encryption, or for other operations than
        // verifying, is not a key to trust a signature from.
        if members
            .get("use")
            .is_some_and(|u| u.as_str() != Some("sig"))
        {
            return Err(
                "a key must be a signing key: its \"use\" must be \"sig\" or left out".into(),
            );
        }
        if let Some(operations) = members.get("key_ops") {
            let verifies = operations
                .as_array()
                .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
            if !verifies {
                return Err("a key's \"key_ops\" must include \"verify\" or be left out".into());
            }
        }
        let text = |name: &str| members.get(name).and_then(Value::as_str);
        let bytes = |name: &'static str| {
            text(name)
                .and_then(|value| URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).ok())
                .ok_or_else(|| format!("not a JWK this server reads: \"{name}\" is not base64url"))
        };
        let (algorithm, material) = match (text("kty"), text("crv")) {
            (Some("RSA"), _) => {
                let modulus = bytes("n")?;
                let bits = modulus.iter().skip_while(|b| **b == 0).count() * 8;
                if bits < MIN_RSA_BITS {
                    return Err(format!(
                        "an RSA key must have at least {MIN_RSA_BITS} bits, this one has {bits}"
                    ));
                }
                if bytes("e")?.is_empty() {
                    return Err("not a JWK this server reads: \"e\" is empty".into());
                }
                let (n, e) = (text("n").unwrap_or_default(), text("e").unwrap_or_default());
                let material = KeyMaterial::Rsa {
                    n: n.into(),
                    e: e.into(),
                };
                (Algorithm::RS256, material)
            }
            (Some("EC"), Some("P-256")) => {
                if bytes("x")?.len() != 32 || bytes("y")?.len() != 32 {
                    return Err("a P-256 key's \"x\" and \"y\" are 32 bytes each".into());
                }
                let (x, y) = (text("x").unwrap_or_default(), text("y").unwrap_or_default());
                let material = KeyMaterial::Ec {
                    x: x.into(),
                    y: y.into(),
                };
                (Algorithm::ES256, material)
            }
            (Some("OKP"), Some("Ed25519")) => {
                if bytes("x")?.len() != 32 {
                    return Err("an Ed25519 key's \"x\" is 32 bytes".into());
                }
                let x = text("x").unwrap_or_default().into();
                (Algorithm::EdDSA, KeyMaterial::Ed { x })
            }
            _ => return Err("a key must be RSA, EC on P-256 or OKP on Ed25519".into()),
        };
        let kid = match members.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err("a key's \"kid\" must be a string".into()),
        };
        if let Some(alg) = members.get("alg") {
            if alg.as_str() != Some(algorithm_name(algorithm)) {
                return Err(format!(
                    "this key signs with {}: its \"alg\" must say so or be left out",
                    algorithm_name(algorithm)
                ));
            }
        }
        // Its parameters' sizes were checked above; the key itself is made only where a
        // signature is checked ([`AssertionKey::decoding_key`], the token function).
        Ok(Self {
            jwk: members.clone(),
            kid,
            algorithm,
            material,
        })
    }

    /// The key to check a signature with. Parsed once already: an error here would be a bug.
    pub fn decoding_key(&self) -> Option<DecodingKey> {
        match &self.material {
            KeyMaterial::Rsa { n, e } => DecodingKey::from_rsa_components(n, e),
            KeyMaterial::Ec { x, y } => DecodingKey::from_ec_components(x, y),
            KeyMaterial::Ed { x } => DecodingKey::from_ed_components(x),
        }
        .ok()
    }
}

/// The JOSE name of an assertion algorithm.
pub fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        _ => "unsupported",
    }
}

/// The keys of a JWK Set's text: those of [`AssertionKey::parse`]'s kinds; any other key in
/// the set (an encryption key, a key for another use) is passed over, not an error.
pub fn keys_of_jwks(text: &[u8]) -> Result<Vec<AssertionKey>, String> {
    let set: Value =
        serde_json::from_slice(text).map_err(|error| format!("not a JWK Set: {error}"))?;
    let Some(Value::Array(keys)) = set.get("keys") else {
        return Err("not a JWK Set: no \"keys\" array".into());
    };
    Ok(keys
        .iter()
        .filter_map(|key| AssertionKey::parse(key).ok())
        .take(MAX_KEYS)
        .collect())
}

impl JwtBearer {
    /// The setting from its JSON form (the seed's, the admin API's): `{"mode": "verified",
    /// "keys": [JWK, ...]}`, `{"mode": "verified", "jwks_uri": "https://..."}` (`mode` may be
    /// left out: verified is the default) or `{"mode": "commercelayer"}`.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let Value::Object(members) = value else {
            return Err("must be null or an object with a mode".into());
        };
        if let Some(unknown) = members
            .keys()
            .find(|k| !["mode", "keys", "jwks_uri"].contains(&k.as_str()))
        {
            return Err(format!(
                "unknown field \"{unknown}\": expected mode, keys or jwks_uri"
            ));
        }
        let keys = members.get("keys");
        let uri = members.get("jwks_uri");
        match members.get("mode").map(Value::as_str) {
            None | Some(Some("verified")) => match (keys, uri) {
                (Some(keys), None) => Ok(Self::Verified(AssertionKeys::Listed(listed(keys)?))),
                (None, Some(uri)) => Ok(Self::Verified(AssertionKeys::JwksUri(jwks_uri(uri)?))),
                _ => Err("the verified mode needs either keys or jwks_uri, not both".into()),
            },
            Some(Some("commercelayer")) if keys.is_none() && uri.is_none() => {
                Ok(Self::CommerceLayer)
            }
            Some(Some("commercelayer")) => {
                Err("the commercelayer mode checks no signature: it takes no keys".into())
            }
            _ => Err("mode must be \"verified\" or \"commercelayer\"".into()),
        }
    }

    /// The JSON form [`JwtBearer::from_json`] reads.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Verified(AssertionKeys::Listed(keys)) => json!({
                "mode": "verified",
                "keys": keys.iter().map(|key| Value::Object(key.jwk.clone())).collect::<Vec<_>>(),
            }),
            Self::Verified(AssertionKeys::JwksUri(uri)) => {
                json!({"mode": "verified", "jwks_uri": uri})
            }
            Self::CommerceLayer => json!({"mode": "commercelayer"}),
        }
    }

    /// `verified` or `commercelayer`.
    pub fn mode_name(&self) -> &'static str {
        match self {
            Self::Verified(_) => "verified",
            Self::CommerceLayer => "commercelayer",
        }
    }
}

fn listed(keys: &Value) -> Result<Vec<AssertionKey>, String> {
    let Value::Array(keys) = keys else {
        return Err("keys must be an array of JWKs".into());
    };
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(format!("keys must hold from 1 to {MAX_KEYS} keys"));
    }
    keys.iter()
        .enumerate()
        .map(|(index, key)| {
            AssertionKey::parse(key).map_err(|error| format!("keys[{index}]: {error}"))
        })
        .collect()
}

fn jwks_uri(uri: &Value) -> Result<String, String> {
    let Some(uri) = uri.as_str() else {
        return Err("jwks_uri must be a string".into());
    };
    if uri.len() > MAX_JWKS_URI_LENGTH {
        return Err(format!(
            "jwks_uri must be at most {MAX_JWKS_URI_LENGTH} characters"
        ));
    }
    match crate::uri::parse(uri) {
        Ok(parsed)
            if parsed.scheme.eq_ignore_ascii_case("https")
                && parsed.authority.is_some()
                && parsed.fragment.is_none() =>
        {
            Ok(uri.to_owned())
        }
        _ => Err("jwks_uri must be an absolute https URL without a fragment".into()),
    }
}
