//! The one client every command talks to BigContacts through, and how to configure it.

use std::time::Duration;

use governor::clock::DefaultClock;
use reqwest::Method;

use super::auth::TokenSource;
use super::envelope::Envelope;
use super::error::ApiError;
use super::http::{check_base_url, http_client};
use super::retry::RetryPolicy;
use super::throttle::Throttle;
use super::token::Tokens;
use super::transport::{Body, Transport, TransportStats};
use crate::clock::Clock;

/// The hosted service.
pub const DEFAULT_BASE_URL: &str = "https://app.bigcontacts.com";

/// How to reach the API.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub base_url: String,
    pub token: TokenSource,
    /// Requests per second for the whole process, and how many may go at once.
    pub rate: f64,
    pub burst: u32,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, token: TokenSource) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            token,
            rate: 5.0,
            burst: 10,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
        }
    }
}

/// A client: the transport below, the typed endpoints (in `endpoints`) above. Shared by
/// reference between threads; they share its rate limit and its token.
pub struct Client<C: Clock = DefaultClock> {
    pub(super) transport: Transport<C>,
    /// What authenticates, for messages.
    pub source: String,
}

impl Client {
    /// A client on the real clock; fetches a first token when the source needs it (client
    /// credentials).
    pub fn new(config: ClientConfig) -> anyhow::Result<Client> {
        Client::with_clock(config, DefaultClock::default())
    }
}

impl<C: Clock> Client<C> {
    /// A client whose waits go through `clock` (a fake one in tests).
    pub fn with_clock(config: ClientConfig, clock: C) -> anyhow::Result<Client<C>> {
        let base = check_base_url(&config.base_url)?;
        let http = http_client(config.connect_timeout, config.timeout)?;
        let source = config.token.describe();
        let tokens = Tokens::new(config.token, &http, &base)?;
        Ok(Client {
            transport: Transport {
                http,
                timeouts: (config.connect_timeout, config.timeout),
                direct: !super::wire::proxied(base.as_str()),
                base,
                tokens,
                throttle: Throttle::with_clock(config.rate, config.burst, clock.clone()),
                retry: config.retry,
                clock,
                counters: Default::default(),
            },
            source,
        })
    }

    pub fn base_url(&self) -> &url::Url {
        &self.transport.base
    }

    /// The requests per second the client was told it may send (--rate).
    pub fn rate(&self) -> f64 {
        self.transport.throttle.configured_rate()
    }

    /// Requests, retries and 429s so far.
    pub fn stats(&self) -> TransportStats {
        self.transport.counters.stats()
    }

    /// The server's clock minus this machine's, in seconds, once a response has said.
    pub fn server_offset(&self) -> Option<i64> {
        self.transport.counters.server_offset()
    }

    /// Sends one API call; see the typed calls for the usual ones.
    pub fn call<P: super::envelope::Payload>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
        idempotent: bool,
    ) -> Result<Envelope<P>, ApiError> {
        self.transport.call(method, path, query, body, idempotent)
    }
}
