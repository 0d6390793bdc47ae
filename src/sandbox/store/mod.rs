//! The sandbox's state in SQLite: users, OAuth clients and tokens, contacts, activities, tasks.
//! Every statement the sandbox runs is here: handlers, OAuth and seeding call these
//! functions, and run the ones that belong together in one [`Store::transaction`].
//!
//! Calls nothing else in the sandbox.
//!
//! Records are stored as JSON documents in the API's response shape, next to the columns that
//! queries filter on (owner, privacy, timestamps, search text), so a million contacts live on
//! disk and a page of them costs one indexed query.

mod accounts;
mod contacts;
mod records;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

pub use accounts::*;
pub use contacts::*;
pub use records::*;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL, last_name TEXT NOT NULL, short_name TEXT NOT NULL,
    color TEXT NOT NULL, role TEXT NOT NULL, last_login TEXT);
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY, secret TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    user_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id INTEGER NOT NULL,
    client_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY, user_id INTEGER NOT NULL, client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, assigned_to INTEGER NOT NULL,
    is_private INTEGER NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,
    search TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS contacts_created ON contacts (customer_id, created);
CREATE INDEX IF NOT EXISTS contacts_updated ON contacts (customer_id, updated);
-- Listing pages walk this index in id order and count on it, never reading a document they
-- do not send (a deep OFFSET or a COUNT over the table would read every stored document).
CREATE INDEX IF NOT EXISTS contacts_listing ON contacts (customer_id, id, is_private, assigned_to);
CREATE TABLE IF NOT EXISTS named (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, kind TEXT NOT NULL,
    name TEXT NOT NULL, created TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS named_unique ON named (customer_id, kind, name COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS categories (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activities (
    id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS activities_contact ON activities (contact_id);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, event TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

pub struct Store {
    conn: Connection,
}

/// Read-only connections for the requests that only read, so that pages and lookups are
/// served in parallel (WAL lets readers run beside the one writer and each other).
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub fn new(path: &Path) -> Readers {
        Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on an idle reader, opening one when none is idle.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.idle.lock().expect("readers lock").pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .with_context(|| format!("{}: cannot open a reader", self.path.display()))?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn
            }
        };
        let out = f(&conn);
        self.idle.lock().expect("readers lock").push(conn);
        out
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("{}: cannot open the sandbox database", path.display()))?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("{}: cannot set up the sandbox database", path.display()))?;
        Ok(Store { conn })
    }

    /// Runs `f` in one transaction: a create that fails half way leaves nothing behind.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// The next value of a named counter (ids for phones, emails and other sub-records).
pub fn next_id(conn: &Connection, name: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?1, 1000) ON CONFLICT(name) DO UPDATE SET value = value + 1",
        params![name],
    )?;
    Ok(conn.query_row(
        "SELECT value FROM counters WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )?)
}

/// The id of a named thing (custom field, contact type, interest, tag, IM service…),
/// created when `create` allows and it does not exist yet.
pub fn named_id(
    conn: &Connection,
    customer_id: i64,
    kind: &str,
    name: &str,
    create: bool,
    now: &str,
) -> Result<Option<i64>> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM named WHERE customer_id = ?1 AND kind = ?2 AND name = ?3 COLLATE NOCASE")?
        .query_row(params![customer_id, kind, name], |r| r.get(0))
        .optional()?;
    if found.is_some() || !create {
        return Ok(found);
    }
    conn.execute(
        "INSERT INTO named (customer_id, kind, name, created) VALUES (?1, ?2, ?3, ?4)",
        params![customer_id, kind, name, now],
    )?;
    Ok(Some(conn.last_insert_rowid()))
}

/// The id of a predefined category value; `None` when the name or value does not exist.
pub fn category_id(
    conn: &Connection,
    customer_id: i64,
    name: &str,
    value: &str,
) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM categories WHERE customer_id = ?1 AND name = ?2 COLLATE NOCASE AND value = ?3 COLLATE NOCASE",
            params![customer_id, name, value],
            |r| r.get(0),
        )
        .optional()?)
}
