//! The HTTP connection a calling thread drives itself: one kept-alive HTTP/1.1 connection
//! (hyper's connection API) over rustls with the web's root certificates (the TLS stack and
//! roots reqwest uses), on the thread's own single-threaded runtime.
//!
//! A writer thread sends one request at a time, so a pool has nothing to share: the thread
//! keeps its one connection and drives it in the same poll as its request, with no task
//! spawned and no channel between them. callgrind counts per request about 71,000
//! instructions through reqwest, 33,000 through hyper-util's pooled client (what reqwest
//! wraps) and 25,000 through this (BENCHMARKS.md); requests are most of what an import's
//! writer spends. What a pool otherwise gets right is here too: a connection the server
//! closed while idle is noticed before a request goes on it, and a request the connection
//! gave back unsent goes once on a new one. reqwest stays for the rest (logins, token
//! renewals) and for API calls when the environment names a proxy for the server, which it
//! knows how to go through.

use std::pin::{pin, Pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tower_service::Service;

use super::http::describe;
use super::settled::Settled;

/// An answer as it came: status, headers, the whole body.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why no answer came, and whether the request may have reached the server.
#[derive(Debug)]
pub enum WireError {
    /// Nothing was sent: the connection could not be made, or gave the request back.
    NotSent(String),
    /// The request may have been received (and applied) before the answer was lost.
    Lost(String),
}

type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;

/// A kept-alive connection: the handle requests go through, and the future that reads and
/// writes the socket for it (polled only while this thread waits on a request).
struct Connection {
    /// `scheme://host:port` it goes to.
    origin: String,
    sender: http1::SendRequest<Full<Bytes>>,
    driver: Pin<Box<http1::Connection<Stream, Full<Bytes>>>>,
    /// When its last answer came.
    idle_since: Instant,
}

/// How long a connection may sit idle before it is checked for a close the server sent
/// meanwhile. The runtime learns of a close only when it next looks for I/O events, which
/// costs a system call; a writer sends its next request within microseconds of an answer,
/// and servers close idle connections after seconds, so only a connection left idle (a
/// throttled writer, a pause) is worth the look.
const IDLE_CHECK: Duration = Duration::from_millis(1);

/// A URL taken apart once for every request to it: where to connect, what the request line
/// and `Host` header say.
struct Target {
    url: String,
    origin: String,
    /// The whole URL, for the connector.
    absolute: Uri,
    /// `/path?query`, for the request line.
    path: Uri,
    host: HeaderValue,
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        let absolute: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let (Some(scheme), Some(authority)) = (absolute.scheme_str(), absolute.authority()) else {
            return Err(format!("{url}: not an absolute URL"));
        };
        let port = absolute
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        let origin = format!("{scheme}://{}:{port}", authority.host());
        let path = match absolute.path_and_query() {
            Some(p) => Uri::try_from(p.as_str()).map_err(|e| format!("{url}: {e}"))?,
            None => Uri::from_static("/"),
        };
        // The authority as written, less any user:password (never sent in a Host header).
        let host = authority.as_str().rsplit('@').next().unwrap_or_default();
        let host = HeaderValue::try_from(host).map_err(|e| format!("{url}: {e}"))?;
        Ok(Target {
            url: url.to_string(),
            origin,
            absolute,
            path,
            host,
        })
    }
}

/// One thread's HTTP connection and the runtime that drives it.
pub struct Wire {
    runtime: tokio::runtime::Runtime,
    connector: HttpsConnector<HttpConnector>,
    connection: Option<Connection>,
    user_agent: HeaderValue,
    timeout: Duration,
    /// The last URL and token sent, ready-made: a writer sends the same ones again and again.
    last_target: Option<Target>,
    last_bearer: Option<(String, HeaderValue)>,
}

impl Wire {
    pub fn new(connect_timeout: Duration, timeout: Duration) -> std::io::Result<Wire> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut http = HttpConnector::new();
        http.enforce_http(false); // https goes through it to the TLS layer
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // https to the server; plain http only reaches here for this machine (the sandbox),
        // `http::check_base_url` refuses it for any other host.
        let connector = HttpsConnector::from((http, Arc::new(tls)));
        Ok(Wire {
            runtime,
            connector,
            connection: None,
            user_agent: HeaderValue::from_static(super::http::USER_AGENT),
            timeout,
            last_target: None,
            last_bearer: None,
        })
    }

    /// Sends one request and reads its whole answer, within the timeout.
    pub fn send(
        &mut self,
        method: Method,
        url: &str,
        token: &str,
        body: Option<(&'static str, Bytes)>,
    ) -> Result<Answer, WireError> {
        if self.last_target.as_ref().is_none_or(|t| t.url != url) {
            self.last_target = Some(Target::parse(url).map_err(WireError::NotSent)?);
        }
        let target = self.last_target.as_ref().expect("set above");
        let bearer = match &self.last_bearer {
            Some((seen, value)) if seen == token => value.clone(),
            _ => {
                let mut value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
                    WireError::NotSent("the access token is not valid in a header".into())
                })?;
                value.set_sensitive(true);
                self.last_bearer = Some((token.to_string(), value.clone()));
                value
            }
        };
        let mut request = Request::builder().method(method).uri(target.path.clone());
        let headers = request.headers_mut().expect("a valid request so far");
        headers.insert(HOST, target.host.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
        headers.insert(AUTHORIZATION, bearer);
        let body = match body {
            Some((content_type, bytes)) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                Full::new(bytes)
            }
            None => Full::new(Bytes::new()),
        };
        let request = request
            .body(body)
            .map_err(|e| WireError::NotSent(e.to_string()))?;
        let exchange = Exchange {
            connector: &mut self.connector,
            connection: &mut self.connection,
            target,
        };
        let timeout = self.timeout;
        let answer = self.runtime.block_on(async {
            match tokio::time::timeout(timeout, Settled::new(exchange.run(request))).await {
                Ok(answer) => answer,
                Err(_) => Err(WireError::Lost(format!(
                    "no whole answer within {} s (operation timed out)",
                    timeout.as_secs()
                ))),
            }
        });
        if answer.is_err() {
            // Whatever state the connection is in (a request half written, an answer half
            // read), the next request starts on a new one.
            self.connection = None;
        }
        answer
    }
}

