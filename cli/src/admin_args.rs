//! The admin commands' arguments that are more than a string: an environment, a kind, and
//! `--jwt-bearer` of `gatehouse apps create` and `update` (the application's JWT bearer setting
//! as JSON, as the admin API takes it, or `@path` to read it from a file: a setting with keys
//! is long).

use clap::ValueEnum;
use gatehouse_core::model::{ApplicationKind, Mode};
use serde_json::Value;

#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Test,
    Live,
}

impl From<ModeArg> for Mode {
    fn from(mode: ModeArg) -> Self {
        match mode {
            ModeArg::Test => Mode::Test,
            ModeArg::Live => Mode::Live,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    SalesChannel,
    Integration,
    Webapp,
}

impl From<KindArg> for ApplicationKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::SalesChannel => ApplicationKind::SalesChannel,
            KindArg::Integration => ApplicationKind::Integration,
            KindArg::Webapp => ApplicationKind::Webapp,
        }
    }
}

/// The setting's JSON, read from the argument or from the file it names after `@`. Checked
/// as JSON here; as a setting, by the admin API's rules.
pub fn parse_setting(argument: &str) -> Result<Value, String> {
    let text = match argument.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|error| format!("cannot read {path}: {error}"))?
        }
        None => argument.to_owned(),
    };
    serde_json::from_str(&text).map_err(|error| format!("not JSON: {error}"))
}

/// An update's change of the setting: a new one, off (`--no-jwt-bearer`), or none.
pub fn change(setting: Option<Value>, off: bool) -> Option<Option<Value>> {
    match (setting, off) {
        (_, true) => Some(None),
        (setting, false) => setting.map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_is_json_inline_or_in_a_file() {
        assert_eq!(
            parse_setting(r#"{"mode": "commercelayer"}"#),
            Ok(serde_json::json!({"mode": "commercelayer"}))
        );
        let path = std::env::temp_dir().join(format!("jwt-bearer-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"jwks_uri": "https://shop.example/jwks.json"}"#).unwrap();
        let read = parse_setting(&format!("@{}", path.display())).unwrap();
        assert_eq!(read["jwks_uri"], "https://shop.example/jwks.json");
        std::fs::remove_file(path).unwrap();
        assert!(parse_setting("{mode").unwrap_err().starts_with("not JSON"));
        assert!(parse_setting("@/nonexistent/x.json")
            .unwrap_err()
            .starts_with("cannot read"));
        assert_eq!(change(None, true), Some(None));
        assert_eq!(change(Some(Value::Null), false), Some(Some(Value::Null)));
        assert_eq!(change(None, false), None);
    }
}
