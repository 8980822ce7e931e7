//! The catalog's routes: `markets`, `skus`, `prices` and `stock_items` as lists, and
//! `markets/{id}` and `skus/{id}`, each under the token's view, with the records `include`
//! asks for.

use std::sync::Arc;

use gatehouse_core::input::is_lookup_key;
use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::model::{CatalogView, Market, Price, Sku, StockItem};
use gatehouse_core::query::Record;
use gatehouse_core::scope::ResourceRef;
use gatehouse_edge::jsonapi::JsonApiError;
use gatehouse_edge::oauth_request::Params;
use gatehouse_store::catalog::page_of;
use gatehouse_store::{Page, PageRequest, StoreError};
use http::Response;
use lambda_http::Body;

use crate::document::{self, Resource};
use crate::include::{read_include, Inclusion, Related};
use crate::list_query::{fieldset, list_only, list_query, ListQuery};
use crate::{bad_request, not_found, unavailable, view, ApiService};

/// A list request for records of `R`, read: its list parameters, its fieldset, its `include`.
struct ListRequest {
    query: ListQuery,
    shown: Option<Vec<String>>,
    inclusion: Inclusion,
}

/// The list request for records of `R`, or the 400's detail.
fn read_list<R: Record>(params: &Params) -> Result<ListRequest, String> {
    Ok(ListRequest {
        query: list_query::<R>(params)?,
        shown: fieldset(params, R::TYPE)?,
        inclusion: read_include(params, R::TYPE, &|kind| fieldset(params, kind))?,
    })
}

/// The fieldset and `include` of a request for one record of `R`, or the 400's detail.
pub(crate) fn read_single<R: Record>(
    params: &Params,
) -> Result<(Option<Vec<String>>, Inclusion), String> {
    list_only(params)?;
    let inclusion = read_include(params, R::TYPE, &|kind| fieldset(params, kind))?;
    Ok((fieldset(params, R::TYPE)?, inclusion))
}

/// A list from `load`, which reads a page of the list the token sees: the store's page itself
/// when nothing filters or sorts it; otherwise the whole list, read once its length is known
/// to be within the service's bound ([`crate::MAX_FILTERED_LIST`]), then filtered, sorted
/// and cut.
async fn list<T: Resource, F, Fut>(
    service: &ApiService,
    query: &ListQuery,
    load: F,
) -> Result<Page<T>, JsonApiError>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
{
    if query.plain() {
        return load(query.page.clone()).await.map_err(unavailable);
    }
    let whole = |size| PageRequest {
        number: 1,
        size,
        after: None,
    };
    let bound = service.max_filtered_list;
    let length = load(whole(1)).await.map_err(unavailable)?.record_count;
    if length > bound {
        return Err(bad_request(format!(
            "filtering or sorting reads the whole list, and this token's {} are {length}, \
             more than {bound}: filter by code or id (code_eq, id_eq), or use a \
             token scoped to a market",
            T::TYPE
        )));
    }
    let all = load(whole(bound)).await.map_err(unavailable)?;
    Ok(query.narrow(all.records))
}

/// A list read by its key (`code_eq`, `id_eq`): the records found, under the request's other
/// filters.
fn found_list<T: Resource>(query: &ListQuery, found: impl IntoIterator<Item = T>) -> Page<T> {
    query.narrow(found.into_iter().map(Arc::new).collect())
}

/// The page as a JSON:API document, with the records its `include` asks for.
async fn answer_list<T: Resource>(
    service: &ApiService,
    view: &CatalogView,
    request: ListRequest,
    page: Page<T>,
) -> Result<Response<Body>, JsonApiError> {
    let related = Related::read(request.inclusion, &page.records, view, service);
    let related = related.await.map_err(unavailable)?;
    let query = &request.query;
    let (base, shown) = (&service.base_url, request.shown.as_deref());
    Ok(document::list(
        &page,
        &query.page,
        base,
        &query.kept,
        shown,
        &related,
    ))
}

