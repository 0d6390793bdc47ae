//! Tasks, meetings and notes: the listing by event, and one task's read, create, update and
//! delete.

use anyhow::Result;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::sandbox::app::App;
use crate::sandbox::clock;
use crate::sandbox::http::{
    deletion_refused, error, json_or_form, not_found, paging, success, ApiRequest, Format, Reply,
};
use crate::sandbox::store::{self, UserRow};
use crate::sandbox::tasks;

pub fn list(app: &App, user: &UserRow, format: Format, req: &ApiRequest) -> Result<Reply> {
    let event = req.param("event").unwrap_or("task_new");
    if crate::schema::TaskEvent::from_param(event).is_none() {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            format,
            "status",
            &format!("event must be task_new, meeting_new or note_new, not {event:?}"),
        ));
    }
    let (page, per_page) = match paging(req, format, &app.forms) {
        Ok(paging) => paging,
        Err(reply) => return Ok(reply),
    };
    let (docs, total) = app
        .readers
        .read(|conn| store::tasks_page(conn, user.customer_id, event, page, per_page))?;
    Ok(success(
        format,
        "Tasks listing",
        user.id,
        Value::Array(docs),
        Some((page, total)),
    ))
}

pub fn get(app: &App, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
    let found = app
        .readers
        .read(|conn| store::task(conn, user.customer_id, id))?;
    Ok(match found {
        Some(doc) => success(format, "Task", user.id, doc, None),
        None => not_found(format, "task"),
    })
}

pub fn write(
    app: &App,
    user: &UserRow,
    format: Format,
    id: Option<i64>,
    req: &ApiRequest,
) -> Result<Reply> {
    let input = match json_or_form(req, &app.forms) {
        Ok(input) => input,
        Err(message) => return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message)),
    };
    let now = clock::now_text();
    let mut store = app.store.lock().expect("store lock");
    let mut doc = match id {
        None => {
            json!({"id": Value::Null, "priority": "n", "completed": false, "is_todo": false, "event": "task_new", "created": now})
        }
        Some(id) => match store::task(store.conn(), user.customer_id, id)? {
            Some(doc) => doc,
            None => return Ok(not_found(format, "task")),
        },
    };
    if let Err(message) = tasks::apply(store.conn(), user, &mut doc, &input) {
        return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message));
    }
    doc["updated"] = now.into();
    store.transaction(|conn| store::put_task(conn, user.customer_id, &mut doc))?;
    let message = match id {
        None => "The task was successfully created!",
        Some(_) => "The task was successfully updated!",
    };
    Ok(success(format, message, user.id, doc, None))
}

pub fn delete(app: &App, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
    let store = app.store.lock().expect("store lock");
    if store::task(store.conn(), user.customer_id, id)?.is_none() {
        return Ok(not_found(format, "task"));
    }
    if let Some(refused) = deletion_refused(user, format, "task") {
        return Ok(refused);
    }
    store::delete_task(store.conn(), id)?;
    Ok(success(
        format,
        "The task was successfully deleted!",
        user.id,
        json!([]),
        None,
    ))
}
