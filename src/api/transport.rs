//! One API call on the wire: the shared throttle, the token, the retry policy, and the
//! answer read into an [`Envelope`] or classed as an [`ApiError`].
//!
//! Every wait (the throttle's, the backoff's) goes through one [`Clock`], so tests of
//! retries and 429s move a fake clock instead of sleeping.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use rand::Rng;
use reqwest::blocking::Client as Http;
use reqwest::Method;
use url::Url;

use super::envelope::{Envelope, Payload};
use super::error::{ApiError, Sent};
use super::http::{describe, snippet};
use super::retry::{Decision, RetryPolicy};
use super::throttle::Throttle;
use super::token::{oauth_message, Tokens};
use super::wire::{Answer, Wire, WireError};
use crate::clock::{unix_now, Clock};

/// A request body.
pub enum Body {
    None,
    /// JSON text, sent as it is (an import keeps the same text in its journal, so a body is
    /// written out once); shared, not copied, by each attempt.
    Json(Bytes),
    Form(Vec<(String, String)>),
}

pub(super) struct Transport<C: Clock> {
    pub http: Http,
    /// Connect and whole-request timeouts, for each thread's own async client.
    pub timeouts: (Duration, Duration),
    /// No proxy in the environment for the server: calls go on this crate's own wire
    /// instead of through reqwest (see `wire`).
    pub direct: bool,
    pub base: Url,
    pub tokens: Tokens,
    pub throttle: Throttle<C>,
    pub retry: RetryPolicy,
    pub clock: C,
    pub counters: Counters,
}

/// What the transport has done so far, for a run's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TransportStats {
    /// Requests sent, retries included.
    pub requests: u64,
    pub retries: u64,
    /// HTTP 429 answers.
    pub rate_limited: u64,
}

#[derive(Debug)]
pub(super) struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    /// The server's clock minus ours, from the latest `Date` header; `i64::MIN` until one
    /// comes.
    server_offset: AtomicI64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            server_offset: AtomicI64::new(i64::MIN),
        }
    }
}

impl Counters {
    pub fn stats(&self) -> TransportStats {
        TransportStats {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
        }
    }

    pub fn server_offset(&self) -> Option<i64> {
        Some(self.server_offset.load(Ordering::Relaxed)).filter(|&o| o != i64::MIN)
    }
}

impl<C: Clock> Transport<C> {
    /// Sends one API call with the throttle, renewal on 401, and the retry policy.
    /// `idempotent` says whether a lost answer may be retried (see [`RetryPolicy::decide`]).
    pub fn call<P: Payload>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
        idempotent: bool,
    ) -> Result<Envelope<P>, ApiError> {
        let call = format!("{method} {path}");
        debug_assert!(
            path.starts_with('/') && !path.contains(['?', '#']),
            "{path}"
        );
        let url = url_for(&self.base, path, query);
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.throttle.wait();
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let token = self.tokens.current(&self.http, &self.base, &call)?;
            let outgoing = Outgoing {
                method: method.clone(),
                url: &url,
                token: token.expose(),
                body,
                call: &call,
            };
            match self.send_here(&outgoing) {
                Ok(envelope) => return Ok(envelope),
                Err(ApiError::Unauthorized { .. }) if !renewed && self.tokens.renewable() => {
                    renewed = true;
                    attempt -= 1;
                    self.tokens.renew(&self.http, &self.base, &token, &call)?;
                }
                Err(error) => {
                    if let ApiError::RateLimited { retry_after, .. } = &error {
                        self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                        self.throttle.rate_limited(*retry_after);
                    }
                    let jitter = rand::rng().random::<f64>();
                    match self.retry.decide(attempt, &error, idempotent, jitter) {
                        Decision::RetryAfter(wait) => {
                            self.counters.retries.fetch_add(1, Ordering::Relaxed);
                            self.clock.sleep(wait)
                        }
                        Decision::GiveUp => return Err(error),
                    }
                }
            }
        }
    }
}

/// The URL of `path` on the server, with `query`: the path replaces the base's, as
/// `Url::set_path` does. A path of letters, digits and `/._-`, with no `.` or empty segment
/// to resolve, comes out of `set_path` as it went in, so it is put in place as text, without
/// parsing the whole URL again for every request (1,300 instructions a request).
fn url_for(base: &Url, path: &str, query: &[(&str, String)]) -> String {
    let as_is = path.starts_with('/')
        && !path.contains("/.")
        && !path.contains("//")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
    if as_is && query.is_empty() {
        return [
            &base[..url::Position::BeforePath],
            path,
            &base[url::Position::AfterPath..],
        ]
        .concat();
    }
    let mut url = base.clone();
    url.set_path(path);
    if !query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    }
    url.into()
}

