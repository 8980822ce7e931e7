//! The token request as `POST /oauth/token` reads it: the body (form or JSON) and the client
//! credentials (body or HTTP Basic), through the token function's own entry points
//! (`Incoming::read`, then `admit` against a client "storage found"), and the shared parser
//! beneath them (`parse_oauth_request`, `parse_form`).
//!
//! Input: a first byte that says what the rest is, so that seeds stay readable.
//! - `f`: a form body (`Content-Type: application/x-www-form-urlencoded`);
//! - `j`: a JSON body (`Content-Type: application/json`);
//! - `a` / `A`: an `Authorization` header value, a newline, then a form / JSON body;
//! - `r`: a client id, a newline, a secret: sent form-url-encoded in Basic credentials
//!   (RFC 6749 §2.3.1), they must come back exactly;
//! - anything else: a `Content-Type` line, an `Authorization` line (empty: none), the body.
//!
//! Checked: no panic; every error is a 400 or a 401 `invalid_client` in the documented format
//! whose `error_description` keeps to RFC 6749 §5.2's characters (`check_token_error`);
//! parameters are never repeated, never empty, and never include the client secret; a form body
//! reads back the same after the standard form encoding; Basic credentials round-trip.

#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::model::{Application, ApplicationKind, Mode};
use gatehouse_core::secret::SecretHash;
use gatehouse_edge::oauth_request::{parse_form, parse_oauth_request, Params, TOKEN_PARAMETERS};
use gatehouse_fuzz::check_token_error;
use gatehouse_store::ClientWithScope;
use gatehouse_token::request::{Grant, Incoming};
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
/// The secret of the confidential seed clients below (`integration`, `webapp`).
const SECRET: &str = "fuzz-secret-0123456789abcdefghijklmnop";
const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

fn application(client_id: &str, kind: ApplicationKind) -> Application {
    Application {
        id: format!("app-{client_id}"),
        name: client_id.to_owned(),
        kind,
        mode: Mode::Test,
        client_id: client_id.to_owned(),
        client_secret_hash: (kind != ApplicationKind::SalesChannel).then(|| SecretHash::of(SECRET)),
        token_lifetime: None,
        redirect_uris: vec![],
        enabled: true,
        previous_client_secret: None,
        grant_types: None,
        // The confidential integration may use the JWT bearer grant, so that its admission
        // is fuzzed too.
        jwt_bearer: (kind == ApplicationKind::Integration)
            .then_some(gatehouse_core::jwt_bearer::JwtBearer::CommerceLayer),
    }
}

/// What storage finds for a client id: one application of each kind, none for any other id.
fn find_client(client_id: &str) -> Option<ClientWithScope> {
    let kind = match client_id {
        "sales-channel" => ApplicationKind::SalesChannel,
        "integration" => ApplicationKind::Integration,
        "webapp" => ApplicationKind::Webapp,
        _ => return None,
    };
    Some(ClientWithScope {
        application: application(client_id, kind),
        markets: vec![],
        stock_locations: vec![],
    })
}

/// A POST with these headers and body, as API Gateway hands it over: text when it is UTF-8.
fn request(
    content_type: Option<&[u8]>,
    authorization: Option<&[u8]>,
    body: &[u8],
) -> Option<Request> {
    let mut builder = http::Request::builder().method("POST").uri("/oauth/token");
    for (name, value) in [
        ("content-type", content_type),
        ("authorization", authorization),
    ] {
        if let Some(value) = value {
            // A value no HTTP message can carry (a line break, a NUL) never reaches us.
            builder = builder.header(name, http::HeaderValue::from_bytes(value).ok()?);
        }
    }
    let body = match std::str::from_utf8(body) {
        Ok(text) => Body::Text(text.to_owned()),
        Err(_) => Body::Binary(body.to_vec()),
    };
    builder.body(body).ok()
}

fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(at) => (&bytes[..at], &bytes[at + 1..]),
        None => (bytes, &[]),
    }
}

/// Every parameter's name and value; `get` hides empty values, which count as omitted.
fn pairs(params: &Params) -> Vec<(String, String)> {
    params
        .names()
        .map(|name| (name.to_owned(), params.get(name).unwrap_or("").to_owned()))
        .collect()
}

