//! Activities and tasks: documents listed a page at a time.

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

/// One page of documents from `table` matching `filter` (with `?1`, `?2`… bound to `args`),
/// in id order, and how many match in all.
pub(super) fn docs_page(
    conn: &Connection,
    table: &str,
    filter: &str,
    args: &[rusqlite::types::Value],
    page: usize,
    per_page: usize,
) -> Result<(Vec<Value>, usize)> {
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM {table} WHERE {filter}"))?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    let mut args = args.to_vec();
    args.push((per_page as i64).into());
    args.push((((page.max(1) - 1) * per_page) as i64).into());
    let (limit, offset) = (args.len() - 1, args.len());
    // The page's ids first, from an index, then only their documents: OFFSET skips index
    // entries, not stored documents, so page 1,000 costs about what page 1 does.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT doc FROM {table} WHERE id IN \
         (SELECT id FROM {table} WHERE {filter} ORDER BY id LIMIT ?{limit} OFFSET ?{offset}) \
         ORDER BY id"
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
