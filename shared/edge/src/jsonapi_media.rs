//! JSON:API's content negotiation (https://jsonapi.org/format/#content-negotiation-servers):
//! what a request's `Content-Type` and `Accept` say about the one media type the resource API
//! answers in, `application/vnd.api+json`, with no extension supported.
//!
//! A media type's parameters are those before its `q` weight (RFC 9110 §12.5.1: "the first
//! `q` parameter (if any) separates the media-range parameter(s) from the accept-params"), so
//! `application/vnd.api+json;q=0.5` has none. `profile` is one JSON:API allows ("servers MUST
//! ignore" a profile they do not support, JSON:API 1.1 §"Profiles"); any other (`ext` among
//! them: the server supports no extension) makes the instance one it cannot answer with.

use http::{HeaderMap, StatusCode};

use crate::jsonapi::{JsonApiError, CONTENT_TYPE};

/// One media range of a header: whether it names JSON:API's type, whether it carries a
/// parameter other than `profile`, and whether its weight is zero ("not acceptable").
#[derive(Debug, PartialEq, Eq)]
struct MediaRange {
    json_api: bool,
    foreign_parameter: bool,
    refused: bool,
}

fn media_range(range: &str) -> MediaRange {
    let mut parts = range.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("");
    let mut foreign_parameter = false;
    let mut refused = false;
    for parameter in parts {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        let name = name.trim().to_ascii_lowercase();
        if name == "q" {
            // The weight ends the media type's parameters; what follows is accept-ext.
            refused = value.trim().parse::<f32>().is_ok_and(|q| q == 0.0);
            break;
        }
        if name != "profile" && !name.is_empty() {
            foreign_parameter = true;
        }
    }
    MediaRange {
        json_api: essence.eq_ignore_ascii_case(CONTENT_TYPE),
        foreign_parameter,
        refused,
    }
}

/// Why a request cannot be answered in JSON:API's terms, if it cannot.
///
/// JSON:API 1.1: "Servers MUST respond with a 415 Unsupported Media Type status code if a
/// request specifies the header Content-Type: application/vnd.api+json with any media type
/// parameters other than ext or profile", and with 415 for an `ext` it does not support (here,
/// any). "If all instances of that media type are modified with a media type parameter other
/// than ext or profile, servers MUST respond with a 406 Not Acceptable status code", and the
/// same for instances whose `ext` it does not support.
pub fn negotiation_problem(headers: &HeaderMap) -> Option<JsonApiError> {
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(media_range)
            .collect::<Vec<_>>()
    };
    let content_type = values(http::header::CONTENT_TYPE);
    if content_type
        .iter()
        .any(|r| r.json_api && r.foreign_parameter)
    {
        return Some(JsonApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "UNSUPPORTED_MEDIA_TYPE",
            "Content-Type application/vnd.api+json takes no media type parameters here \
             (no JSON:API extension is supported)",
        ));
    }
    let accepted: Vec<MediaRange> = values(http::header::ACCEPT)
        .into_iter()
        .filter(|range| range.json_api)
        .collect();
    let usable = accepted
        .iter()
        .any(|range| !range.foreign_parameter && !range.refused);
    (!accepted.is_empty() && !usable).then(|| {
        JsonApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            "NOT_ACCEPTABLE",
            "Accept names application/vnd.api+json only with media type parameters (or a \
             weight of 0): answers are plain application/vnd.api+json, no extension supported",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    /// A request's headers, and the status of the refusal, or None for an answer.
    type Case = (&'static [(&'static str, &'static str)], Option<u16>);

    #[test]
    fn each_header_is_judged_as_json_api_says() {
        let cases: &[Case] = &[
            (&[], None),
            (&[("accept", "application/vnd.api+json")], None),
            (&[("accept", "*/*")], None),
            (&[("accept", "application/json")], None),
            (&[("accept", "application/vnd.api+json; q=0.5")], None),
            (
                &[("accept", "application/vnd.api+json;q=0.5;foo=bar")],
                None,
            ),
            (&[("accept", "Application/VND.API+JSON")], None),
            (
                &[(
                    "accept",
                    "application/vnd.api+json; profile=\"https://example.com/p\"",
                )],
                None,
            ),
            (
                &[("accept", "application/vnd.api+json;charset=utf-8")],
                Some(406),
            ),
            (
                &[(
                    "accept",
                    "application/vnd.api+json; ext=\"https://example.com/e\"",
                )],
                Some(406),
            ),
            (&[("accept", "application/vnd.api+json; q=0")], Some(406)),
            // All instances carry a parameter, even with another type acceptable beside them.
            (
                &[("accept", "application/vnd.api+json;v=1, */*")],
                Some(406),
            ),
            // One plain instance among them is enough.
            (
                &[(
                    "accept",
                    "application/vnd.api+json;v=1, application/vnd.api+json",
                )],
                None,
            ),
            (
                &[
                    ("accept", "application/vnd.api+json;v=1"),
                    ("accept", "application/vnd.api+json"),
                ],
                None,
            ),
            (&[("content-type", "application/vnd.api+json")], None),
            (&[("content-type", "application/json; charset=utf-8")], None),
            (
                &[("content-type", "application/vnd.api+json; charset=utf-8")],
                Some(415),
            ),
            (
                &[(
                    "content-type",
                    "application/vnd.api+json; ext=\"https://example.com/e\"",
                )],
                Some(415),
            ),
            (
                &[(
                    "content-type",
                    "application/vnd.api+json; profile=\"https://example.com/p\"",
                )],
                None,
            ),
            // 415 is judged first.
            (
                &[
                    ("content-type", "application/vnd.api+json; charset=utf-8"),
                    ("accept", "application/vnd.api+json; charset=utf-8"),
                ],
                Some(415),
            ),
        ];
        for (pairs, expected) in cases {
            let problem = negotiation_problem(&headers(pairs));
            assert_eq!(
                problem.as_ref().map(|p| p.status.as_u16()),
                *expected,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn a_refusal_is_a_json_api_error_in_the_documented_format() {
        let problem = negotiation_problem(&headers(&[(
            "accept",
            "application/vnd.api+json; charset=utf-8",
        )]))
        .unwrap();
        let response = problem.into_response();
        assert_eq!(response.status(), 406);
        assert_eq!(response.headers()["content-type"], CONTENT_TYPE);
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(body["errors"][0]["code"], "NOT_ACCEPTABLE");
        assert_eq!(body["errors"][0]["status"], "406");
    }
}
