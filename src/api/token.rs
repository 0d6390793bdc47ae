//! The access token in use and how to get another: the client-credentials grant again, or
//! the stored login's refresh token (then saved back).
//!
//! Renewal holds the lock while it asks the server, so two threads never renew at once: a
//! server that rotates refresh tokens would refuse the second use of the old one. A thread
//! that waited finds the token already replaced and uses the new one.

use std::sync::Mutex;

use reqwest::blocking::Client as Http;
use serde_json::Value;
use url::Url;

use super::auth::{self, Secret, StoredLogin, TokenResponse, TokenSource};
use super::error::ApiError;
use super::http::{describe, snippet};
use crate::clock::unix_now;

/// Renew this long before the server's stated expiry, so no request carries a token that
/// expires on its way.
const EXPIRY_MARGIN_SECS: i64 = 30;

pub(super) struct Tokens {
    state: Mutex<State>,
    /// Where the token comes from, for messages.
    source: String,
}

struct State {
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

impl Tokens {
    /// The first token from `source`, fetched from the server when the source is a grant.
    pub fn new(source: TokenSource, http: &Http, base: &Url) -> anyhow::Result<Tokens> {
        let describe = source.describe();
        let state = match source {
            TokenSource::Environment(token) => State {
                token,
                expires_at: None,
                renew: Renewal::Never,
            },
            TokenSource::File(path) => State {
                token: auth::read_token_file(&path)?,
                expires_at: None,
                renew: Renewal::Never,
            },
            TokenSource::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let got = client_credentials(http, base, &client_id, &client_secret)?;
                State {
                    token: got.access_token,
                    expires_at: expiry(got.expires_in),
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
                State {
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
        Ok(Tokens {
            state: Mutex::new(state),
            source: describe,
        })
    }

    /// Whether a refused token can be replaced without a person.
    pub fn renewable(&self) -> bool {
        !matches!(self.lock().renew, Renewal::Never)
    }

    /// The token to send, renewed first when it is about to expire.
    pub fn current(&self, http: &Http, base: &Url, call: &str) -> Result<Secret, ApiError> {
        let (token, expiring, renewable) = {
            let state = self.lock();
            let expiring = state
                .expires_at
                .is_some_and(|at| at - EXPIRY_MARGIN_SECS <= unix_now());
            (
                state.token.clone(),
                expiring,
                !matches!(state.renew, Renewal::Never),
            )
        };
        if expiring && renewable {
            self.renew(http, base, &token, call)?;
            return Ok(self.lock().token.clone());
        }
        Ok(token)
    }

    /// Gets a new access token, unless another thread already replaced `stale`.
    pub fn renew(
        &self,
        http: &Http,
        base: &Url,
        stale: &Secret,
        call: &str,
    ) -> Result<(), ApiError> {
        let mut state = self.lock();
        if state.token != *stale {
            return Ok(());
        }
        let unauthorized = |message: String| ApiError::Unauthorized {
            call: call.to_string(),
            message,
        };
        let got = match &mut state.renew {
            Renewal::Never => {
                return Err(unauthorized(format!(
                    "the token from {} was refused, and it cannot be renewed",
                    self.source
                )))
            }
            Renewal::ClientCredentials {
                client_id,
                client_secret,
            } => client_credentials(http, base, client_id, client_secret)
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
                    http,
                    base,
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
                login.expires_at = expiry(got.expires_in);
                auth::save_login(path, login)
                    .map_err(|e| unauthorized(format!("saving the refreshed login: {e:#}")))?;
                got
            }
        };
        state.token = got.access_token;
        state.expires_at = expiry(got.expires_in);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("token lock")
    }
}

fn expiry(expires_in: Option<i64>) -> Option<i64> {
    expires_in.map(|s| unix_now() + s)
}

fn client_credentials(
    http: &Http,
    base: &Url,
    client_id: &str,
    secret: &Secret,
) -> anyhow::Result<TokenResponse> {
    token_request(
        http,
        base,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret.expose()),
        ],
    )
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

/// An OAuth error's description (`{"error": …, "error_description": …}`).
pub fn oauth_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("error_description")
        .or_else(|| v.get("error"))
        .and_then(Value::as_str)
        .map(str::to_string)
}
