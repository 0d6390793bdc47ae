//! Fault injection and the counters that let tests see what a client did.
//!
//! Every request passes [`Faults::decide`] before it reaches the API: a per-token rate limit
//! (HTTP 429 with `Retry-After`), random server errors (500/502/503, not applied), and
//! dropped connections (closed without an answer, half of them after the write was applied:
//! the case that makes a naive client create duplicates). The dice come from one seeded
//! generator, so a run with the same seed and the same request order repeats.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// The fault settings of a sandbox.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Requests per second allowed per token; `None` for no limit.
    pub rate: Option<u32>,
    /// Requests a token may make at once before the rate applies (default: the rate).
    pub burst: Option<u32>,
    /// Added to every API request.
    pub latency: Duration,
    /// Share of API requests answered 500, 502 or 503 without being applied.
    pub fail_rate: f64,
    /// Share of API requests whose connection is closed without an answer.
    pub drop_rate: f64,
    /// Seed of the dice.
    pub seed: u64,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Serve,
    /// Answer 429; retry after this many seconds.
    Limited(u64),
    /// Answer this server error without applying the request.
    Fail(u16),
    /// Close the connection before applying the request.
    DropBefore,
    /// Apply the request, then close the connection without answering.
    DropAfter,
}

pub struct Faults {
    config: FaultConfig,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    dice: Mutex<ChaCha8Rng>,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Faults {
        let limiter = config.rate.and_then(NonZeroU32::new).map(|rate| {
            let burst = config.burst.and_then(NonZeroU32::new).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        let dice = Mutex::new(ChaCha8Rng::seed_from_u64(config.seed));
        Faults {
            config,
            limiter,
            dice,
        }
    }

    pub fn latency(&self) -> Duration {
        self.config.latency
    }

    pub fn decide(&self, token: &str) -> Decision {
        if let Some(limiter) = &self.limiter {
            if let Err(not_until) = limiter.check_key(&token.to_string()) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                // Retry-After is in whole seconds; round up so a client never comes back early.
                return Decision::Limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
            }
        }
        if self.config.fail_rate <= 0.0 && self.config.drop_rate <= 0.0 {
            return Decision::Serve;
        }
        let mut dice = self.dice.lock().expect("dice lock");
        if dice.random::<f64>() < self.config.fail_rate {
            return Decision::Fail([500, 502, 503][dice.random_range(0..3)]);
        }
        if dice.random::<f64>() < self.config.drop_rate {
            return if dice.random::<bool>() {
                Decision::DropAfter
            } else {
                Decision::DropBefore
            };
        }
        Decision::Serve
    }
}

/// Counters since the sandbox started, served read-only at `GET /_sandbox/stats`.
#[derive(Default)]
pub struct Stats {
    requests: AtomicU64,
    by_status: Mutex<BTreeMap<u16, u64>>,
    rate_limited: AtomicU64,
    failures_injected: AtomicU64,
    dropped_before: AtomicU64,
    dropped_after_write: AtomicU64,
    in_flight: AtomicUsize,
    peak_concurrency: AtomicUsize,
    /// API requests by method and path shape, such as `POST /api/contacts`.
    by_endpoint: Mutex<BTreeMap<String, u64>>,
}

/// Marks a request in flight until dropped.
pub struct InFlight<'a>(&'a Stats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Stats {
    pub fn begin(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_concurrency.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    pub fn endpoint(&self, method: &str, path: &str) {
        // Formats and ids are folded so that the counts group by endpoint: /api/contact/{id}.
        let shape: Vec<&str> = path
            .split('/')
            .map(|s| s.split('.').next().unwrap_or(s))
            .map(|s| {
                if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                    "{id}"
                } else {
                    s
                }
            })
            .collect();
        *self
            .by_endpoint
            .lock()
            .expect("stats lock")
            .entry(format!("{method} {}", shape.join("/")))
            .or_default() += 1;
    }

    pub fn answered(&self, status: u16) {
        *self
            .by_status
            .lock()
            .expect("stats lock")
            .entry(status)
            .or_default() += 1;
    }

    pub fn record(&self, decision: Decision) {
        let counter = match decision {
            Decision::Serve => return,
            Decision::Limited(_) => &self.rate_limited,
            Decision::Fail(_) => &self.failures_injected,
            Decision::DropBefore => &self.dropped_before,
            Decision::DropAfter => &self.dropped_after_write,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn to_json(&self) -> Value {
        let by_status: BTreeMap<String, u64> = self
            .by_status
            .lock()
            .expect("stats lock")
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "by_status": by_status,
            "by_endpoint": *self.by_endpoint.lock().expect("stats lock"),
            "rate_limited": self.rate_limited.load(Ordering::Relaxed),
            "failures_injected": self.failures_injected.load(Ordering::Relaxed),
            "dropped_before": self.dropped_before.load(Ordering::Relaxed),
            "dropped_after_write": self.dropped_after_write.load(Ordering::Relaxed),
            "in_flight": self.in_flight.load(Ordering::SeqCst),
            "peak_concurrency": self.peak_concurrency.load(Ordering::SeqCst),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let config = FaultConfig {
            fail_rate: 0.2,
            drop_rate: 0.2,
            seed: 7,
            ..FaultConfig::default()
        };
        let run = |c: &FaultConfig| {
            let f = Faults::new(c.clone());
            (0..200).map(|_| f.decide("t")).collect::<Vec<_>>()
        };
        let first = run(&config);
        assert_eq!(first, run(&config));
        assert!(first.contains(&Decision::DropAfter) && first.contains(&Decision::DropBefore));
        assert!(first.iter().any(|d| matches!(d, Decision::Fail(_))));
        assert_ne!(first, run(&FaultConfig { seed: 8, ..config }));
    }

    #[test]
    fn the_rate_limit_is_per_token() {
        let f = Faults::new(FaultConfig {
            rate: Some(1),
            burst: Some(2),
            ..FaultConfig::default()
        });
        assert_eq!(f.decide("a"), Decision::Serve);
        assert_eq!(f.decide("a"), Decision::Serve);
        assert!(matches!(f.decide("a"), Decision::Limited(s) if s >= 1));
        assert_eq!(
            f.decide("b"),
            Decision::Serve,
            "another token has its own budget"
        );
    }
}