/// One record as a JSON:API document, with the records its `include` asks for.
async fn answer_single<T: Resource>(
    service: &ApiService,
    view: &CatalogView,
    (shown, inclusion): (Option<Vec<String>>, Inclusion),
    record: T,
) -> Result<Response<Body>, JsonApiError> {
    let record = Arc::new(record);
    let related = Related::read(inclusion, std::slice::from_ref(&record), view, service);
    let related = related.await.map_err(unavailable)?;
    let (base, shown) = (&service.base_url, shown.as_deref());
    Ok(document::single(record.as_ref(), base, shown, &related))
}

/// The answer to a catalog request (`segments` is the path after `/api`).
pub async fn catalog(
    segments: &[&str],
    params: &Params,
    service: &ApiService,
    claims: &AccessTokenClaims,
) -> Result<Response<Body>, JsonApiError> {
    let (view, market) = view::view_of(claims, service).await?;
    // An id or code that could not name a record is not found, without asking storage.
    let unfit = |value: &str| !is_lookup_key(value);
    if segments.get(1).is_some_and(|id| unfit(id)) {
        return Err(not_found("no such record"));
    }
    let catalog = &service.catalog;
    match segments {
        ["markets"] => {
            let request = read_list::<Market>(params).map_err(bad_request)?;
            let keyed = match (&market, request.query.key()) {
                // A market token sees its market alone; market:all finds one by its key.
                (None, Some(("id", id))) => Some(ResourceRef::Id(id.to_owned())),
                (None, Some((_, code))) => Some(ResourceRef::Code(code.to_owned())),
                (Some(_), _) | (None, None) => None,
            };
            let page = match keyed {
                Some(key) => {
                    let keys = [key];
                    let found = service.clients.find_markets(view.mode(), &keys);
                    found_list(&request.query, found.await.map_err(unavailable)?)
                }
                None => {
                    list(service, &request.query, |page| async {
                        match &market {
                            Some(market) => Ok(page_of(vec![market.clone()], page)),
                            None => catalog.list_markets(view.mode(), page).await,
                        }
                    })
                    .await?
                }
            };
            answer_list(service, &view, request, page).await
        }
        ["markets", id] => {
            let request = read_single::<Market>(params).map_err(bad_request)?;
            let found = match &market {
                Some(market) => Ok((market.id == *id).then(|| market.clone())),
                None => service
                    .clients
                    .find_markets(view.mode(), &[ResourceRef::Id((*id).to_owned())])
                    .await
                    .map(|markets| markets.into_iter().next()),
            };
            match found.map_err(unavailable)? {
                Some(market) => answer_single(service, &view, request, market).await,
                None => Err(not_found("no such record")),
            }
        }
        ["skus"] => {
            let request = read_list::<Sku>(params).map_err(bad_request)?;
            let page = match request.query.key() {
                // `code_eq` and `id_eq` are key reads; the other filters apply to what they find.
                Some((attribute, key)) => {
                    let found = match attribute {
                        _ if unfit(key) => Ok(None),
                        "id" => catalog.find_sku(&view, key).await,
                        _ => catalog.find_sku_by_code(&view, key).await,
                    };
                    found_list(&request.query, found.map_err(unavailable)?)
                }
                None => {
                    list(service, &request.query, |page| {
                        catalog.list_skus(&view, page)
                    })
                    .await?
                }
            };
            answer_list(service, &view, request, page).await
        }
        ["skus", id] => {
            let request = read_single::<Sku>(params).map_err(bad_request)?;
            match catalog.find_sku(&view, id).await.map_err(unavailable)? {
                Some(sku) => answer_single(service, &view, request, sku).await,
                None => Err(not_found("no such record")),
            }
        }
        ["prices"] => {
            let request = read_list::<Price>(params).map_err(bad_request)?;
            let load = |page| catalog.list_prices(&view, page);
            let page = list(service, &request.query, load).await?;
            answer_list(service, &view, request, page).await
        }
        ["stock_items"] => {
            let request = read_list::<StockItem>(params).map_err(bad_request)?;
            let load = |page| catalog.list_stock_items(&view, page);
            let page = list(service, &request.query, load).await?;
            answer_list(service, &view, request, page).await
        }
        _ => Err(not_found("no such endpoint")),
    }
}
