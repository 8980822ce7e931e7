//! What must not appear in any line: every secret of the flow and the seed in every form
//! it could be logged in.

use super::*;

/// The SHA-256 digest of `value`, read back from its stored form.
pub fn sha256(value: &str) -> Vec<u8> {
    let stored = SecretHash::of(value).to_stored();
    let hex = stored.strip_prefix("sha256:").unwrap();
    (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Every form of `value` a log must not hold: itself, URL-encoded (as a form writes it, and
/// with `%20` for spaces as a query may), JSON-escaped (as a JSON log line would hold it), its
/// stored hash, the hash's hex and base64 forms, for a JWT its signature, and for a refresh
/// token or code its secret part.
pub fn forbidden_forms(value: &str) -> Vec<String> {
    let stored = SecretHash::of(value).to_stored();
    let digest = sha256(value);
    let json_escaped = serde_json::to_string(value).unwrap();
    let mut forms = vec![
        value.to_owned(),
        form_encode(value),
        form_encode(value).replace('+', "%20"),
        json_escaped[1..json_escaped.len() - 1].to_owned(),
        stored.clone(),
        stored.trim_start_matches("sha256:").to_owned(),
        stored.trim_start_matches("sha256:").to_ascii_uppercase(),
        URL_SAFE_NO_PAD.encode(&digest),
        STANDARD.encode(&digest),
    ];
    if value.matches('.').count() == 2 {
        forms.push(value.rsplit('.').next().unwrap().to_owned());
    }
    // A refresh token or code is `<secret>.<hint>` (shared/core/src/grant_hint.rs): its secret part
    // alone is as good as the whole, since the hint only speeds up the lookup.
    if value.matches('.').count() == 1 {
        forms.push(value.split('.').next().unwrap().to_owned());
    }
    forms
}

/// Every secret and password of the seed, and the argon2 hashes the seed's passwords are
/// stored as (whole, and their salt and hash parts).
pub fn seed_forbidden() -> Vec<String> {
    let seed: Value = serde_json::from_str(DEMO_SEED).unwrap();
    let mut forms = vec![];
    for collection in ["applications", "customers", "users"] {
        for record in seed[collection].as_array().unwrap() {
            for field in ["client_secret", "password"] {
                if let Some(value) = record[field].as_str() {
                    forms.extend(forbidden_forms(value));
                }
            }
        }
    }
    let catalog = demo_catalog();
    let hashes = catalog
        .customers
        .iter()
        .map(|c| c.password_hash.as_stored().to_owned())
        .chain(
            catalog
                .users
                .iter()
                .map(|u| u.password_hash.as_stored().to_owned()),
        );
    for phc in hashes {
        forms.extend(phc.rsplit('$').take(2).map(str::to_owned));
        forms.push(phc);
    }
    forms
}

pub fn assert_no_secret_in(lines: &[String], forbidden: &[String]) {
    let mut leaks = vec![];
    for line in lines {
        for form in forbidden {
            if line.contains(form.as_str()) {
                let target = serde_json::from_str::<Value>(line)
                    .ok()
                    .and_then(|v| v["target"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                leaks.push(format!(
                    "{form} in [{target}] {}",
                    &line[..line.len().min(400)]
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}
