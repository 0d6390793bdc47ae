//! The sandbox's router: every documented endpoint, dispatched by hand from the path to
//! its resource's handler.
//!
//! Paths carry their format as a suffix (`/api/contact/435.json`, `.xml`, or none for JSON),
//! which does not fit a router's segment patterns, so [`handle`] splits the path itself.
//! Handlers are synchronous: each runs a few SQLite statements under the store's lock.

use anyhow::Result;
use hyper::{Method, StatusCode};
use serde_json::json;

use super::app::App;
use super::handlers::{activities, contacts, tasks, users};
use super::http::{error, method_not_allowed, split_format, ApiRequest, Format, Reply};
use super::oauth;

/// The reply to one request; a failure of the sandbox itself is a 500 with its message.
pub fn handle(app: &App, req: &ApiRequest) -> Reply {
    match route(app, req) {
        Ok(reply) => reply,
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            Format::Json,
            "status",
            &format!("sandbox error: {e:#}"),
        ),
    }
}

fn route(app: &App, req: &ApiRequest) -> Result<Reply> {
    let path = req.path.trim_end_matches('/');
    if let Some(rest) = path.strip_prefix("/oauth/v2/") {
        return Ok(match rest {
            "auth" => oauth::authorize(app, req)?,
            "token" => oauth::token(app, req)?,
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

    let user = match oauth::authenticate(app, req)? {
        Ok(user) => user,
        Err(message) => return Ok(error(StatusCode::UNAUTHORIZED, format, "status", &message)),
    };
    let id = |s: &str| s.parse::<i64>().ok();
    let m = &req.method;
    Ok(match (m, segments.as_slice()) {
        (&Method::GET, ["users" | "user"]) => users::list(app, &user, format, req)?,
        (&Method::GET, ["contacts"]) => contacts::list(app, &user, format, req)?,
        (&Method::POST, ["contacts" | "contact"]) => contacts::create(app, &user, format, req)?,
        // The guide writes `contact/{id}`; `contacts/{id}` (the listing's word) reads the same.
        (_, ["contact" | "contacts", c]) if id(c).is_some() => {
            let c = id(c).expect("checked");
            match *m {
                Method::GET => contacts::get(app, &user, format, c)?,
                Method::PUT => contacts::update(app, &user, format, c, req)?,
                Method::DELETE => contacts::delete(app, &user, format, c)?,
                _ => method_not_allowed(format),
            }
        }
        (_, ["contact", c, "activity"]) if id(c).is_some() => {
            let c = id(c).expect("checked");
            match *m {
                Method::GET => activities::list(app, &user, format, c, req)?,
                Method::POST => activities::write(app, &user, format, c, None, req)?,
                _ => method_not_allowed(format),
            }
        }
        (_, ["contact", c, "activity", a]) if id(c).is_some() && id(a).is_some() => {
            let (c, a) = (id(c).expect("checked"), id(a).expect("checked"));
            match *m {
                Method::GET => activities::get(app, &user, format, c, a)?,
                Method::PUT => activities::write(app, &user, format, c, Some(a), req)?,
                Method::DELETE => activities::delete(app, &user, format, c, a)?,
                _ => method_not_allowed(format),
            }
        }
        (&Method::GET, ["tasks"]) => tasks::list(app, &user, format, req)?,
        (&Method::POST, ["tasks" | "task"]) => tasks::write(app, &user, format, None, req)?,
        (_, ["task", t]) if id(t).is_some() => {
            let t = id(t).expect("checked");
            match *m {
                Method::GET => tasks::get(app, &user, format, t)?,
                Method::PUT => tasks::write(app, &user, format, Some(t), req)?,
                Method::DELETE => tasks::delete(app, &user, format, t)?,
                _ => method_not_allowed(format),
            }
        }
        _ => error(StatusCode::NOT_FOUND, format, "status", "No such resource"),
    })
}
