//! Which query parameters the resource API understands, and the 400 for the rest.
//!
//! JSON:API 1.1, "Query Parameters": "If a server encounters a query parameter that does not
//! follow the naming conventions above, or the server does not know how to process it as a
//! query parameter from this specification, it MUST return 400 Bad Request." A filter, include,
//! sort or sparse fieldset the API cannot apply is therefore refused by name, never ignored:
//! ignored, `filter[q][code_eq]=X` (Commerce Layer's syntax) answered every SKU, a wrong answer
//! rather than a missing feature. Names with a character outside a-z are implementation-specific
//! ("MUST contain at least one non a-z character") and, unknown, are left alone, as a cache-
//! busting `_=1700000000` from a browser client is.

use gatehouse_core::input::echo_input;

/// The parameters the API applies, as an error lists them.
pub const SUPPORTED: &str = "page[number], page[size], page[after], \
    filter[q][<attribute>_<predicate>], sort, fields[<type>], include";

/// What a parameter is to the API.
#[derive(Debug, PartialEq, Eq)]
pub enum Parameter {
    /// Applied (a filter, sort or fieldset it cannot apply is then refused by name when it is
    /// read, [`crate::list_query`]).
    Supported,
    /// A JSON:API family (`include[...]`, `page[...]`) or a name JSON:API reserves (only a-z), that
    /// the API does not apply: a 400.
    Unsupported,
    /// Implementation-specific and not the API's: left alone.
    Ignored,
}

/// `name` (percent-decoded) as the API takes it.
pub fn parameter(name: &str) -> Parameter {
    let family = name.split('[').next().unwrap_or("");
    let bracketed = name.len() > family.len();
    match (family, bracketed) {
        ("page", true) if matches!(name, "page[number]" | "page[size]" | "page[after]") => {
            Parameter::Supported
        }
        ("filter" | "fields", true) if name.ends_with(']') => Parameter::Supported,
        ("sort" | "include", false) => Parameter::Supported,
        ("include" | "sort" | "fields" | "filter" | "page", _) => Parameter::Unsupported,
        (reserved, false)
            if !reserved.is_empty() && reserved.bytes().all(|b| b.is_ascii_lowercase()) =>
        {
            Parameter::Unsupported
        }
        (_, _) => Parameter::Ignored,
    }
}

/// The 400's detail for the first parameter of `names` the API does not apply, if one.
pub fn first_unsupported<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    names
        .into_iter()
        .find(|name| parameter(name) == Parameter::Unsupported)
        .map(|name| {
            format!(
                "the query parameter {} is not supported here; supported: {SUPPORTED}",
                echo_input(name)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_parameter_is_applied_refused_or_left_alone() {
        let cases = [
            ("page[number]", Parameter::Supported),
            ("page[size]", Parameter::Supported),
            ("page[after]", Parameter::Supported),
            ("filter[code_eq]", Parameter::Supported),
            ("page[limit]", Parameter::Unsupported),
            ("page", Parameter::Unsupported),
            ("filter[q][code_eq]", Parameter::Supported),
            ("filter[name_eq]", Parameter::Supported),
            ("sort", Parameter::Supported),
            ("fields[skus]", Parameter::Supported),
            ("filter", Parameter::Unsupported),
            ("filter[q", Parameter::Unsupported),
            ("include", Parameter::Supported),
            ("include[skus]", Parameter::Unsupported),
            ("sort[code]", Parameter::Unsupported),
            ("fields", Parameter::Unsupported),
            // Only a-z: reserved by JSON:API, so unknown means refused.
            ("foo", Parameter::Unsupported),
            // Implementation-specific names, not ours.
            ("_", Parameter::Ignored),
            ("cacheBust", Parameter::Ignored),
            ("my_param", Parameter::Ignored),
            ("", Parameter::Ignored),
        ];
        for (name, expected) in cases {
            assert_eq!(parameter(name), expected, "{name}");
        }
    }

    #[test]
    fn the_refusal_names_the_first_unsupported_parameter_and_what_is_supported() {
        assert_eq!(
            first_unsupported(["page[size]", "_", "filter[code_eq]"]),
            None
        );
        let detail = first_unsupported(["page[size]", "include[skus]", "sort"]).unwrap();
        assert!(detail.starts_with("the query parameter include[skus] is not supported"));
        assert!(detail.ends_with(SUPPORTED), "{detail}");
    }
}