fn check_params(params: &Params) {
    let names: Vec<&str> = params.names().collect();
    for (index, name) in names.iter().enumerate() {
        // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
        assert!(
            !names[..index].contains(name),
            "parameter {name:?} kept twice"
        );
        // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
        // omitted from the request."
        assert_ne!(
            params.get(name),
            Some(""),
            "empty {name:?} returned as a value"
        );
    }
    assert!(
        !names.contains(&"client_secret"),
        "the secret is kept among the parameters"
    );
}

/// The form body reads back the same once written with the standard form encoder.
fn check_form_round_trip(body: &[u8]) {
    let Ok(body) = std::str::from_utf8(body) else {
        return;
    };
    let Ok(params) = parse_form(body) else {
        return;
    };
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs(&params))
        .finish();
    assert_eq!(
        parse_form(&encoded).ok().as_ref(),
        Some(&params),
        "{encoded:?}"
    );
}

/// RFC 6749 §2.3.1: the client id and secret "are encoded using the
/// application/x-www-form-urlencoded encoding algorithm" before Basic encoding; decoding
/// must give them back exactly.
fn check_basic_round_trip(rest: &[u8]) {
    let (id, secret) = split_line(rest);
    let (Ok(id), Ok(secret)) = (std::str::from_utf8(id), std::str::from_utf8(secret)) else {
        return;
    };
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
    let header = format!("Basic {credentials}");
    let request = request(
        Some(FORM.as_bytes()),
        Some(header.as_bytes()),
        b"grant_type=client_credentials",
    )
    .expect("a Basic header is a valid header value");
    let read = parse_oauth_request(&request, TOKEN_PARAMETERS)
        .expect("well-formed Basic credentials are read");
    let credentials = read.credentials;
    assert!(credentials.via_basic);
    assert_eq!(
        credentials.client_id.as_deref(),
        Some(id).filter(|id| !id.is_empty())
    );
    assert_eq!(
        credentials.client_secret.as_deref(),
        Some(secret).filter(|s| !s.is_empty())
    );
}

fn check_request(request: Request) {
    let authorization_sent = request.headers().contains_key("authorization");
    match parse_oauth_request(&request, TOKEN_PARAMETERS) {
        Ok(read) => {
            check_params(&read.params);
            if !authorization_sent {
                assert!(!read.credentials.via_basic);
            }
            if read.credentials.via_basic {
                assert!(
                    read.params.get("client_id").is_none(),
                    "credentials in both places"
                );
            }
        }
        Err(error) => check_token_error(error, authorization_sent),
    }

    // The token function's own path: read, look the client up, admit.
    let incoming = Incoming::read(&request);
    let _ = incoming.prefetch_key();
    let found = incoming.lookup().map(|(id, _, _)| Ok(find_client(id)));
    let _ = incoming.facts(found.as_ref());
    match incoming.admit(found, NOW) {
        Ok(admitted) => {
            let client = &admitted.client.application;
            assert!(find_client(&client.client_id).is_some());
            match admitted.grant {
                Grant::ClientCredentials => {}
                Grant::Password { username, password } => {
                    assert!(!username.is_empty() && !password.is_empty())
                }
                Grant::RefreshToken { refresh_token } => assert!(!refresh_token.is_empty()),
                Grant::AuthorizationCode {
                    code, redirect_uri, ..
                } => {
                    assert!(!code.is_empty() && !redirect_uri.is_empty())
                }
                Grant::JwtBearer { assertion } => {
                    assert!(!assertion.is_empty() && !client.is_public())
                }
            }
        }
        Err(error) => check_token_error(error, authorization_sent),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let request = match mode {
        b'f' => {
            check_form_round_trip(rest);
            request(Some(FORM.as_bytes()), None, rest)
        }
        b'j' => request(Some(JSON.as_bytes()), None, rest),
        b'a' | b'A' => {
            let (authorization, body) = split_line(rest);
            let content_type = if mode == b'a' { FORM } else { JSON };
            request(Some(content_type.as_bytes()), Some(authorization), body)
        }
        b'r' => {
            check_basic_round_trip(rest);
            return;
        }
        _ => {
            let (content_type, rest) = split_line(rest);
            let (authorization, body) = split_line(rest);
            let authorization = Some(authorization).filter(|value| !value.is_empty());
            request(Some(content_type), authorization, body)
        }
    };
    if let Some(request) = request {
        check_request(request);
    }
});
