//! Contacts: the listing with its filters and search, and one contact's read, create,
//! update and delete.

use anyhow::Result;
use hyper::StatusCode;
use serde_json::{json, Value};

use super::visible_contact;
use crate::sandbox::app::App;
use crate::sandbox::clock;
use crate::sandbox::contacts::{self, Scope};
use crate::sandbox::http::{
    deletion_refused, error, json_body, not_found, paging, rejected, success, ApiRequest, Format,
    Reply,
};
use crate::sandbox::store::{self, ContactQuery, UserRow};

pub fn list(app: &App, user: &UserRow, format: Format, req: &ApiRequest) -> Result<Reply> {
    let (page, per_page) = match paging(req, format, &app.forms) {
        Ok(paging) => paging,
        Err(reply) => return Ok(reply),
    };
    let mut query = ContactQuery {
        page,
        per_page,
        ..ContactQuery::default()
    };
    for (key, value) in &req.query {
        match key.as_str() {
            "q" if !value.trim().is_empty() => query.search = Some(value.trim().to_lowercase()),
            key => {
                if let Some((column, op)) = time_filter(key) {
                    match clock::filter_bounds(value, op) {
                        Some(bounds) => query
                            .time_filters
                            .extend(bounds.into_iter().map(|(op, at)| (column, op, at))),
                        None => {
                            return Ok(error(
                                StatusCode::BAD_REQUEST,
                                format,
                                "status",
                                &format!("{key}: {value:?} is not a date or time"),
                            ))
                        }
                    }
                }
            }
        }
    }
    let (docs, total) = app
        .readers
        .read(|conn| store::list_contacts(conn, user.customer_id, user.id, &query))?;
    Ok(success(
        format,
        "Contacts listing",
        user.id,
        Value::Array(docs),
        Some((query.page, total)),
    ))
}

pub fn get(app: &App, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
    let found = app.readers.read(|conn| visible_contact(conn, user, id))?;
    Ok(match found {
        Some(row) => success(format, "Contact", user.id, row.doc, None),
        None => not_found(format, "contact"),
    })
}

pub fn create(app: &App, user: &UserRow, format: Format, req: &ApiRequest) -> Result<Reply> {
    let input = match json_body(req) {
        Ok(input) => input,
        Err(message) => return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message)),
    };
    let now = clock::now_text();
    let mut store = app.store.lock().expect("store lock");
    let created = store.transaction(|conn| {
        let id = store::next_id(conn, "contact")?;
        let scope = Scope {
            conn,
            caller: user,
            now: &now,
        };
        Ok(match contacts::create(&scope, id, &input)? {
            Ok(doc) => {
                store::put_contact(conn, user.customer_id, &doc)?;
                Ok(doc)
            }
            Err(rejected) => Err(rejected),
        })
    });
    // A rejected body rolls the transaction back with it (no id, type or field is left behind).
    Ok(match created {
        Ok(Ok(doc)) => success(
            format,
            "The contact was successfully created!",
            user.id,
            doc,
            None,
        ),
        Ok(Err(r)) => rejected(format, r),
        Err(e) => return Err(e),
    })
}

pub fn update(
    app: &App,
    user: &UserRow,
    format: Format,
    id: i64,
    req: &ApiRequest,
) -> Result<Reply> {
    let input = match json_body(req) {
        Ok(input) => input,
        Err(message) => return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message)),
    };
    let now = clock::now_text();
    let mut store = app.store.lock().expect("store lock");
    let Some(row) = visible_contact(store.conn(), user, id)? else {
        return Ok(not_found(format, "contact"));
    };
    let updated = store.transaction(|conn| {
        let scope = Scope {
            conn,
            caller: user,
            now: &now,
        };
        let mut doc = row.doc.as_object().cloned().unwrap_or_default();
        Ok(match contacts::update(&scope, &mut doc, &input)? {
            Ok(()) => {
                let doc = Value::Object(doc);
                store::put_contact(conn, user.customer_id, &doc)?;
                Ok(doc)
            }
            Err(r) => Err(r),
        })
    })?;
    Ok(match updated {
        Ok(doc) => success(
            format,
            "The contact was successfully updated!",
            user.id,
            doc,
            None,
        ),
        Err(r) => rejected(format, r),
    })
}

pub fn delete(app: &App, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
    let mut store = app.store.lock().expect("store lock");
    if visible_contact(store.conn(), user, id)?.is_none() {
        return Ok(not_found(format, "contact"));
    }
    if let Some(refused) = deletion_refused(user, format, "contact") {
        return Ok(refused);
    }
    store.transaction(|conn| store::delete_contact(conn, id))?;
    Ok(success(
        format,
        "The contact was successfully deleted!",
        user.id,
        json!([]),
        None,
    ))
}

/// `updated_gte` → (`updated`, `>=`); `created` → (`created`, `=`).
fn time_filter(key: &str) -> Option<(&'static str, &'static str)> {
    let (column, op) = key.split_once('_').unwrap_or((key, ""));
    let column = match column {
        "updated" => "updated",
        "created" => "created",
        _ => return None,
    };
    let op = match op {
        "" => "=",
        "gt" => ">",
        "lt" => "<",
        "gte" => ">=",
        "lte" => "<=",
        _ => return None,
    };
    Some((column, op))
}
