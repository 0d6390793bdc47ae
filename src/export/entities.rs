//! Exports of the other entities: users (the directory), tasks (the three event kinds, with
//! an `event` column) and contact activity (every contact's, walked in parallel through the
//! shared limiter). Each has a default layout; JSON lines carry whole records.
//!
//! Listings of these are read until a page comes back empty, or holds nothing new (a server
//! that ignores `page` repeats the first), or the records read reach the page's
//! `totalcount` (so a contact with no activity, or with one page of it, costs one request).

use std::collections::HashSet;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::Value;

use super::{fetch, record_id, Exported, Options, Summary};
use crate::api::Client;
use crate::clock::Clock;
use crate::interrupt::Interrupted;
use crate::mapping::config::ContactKey;
use crate::mapping::Mapping;
use crate::pipeline::{Pipeline, Workers};
use crate::progress::Progress;
use crate::schema::date_part;
use crate::write::{TableFormat, TableWriter};

/// What `--entity` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Contacts,
    Activities,
    Tasks,
    Users,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::Contacts => "contacts",
            Entity::Activities => "activities",
            Entity::Tasks => "tasks",
            Entity::Users => "users",
        }
    }
}

pub const USER_COLUMNS: [&str; 7] = [
    "User ID",
    "Email",
    "First Name",
    "Last Name",
    "Short Name",
    "Color",
    "Last Login",
];
pub const TASK_COLUMNS: [&str; 11] = [
    "Task ID",
    "Event",
    "Title",
    "Description",
    "Priority",
    "Start Date",
    "Due Date",
    "Completed",
    "To Do",
    "Assigned To",
    "Contact",
];
pub const ACTIVITY_COLUMNS: [&str; 8] = [
    "Activity ID",
    "Contact ID",
    "Contact Email",
    "Type",
    "Title",
    "Description",
    "Created",
    "Updated",
];

/// Every record of a listing at `path`, page by page (see the module's notes).
fn all_pages<C: Clock>(
    client: &Client<C>,
    path: &str,
    params: &[(String, String)],
) -> Result<(Vec<Value>, u64)> {
    let mut params = params.to_vec();
    params.push(("results".into(), "1000".into()));
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    let mut requests = 0;
    for number in 1.. {
        let page = client
            .page::<Value>(path, &params, number)
            .with_context(|| format!("page {number} of {path}"))?;
        requests += 1;
        let before = records.len();
        for record in page.items {
            // A record without an id is kept; one seen before is not.
            if record_id(&record).is_none_or(|id| seen.insert(id)) {
                records.push(record);
            }
        }
        let done = records.len() == before
            || page
                .total
                .is_some_and(|total| records.len() as u64 >= total);
        if done {
            break;
        }
    }
    Ok((records, requests))
}

/// Text of a field, or blank.
fn text(record: &Value, key: &str) -> String {
    match record.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A calendar date field: the day as the server wrote it, whatever offset follows.
fn day(record: &Value, key: &str) -> String {
    let t = text(record, key);
    date_part(&t).map(str::to_string).unwrap_or(t)
}

fn yes_no(record: &Value, key: &str) -> String {
    match record.get(key) {
        Some(v) if crate::schema::truthy(v) => "yes".into(),
        Some(Value::Null) | None => String::new(),
        Some(_) => "no".into(),
    }
}

/// Emails (or ids, or names) of the users or contact a task names, however it was given.
fn people(value: Option<&Value>) -> String {
    value.map(crate::schema::people).unwrap_or_default()
}

fn task_row(task: &Value, event: &str) -> Vec<String> {
    vec![
        text(task, "id"),
        Some(text(task, "event"))
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| event.to_string()),
        text(task, "title"),
        text(task, "description"),
        text(task, "priority"),
        day(task, "start_date"),
        day(task, "due_date"),
        yes_no(task, "completed"),
        yes_no(task, "is_todo"),
        people(task.get("assigned_to")),
        people(task.get("contacts").or_else(|| task.get("contact"))),
    ]
}

