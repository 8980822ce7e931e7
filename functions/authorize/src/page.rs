//! The pages: the sign-in form and the error page. Compile-time templates (maud) escape every
//! value they echo. No script and no external asset: the one stylesheet is inline, allowed by
//! its hash in the Content-Security-Policy.

use std::sync::OnceLock;

use aws_lc_rs::digest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::checked::{describe_scope, AuthorizationRequest};

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
 background:linear-gradient(160deg,#eef2f7 0%,#dfe6ef 100%);
 font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2433}
main{width:100%;max-width:400px;margin:24px;background:#fff;border-radius:14px;
 box-shadow:0 1px 2px rgba(16,24,40,.06),0 12px 32px rgba(16,24,40,.12);overflow:hidden}
header{display:flex;align-items:center;justify-content:space-between;padding:18px 28px;
 border-bottom:1px solid #edf0f4}
.brand{display:flex;align-items:center;gap:10px;font-weight:600;letter-spacing:.2px}
.mark{width:28px;height:28px;border-radius:8px;background:#2f5bea;color:#fff;display:flex;
 align-items:center;justify-content:center;font-weight:700}
.badge{font-size:12px;font-weight:600;color:#8a5a00;background:#fff4d6;border-radius:999px;
 padding:2px 10px}
section{padding:28px}
h1{font-size:21px;line-height:1.3;margin:0 0 6px}
p{margin:0 0 16px;color:#4a5468}
ul{margin:0 0 22px;padding:12px 16px;list-style:none;background:#f6f8fb;border-radius:10px;
 color:#1d2433}
li{padding:4px 0 4px 22px;position:relative}
li:before{content:"";position:absolute;left:2px;top:11px;width:8px;height:8px;border-radius:50%;
 background:#2f5bea}
label{display:block;font-weight:600;font-size:14px;margin:0 0 6px}
input[type=email],input[type=password]{width:100%;padding:11px 12px;margin:0 0 16px;
 border:1px solid #cfd6e1;border-radius:9px;font:inherit;color:inherit;background:#fff}
input:focus{outline:none;border-color:#2f5bea;box-shadow:0 0 0 3px rgba(47,91,234,.18)}
.actions{display:flex;flex-direction:row-reverse;gap:10px;margin-top:6px}
button{padding:11px 16px;border-radius:9px;font:inherit;font-weight:600;cursor:pointer;
 border:1px solid transparent;white-space:nowrap}
.primary{flex:1;background:#2f5bea;color:#fff}
.primary:hover{background:#2549c4}
.secondary{background:#fff;color:#1d2433;border-color:#cfd6e1}
.secondary:hover{background:#f6f8fb}
.alert{padding:10px 12px;margin:0 0 18px;border-radius:9px;background:#fdecec;color:#9b1c1c;
 font-size:14px}
footer{padding:14px 28px;border-top:1px solid #edf0f4;font-size:13px;color:#6b7487}
"#;

/// `'sha256-…'` of the stylesheet, for the Content-Security-Policy.
fn style_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let digest = digest::digest(&digest::SHA256, STYLE.as_bytes());
        format!("'sha256-{}'", STANDARD.encode(digest.as_ref()))
    })
}

/// `scheme://host[:port]` of a URI, for `form-action`: the form's POST is answered with a
/// redirect to the client, and browsers hold redirects after a form submission to it too.
fn origin(uri: &str) -> &str {
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    let end = uri[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(uri.len(), |i| after_scheme + i);
    &uri[..end]
}

fn layout(title: &str, organization: &str, test_mode: bool, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    header {
                        div class="brand" {
                            div class="mark" aria-hidden="true" {
                                (organization.chars().next().unwrap_or('G').to_ascii_uppercase())
                            }
                            span { (organization) }
                        }
                        @if test_mode { span class="badge" { "Test mode" } }
                    }
                    (content)
                }
            }
        }
    }
}

/// What the sign-in page shows besides the request.
pub struct SignIn<'a> {
    pub organization: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub alert: Option<&'a str>,
}

pub fn sign_in(request: &AuthorizationRequest, page: &SignIn<'_>) -> Markup {
    let app = &request.application.name;
    let test_mode = request.application.mode == gatehouse_core::model::Mode::Test;
    layout(
        &format!("Sign in to continue to {app}"),
        page.organization,
        test_mode,
        html! {
            section {
                h1 { "Sign in to continue to " (app) }
                p { (app) " asks to act for you, with access to:" }
                ul { @for line in describe_scope(&request.scope) { li { (line) } } }
                @if let Some(alert) = page.alert { div class="alert" role="alert" { (alert) } }
                form method="post" action="/oauth/authorize" {
                    @for (name, value) in &request.parameters {
                        input type="hidden" name=(name) value=(value);
                    }
                    input type="hidden" name="csrf" value=(page.csrf);
                    label for="email" { "Email" }
                    input id="email" type="email" name="email" value=(page.email)
                        autocomplete="username" required autofocus[page.email.is_empty()];
                    label for="password" { "Password" }
                    input id="password" type="password" name="password"
                        autocomplete="current-password" required autofocus[!page.email.is_empty()];
                    // Enter in a field submits with the form's first button: allow comes first in
                    // the document, and the stylesheet shows it on the right.
                    div class="actions" {
                        button class="primary" type="submit" name="action" value="allow" { "Sign in and allow" }
                        button class="secondary" type="submit" name="action" value="deny" formnovalidate { "Cancel" }
                    }
                }
            }
            footer { "You will be sent back to " (origin(&request.redirect_uri)) "." }
        },
    )
}

pub fn error(organization: &str, message: &str) -> Markup {
    layout(
        "Sign-in unavailable",
        organization,
        false,
        html! {
            section {
                h1 { "This sign-in link does not work" }
                p { (message) }
                p { "Go back to the application and start again. If it keeps happening, tell the application's developers." }
            }
        },
    )
}

/// An HTML response with the headers every page carries. `form_action` is the client's
/// redirect URI when the page holds the form.
pub fn respond(status: u16, markup: Markup, form_action: Option<&str>) -> Response<Body> {
    // A registered URI is the administrator's, but a policy must not be broken open by
    // one: an origin with anything but URL characters is left out (the redirect is then held).
    let url_like = |o: &str| {
        o.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:-[]/".contains(&b))
    };
    let form_action = match form_action.map(origin) {
        Some(origin) if url_like(origin) => format!("'self' {origin}"),
        Some(_) => "'self'".to_owned(),
        None => "'none'".to_owned(),
    };
    let policy = format!(
        "default-src 'none'; style-src {}; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'",
        style_hash()
    );
    let mut response = Response::new(Body::Text(markup.into_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    let set = |name, value: &str| HeaderValue::from_str(value).map(|v| (name, v));
    for (name, value) in [
        set(header::CONTENT_TYPE, "text/html; charset=utf-8"),
        set(header::CACHE_CONTROL, "no-store"),
        set(header::CONTENT_SECURITY_POLICY, &policy),
        set(header::X_FRAME_OPTIONS, "DENY"),
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        set(header::REFERRER_POLICY, "no-referrer"),
    ]
    .into_iter()
    .flatten()
    {
        headers.insert(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_redirect_uri_is_its_scheme_host_and_port() {
        let cases = [
            ("https://app.example/callback?x=1", "https://app.example"),
            ("http://localhost:8080/callback", "http://localhost:8080"),
            ("http://127.0.0.1:9/", "http://127.0.0.1:9"),
            ("https://app.example", "https://app.example"),
        ];
        for (uri, expected) in cases {
            assert_eq!(origin(uri), expected);
        }
    }
}
