//! What an assertion's claims must say (RFC 7523 §3), and what the grant takes from them: the
//! owner, Commerce Layer's `custom_claim`, and the `jti` to remember until the assertion
//! expires. The signature is checked before, by the caller; here, only the payload's JSON.

use serde_json::{Map, Value};

use crate::clock::UnixSeconds;
use crate::model::OwnerType;

/// The largest assertion accepted, in bytes: Commerce Layer's bound ("Max size is 4KB").
pub const MAX_ASSERTION_BYTES: usize = 4096;

/// The largest `custom_claim`, as compact JSON: it is copied into every access token of the
/// login, which every API request carries.
pub const MAX_CUSTOM_CLAIM_BYTES: usize = 1024;

/// How far ahead a `verified` assertion's `exp` may be. RFC 7523 §3: "The authorization server
/// MUST reject any JWT with an expiration time that has passed"; a short bound also bounds how
/// long its `jti` must be remembered.
pub const MAX_ASSERTION_LIFETIME: u64 = 300;

/// The clocks of the client and the server may differ by this much. RFC 7523 §3: "subject to
/// allowable clock skew between systems".
pub const CLOCK_SKEW: u64 = 30;

/// The longest a `jti` is remembered: a `commercelayer` assertion without `exp`, or with one
/// further ahead, is refused again for a day, and may be presented again after.
pub const UNEXPIRING_JTI_KEPT: u64 = 86_400;

/// The longest `jti` and owner id accepted.
pub const MAX_ID_LENGTH: usize = 256;

/// Commerce Layer's private claim, which names the owner and the custom claim.
pub const COMMERCE_LAYER_CLAIMS: &str = "https://commercelayer.io/claims";

/// Which rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssertionMode {
    Verified,
    CommerceLayer,
}

/// Who the assertion is checked for.
#[derive(Clone, Copy, Debug)]
pub struct AssertionContext<'a> {
    pub mode: AssertionMode,
    /// The client's `client_id`: a `verified` assertion's `iss`.
    pub client_id: &'a str,
    /// Our issuer and our token endpoint's URL: either may be its `aud`.
    pub audiences: [&'a str; 2],
    pub now: UnixSeconds,
}

/// The owner an assertion names, not yet looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertedOwner {
    pub owner_type: OwnerType,
    pub id: String,
}

/// What the grant takes from an accepted assertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    pub owner: Option<AssertedOwner>,
    pub custom_claim: Option<Map<String, Value>>,
    /// The `jti`, to refuse again until this time.
    pub replay: Option<(String, UnixSeconds)>,
}

