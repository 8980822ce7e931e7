//! Reading an OAuth request to the token or revocation endpoint: the body (form or JSON, same
//! fields) and client credentials (body or HTTP Basic), with every rule about malformed input
//! answered as `invalid_request`.

use crate::error::{ApiError, ErrorCode};
use crate::http::body_bytes;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use gatehouse_core::clock::UnixMillis;
use gatehouse_core::input::{echo_input, is_lookup_key};
use gatehouse_core::model::Application;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use lambda_http::Request;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The parameters the token endpoint reads. RFC 6749 §3.2: "The authorization server MUST
/// ignore unrecognized request parameters", so only an endpoint's own are checked for type.
pub const TOKEN_PARAMETERS: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "scope",
    "username",
    "password",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "assertion",
];

/// The parameters the revocation endpoint reads. RFC 7009 §2.1 names `token` and
/// `token_type_hint`; the client authenticates as at the token endpoint. Anything else, such
/// as the `scope` list Commerce Layer's CLI sends beside the token, is ignored whatever its type.
pub const REVOCATION_PARAMETERS: &[&str] =
    &["token", "token_type_hint", "client_id", "client_secret"];

/// Request parameters in the order received. Their Debug form shows the names only: the
/// values include passwords, codes and tokens.
#[derive(Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Params")
            .field(&self.0.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish()
    }
}

impl Params {
    /// RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
    /// omitted from the request."
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// The names of the parameters, in the order received.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }

    /// The parameters as received, those with an empty value included.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Parameters from name-value pairs, refused as a body would be when one is repeated.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut params = Self::default();
        for (name, value) in pairs {
            params.push(name.to_owned(), value.to_owned())?;
        }
        Ok(params)
    }

    fn push(&mut self, name: String, value: String) -> Result<(), ApiError> {
        // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
        if self.0.iter().any(|(key, _)| *key == name) {
            return Err(ApiError::invalid_request(format!(
                "parameter '{}' is repeated",
                echo_input(&name)
            )));
        }
        self.0.push((name, value));
        Ok(())
    }
}

/// How the client identified itself. Its Debug form tells whether a secret was sent, not
/// which.
#[derive(PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// RFC 6749 §5.2: a 401 must then carry `WWW-Authenticate`.
    pub via_basic: bool,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| ".."))
            .field("via_basic", &self.via_basic)
            .finish()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct OAuthRequest {
    pub credentials: ClientCredentials,
    /// Every parameter but `client_secret`.
    pub params: Params,
}

/// `application/x-www-form-urlencoded` value decoding: `+` is a space, then percent-decoding,
/// and the result must be UTF-8.
fn form_decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

/// Parameters from an `application/x-www-form-urlencoded` string (a body or a query),
/// refusing repeated ones.
pub fn parse_form(body: &str) -> Result<Params, ApiError> {
    let mut params = Params::default();
    for pair in body.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let not_utf8 = || {
            ApiError::invalid_request("a form parameter is not valid UTF-8 once percent-decoded")
        };
        params.push(
            form_decode(name).ok_or_else(not_utf8)?,
            form_decode(value).ok_or_else(not_utf8)?,
        )?;
    }
    Ok(params)
}

/// A JSON object read key by key, so that repeated keys are seen (a map would keep the last).
struct JsonFields(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for JsonFields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = JsonFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JsonFields, A::Error> {
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    fields.push((key, map.next_value()?));
                }
                Ok(JsonFields(fields))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

fn parse_json(body: &str, reads: &[&str]) -> Result<Params, ApiError> {
    let fields: JsonFields = serde_json::from_str(body)
        .map_err(|_| ApiError::invalid_request("the body is not a valid JSON object"))?;
    let mut params = Params::default();
    for (name, value) in fields.0 {
        let value = match value {
            serde_json::Value::String(text) => text,
            // A null is an omitted parameter.
            serde_json::Value::Null => String::new(),
            _ if reads.contains(&name.as_str()) => {
                return Err(ApiError::invalid_request(format!(
                    "parameter '{}' must be a string",
                    echo_input(&name)
                )));
            }
            _ => continue,
        };
        params.push(name, value)?;
    }
    Ok(params)
}

/// RFC 6749 §2.3.1: the client id and secret "are encoded using the
/// application/x-www-form-urlencoded encoding algorithm" and then used as the Basic user-id
/// and password.
fn parse_basic(request: &Request) -> Result<Option<(String, String)>, ApiError> {
    let mut values = request.headers().get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::invalid_request(
            "the Authorization header is repeated",
        ));
    }
    let malformed = || {
        ApiError::new(
            ErrorCode::InvalidClient,
            "client authentication failed: malformed Basic credentials",
        )
        .with_basic_auth(true)
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::new(
            ErrorCode::InvalidClient,
            "client authentication failed: only the Basic scheme is accepted",
        )
        .with_basic_auth(true));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let id = form_decode(id).ok_or_else(malformed)?;
    let secret = form_decode(secret).ok_or_else(malformed)?;
    Ok(Some((id, secret)))
}

/// A body's format: read by [`parse_form`] or [`parse_json`].
enum BodyFormat {
    Form,
    Json,
}

