//! Sandbox: a local BigContacts-compatible server, persistent, with fault injection.
//!
//! It serves what `shared/api/` documents (users, contacts with filters and search, contact
//! activity, tasks, OAuth2) in JSON and XML, keeps its state in SQLite, and can misbehave on
//! purpose: rate limits, latency, server errors, connections dropped before or after a write.
//! `bcetl sandbox serve` runs it in the foreground; [`Sandbox::start`] runs it on a thread of
//! the current process (for `--sandbox` and for tests).
//!
//! The server is hyper with a hand-written dispatcher (`routes.rs`): a dropped connection
//! must be a connection closed without an answer, which a framework's handler cannot express.
//! Inside, in layers: this file (connections, faults, the control endpoints) → `routes`
//! (dispatch) → `oauth` and `handlers/` (one module per resource) → `contacts`, `tasks`
//! (the documents' rules) → `store/` (every SQL statement). `http` holds the request and
//! reply types they share.
//!
//! Depends on `schema` (field kinds, flags) and `clock` only: the sandbox must not share the
//! client's code, or a bug in one would hide in the other.

mod app;
mod clock;
mod contacts;
pub mod faults;
mod forms;
mod handlers;
mod http;
mod oauth;
mod routes;
mod seed;
mod store;
mod tasks;
mod xml;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;

pub use faults::FaultConfig;
pub use forms::AnswerForms;
pub use seed::{CLIENT_ID, CLIENT_SECRET, REDIRECT_URI};

use app::App;
use faults::{Decision, Faults, Stats};
use http::{ApiRequest, Reply};

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 for any free port.
    pub port: u16,
    /// The SQLite database; created and seeded with accounts when new.
    pub db: PathBuf,
    /// Contacts the database should hold at least (created deterministically).
    pub seed: usize,
    pub faults: FaultConfig,
    /// How long an access token lives, in seconds.
    pub token_ttl: i64,
    /// Stop when the process gets Ctrl-C (for `sandbox serve`).
    pub stop_on_ctrl_c: bool,
    /// Answer in these of the forms the documents allow.
    pub forms: AnswerForms,
}

impl SandboxConfig {
    pub fn new(db: PathBuf) -> SandboxConfig {
        SandboxConfig {
            port: 0,
            db,
            seed: 0,
            faults: FaultConfig::default(),
            token_ttl: 3600,
            stop_on_ctrl_c: false,
            forms: AnswerForms::default(),
        }
    }
}

/// The sandbox's database when `--db` is not given: in the user's data directory.
pub fn default_db() -> Result<PathBuf> {
    let base =
        dirs::data_dir().context("no data directory for this user; give the sandbox --db PATH")?;
    Ok(base.join("bcetl").join("sandbox.sqlite"))
}

/// A seeded user and a fresh access token for it.
#[derive(Debug, Clone)]
pub struct SeededUser {
    pub id: i64,
    pub customer_id: i64,
    pub email: String,
    /// `admin` or `restricted`.
    pub role: String,
    pub token: String,
}

