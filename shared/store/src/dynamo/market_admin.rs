//! Enabling and disabling a market on DynamoDB. A market is stored once per name (`number#`,
//! `code#`, `id#` in `MARKET#<mode>`) and again in its environment's `markets` list (under its
//! number): every copy carries `active`, so every copy changes, together
//! with the audit record and its request's record, in one `TransactWriteItems`. Each copy's
//! write is conditioned on still being this market, so a concurrent import that renamed it
//! cancels the change rather than leaving copies that disagree.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::catalog_import::key_of;
use super::items::*;
use super::keys::*;
use super::lists::named_partition;
use super::reader::Reader;
use super::transactions::Condition;
use super::DynamoStore;
use crate::administration::market_record;
use crate::{AdminError, AdminOutcome, ChangeContext, StoreError};
use gatehouse_core::model::{Market, Mode};

impl DynamoStore {
    /// The market with this id, in whichever environment holds it.
    async fn market_by_id(&self, market_id: &str) -> Result<Option<Market>, StoreError> {
        let keys = Mode::ALL
            .iter()
            .map(|mode| key(market_partition(*mode), format!("id#{market_id}")))
            .collect();
        self.batch_get(keys)
            .await?
            .first()
            .map(market_from)
            .transpose()
    }

    /// The keys of the market's entries in its environment's `markets` listing.
    async fn market_listing_keys(&self, market: &Market) -> Result<Vec<Item>, StoreError> {
        let partition = named_partition(market.mode, "markets");
        let mut keys = Vec::new();
        for item in self.query(&partition, None).await? {
            let id = Reader { item: &item }.optional_string("id")?;
            if id.as_deref() == Some(market.id.as_str()) {
                keys.push(key_of(&item));
            }
        }
        Ok(keys)
    }

    pub(super) async fn change_market_active(
        &self,
        market_id: &str,
        active: bool,
        change: &ChangeContext,
    ) -> Result<AdminOutcome, AdminError> {
        let Some(mut market) = self.market_by_id(market_id).await? else {
            let gone = AdminError::no_market(market_id);
            return self.unless_answered(change, gone).await;
        };
        market.active = active;
        let mut copies: Vec<Item> = market_items(&market).iter().map(key_of).collect();
        copies.extend(self.market_listing_keys(&market).await?);
        let mut writes = Vec::new();
        for copy in copies {
            writes.push(self.update_write(
                copy,
                "SET active = :active".to_owned(),
                HashMap::new(),
                Condition::new("id = :id").with(":id", s(&market.id)),
                Item::from([(":active".to_owned(), AttributeValue::Bool(active))]),
            )?);
        }
        writes.push(self.audit_write(&market_record(change, &market))?);
        let outcome = AdminOutcome::MarketChanged(market);
        if let Some(outcome) = self.commit_change(writes, change, outcome).await? {
            return Ok(outcome);
        }
        Err(AdminError::Conflict(format!(
            "market '{market_id}' changed while it was updated (an import?); try again"
        )))
    }
}
