//! Contacts as the documented server treats them: a create body becomes a stored document in
//! the response shape, and an update changes it with the documented semantics.

use anyhow::Result;
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::store::{self, UserRow};
use crate::schema::{
    truthy, truthy_text, FieldKind, ScalarField, IM_SERVICE_TYPES, PHONE_TYPES, SOCIAL_MEDIA_TYPES,
};

/// A body the server refuses, with the message it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

/// What a document is built in: the customer, the calling user, the time.
pub struct Scope<'a> {
    pub conn: &'a Connection,
    pub caller: &'a UserRow,
    pub now: &'a str,
}

/// A new contact from a create body. The required fields are checked here.
pub fn create(
    scope: &Scope,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Result<Value, Rejected>> {
    let mut doc = Map::new();
    doc.insert("id".into(), id.into());
    doc.insert("is_business".into(), false.into());
    doc.insert("is_private".into(), false.into());
    doc.insert("email_opt_out".into(), false.into());
    if let Err(rejected) = apply(scope, &mut doc, input, true)? {
        return Ok(Err(rejected));
    }
    if !doc.contains_key("assigned_to") {
        doc.insert("assigned_to".into(), scope.caller.doc.clone());
    }
    doc.insert("is_active".into(), true.into());
    doc.insert("created".into(), scope.now.into());
    doc.insert("updated".into(), scope.now.into());
    // The guide shows these lists on every contact, empty ones as `[]`, never null.
    for key in ["groups", "categories", "dropbox"] {
        doc.entry(key).or_insert_with(|| json!([]));
    }
    Ok(check_required(&doc).map(|()| Value::Object(doc)))
}

/// An update: fields absent from the body are untouched, a blank value clears, a list
/// replaces the whole list.
pub fn update(
    scope: &Scope,
    doc: &mut Map<String, Value>,
    input: &Map<String, Value>,
) -> Result<Result<(), Rejected>> {
    let mut changed = doc.clone();
    if let Err(rejected) = apply(scope, &mut changed, input, false)? {
        return Ok(Err(rejected));
    }
    if let Err(rejected) = check_required(&changed) {
        return Ok(Err(rejected));
    }
    changed.insert("updated".into(), scope.now.into());
    *doc = changed;
    Ok(Ok(()))
}

fn check_required(doc: &Map<String, Value>) -> Result<(), Rejected> {
    for field in ["first_name", "last_name"] {
        if doc
            .get(field)
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(Rejected(format!("The field {field} is required")));
        }
    }
    let emails = ["emails", "office_emails"]
        .iter()
        .flat_map(|k| doc.get(*k).and_then(Value::as_array).into_iter().flatten())
        .count();
    if emails == 0 {
        return Err(Rejected(
            "At least one email (emails.email) is required".into(),
        ));
    }
    Ok(())
}

