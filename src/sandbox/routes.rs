//! The sandbox's API: every documented endpoint, dispatched by hand from the path.
//!
//! Paths carry their format as a suffix (`/api/contact/435.json`, `.xml`, or none for JSON),
//! which does not fit a router's segment patterns, so [`App::handle`] splits the path itself.
//! Handlers are synchronous: each runs a few SQLite statements under the store's lock.

use std::sync::Mutex;

use anyhow::Result;
use bytes::Bytes;
use hyper::{Method, StatusCode};
use rusqlite::params;
use serde_json::{json, Map, Value};

use super::contacts::{self, Rejected, Scope};
use super::store::{self, ContactQuery, Role, Store, UserRow};
use super::{clock, oauth, xml};

/// A request as the handlers need it.
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub content_type: String,
    pub authorization: Option<String>,
    pub body: Bytes,
}

impl ApiRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The access token, from the `Authorization: Bearer` header or the `access_token`
    /// query parameter (both are documented).
    pub fn token(&self) -> Option<&str> {
        self.authorization
            .as_deref()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .or_else(|| self.param("access_token"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// What a handler answers.
pub enum Reply {
    /// The API's envelope, in the request's format.
    Envelope(StatusCode, Format, Value),
    /// Plain JSON (the OAuth endpoints).
    Json(StatusCode, Value),
    /// A redirect (the OAuth authorization endpoint).
    Redirect(String),
}

impl Reply {
    pub fn status(&self) -> StatusCode {
        match self {
            Reply::Envelope(s, _, _) | Reply::Json(s, _) => *s,
            Reply::Redirect(_) => StatusCode::FOUND,
        }
    }

    /// The body bytes and content type.
    pub fn body(&self) -> (Bytes, &'static str) {
        match self {
            Reply::Envelope(_, Format::Json, v) | Reply::Json(_, v) => {
                (Bytes::from(v.to_string()), "application/json")
            }
            Reply::Envelope(_, Format::Xml, v) => (Bytes::from(xml::render(v)), "application/xml"),
            Reply::Redirect(_) => (Bytes::new(), "text/plain"),
        }
    }
}

/// The sandbox's state and settings, shared by every connection.
pub struct App {
    pub store: Mutex<Store>,
    /// How long an access token lives, in seconds.
    pub token_ttl: i64,
}

/// Results per page when `results` is not given, and the most a page may hold.
const DEFAULT_RESULTS: usize = 100;
const MAX_RESULTS: usize = 1000;

fn success(
    format: Format,
    message: &str,
    user: i64,
    payload: Value,
    page: Option<(usize, usize)>,
) -> Reply {
    let mut body = json!({"status": "success", "message": message});
    // `page` and `totalcount` come only with a payload.
    let empty = payload.as_array().is_some_and(Vec::is_empty);
    if !empty {
        let (page, total) = page.unwrap_or((1, 1));
        body["page"] = page.into();
        body["totalcount"] = total.into();
    }
    body["payload"] = payload;
    body["current_user_id"] = user.into();
    Reply::Envelope(StatusCode::OK, format, body)
}

/// An error envelope. The documents show both `status` and `result` as the key; the sandbox
/// uses `result` where they do (a missing record, a refused delete) and `status` elsewhere.
fn error(status: StatusCode, format: Format, key: &str, message: &str) -> Reply {
    Reply::Envelope(
        status,
        format,
        json!({key: "error", "message": message, "payload": []}),
    )
}

fn not_found(format: Format, what: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        format,
        "result",
        &format!("No such {what}"),
    )
}

fn rejected(format: Format, Rejected(message): Rejected) -> Reply {
    error(StatusCode::BAD_REQUEST, format, "status", &message)
}

/// Splits the last path segment into its name and format: `435.json` → (`435`, JSON).
fn split_format(segment: &str) -> Option<(&str, Format)> {
    match segment.rsplit_once('.') {
        Some((name, "json")) => Some((name, Format::Json)),
        Some((name, "xml")) => Some((name, Format::Xml)),
        Some(_) => None,
        None => Some((segment, Format::Json)),
    }
}

impl App {
    pub fn handle(&self, req: &ApiRequest) -> Reply {
        match self.route(req) {
            Ok(reply) => reply,
            Err(e) => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                Format::Json,
                "status",
                &format!("sandbox error: {e:#}"),
            ),
        }
    }

    fn route(&self, req: &ApiRequest) -> Result<Reply> {
        let path = req.path.trim_end_matches('/');
        if let Some(rest) = path.strip_prefix("/oauth/v2/") {
            return Ok(match rest {
                "auth" => oauth::authorize(self, req)?,
                "token" => oauth::token(self, req)?,
                _ => Reply::Json(StatusCode::NOT_FOUND, json!({"error": "not_found"})),
            });
        }
        let Some(rest) = path.strip_prefix("/api/") else {
            return Ok(Reply::Json(
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "error_description": "no such endpoint"}),
            ));
        };
        let mut segments: Vec<&str> = rest.split('/').collect();
        let last = segments.pop().unwrap_or_default();
        let Some((last, format)) = split_format(last) else {
            return Ok(error(
                StatusCode::NOT_FOUND,
                Format::Json,
                "status",
                "Unknown format: use .json or .xml",
            ));
        };
        segments.push(last);

        let user = match oauth::authenticate(self, req)? {
            Ok(user) => user,
            Err(message) => return Ok(error(StatusCode::UNAUTHORIZED, format, "status", &message)),
        };
        let id = |s: &str| s.parse::<i64>().ok();
        let m = &req.method;
        Ok(match (m, segments.as_slice()) {
            (&Method::GET, ["users" | "user"]) => self.users(&user, format)?,
            (&Method::GET, ["contacts"]) => self.list_contacts(&user, format, req)?,
            (&Method::POST, ["contacts" | "contact"]) => self.create_contact(&user, format, req)?,
            (_, ["contact", c]) if id(c).is_some() => {
                let c = id(c).expect("checked");
                match *m {
                    Method::GET => self.get_contact(&user, format, c)?,
                    Method::PUT => self.update_contact(&user, format, c, req)?,
                    Method::DELETE => self.delete_contact(&user, format, c)?,
                    _ => method_not_allowed(format),
                }
            }
            (_, ["contact", c, "activity"]) if id(c).is_some() => {
                let c = id(c).expect("checked");
                match *m {
                    Method::GET => self.list_activities(&user, format, c, req)?,
                    Method::POST => self.write_activity(&user, format, c, None, req)?,
                    _ => method_not_allowed(format),
                }
            }
            (_, ["contact", c, "activity", a]) if id(c).is_some() && id(a).is_some() => {
                let (c, a) = (id(c).expect("checked"), id(a).expect("checked"));
                match *m {
                    Method::GET => self.get_activity(&user, format, c, a)?,
                    Method::PUT => self.write_activity(&user, format, c, Some(a), req)?,
                    Method::DELETE => self.delete_activity(&user, format, c, a)?,
                    _ => method_not_allowed(format),
                }
            }
            (&Method::GET, ["tasks"]) => self.list_tasks(&user, format, req)?,
            (&Method::POST, ["tasks" | "task"]) => self.write_task(&user, format, None, req)?,
            (_, ["task", t]) if id(t).is_some() => {
                let t = id(t).expect("checked");
                match *m {
                    Method::GET => self.get_task(&user, format, t)?,
                    Method::PUT => self.write_task(&user, format, Some(t), req)?,
                    Method::DELETE => self.delete_task(&user, format, t)?,
                    _ => method_not_allowed(format),
                }
            }
            _ => error(StatusCode::NOT_FOUND, format, "status", "No such resource"),
        })
    }

    fn users(&self, user: &UserRow, format: Format) -> Result<Reply> {
        let store = self.store.lock().expect("store lock");
        let users = store::users(store.conn(), user.customer_id)?;
        let total = users.len();
        let payload = Value::Array(users.into_iter().map(|u| u.doc).collect());
        Ok(success(
            format,
            "Users listing",
            user.id,
            payload,
            Some((1, total)),
        ))
    }

    fn list_contacts(&self, user: &UserRow, format: Format, req: &ApiRequest) -> Result<Reply> {
        let (page, per_page) = match paging(req, format) {
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
        let store = self.store.lock().expect("store lock");
        let (docs, total) = store::list_contacts(store.conn(), user.customer_id, user.id, &query)?;
        Ok(success(
            format,
            "Contacts listing",
            user.id,
            Value::Array(docs),
            Some((query.page, total)),
        ))
    }

    fn get_contact(&self, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
        let store = self.store.lock().expect("store lock");
        Ok(match visible_contact(&store, user, id)? {
            Some(row) => success(format, "Contact", user.id, row.doc, None),
            None => not_found(format, "contact"),
        })
    }

    fn create_contact(&self, user: &UserRow, format: Format, req: &ApiRequest) -> Result<Reply> {
        let input = match json_body(req) {
            Ok(input) => input,
            Err(message) => return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message)),
        };
        let now = clock::now_text();
        let mut store = self.store.lock().expect("store lock");
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

    fn update_contact(
        &self,
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
        let mut store = self.store.lock().expect("store lock");
        let Some(row) = visible_contact(&store, user, id)? else {
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

    fn delete_contact(&self, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
        let store = self.store.lock().expect("store lock");
        if visible_contact(&store, user, id)?.is_none() {
            return Ok(not_found(format, "contact"));
        }
        if let Some(refused) = deletion_refused(user, format, "contact") {
            return Ok(refused);
        }
        store
            .conn()
            .execute("DELETE FROM contacts WHERE id = ?1", params![id])?;
        store
            .conn()
            .execute("DELETE FROM activities WHERE contact_id = ?1", params![id])?;
        Ok(success(
            format,
            "The contact was successfully deleted!",
            user.id,
            json!([]),
            None,
        ))
    }

    fn list_activities(
        &self,
        user: &UserRow,
        format: Format,
        contact: i64,
        req: &ApiRequest,
    ) -> Result<Reply> {
        let (page, per_page) = match paging(req, format) {
            Ok(paging) => paging,
            Err(reply) => return Ok(reply),
        };
        let store = self.store.lock().expect("store lock");
        if visible_contact(&store, user, contact)?.is_none() {
            return Ok(not_found(format, "contact"));
        }
        let conn = store.conn();
        let total: i64 = conn.query_row(
            "SELECT COUNT(*) FROM activities WHERE contact_id = ?1",
            params![contact],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(
            "SELECT doc FROM activities WHERE contact_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
        )?;
        let docs = stmt
            .query_map(
                params![contact, per_page as i64, ((page - 1) * per_page) as i64],
                |r| r.get::<_, String>(0),
            )?
            .map(|d| Ok(serde_json::from_str(&d?)?))
            .collect::<Result<Vec<Value>>>()?;
        Ok(success(
            format,
            "Contact activity listing",
            user.id,
            Value::Array(docs),
            Some((page, total as usize)),
        ))
    }

    fn get_activity(&self, user: &UserRow, format: Format, contact: i64, id: i64) -> Result<Reply> {
        let store = self.store.lock().expect("store lock");
        if visible_contact(&store, user, contact)?.is_none() {
            return Ok(not_found(format, "contact"));
        }
        Ok(match activity(&store, contact, id)? {
            Some(doc) => success(format, "Contact Activity", user.id, doc, None),
            None => not_found(format, "activity"),
        })
    }

    /// Creates (`id` = None) or updates an activity, from form fields
    /// (`bigcontacts_contact_activity_form[title]`) or a JSON body.
    fn write_activity(
        &self,
        user: &UserRow,
        format: Format,
        contact: i64,
        id: Option<i64>,
        req: &ApiRequest,
    ) -> Result<Reply> {
        let fields = match activity_fields(req) {
            Ok(fields) => fields,
            Err(message) => return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message)),
        };
        let now = clock::now_text();
        let store = self.store.lock().expect("store lock");
        if visible_contact(&store, user, contact)?.is_none() {
            return Ok(not_found(format, "contact"));
        }
        let conn = store.conn();
        let mut doc = match id {
            None => json!({"id": Value::Null, "title": "", "description": "", "created": now}),
            Some(id) => match activity(&store, contact, id)? {
                Some(doc) => doc,
                None => return Ok(not_found(format, "activity")),
            },
        };
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
            return Ok(error(
                StatusCode::BAD_REQUEST,
                format,
                "status",
                "The field title is required",
            ));
        }
        doc["updated"] = now.clone().into();
        let message = match id {
            None => {
                conn.execute(
                    "INSERT INTO activities (contact_id, doc) VALUES (?1, '{}')",
                    params![contact],
                )?;
                doc["id"] = conn.last_insert_rowid().into();
                "The activity was successfully created!"
            }
            Some(_) => "The activity was successfully updated!",
        };
        conn.execute(
            "UPDATE activities SET doc = ?1 WHERE id = ?2",
            params![doc.to_string(), doc["id"].as_i64()],
        )?;
        Ok(success(format, message, user.id, doc, None))
    }

    fn delete_activity(
        &self,
        user: &UserRow,
        format: Format,
        contact: i64,
        id: i64,
    ) -> Result<Reply> {
        let store = self.store.lock().expect("store lock");
        if visible_contact(&store, user, contact)?.is_none()
            || activity(&store, contact, id)?.is_none()
        {
            return Ok(not_found(format, "activity"));
        }
        if let Some(refused) = deletion_refused(user, format, "activity") {
            return Ok(refused);
        }
        store
            .conn()
            .execute("DELETE FROM activities WHERE id = ?1", params![id])?;
        Ok(success(
            format,
            "The activity was successfully deleted!",
            user.id,
            json!([]),
            None,
        ))
    }

    fn list_tasks(&self, user: &UserRow, format: Format, req: &ApiRequest) -> Result<Reply> {
        let event = req.param("event").unwrap_or("task_new");
        if crate::schema::TaskEvent::from_param(event).is_none() {
            return Ok(error(
                StatusCode::BAD_REQUEST,
                format,
                "status",
                &format!("event must be task_new, meeting_new or note_new, not {event:?}"),
            ));
        }
        let (page, per_page) = match paging(req, format) {
            Ok(paging) => paging,
            Err(reply) => return Ok(reply),
        };
        let store = self.store.lock().expect("store lock");
        let conn = store.conn();
        let total: i64 = conn.query_row(
            "SELECT COUNT(*) FROM tasks WHERE customer_id = ?1 AND event = ?2",
            params![user.customer_id, event],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare("SELECT doc FROM tasks WHERE customer_id = ?1 AND event = ?2 ORDER BY id LIMIT ?3 OFFSET ?4")?;
        let docs = stmt
            .query_map(
                params![
                    user.customer_id,
                    event,
                    per_page as i64,
                    ((page - 1) * per_page) as i64
                ],
                |r| r.get::<_, String>(0),
            )?
            .map(|d| Ok(serde_json::from_str(&d?)?))
            .collect::<Result<Vec<Value>>>()?;
        Ok(success(
            format,
            "Tasks listing",
            user.id,
            Value::Array(docs),
            Some((page, total as usize)),
        ))
    }

    fn get_task(&self, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
        let store = self.store.lock().expect("store lock");
        Ok(match task(&store, user, id)? {
            Some(doc) => success(format, "Task", user.id, doc, None),
            None => not_found(format, "task"),
        })
    }

    fn write_task(
        &self,
        user: &UserRow,
        format: Format,
        id: Option<i64>,
        req: &ApiRequest,
    ) -> Result<Reply> {
        let input = match json_or_form(req) {
            Ok(input) => input,
            Err(message) => return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message)),
        };
        let now = clock::now_text();
        let store = self.store.lock().expect("store lock");
        let mut doc = match id {
            None => {
                json!({"id": Value::Null, "priority": "n", "completed": false, "is_todo": false, "event": "task_new", "created": now})
            }
            Some(id) => match task(&store, user, id)? {
                Some(doc) => doc,
                None => return Ok(not_found(format, "task")),
            },
        };
        if let Err(message) = super::tasks::apply(store.conn(), user, &mut doc, &input) {
            return Ok(error(StatusCode::BAD_REQUEST, format, "status", &message));
        }
        doc["updated"] = now.into();
        let conn = store.conn();
        let event = doc["event"].as_str().unwrap_or("task_new").to_string();
        let message = match id {
            None => {
                conn.execute(
                    "INSERT INTO tasks (customer_id, event, doc) VALUES (?1, ?2, '{}')",
                    params![user.customer_id, event],
                )?;
                doc["id"] = conn.last_insert_rowid().into();
                "The task was successfully created!"
            }
            Some(_) => "The task was successfully updated!",
        };
        conn.execute(
            "UPDATE tasks SET doc = ?1, event = ?2 WHERE id = ?3",
            params![doc.to_string(), event, doc["id"].as_i64()],
        )?;
        Ok(success(format, message, user.id, doc, None))
    }

    fn delete_task(&self, user: &UserRow, format: Format, id: i64) -> Result<Reply> {
        let store = self.store.lock().expect("store lock");
        if task(&store, user, id)?.is_none() {
            return Ok(not_found(format, "task"));
        }
        if let Some(refused) = deletion_refused(user, format, "task") {
            return Ok(refused);
        }
        store
            .conn()
            .execute("DELETE FROM tasks WHERE id = ?1", params![id])?;
        Ok(success(
            format,
            "The task was successfully deleted!",
            user.id,
            json!([]),
            None,
        ))
    }
}

