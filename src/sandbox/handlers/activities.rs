//! A contact's activity: its listing, and one activity's read, create, update and delete,
//! from the guide's form fields or a JSON body.

use anyhow::Result;
use hyper::StatusCode;
use serde_json::{json, Value};

use super::visible_contact;
use crate::sandbox::app::App;
use crate::sandbox::clock;
use crate::sandbox::http::{
    deletion_refused, error, json_or_form, not_found, paging, success, ApiRequest, Format, Reply,
};
use crate::sandbox::store::{self, UserRow};

/// An activity without a title: refused, and its transaction rolled back.
#[derive(Debug, thiserror::Error)]
#[error("The field title is required")]
struct TitleMissing;

pub fn list(
    app: &App,
    user: &UserRow,
    format: Format,
    contact: i64,
    req: &ApiRequest,
) -> Result<Reply> {
    let (page, per_page) = match paging(req, format, &app.forms) {
        Ok(paging) => paging,
        Err(reply) => return Ok(reply),
    };
    app.readers.read(|conn| {
        if visible_contact(conn, user, contact)?.is_none() {
            return Ok(not_found(format, "contact"));
        }
        let (docs, total) = store::activities_page(conn, contact, page, per_page)?;
        Ok(success(
            format,
            "Contact activity listing",
            user.id,
            Value::Array(docs),
            Some((page, total)),
        ))
    })
}

pub fn get(app: &App, user: &UserRow, format: Format, contact: i64, id: i64) -> Result<Reply> {
    app.readers.read(|conn| {
        if visible_contact(conn, user, contact)?.is_none() {
            return Ok(not_found(format, "contact"));
        }
        Ok(match store::activity(conn, contact, id)? {
            Some(doc) => success(format, "Contact Activity", user.id, doc, None),
            None => not_found(format, "activity"),
        })
    })
}

/// Creates (`id` = None) or updates an activity, from form fields
/// (`bigcontacts_contact_activity_form[title]`) or a JSON body.
pub fn write(
    app: &App,
    user: &UserRow,
    format: Format,
    contact: i64,
    id: Option<i64>,
    req: &ApiRequest,
) -> Result<Reply> {
    let fields = match activity_fields(req, &app.forms) {
        Ok(fields) => fields,
        Err(message) => return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message)),
    };
    let now = clock::now_text();
    let mut store = app.store.lock().expect("store lock");
    if visible_contact(store.conn(), user, contact)?.is_none() {
        return Ok(not_found(format, "contact"));
    }
    let mut doc = match id {
        None => json!({"id": Value::Null, "title": "", "description": "", "created": now}),
        Some(id) => match store::activity(store.conn(), contact, id)? {
            Some(doc) => doc,
            None => return Ok(not_found(format, "activity")),
        },
    };
    // The type is created on first use, in the same transaction as the activity.
    let written = store.transaction(|conn| {
    for (key, value) in &fields {
        match key.as_str() {
            "title" | "description" => doc[key] = value.clone().into(),
            "activity_type" if !value.trim().is_empty() => {
                let type_id = store::named_id(
                    conn,
                    user.customer_id,
                    "activity_type",
                    value.trim(),
                    true,
                    &now,
                )?;
                doc["activity_type"] = json!({"id": type_id, "activity": value.trim(), "created": now, "updated": now});
            }
            _ => {}
        }
    }
    if doc["title"].as_str().is_none_or(|t| t.trim().is_empty()) {
        // Rolled back with the transaction: a refused activity creates no type either.
        anyhow::bail!(TitleMissing);
    }
    doc["updated"] = now.clone().into();
    store::put_activity(conn, contact, &mut doc)?;
    Ok(doc)
    });
    let doc = match written {
        Ok(doc) => doc,
        Err(e) if e.is::<TitleMissing>() => {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                format,
                "status",
                "The field title is required",
            ))
        }
        Err(e) => return Err(e),
    };
    let message = match id {
        None => "The activity was successfully created!",
        Some(_) => "The activity was successfully updated!",
    };
    Ok(success(format, message, user.id, doc, None))
}

pub fn delete(app: &App, user: &UserRow, format: Format, contact: i64, id: i64) -> Result<Reply> {
    let store = app.store.lock().expect("store lock");
    if visible_contact(store.conn(), user, contact)?.is_none()
        || store::activity(store.conn(), contact, id)?.is_none()
    {
        return Ok(not_found(format, "activity"));
    }
    if let Some(refused) = deletion_refused(user, format, "activity") {
        return Ok(refused);
    }
    store::delete_activity(store.conn(), id)?;
    Ok(success(
        format,
        "The activity was successfully deleted!",
        user.id,
        json!([]),
        None,
    ))
}

/// Activity fields from `bigcontacts_contact_activity_form[...]` form fields, or from JSON
/// (flat, or nested under `bigcontacts_contact_activity_form`).
fn activity_fields(
    req: &ApiRequest,
    forms: &crate::sandbox::forms::AnswerForms,
) -> Result<Vec<(String, String)>, String> {
    let body = json_or_form(req, forms)?;
    let body = match body.get("bigcontacts_contact_activity_form") {
        Some(Value::Object(inner)) => inner.clone(),
        _ => body,
    };
    Ok(body
        .into_iter()
        .map(|(k, v)| {
            let key = k
                .strip_prefix("bigcontacts_contact_activity_form[")
                .and_then(|k| k.strip_suffix(']'))
                .map(str::to_string)
                .unwrap_or(k);
            let value = match v {
                Value::String(s) => s,
                Value::Object(o) => o
                    .get("activity")
                    .or_else(|| o.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                other => other.to_string(),
            };
            (key, value)
        })
        .collect())
}