/// Applies every field of a body to a document. `nested` documents (spouse, business,
/// family) take the same fields.
fn apply(
    scope: &Scope,
    doc: &mut Map<String, Value>,
    input: &Map<String, Value>,
    top: bool,
) -> Result<Result<(), Rejected>> {
    macro_rules! reject {
        ($($arg:tt)*) => { return Ok(Err(Rejected(format!($($arg)*)))) };
    }
    let customer = scope.caller.customer_id;
    for (key, value) in input {
        if let Some(field) = ScalarField::from_name(key) {
            match scalar(field, value) {
                Ok(None) => {
                    doc.remove(key);
                }
                Ok(Some(v)) => {
                    doc.insert(key.clone(), v);
                }
                Err(message) => reject!("{message}"),
            }
            continue;
        }
        match key.as_str() {
            "emails" | "phones" | "addresses" => {
                let mut home = Vec::new();
                let mut office = Vec::new();
                for item in list(value) {
                    let Some(item) = item.as_object() else {
                        reject!("{key} must be a list of objects")
                    };
                    let mut out = Map::new();
                    out.insert("id".into(), store::next_id(scope.conn, "sub")?.into());
                    match key.as_str() {
                        "emails" => {
                            let email = text(item.get("email"));
                            if email.is_empty() {
                                continue;
                            }
                            if !email.contains('@') {
                                reject!("{email:?} is not a valid email address");
                            }
                            out.insert("email".into(), email.into());
                        }
                        "phones" => {
                            let kind = text(item.get("type"));
                            if !kind.is_empty() && !PHONE_TYPES.contains(&kind.as_str()) {
                                reject!(
                                    "phone type {kind:?} is not one of {}",
                                    PHONE_TYPES.join(", ")
                                );
                            }
                            out.insert(
                                "type".into(),
                                if kind.is_empty() {
                                    "O".into()
                                } else {
                                    kind.into()
                                },
                            );
                            out.insert("phone".into(), text(item.get("phone")).into());
                        }
                        _ => {
                            for part in crate::schema::ADDRESS_PARTS {
                                out.insert(part.to_string(), text(item.get(*part)).into());
                            }
                        }
                    }
                    if flag(item.get("is_office")) {
                        office.push(Value::Object(out));
                    } else {
                        home.push(Value::Object(out));
                    }
                }
                doc.insert(key.clone(), home.into());
                doc.insert(format!("office_{key}"), office.into());
            }
            "im_services" | "social_media" => {
                let (type_key, allowed, kind) = if key == "im_services" {
                    ("im_services_type", IM_SERVICE_TYPES, "im_service")
                } else {
                    ("social_media_type", SOCIAL_MEDIA_TYPES, "social_media")
                };
                let mut out = Vec::new();
                for item in list(value) {
                    let service = text(item.get(type_key));
                    let Some(name) = allowed.iter().find(|a| a.eq_ignore_ascii_case(&service))
                    else {
                        reject!(
                            "{type_key} {service:?} is not one of {}",
                            allowed.join(", ")
                        )
                    };
                    let type_id =
                        store::named_id(scope.conn, customer, kind, name, true, scope.now)?;
                    let output_key = if key == "im_services" {
                        "im_service_type"
                    } else {
                        "social_media_type"
                    };
                    out.push(json!({
                        "id": store::next_id(scope.conn, "sub")?,
                        output_key: {"id": type_id, "name": name},
                        "name": text(item.get("name")),
                    }));
                }
                doc.insert(key.clone(), out.into());
            }
            "custom_fields" => {
                let mut out = Vec::new();
                for item in list(value) {
                    let name = text(item.get("name"));
                    if name.is_empty() {
                        continue;
                    }
                    // An unknown name creates the field.
                    let field_id = store::named_id(
                        scope.conn,
                        customer,
                        "custom_field",
                        &name,
                        true,
                        scope.now,
                    )?;
                    out.push(json!({
                        "id": store::next_id(scope.conn, "sub")?,
                        "custom_field": {"id": field_id, "name": name, "sort_order": 0, "created": scope.now, "updated": scope.now},
                        "value": text(item.get("value")),
                        "created": scope.now, "updated": scope.now,
                    }));
                }
                doc.insert(key.clone(), out.into());
            }
            "categories" => {
                // Unlike custom fields, unknown categories are silently ignored.
                let mut out = Vec::new();
                for item in list(value) {
                    let (name, value) = (text(item.get("name")), text(item.get("value")));
                    if let Some(id) = store::category_id(scope.conn, customer, &name, &value)? {
                        out.push(json!({"id": id, "name": name, "value": value}));
                    }
                }
                doc.insert(key.clone(), out.into());
            }
            "interests" | "tags" | "groups" => {
                let mut out = Vec::new();
                for item in list(value) {
                    let name = match item {
                        Value::String(s) => s.clone(),
                        other => text(other.get("name")),
                    };
                    if name.is_empty() {
                        continue;
                    }
                    let id = store::named_id(scope.conn, customer, key, &name, true, scope.now)?;
                    out.push(json!({"id": id, "name": name}));
                }
                doc.insert(key.clone(), out.into());
            }
            "contact_notes" => {
                let mut out = Vec::new();
                for item in list(value) {
                    out.push(json!({
                        "id": store::next_id(scope.conn, "sub")?,
                        "subject": text(item.get("subject")),
                        "note": text(item.get("note")),
                        "created": scope.now,
                    }));
                }
                doc.insert(key.clone(), out.into());
            }
            "spouse" | "business" if top => match value {
                Value::Object(person) => match nested(scope, person)? {
                    Ok(person) => {
                        doc.insert(key.clone(), person);
                    }
                    Err(rejected) => return Ok(Err(rejected)),
                },
                _ => {
                    doc.remove(key);
                }
            },
            "family" if top => {
                let mut out = Vec::new();
                for item in list(value) {
                    let Some(person) = item.as_object() else {
                        reject!("family must be a list of objects")
                    };
                    match nested(scope, person)? {
                        Ok(person) => out.push(person),
                        Err(rejected) => return Ok(Err(rejected)),
                    }
                }
                doc.insert(key.clone(), out.into());
            }
            "assigned_to" if top => {
                // By id first, then by email; otherwise the calling user.
                let users = store::users(scope.conn, customer)?;
                let by_id = value
                    .get("id")
                    .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
                let by_email = value
                    .get("email")
                    .and_then(Value::as_str)
                    .map(str::to_lowercase);
                let found = users.iter().find(|u| Some(u.id) == by_id).or_else(|| {
                    users
                        .iter()
                        .find(|u| Some(u.email.to_lowercase()) == by_email)
                });
                doc.insert(key.clone(), found.unwrap_or(scope.caller).doc.clone());
            }
            "contact_type" if top => {
                let name = text(value.get("name"));
                if name.is_empty() {
                    doc.remove(key);
                } else {
                    let id = store::named_id(
                        scope.conn,
                        customer,
                        "contact_type",
                        &name,
                        true,
                        scope.now,
                    )?;
                    doc.insert(key.clone(), json!({"id": id, "name": name}));
                }
            }
            // "Do not include the ID field": it is ignored, as are fields the server does not know.
            _ => {}
        }
    }
    Ok(Ok(()))
}

