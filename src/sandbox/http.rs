//! The sandbox's HTTP vocabulary: a request as handlers see it, their replies, and the
//! envelopes, errors and paging rules every endpoint shares.

use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::contacts::Rejected;
use super::store::{Role, UserRow};
use super::xml;

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

/// Results per page when `results` is not given, and the most a page may hold.
const DEFAULT_RESULTS: usize = 100;
const MAX_RESULTS: usize = 1000;

pub fn success(
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
pub fn error(status: StatusCode, format: Format, key: &str, message: &str) -> Reply {
    Reply::Envelope(
        status,
        format,
        json!({key: "error", "message": message, "payload": []}),
    )
}

pub fn not_found(format: Format, what: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        format,
        "result",
        &format!("No such {what}"),
    )
}

pub fn rejected(format: Format, Rejected(message): Rejected) -> Reply {
    error(StatusCode::BAD_REQUEST, format, "status", &message)
}

/// Splits the last path segment into its name and format: `435.json` → (`435`, JSON).
pub fn split_format(segment: &str) -> Option<(&str, Format)> {
    match segment.rsplit_once('.') {
        Some((name, "json")) => Some((name, Format::Json)),
        Some((name, "xml")) => Some((name, Format::Xml)),
        Some(_) => None,
        None => Some((segment, Format::Json)),
    }
}

/// `page` (from 1) and `results` (1 to MAX_RESULTS, default 100) of a listing, or the
/// error to answer.
pub fn paging(
    req: &ApiRequest,
    format: Format,
    forms: &super::forms::AnswerForms,
) -> Result<(usize, usize), Reply> {
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
    Ok((page, forms.cap(per_page)))
}

/// Only an admin may delete; the documented refusal otherwise.
pub fn deletion_refused(user: &UserRow, format: Format, what: &str) -> Option<Reply> {
    (user.role != Role::Admin).then(|| {
        error(
            StatusCode::FORBIDDEN,
            format,
            "result",
            &format!("You cannot delete this {what}"),
        )
    })
}

pub fn method_not_allowed(format: Format) -> Reply {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        format,
        "status",
        "Method not allowed",
    )
}

pub fn json_body(req: &ApiRequest) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("The body must be a JSON object".into()),
        Err(e) => Err(format!("The body is not valid JSON: {e}")),
    }
}

/// A JSON object body, or form fields as one (`a[b]` keys kept as written); a server
/// answering in the `json-bodies-only` form reads JSON alone, as the newer summary shows.
pub fn json_or_form(
    req: &ApiRequest,
    forms: &super::forms::AnswerForms,
) -> Result<Map<String, Value>, String> {
    let is_form = req
        .content_type
        .starts_with("application/x-www-form-urlencoded");
    if is_form && forms.json_bodies_only {
        return Err("The body is not valid JSON: send a JSON object".into());
    }
    if is_form {
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