/// An answer as its envelope, or the error it means: a 2xx with a success envelope is the
/// only success.
fn classify<P: Payload>(
    call: &str,
    status: u16,
    retry_after: Duration,
    bytes: &[u8],
) -> Result<Envelope<P>, ApiError> {
    if (200..=299).contains(&status) {
        if let Some(envelope) = P::read_early(bytes) {
            return Ok(envelope);
        }
    }
    let envelope = Envelope::<P>::parse(bytes);
    let message = || match &envelope {
        Some(e) if !e.message.is_empty() => e.message.clone(),
        _ => oauth_message(bytes).unwrap_or_else(|| snippet(bytes)),
    };
    let call = call.to_string();
    Err(match status {
        200..=299 => match envelope {
            Some(e) if e.ok => return Ok(e),
            Some(e) if e.says_not_found() => ApiError::NotFound {
                call,
                message: e.message,
            },
            Some(e) => ApiError::Rejected {
                call,
                status,
                message: e.message,
            },
            None => ApiError::Protocol {
                call,
                message: format!(
                    "HTTP {status} without the API's envelope: {}",
                    snippet(bytes)
                ),
            },
        },
        401 => ApiError::Unauthorized {
            call,
            message: message(),
        },
        403 => ApiError::Forbidden {
            call,
            message: message(),
        },
        404 => ApiError::NotFound {
            call,
            message: message(),
        },
        429 => ApiError::RateLimited { call, retry_after },
        500..=599 => ApiError::Server {
            call,
            status,
            message: message(),
        },
        _ => ApiError::Rejected {
            call,
            status,
            message: message(),
        },
    })
}

thread_local! {
    /// Each calling thread's own HTTP client and runtime: a request is driven on the thread
    /// that makes it, not handed to a runtime thread and back (two thread switches per
    /// request with reqwest's blocking client, most of the kernel time a writer spent).
    static WIRE: std::cell::RefCell<Option<Wire>> = const { std::cell::RefCell::new(None) };
    /// The same through reqwest, for a server reached through a proxy.
    static PROXIED: std::cell::RefCell<Option<(tokio::runtime::Runtime, reqwest::Client)>> =
        const { std::cell::RefCell::new(None) };
}

/// One request as it leaves: everything either client needs.
struct Outgoing<'a> {
    method: Method,
    url: &'a str,
    token: &'a str,
    body: &'a Body,
    /// "METHOD /path", for messages.
    call: &'a str,
}

impl<C: Clock> Transport<C> {
    /// Sends one request on this thread's own client and reads the answer.
    fn send_here<P: Payload>(&self, out: &Outgoing) -> Result<Envelope<P>, ApiError> {
        let answer = if self.direct {
            self.send_direct(out)?
        } else {
            self.send_proxied(out)?
        };
        let call = out.call;
        if let Some(offset) = server_offset(&answer.headers) {
            self.counters.server_offset.store(offset, Ordering::Relaxed);
        }
        let retry_after = retry_after(&answer.headers);
        classify(call, answer.status, retry_after, &answer.body)
    }

    fn send_direct(&self, out: &Outgoing) -> Result<Answer, ApiError> {
        let network = |sent, message| ApiError::Network {
            call: out.call.to_string(),
            sent,
            message,
        };
        let body = match out.body {
            Body::None => None,
            Body::Json(text) => Some(("application/json", text.clone())),
            Body::Form(fields) => {
                let text = serde_urlencoded::to_string(fields)
                    .map_err(|e| network(Sent::No, e.to_string()))?;
                Some(("application/x-www-form-urlencoded", Bytes::from(text)))
            }
        };
        WIRE.with(|wire| {
            let mut wire = wire.borrow_mut();
            if wire.is_none() {
                let made = Wire::new(self.timeouts.0, self.timeouts.1)
                    .map_err(|e| network(Sent::No, format!("cannot start an HTTP client: {e}")))?;
                *wire = Some(made);
            }
            let wire = wire.as_mut().expect("set above");
            wire.send(out.method.clone(), out.url, out.token, body)
                .map_err(|e| match e {
                    WireError::NotSent(message) => network(Sent::No, message),
                    WireError::Lost(message) => network(Sent::Maybe, message),
                })
        })
    }

    fn send_proxied(&self, out: &Outgoing) -> Result<Answer, ApiError> {
        let network = |e: reqwest::Error| ApiError::Network {
            call: out.call.to_string(),
            sent: if e.is_connect() {
                Sent::No
            } else {
                Sent::Maybe
            },
            message: describe(&e),
        };
        PROXIED.with(|here| {
            let mut here = here.borrow_mut();
            if here.is_none() {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| ApiError::Network {
                        call: out.call.to_string(),
                        sent: Sent::No,
                        message: format!("cannot start an HTTP runtime: {e}"),
                    })?;
                let client =
                    super::http::async_client(self.timeouts.0, self.timeouts.1).map_err(network)?;
                *here = Some((runtime, client));
            }
            let (runtime, client) = here.as_ref().expect("set above");
            let request = client
                .request(out.method.clone(), out.url)
                .bearer_auth(out.token);
            let request = match out.body {
                Body::None => request,
                Body::Json(text) => request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(text.clone()),
                Body::Form(fields) => request.form(fields),
            };
            runtime.block_on(async {
                let response = request.send().await.map_err(network)?;
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = response.bytes().await.map_err(network)?;
                Ok(Answer {
                    status,
                    headers,
                    body,
                })
            })
        })
    }
}

