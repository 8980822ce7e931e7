//! The functions of one store behind one observer, called as Lambda calls them, and a
//! record of what each request must log.

use super::*;

/// What the request line of one request must say.
pub struct Expected {
    pub route: &'static str,
    pub status: u16,
    pub grant: Option<&'static str>,
    pub client_id: Option<&'static str>,
    pub error: Option<&'static str>,
}

pub struct Flow {
    pub token: gatehouse_token::TokenService,
    pub revoke: gatehouse_revoke::RevokeService,
    pub authorize: AuthorizeService,
    pub api: gatehouse_api::ApiService,
    pub observer: Observer,
    pub metrics: Arc<Mutex<Vec<String>>>,
    /// Request ids of this flow start with it: the other store's flow may share the process.
    pub prefix: String,
    pub sent: Mutex<Vec<(String, Expected)>>,
    pub addresses: AtomicUsize,
    /// Every secret, password, token and code the flow used.
    pub secrets: Mutex<Vec<String>>,
    pub on_dynamodb: bool,
    /// The functions' clock: the flow moves it past the refresh-reuse grace period.
    pub clock: Arc<ManualClock>,
}

/// Who revokes: a public client by its client_id, or a confidential one with its secret.
pub enum RevokeAs<'a> {
    Public(&'static str),
    Confidential(&'static str, &'a str),
}

pub enum Function {
    Token,
    Revoke,
    Authorize,
    Api,
}

