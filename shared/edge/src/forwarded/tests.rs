use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;

use super::*;

const SECRET: &str = "backend-secret-0123456789abcdefghij";

/// A request from 192.0.2.1 with these headers.
fn request(headers: &[(&str, &str)]) -> Request {
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.source_ip = Some("192.0.2.1".to_owned());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http = http;
    let mut request =
        Request::default().with_request_context(RequestContext::ApiGatewayV2(context));
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    request
}

/// A configured secret (or none), the request's headers, and the key counted or the refusal.
type Case<'a> = (
    Option<&'a BackendSecret>,
    Vec<(&'a str, &'a str)>,
    Result<&'a str, &'a str>,
);

#[test]
fn only_the_right_secret_makes_the_forwarded_address_count() {
    let secret = BackendSecret::new(SECRET).unwrap();
    let wrong = format!("{SECRET}x");
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        (Some(&secret), vec![("x-backend-auth", SECRET), ("x-true-client-ip", "203.0.113.9")], Ok("203.0.113.9")),
        (Some(&secret), vec![("x-backend-auth", SECRET), ("x-true-client-ip", " 203.0.113.9 ")], Ok("203.0.113.9")),
        // IPv6 by its /64; an IPv4-mapped address as the IPv4 one.
        (Some(&secret), vec![("x-backend-auth", SECRET), ("x-true-client-ip", "2001:db8:1:2:3:4:5:6")], Ok("2001:db8:1:2::/64")),
        (Some(&secret), vec![("x-backend-auth", SECRET), ("x-true-client-ip", "::ffff:203.0.113.9")], Ok("203.0.113.9")),
        // A wrong, partial or missing secret: the headers are ignored, the sender counted.
        (Some(&secret), vec![("x-backend-auth", &wrong), ("x-true-client-ip", "203.0.113.9")], Ok("192.0.2.1")),
        (Some(&secret), vec![("x-backend-auth", &SECRET[..31]), ("x-true-client-ip", "203.0.113.9")], Ok("192.0.2.1")),
        (Some(&secret), vec![("x-true-client-ip", "203.0.113.9")], Ok("192.0.2.1")),
        (Some(&secret), vec![("x-backend-auth", ""), ("x-true-client-ip", "203.0.113.9")], Ok("192.0.2.1")),
        // No secret configured: nothing is trusted.
        (None, vec![("x-backend-auth", SECRET), ("x-true-client-ip", "203.0.113.9")], Ok("192.0.2.1")),
        // The secret without an address: the sender.
        (Some(&secret), vec![("x-backend-auth", SECRET)], Ok("192.0.2.1")),
        // A trusted backend's address must be one.
        (Some(&secret), vec![("x-backend-auth", SECRET), ("x-true-client-ip", "203.0.113.9, 10.0.0.1")], Err("x-true-client-ip must be one IPv4 or IPv6 address")),
        (Some(&secret), vec![("x-backend-auth", SECRET), ("x-true-client-ip", "shopper")], Err("x-true-client-ip must be one IPv4 or IPv6 address")),
        // An untrusted sender's bad address is not even read.
        (Some(&secret), vec![("x-true-client-ip", "shopper")], Ok("192.0.2.1")),
    ];
    for (secret, headers, expected) in cases {
        let key = caller_key(&request(&headers), secret);
        let got = key.as_deref().map_err(|error| error.description.as_ref());
        assert_eq!(
            got,
            expected,
            "{headers:?} with secret {}",
            secret.is_some()
        );
    }
    // Bytes that are not text, forwarded by a trusted backend: refused too, not ignored.
    let mut request = request(&[("x-backend-auth", SECRET)]);
    let latin = http::HeaderValue::from_bytes(b"203.0.113.9\xe9").unwrap();
    request.headers_mut().insert(TRUE_CLIENT_IP_HEADER, latin);
    assert!(caller_key(&request, Some(&secret)).is_err());
}

#[test]
fn a_short_or_unprintable_secret_is_refused() {
    assert!(BackendSecret::new(&"s".repeat(31)).is_err());
    assert!(BackendSecret::new(&format!("{SECRET} with space")).is_err());
    assert!(BackendSecret::new(SECRET).is_ok());
    assert_eq!(
        format!("{:?}", BackendSecret::new(SECRET).unwrap()),
        "BackendSecret(..)"
    );
}

#[tokio::test]
async fn the_secret_comes_from_one_place_the_environment_or_a_file() {
    let path = std::env::temp_dir().join(format!("backend-secret-{}", std::process::id()));
    std::fs::write(&path, format!("{SECRET}\n")).unwrap();
    let path = path.display().to_string();
    let load = |pairs: Vec<(&'static str, String)>| async move {
        let env = move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        load_backend_secret(&env).await
    };
    let secret = load(vec![(vars::BACKEND_AUTH_SECRET, SECRET.into())])
        .await
        .unwrap()
        .unwrap();
    assert!(secret.admits(SECRET));
    let secret = load(vec![(vars::BACKEND_AUTH_SECRET_FILE, path.clone())])
        .await
        .unwrap()
        .unwrap();
    assert!(
        secret.admits(SECRET),
        "the file's trailing newline is not part of it"
    );
    assert!(load(vec![]).await.unwrap().is_none());
    let both = load(vec![
        (vars::BACKEND_AUTH_SECRET_FILE, path.clone()),
        (vars::BACKEND_AUTH_SECRET, SECRET.into()),
    ])
    .await
    .unwrap_err();
    assert!(both.to_string().contains("set only one of"), "{both}");
    let short = load(vec![(vars::BACKEND_AUTH_SECRET, "short".into())])
        .await
        .unwrap_err();
    assert!(short.to_string().contains("at least 32"), "{short}");
    let missing = load(vec![(
        vars::BACKEND_AUTH_SECRET_FILE,
        "/nonexistent/secret".into(),
    )])
    .await
    .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("GATEHOUSE_BACKEND_AUTH_SECRET_FILE"),
        "{missing}"
    );
    std::fs::remove_file(&path).unwrap();
}