/// `page` (from 1) and `results` (1 to MAX_RESULTS, default 100) of a listing, or the
/// error to answer.
fn paging(req: &ApiRequest, format: Format) -> Result<(usize, usize), Reply> {
    let bad = |message: String| error(StatusCode::BAD_REQUEST, format, "status", &message);
    let page = match req.param("page").map(|p| p.trim().parse::<usize>()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        Some(_) => {
            return Err(bad(format!(
                "page must be a number from 1, not {:?}",
                req.param("page").unwrap_or_default()
            )))
        }
    };
    let per_page = match req.param("results").map(|r| r.trim().parse::<usize>()) {
        None => DEFAULT_RESULTS,
        Some(Ok(r)) if (1..=MAX_RESULTS).contains(&r) => r,
        Some(_) => {
            let given = req.param("results").unwrap_or_default();
            return Err(bad(format!(
                "results must be a number from 1 to {MAX_RESULTS}, not {given:?}"
            )));
        }
    };
    Ok((page, per_page))
}

/// Only an admin may delete; the documented refusal otherwise.
fn deletion_refused(user: &UserRow, format: Format, what: &str) -> Option<Reply> {
    (user.role != Role::Admin).then(|| {
        error(
            StatusCode::FORBIDDEN,
            format,
            "result",
            &format!("You cannot delete this {what}"),
        )
    })
}

