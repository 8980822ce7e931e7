//! The gate in front of the endpoints any client can call at will: token requests, revocation
//! requests and sign-in attempts, each counted per client address ([`client_rate_key`]) under
//! the process's per-address policy, and the resource API's requests, counted per access token
//! (its `jti`) under a policy of its own; each endpoint with a count of its own (see
//! [`gatehouse_core::ratelimit`]).
//!
//! A request is refused again without a storage request while this process knows storage's
//! refusal of its key ([`KnownRefusals`]); otherwise it costs one counted hit in storage, and a
//! refusal is remembered. The token endpoint and the resource API send that hit together with
//! their reads, so they take the gate in two halves ([`Gate::knock`] or [`Gate::knock_token`],
//! then [`Count::count`]); the others take it whole ([`Gate::admit`]).

use std::sync::Arc;

use gatehouse_core::clock::{Clock, UnixMillis};
use gatehouse_core::ratelimit::{KnownRefusals, RateLimitOutcome, RateLimitPolicy};
use gatehouse_store::RateLimits;
use lambda_http::{Body, Request, Response};

use crate::error::ApiError;
use crate::forwarded::{caller_key, BackendSecret};
use crate::http::rate_limit_headers;
use crate::jsonapi::JsonApiError;
use crate::observe::facts::Limit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /oauth/token`.
    Token,
    /// `POST /oauth/revoke`.
    Revoke,
    /// A sign-in form posted to `/oauth/authorize`.
    SignIn,
    /// `GET /api/...`, counted per access token ([`Gate::knock_token`]).
    Api,
}

impl Endpoint {
    /// The key a request from `caller` (an address; for the API, a token's `jti`) is counted
    /// under. The token endpoint's is the bare address (its count came first: the windows
    /// stored under those keys stay valid); the others' are prefixed, so that each endpoint
    /// has a count of its own.
    fn key(self, caller: &str) -> String {
        match self {
            Endpoint::Token => caller.to_owned(),
            Endpoint::Revoke => format!("revoke:{caller}"),
            Endpoint::SignIn => format!("sign-in:{caller}"),
            Endpoint::Api => format!("api:{caller}"),
        }
    }

    /// The limit the request line names when the gate refuses a request.
    pub fn limit(self) -> Limit {
        match self {
            Endpoint::Token => Limit::TokenRequests,
            Endpoint::Revoke => Limit::RevokeRequests,
            Endpoint::SignIn => Limit::SignInRequests,
            Endpoint::Api => Limit::ApiRequests,
        }
    }

    /// What is counted, as a refusal says it ("too many … from this address").
    fn counted(self) -> &'static str {
        match self {
            Endpoint::Token => "token requests",
            Endpoint::Revoke => "revocation requests",
            Endpoint::SignIn => "sign-in attempts",
            Endpoint::Api => "API requests",
        }
    }
}

/// The gate of one process: the windows in storage, the refusals this process remembers, the
/// policies and the clock.
pub struct Gate {
    windows: Arc<dyn RateLimits>,
    known: Arc<KnownRefusals>,
    /// The per-address endpoints' policy.
    policy: RateLimitPolicy,
    /// The resource API's, per token.
    api_policy: RateLimitPolicy,
    clock: Arc<dyn Clock>,
    /// The deployment's backend secret, when it has one ([`crate::forwarded`]).
    backend: Option<Arc<BackendSecret>>,
}

impl Gate {
    /// A gate with `policy` for the per-address endpoints, and the API's default policy
    /// until [`Gate::with_api_policy`] sets another.
    pub fn new(
        windows: Arc<dyn RateLimits>,
        known: Arc<KnownRefusals>,
        policy: RateLimitPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            windows,
            known,
            policy,
            api_policy: crate::config::ServiceConfig::default_api_rate_limit(),
            clock,
            backend: None,
        }
    }

    /// The gate trusting the backends that present `secret` to name their callers' addresses.
    pub fn with_backend_secret(mut self, secret: Option<Arc<BackendSecret>>) -> Self {
        self.backend = secret;
        self
    }

    /// The key a per-address endpoint counts `request` under: the connection's address, or
    /// the address a trusted backend forwarded ([`crate::forwarded::caller_key`]). Err: a
    /// trusted backend forwarded something that is not an address.
    pub fn caller(&self, request: &Request) -> Result<String, ApiError> {
        caller_key(request, self.backend.as_deref())
    }

    /// The gate with `policy` as the resource API's, per token.
    pub fn with_api_policy(mut self, policy: RateLimitPolicy) -> Self {
        self.api_policy = policy;
        self
    }

    fn policy(&self, endpoint: Endpoint) -> RateLimitPolicy {
        match endpoint {
            Endpoint::Api => self.api_policy,
            Endpoint::Token | Endpoint::Revoke | Endpoint::SignIn => self.policy,
        }
    }

    /// Admits `request` to `endpoint` or refuses it: a known refusal, else one counted hit.
    /// Err: storage did not answer.
    pub async fn admit(
        &self,
        endpoint: Endpoint,
        request: &Request,
    ) -> Result<Admission, ApiError> {
        match self.knock(endpoint, request)? {
            Knock::Refused(refused) => Ok(refused),
            Knock::Open(count) => count.count().await,
        }
    }

    /// The first half of [`Gate::admit`], which costs no storage request: a refusal this
    /// process knows, or the [`Count`] to send. For the per-address endpoints: the API's
    /// requests are counted by token ([`Gate::knock_token`]).
    ///
    /// Err: a trusted backend forwarded something that is not an address (refused before it
    /// is counted).
    pub fn knock(&self, endpoint: Endpoint, request: &Request) -> Result<Knock<'_>, ApiError> {
        Ok(self.knock_as(endpoint, self.caller(request)?))
    }

    /// [`Gate::knock`] for a resource API request made with the token whose `jti` this is (a
    /// verified token's: the count is per token, whatever address it comes from).
    pub fn knock_token(&self, jti: &str) -> Knock<'_> {
        self.knock_as(Endpoint::Api, jti.to_owned())
    }

    fn knock_as(&self, endpoint: Endpoint, caller: String) -> Knock<'_> {
        let now = self.clock.now();
        let key = endpoint.key(&caller);
        match self.known.check(&key, &self.policy(endpoint), now) {
            Some(outcome) => Knock::Refused(self.admission(endpoint, outcome)),
            None => Knock::Open(Count {
                gate: self,
                endpoint,
                address: caller,
                key,
                now,
            }),
        }
    }

    fn admission(&self, endpoint: Endpoint, outcome: RateLimitOutcome) -> Admission {
        Admission {
            endpoint,
            policy: self.policy(endpoint),
            outcome,
        }
    }
}

/// What the gate knows of a request before any storage request.
pub enum Knock<'g> {
    /// Storage would refuse it: refused here, without asking.
    Refused(Admission),
    /// It must be counted.
    Open(Count<'g>),
}

/// A request to count: one storage request, sent when the caller chooses.
pub struct Count<'g> {
    gate: &'g Gate,
    endpoint: Endpoint,
    address: String,
    key: String,
    now: UnixMillis,
}

impl Count<'_> {
    /// The client address the request is counted for ([`client_rate_key`]); for the API, the
    /// token's `jti`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The instant the request is counted at, for the rest of its handling to share.
    pub fn now(&self) -> UnixMillis {
        self.now
    }

    /// Counts the request in storage and remembers a refusal. Err: storage did not answer.
    pub async fn count(&self) -> Result<Admission, ApiError> {
        let gate = self.gate;
        let outcome = gate
            .windows
            .hit_rate_limit(&self.key, &gate.policy(self.endpoint), self.now)
            .await?;
        gate.known.remember(&self.key, &outcome, self.now);
        Ok(gate.admission(self.endpoint, outcome))
    }
}

/// The gate's answer to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admission {
    endpoint: Endpoint,
    policy: RateLimitPolicy,
    outcome: RateLimitOutcome,
}

impl Admission {
    pub fn allowed(&self) -> bool {
        self.outcome.allowed
    }

    /// The limiter's answer, as the `RateLimit-*` headers report it.
    pub fn outcome(&self) -> RateLimitOutcome {
        self.outcome
    }

    /// The 429 of a refused request: the endpoint's limit, for the request line, and
    /// `Retry-After`.
    pub fn refusal(&self) -> ApiError {
        ApiError::too_many_requests(
            self.endpoint.counted(),
            self.endpoint.limit(),
            &self.policy,
            &self.outcome,
        )
    }

    /// The resource API's 429 (JSON:API), with `Retry-After` and its limit for the request
    /// line. RFC 6585 §4: "The 429 status code indicates that the user has sent too many
    /// requests in a given amount of time"; "The response representations SHOULD include
    /// details explaining the condition, and MAY include a Retry-After header".
    pub fn json_api_refusal(&self) -> JsonApiError {
        let mut refusal = JsonApiError::new(
            http::StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "TOO_MANY_REQUESTS",
            format!(
                "too many {} with this token: at most {} in any {} seconds",
                self.endpoint.counted(),
                self.policy.limit,
                self.policy.window.as_secs()
            ),
        )
        .with_retry_after(self.outcome.reset_seconds.max(1));
        refusal.limited_by = Some(self.endpoint.limit());
        refusal
    }

    /// `response` with the `RateLimit-*` headers, which admitted requests' answers and
    /// refusals alike carry.
    pub fn stamp(&self, mut response: Response<Body>) -> Response<Body> {
        rate_limit_headers(&mut response, &self.outcome);
        response
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    use async_trait::async_trait;
    use gatehouse_core::clock::ManualClock;
    use gatehouse_store::memory::MemoryStore;
    use gatehouse_store::StoreError;
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
    };
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;

    use super::*;
    use crate::error::ErrorCode;

    const START: UnixMillis = UnixMillis(1_000_000);

    /// The embedded store's windows, with the keys of the hits that reach them, and able to
    /// fail as an unreachable table would.
    #[derive(Default)]
    struct Windows {
        store: MemoryStore,
        keys: Mutex<Vec<String>>,
        hits: AtomicUsize,
        down: AtomicBool,
    }

    impl Windows {
        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl RateLimits for Windows {
        async fn hit_rate_limit(
            &self,
            key: &str,
            policy: &RateLimitPolicy,
            now: UnixMillis,
        ) -> Result<RateLimitOutcome, StoreError> {
            self.hits.fetch_add(1, Ordering::SeqCst);
            self.keys.lock().unwrap().push(key.to_owned());
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("connection refused".into()));
            }
            self.store.hit_rate_limit(key, policy, now).await
        }

        async fn clear_rate_limit(
            &self,
            key: &str,
            policy: &RateLimitPolicy,
            up_to: UnixMillis,
        ) -> Result<(), StoreError> {
            self.store.clear_rate_limit(key, policy, up_to).await
        }
    }

    fn gate(windows: &Arc<Windows>, limit: u32, clock: &Arc<ManualClock>) -> Gate {
        Gate::new(
            windows.clone(),
            Arc::default(),
            RateLimitPolicy::new(limit, 60).unwrap(),
            clock.clone(),
        )
    }

    /// A request from `address`, as API Gateway reports the source of one.
    fn from(address: &str) -> Request {
        let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
        http.source_ip = Some(address.to_owned());
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http = http;
        Request::default().with_request_context(RequestContext::ApiGatewayV2(context))
    }

    fn header(response: &Response<Body>, name: &str) -> String {
        response.headers()[name].to_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn each_endpoint_counts_an_address_under_a_key_of_its_own() {
        let windows = Arc::new(Windows::default());
        let gate = gate(&windows, 1, &Arc::new(ManualClock::at(START)));
        for endpoint in [Endpoint::Token, Endpoint::Revoke, Endpoint::SignIn] {
            let request = from("192.0.2.1");
            assert!(gate.admit(endpoint, &request).await.unwrap().allowed());
        }
        // An IPv6 address is counted by its /64.
        let request = from("2001:db8:7:7::1");
        assert!(gate
            .admit(Endpoint::Revoke, &request)
            .await
            .unwrap()
            .allowed());
        assert_eq!(
            *windows.keys.lock().unwrap(),
            [
                "192.0.2.1",
                "revoke:192.0.2.1",
                "sign-in:192.0.2.1",
                "revoke:2001:db8:7:7::/64"
            ]
        );
    }

    #[tokio::test]
    async fn a_known_refusal_answers_alone_until_the_window_frees_a_place() {
        let windows = Arc::new(Windows::default());
        let clock = Arc::new(ManualClock::at(START));
        let gate = gate(&windows, 2, &clock);
        let request = from("192.0.2.1");
        let admit = || gate.admit(Endpoint::Revoke, &request);
        assert!(admit().await.unwrap().allowed());
        clock.advance(Duration::from_secs(10));
        assert!(admit().await.unwrap().allowed());
        clock.advance(Duration::from_secs(10));
        assert!(!admit().await.unwrap().allowed());
        assert_eq!(windows.hits(), 3);
        // Storage said no until start + 60 s: until then, no storage request.
        for (step, reset) in [(1, 39), (19, 20), (19, 1)] {
            clock.advance(Duration::from_secs(step));
            let again = admit().await.unwrap().outcome();
            assert_eq!((again.allowed, again.reset_seconds), (false, reset));
        }
        assert_eq!(windows.hits(), 3);
        clock.advance(Duration::from_secs(1));
        assert!(admit().await.unwrap().allowed());
        assert_eq!(windows.hits(), 4);
    }

    #[tokio::test]
    async fn a_refusal_is_its_endpoints_429_with_the_rate_limit_headers() {
        let windows = Arc::new(Windows::default());
        let gate = gate(&windows, 1, &Arc::new(ManualClock::at(START)));
        let request = from("198.51.100.7");
        for (endpoint, counted) in [
            (Endpoint::Token, "token requests"),
            (Endpoint::Revoke, "revocation requests"),
            (Endpoint::SignIn, "sign-in attempts"),
        ] {
            // Admitted although another endpoint just refused the address: counts are apart.
            let admitted = gate.admit(endpoint, &request).await.unwrap();
            assert!(admitted.allowed());
            let answer = admitted.stamp(Response::new(Body::Empty));
            assert_eq!(header(&answer, "ratelimit-limit"), "1");
            assert_eq!(header(&answer, "ratelimit-remaining"), "0");
            assert_eq!(header(&answer, "ratelimit-reset"), "60");
            let refused = gate.admit(endpoint, &request).await.unwrap();
            assert!(!refused.allowed());
            let refusal = refused.refusal();
            assert_eq!(refusal.code, ErrorCode::TooManyRequests);
            assert_eq!(
                refusal.description,
                format!("too many {counted} from this address: at most 1 in any 60 seconds")
            );
            assert_eq!(refusal.limited_by, Some(endpoint.limit()));
            let answer = refused.stamp(refusal.into_response());
            assert_eq!(answer.status(), 429);
            assert_eq!(header(&answer, "retry-after"), "60");
            assert_eq!(header(&answer, "ratelimit-remaining"), "0");
            assert_eq!(header(&answer, "ratelimit-reset"), "60");
        }
    }

    #[tokio::test]
    async fn the_api_counts_each_token_under_its_own_policy_and_refuses_in_json_api() {
        let windows = Arc::new(Windows::default());
        let clock = Arc::new(ManualClock::at(START));
        let gate = gate(&windows, 1, &clock).with_api_policy(RateLimitPolicy::new(2, 30).unwrap());
        let admit = |jti: &'static str| {
            let gate = &gate;
            async move {
                match gate.knock_token(jti) {
                    Knock::Refused(refused) => refused,
                    Knock::Open(count) => count.count().await.unwrap(),
                }
            }
        };
        for _ in 0..2 {
            assert!(admit("jti-a").await.allowed());
        }
        // Another token has a count of its own, whatever address both come from.
        assert!(admit("jti-b").await.allowed());
        let refused = admit("jti-a").await;
        assert!(!refused.allowed());
        assert_eq!(
            windows.keys.lock().unwrap()[..],
            ["api:jti-a", "api:jti-a", "api:jti-b", "api:jti-a"]
        );
        let refusal = refused.json_api_refusal();
        assert_eq!(refusal.code, "TOO_MANY_REQUESTS");
        assert_eq!(
            refusal.detail(),
            "too many API requests with this token: at most 2 in any 30 seconds"
        );
        let answer = refused.stamp(refusal.into_response());
        assert_eq!(answer.status(), 429);
        assert_eq!(header(&answer, "content-type"), "application/vnd.api+json");
        assert_eq!(header(&answer, "retry-after"), "30");
        assert_eq!(header(&answer, "ratelimit-limit"), "2");
        assert_eq!(header(&answer, "ratelimit-remaining"), "0");
        let facts = answer.extensions().get::<crate::observe::RequestFacts>();
        assert_eq!(
            facts.and_then(|facts| facts.rate_limited),
            Some(Limit::ApiRequests)
        );
        // Known now: refused again without a storage request.
        assert!(!admit("jti-a").await.allowed());
        assert_eq!(windows.hits(), 4);
    }

    #[tokio::test]
    async fn the_token_endpoints_halves_count_only_when_told() {
        let windows = Arc::new(Windows::default());
        let gate = gate(&windows, 1, &Arc::new(ManualClock::at(START)));
        let request = from("198.51.100.7");
        let Ok(Knock::Open(count)) = gate.knock(Endpoint::Token, &request) else {
            panic!("nothing is known of this address yet");
        };
        assert_eq!(windows.hits(), 0, "knocking costs no storage request");
        assert_eq!((count.address(), count.now()), ("198.51.100.7", START));
        assert!(count.count().await.unwrap().allowed());
        // Storage's refusal is not known before storage gives it.
        let Ok(Knock::Open(count)) = gate.knock(Endpoint::Token, &request) else {
            panic!("storage has refused nothing yet");
        };
        assert!(!count.count().await.unwrap().allowed());
        assert_eq!(windows.hits(), 2);
        let Ok(Knock::Refused(refused)) = gate.knock(Endpoint::Token, &request) else {
            panic!("storage's refusal is remembered");
        };
        assert!(!refused.allowed());
        assert_eq!(windows.hits(), 2);
    }

    #[tokio::test]
    async fn storage_out_of_reach_is_an_error_and_nothing_is_remembered() {
        let windows = Arc::new(Windows::default());
        let gate = gate(&windows, 1, &Arc::new(ManualClock::at(START)));
        let request = from("198.51.100.7");
        windows.down.store(true, Ordering::SeqCst);
        let error = gate.admit(Endpoint::Revoke, &request).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::TemporarilyUnavailable);
        windows.down.store(false, Ordering::SeqCst);
        assert!(gate
            .admit(Endpoint::Revoke, &request)
            .await
            .unwrap()
            .allowed());
        assert_eq!(windows.hits(), 2);
    }
}