fn activity_row(activity: &Value, contact: i64, email: &str) -> Vec<String> {
    let kind = match activity.get("activity_type") {
        Some(Value::Object(o)) => o
            .get("activity")
            .or_else(|| o.get("name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    vec![
        text(activity, "id"),
        contact.to_string(),
        email.to_string(),
        kind,
        text(activity, "title"),
        text(activity, "description"),
        text(activity, "created"),
        text(activity, "updated"),
    ]
}

/// A contact record's first email (office ones after the others).
fn first_email(record: &Value) -> String {
    ["emails", "office_emails"]
        .iter()
        .find_map(|list| record.pointer(&format!("/{list}/0/email")))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A contact record's value of the custom field `name` (ignoring case), or blank.
fn custom_value(record: &Value, name: &str) -> String {
    record
        .get("custom_fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|f| {
            f.pointer("/custom_field/name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|f| f.get("value"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The key a task mapping's `[contact]` asks for, of the task's contact: its id and email
/// come with the task; a custom field costs one read per contact (remembered in `keys`).
fn task_contact_key<C: Clock>(
    client: &Client<C>,
    mapping: &Mapping,
    task: &Value,
    keys: &mut std::collections::HashMap<i64, String>,
) -> Result<String> {
    let contact = task
        .get("contacts")
        .and_then(|c| c.as_array().and_then(|a| a.first()).or(Some(c)))
        .cloned()
        .unwrap_or(Value::Null);
    let id = record_id(&contact);
    Ok(match (mapping.contact_match(), id) {
        (Some(ContactKey::Id), Some(id)) => id.to_string(),
        (Some(ContactKey::Custom(name)), Some(id)) => match keys.get(&id) {
            Some(key) => key.clone(),
            None => {
                let record = client.page::<Value>(&format!("/api/contact/{id}.json"), &[], 1)?;
                let key = record
                    .items
                    .first()
                    .map(|r| custom_value(r, &name))
                    .unwrap_or_default();
                keys.insert(id, key.clone());
                key
            }
        },
        _ => text(&contact, "email"),
    })
}

/// Exports users, tasks or activities.
pub fn run<C: Clock>(client: &Client<C>, entity: Entity, options: &Options) -> Result<Exported> {
    let started = Instant::now();
    let mapping = match &options.shape {
        super::Shape::Mapping(layout) => Some(&layout.mapping),
        super::Shape::Default { .. } => None,
    };
    let whole = options.format == TableFormat::JsonLines && mapping.is_none();
    let columns: Vec<String> = match entity {
        _ if mapping.is_some() => mapping.expect("checked").columns.clone(),
        Entity::Users => USER_COLUMNS.map(String::from).to_vec(),
        Entity::Tasks => TASK_COLUMNS.map(String::from).to_vec(),
        Entity::Activities => ACTIVITY_COLUMNS.map(String::from).to_vec(),
        Entity::Contacts => unreachable!("contacts are exported by export::run"),
    };
    let mut writer = TableWriter::create(
        options.output.as_deref(),
        options.format,
        &columns,
        options.table.clone(),
    )?;
    let mut pages = 0;
    match entity {
        Entity::Users => {
            let (users, requests) = all_pages(client, "/api/users.json", &[])?;
            pages += requests;
            for user in users {
                if whole {
                    writer.json(&user)?;
                } else if let (Some(m), Value::Object(o)) = (mapping, &user) {
                    writer.row(&m.reverse_record(o, ""))?;
                } else {
                    writer.row(&[
                        text(&user, "id"),
                        text(&user, "email"),
                        text(&user, "first_name"),
                        text(&user, "last_name"),
                        text(&user, "short_name"),
                        text(&user, "color"),
                        text(&user, "last_login"),
                    ])?;
                }
            }
        }
        Entity::Tasks => {
            let mut keys = std::collections::HashMap::new();
            for event in crate::schema::TaskEvent::ALL {
                let name = event.as_param();
                let params = [("event".to_string(), name.to_string())];
                let (tasks, requests) = all_pages(client, "/api/tasks.json", &params)?;
                pages += requests;
                for mut task in tasks {
                    if whole {
                        if let Value::Object(o) = &mut task {
                            o.entry("event").or_insert_with(|| name.into());
                        }
                        writer.json(&task)?;
                    } else if let (Some(m), Value::Object(o)) = (mapping, &task) {
                        let key = task_contact_key(client, m, &task, &mut keys)?;
                        writer.row(&m.reverse_record(o, &key))?;
                    } else {
                        writer.row(&task_row(&task, name))?;
                    }
                }
            }
        }
        Entity::Activities => {
            pages += activities(client, options, mapping, &mut writer, whole)?;
        }
        Entity::Contacts => unreachable!(),
    }
    let rows = writer.rows();
    let file = writer.stage()?;
    let stats = client.stats();
    let summary = Summary {
        rows,
        columns: if whole { 0 } else { columns.len() },
        header: if whole { Vec::new() } else { columns },
        fetch: fetch::FetchStats {
            passes: 1,
            pages,
            seconds: started.elapsed().as_secs_f64(),
            ..Default::default()
        },
        left_out: Default::default(),
        watermark: None,
        boundary: Vec::new(),
        unchanged_skipped: 0,
        seconds: started.elapsed().as_secs_f64(),
        requests: stats.requests,
        retries: stats.retries,
        rate_limited: stats.rate_limited,
    };
    Ok(Exported { summary, file })
}

/// One contact's activity, read.
struct ContactActivity {
    id: i64,
    email: String,
    /// The contact as the mapping's `[contact]` names it.
    key: String,
    items: Vec<Value>,
    requests: u64,
}

/// Every contact's activity: the contacts (ids and first emails) from the listing, drift
/// reconciled like a contact export, then each contact's activity in parallel, written in
/// the contacts' order. Returns the requests made for activity pages.
fn activities<C: Clock>(
    client: &Client<C>,
    options: &Options,
    mapping: Option<&Mapping>,
    writer: &mut TableWriter,
    whole: bool,
) -> Result<u64> {
    let listing = fetch::Listing {
        query: &options.query,
        per_page: options.per_page,
        concurrency: options.concurrency,
        interrupt: options.interrupt.as_ref(),
    };
    let template = "{spinner} contacts: page {pos}/{len} {msg}";
    let (mut spool, _) = super::spool_listing(
        client,
        &listing,
        &std::env::temp_dir(),
        options.quiet,
        template,
    )?;
    let contacts = spool.lines().map(|line| -> Result<(i64, String, String)> {
        let record: Value = serde_json::from_str(&line?)?;
        let id = record_id(&record).context("a contact without an id")?;
        let email = first_email(&record);
        let key = match mapping.and_then(Mapping::contact_match) {
            Some(ContactKey::Id) => id.to_string(),
            Some(ContactKey::Custom(name)) => custom_value(&record, &name),
            _ => email.clone(),
        };
        Ok((id, email, key))
    });
    let progress = Progress::counter(
        options.quiet,
        "{spinner} {human_pos} contacts' activity read ({per_sec}) {elapsed}",
    );
    let pipeline = Pipeline {
        chunk_size: 8,
        chunks_in_flight: options.concurrency * 2,
        workers: Workers::Threads(options.concurrency),
    };
    let mut requests = 0;
    pipeline.run(
        contacts,
        |chunk: Vec<(i64, String, String)>| -> Result<Vec<ContactActivity>> {
            chunk
                .into_iter()
                .map(|(id, email, key)| {
                    if options.interrupt.as_ref().is_some_and(|i| i.requested()) {
                        return Err(Interrupted(
                            "stopped by Ctrl-C; nothing written (the previous output is as it was)"
                                .into(),
                        )
                        .into());
                    }
                    let path = format!("/api/contact/{id}/activity.json");
                    let (items, n) = all_pages(client, &path, &[])?;
                    Ok(ContactActivity {
                        id,
                        email,
                        key,
                        items,
                        requests: n,
                    })
                })
                .collect()
        },
        |chunk| {
            for ContactActivity {
                id,
                email,
                key,
                items,
                requests: n,
            } in chunk?
            {
                requests += n;
                progress.inc(1);
                for mut activity in items {
                    if whole {
                        if let Value::Object(o) = &mut activity {
                            o.entry("contact_id").or_insert_with(|| id.into());
                        }
                        writer.json(&activity)?;
                    } else if let (Some(m), Value::Object(o)) = (mapping, &activity) {
                        writer.row(&m.reverse_record(o, &key))?;
                    } else {
                        writer.row(&activity_row(&activity, id, &email))?;
                    }
                }
            }
            Ok(())
        },
    )?;
    progress.finish();
    Ok(requests)
}
