//! Cross-origin requests to the token and revocation endpoints, for browser sales channels.
//!
//! The functions answer CORS themselves rather than API Gateway's API-wide `CorsConfiguration`:
//! only these two routes take cross-origin calls (the sign-in page and the admin API must not),
//! and `gatehouse serve` then answers exactly as a deployment does, from the same code. None
//! is allowed by default; each allowed origin is named (`GATEHOUSE_CORS_ALLOWED_ORIGINS`), never
//! `*`, and no credentials (cookies) are allowed: a token request carries its own.

use http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};

use gatehouse_core::url_rules::is_https_or_loopback_http;

/// How long a browser may keep a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE_SECONDS: u32 = 600;
/// The request headers a cross-origin token or revocation request may send: HTTP Basic client
/// authentication and a form or JSON body.
const ALLOWED_HEADERS: &str = "authorization, content-type";

/// The origins allowed to call the token and revocation endpoints from a browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

impl CorsPolicy {
    /// Parses a comma-separated list of origins (`https://shop.example.com`, or
    /// `http://localhost:5173` for local development). An empty list allows none.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut origins = Vec::new();
        for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            // RFC 6454 §6.2: an origin serializes as scheme "://" host [ ":" port ], no path.
            let after_scheme = origin.split_once("://").map_or("", |(_, rest)| rest);
            if origin == "*" {
                return Err("'*' is not allowed: name each origin".into());
            }
            if !is_https_or_loopback_http(origin) || after_scheme.contains(['/', '?', '#']) {
                return Err(format!(
                    "'{origin}' is not an origin: scheme://host[:port], https (http only on localhost), no path"
                ));
            }
            origins.push(origin.to_owned());
        }
        Ok(Self { origins })
    }

    pub fn allows_any(&self) -> bool {
        !self.origins.is_empty()
    }

    /// `origin`, when it is one of the allowed ones.
    fn allowed<'o>(&self, origin: Option<&'o HeaderValue>) -> Option<&'o HeaderValue> {
        let origin = origin?;
        let text = origin.to_str().ok()?;
        self.origins.iter().any(|o| o == text).then_some(origin)
    }

    /// The answer to `OPTIONS` on a CORS-enabled endpoint whose only method is `POST`: a
    /// preflight from an allowed origin is approved; from any other origin (or with no origin)
    /// the answer carries no `Access-Control-Allow-*` header, which a browser takes as a no.
    pub fn preflight(&self, request: &Request) -> Response<Body> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = self.allowed(request.headers().get(header::ORIGIN)) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(PREFLIGHT_MAX_AGE_SECONDS),
            );
        }
        response
    }

    /// Runs a CORS-enabled POST endpoint: answers preflights, and lets an allowed origin read
    /// what `respond` answers.
    pub async fn serve<F>(
        &self,
        request: Request,
        respond: impl FnOnce(Request) -> F,
    ) -> Response<Body>
    where
        F: std::future::Future<Output = Response<Body>>,
    {
        if request.method() == Method::OPTIONS {
            return self.preflight(&request);
        }
        let origin = request.headers().get(header::ORIGIN).cloned();
        let mut response = respond(request).await;
        // An allowed origin may read the answer, errors included: a browser client must be
        // able to read `invalid_grant` to act on it.
        if self.allows_any() {
            let allowed = self.allowed(origin.as_ref()).cloned();
            let headers = response.headers_mut();
            // The answer depends on Origin whenever any origin is allowed: caches must key on it.
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
            if let Some(origin) = allowed {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, origin: Option<&str>) -> Request {
        let mut request = Request::new(Body::Empty);
        *request.method_mut() = method;
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        request
    }

    fn header(response: &Response<Body>, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn origins_are_parsed_and_anything_that_is_not_an_origin_is_refused() {
        let policy =
            CorsPolicy::parse(" https://shop.example.com, http://localhost:5173 ,").unwrap();
        assert!(policy.allows_any());
        assert_eq!(CorsPolicy::parse("").unwrap(), CorsPolicy::default());
        for bad in [
            "*",
            "shop.example.com",
            "http://shop.example.com",
            "https://shop.example.com/",
            "https://shop.example.com/path",
            "https://shop.example.com?x",
            "https://",
        ] {
            assert!(CorsPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_preflight_from_an_allowed_origin_is_approved_for_post() {
        let policy = CorsPolicy::parse("https://shop.example.com").unwrap();
        let response =
            policy.preflight(&request(Method::OPTIONS, Some("https://shop.example.com")));
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            header(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            Some("https://shop.example.com")
        );
        assert_eq!(
            header(&response, header::ACCESS_CONTROL_ALLOW_METHODS),
            Some("POST")
        );
        assert_eq!(
            header(&response, header::ACCESS_CONTROL_ALLOW_HEADERS),
            Some(ALLOWED_HEADERS)
        );
        assert_eq!(
            header(&response, header::ACCESS_CONTROL_MAX_AGE),
            Some("600")
        );
    }

    #[test]
    fn a_preflight_from_another_origin_or_with_no_policy_gets_no_allow_headers() {
        let allowed = CorsPolicy::parse("https://shop.example.com").unwrap();
        let cases = [
            (&allowed, Some("https://evil.example")),
            (&allowed, Some("https://shop.example.com.evil.example")),
            (&allowed, None),
            (&CorsPolicy::default(), Some("https://shop.example.com")),
        ];
        for (policy, origin) in cases {
            let response = policy.preflight(&request(Method::OPTIONS, origin));
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
            assert_eq!(
                header(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
                None,
                "{origin:?}"
            );
            assert_eq!(
                header(&response, header::ACCESS_CONTROL_ALLOW_METHODS),
                None
            );
        }
    }

    #[tokio::test]
    async fn an_allowed_origin_may_read_the_answer_and_others_may_not() {
        let policy = CorsPolicy::parse("https://shop.example.com").unwrap();
        let answer = |_request: Request| async { Response::new(Body::Empty) };
        let response = policy
            .serve(
                request(Method::POST, Some("https://shop.example.com")),
                answer,
            )
            .await;
        assert_eq!(
            header(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            Some("https://shop.example.com")
        );
        assert_eq!(header(&response, header::VARY), Some("Origin"));
        let response = policy
            .serve(request(Method::POST, Some("https://evil.example")), answer)
            .await;
        assert_eq!(header(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
        let response = CorsPolicy::default()
            .serve(
                request(Method::POST, Some("https://shop.example.com")),
                answer,
            )
            .await;
        assert_eq!(header(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
        assert_eq!(header(&response, header::VARY), None);
    }
}