/// The server's clock minus ours, from its `Date` header (one-second resolution).
fn server_offset(headers: &reqwest::header::HeaderMap) -> Option<i64> {
    thread_local! {
        /// The last `Date` read on this thread and the time it says: the header changes
        /// once a second, a writer reads it after every request.
        static LAST_DATE: std::cell::RefCell<Option<(reqwest::header::HeaderValue, i64)>> =
            const { std::cell::RefCell::new(None) };
    }
    let date = headers.get(reqwest::header::DATE)?;
    let at = LAST_DATE.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((seen, at)) if seen == date => Some(*at),
            _ => {
                let text = date.to_str().ok()?;
                let at = chrono::DateTime::parse_from_rfc2822(text.trim())
                    .ok()?
                    .timestamp();
                *last = Some((date.clone(), at));
                Some(at)
            }
        }
    })?;
    Some(at - unix_now())
}

/// `Retry-After` in seconds or as an HTTP date; one second when absent or unreadable.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let Some(value) = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
    else {
        return Duration::from_secs(1);
    };
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Duration::from_secs(seconds.min(3600));
    }
    chrono::DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .and_then(|at| (at.timestamp() - unix_now()).try_into().ok())
        .map_or(Duration::from_secs(1), |s: u64| {
            Duration::from_secs(s.min(3600))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `Url::set_path` and the query pairs give, which `url_for` must give too.
    fn by_set_path(base: &str, path: &str, query: &[(&str, String)]) -> String {
        let mut url = Url::parse(base).unwrap();
        url.set_path(path);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url.into()
    }

    #[test]
    fn a_url_is_what_set_path_makes_of_the_base() {
        let bases = [
            "https://app.bigcontacts.com",
            "https://app.bigcontacts.com/",
            "http://127.0.0.1:8791/some/prefix/",
            "https://user@host.test:8443/x?keep=1#frag",
            "http://[::1]:80/",
        ];
        let paths = [
            "/api/contacts.json",
            "/api/contact/435.json",
            "/api/contact_activity/7.json",
            "/api/../contacts.json",
            "/api/./x.json",
            "/api//x.json",
            "/api/caf\u{e9} x.json",
            "/api/100%.json",
            "/",
        ];
        let query = [("page", "2".to_string()), ("q", "a b&c".to_string())];
        for base in bases {
            for path in paths {
                for query in [&[][..], &query[..]] {
                    assert_eq!(
                        url_for(&Url::parse(base).unwrap(), path, query),
                        by_set_path(base, path, query),
                        "{base} + {path} + {query:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn retry_after_in_seconds_or_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), Duration::from_secs(1));
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Duration::from_secs(7));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h),
            Duration::from_secs(1),
            "a date in the past"
        );
    }

    #[test]
    fn the_server_offset_follows_its_date_header() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(server_offset(&h), None);
        let now = chrono::Utc::now();
        let an_hour_ahead = (now + chrono::Duration::seconds(3600)).to_rfc2822();
        h.insert("date", an_hour_ahead.parse().unwrap());
        let ahead = server_offset(&h).unwrap();
        assert!((3598..=3600).contains(&ahead), "{ahead}");
        assert!(
            (ahead - server_offset(&h).unwrap()).abs() <= 1,
            "read again"
        );
        h.insert("date", now.to_rfc2822().parse().unwrap());
        assert!(server_offset(&h).unwrap().abs() <= 1, "a new date is read");
        h.insert("date", "not a date".parse().unwrap());
        assert_eq!(server_offset(&h), None);
    }

    #[test]
    fn answers_are_classed_by_status_and_envelope() {
        let class = |status, body: &str| {
            classify::<super::super::envelope::RawPayload>(
                "GET /x",
                status,
                Duration::ZERO,
                body.as_bytes(),
            )
        };
        assert!(class(200, r#"{"status":"success","message":"","payload":[]}"#).is_ok());
        let not_found = class(
            200,
            r#"{"result":"error","message":"No such contact","payload":[]}"#,
        );
        assert!(
            matches!(not_found, Err(ApiError::NotFound { .. })),
            "{not_found:?}"
        );
        let refused = class(
            200,
            r#"{"status":"error","message":"The field first_name is required"}"#,
        );
        assert!(
            matches!(refused, Err(ApiError::Rejected { status: 200, .. })),
            "{refused:?}"
        );
        let proxy = class(502, "<html><body>Bad Gateway</body></html>");
        assert!(
            matches!(&proxy, Err(ApiError::Server { status: 502, message, .. }) if message.contains("Bad Gateway")),
            "{proxy:?}"
        );
        assert!(matches!(
            class(200, "<html>"),
            Err(ApiError::Protocol { .. })
        ));
        assert!(matches!(class(429, ""), Err(ApiError::RateLimited { .. })));
        assert!(matches!(class(404, ""), Err(ApiError::NotFound { .. })));
    }
}
