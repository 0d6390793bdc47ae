//! Contacts: stored as the API's response documents beside the columns queries filter on.

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

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
    // Each condition binds one value, numbered as it is added (docs_page numbers its own
    // after these).
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut add = |condition: &str, value: rusqlite::types::Value| {
        values.push(value);
        conditions.push(condition.replace('?', &format!("?{}", values.len())));
    };
    add("customer_id = ?", customer_id.into());
    add("(is_private = 0 OR assigned_to = ?)", viewer.into());
    for (column, op, at) in &query.time_filters {
        add(&format!("{column} {op} ?"), at.clone().into());
    }
    if let Some(q) = &query.search {
        add("instr(search, ?) > 0", q.clone().into());
    }
    let filter = conditions.join(" AND ");
    super::docs_page(
        conn,
        "contacts",
        &filter,
        &values,
        query.page,
        query.per_page,
    )
}

/// Deletes a contact and its activity; run inside [`Store::transaction`], so neither
/// outlives the other.
pub fn delete_contact(conn: &Connection, id: i64) -> Result<()> {
    conn.execute("DELETE FROM contacts WHERE id = ?1", params![id])?;
    conn.execute("DELETE FROM activities WHERE contact_id = ?1", params![id])?;
    Ok(())
}

/// How many contacts a customer has.
pub fn count_contacts(conn: &Connection, customer_id: i64) -> Result<usize> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM contacts WHERE customer_id = ?1",
        params![customer_id],
        |r| r.get(0),
    )?;
    Ok(n as usize)
}

/// The first contact `viewer` may see whose search text holds `email` (lowercase).
pub fn contact_id_by_email(
    conn: &Connection,
    customer_id: i64,
    viewer: i64,
    email: &str,
) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM contacts WHERE customer_id = ?1 AND instr(search, ?2) > 0 AND (is_private = 0 OR assigned_to = ?3) ORDER BY id LIMIT 1",
            params![customer_id, email, viewer],
            |r| r.get(0),
        )
        .optional()?)
}

/// The predefined categories, created once.
pub fn seed_categories(conn: &Connection, customer_id: i64, values: &[(&str, &str)]) -> Result<()> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM categories", [], |r| r.get(0))?;
    if count == 0 {
        for (name, value) in values {
            conn.execute(
                "INSERT INTO categories (customer_id, name, value) VALUES (?1, ?2, ?3)",
                params![customer_id, name, value],
            )?;
        }
    }
    Ok(())
}
