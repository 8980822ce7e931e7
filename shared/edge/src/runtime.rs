//! What a process has, from which each function's service is built by its one constructor:
//! the store, the configuration, the clock, the bound on password hashing and the per-address
//! refusals it remembers. A Lambda builds one at cold start; `gatehouse serve` builds one for
//! every function it serves, which then share the bound and the remembered refusals (each
//! endpoint's keys are its own); a test builds one with the variation it needs (a manual
//! clock, another limit, a tiny hashing bound) and hands it to the same constructors.

use std::sync::Arc;

use gatehouse_core::clock::{Clock, SystemClock};
use gatehouse_core::ratelimit::KnownRefusals;
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_store::Concerns;

use crate::config::{required_env, vars, ConfigError, ServiceConfig};
use crate::forwarded::{load_backend_secret, BackendSecret};
use crate::gate::Gate;
use crate::hashing::PasswordHashing;

/// `S` is the store: a concrete one in a Lambda (see [`Concerns`] for why), `dyn Store` where
/// the backend is chosen at run time.
pub struct Runtime<S: ?Sized> {
    pub store: Arc<S>,
    pub config: ServiceConfig,
    pub clock: Arc<dyn Clock>,
    /// One bound for the whole process: the password grant and the sign-in page take their
    /// turns in the same queue.
    pub hashing: PasswordHashing,
    pub known_refusals: Arc<KnownRefusals>,
    /// The deployment's backend secret, when it has one ([`crate::forwarded`]).
    pub backend_secret: Option<Arc<BackendSecret>>,
}

impl<S: ?Sized + Concerns> Runtime<S> {
    /// A process on `store`, with the hashing bound `config` sets and no refusal known yet.
    pub fn new(store: Arc<S>, config: ServiceConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            hashing: PasswordHashing::new(config.password_hashing),
            config,
            clock,
            known_refusals: Arc::default(),
            backend_secret: None,
        }
    }

    /// The process trusting backends that present `secret` ([`crate::forwarded`]).
    pub fn with_backend_secret(mut self, secret: Option<BackendSecret>) -> Self {
        self.backend_secret = secret.map(Arc::new);
        self
    }

    /// The store, to take its concerns from (`runtime.store().clients()`).
    pub fn store(&self) -> Arc<S> {
        Arc::clone(&self.store)
    }

    /// The gate on this process's windows, refusals, policies and clock.
    pub fn gate(&self) -> Gate {
        Gate::new(
            self.store().rate_limits(),
            Arc::clone(&self.known_refusals),
            self.config.rate_limit,
            Arc::clone(&self.clock),
        )
        .with_api_policy(self.config.api_rate_limit)
        .with_backend_secret(self.backend_secret.clone())
    }
}

impl Runtime<DynamoStore> {
    /// A Lambda's process: `config`, the DynamoDB table `GATEHOUSE_TABLE` names, the system
    /// clock.
    pub async fn on_dynamodb(config: ServiceConfig) -> Result<Self, ConfigError> {
        let table = required_env(vars::TABLE)?;
        let store = DynamoStore::new(dynamo::client(None).await, table);
        Ok(Self::new(Arc::new(store), config, Arc::new(SystemClock)))
    }

    /// The process of a function that counts per address: trusting the backend secret, when
    /// one is configured ([`load_backend_secret`]). Only those functions read it (and link the
    /// Secrets Manager client that reads it).
    pub async fn trusting_backends(self) -> Result<Self, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        Ok(self.with_backend_secret(load_backend_secret(&env).await?))
    }
}

/// Another handle on the same process (the store, the bound and the refusals are shared), for
/// a caller that changes a setting for one service.
impl<S: ?Sized> Clone for Runtime<S> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            config: self.config.clone(),
            clock: Arc::clone(&self.clock),
            hashing: self.hashing.clone(),
            known_refusals: Arc::clone(&self.known_refusals),
            backend_secret: self.backend_secret.clone(),
        }
    }
}