/// The format of the request's body, as its media type says.
fn body_format(request: &Request) -> Result<BodyFormat, ApiError> {
    let unsupported = || {
        ApiError::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded or application/json",
        )
    };
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .ok_or_else(unsupported)?
        .to_str()
        .map_err(|_| unsupported())?;
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media_type.as_str() {
        "application/x-www-form-urlencoded" => Ok(BodyFormat::Form),
        "application/json" | "application/vnd.api+json" => Ok(BodyFormat::Json),
        _ => Err(unsupported()),
    }
}

/// Reads a request's parameters and client credentials. Pure: no storage, no clock. `reads`
/// are the endpoint's parameters ([`TOKEN_PARAMETERS`], [`REVOCATION_PARAMETERS`]), which a
/// JSON body must give as strings.
pub fn parse_oauth_request(request: &Request, reads: &[&str]) -> Result<OAuthRequest, ApiError> {
    let bytes = body_bytes(request);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::invalid_request(format!(
            "the request body is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    let format = body_format(request)?;
    let body = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::invalid_request("the request body is not valid UTF-8"))?;
    let mut params = match format {
        BodyFormat::Form => parse_form(body)?,
        BodyFormat::Json => parse_json(body, reads)?,
    };
    let basic = parse_basic(request)?;
    let body_id = params.get("client_id").map(str::to_owned);
    let body_secret = params.get("client_secret").map(str::to_owned);
    let credentials = match basic {
        Some(_) if body_id.is_some() || body_secret.is_some() => {
            return Err(ApiError::invalid_request(
                "send client credentials either in the Authorization header or in the body, not both",
            ));
        }
        Some((id, secret)) => ClientCredentials {
            client_id: Some(id).filter(|id| !id.is_empty()),
            client_secret: Some(secret).filter(|s| !s.is_empty()),
            via_basic: true,
        },
        None => ClientCredentials {
            client_id: body_id,
            client_secret: body_secret,
            via_basic: false,
        },
    };
    // The secret has no further use among the parameters; keep it out of them.
    params.0.retain(|(name, _)| name != "client_secret");
    Ok(OAuthRequest {
        credentials,
        params,
    })
}

/// A client_id worth looking up: short and printable. Anything else cannot exist.
pub fn lookup_id(credentials: &ClientCredentials) -> Option<&str> {
    credentials
        .client_id
        .as_deref()
        .filter(|id| is_lookup_key(id))
}

/// RFC 6749 §2.3: confidential clients authenticate with their secret (or, for a while after
/// a rotation, with the previous one: see [`Application::secret_matches`]); public clients
/// identify themselves with their client_id alone. A disabled application is refused exactly
/// like an unknown one, so that the answer does not tell it exists.
pub fn authenticate(
    credentials: &ClientCredentials,
    found: Option<&Application>,
    now: UnixMillis,
) -> Result<(), ApiError> {
    use gatehouse_core::model::ClientType;
    let refused = |description: &'static str| {
        ApiError::new(ErrorCode::InvalidClient, description).with_basic_auth(credentials.via_basic)
    };
    if credentials.client_id.is_none() {
        return Err(refused(
            "client authentication failed: client_id is required",
        ));
    }
    let invalid = || ApiError::invalid_client().with_basic_auth(credentials.via_basic);
    let application = found
        .filter(|application| application.enabled)
        .ok_or_else(invalid)?;
    match (application.client_type(), &credentials.client_secret) {
        (ClientType::Public, None) => Ok(()),
        (ClientType::Public, Some(_)) => Err(refused(
            "client authentication failed: this sales channel is a public client and sends no client_secret",
        )),
        (ClientType::Confidential, Some(secret)) if application.secret_matches(secret, now) => {
            Ok(())
        }
        (ClientType::Confidential, _) => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_forms_name_the_parameters_but_show_no_secret() {
        let request = OAuthRequest {
            credentials: ClientCredentials {
                client_id: Some("demo-integration".into()),
                client_secret: Some("the-client-secret".into()),
                via_basic: true,
            },
            params: Params::from_pairs([("grant_type", "password"), ("password", "hunter2")])
                .unwrap(),
        };
        let debug = format!("{request:?}");
        assert!(
            debug.contains("demo-integration") && debug.contains("\"password\""),
            "{debug}"
        );
        assert!(
            !debug.contains("the-client-secret") && !debug.contains("hunter2"),
            "{debug}"
        );
    }

    #[test]
    fn a_json_body_must_give_as_strings_only_the_parameters_its_endpoint_reads() {
        // What Commerce Layer's CLI sends to revoke a token on logout: its stored settings
        // beside the token, `scope` among them as a list.
        let body = r#"{"token":"t","client_id":"c","client_secret":"s","scope":["market:all"],"slug":"acme","kind":"integration"}"#;
        let revocation = parse_json(body, REVOCATION_PARAMETERS).unwrap();
        assert_eq!(
            revocation.names().collect::<Vec<_>>(),
            ["token", "client_id", "client_secret", "slug", "kind"]
        );
        let error = parse_json(body, TOKEN_PARAMETERS).unwrap_err();
        assert_eq!(error.description, "parameter 'scope' must be a string");
        let error = parse_json(r#"{"token":["t"]}"#, REVOCATION_PARAMETERS).unwrap_err();
        assert_eq!(error.description, "parameter 'token' must be a string");
    }
}
