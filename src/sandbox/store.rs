//! The sandbox's state in SQLite: users, OAuth clients and tokens, contacts, activities, tasks.
//!
//! Records are stored as JSON documents in the API's response shape, next to the columns that
//! queries filter on (owner, privacy, timestamps, search text), so a million contacts live on
//! disk and a page of them costs one indexed query.

use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

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

/// The conditions of a contact listing.
#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    /// (`created` or `updated`, SQL operator, timestamp text) triples.
    pub time_filters: Vec<(&'static str, &'static str, String)>,
    /// Lowercase search text.
    pub search: Option<String>,
    pub page: usize,
    pub per_page: usize,
}

pub struct Store {
    conn: Connection,
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

/// A stored contact.
pub struct ContactRow {
    pub id: i64,
    pub assigned_to: i64,
    pub is_private: bool,
    pub doc: Value,
}

pub fn contact(conn: &Connection, customer_id: i64, id: i64) -> Result<Option<ContactRow>> {
    Ok(conn
        .query_row(
            "SELECT id, assigned_to, is_private, doc FROM contacts WHERE customer_id = ?1 AND id = ?2",
            params![customer_id, id],
            contact_row,
        )
        .optional()?)
}

fn contact_row(r: &rusqlite::Row) -> rusqlite::Result<ContactRow> {
    let doc: String = r.get(3)?;
    Ok(ContactRow {
        id: r.get(0)?,
        assigned_to: r.get(1)?,
        is_private: r.get(2)?,
        doc: serde_json::from_str(&doc).unwrap_or(Value::Null),
    })
}

/// Stores a contact document (insert or replace), keeping the query columns in step.
pub fn put_contact(conn: &Connection, customer_id: i64, doc: &Value) -> Result<()> {
    let get = |k: &str| {
        doc.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let assigned_to = doc
        .pointer("/assigned_to/id")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    conn.execute(
        "INSERT OR REPLACE INTO contacts (id, customer_id, assigned_to, is_private, created, updated, search, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            doc["id"].as_i64(),
            customer_id,
            assigned_to,
            doc.get("is_private").and_then(Value::as_bool).unwrap_or(false),
            get("created"),
            get("updated"),
            search_text(doc),
            doc.to_string()
        ],
    )?;
    Ok(())
}

/// What `q` searches: emails, the company, and the first and last names of the contact,
/// the spouse and family members; lowercase, one per line.
pub fn search_text(doc: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut names = |person: &Value| {
        for key in ["first_name", "last_name"] {
            if let Some(s) = person.get(key).and_then(Value::as_str) {
                parts.push(s.to_lowercase());
            }
        }
    };
    names(doc);
    if let Some(spouse) = doc.get("spouse") {
        names(spouse);
    }
    for member in doc
        .get("family")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        names(member);
    }
    if let Some(business) = doc.get("business") {
        names(business);
    }
    for list in ["emails", "office_emails"] {
        for e in doc
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(s) = e.get("email").and_then(Value::as_str) {
                parts.push(s.to_lowercase());
            }
        }
    }
    parts.join("\n")
}

/// Visible contacts matching a query, one page, in id order, and the total count.
pub fn list_contacts(
    conn: &Connection,
    customer_id: i64,
    viewer: i64,
    query: &ContactQuery,
) -> Result<(Vec<Value>, usize)> {
    let mut conditions = vec![
        "customer_id = ?".to_string(),
        "(is_private = 0 OR assigned_to = ?)".to_string(),
    ];
    let mut values: Vec<rusqlite::types::Value> = vec![customer_id.into(), viewer.into()];
    for (column, op, at) in &query.time_filters {
        conditions.push(format!("{column} {op} ?"));
        values.push(at.clone().into());
    }
    if let Some(q) = &query.search {
        conditions.push("instr(search, ?) > 0".into());
        values.push(q.clone().into());
    }
    let filter = conditions.join(" AND ");
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM contacts WHERE {filter}"),
        rusqlite::params_from_iter(values.iter()),
        |r| r.get(0),
    )?;
    let offset = (query.page.max(1) - 1) * query.per_page;
    values.push((query.per_page as i64).into());
    values.push((offset as i64).into());
    let mut stmt = conn.prepare(&format!(
        "SELECT doc FROM contacts WHERE {filter} ORDER BY id LIMIT ? OFFSET ?"
    ))?;
    let docs = stmt
        .query_map(rusqlite::params_from_iter(values.iter()), |r| {
            r.get::<_, String>(0)
        })?
        .map(|doc| Ok(serde_json::from_str(&doc?)?))
        .collect::<Result<Vec<Value>>>()?;
    Ok((docs, total as usize))
}

