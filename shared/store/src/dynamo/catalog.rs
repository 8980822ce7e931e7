//! [`CatalogReads`] on DynamoDB, from the listings import keeps (see `catalog_items.rs`): a
//! page is the listing's size and one `Query` on a range of positions, sent together.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::catalog_items::*;
use super::keys::*;
use super::DynamoStore;
use crate::catalog::{order, page_of};
use crate::{CatalogReads, Page, PageRequest, StoreError};
use gatehouse_core::model::{CatalogView, Market, Mode, Price, Sku, StockItem};

impl DynamoStore {
    /// Every item of `partition` whose sort key is within `range`, `[from, to]` (the whole
    /// partition without one), in order.
    pub(super) async fn query(
        &self,
        partition: &str,
        range: Option<(&str, &str)>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(partition))
                .consistent_read(true)
                .set_exclusive_start_key(start);
            query = match range {
                Some((from, to)) => query
                    .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                    .expression_attribute_values(":from", s(from))
                    .expression_attribute_values(":to", s(to)),
                None => query.key_condition_expression("PK = :pk"),
            };
            let output = query.send().await.map_err(StoreError::unavailable)?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Positions `[first, end)` of a listing, in order.
    async fn positions(
        &self,
        partition: &str,
        first: u64,
        end: u64,
    ) -> Result<Vec<Item>, StoreError> {
        if end <= first {
            return Ok(vec![]);
        }
        let range = (position_key(first), position_key(end - 1));
        self.query(partition, Some((&range.0, &range.1))).await
    }

    /// One page of a listing and its size, in one round trip.
    async fn listing_page<T>(
        &self,
        mode: Mode,
        listing: &str,
        page: PageRequest,
        from: fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let partition = listing_partition(mode, listing);
        let (first, end) = page.range();
        let (count, items) = futures::future::try_join(
            self.get(key(partition.clone(), "count".into())),
            self.positions(&partition, first, end),
        )
        .await?;
        let record_count = count_of(count.as_ref())?;
        let records = items.iter().map(from).collect::<Result<_, _>>()?;
        Ok(Page {
            records,
            record_count,
        })
    }

    /// The SKU listing of `view`, when import keeps one for it.
    async fn sku_listing_of(&self, view: &CatalogView) -> Result<Option<String>, StoreError> {
        let listing = match view {
            CatalogView::All { .. } => return Ok(Some("skus".to_owned())),
            CatalogView::Market {
                market_id,
                narrowed: false,
                ..
            } => return Ok(Some(sku_listing(market_id, None))),
            CatalogView::Market {
                market_id,
                stock_location_ids,
                ..
            } => sku_listing(market_id, Some(stock_location_ids)),
        };
        let count = self
            .get(key(
                listing_partition(view.mode(), &listing),
                "count".into(),
            ))
            .await?;
        Ok(count.map(|_| listing))
    }

    /// The SKUs of a narrowed view that has no listing of its own (a subset of the locations of
    /// a market with many): the union of its locations' listings, read whole. Its cost grows
    /// with the SKUs sellable at those locations, the one list that does.
    async fn union_of_location_skus(&self, view: &CatalogView) -> Result<Vec<Sku>, StoreError> {
        let CatalogView::Market {
            market_id,
            stock_location_ids,
            ..
        } = view
        else {
            return Ok(vec![]);
        };
        let mut skus = Vec::new();
        for location in stock_location_ids {
            let listing = sku_listing(market_id, Some(std::slice::from_ref(location)));
            let partition = listing_partition(view.mode(), &listing);
            for item in self.query(&partition, Some(("n#", "n#~"))).await? {
                skus.push(sku_from(&item)?);
            }
        }
        skus.sort_by(order::skus);
        skus.dedup_by(|a, b| a.id == b.id);
        Ok(skus)
    }

    async fn find_sku_by(
        &self,
        view: &CatalogView,
        sort_key: String,
        matches: impl Fn(&Sku) -> bool,
    ) -> Result<Option<Sku>, StoreError> {
        match self.sku_listing_of(view).await? {
            Some(listing) => {
                let partition = listing_partition(view.mode(), &listing);
                self.find(key(partition, sort_key), sku_from).await
            }
            None => Ok(self
                .union_of_location_skus(view)
                .await?
                .into_iter()
                .find(|sku| matches(sku))),
        }
    }
}

#[async_trait]
impl CatalogReads for DynamoStore {
    async fn list_markets(
        &self,
        mode: Mode,
        page: PageRequest,
    ) -> Result<Page<Market>, StoreError> {
        self.listing_page(mode, "markets", page, super::items::market_from)
            .await
    }

    async fn list_skus(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Sku>, StoreError> {
        match self.sku_listing_of(view).await? {
            Some(listing) => {
                self.listing_page(view.mode(), &listing, page, sku_from)
                    .await
            }
            None => Ok(page_of(self.union_of_location_skus(view).await?, page)),
        }
    }

    async fn find_sku(&self, view: &CatalogView, id: &str) -> Result<Option<Sku>, StoreError> {
        self.find_sku_by(view, format!("id#{id}"), |sku| sku.id == id)
            .await
    }

    async fn find_sku_by_code(
        &self,
        view: &CatalogView,
        code: &str,
    ) -> Result<Option<Sku>, StoreError> {
        self.find_sku_by(view, format!("code#{code}"), |sku| sku.code == code)
            .await
    }

    async fn list_prices(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<Price>, StoreError> {
        let listing = match view {
            CatalogView::All { .. } => "prices".to_owned(),
            CatalogView::Market { price_list_id, .. } => format!("prices@{price_list_id}"),
        };
        self.listing_page(view.mode(), &listing, page, price_from)
            .await
    }

    async fn list_stock_items(
        &self,
        view: &CatalogView,
        page: PageRequest,
    ) -> Result<Page<StockItem>, StoreError> {
        let locations = match view {
            CatalogView::All { mode } => {
                return self.listing_page(*mode, "stock", page, stock_from).await
            }
            CatalogView::Market {
                stock_location_ids, ..
            } => stock_location_ids,
        };
        // The locations' listings one after another, by location number: their sizes in one
        // request, then the slices the page covers, together.
        let partitions: Vec<String> = locations
            .iter()
            .map(|l| listing_partition(view.mode(), &format!("stock@{l}")))
            .collect();
        let count_keys = partitions.iter().map(|p| key(p.clone(), "count".into()));
        let counts = self.batch_get(count_keys.collect()).await?;
        let mut listings: Vec<(u64, String, u64)> = Vec::new();
        for item in &counts {
            let Some(AttributeValue::S(partition)) = item.get("PK") else {
                continue;
            };
            let count = count_of(Some(item))?;
            listings.push((number_of(item).unwrap_or(0), partition.clone(), count));
        }
        listings.sort();
        let record_count = listings.iter().map(|(_, _, count)| count).sum();
        let (first, end) = page.range();
        let mut slices = Vec::new();
        let mut offset = 0u64;
        for (_, partition, count) in &listings {
            let (from, to) = (first.max(offset), end.min(offset + count));
            if from < to {
                slices.push(self.positions(partition, from - offset, to - offset));
            }
            offset += count;
        }
        let records = futures::future::try_join_all(slices)
            .await?
            .iter()
            .flatten()
            .map(stock_from)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            records,
            record_count,
        })
    }
}
