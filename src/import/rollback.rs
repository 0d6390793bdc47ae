//! `bcetl rollback DIR`: deletes every contact an import created, resumably.
//!
//! The journal is the list: each row whose contact was created has it deleted, and is marked
//! `rolled_back` once the server says it is gone (a contact already gone counts: a rollback
//! killed after a delete and before its record finds it so). Deletes are idempotent, so a
//! lost answer is simply retried. A contact the import updated is put back as it was: its
//! record from before is sent, and every field the update set that it did not have is sent
//! blank (a blank clears), every list empty. A contact the import deleted is created again
//! from its record, as a new contact: its id, and the server's own fields (created,
//! updated), cannot be restored through the API. Re-creating is not idempotent, so those are
//! sent one at a time, each recorded as soon as it is answered.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;

use super::journal::Journal;
use crate::api::{ApiError, Client};
use crate::clock::Clock;
use crate::pipeline::{Pipeline, Workers};

/// What a rollback did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollbackStats {
    pub deleted: usize,
    /// Updated contacts put back as they were.
    pub restored: usize,
    /// Deleted contacts created again (with new ids: the API cannot restore an id).
    pub recreated: usize,
    /// Already gone when asked.
    pub already_gone: usize,
    /// Still there: the delete failed (the reason is printed).
    pub failed: Vec<(usize, String)>,
}

pub fn rollback<C: Clock>(
    client: &Client<C>,
    journal: &Journal,
    concurrency: usize,
    progress: impl Fn(usize),
    interrupted: impl Fn() -> bool + Sync,
) -> Result<RollbackStats> {
    let mut stats = RollbackStats::default();
    let mut done = 0;
    for (row, id, before, sent) in journal.updated_contacts()? {
        if interrupted() {
            return Ok(stats);
        }
        let body = restore_body(&before, &sent)?;
        match client.update_contact(id, &body) {
            Ok(_) => {
                journal.rolled_back(row)?;
                stats.restored += 1;
            }
            Err(e @ ApiError::Unauthorized { .. }) => return Err(e.into()),
            Err(e) => stats.failed.push((row, e.to_string())),
        }
        done += 1;
        progress(done);
    }
    for pending in journal.deleted_contacts()? {
        if interrupted() {
            return Ok(stats);
        }
        match recreate(client, journal, &pending)? {
            Ok(new_id) => {
                journal.recreated(pending.row, new_id)?;
                stats.recreated += 1;
            }
            Err(reason) => stats.failed.push((pending.row, reason)),
        }
        done += 1;
        progress(done);
    }
    // What the import created: contacts, or the activities or tasks of an import of those.
    let entity = journal
        .identity("entity")?
        .unwrap_or_else(|| "contact".into());
    let created = journal.created_with_keys()?;
    let workers = Pipeline {
        chunk_size: 1,
        chunks_in_flight: concurrency.max(1) * 4,
        workers: Workers::Threads(concurrency.max(1)),
    };
    let done = AtomicUsize::new(done);
    let source = created.into_iter().take_while(|_| !interrupted()).map(Ok);
    workers.run(
        source,
        |rows: Vec<(usize, i64, String)>| -> Result<Vec<(usize, Result<bool, ApiError>)>> {
            rows.into_iter()
                .map(|(row, id, key)| {
                    let deleted = match entity.as_str() {
                        "activity" => client.delete_activity(key.parse().unwrap_or(0), id),
                        "task" => client.delete_task(id),
                        _ => client.delete_contact(id),
                    };
                    let outcome = match deleted {
                        Ok(()) => Ok(true),
                        Err(ApiError::NotFound { .. }) => Ok(false),
                        Err(e @ ApiError::Unauthorized { .. }) => return Err(e.into()),
                        Err(e) => Err(e),
                    };
                    if outcome.is_ok() {
                        journal.rolled_back(row)?;
                    }
                    Ok((row, outcome))
                })
                .collect()
        },
        |outcomes| {
            for (row, outcome) in outcomes? {
                match outcome {
                    Ok(true) => stats.deleted += 1,
                    Ok(false) => stats.already_gone += 1,
                    Err(e) => stats.failed.push((row, e.to_string())),
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            }
            Ok(())
        },
    )?;
    Ok(stats)
}

/// The body that puts a contact back as `before` (JSON of its input shape) after `sent`.
fn restore_body(before: &str, sent: &str) -> Result<serde_json::Value> {
    use serde_json::Value;
    let mut body: Value = serde_json::from_str(before)?;
    let sent: Value = serde_json::from_str(sent)?;
    if let (Some(body), Some(sent)) = (body.as_object_mut(), sent.as_object()) {
        for (key, value) in sent {
            if !body.contains_key(key) {
                let blank = match value {
                    Value::Array(_) => Value::Array(Vec::new()),
                    Value::Object(_) => Value::Null,
                    _ => Value::String(String::new()),
                };
                body.insert(key.clone(), blank);
            }
        }
    }
    Ok(body)
}

/// Creates a deleted contact again, exactly once: one an earlier rollback already re-created
/// is found first (as a lost create is, see `resolve`), and a create whose answer is lost is
/// looked up before it is sent again.
fn recreate<C: Clock>(
    client: &Client<C>,
    journal: &Journal,
    pending: &super::journal::Pending,
) -> Result<Result<i64, String>> {
    let contact: crate::schema::ContactInput = serde_json::from_str(&pending.body)?;
    // Looked up by its email, whatever key the import matched it on.
    let Some(email) = contact.emails.first().map(|e| e.email.to_lowercase()) else {
        return Ok(Err(
            "the deleted contact had no email to find it again by".into()
        ));
    };
    let pending = super::journal::Pending {
        key: email,
        ..pending.clone()
    };
    let mut last_error = String::new();
    for _ in 0..3 {
        match super::resolve::find_created(client, journal, &pending) {
            Ok(Some(id)) => return Ok(Ok(id)),
            Ok(None) => {}
            Err(e) => return Ok(Err(e.to_string())),
        }
        // The contact as its schema reads it: the record kept held ids and server fields.
        match client.create_contact_json(&serde_json::to_string(&contact)?) {
            Ok(id) => return Ok(Ok(id)),
            Err(e @ ApiError::Unauthorized { .. }) => return Err(e.into()),
            Err(e) if e.may_have_been_applied() => last_error = e.to_string(),
            Err(e) => return Ok(Err(e.to_string())),
        }
    }
    Ok(Err(format!(
        "{last_error}; run the rollback again to finish"
    )))
}
