//! Imports that change, delete and re-add catalog records, on both stores: after each, every
//! scope's lists (SKUs, prices, stock items, page by page, with their counts) and lookups are
//! those computed from the imported records alone with the model's rules
//! ([`gatehouse_core::model::CatalogView`]).

use super::*;
use gatehouse_tests::catalogs::{changed, generated, lists_are_those_of};

async fn imports_change_delete_and_re_add_records_in_every_scope(store: Arc<dyn Store>) {
    let first = generated(7, 15);
    let second = changed(&first);
    assert!(
        second.skus.len() < first.skus.len() + 6,
        "SKUs were deleted"
    );
    for catalog in [&first, &second, &first] {
        store.import(catalog).await.unwrap();
        lists_are_those_of(store.as_ref(), catalog).await;
    }
}

conformance!(imports_change_delete_and_re_add_records_in_every_scope);