/// A running sandbox; stops when dropped.
pub struct Sandbox {
    /// Base URL, such as `http://127.0.0.1:8719`.
    pub url: String,
    pub users: Vec<SeededUser>,
    /// Contacts created by `seed` at this start.
    pub seeded: usize,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Sandbox {
    /// Opens (or creates) the database, seeds it, binds the port and serves on a background
    /// thread until [`Sandbox::stop`] or drop.
    pub fn start(config: SandboxConfig) -> Result<Sandbox> {
        let mut store = store::Store::open(&config.db)?;
        seed::accounts(&mut store)?;
        let seeded = seed::contacts(&mut store, config.seed)?;
        let app = App {
            store: std::sync::Mutex::new(store),
            readers: store::Readers::new(&config.db),
            token_ttl: config.token_ttl,
            forms: config.forms.clone(),
        };
        let users = {
            let store = app.store.lock().expect("store lock");
            seed::fresh_tokens(&app, store.conn())?
        };
        // Loopback only: the sandbox has fixed credentials and must not be reachable.
        let listener =
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))
                .with_context(|| format!("cannot listen on 127.0.0.1:{}", config.port))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(State {
            app,
            faults: Faults::new(config.faults.clone()),
            stats: Stats::default(),
        });
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        let stop_on_ctrl_c = config.stop_on_ctrl_c;
        let thread =
            std::thread::Builder::new()
                .name("sandbox".into())
                .spawn(move || -> Result<()> {
                    let runtime = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()?;
                    runtime.block_on(serve(listener, state, stopped, stop_on_ctrl_c))
                })?;
        Ok(Sandbox {
            url,
            users,
            seeded,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The first admin's token.
    pub fn admin_token(&self) -> &str {
        &self
            .users
            .iter()
            .find(|u| u.role == "admin")
            .expect("a seeded admin")
            .token
    }

    /// Waits until the server stops (Ctrl-C when `stop_on_ctrl_c`).
    pub fn wait(mut self) -> Result<()> {
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the sandbox thread panicked"))?,
            None => Ok(()),
        }
    }

    pub fn stop(mut self) -> Result<()> {
        self.shutdown.take().map(|s| s.send(()));
        self.wait()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct State {
    app: App,
    faults: Faults,
    stats: Stats,
}

async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    stop_on_ctrl_c: bool,
) -> Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let ctrl_c = async {
        if stop_on_ctrl_c {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = &mut ctrl_c => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    // A dropped request ends its connection here with an error: that is the point.
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
    Ok(())
}

/// The connection is closed without an answer (fault injection).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let _in_flight = state.stats.begin();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();

    // Control endpoints, outside /api: never throttled or faulted.
    match (parts.method.as_str(), path.as_str()) {
        ("GET", "/_sandbox/stats") => {
            return Ok(json_response(StatusCode::OK, state.stats.to_json()))
        }
        ("POST", "/_sandbox/expire-tokens") => {
            let store = state.app.store.lock().expect("store lock");
            let n = store::expire_access_tokens(store.conn()).unwrap_or(0);
            return Ok(json_response(StatusCode::OK, json!({"expired": n})));
        }
        _ => {}
    }
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let header = |name: hyper::header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let request = ApiRequest {
        method: parts.method.clone(),
        path,
        query,
        content_type: header(hyper::header::CONTENT_TYPE).unwrap_or_default(),
        authorization: header(hyper::header::AUTHORIZATION),
        body,
    };
    state.stats.endpoint(request.method.as_str(), &request.path);
    let is_api = request.path.starts_with("/api/");
    let decision = if is_api {
        state.faults.decide(request.token().unwrap_or_default())
    } else {
        Decision::Serve
    };
    state.stats.record(decision);
    if is_api && !state.faults.latency().is_zero() {
        tokio::time::sleep(state.faults.latency()).await;
    }
    let reply = match decision {
        Decision::Limited(seconds) => {
            let mut response = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"status": "error", "message": "Too many requests; slow down", "payload": []}),
            );
            response
                .headers_mut()
                .insert(hyper::header::RETRY_AFTER, seconds.into());
            state.stats.answered(429);
            return Ok(response);
        }
        Decision::Fail(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            state.stats.answered(code);
            if let Some((page, content_type)) = state.app.forms.server_error(code) {
                let mut response = Response::new(Full::new(page));
                *response.status_mut() = status;
                response.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    content_type.parse().expect("valid"),
                );
                return Ok(response);
            }
            return Ok(json_response(
                status,
                json!({"status": "error", "message": "Injected server error", "payload": []}),
            ));
        }
        Decision::DropBefore => return Err(Dropped),
        Decision::Serve | Decision::DropAfter => {
            let state = state.clone();
            tokio::task::spawn_blocking(move || routes::handle(&state.app, &request))
                .await
                .map_err(|_| Dropped)?
        }
    };
    if decision == Decision::DropAfter {
        return Err(Dropped);
    }
    state.stats.answered(reply.status().as_u16());
    let forms = &state.app.forms;
    let reply = match reply {
        Reply::Envelope(status, http::Format::Json, body) => Reply::Envelope(
            status,
            http::Format::Json,
            forms.rewrite(&parts.method, body),
        ),
        other => other,
    };
    Ok(response(reply, forms))
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    response(Reply::Json(status, body), &AnswerForms::default())
}

fn response(reply: Reply, forms: &AnswerForms) -> Response<Full<Bytes>> {
    let (body, content_type) = match &reply {
        Reply::Envelope(_, http::Format::Json, v) => (forms.render(v), "application/json"),
        _ => reply.body(),
    };
    let mut builder = Response::builder()
        .status(reply.status())
        .header(hyper::header::CONTENT_TYPE, content_type);
    if let Reply::Redirect(location) = &reply {
        builder = builder.header(hyper::header::LOCATION, location.as_str());
    }
    builder
        .body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