fn method_not_allowed(format: Format) -> Reply {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format,
        "status",
        "Method not allowed",
    )
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

/// A contact the user may see: private contacts only by their assignee.
fn visible_contact(store: &Store, user: &UserRow, id: i64) -> Result<Option<store::ContactRow>> {
    Ok(store::contact(store.conn(), user.customer_id, id)?
        .filter(|c| !c.is_private || c.assigned_to == user.id))
}

fn activity(store: &Store, contact: i64, id: i64) -> Result<Option<Value>> {
    use rusqlite::OptionalExtension;
    let doc: Option<String> = store
        .conn()
        .query_row(
            "SELECT doc FROM activities WHERE id = ?1 AND contact_id = ?2",
            params![id, contact],
            |r| r.get(0),
        )
        .optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

fn task(store: &Store, user: &UserRow, id: i64) -> Result<Option<Value>> {
    use rusqlite::OptionalExtension;
    let doc: Option<String> = store
        .conn()
        .query_row(
            "SELECT doc FROM tasks WHERE id = ?1 AND customer_id = ?2",
            params![id, user.customer_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

fn json_body(req: &ApiRequest) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("The body must be a JSON object".into()),
        Err(e) => Err(format!("The body is not valid JSON: {e}")),
    }
}

/// A JSON object body, or form fields as one (`a[b]` keys kept as written).
fn json_or_form(req: &ApiRequest) -> Result<Map<String, Value>, String> {
    if req
        .content_type
        .starts_with("application/x-www-form-urlencoded")
    {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&req.body)
            .map_err(|e| format!("The form body is not valid: {e}"))?;
        Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect())
    } else {
        json_body(req)
    }
}

/// Activity fields from `bigcontacts_contact_activity_form[...]` form fields, or from JSON
/// (flat, or nested under `bigcontacts_contact_activity_form`).
fn activity_fields(req: &ApiRequest) -> Result<Vec<(String, String)>, String> {
    let body = json_or_form(req)?;
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