fn nested(scope: &Scope, input: &Map<String, Value>) -> Result<Result<Value, Rejected>> {
    let mut doc = Map::new();
    doc.insert("id".into(), store::next_id(scope.conn, "nested")?.into());
    Ok(apply(scope, &mut doc, input, false)?.map(|()| Value::Object(doc)))
}

/// A scalar value as stored, `None` to clear it, or why it is refused.
fn scalar(field: ScalarField, value: &Value) -> Result<Option<Value>, String> {
    let name = field.name();
    let text = match value {
        Value::Null => return Ok(None),
        Value::Bool(b) => {
            return if field.kind() == FieldKind::Bool {
                Ok(Some((*b).into()))
            } else {
                Ok(Some(b.to_string().into()))
            }
        }
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return Err(format!("{name} must be a single value")),
    };
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(match field.kind() {
        FieldKind::Text => text.into(),
        FieldKind::Bool => truthy_text(&text).into(),
        FieldKind::Date => match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(day) => format!("{}T00:00:00+0000", day.format("%Y-%m-%d")).into(),
            Err(_) => return Err(format!("{name} must be a date as YYYY-MM-DD, not {text:?}")),
        },
        FieldKind::Enum(codes) => match codes.iter().find(|c| c.eq_ignore_ascii_case(&text)) {
            Some(code) => (*code).into(),
            None => {
                return Err(format!(
                    "{name} must be one of {}, not {text:?}",
                    codes.join(", ")
                ))
            }
        },
    }))
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn flag(value: Option<&Value>) -> bool {
    value.is_some_and(truthy)
}