impl Flow {
    pub fn on(store: Arc<dyn Store>, on_dynamodb: bool) -> Self {
        captured();
        let limit = RateLimitPolicy::new(TOKEN_LIMIT, 60).unwrap();
        let metrics = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&metrics);
        let clock = manual_clock();
        Self {
            token: token_service(store.clone(), clock.clone(), limit),
            revoke: revoke_service(store.clone(), clock.clone()),
            authorize: authorize_service(store.clone(), clock.clone(), limit),
            api: api_service(store, clock.clone()),
            observer: Observer::with_sink(
                MetricsOutput::Emf,
                "log-capture",
                Arc::new(SystemClock),
                Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned())),
            ),
            metrics,
            prefix: random_token(6).replace(['-', '_'], "x"),
            sent: Mutex::default(),
            addresses: AtomicUsize::new(1),
            secrets: Mutex::default(),
            on_dynamodb,
            clock,
        }
    }

    pub fn secret(&self, value: &str) {
        self.secrets.lock().unwrap().push(value.to_owned());
    }

    /// A client address no other request of this flow used.
    pub fn fresh_address(&self) -> String {
        format!(
            "198.51.100.{}",
            self.addresses.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Sends `event` to `function` as Lambda would, through the observer.
    pub async fn call(
        &self,
        function: Function,
        mut event: Value,
        expected: Expected,
    ) -> Response<Body> {
        let id = {
            let sent = self.sent.lock().unwrap();
            format!("{}-{}", self.prefix, sent.len())
        };
        event["requestContext"]["requestId"] = json!(id);
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = match function {
            Function::Token => {
                self.observer
                    .observe(request, |r| gatehouse_token::handle(r, &self.token))
                    .await
            }
            Function::Revoke => {
                self.observer
                    .observe(request, |r| gatehouse_revoke::handle(r, &self.revoke))
                    .await
            }
            Function::Authorize => {
                self.observer
                    .observe(request, |r| gatehouse_authorize::handle(r, &self.authorize))
                    .await
            }
            Function::Api => {
                self.observer
                    .observe(request, |r| gatehouse_api::handle(r, &self.api))
                    .await
            }
        };
        assert_eq!(
            response.status().as_u16(),
            expected.status,
            "{id} {}: {}",
            expected.route,
            String::from_utf8_lossy(response.body().as_ref())
        );
        self.sent.lock().unwrap().push((id, expected));
        response
    }

    pub async fn token(
        &self,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        address: &str,
        expected: Expected,
    ) -> Value {
        let mut event = TokenEvent::form(pairs).source_ip(address);
        if let Some((id, secret)) = basic {
            event = event.basic(id, secret);
            let credentials = format!("{}:{}", form_encode(id), form_encode(secret));
            self.secret(&STANDARD.encode(credentials));
        }
        let response = self
            .call(Function::Token, event.event().clone(), expected)
            .await;
        body_json(&response)
    }

    pub async fn token_ok(
        &self,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
        grant: &'static str,
        client_id: &'static str,
    ) -> Value {
        let expected = Expected {
            route: "/oauth/token",
            status: 200,
            grant: Some(grant),
            client_id: Some(client_id),
            error: None,
        };
        let body = self
            .token(pairs, basic, &self.fresh_address(), expected)
            .await;
        for field in ["access_token", "refresh_token"] {
            if let Some(value) = body[field].as_str() {
                self.secret(value);
            }
        }
        body
    }

    /// `POST /oauth/revoke` of `token`, by the storefront alone or by a client with its secret
    /// in Basic.
    pub async fn revoke(
        &self,
        token: &str,
        client: RevokeAs<'_>,
        status: u16,
        error: Option<&'static str>,
    ) {
        let (mut event, client_id) = match client {
            RevokeAs::Public(public) => {
                let body = query(&[("client_id", public), ("token", token)]);
                (
                    Self::event("POST", "/oauth/revoke", "", Some(&body), None),
                    public,
                )
            }
            RevokeAs::Confidential(id, secret) => {
                let body = query(&[("token", token)]);
                let mut event = Self::event("POST", "/oauth/revoke", "", Some(&body), None);
                let credentials = format!("{}:{}", form_encode(id), form_encode(secret));
                let basic = STANDARD.encode(credentials);
                self.secret(&basic);
                event["headers"]["authorization"] = json!(format!("Basic {basic}"));
                (event, id)
            }
        };
        event["requestContext"]["http"]["sourceIp"] = json!(self.fresh_address());
        let expected = Expected {
            route: "/oauth/revoke",
            status,
            grant: None,
            client_id: Some(client_id),
            error,
        };
        self.call(Function::Revoke, event, expected).await;
    }

    /// An event for `method path` from the token fixture, with `query`, `body` and `cookie`.
    pub fn event(
        method: &str,
        path: &str,
        query: &str,
        body: Option<&str>,
        cookie: Option<&str>,
    ) -> Value {
        let mut event = TokenEvent::new().method(method).event().clone();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["routeKey"] = json!(format!("{method} {path}"));
        event["rawQueryString"] = json!(query);
        match body {
            Some(body) => {
                event["body"] = json!(body);
                event["headers"]["content-type"] = json!("application/x-www-form-urlencoded");
            }
            None => event["body"] = Value::Null,
        }
        if let Some(cookie) = cookie {
            event["cookies"] = json!([cookie]);
        }
        event
    }

    /// Signs the demo admin in for the demo webapp and returns the code.
    pub async fn authorization_code(&self) -> String {
        let challenge = s256_challenge(VERIFIER).unwrap();
        let params = [
            ("response_type", "code"),
            ("client_id", WEBAPP),
            ("redirect_uri", REDIRECT),
            ("scope", "market:code:eu"),
            ("state", "s1"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        let expected = |status, error| Expected {
            route: "/oauth/authorize",
            status,
            grant: Some("authorization_code"),
            client_id: Some(WEBAPP),
            error,
        };
        let page = self
            .call(
                Function::Authorize,
                Self::event("GET", "/oauth/authorize", &query(&params), None, None),
                expected(200, None),
            )
            .await;
        let html = String::from_utf8_lossy(page.body().as_ref()).into_owned();
        let start = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
        let csrf = html[start..start + 43].to_owned();
        self.secret(&csrf);
        let cookie = page.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut form = params.to_vec();
        form.extend([
            ("csrf", csrf.as_str()),
            ("email", ADMIN.0),
            ("action", "allow"),
        ]);
        let mut wrong = form.clone();
        wrong.push(("password", WRONG_PASSWORD));
        self.call(
            Function::Authorize,
            Self::event(
                "POST",
                "/oauth/authorize",
                "",
                Some(&query(&wrong)),
                Some(&cookie),
            ),
            expected(401, Some("access_denied")),
        )
        .await;
        form.push(("password", ADMIN.1));
        let back = self
            .call(
                Function::Authorize,
                Self::event(
                    "POST",
                    "/oauth/authorize",
                    "",
                    Some(&query(&form)),
                    Some(&cookie),
                ),
                expected(303, None),
            )
            .await;
        let location = back.headers()["location"].to_str().unwrap();
        let (_, query) = location.split_once('?').unwrap();
        let code = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "code")
            .expect("a code")
            .1
            .into_owned();
        self.secret(&code);
        code
    }

    pub async fn api(&self, path: &str, bearer: &str, status: u16, error: Option<&'static str>) {
        let mut event = Self::event("GET", path, "", None, None);
        event["headers"]["authorization"] = json!(format!("Bearer {bearer}"));
        let expected = Expected {
            route: if path.matches('/').count() > 2 {
                "/api/skus/{id}"
            } else {
                "/api/markets"
            },
            status,
            grant: None,
            client_id: (status == 200).then_some(WEBAPP),
            error,
        };
        self.call(Function::Api, event, expected).await;
    }
}

pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn refused(
    grant: &'static str,
    client_id: Option<&'static str>,
    status: u16,
    error: &'static str,
) -> Expected {
    Expected {
        route: "/oauth/token",
        status,
        grant: Some(grant),
        client_id,
        error: Some(error),
    }
}
