//! Importing activities and tasks: each row's contact found by its key, each record created
//! exactly once with the same journal as contacts.
//!
//! A row's intent (its contact's id as the key, the body) is durable before it is sent; a
//! create whose answer was lost is looked up before anything is sent again: an activity
//! among its contact's, a task among those of its kind, by title (and type and description,
//! or dates and contact), created no earlier than the request and claimed by no other row.
//! Activities are sent form-encoded, as the original guide documents (the sandbox and the
//! newer summary also take JSON); tasks as JSON, as the summary shows.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use super::journal::{Journal, Outcome, Pending, State};
use super::lookup::{Finder, Key};
use super::{errors_of, not_applied_state, refused, Counts, Options, RowOutcome, RunStats};
use crate::api::{ApiError, Client};
use crate::clock::{unix_now, Clock};
use crate::mapping::config::ContactKey;
use crate::mapping::{Entity, Mapping};
use crate::read::{Row, Table};
use crate::schema::{parse_timestamp, ActivityInput, TaskInput};

/// Set once a server refused the form-encoded activity and took JSON: the rest of the run
/// sends JSON. (Process-wide: one import runs per process.)
static JSON_ACTIVITIES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs the import of activity or task rows.
pub fn run<C: Clock>(
    table: Table,
    mapping: &Mapping,
    client: &Client<C>,
    journal: &Journal,
    options: &Options,
    progress: impl Fn(Counts),
    interrupted: impl Fn() -> bool + Sync,
) -> Result<RunStats> {
    let started = Instant::now();
    let mut stats = RunStats::default();
    let entity = mapping.entity;
    // Pass 1: what an earlier run left unknown: found → created; not found → sent again
    // by the file pass.
    for pending in journal.pending()? {
        let outcome = match find_created(client, journal, entity, &pending)? {
            Some(id) => {
                stats.resolved_by_lookup += 1;
                Outcome::Created(id)
            }
            None => refused(
                State::Failed,
                Some(&pending.key),
                "not applied; sent again".into(),
            ),
        };
        journal.record(&[(pending.row, outcome)])?;
    }
    if options.lookup == super::Lookup::Index {
        stats.indexed = super::index_account(client, journal)?;
    }
    let finder = Finder {
        journal,
        client,
        lookup: options.lookup,
    };
    let sent = AtomicUsize::new(0);
    let sending = super::Sending {
        journal,
        sent: &sent,
        stop: &interrupted,
    };
    stats.rows_read = super::write_rows(
        table,
        options.concurrency,
        client.rate(),
        |rows| import_chunk(&rows, mapping, &finder, &sending),
        progress,
    )?;
    stats.sent = sent.load(Ordering::Relaxed);
    stats.interrupted = interrupted();
    // Pass 3: answers lost in pass 2, one at a time: looked up, else sent again (a few
    // times, each looked up first); what is still unknown is resolved by the next run.
    if !stats.interrupted {
        for mut pending in journal.pending()? {
            for _ in 0..super::RESEND_ATTEMPTS {
                if let Some(id) = find_created(client, journal, entity, &pending)? {
                    stats.resolved_by_lookup += 1;
                    journal.created(pending.row, id)?;
                    break;
                }
                pending.sent_at = unix_now();
                pending.server_offset = client.server_offset();
                journal.sending(&pending)?;
                stats.resent += 1;
                match send(client, entity, &pending) {
                    Ok(id) => {
                        journal.created(pending.row, id)?;
                        break;
                    }
                    Err(e) if e.may_have_been_applied() => continue,
                    Err(e @ ApiError::Unauthorized { .. }) => return Err(e.into()),
                    Err(e) => {
                        let state = not_applied_state(&e);
                        journal.not_created(
                            pending.row,
                            state,
                            Some(&pending.key),
                            &e.to_string(),
                        )?;
                        break;
                    }
                }
            }
        }
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// Decides a chunk of activity or task rows and sends those to send
/// ([`super::Sending::send_chunk`]), as the contact import does.
fn import_chunk<C: Clock>(
    rows: &[Row],
    mapping: &Mapping,
    finder: &Finder<C>,
    sending: &super::Sending,
) -> Result<Vec<RowOutcome>> {
    let journal = finder.journal;
    let client = finder.client;
    let mut outcomes = vec![RowOutcome::AlreadyDone; rows.len()];
    let mut records: Vec<(usize, Outcome)> = Vec::new();
    let mut intents: Vec<(usize, Pending)> = Vec::new();
    let finished = journal.finished(&rows.iter().map(|r| r.number).collect::<Vec<_>>())?;
    for (i, row) in rows.iter().enumerate() {
        if finished.contains(&row.number) {
            continue;
        }
        let (contact, record) = match decide(row, mapping, finder)? {
            Decided::Refused { state, key, reason } => {
                records.push((row.number, refused(state, key.as_deref(), reason)));
                outcomes[i] = if state == State::Invalid {
                    RowOutcome::Invalid
                } else {
                    RowOutcome::Rejected
                };
                continue;
            }
            Decided::Create { contact, record } => (contact, record),
        };
        intents.push((
            i,
            Pending {
                row: row.number,
                key: contact.to_string(),
                sent_at: unix_now(),
                server_offset: client.server_offset(),
                body: Value::Object(record).to_string(),
                existing: None,
            },
        ));
    }
    let send = |pending: &Pending| {
        let id = send(client, mapping.entity, pending)?;
        Ok((RowOutcome::Created, Outcome::Created(id)))
    };
    sending.send_chunk(&intents, &mut outcomes, records, send)?;
    Ok(outcomes)
}

/// What a row asks for, before anything is sent.
enum Decided {
    Refused {
        state: State,
        key: Option<String>,
        reason: String,
    },
    /// Create `record` for the contact with this id.
    Create {
        contact: i64,
        record: Map<String, Value>,
    },
}

/// Maps and checks a row and finds its contact (the same for the run and the plan).
fn decide<C: Clock>(row: &Row, mapping: &Mapping, finder: &Finder<C>) -> Result<Decided> {
    let mut mapped = mapping.apply(row);
    crate::validate::check_record(mapping, &mut mapped);
    if let Some(reason) = errors_of(&mapped) {
        return Ok(Decided::Refused {
            state: State::Invalid,
            key: None,
            reason,
        });
    }
    let key_text = mapped.contact_key().unwrap_or_default().to_string();
    let custom;
    let key = match mapping.contact_match() {
        Some(ContactKey::Id) => match key_text.trim().parse::<i64>() {
            Ok(id) => Key::Id(id),
            Err(_) => {
                return Ok(Decided::Refused {
                    state: State::Invalid,
                    key: None,
                    reason: format!("{key_text:?} is not a contact id"),
                })
            }
        },
        Some(ContactKey::Custom(name)) => {
            custom = super::MatchKey::custom(&name, &key_text);
            Key::Custom(&custom)
        }
        _ => Key::Email(&key_text),
    };
    let refused_with = |reason: String| Decided::Refused {
        state: State::Rejected,
        key: Some(key_text.clone()),
        reason,
    };
    Ok(match finder.find(&key, 2)?.as_slice() {
        [(id, _)] => Decided::Create {
            contact: *id,
            record: mapped.other.map(|o| o.fields).unwrap_or_default(),
        },
        [] => refused_with(format!(
            "no contact has {key_text}; the row names its contact by it"
        )),
        _ => refused_with(format!(
            "ambiguous: several contacts have {key_text}; not guessed"
        )),
    })
}

/// `--plan` for activities and tasks: each row's action (create, or why not) into `path`,
/// asking the server only to read.
pub fn plan<C: Clock>(
    table: Table,
    mapping: &Mapping,
    client: &Client<C>,
    options: &Options,
    path: &std::path::Path,
) -> Result<super::Plan> {
    let scratch = tempfile::tempdir()?;
    let index = Journal::open(scratch.path(), &[])?;
    let finder = super::plan::plan_finder(client, &index, options, true)?;
    let mut out = super::plan::plan_file(path)?;
    let mut plan = super::Plan::default();
    for row in table.rows {
        let row = row?;
        let number = row.number.to_string();
        let line = match decide(&row, mapping, &finder)? {
            Decided::Refused { state, key, reason } => {
                super::plan::refused_line(&mut plan, number, state, key, reason)
            }
            Decided::Create { contact, record } => {
                plan.create += 1;
                let title = record
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                [
                    number,
                    "create".into(),
                    contact.to_string(),
                    String::new(),
                    format!("{} {title:?}", mapping.entity.name()),
                ]
            }
        };
        out.row(&line)?;
    }
    out.finish()?;
    plan.read_requests = client.stats().requests;
    Ok(plan)
}

/// Sends one create; the new record's id.
fn send<C: Clock>(client: &Client<C>, entity: Entity, pending: &Pending) -> Result<i64, ApiError> {
    let record: Map<String, Value> = serde_json::from_str(&pending.body).unwrap_or_default();
    let contact: i64 = pending.key.parse().unwrap_or(0);
    let id = match entity {
        Entity::Activity => {
            let text = |k: &str| record.get(k).and_then(Value::as_str).map(String::from);
            let input = ActivityInput {
                title: text("title"),
                activity_type: text("activity_type"),
                description: text("description"),
            };
            // The guide's form fields first; a server that refuses them (400 or 415: not
            // applied) gets the summary's JSON, and keeps getting it for the rest of the run.
            if JSON_ACTIVITIES.load(Ordering::Relaxed) {
                client.create_activity_json(contact, &input)?.id
            } else {
                match client.create_activity(contact, &input) {
                    Ok(made) => made.id,
                    Err(ApiError::Rejected {
                        status: 400 | 415, ..
                    }) => {
                        let made = client.create_activity_json(contact, &input)?;
                        JSON_ACTIVITIES.store(true, Ordering::Relaxed);
                        made.id
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        _ => {
            let mut body = record.clone();
            body.insert("contacts".into(), contact.into());
            let input: TaskInput =
                serde_json::from_value(Value::Object(body)).map_err(|e| ApiError::Protocol {
                    call: "POST /api/tasks".into(),
                    message: format!("the task's body could not be made: {e}"),
                })?;
            client.create_task(&input)?.id
        }
    };
    id.ok_or_else(|| ApiError::Protocol {
        call: "create".into(),
        message: "the server answered a create without an id".into(),
    })
}

/// The id of the record a lost create made, if it made one.
fn find_created<C: Clock>(
    client: &Client<C>,
    journal: &Journal,
    entity: Entity,
    pending: &Pending,
) -> Result<Option<i64>> {
    let body: Map<String, Value> = serde_json::from_str(&pending.body).unwrap_or_default();
    let contact: i64 = pending.key.parse().unwrap_or(0);
    let earliest = match pending.server_offset {
        Some(offset) => pending.sent_at + offset - super::resolve::CLOCK_SLACK_SECS,
        None => pending.sent_at - super::resolve::UNKNOWN_CLOCK_SLACK_SECS,
    };
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let (path, params) = match entity {
        Entity::Activity => (format!("/api/contact/{contact}/activity.json"), Vec::new()),
        _ => (
            "/api/tasks.json".to_string(),
            vec![(
                "event".to_string(),
                text(body.get("event"))
                    .chars()
                    .next()
                    .map_or("task_new".into(), |_| text(body.get("event"))),
            )],
        ),
    };
    let mut found: Option<i64> = None;
    let mut params = params;
    params.push(("results".into(), "1000".into()));
    for number in 1.. {
        let page = client
            .page::<Value>(&path, &params, number)
            .with_context(|| format!("looking up a lost create in {path}"))?;
        if page.items.is_empty() {
            break;
        }
        let held = page.items.len() as u64;
        for record in &page.items {
            let Some(id) = crate::export::record_id(record) else {
                continue;
            };
            let same = text(record.get("title")) == text(body.get("title"))
                && match entity {
                    Entity::Activity => {
                        let kind = match record.get("activity_type") {
                            Some(Value::Object(o)) => text(o.get("activity")),
                            other => text(other),
                        };
                        kind == text(body.get("activity_type"))
                            && text(record.get("description")) == text(body.get("description"))
                    }
                    _ => {
                        let day = |v: Option<&Value>| {
                            let t = text(v);
                            crate::schema::date_part(&t).map(String::from).unwrap_or(t)
                        };
                        let task_contact = record
                            .get("contacts")
                            .and_then(|c| c.as_array().and_then(|a| a.first()).or(Some(c)))
                            .and_then(crate::export::record_id);
                        day(record.get("due_date")) == day(body.get("due_date"))
                            && day(record.get("start_date")) == day(body.get("start_date"))
                            && task_contact == Some(contact)
                    }
                };
            let created = record
                .get("created")
                .and_then(Value::as_str)
                .and_then(parse_timestamp)
                .map(|t| t.timestamp());
            if same
                && created.is_some_and(|at| at >= earliest)
                && found.is_none_or(|f| id < f)
                && !journal.is_claimed(id)?
            {
                found = Some(id);
            }
        }
        if page.total.is_some_and(|t| number * held >= t) {
            break;
        }
    }
    Ok(found)
}