/// Deletes a contact and its activity; run inside [`Store::transaction`], so neither
/// outlives the other.
pub fn delete_contact(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("DELETE FROM contacts WHERE id = ?1", params![id])?;
    conn.execute("DELETE FROM activities WHERE contact_id = ?1", params![id])?;
    Ok(())
}

/// One page of documents from `table` matching `filter` (with `?1`, `?2`… bound to `args`),
/// in id order, and how many match in all.
fn docs_page(
    conn: &Connection,
    table: &str,
    filter: &str,
    args: &[rusqlite::types::Value],
    page: usize,
    per_page: usize,
) -> Result<(Vec<Value>, usize)> {
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM {table} WHERE {filter}"),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let mut args = args.to_vec();
    args.push((per_page as i64).into());
    args.push((((page.max(1) - 1) * per_page) as i64).into());
    let (limit, offset) = (args.len() - 1, args.len());
    let mut stmt = conn.prepare(&format!(
        "SELECT doc FROM {table} WHERE {filter} ORDER BY id LIMIT ?{limit} OFFSET ?{offset}"
    ))?;
    let docs = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            r.get::<_, String>(0)
        })?
        .map(|doc| Ok(serde_json::from_str(&doc?)?))
        .collect::<Result<Vec<Value>>>()?;
    Ok((docs, total as usize))
}

/// One document by a query that names it (`?1`, `?2` bound to `args`), if it exists.
fn doc(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Option<Value>> {
    let doc: Option<String> = conn.query_row(sql, args, |r| r.get(0)).optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub fn activities_page(
    conn: &Connection,
    contact: i64,
    page: usize,
    per_page: usize,
) -> Result<(Vec<Value>, usize)> {
    docs_page(
        conn,
        "activities",
        "contact_id = ?1",
        &[contact.into()],
        page,
        per_page,
    )
}

pub fn activity(conn: &Connection, contact: i64, id: i64) -> Result<Option<Value>> {
    let sql = "SELECT doc FROM activities WHERE id = ?1 AND contact_id = ?2";
    doc(conn, sql, params![id, contact])
}

/// Stores an activity; one without an id is inserted and given one. Two statements for a
/// new one: run inside [`Store::transaction`].
pub fn put_activity(conn: &Connection, contact: i64, doc: &mut Value) -> Result<()> {
    if doc["id"].as_i64().is_none() {
        conn.execute(
            "INSERT INTO activities (contact_id, doc) VALUES (?1, '{}')",
            params![contact],
        )?;
        doc["id"] = conn.last_insert_rowid().into();
    }
    conn.execute(
        "UPDATE activities SET doc = ?1 WHERE id = ?2",
        params![doc.to_string(), doc["id"].as_i64()],
    )?;
    Ok(())
}

pub fn delete_activity(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("DELETE FROM activities WHERE id = ?1", params![id])?;
    Ok(())
}

pub fn tasks_page(
    conn: &Connection,
    customer_id: i64,
    event: &str,
    page: usize,
    per_page: usize,
) -> Result<(Vec<Value>, usize)> {
    let args = [customer_id.into(), event.to_string().into()];
    docs_page(
        conn,
        "tasks",
        "customer_id = ?1 AND event = ?2",
        &args,
        page,
        per_page,
    )
}

pub fn task(conn: &Connection, customer_id: i64, id: i64) -> Result<Option<Value>> {
    let sql = "SELECT doc FROM tasks WHERE id = ?1 AND customer_id = ?2";
    doc(conn, sql, params![id, customer_id])
}

/// Stores a task; one without an id is inserted and given one. Two statements for a new
/// one: run inside [`Store::transaction`].
pub fn put_task(conn: &Connection, customer_id: i64, doc: &mut Value) -> Result<()> {
    let event = doc["event"].as_str().unwrap_or("task_new").to_string();
    if doc["id"].as_i64().is_none() {
        conn.execute(
            "INSERT INTO tasks (customer_id, event, doc) VALUES (?1, ?2, '{}')",
            params![customer_id, event],
        )?;
        doc["id"] = conn.last_insert_rowid().into();
    }
    conn.execute(
        "UPDATE tasks SET doc = ?1, event = ?2 WHERE id = ?3",
        params![doc.to_string(), event, doc["id"].as_i64()],
    )?;
    Ok(())
}

pub fn delete_task(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("DELETE FROM tasks WHERE id = ?1", params![id])?;
    Ok(())
}

/// Makes every access token expired (the control endpoint tests use); how many there were.
pub fn expire_access_tokens(conn: &Connection) -> Result<usize> {
    Ok(conn.execute("UPDATE tokens SET expires_at = 0 WHERE kind = 'access'", [])?)
}
