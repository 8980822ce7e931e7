//! The admin API's routes: the request read into a command (path segments, query, a JSON body
//! whose unknown fields are refused, the `Idempotency-Key` of a change), the command run, its
//! result written as JSON.

use gatehouse_core::idempotency::IdempotencyKey;
use gatehouse_core::input::echo_input;
use gatehouse_core::model::Mode;
use gatehouse_edge::error::{ApiError, ErrorCode};
use gatehouse_edge::http::{body_bytes, json_response};
use gatehouse_edge::oauth_request::{parse_form, Params};
use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::commands::{AdminService, CommandError};
use crate::requests::{ApplicationChanges, Caller, NewApplication};
use crate::revocations::RevocationRequest;
use crate::{views, ADMIN_PREFIX};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

enum Route {
    Applications,
    Application(String),
    Secret(String),
    Market(String),
    Revocations,
    Audit,
}

impl Route {
    /// The route of a path, its segments percent-decoded (a client_id may hold any
    /// printable character).
    fn of(path: &str) -> Option<Route> {
        let rest = path.strip_prefix(ADMIN_PREFIX)?;
        let segments: Vec<String> = rest
            .split('/')
            .map(|segment| {
                percent_encoding::percent_decode_str(segment)
                    .decode_utf8()
                    .ok()
                    .map(|s| s.into_owned())
            })
            .collect::<Option<_>>()?;
        let named = |name: &String| !name.is_empty();
        match segments.as_slice() {
            [first] if first == "applications" => Some(Route::Applications),
            [first] if first == "audit" => Some(Route::Audit),
            [first] if first == "revocations" => Some(Route::Revocations),
            [first, id] if first == "applications" && named(id) => {
                Some(Route::Application(id.clone()))
            }
            [first, id, last] if first == "applications" && named(id) && last == "secret" => {
                Some(Route::Secret(id.clone()))
            }
            [first, id] if first == "markets" && named(id) => Some(Route::Market(id.clone())),
            _ => None,
        }
    }

