//! Typed reads of item attributes.

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::Item;
use crate::StoreError;
use gatehouse_core::model::Mode;
use gatehouse_core::password::PasswordHash;
use gatehouse_core::secret::SecretHash;

/// Reads typed attributes out of an item, naming the item in errors.
pub(super) struct Reader<'a> {
    pub(super) item: &'a Item,
}

impl Reader<'_> {
    pub(super) fn corrupt(&self, reason: String) -> StoreError {
        let part = |k: &str| match self.item.get(k) {
            Some(AttributeValue::S(v)) => v.clone(),
            _ => "?".into(),
        };
        let key = format!("{}/{}", part("PK"), part("SK"));
        StoreError::Corrupt { key, reason }
    }

    pub(super) fn string(&self, attribute: &str) -> Result<String, StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::S(value)) => Ok(value.clone()),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a string"))),
        }
    }

    pub(super) fn optional_string(&self, attribute: &str) -> Result<Option<String>, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
            _ => Err(self.corrupt(format!("{attribute} is not a string"))),
        }
    }

    pub(super) fn number<T: std::str::FromStr>(&self, attribute: &str) -> Result<T, StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::N(value)) => value
                .parse()
                .map_err(|_| self.corrupt(format!("{attribute} is out of range"))),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a number"))),
        }
    }

    /// A number that may be absent (a `Null` is not a number).
    pub(super) fn optional_number<T: std::str::FromStr>(
        &self,
        attribute: &str,
    ) -> Result<Option<T>, StoreError> {
        self.item
            .get(attribute)
            .map(|_| self.number(attribute))
            .transpose()
    }

    pub(super) fn secret_hash(&self, attribute: &str) -> Result<SecretHash, StoreError> {
        SecretHash::from_stored(&self.string(attribute)?)
            .ok_or_else(|| self.corrupt(format!("{attribute} is malformed")))
    }

    pub(super) fn optional_secret_hash(
        &self,
        attribute: &str,
    ) -> Result<Option<SecretHash>, StoreError> {
        self.optional_string(attribute)?
            .map(|_| self.secret_hash(attribute))
            .transpose()
    }

    pub(super) fn password_hash(&self) -> Result<PasswordHash, StoreError> {
        PasswordHash::from_stored(&self.string("password_hash")?)
            .map_err(|e| self.corrupt(e.to_string()))
    }

    pub(super) fn boolean(&self, attribute: &str) -> Result<bool, StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::Bool(value)) => Ok(*value),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a boolean"))),
        }
    }

    pub(super) fn optional_boolean(&self, attribute: &str) -> Result<Option<bool>, StoreError> {
        match self.item.get(attribute) {
            None => Ok(None),
            Some(AttributeValue::Bool(value)) => Ok(Some(*value)),
            _ => Err(self.corrupt(format!("{attribute} is not a boolean"))),
        }
    }

    pub(super) fn list(&self, attribute: &str) -> Result<&[AttributeValue], StoreError> {
        match self.item.get(attribute) {
            Some(AttributeValue::L(values)) => Ok(values),
            _ => Err(self.corrupt(format!("{attribute} is missing or not a list"))),
        }
    }

    pub(super) fn string_list(&self, attribute: &str) -> Result<Vec<String>, StoreError> {
        self.list(attribute)?
            .iter()
            .map(|v| match v {
                AttributeValue::S(value) => Ok(value.clone()),
                _ => Err(self.corrupt(format!("{attribute} holds a non-string"))),
            })
            .collect()
    }

    pub(super) fn number_list(&self, attribute: &str) -> Result<Vec<u64>, StoreError> {
        self.list(attribute)?
            .iter()
            .map(|v| match v {
                AttributeValue::N(value) => value
                    .parse()
                    .map_err(|_| self.corrupt(format!("{attribute} holds a bad number"))),
                _ => Err(self.corrupt(format!("{attribute} holds a non-number"))),
            })
            .collect()
    }

    pub(super) fn mode(&self) -> Result<Mode, StoreError> {
        let mode = self.string("mode")?;
        Mode::parse(&mode).ok_or_else(|| self.corrupt(format!("unknown mode '{mode}'")))
    }
}
