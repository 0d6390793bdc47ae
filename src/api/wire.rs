//! The HTTP connection a calling thread drives itself: hyper-util's pooled client over rustls
//! with the web's root certificates (the TLS stack and roots reqwest uses), on the thread's
//! own single-threaded runtime.
//!
//! reqwest wraps this same client in layers an API call here does not need (a redirect
//! policy, which is "none" anyway; the URL parsed again on the way in and out): callgrind
//! counts about 71,000 instructions per request through it against 33,000 without, and
//! requests are most of what an import's writer spends (BENCHMARKS.md). reqwest stays for
//! the rest (logins, token renewals) and for API calls when the environment names a proxy
//! for the server, which it knows how to go through.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::http::describe;

/// An answer as it came: status, headers, the whole body.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why no answer came, and whether the request may have reached the server.
#[derive(Debug)]
pub enum WireError {
    /// Nothing was sent: the connection could not be made.
    NotSent(String),
    /// The request may have been received (and applied) before the answer was lost.
    Lost(String),
}

/// One thread's HTTP client and the runtime that drives it.
pub struct Wire {
    runtime: tokio::runtime::Runtime,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    user_agent: HeaderValue,
    timeout: Duration,
    /// The last URL and token sent, ready-made: a writer sends the same ones again and again.
    last_uri: Option<(String, Uri)>,
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
        let https = HttpsConnector::from((http, Arc::new(tls)));
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Wire {
            runtime,
            client,
            user_agent: HeaderValue::from_static(super::http::USER_AGENT),
            timeout,
            last_uri: None,
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
        let uri = match &self.last_uri {
            Some((seen, uri)) if seen == url => uri.clone(),
            _ => {
                let uri: Uri = url
                    .parse()
                    .map_err(|e| WireError::NotSent(format!("{url}: {e}")))?;
                self.last_uri = Some((url.to_string(), uri.clone()));
                uri
            }
        };
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
        let mut request = Request::builder().method(method).uri(uri);
        let headers = request.headers_mut().expect("a valid request so far");
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
        self.runtime.block_on(async {
            let exchange = async {
                let response = self.client.request(request).await.map_err(|e| {
                    if e.is_connect() {
                        WireError::NotSent(describe(&e))
                    } else {
                        WireError::Lost(describe(&e))
                    }
                })?;
                let (parts, body) = response.into_parts();
                let body = body
                    .collect()
                    .await
                    .map_err(|e| WireError::Lost(describe(&e)))?
                    .to_bytes();
                Ok(Answer {
                    status: parts.status.as_u16(),
                    headers: parts.headers,
                    body,
                })
            };
            match tokio::time::timeout(self.timeout, exchange).await {
                Ok(answer) => answer,
                Err(_) => Err(WireError::Lost(format!(
                    "no whole answer within {} s (operation timed out)",
                    self.timeout.as_secs()
                ))),
            }
        })
    }
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
