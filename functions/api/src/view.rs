//! The part of the catalog a token sees, read again at each request.

use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::model::{CatalogView, Market};
use gatehouse_core::scope::ResourceRef;
use gatehouse_edge::bearer::BearerError;
use gatehouse_edge::jsonapi::JsonApiError;
use http::StatusCode;

use crate::{unavailable, ApiService};

/// The token's market as it is now, and the view it gives, or why the token gets no view.
pub async fn view_of(
    claims: &AccessTokenClaims,
    service: &ApiService,
) -> Result<(CatalogView, Option<Market>), JsonApiError> {
    let mode = claims.mode();
    let Some(claim) = &claims.market else {
        return Ok((CatalogView::All { mode }, None));
    };
    let market = service
        .clients
        .find_markets(mode, &[ResourceRef::Id(claim.id.clone())])
        .await
        .map_err(unavailable)?
        .into_iter()
        .next()
        // The market is not in the token's environment: the token does not belong here.
        .ok_or_else(|| {
            BearerError::Malformed("the token's market is not in its environment").refusal()
        })?;
    if !market.active {
        return Err(JsonApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Market disabled",
            "MARKET_DISABLED",
            format!(
                "market:{} has been disabled: this token gets no data from it",
                market.number
            ),
        ));
    }
    // The claim lists the scoped stock locations when the scope names some.
    let narrowed = claims
        .scope
        .split(' ')
        .any(|t| t.starts_with("stock_location:"));
    let scoped = if narrowed {
        claim.stock_location_ids.clone()
    } else {
        vec![]
    };
    Ok((CatalogView::of_market(&market, &scoped), Some(market)))
}
