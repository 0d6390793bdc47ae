//! The one client every command talks to BigContacts through.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::auth::{self, Secret, StoredLogin, TokenResponse, TokenSource};
use super::envelope::Envelope;
use super::error::{ApiError, Sent};
use super::retry::{Decision, RetryPolicy};
use super::throttle::Throttle;
use crate::schema::{
    Activity, ActivityInput, Contact, ContactInput, Task, TaskEvent, TaskInput, User,
};

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

/// The current access token and how to get another.
struct Auth {
    token: Secret,
    expires_at: Option<i64>,
    renew: Renewal,
}

enum Renewal {
    /// A fixed token (environment, file): when it stops working, a person must act.
    Never,
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    RefreshToken {
        path: std::path::PathBuf,
        login: StoredLogin,
        client_secret: Option<Secret>,
    },
}

/// A page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    /// Records matching the query, when the server said.
    pub total: Option<u64>,
}

/// Conditions of a contact listing: `page`, `results`, the `created*`/`updated*` filters, `q`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactQuery {
    pub page: u64,
    pub results: Option<u32>,
    /// Such as (`updated_gte`, `2024-01-01 00:00:00`).
    pub filters: Vec<(String, String)>,
    pub search: Option<String>,
}

/// A request body.
pub enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

pub struct Client {
    http: Http,
    base: Url,
    auth: Mutex<Auth>,
    throttle: Throttle,
    retry: RetryPolicy,
    /// What authenticates, for messages.
    pub source: String,
}

const USER_AGENT: &str = concat!("bcetl/", env!("CARGO_PKG_VERSION"));