    fn allow(&self) -> &'static str {
        match self {
            Route::Applications => "GET, POST",
            Route::Application(_) => "GET, PATCH, DELETE",
            Route::Secret(_) => "POST",
            Route::Market(_) => "PATCH",
            Route::Revocations => "POST",
            Route::Audit => "GET",
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Invalid(_) => ApiError::invalid_request(error.to_string()),
            CommandError::NotFound(message) => ApiError::new(ErrorCode::NotFound, message),
            CommandError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            CommandError::KeyReused(message) => {
                ApiError::new(ErrorCode::UnprocessableContent, message)
            }
            CommandError::Store(error) => error.into(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateRequest {
    #[serde(default)]
    overlap_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarketChange {
    active: bool,
}

/// The body as `T`: JSON, at most [`MAX_BODY_BYTES`], every field known. An empty body is
/// `empty`'s answer, when the route allows one.
fn json_body<T: DeserializeOwned>(request: &Request, empty: Option<T>) -> Result<T, ApiError> {
    let bytes = body_bytes(request);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    if bytes.is_empty() {
        return empty.ok_or_else(|| ApiError::invalid_request("a JSON body is required"));
    }
    let media_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some("application/json") {
        return Err(ApiError::invalid_request(
            "Content-Type must be application/json",
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        // The path names the body's own keys, an unknown field's among them.
        let path = error.path().to_string();
        let place = if path == "." {
            "the body".into()
        } else {
            echo_input(&path)
        };
        let message = serde_message(&error.into_inner().to_string());
        ApiError::invalid_request(format!("{place}: {message}"))
    })
}

/// serde's message for a body it refused, with the input it quotes cut short. serde writes
/// the unexpected value (an unknown field's name, a variant, a string) after its first words
/// and before ", expected ..." and the position, which come from our types and the parser: so
/// that part, and only it, is cut ([`echo_input`]).
fn serde_message(message: &str) -> String {
    const QUOTING: [&str; 4] = [
        "unknown field ",
        "unknown variant ",
        "invalid type: ",
        "invalid value: ",
    ];
    /// Longer than any expectation our types give serde, and than its position.
    const MAX_TAIL: usize = 300;
    let Some(prefix) = QUOTING.iter().find(|prefix| message.starts_with(**prefix)) else {
        return message.to_owned();
    };
    let rest = &message[prefix.len()..];
    match rest.rfind(", expected ") {
        Some(end) if rest.len() - end <= MAX_TAIL => {
            format!("{prefix}{}{}", echo_input(&rest[..end]), &rest[end..])
        }
        _ => format!("{prefix}{}", echo_input(rest)),
    }
}

/// The query's parameters, refusing any not in `known`.
fn query(request: &Request, known: &[&str]) -> Result<Params, ApiError> {
    let params = parse_form(request.uri().query().unwrap_or(""))?;
    if let Some(unknown) = params.names().find(|name| !known.contains(name)) {
        return Err(ApiError::invalid_request(format!(
            "unknown query parameter '{}'",
            echo_input(unknown)
        )));
    }
    Ok(params)
}

/// The caller of a change, under the request's `Idempotency-Key`; a request without one gets
/// a random key of its own, which makes the store's own resends safe (see [`Caller::new`]).
fn caller(request: &Request, actor: &str) -> Result<Caller, ApiError> {
    let mut values = request.headers().get_all("idempotency-key").iter();
    let Some(value) = values.next() else {
        return Ok(Caller::new(actor));
    };
    // The draft: "Clients MUST NOT include more than one `Idempotency-Key` header field in
    // the same request."
    if values.next().is_some() {
        return Err(ApiError::invalid_request(
            "send one Idempotency-Key, not a list",
        ));
    }
    // Bytes outside ASCII become U+FFFD here, which the key's grammar refuses.
    let key = IdempotencyKey::parse(&String::from_utf8_lossy(value.as_bytes()))
        .map_err(ApiError::invalid_request)?;
    Ok(Caller::with_key(actor, key))
}

fn ok(body: serde_json::Value) -> Response<Body> {
    json_response(StatusCode::OK, &body)
}

pub(crate) async fn respond(
    request: &Request,
    service: &AdminService,
    actor: &str,
) -> Result<Response<Body>, ApiError> {
    let route = Route::of(request.uri().path())
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such admin endpoint"))?;
    let method = request.method();
    let response = match (&route, method) {
        (Route::Applications, &Method::GET) => {
            let params = query(request, &["mode"])?;
            let mode = params.get("mode").map(|mode| {
                Mode::parse(mode)
                    .ok_or_else(|| ApiError::invalid_request("mode must be test or live"))
            });
            ok(views::applications(&service.list(mode.transpose()?).await?))
        }
        (Route::Applications, &Method::POST) => {
            let caller = caller(request, actor)?;
            let new: NewApplication = json_body(request, None)?;
            let created = service.create(new, &caller).await?;
            json_response(StatusCode::CREATED, &views::created(&created))
        }
        (Route::Application(client_id), &Method::GET) => {
            ok(views::application(&service.show(client_id).await?))
        }
        (Route::Application(client_id), &Method::PATCH) => {
            let caller = caller(request, actor)?;
            let changes: ApplicationChanges = json_body(request, None)?;
            ok(views::application(
                &service.update(client_id, changes, &caller).await?,
            ))
        }
        (Route::Application(client_id), &Method::DELETE) => {
            service.delete(client_id, &caller(request, actor)?).await?;
            let mut response = json_response(StatusCode::NO_CONTENT, &serde_json::Value::Null);
            *response.body_mut() = Body::Empty;
            response.headers_mut().remove(CONTENT_TYPE);
            response
        }
        (Route::Secret(client_id), &Method::POST) => {
            let caller = caller(request, actor)?;
            let rotate: RotateRequest = json_body(request, Some(RotateRequest::default()))?;
            let rotated = service
                .rotate_secret(client_id, rotate.overlap_seconds, &caller)
                .await?;
            ok(views::rotated(&rotated))
        }
        (Route::Market(market_id), &Method::PATCH) => {
            let caller = caller(request, actor)?;
            let change: MarketChange = json_body(request, None)?;
            ok(views::market(
                &service
                    .set_market_active(market_id, change.active, &caller)
                    .await?,
            ))
        }
        (Route::Revocations, &Method::POST) => {
            let caller = caller(request, actor)?;
            let asked: RevocationRequest = json_body(request, None)?;
            ok(views::revocation(
                &service.revoke_tokens(&asked, &caller).await?,
            ))
        }
        (Route::Audit, &Method::GET) => {
            let params = query(request, &["limit"])?;
            let limit = params.get("limit").map(|limit| {
                limit.parse().map_err(|_| {
                    ApiError::invalid_request("limit must be a whole number from 1 to 1000")
                })
            });
            ok(views::audit(&service.audit(limit.transpose()?).await?))
        }
        _ => return Err(ApiError::method_not_allowed(route.allow())),
    };
    Ok(response)
}