/// Why an assertion's claims were refused: each the `error_description` of an
/// `invalid_grant` whose title is `invalid_assertion`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the assertion's payload is not a JSON object")]
    NotAnObject,
    #[error("the assertion needs a `{0}` claim")]
    Missing(&'static str),
    #[error("the assertion's `{0}` claim is not of the right type or size")]
    Malformed(&'static str),
    #[error("the assertion's `iss` must be the client's client_id")]
    WrongIssuer,
    #[error("the assertion's `aud` must name this server's issuer or token endpoint")]
    WrongAudience,
    #[error("the assertion has expired")]
    Expired,
    #[error("the assertion's `exp` is more than {MAX_ASSERTION_LIFETIME} seconds ahead")]
    ExpiresTooLate,
    #[error("the assertion is not valid yet")]
    NotYetValid,
    #[error("the assertion's `iat` is in the future")]
    IssuedInTheFuture,
    #[error("the assertion's `sub` must be its owner's id")]
    SubjectIsNotOwner,
    #[error("the assertion names neither an owner nor a custom_claim")]
    NothingAsserted,
    #[error("the assertion's owner type must be Customer or User")]
    UnknownOwnerType,
    #[error("the assertion's custom_claim is larger than {MAX_CUSTOM_CLAIM_BYTES} bytes")]
    CustomClaimTooLarge,
}

type Checked<T> = Result<T, AssertionError>;

/// Checks the claims of an assertion whose signature (in `verified` mode) was checked.
///
/// RFC 7523 §3, in `verified` mode: "The JWT MUST contain an "iss" (issuer) claim"; "The JWT
/// MUST contain a "sub" (subject) claim"; "The JWT MUST contain an "aud" (audience) claim ...
/// The authorization server MUST reject any JWT that does not contain its own identity as the
/// intended audience"; "The JWT MUST contain an "exp" (expiration time) claim"; "The JWT MAY
/// contain an "nbf" (not before) claim"; "The authorization server MAY reject JWTs with an
/// "iat" claim value that is unreasonably far in the past"; "The authorization server MAY
/// ensure that JWTs are not replayed by maintaining the set of used "jti" values": we require
/// one, and do.
pub fn check_claims(payload: &Value, context: &AssertionContext<'_>) -> Checked<Assertion> {
    let Value::Object(claims) = payload else {
        return Err(AssertionError::NotAnObject);
    };
    let now = context.now.0;
    let verified = context.mode == AssertionMode::Verified;
    let exp = number(claims, "exp")?;
    let nbf = number(claims, "nbf")?;
    let iat = number(claims, "iat")?;
    let jti = text(claims, "jti")?;
    let (asserted_owner, custom_claim) = commerce_layer_claims(claims)?;
    if verified {
        let iss = text(claims, "iss")?.ok_or(AssertionError::Missing("iss"))?;
        if iss != context.client_id {
            return Err(AssertionError::WrongIssuer);
        }
        check_audience(claims.get("aud"), &context.audiences)?;
        let exp = exp.ok_or(AssertionError::Missing("exp"))?;
        if exp > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW {
            return Err(AssertionError::ExpiresTooLate);
        }
        if jti.is_none() {
            return Err(AssertionError::Missing("jti"));
        }
    }
    if exp.is_some_and(|exp| exp + CLOCK_SKEW <= now) {
        return Err(AssertionError::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW) {
        return Err(AssertionError::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now + CLOCK_SKEW) {
        return Err(AssertionError::IssuedInTheFuture);
    }
    let owner = if verified {
        let sub = text(claims, "sub")?.ok_or(AssertionError::Missing("sub"))?;
        owner_of_subject(sub, asserted_owner, context.client_id)?
    } else {
        asserted_owner
    };
    if owner.is_none() && custom_claim.is_none() {
        return Err(AssertionError::NothingAsserted);
    }
    // As long as the assertion is valid, and never more than a day: a `commercelayer`
    // assertion's `exp` has no bound, and storage must not be filled for years at a client's
    // word.
    let kept_until = match exp {
        Some(exp) => (exp + CLOCK_SKEW).min(now + UNEXPIRING_JTI_KEPT),
        None => now + UNEXPIRING_JTI_KEPT,
    };
    Ok(Assertion {
        owner,
        custom_claim,
        replay: jti.map(|jti| (jti.to_owned(), UnixSeconds(kept_until))),
    })
}

/// The owner of a `verified` assertion from its `sub`: the owner Commerce Layer's claim names,
/// which `sub` must then be; else none when `sub` is the client itself (RFC 7523 §3: for a
/// client acting for itself, "the subject MUST be the "client_id""), else the customer whose id
/// `sub` is.
fn owner_of_subject(
    sub: &str,
    asserted: Option<AssertedOwner>,
    client_id: &str,
) -> Checked<Option<AssertedOwner>> {
    match asserted {
        Some(owner) if owner.id == sub => Ok(Some(owner)),
        Some(_) => Err(AssertionError::SubjectIsNotOwner),
        None if sub == client_id => Ok(None),
        None => Ok(Some(AssertedOwner {
            owner_type: OwnerType::Customer,
            id: valid_id(sub, "sub")?.to_owned(),
        })),
    }
}

/// `aud`: one string or an array of strings (RFC 7519 §4.1.3), one of which is ours.
fn check_audience(aud: Option<&Value>, ours: &[&str; 2]) -> Checked<()> {
    let names = match aud {
        None => return Err(AssertionError::Missing("aud")),
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err(AssertionError::Malformed("aud")),
    };
    if names.iter().any(|name| ours.contains(name)) {
        Ok(())
    } else {
        Err(AssertionError::WrongAudience)
    }
}

/// What Commerce Layer's claim names: an owner and a custom claim, each optional.
type CommerceLayerClaims = (Option<AssertedOwner>, Option<Map<String, Value>>);

/// Commerce Layer's claim: its owner and its custom claim, each optional.
fn commerce_layer_claims(claims: &Map<String, Value>) -> Checked<CommerceLayerClaims> {
    const NAME: &str = "https://commercelayer.io/claims";
    let Some(value) = claims.get(COMMERCE_LAYER_CLAIMS) else {
        return Ok((None, None));
    };
    let Value::Object(ours) = value else {
        return Err(AssertionError::Malformed(NAME));
    };
    let owner = match ours.get("owner") {
        None | Some(Value::Null) => None,
        Some(Value::Object(owner)) => {
            let owner_type = match owner.get("type").and_then(Value::as_str) {
                Some("Customer") => OwnerType::Customer,
                Some("User") => OwnerType::User,
                _ => return Err(AssertionError::UnknownOwnerType),
            };
            let id = owner.get("id").and_then(Value::as_str).unwrap_or_default();
            Some(AssertedOwner {
                owner_type,
                id: valid_id(id, "owner")?.to_owned(),
            })
        }
        Some(_) => return Err(AssertionError::Malformed("owner")),
    };
    let custom_claim = match ours.get("custom_claim") {
        None | Some(Value::Null) => None,
        Some(Value::Object(custom)) => {
            let size = serde_json::to_vec(custom).map_or(usize::MAX, |bytes| bytes.len());
            if size > MAX_CUSTOM_CLAIM_BYTES {
                return Err(AssertionError::CustomClaimTooLarge);
            }
            Some(custom.clone())
        }
        Some(_) => return Err(AssertionError::Malformed("custom_claim")),
    };
    Ok((owner, custom_claim))
}

fn valid_id<'v>(id: &'v str, claim: &'static str) -> Checked<&'v str> {
    if id.is_empty() || id.len() > MAX_ID_LENGTH || id.chars().any(char::is_control) {
        return Err(AssertionError::Malformed(claim));
    }
    Ok(id)
}

/// A NumericDate claim (RFC 7519 §2: seconds, possibly with a fraction), when present.
fn number(claims: &Map<String, Value>, name: &'static str) -> Checked<Option<u64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => match value.as_f64() {
            Some(seconds) if (0.0..1e15).contains(&seconds) => Ok(Some(seconds as u64)),
            _ => Err(AssertionError::Malformed(name)),
        },
    }
}

/// A string claim, when present: non-empty, at most [`MAX_ID_LENGTH`].
fn text<'v>(claims: &'v Map<String, Value>, name: &'static str) -> Checked<Option<&'v str>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => valid_id(text, name).map(Some),
        Some(_) => Err(AssertionError::Malformed(name)),
    }
}
