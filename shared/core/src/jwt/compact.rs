//! Public keys in one line: each key's SubjectPublicKeyInfo DER in standard base64, the keys
//! separated by commas.
//!
//! Why a second form: a deployment passes the published keys as a template parameter, and SAM
//! CLI's `--parameter-overrides` splits values at spaces, so a PEM block (`-----BEGIN PUBLIC
//! KEY-----`) arrives cut at its first space. The one-line form has no space, newline or
//! quote, and is the same key material a `PUBLIC KEY` PEM block holds.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::algorithm::KeyError;

/// `PUBLIC KEY` PEM blocks from the one-line form, so that one parser checks both forms.
pub(super) fn one_line_to_pem(text: &str) -> Result<String, KeyError> {
    let mut pem_text = String::new();
    for (index, part) in text.split(',').map(str::trim).enumerate() {
        let der = STANDARD.decode(part).map_err(|error| KeyError::OneLine {
            index,
            reason: error.to_string(),
        })?;
        if der.is_empty() {
            return Err(KeyError::OneLine {
                index,
                reason: "empty".into(),
            });
        }
        pem_text.push_str(&pem::encode(&pem::Pem::new("PUBLIC KEY", der)));
    }
    Ok(pem_text)
}

/// Is this configuration text PEM (else the one-line form)?
pub(super) fn is_pem(text: &str) -> bool {
    text.contains("-----BEGIN")
}