/// One request's way through this thread's connection.
struct Exchange<'a> {
    connector: &'a mut HttpsConnector<HttpConnector>,
    connection: &'a mut Option<Connection>,
    target: &'a Target,
}

impl Exchange<'_> {
    async fn run(mut self, request: Request<Full<Bytes>>) -> Result<Answer, WireError> {
        let reused = self.ready_connection().await;
        match self.send(request).await? {
            Sent::Answer(answer) => Ok(answer),
            Sent::GivenBack(request, message) => {
                // The connection closed before writing any of it: the server has nothing.
                // On a kept-alive connection that is the server having closed it while idle,
                // so the request goes once more, on a new one.
                if !reused {
                    return Err(WireError::NotSent(message));
                }
                match self.send(request).await? {
                    Sent::Answer(answer) => Ok(answer),
                    Sent::GivenBack(_, message) => Err(WireError::NotSent(message)),
                }
            }
        }
    }

    /// Writes the request and reads the whole answer on the connection (a new one if there
    /// is none), driving it meanwhile. A connection that ends is dropped.
    async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Sent, WireError> {
        if self.connection.is_none() {
            *self.connection = Some(self.connect().await?);
        }
        let Connection { sender, driver, .. } = self.connection.as_mut().expect("set above");
        let mut ended = false;
        let sent = {
            let exchange = async {
                let response = match sender.try_send_request(request).await {
                    Ok(response) => response,
                    Err(mut e) => {
                        let message = describe(e.error());
                        return match e.take_message() {
                            Some(request) => Ok(Sent::GivenBack(request, message)),
                            None => Err(WireError::Lost(message)),
                        };
                    }
                };
                let (parts, body) = response.into_parts();
                match body.collect().await {
                    Ok(body) => Ok(Sent::Answer(Answer {
                        status: parts.status.as_u16(),
                        headers: parts.headers,
                        body: body.to_bytes(),
                    })),
                    Err(e) => Err(WireError::Lost(describe(&e))),
                }
            };
            let mut exchange = pin!(exchange);
            tokio::select! {
                biased;
                sent = &mut exchange => sent,
                _ = driver.as_mut() => {
                    // The connection ended (an answer with `Connection: close`, or an error):
                    // what it read is already handed over, and a request it did not take comes
                    // back.
                    ended = true;
                    exchange.await
                }
            }
        };
        match self.connection.as_mut() {
            Some(connection) if !ended && matches!(sent, Ok(Sent::Answer(_))) => {
                connection.idle_since = Instant::now();
            }
            // A finished connection is not polled again.
            _ => *self.connection = None,
        }
        sent
    }

    /// Keeps the connection if it goes to the target and is still open and ready (a server
    /// closes idle ones; the close is read here, before a request goes on it). Whether one
    /// was kept.
    async fn ready_connection(&mut self) -> bool {
        let Some(connection) = self.connection.as_mut() else {
            return false;
        };
        if connection.idle_since.elapsed() >= IDLE_CHECK {
            tokio::task::yield_now().await;
        }
        let usable = connection.origin == self.target.origin && !connection.sender.is_closed() && {
            let Connection { sender, driver, .. } = connection;
            // The connection first, so that it reads a close and says it wants a request
            // before the handle asks (the other way round, it wakes this thread).
            tokio::select! {
                biased;
                _ended = driver.as_mut() => false,
                ready = sender.ready() => ready.is_ok(),
            }
        };
        if !usable {
            *self.connection = None;
        }
        usable
    }

    async fn connect(&mut self) -> Result<Connection, WireError> {
        let not_sent = |e: &dyn std::error::Error| WireError::NotSent(describe(e));
        let stream = self
            .connector
            .call(self.target.absolute.clone())
            .await
            .map_err(|e| not_sent(&*e))?;
        let (mut sender, driver) = http1::handshake(stream).await.map_err(|e| not_sent(&e))?;
        let mut driver = Box::pin(driver);
        tokio::select! {
            biased;
            ready = sender.ready() => ready.map_err(|e| not_sent(&e))?,
            ended = driver.as_mut() => {
                return Err(match ended {
                    Err(e) => not_sent(&e),
                    Ok(()) => WireError::NotSent("the server closed the connection".into()),
                })
            }
        }
        Ok(Connection {
            origin: self.target.origin.clone(),
            sender,
            driver,
            idle_since: Instant::now(),
        })
    }
}

