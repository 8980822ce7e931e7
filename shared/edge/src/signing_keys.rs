//! Where a function's keys come from, read once per cold start.
//!
//! In AWS the token function's private keys live in Secrets Manager, named by ARN
//! (`GATEHOUSE_SIGNING_KEYS_SECRET_ARN`, and optionally the version to read,
//! `GATEHOUSE_SIGNING_KEYS_SECRET_VERSION`, so that a deployment says which key it signs with
//! and a rollback brings the old one back): never in a template parameter or an environment
//! variable, where they would show in the console and in every `GetFunctionConfiguration`.
//! Locally, the PEM text itself (`GATEHOUSE_SIGNING_KEYS`) or a file of it
//! (`GATEHOUSE_SIGNING_KEYS_FILE`) is simpler. The published keys are
//! public, so they are configuration (`GATEHOUSE_PUBLISHED_KEYS`), as PEM or in the one-line form
//! a template parameter can carry.

use crate::config::{vars, ConfigError};
use gatehouse_core::jwt::{KeySet, PublishedKeys};

fn set(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|value| !value.trim().is_empty())
}

/// The token function's keys: the first private key signs. When the function is also told the
/// published keys, the signing key must be among them: a token signed with a key that verifiers
/// cannot find in the JWKS is refused everywhere, so that mistake stops the cold start instead.
pub async fn load_signing_keys(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<KeySet, ConfigError> {
    let arn = set(env, vars::SIGNING_KEYS_SECRET_ARN);
    let pem = set(env, vars::SIGNING_KEYS);
    let file = set(env, vars::SIGNING_KEYS_FILE);
    if [&arn, &pem, &file].into_iter().flatten().count() > 1 {
        return Err(ConfigError::invalid(
            vars::SIGNING_KEYS,
            format!(
                "set only one of {}, {} and {}",
                vars::SIGNING_KEYS_SECRET_ARN,
                vars::SIGNING_KEYS,
                vars::SIGNING_KEYS_FILE
            ),
        ));
    }
    let (name, text) = if let Some(arn) = arn {
        let version = set(env, vars::SIGNING_KEYS_SECRET_VERSION);
        let text = secret_text(&arn, version.as_deref())
            .await
            .map_err(|reason| ConfigError::Invalid {
                name: vars::SIGNING_KEYS_SECRET_ARN,
                reason: format!("secret {arn}: {reason}"),
            })?;
        (vars::SIGNING_KEYS_SECRET_ARN, text)
    } else if let Some(pem) = pem {
        (vars::SIGNING_KEYS, pem)
    } else if let Some(path) = file {
        let text = std::fs::read_to_string(&path).map_err(|error| ConfigError::Invalid {
            name: vars::SIGNING_KEYS_FILE,
            reason: format!("cannot read {path}: {error}"),
        })?;
        (vars::SIGNING_KEYS_FILE, text)
    } else {
        return Err(ConfigError::MissingEither(
            vars::SIGNING_KEYS_SECRET_ARN,
            vars::SIGNING_KEYS,
        ));
    };
    let keys = KeySet::from_pem(&text).map_err(|error| ConfigError::invalid(name, error))?;
    if set(env, vars::PUBLISHED_KEYS).is_some() {
        let published = load_published_keys(env)?;
        let kid = &keys.signing_key().kid;
        if !published.publishes(kid) {
            return Err(ConfigError::invalid(
                vars::PUBLISHED_KEYS,
                format!(
                    "the signing key {kid} is not published: publish a key, and give verifiers \
                     time to fetch the JWKS, before it signs"
                ),
            ));
        }
    }
    Ok(keys)
}

/// The keys the well-known function publishes and the API function verifies with.
pub fn load_published_keys(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PublishedKeys, ConfigError> {
    let text = set(env, vars::PUBLISHED_KEYS).ok_or(ConfigError::Missing(vars::PUBLISHED_KEYS))?;
    PublishedKeys::from_config(&text)
        .map_err(|error| ConfigError::invalid(vars::PUBLISHED_KEYS, error))
}

/// What verifies access tokens of `issuer` with the published keys: the API's verifier, and
/// the revocation function's (which knows access tokens by them).
pub fn published_verifier(
    env: &dyn Fn(&str) -> Option<String>,
    issuer: &str,
) -> Result<crate::bearer::BearerVerifier, ConfigError> {
    let keys = load_published_keys(env)?
        .verification_keys()
        .map_err(|error| ConfigError::invalid(vars::PUBLISHED_KEYS, error))?;
    Ok(crate::bearer::BearerVerifier::new(keys, issuer))
}

#[cfg(feature = "secrets-manager")]
async fn secret_text(arn: &str, version_id: Option<&str>) -> Result<String, String> {
    crate::secrets_manager::secret_string(arn, version_id).await
}

#[cfg(not(feature = "secrets-manager"))]
async fn secret_text(_arn: &str, _version_id: Option<&str>) -> Result<String, String> {
    Err("this build does not read Secrets Manager (the `secrets-manager` feature)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::jwt::{
        generate_private_key_pem, public_one_line, public_pem, SigningAlgorithm,
    };
    use std::collections::HashMap;

    fn lookup(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<&str, String> = pairs.into_iter().collect();
        move |name| map.get(name).cloned()
    }

    #[tokio::test]
    async fn the_signing_key_comes_from_pem_and_must_be_published_when_published_keys_are_given() {
        let current = generate_private_key_pem(SigningAlgorithm::Es256);
        let other = generate_private_key_pem(SigningAlgorithm::Es256);
        let keys = load_signing_keys(&lookup(vec![(vars::SIGNING_KEYS, current.clone())]))
            .await
            .unwrap();
        let kid = keys.signing_key().kid.clone();
        for published in [
            public_pem(&current).unwrap(),
            public_one_line(&format!("{other}{current}")).unwrap(),
        ] {
            let keys = load_signing_keys(&lookup(vec![
                (vars::SIGNING_KEYS, current.clone()),
                (vars::PUBLISHED_KEYS, published),
            ]))
            .await
            .unwrap();
            assert_eq!(keys.signing_key().kid, kid);
        }
        let unpublished = load_signing_keys(&lookup(vec![
            (vars::SIGNING_KEYS, current),
            (vars::PUBLISHED_KEYS, public_one_line(&other).unwrap()),
        ]))
        .await
        .unwrap_err()
        .to_string();
        assert!(
            unpublished.starts_with("GATEHOUSE_PUBLISHED_KEYS is not valid: the signing key")
                && unpublished.contains(&kid),
            "{unpublished}"
        );
    }

    #[tokio::test]
    async fn missing_ambiguous_or_bad_keys_name_the_variable() {
        let pem = generate_private_key_pem(SigningAlgorithm::Es256);
        let cases = [
            (
                vec![],
                "set GATEHOUSE_SIGNING_KEYS_SECRET_ARN or GATEHOUSE_SIGNING_KEYS",
            ),
            (
                vec![
                    (vars::SIGNING_KEYS, pem.clone()),
                    (
                        vars::SIGNING_KEYS_SECRET_ARN,
                        "arn:aws:secretsmanager:x".into(),
                    ),
                ],
                "GATEHOUSE_SIGNING_KEYS is not valid: set only one",
            ),
            (
                vec![(vars::SIGNING_KEYS, "-----BEGIN".into())],
                "GATEHOUSE_SIGNING_KEYS is not valid:",
            ),
            (
                vec![(vars::SIGNING_KEYS_FILE, "/nonexistent/signing-key.pem".into())],
                "GATEHOUSE_SIGNING_KEYS_FILE is not valid: cannot read /nonexistent/signing-key.pem",
            ),
            (
                vec![
                    (vars::SIGNING_KEYS, pem.clone()),
                    (vars::SIGNING_KEYS_FILE, "signing-key.pem".into()),
                ],
                "GATEHOUSE_SIGNING_KEYS is not valid: set only one",
            ),
            (
                vec![(vars::SIGNING_KEYS, public_pem(&pem).unwrap())],
                "GATEHOUSE_SIGNING_KEYS is not valid: no private key",
            ),
            (
                vec![
                    (vars::SIGNING_KEYS, pem.clone()),
                    (vars::PUBLISHED_KEYS, "not base64!".into()),
                ],
                "GATEHOUSE_PUBLISHED_KEYS is not valid: published key 0",
            ),
        ];
        for (pairs, expected) in cases {
            let error = load_signing_keys(&lookup(pairs))
                .await
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(expected), "{error}");
        }
    }

    #[tokio::test]
    async fn the_signing_key_may_come_from_a_file_locally() {
        let pem = generate_private_key_pem(SigningAlgorithm::Es256);
        let path = std::env::temp_dir().join(format!(
            "gatehouse-signing-key-{}.pem",
            gatehouse_core::secret::random_token(8)
        ));
        std::fs::write(&path, &pem).unwrap();
        let from_file = load_signing_keys(&lookup(vec![(
            vars::SIGNING_KEYS_FILE,
            path.display().to_string(),
        )]))
        .await;
        std::fs::remove_file(&path).unwrap();
        let from_env = load_signing_keys(&lookup(vec![(vars::SIGNING_KEYS, pem)]))
            .await
            .unwrap();
        assert_eq!(
            from_file.unwrap().signing_key().kid,
            from_env.signing_key().kid
        );
    }

    #[test]
    fn published_keys_read_pem_and_the_one_line_form_alike_and_refuse_private_keys() {
        let pem = generate_private_key_pem(SigningAlgorithm::Rs512);
        let from_pem = load_published_keys(&lookup(vec![(
            vars::PUBLISHED_KEYS,
            public_pem(&pem).unwrap(),
        )]))
        .unwrap();
        let one_line = public_one_line(&pem).unwrap();
        assert!(!one_line.contains([' ', '\n', '"']));
        let from_line =
            load_published_keys(&lookup(vec![(vars::PUBLISHED_KEYS, one_line)])).unwrap();
        assert_eq!(from_pem.jwks(), from_line.jwks());
        let private = load_published_keys(&lookup(vec![(vars::PUBLISHED_KEYS, pem)]))
            .unwrap_err()
            .to_string();
        assert!(private.contains("is a private key"), "{private}");
        let missing = load_published_keys(&lookup(vec![]))
            .unwrap_err()
            .to_string();
        assert_eq!(missing, "GATEHOUSE_PUBLISHED_KEYS is not set");
    }
}
