//! What the fuzz targets check of every answer, whatever the input.

use gatehouse_edge::error::{ApiError, ErrorCode};
use lambda_http::Body;

/// RFC 6749 §5.2: "Values for the "error_description" parameter MUST NOT include characters
/// outside the set %x20-21 / %x23-5B / %x5D-7E."
pub fn is_error_description_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// An error of the token endpoint, checked as the client receives it: a 400, or a 401 exactly
/// for `invalid_client` (with `WWW-Authenticate` when the client sent an `Authorization`
/// header), a JSON body naming the error, and an `error_description` within RFC 6749 §5.2's
/// characters. `authorization_sent`: the request had an `Authorization` header.
pub fn check_token_error(error: ApiError, authorization_sent: bool) {
    let code = error.code;
    let response = error.into_response();
    let status = response.status().as_u16();
    assert!(
        status == 400 || (status == 401 && code == ErrorCode::InvalidClient),
        "{code:?} answered {status}: bad input is a 400 (or 401 invalid_client), never a 5xx"
    );
    // RFC 6749 §5.2: "If the client attempted to authenticate via the "Authorization" request
    // header field, the authorization server MUST respond with an HTTP 401 (Unauthorized)
    // status code and include the "WWW-Authenticate" response header field".
    if code == ErrorCode::InvalidClient && authorization_sent {
        assert!(
            response.headers().contains_key("www-authenticate"),
            "invalid_client after Basic authentication without WWW-Authenticate"
        );
    }
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("the error body is JSON"),
        other => panic!("the error body is not text: {other:?}"),
    };
    assert_eq!(body["error"], code.as_str());
    let description = body["error_description"]
        .as_str()
        .expect("error_description is a string");
    assert_eq!(body["errors"][0]["detail"], description);
    assert!(
        description.chars().all(is_error_description_char),
        "error_description has characters RFC 6749 §5.2 forbids: {description:?}"
    );
}