/// How a request on a connection went, when it did not fail.
enum Sent {
    Answer(Answer),
    /// The connection gave the request back unwritten.
    GivenBack(Request<Full<Bytes>>, String),
}

/// Whether the environment names a proxy for `url` (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, less what `NO_PROXY` leaves out): such calls go through reqwest.
pub fn proxied(url: &str) -> bool {
    let Ok(uri) = url.parse::<Uri>() else {
        return false;
    };
    hyper_util::client::proxy::matcher::Matcher::from_env()
        .intercept(&uri)
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn https_is_spoken_as_tls_and_a_refused_handshake_is_not_sent() {
        // A server that answers a TLS hello with plain text: the handshake fails, and the
        // request is known not to have gone.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
            }
        });
        let mut wire = Wire::new(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
        let sent = wire.send(
            Method::GET,
            &format!("https://127.0.0.1:{port}/api/users.json"),
            "t",
            None,
        );
        match sent {
            Err(WireError::NotSent(message)) => assert!(!message.is_empty()),
            Err(WireError::Lost(message)) => panic!("a failed handshake sent nothing: {message}"),
            Ok(a) => panic!("plain text accepted as TLS: HTTP {}", a.status),
        }
    }

    /// A server that takes `connections` connections one after another and answers each
    /// request with `200 {"n":N}`, N counting requests across them. With `close`, it closes
    /// the connection after one answer, adding `close` to its headers (empty: without
    /// saying so). Returns its port and the count.
    fn counting_server(
        connections: usize,
        close: Option<&'static str>,
    ) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = count.clone();
        std::thread::spawn(move || {
            for _ in 0..connections {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut line = String::new();
                    // The request line and headers (the tests send no body).
                    let mut ended = false;
                    while line != "\r\n" {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            ended = true;
                            break;
                        }
                    }
                    if ended {
                        break;
                    }
                    let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
                    let body = format!("{{\"n\":{n}}}");
                    let header = close.unwrap_or("");
                    let _ = write!(
                        writer,
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n{header}\r\n{body}",
                        body.len()
                    );
                    if close.is_some() {
                        break; // the connection is dropped, closing it
                    }
                }
            }
        });
        (port, count)
    }

    /// Sends `requests` GETs to a `counting_server(connections, close)`, pausing `pause`
    /// after each: every one is answered, in turn, and reaches the server once.
    fn send_counted(
        connections: usize,
        close: Option<&'static str>,
        requests: usize,
        pause: Duration,
    ) {
        let (port, count) = counting_server(connections, close);
        let mut wire = Wire::new(Duration::from_secs(5), Duration::from_secs(5)).unwrap();
        let url = format!("http://127.0.0.1:{port}/api/users.json");
        for n in 1..=requests {
            let answer = wire
                .send(Method::GET, &url, "t", None)
                .unwrap_or_else(|e| panic!("request {n}: {e:?}"));
            assert_eq!(answer.body, format!("{{\"n\":{n}}}"));
            std::thread::sleep(pause);
        }
        assert_eq!(
            count.load(Ordering::SeqCst),
            requests,
            "each request reached it once"
        );
    }

    #[test]
    fn a_connection_the_server_closed_while_idle_is_replaced_and_nothing_goes_twice() {
        // The server closes each connection after one answer without saying so, as one does
        // when its keep-alive time runs out between two requests.
        send_counted(3, Some(""), 3, Duration::from_millis(100));
    }

    #[test]
    fn answers_saying_connection_close_are_followed_by_a_new_connection() {
        send_counted(3, Some("connection: close\r\n"), 3, Duration::ZERO);
    }

    #[test]
    fn a_kept_alive_connection_carries_request_after_request() {
        // One connection accepted, ever: every request must go on it.
        send_counted(1, None, 20, Duration::ZERO);
    }

    #[test]
    fn a_server_that_never_answers_is_a_lost_answer_after_the_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let kept = listener.accept();
            std::thread::sleep(Duration::from_secs(3));
            drop(kept);
        });
        let mut wire = Wire::new(Duration::from_secs(5), Duration::from_millis(300)).unwrap();
        let body = Some(("application/json", Bytes::from_static(b"{}")));
        match wire.send(
            Method::POST,
            &format!("http://127.0.0.1:{port}/api/contacts.json"),
            "t",
            body,
        ) {
            Err(WireError::Lost(message)) => assert!(message.contains("timed out"), "{message}"),
            Err(WireError::NotSent(message)) => panic!("the request went: {message}"),
            Ok(a) => panic!("an answer from nowhere: HTTP {}", a.status),
        }
    }
}
