//! OAuth2 as the guide describes it: the "website flow" (authorization code to a whitelisted
//! redirect URI), refresh tokens, and the client-credentials grant for unattended runs.
//! Access tokens expire; both the `Authorization: Bearer` header and the `access_token`
//! query parameter are accepted, as documented.

use anyhow::Result;
use hyper::StatusCode;
use rand::Rng;
use serde_json::json;

use super::app::App;
use super::clock;
use super::http::{ApiRequest, Reply};
use super::store::{self, ClientRow, CodeRow, TokenKind, TokenRow, UserRow};

/// How long an authorization code may wait to be exchanged.
const CODE_TTL: i64 = 600;
/// How long a refresh token lives, in seconds: thirty days.
const REFRESH_TTL: i64 = 30 * 24 * 3600;

/// A random token: 40 characters of letters and digits.
pub fn new_secret() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

/// The user an access token belongs to, or why there is none.
pub fn authenticate(app: &App, req: &ApiRequest) -> Result<Result<UserRow, String>> {
    let Some(token) = req.token() else {
        return Ok(Err(
            "OAuth2 authentication required: send Authorization: Bearer TOKEN".into(),
        ));
    };
    app.readers.read(|conn| {
        Ok(match store::token(conn, token, TokenKind::Access)? {
            None => Err("The access token provided is invalid.".into()),
            Some(found) if found.expires_at <= clock::unix_now() => {
                Err("The access token provided has expired.".into())
            }
            Some(found) => store::user(conn, found.user_id)?
                .ok_or_else(|| "The access token provided is invalid.".to_string()),
        })
    })
}

/// Issues an access token (and, unless `with_refresh` is false, a refresh token) for a user.
pub fn issue(
    app: &App,
    conn: &rusqlite::Connection,
    user: i64,
    client: &str,
    with_refresh: bool,
) -> Result<serde_json::Value> {
    let access = new_secret();
    let now = clock::unix_now();
    let row = |expires_at| TokenRow {
        user_id: user,
        client_id: client.to_string(),
        expires_at,
    };
    store::insert_token(conn, &access, TokenKind::Access, &row(now + app.token_ttl))?;
    let mut body = json!({"access_token": access, "expires_in": app.token_ttl, "token_type": "bearer", "scope": null});
    if with_refresh {
        let refresh = new_secret();
        store::insert_token(conn, &refresh, TokenKind::Refresh, &row(now + REFRESH_TTL))?;
        body["refresh_token"] = refresh.into();
    }
    Ok(body)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Reply {
    Reply::Json(
        status,
        json!({"error": error, "error_description": description}),
    )
}

/// `GET /oauth/v2/auth?client_id=…&redirect_uri=…&response_type=code&state=…`
///
/// A real server shows a login and an Allow button; the sandbox allows at once, as the user
/// named by `login_hint` (an email) or else the account's first admin, and redirects.
pub fn authorize(app: &App, req: &ApiRequest) -> Result<Reply> {
    let (Some(client), Some(redirect)) = (req.param("client_id"), req.param("redirect_uri")) else {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and redirect_uri are required",
        ));
    };
    if req.param("response_type").unwrap_or("code") != "code" {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    let store = app.store.lock().expect("store lock");
    let conn = store.conn();
    let Some(registered) = store::client(conn, client)? else {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "The client id supplied is invalid.",
        ));
    };
    // A whitelist policy: only the registered redirect URI is accepted.
    if redirect != registered.redirect_uri {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "The redirect URI is not whitelisted for this client.",
        ));
    }
    let owner = store::user(conn, registered.user_id)?.expect("a client's owner exists");
    let user = match req.param("login_hint") {
        Some(email) => match store::users(conn, owner.customer_id)?
            .into_iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
        {
            Some(u) => u,
            None => {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "access_denied",
                    "No such user",
                ))
            }
        },
        None => owner,
    };
    let code = new_secret();
    let row = CodeRow {
        user_id: user.id,
        client_id: client.to_string(),
        redirect_uri: redirect.to_string(),
        expires_at: clock::unix_now() + CODE_TTL,
    };
    store::insert_code(conn, &code, &row)?;
    let mut target =
        url::Url::parse(redirect).map_err(|e| anyhow::anyhow!("registered redirect URI: {e}"))?;
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = req.param("state") {
        target.query_pairs_mut().append_pair("state", state);
    }
    Ok(Reply::Redirect(target.to_string()))
}

/// `POST /oauth/v2/token` with `grant_type` authorization_code, refresh_token or
/// client_credentials; fields in a form body or the query string.
pub fn token(app: &App, req: &ApiRequest) -> Result<Reply> {
    let mut fields: Vec<(String, String)> = req.query.clone();
    if let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&req.body) {
        fields.extend(form);
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(client), Some(secret)) = (field("client_id"), field("client_secret")) else {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client_id and client_secret are required",
        ));
    };
    let mut store = app.store.lock().expect("store lock");
    store.transaction(|conn| {
        let registered = store::client(conn, &client)?.filter(|c| c.secret == secret);
        let Some(ClientRow { user_id: owner, .. }) = registered else {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "The client credentials are invalid",
            ));
        };
        let now = clock::unix_now();
        Ok(match field("grant_type").as_deref() {
            Some("authorization_code") => {
                let code = field("code").unwrap_or_default();
                match store::take_code(conn, &code)? {
                    Some(c)
                        if c.client_id == client
                            && c.expires_at > now
                            && field("redirect_uri").is_none_or(|r| r == c.redirect_uri) =>
                    {
                        Reply::Json(StatusCode::OK, issue(app, conn, c.user_id, &client, true)?)
                    }
                    _ => oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "Code doesn't exist or is invalid for the client",
                    ),
                }
            }
            Some("refresh_token") => {
                let refresh = field("refresh_token").unwrap_or_default();
                match store::token(conn, &refresh, TokenKind::Refresh)? {
                    Some(t) if t.client_id == client && t.expires_at > now => {
                        // A refresh token is exchanged once, for a new pair.
                        store::delete_token(conn, &refresh)?;
                        Reply::Json(StatusCode::OK, issue(app, conn, t.user_id, &client, true)?)
                    }
                    _ => oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "Invalid refresh token",
                    ),
                }
            }
            Some("client_credentials") => {
                Reply::Json(StatusCode::OK, issue(app, conn, owner, &client, false)?)
            }
            other => oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Invalid grant_type parameter or parameter missing: {other:?}"),
            ),
        })
    })
}
