//! Tasks, meetings and notes, by the summary's rules: dates `YYYY-MM-DD`, one contact (by
//! email, id or object), priorities u/h/n, the first valid assignee.

use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::store::{self, UserRow};
use crate::schema::truthy;

/// Applies a create or update body to a task document; `Err` says why it is refused.
pub fn apply(
    conn: &Connection,
    user: &UserRow,
    doc: &mut Value,
    input: &Map<String, Value>,
) -> Result<(), String> {
    let users = store::users(conn, user.customer_id).map_err(|e| e.to_string())?;
    for (key, value) in input {
        match key.as_str() {
            "title" | "description" => doc[key] = Value::String(text(value)),
            "priority" => {
                let p = text(value).to_ascii_lowercase();
                if !["u", "h", "n"].contains(&p.as_str()) {
                    return Err(format!(
                        "priority must be u (urgent), h (hot) or n (normal), not {p:?}"
                    ));
                }
                doc[key] = p.into();
            }
            "start_date" | "due_date" => {
                let d = text(value);
                if d.is_empty() {
                    doc[key] = Value::Null;
                } else if chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").is_err() {
                    return Err(format!("{key} must be a date as YYYY-MM-DD, not {d:?}"));
                } else {
                    doc[key] = d.into();
                }
            }
            "completed" | "is_todo" => doc[key] = truthy(value).into(),
            "event" => {
                let e = text(value);
                if crate::schema::TaskEvent::from_param(&e).is_none() {
                    return Err(format!(
                        "event must be task_new, meeting_new or note_new, not {e:?}"
                    ));
                }
                doc[key] = e.into();
            }
            "assigned_to" => {
                // Several may be given; the first valid one is taken.
                let candidates = match value {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                let found = candidates.iter().find_map(|c| find_user(&users, c));
                doc[key] = found.unwrap_or(user).doc.clone();
            }
            "contacts" => {
                let candidates = match value {
                    Value::Array(items) if items.len() == 1 => items[0].clone(),
                    Value::Array(_) => {
                        return Err(
                            "contacts takes exactly one contact (an email, an id or an object)"
                                .into(),
                        )
                    }
                    other => other.clone(),
                };
                let contact = find_contact(conn, user, &candidates).map_err(|e| e.to_string())?;
                match contact {
                    Some(c) => doc[key] = json!([c]),
                    None => return Err(format!("No such contact: {candidates}")),
                }
            }
            _ => {}
        }
    }
    if doc.get("assigned_to").is_none_or(Value::is_null) {
        doc["assigned_to"] = user.doc.clone();
    }
    if doc
        .get("title")
        .and_then(Value::as_str)
        .is_none_or(|t| t.trim().is_empty())
    {
        return Err("The field title is required".into());
    }
    let dated = ["start_date", "due_date"]
        .iter()
        .any(|k| doc.get(*k).and_then(Value::as_str).is_some());
    if !dated {
        return Err("A start_date or a due_date (YYYY-MM-DD) is required".into());
    }
    if doc
        .get("contacts")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err("A contact (contacts: an email, an id or an object) is required".into());
    }
    Ok(())
}

fn find_user<'a>(users: &'a [UserRow], c: &Value) -> Option<&'a UserRow> {
    let (id, email) = match c {
        Value::Number(n) => (n.as_i64(), None),
        Value::String(s) => (s.parse().ok(), Some(s.to_lowercase())),
        Value::Object(o) => (
            o.get("id").and_then(Value::as_i64),
            o.get("email")
                .and_then(Value::as_str)
                .map(str::to_lowercase),
        ),
        _ => (None, None),
    };
    users
        .iter()
        .find(|u| Some(u.id) == id)
        .or_else(|| users.iter().find(|u| Some(u.email.to_lowercase()) == email))
}

/// A visible contact by id, email or object, summarized for the task.
fn find_contact(conn: &Connection, user: &UserRow, c: &Value) -> anyhow::Result<Option<Value>> {
    let (id, email) = match c {
        Value::Number(n) => (n.as_i64(), None),
        Value::String(s) => (s.parse().ok(), Some(s.to_lowercase())),
        Value::Object(o) => (
            o.get("id")
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())),
            o.get("email")
                .and_then(Value::as_str)
                .map(str::to_lowercase),
        ),
        _ => (None, None),
    };
    let row = match (id, &email) {
        (Some(id), _) => store::contact(conn, user.customer_id, id)?,
        (None, Some(email)) => {
            match store::contact_id_by_email(conn, user.customer_id, user.id, email)? {
                Some(id) => store::contact(conn, user.customer_id, id)?,
                None => None,
            }
        }
        _ => None,
    };
    Ok(row.filter(|r| !r.is_private || r.assigned_to == user.id).map(|r| {
        let email = r.doc.pointer("/emails/0/email").or_else(|| r.doc.pointer("/office_emails/0/email")).cloned().unwrap_or(Value::Null);
        json!({"id": r.id, "first_name": r.doc["first_name"], "last_name": r.doc["last_name"], "email": email})
    }))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
