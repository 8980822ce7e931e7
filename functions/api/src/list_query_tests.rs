use super::*;
use gatehouse_core::model::{Mode, Sku};

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().copied()).unwrap()
}

fn sku(n: u32) -> Arc<Sku> {
    Arc::new(Sku {
        id: format!("sku_{n}"),
        mode: Mode::Test,
        code: format!("C{n:02}"),
        name: if n.is_multiple_of(2) { "even" } else { "odd" }.into(),
    })
}

#[test]
fn a_list_request_is_read_for_its_record_type() {
    let query = list_query::<Sku>(&params(&[
        ("filter[q][name_eq]", "odd"),
        ("filter[code_gt]", "C03"),
        ("sort", "-code"),
        ("fields[skus]", "code"),
        ("page[size]", "2"),
        ("page[number]", "2"),
    ]))
    .unwrap();
    assert_eq!(query.conditions.len(), 2);
    assert_eq!(
        query.kept,
        "filter%5Bq%5D%5Bname_eq%5D=odd&filter%5Bcode_gt%5D=C03&sort=-code&fields%5Bskus%5D=code"
    );
    // Odd codes above C03, from the highest: C09, C07 | C05; the second page of two.
    let records: Vec<Arc<Sku>> = (1..=9).map(sku).collect();
    let page = query.narrow(records);
    let codes: Vec<&str> = page.records.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(codes, ["C05"]);
    assert_eq!(page.record_count, 3);
    assert!(!query.plain());
    assert_eq!(query.key(), None);
    let keyed = list_query::<Sku>(&params(&[("filter[q][code_eq]", "C01")])).unwrap();
    assert_eq!(keyed.key(), Some(("code", "C01")));
}

#[test]
fn what_a_list_cannot_apply_is_named() {
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("page[size]", "26")],
            "page[size] must be a whole number from 1 to 25",
        ),
        (&[("page[number]", "0")], "page[number] must be"),
        (
            &[("filter[q][price_eq]", "1")],
            "names price, which is not an attribute of skus",
        ),
        (&[("filter[q][code_like]", "1")], "ends with no predicate"),
        (&[("sort", "price")], "sort names 'price'"),
        (&[("page[after]", "!!")], "page[after] must be"),
    ];
    for (pairs, expected) in cases {
        let error = list_query::<Sku>(&params(pairs)).err().unwrap();
        assert!(error.contains(expected), "{pairs:?}: {error}");
    }
}

#[test]
fn a_fieldset_is_checked_against_the_type_it_names() {
    let shown = fieldset(
        &params(&[("fields[skus]", "name"), ("fields[prices]", "amount_cents")]),
        "skus",
    );
    assert_eq!(shown, Ok(Some(vec!["name".to_owned()])));
    assert_eq!(
        fieldset(&params(&[("fields[skus]", "")]), "skus"),
        Ok(Some(vec![]))
    );
    assert_eq!(
        fieldset(&params(&[("fields[prices]", "sku_code")]), "skus"),
        Ok(None)
    );
    let cases = [
        (
            ("fields[skus]", "price"),
            "names 'price', which is not a field of skus",
        ),
        (
            ("fields[orders]", "number"),
            "names 'orders', which is not a type",
        ),
    ];
    for (pair, expected) in cases {
        let error = fieldset(&params(&[pair]), "skus").unwrap_err();
        assert!(error.contains(expected), "{pair:?}: {error}");
    }
}

#[test]
fn a_single_record_takes_no_list_parameter() {
    assert_eq!(list_only(&params(&[("fields[skus]", "code")])), Ok(()));
    for name in ["filter[q][code_eq]", "sort", "page[size]"] {
        let error = list_only(&params(&[(name, "1")])).unwrap_err();
        assert!(error.starts_with(name), "{error}");
    }
}
