//! Users, OAuth clients, authorization codes and tokens.

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

/// A user of the sandbox, as the API lists it, with the sandbox's own role.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub customer_id: i64,
    pub email: String,
    pub role: Role,
    pub doc: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sees every non-private contact, may delete.
    Admin,
    /// Sees every non-private contact, may not delete.
    Restricted,
}

pub fn users(conn: &Connection, customer_id: i64) -> Result<Vec<UserRow>> {
    let mut stmt = conn.prepare(
        "SELECT id, customer_id, email, first_name, last_name, short_name, color, role, last_login
         FROM users WHERE customer_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![customer_id], user_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn user(conn: &Connection, id: i64) -> Result<Option<UserRow>> {
    Ok(conn
        .query_row(
            "SELECT id, customer_id, email, first_name, last_name, short_name, color, role, last_login
             FROM users WHERE id = ?1",
            params![id],
            user_row,
        )
        .optional()?)
}

fn user_row(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
    let mut doc = Map::new();
    let id: i64 = r.get(0)?;
    doc.insert("id".into(), id.into());
    for (i, key) in ["email", "first_name", "last_name", "short_name", "color"]
        .iter()
        .enumerate()
    {
        doc.insert(key.to_string(), Value::String(r.get(2 + i)?));
    }
    let last_login: Option<String> = r.get(8)?;
    doc.insert(
        "last_login".into(),
        last_login.map(Value::String).unwrap_or(Value::Null),
    );
    let role: String = r.get(7)?;
    Ok(UserRow {
        id,
        customer_id: r.get(1)?,
        email: r.get(2)?,
        role: if role == "admin" {
            Role::Admin
        } else {
            Role::Restricted
        },
        doc: Value::Object(doc),
    })
}

/// Adds a user unless one with the id exists (seeding is idempotent).
#[allow(clippy::too_many_arguments)]
pub fn insert_user(
    conn: &Connection,
    id: i64,
    customer_id: i64,
    email: &str,
    first_name: &str,
    last_name: &str,
    color: &str,
    role: &str,
    last_login: &str,
) -> Result<()> {
    let short_name = format!("{first_name} {}.", last_name.chars().next().unwrap_or(' '));
    conn.execute(
        "INSERT OR IGNORE INTO users (id, customer_id, email, first_name, last_name, short_name, color, role, last_login)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![id, customer_id, email, first_name, last_name, short_name, color, role, last_login],
    )?;
    Ok(())
}

/// An OAuth client as registered: its secret, its one whitelisted redirect URI, and the
/// user who registered it.
pub struct ClientRow {
    pub secret: String,
    pub redirect_uri: String,
    pub user_id: i64,
}

/// Registers a client unless it exists.
pub fn insert_client(conn: &Connection, client_id: &str, client: &ClientRow) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO clients (client_id, secret, redirect_uri, user_id) VALUES (?1, ?2, ?3, ?4)",
        params![client_id, client.secret, client.redirect_uri, client.user_id],
    )?;
    Ok(())
}

pub fn client(conn: &Connection, client_id: &str) -> Result<Option<ClientRow>> {
    Ok(conn
        .query_row(
            "SELECT secret, redirect_uri, user_id FROM clients WHERE client_id = ?1",
            params![client_id],
            |r| {
                Ok(ClientRow {
                    secret: r.get(0)?,
                    redirect_uri: r.get(1)?,
                    user_id: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// A one-time authorization code, until it is taken or expires.
pub struct CodeRow {
    pub user_id: i64,
    pub client_id: String,
    pub redirect_uri: String,
    pub expires_at: i64,
}

pub fn insert_code(conn: &Connection, code: &str, row: &CodeRow) -> Result<()> {
    conn.execute(
        "INSERT INTO codes (code, user_id, client_id, redirect_uri, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![code, row.user_id, row.client_id, row.redirect_uri, row.expires_at],
    )?;
    Ok(())
}

/// The code, removed: a code is good once, whether or not this use succeeds.
pub fn take_code(conn: &Connection, code: &str) -> Result<Option<CodeRow>> {
    let found = conn
        .query_row(
            "SELECT user_id, client_id, redirect_uri, expires_at FROM codes WHERE code = ?1",
            params![code],
            |r| {
                Ok(CodeRow {
                    user_id: r.get(0)?,
                    client_id: r.get(1)?,
                    redirect_uri: r.get(2)?,
                    expires_at: r.get(3)?,
                })
            },
        )
        .optional()?;
    conn.execute("DELETE FROM codes WHERE code = ?1", params![code])?;
    Ok(found)
}

/// Access or refresh: what a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// A token's owner, client and expiry (Unix seconds).
pub struct TokenRow {
    pub user_id: i64,
    pub client_id: String,
    pub expires_at: i64,
}

pub fn insert_token(conn: &Connection, token: &str, kind: TokenKind, row: &TokenRow) -> Result<()> {
    conn.execute(
        "INSERT INTO tokens (token, kind, user_id, client_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token, kind.as_str(), row.user_id, row.client_id, row.expires_at],
    )?;
    Ok(())
}

pub fn token(conn: &Connection, token: &str, kind: TokenKind) -> Result<Option<TokenRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT user_id, client_id, expires_at FROM tokens WHERE token = ?1 AND kind = ?2",
        )?
        .query_row(params![token, kind.as_str()], |r| {
            Ok(TokenRow {
                user_id: r.get(0)?,
                client_id: r.get(1)?,
                expires_at: r.get(2)?,
            })
        })
        .optional()?)
}

pub fn delete_token(conn: &Connection, token: &str) -> Result<()> {
    conn.execute("DELETE FROM tokens WHERE token = ?1", params![token])?;
    Ok(())
}

/// Makes every access token expired (the control endpoint tests use); how many there were.
pub fn expire_access_tokens(conn: &Connection) -> Result<usize> {
    Ok(conn.execute("UPDATE tokens SET expires_at = 0 WHERE kind = 'access'", [])?)
}
