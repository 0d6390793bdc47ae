//! `GET /api/users`: the account's users, paged like every listing.

use anyhow::Result;
use serde_json::Value;

use crate::sandbox::app::App;
use crate::sandbox::http::{paging, success, ApiRequest, Format, Reply};
use crate::sandbox::store::{self, UserRow};

pub fn list(app: &App, user: &UserRow, format: Format, req: &ApiRequest) -> Result<Reply> {
    let (page, per_page) = match paging(req, format, &app.forms) {
        Ok(paging) => paging,
        Err(reply) => return Ok(reply),
    };
    let users = app
        .readers
        .read(|conn| store::users(conn, user.customer_id))?;
    let total = users.len();
    let payload: Vec<Value> = users
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|u| u.doc)
        .collect();
    Ok(success(
        format,
        "Users listing",
        user.id,
        Value::Array(payload),
        Some((page, total)),
    ))
}