/// Refuses plain `http://` except to this machine: a token must not cross a network in clear.
pub fn check_base_url(base: &str) -> anyhow::Result<Url> {
    let url = Url::parse(base.trim_end_matches('/'))
        .map_err(|e| anyhow::anyhow!("base URL {base:?}: {e}"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            anyhow::ensure!(loopback, "base URL {base}: plain http is only allowed to this machine (127.0.0.1, localhost); use https");
            Ok(url)
        }
        other => anyhow::bail!("base URL {base}: scheme {other:?} is not http or https"),
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Client {
    /// A client; fetches a first token when the source needs it (client credentials).
    pub fn new(config: ClientConfig) -> anyhow::Result<Client> {
        let base = check_base_url(&config.base_url)?;
        let http = Http::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let source = config.token.describe();
        let auth = match config.token {
            TokenSource::Environment(token) => Auth {
                token,
                expires_at: None,
                renew: Renewal::Never,
            },
            TokenSource::File(path) => Auth {
                token: auth::read_token_file(&path)?,
                expires_at: None,
                renew: Renewal::Never,
            },
            TokenSource::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let got = token_request(
                    &http,
                    &base,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", &client_id),
                        ("client_secret", client_secret.expose()),
                    ],
                )?;
                Auth {
                    token: got.access_token,
                    expires_at: got.expires_in.map(|s| unix_now() + s),
                    renew: Renewal::ClientCredentials {
                        client_id,
                        client_secret,
                    },
                }
            }
            TokenSource::StoredLogin {
                path,
                client_secret,
            } => {
                let login = auth::load_login(&path)?.ok_or_else(|| anyhow::anyhow!("not logged in: set BIGCONTACTS_TOKEN, give --token-file, or run bcetl login"))?;
                anyhow::ensure!(
                    login.base_url.trim_end_matches('/') == base.as_str().trim_end_matches('/'),
                    "the stored login is for {}, not {}; run bcetl login --base-url {}",
                    login.base_url,
                    base,
                    base
                );
                Auth {
                    token: login.access_token.clone(),
                    expires_at: login.expires_at,
                    renew: Renewal::RefreshToken {
                        path,
                        login,
                        client_secret,
                    },
                }
            }
        };
        Ok(Client {
            http,
            base,
            auth: Mutex::new(auth),
            throttle: Throttle::new(config.rate, config.burst),
            retry: config.retry,
            source,
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Gets a new access token, unless another thread already replaced `stale`.
    fn renew(&self, stale: &Secret, call: &str) -> Result<(), ApiError> {
        let mut auth = self.auth.lock().expect("auth lock");
        if auth.token != *stale {
            return Ok(());
        }
        let unauthorized = |message: String| ApiError::Unauthorized {
            call: call.to_string(),
            message,
        };
        let got = match &mut auth.renew {
            Renewal::Never => {
                return Err(unauthorized(format!(
                    "the token from {} was refused, and it cannot be renewed",
                    self.source
                )))
            }
            Renewal::ClientCredentials {
                client_id,
                client_secret,
            } => token_request(
                &self.http,
                &self.base,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", client_secret.expose()),
                ],
            )
            .map_err(|e| unauthorized(format!("renewing the token: {e:#}")))?,
            Renewal::RefreshToken {
                path,
                login,
                client_secret,
            } => {
                let (Some(refresh), Some(secret)) =
                    (login.refresh_token.clone(), client_secret.clone())
                else {
                    return Err(unauthorized(
                        "the stored access token expired; set BIGCONTACTS_CLIENT_SECRET (or --client-secret-file) so bcetl can refresh it, or run bcetl login again".into(),
                    ));
                };
                let got = token_request(
                    &self.http,
                    &self.base,
                    &[
                        ("grant_type", "refresh_token"),
                        ("client_id", &login.client_id),
                        ("client_secret", secret.expose()),
                        ("refresh_token", refresh.expose()),
                    ],
                )
                .map_err(|e| {
                    unauthorized(format!(
                        "refreshing the stored login: {e:#}; run bcetl login again"
                    ))
                })?;
                login.access_token = got.access_token.clone();
                login.refresh_token = got.refresh_token.clone().or(login.refresh_token.take());
                login.expires_at = got.expires_in.map(|s| unix_now() + s);
                auth::save_login(path, login)
                    .map_err(|e| unauthorized(format!("saving the refreshed login: {e:#}")))?;
                got
            }
        };
        auth.token = got.access_token;
        auth.expires_at = got.expires_in.map(|s| unix_now() + s);
        Ok(())
    }

    /// The token to send, renewed first when it is about to expire.
    fn current_token(&self, call: &str) -> Result<Secret, ApiError> {
        let (token, expiring, renewable) = {
            let auth = self.auth.lock().expect("auth lock");
            let expiring = auth.expires_at.is_some_and(|at| at - 30 <= unix_now());
            (
                auth.token.clone(),
                expiring,
                !matches!(auth.renew, Renewal::Never),
            )
        };
        if expiring && renewable {
            self.renew(&token, call)?;
            return Ok(self.auth.lock().expect("auth lock").token.clone());
        }
        Ok(token)
    }

    /// Sends one API call with the throttle, renewal on 401, and the retry policy.
    /// `idempotent` says whether a lost answer may be retried (see [`RetryPolicy::decide`]).
    pub fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: &Body,
        idempotent: bool,
    ) -> Result<Envelope, ApiError> {
        let call = format!("{method} {path}");
        let mut url = self.base.join(path).map_err(|e| ApiError::Protocol {
            call: call.clone(),
            message: e.to_string(),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.throttle.wait();
            let token = self.current_token(&call)?;
            let request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose());
            let result = self.send(with_body(request, body), &call);
            match result {
                Ok(envelope) => return Ok(envelope),
                Err(ApiError::Unauthorized { .. }) if !renewed && self.renewable() => {
                    renewed = true;
                    attempt -= 1;
                    self.renew(&token, &call)?;
                }
                Err(error) => {
                    if let ApiError::RateLimited { retry_after, .. } = &error {
                        self.throttle.rate_limited(*retry_after);
                    }
                    match self.retry.decide(
                        attempt,
                        &error,
                        idempotent,
                        rand::rng().random::<f64>(),
                    ) {
                        Decision::RetryAfter(wait) => std::thread::sleep(wait),
                        Decision::GiveUp => return Err(error),
                    }
                }
            }
        }
    }

    fn renewable(&self) -> bool {
        !matches!(self.auth.lock().expect("auth lock").renew, Renewal::Never)
    }

    fn send(&self, request: RequestBuilder, call: &str) -> Result<Envelope, ApiError> {
        let network = |e: reqwest::Error| ApiError::Network {
            call: call.to_string(),
            sent: if e.is_connect() {
                Sent::No
            } else {
                Sent::Maybe
            },
            message: describe(&e),
        };
        let response = request.send().map_err(network)?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().map_err(network)?;
        let envelope = Envelope::parse(&bytes);
        let message = || match &envelope {
            Some(e) if !e.message.is_empty() => e.message.clone(),
            _ => oauth_message(&bytes).unwrap_or_else(|| snippet(&bytes)),
        };
        let call = call.to_string();
        Err(match status {
            200..=299 => match envelope {
                Some(e) if e.ok => return Ok(e),
                Some(e) if e.message.to_ascii_lowercase().starts_with("no such") => {
                    ApiError::NotFound {
                        call,
                        message: e.message,
                    }
                }
                Some(e) => ApiError::Rejected {
                    call,
                    status,
                    message: e.message,
                },
                None => ApiError::Protocol {
                    call,
                    message: format!(
                        "HTTP {status} without the API's envelope: {}",
                        snippet(&bytes)
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

    // ---- typed calls -------------------------------------------------------------------

    /// The users of the account, and the id of the one calling.
    pub fn users(&self) -> Result<(Vec<User>, Option<i64>), ApiError> {
        let e = self.call(Method::GET, "/api/users.json", &[], &Body::None, true)?;
        Ok((records(&e, "GET /api/users.json")?, e.current_user_id))
    }

    pub fn contacts(&self, query: &ContactQuery) -> Result<Page<Contact>, ApiError> {
        let mut params: Vec<(&str, String)> = vec![("page", query.page.max(1).to_string())];
        if let Some(r) = query.results {
            params.push(("results", r.to_string()));
        }
        for (k, v) in &query.filters {
            params.push((k.as_str(), v.clone()));
        }
        if let Some(q) = &query.search {
            params.push(("q", q.clone()));
        }
        let e = self.call(
            Method::GET,
            "/api/contacts.json",
            &params,
            &Body::None,
            true,
        )?;
        Ok(Page {
            items: records(&e, "GET /api/contacts.json")?,
            page: e.page.unwrap_or(query.page.max(1)),
            total: e.total,
        })
    }

    pub fn contact(&self, id: i64) -> Result<Contact, ApiError> {
        let path = format!("/api/contact/{id}.json");
        let e = self.call(Method::GET, &path, &[], &Body::None, true)?;
        record(&e, &path)
    }

    /// Creates a contact. Never retried after an unanswered send: see
    /// [`ApiError::may_have_been_applied`].
    pub fn create_contact(&self, contact: &ContactInput) -> Result<Contact, ApiError> {
        let body = Body::Json(serde_json::to_value(contact).expect("a contact serializes"));
        let e = self.call(Method::POST, "/api/contacts.json", &[], &body, false)?;
        record(&e, "POST /api/contacts.json")
    }

    /// Updates a contact with a partial body: absent fields stay, blank ones clear, lists
    /// replace.
    pub fn update_contact(&self, id: i64, changes: &Value) -> Result<Contact, ApiError> {
        let path = format!("/api/contact/{id}.json");
        let e = self.call(Method::PUT, &path, &[], &Body::Json(changes.clone()), true)?;
        record(&e, &path)
    }

    pub fn delete_contact(&self, id: i64) -> Result<(), ApiError> {
        self.call(
            Method::DELETE,
            &format!("/api/contact/{id}.json"),
            &[],
            &Body::None,
            true,
        )
        .map(|_| ())
    }

    pub fn activities(&self, contact: i64, page: u64) -> Result<Page<Activity>, ApiError> {
        let path = format!("/api/contact/{contact}/activity.json");
        let e = self.call(
            Method::GET,
            &path,
            &[("page", page.max(1).to_string())],
            &Body::None,
            true,
        )?;
        Ok(Page {
            items: records(&e, &path)?,
            page: e.page.unwrap_or(page.max(1)),
            total: e.total,
        })
    }

    pub fn activity(&self, contact: i64, id: i64) -> Result<Activity, ApiError> {
        let path = format!("/api/contact/{contact}/activity/{id}.json");
        let e = self.call(Method::GET, &path, &[], &Body::None, true)?;
        record(&e, &path)
    }

    /// Creates an activity with the guide's form fields.
    pub fn create_activity(
        &self,
        contact: i64,
        activity: &ActivityInput,
    ) -> Result<Activity, ApiError> {
        let path = format!("/api/contact/{contact}/activity.json");
        let e = self.call(
            Method::POST,
            &path,
            &[],
            &Body::Form(activity.form_fields()),
            false,
        )?;
        record(&e, &path)
    }

    pub fn update_activity(
        &self,
        contact: i64,
        id: i64,
        activity: &ActivityInput,
    ) -> Result<Activity, ApiError> {
        let path = format!("/api/contact/{contact}/activity/{id}.json");
        let e = self.call(
            Method::PUT,
            &path,
            &[],
            &Body::Form(activity.form_fields()),
            true,
        )?;
        record(&e, &path)
    }

    pub fn delete_activity(&self, contact: i64, id: i64) -> Result<(), ApiError> {
        self.call(
            Method::DELETE,
            &format!("/api/contact/{contact}/activity/{id}.json"),
            &[],
            &Body::None,
            true,
        )
        .map(|_| ())
    }

    pub fn tasks(&self, event: TaskEvent, page: u64) -> Result<Page<Task>, ApiError> {
        let params = [
            ("event", event.as_param().to_string()),
            ("page", page.max(1).to_string()),
        ];
        let e = self.call(Method::GET, "/api/tasks.json", &params, &Body::None, true)?;
        Ok(Page {
            items: records(&e, "GET /api/tasks.json")?,
            page: e.page.unwrap_or(page.max(1)),
            total: e.total,
        })
    }

    pub fn task(&self, id: i64) -> Result<Task, ApiError> {
        let path = format!("/api/task/{id}.json");
        let e = self.call(Method::GET, &path, &[], &Body::None, true)?;
        record(&e, &path)
    }

    pub fn create_task(&self, task: &TaskInput) -> Result<Task, ApiError> {
        let body = Body::Json(serde_json::to_value(task).expect("a task serializes"));
        let e = self.call(Method::POST, "/api/tasks.json", &[], &body, false)?;
        record(&e, "POST /api/tasks.json")
    }

    pub fn update_task(&self, id: i64, task: &TaskInput) -> Result<Task, ApiError> {
        let path = format!("/api/task/{id}.json");
        let body = Body::Json(serde_json::to_value(task).expect("a task serializes"));
        let e = self.call(Method::PUT, &path, &[], &body, true)?;
        record(&e, &path)
    }

    pub fn delete_task(&self, id: i64) -> Result<(), ApiError> {
        self.call(
            Method::DELETE,
            &format!("/api/task/{id}.json"),
            &[],
            &Body::None,
            true,
        )
        .map(|_| ())
    }
}

fn with_body(request: RequestBuilder, body: &Body) -> RequestBuilder {
    match body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Form(fields) => request.form(fields),
    }
}

fn records<T: serde::de::DeserializeOwned>(e: &Envelope, call: &str) -> Result<Vec<T>, ApiError> {
    e.items()
        .into_iter()
        .map(|item| {
            serde_json::from_value(item).map_err(|err| ApiError::Protocol {
                call: call.to_string(),
                message: format!("a record could not be read: {err}"),
            })
        })
        .collect()
}

fn record<T: serde::de::DeserializeOwned>(e: &Envelope, call: &str) -> Result<T, ApiError> {
    records(e, call)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Protocol {
            call: call.to_string(),
            message: "the payload is empty".into(),
        })
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

/// An OAuth error's description (`{"error": …, "error_description": …}`).
fn oauth_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("error_description")
        .or_else(|| v.get("error"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty body)".into()
    } else {
        text.chars().take(200).collect()
    }
}

/// A network error in words, with its causes (the URL, which never holds a token, included).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// POSTs a token request (form fields) to `/oauth/v2/token`.
pub fn token_request(
    http: &Http,
    base: &Url,
    fields: &[(&str, &str)],
) -> anyhow::Result<TokenResponse> {
    let url = base.join("/oauth/v2/token")?;
    let response = http
        .post(url)
        .form(fields)
        .send()
        .map_err(|e| anyhow::anyhow!("POST /oauth/v2/token: {}", describe(&e)))?;
    let status = response.status();
    let bytes = response.bytes()?;
    if !status.is_success() {
        anyhow::bail!(
            "POST /oauth/v2/token: HTTP {status}: {}",
            oauth_message(&bytes).unwrap_or_else(|| snippet(&bytes))
        );
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("POST /oauth/v2/token: not a token response: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(check_base_url("https://app.bigcontacts.com").is_ok());
        for ok in [
            "http://127.0.0.1:8719",
            "http://localhost:1",
            "http://[::1]:80",
            "http://127.9.9.9",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.bigcontacts.com",
            "http://10.0.0.5",
            "ftp://x",
            "not a url",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
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
}
