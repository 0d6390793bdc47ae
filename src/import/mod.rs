//! The import: every valid row of a file created in BigContacts exactly once, whatever the
//! network, the server or the operator does, with a journal to resume from.
//!
//! A run has three passes:
//! 1. rows the journal left `sending` (a run that died, or answers lost last time) are looked
//!    up; those found are done, the others are sent again below;
//! 2. the file runs through the shared [`crate::pipeline`]: reading and mapping ahead, N
//!    writer threads sharing one client (and so one rate limit), each row's intent recorded
//!    before its request and its outcome after;
//! 3. creates whose answer was lost in pass 2 are looked up one at a time (no other create
//!    runs meanwhile, so no other row's contact can be mistaken for this one's) and sent
//!    again only when not found.
//!
//! `success.csv`, `errors.csv` and `summary.json` are then written from the journal, so they
//! hold every row of every run, in row order.
//!
//! Depends on `read`, `mapping`, `validate` (record rules), `api`, `pipeline`, `write`.

mod journal;
mod lookup;
mod merge;
mod outputs;
mod plan;
mod records;
mod resolve;
mod rollback;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Result;

pub use journal::{Journal, State};
use lookup::Key;
pub use lookup::{Finder, Lookup};
pub use records::{plan as plan_records, run as run_records};

pub use outputs::{write_outputs, Totals};
pub use plan::{plan, Plan};
pub use rollback::{rollback, RollbackStats};

use crate::api::{ApiError, Client};
use crate::clock::{unix_now, Clock};
use crate::finding::{Finding, Severity};
use crate::mapping::{MappedRow, Mapping};
use crate::pipeline::{Pipeline, Workers};
use crate::read::{Row, Table};
use crate::schema::ContactInput;
use journal::{Existing, Outcome, Pending};
use resolve::find_created;

/// Rows a writer takes at once: their intents are synced to disk in one commit, which
/// costs a fraction of one commit per row (BENCHMARKS.md). About a second of the writer's
/// share of --rate, so the rows a `kill -9` leaves in doubt (each costs a look-up on
/// resume) are about a second's worth of requests however fast the run: at least 4 (a
/// slow run still shares its syncs), at most 128 (past that a sync is a small share of a
/// chunk's time, and the pipeline holds two chunks per writer). A stop (Ctrl-C) does not
/// wait for a chunk: the rows not yet sent are left for the next run
/// (`stopped_before_sending`).
fn rows_per_commit(rate: f64, writers: usize) -> usize {
    const FEWEST: f64 = 4.0;
    const MOST: f64 = 128.0;
    (rate / writers.max(1) as f64).clamp(FEWEST, MOST) as usize
}

/// Times a lost create is looked up and, when not found, sent again, before the row is
/// left for the next run to resolve.
const RESEND_ATTEMPTS: usize = 3;

/// What to do with each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Post every valid row as a new contact.
    Create,
    /// Change the contact the row's email names; a row naming none is an error.
    Update,
    /// Change the contact the row's email names, or create one when none has it.
    Upsert,
    /// Delete the contact the row's key names (its record is kept for rollback).
    Delete,
}

/// How a row finds the contact it updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchKey {
    /// Any of the contact's emails, ignoring case.
    Email,
    /// The contact's id, from the mapping's `[fields] id` column.
    Id,
    /// A custom field holding an external id (as a migration from another CRM carries
    /// one), by its name; values compare ignoring case and surrounding spaces.
    Custom(String),
}

impl MatchKey {
    /// `email` or `custom:NAME`, as `--match` takes it.
    pub fn parse(text: &str) -> Result<MatchKey, String> {
        match text.trim() {
            "email" => Ok(MatchKey::Email),
            "id" => Ok(MatchKey::Id),
            other => match other.strip_prefix("custom:") {
                Some(name) if !name.trim().is_empty() => Ok(MatchKey::Custom(name.trim().to_string())),
                _ => Err(format!(
                    "{other:?}: expected email, id, or custom:NAME (a custom field holding an external id)"
                )),
            },
        }
    }

    /// The index key for a custom field's value.
    fn custom(name: &str, value: &str) -> String {
        format!(
            "custom:{}={}",
            name.trim().to_lowercase(),
            value.trim().to_lowercase()
        )
    }
}

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub mode: Mode,
    pub match_key: MatchKey,
    /// Writer threads.
    pub concurrency: usize,
    /// Send the row's lists alone instead of merging them with the contact's.
    pub replace_lists: bool,
    /// On update, a blank cell clears its field (by default it leaves it as it is).
    pub blank_clears: bool,
    /// Where rows' contacts are found (see [`Lookup::choose`]).
    pub lookup: Lookup,
}

/// What happened to one row in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// Done in an earlier run.
    AlreadyDone,
    Created,
    Updated,
    Unchanged,
    Deleted,
    Invalid,
    Rejected,
    /// Not applied (no connection, rate limited to the end): sent again on the next run.
    Failed,
    /// The answer was lost; resolved after the main pass.
    Unknown,
    /// Not sent: the run was stopped (Ctrl-C) after the row's chunk was taken. Its intent
    /// is withdrawn, so the next run takes it as a row not read yet.
    NotTaken,
}

/// Counts as the run goes, for the progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows read and finished in this run.
    pub done: usize,
    pub created: usize,
    /// Updated, or found already as the row says.
    pub updated: usize,
    /// Invalid, rejected or not applied.
    pub failed: usize,
}

/// What the run did, for its summary.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    pub rows_read: usize,
    /// Contacts read into the index (update and upsert).
    pub indexed: usize,
    pub sent: usize,
    pub resolved_by_lookup: usize,
    pub resent: usize,
    pub seconds: f64,
    pub interrupted: bool,
}

/// Runs the import of `table` through `mapping` with `client`, `concurrency` writers.
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
    let concurrency = options.concurrency.max(1);

    // Pass 1: what an earlier run left unknown.
    for pending in journal.pending()? {
        resolve_or_fail(client, journal, &pending, &mut stats)?;
    }

    // The account's contacts by email, for finding the ones rows update: one request per
    // page of the largest size the server gives, instead of one per row. On disk, in the
    // journal's database, so a large account costs no memory.
    if options.mode != Mode::Create && options.lookup == Lookup::Index {
        stats.indexed = index_account(client, journal)?;
    }

    // Pass 2: the file.
    let sent = AtomicUsize::new(0);
    let sending = Sending {
        journal,
        sent: &sent,
        stop: &interrupted,
    };
    stats.rows_read = write_rows(
        table,
        concurrency,
        client.rate(),
        |rows| import_chunk(&rows, mapping, client, options, &sending),
        progress,
    )?;
    stats.sent = sent.load(Ordering::Relaxed);
    stats.interrupted = interrupted();

    // Pass 3: answers lost in pass 2, one at a time. Left for the next run when stopped.
    if !stats.interrupted {
        for pending in journal.pending()? {
            resolve_or_resend(client, journal, pending, &mut stats)?;
        }
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// Pass 2 of every import: `concurrency` writers take the file's rows a chunk at a time
/// through `import_chunk`, sharing the client's limiter of `rate` requests a second; the
/// outcomes are counted for the progress line. Gives the rows read and finished in this run.
fn write_rows(
    table: Table,
    concurrency: usize,
    rate: f64,
    import_chunk: impl Fn(Vec<Row>) -> Result<Vec<RowOutcome>> + Sync,
    progress: impl Fn(Counts),
) -> Result<usize> {
    let threads = concurrency.max(1);
    let writers = Pipeline {
        chunk_size: rows_per_commit(rate, threads),
        chunks_in_flight: threads * 2,
        workers: Workers::Threads(threads),
    };
    let mut counts = Counts::default();
    writers.run(table.rows, import_chunk, |outcomes| {
        for outcome in outcomes? {
            match outcome {
                RowOutcome::NotTaken => continue,
                RowOutcome::Created => counts.created += 1,
                RowOutcome::Updated | RowOutcome::Unchanged | RowOutcome::Deleted => {
                    counts.updated += 1
                }
                RowOutcome::Invalid | RowOutcome::Rejected | RowOutcome::Failed => {
                    counts.failed += 1
                }
                RowOutcome::AlreadyDone | RowOutcome::Unknown => {}
            }
            counts.done += 1;
        }
        progress(counts);
        Ok(())
    })?;
    Ok(counts.done)
}

/// Maps and checks a chunk of rows and sends those to send ([`Sending::send_chunk`]). A
/// run killed in between leaves the chunk's rows `sending`, and the next run looks each up
/// before sending it again.
fn import_chunk<C: Clock>(
    rows: &[Row],
    mapping: &Mapping,
    client: &Client<C>,
    options: &Options,
    sending: &Sending,
) -> Result<Vec<RowOutcome>> {
    let journal = sending.journal;
    let mut outcomes = vec![RowOutcome::AlreadyDone; rows.len()];
    let mut records: Vec<(usize, Outcome)> = Vec::new();
    let mut intents: Vec<(usize, Pending)> = Vec::new();
    let finished = journal.finished(&rows.iter().map(|r| r.number).collect::<Vec<_>>())?;
    for (i, row) in rows.iter().enumerate() {
        if finished.contains(&row.number) {
            continue;
        }
        let finder = Finder {
            journal,
            client,
            lookup: options.lookup,
        };
        let (key, contact, update) = match decide(row, mapping, &finder, options)? {
            Decision::Refused { state, key, reason } => {
                records.push((row.number, refused(state, key.as_deref(), reason)));
                outcomes[i] = if state == State::Invalid {
                    RowOutcome::Invalid
                } else {
                    RowOutcome::Rejected
                };
                continue;
            }
            Decision::Unchanged { contact_id, key } => {
                let done = Outcome::Done {
                    state: State::Unchanged,
                    contact_id,
                    key,
                };
                records.push((row.number, done));
                outcomes[i] = RowOutcome::Unchanged;
                continue;
            }
            Decision::Create { key, contact } => (key, contact, None),
            Decision::Update {
                key,
                contact_id,
                before,
                body,
                ..
            } => (
                key,
                body,
                Some(Existing {
                    id: contact_id,
                    before,
                    delete: false,
                }),
            ),
            Decision::Delete {
                key,
                contact_id,
                before,
            } => (
                key,
                ContactInput::default(),
                Some(Existing {
                    id: contact_id,
                    before,
                    delete: true,
                }),
            ),
        };
        intents.push((
            i,
            Pending {
                row: row.number,
                key,
                sent_at: unix_now(),
                server_offset: client.server_offset(),
                body: serde_json::to_string(&contact)?,
                existing: update,
            },
        ));
    }
    // The bodies sent are the journal's text, written out once.
    let send = |pending: &Pending| match &pending.existing {
        None => client
            .create_contact_json(&pending.body)
            .map(|id| (RowOutcome::Created, Outcome::Created(id))),
        Some(existing) => {
            let (state, outcome) = if existing.delete {
                send_delete(client, existing.id)?;
                (State::Deleted, RowOutcome::Deleted)
            } else {
                client.update_contact_json(existing.id, &pending.body)?;
                (State::Updated, RowOutcome::Updated)
            };
            let done = Outcome::Done {
                state,
                contact_id: existing.id,
                key: pending.key.clone(),
            };
            Ok((outcome, done))
        }
    };
    sending.send_chunk(&intents, &mut outcomes, records, send)?;
    Ok(outcomes)
}

/// What every import's writers share to send a chunk's rows.
struct Sending<'a> {
    journal: &'a Journal,
    /// Requests sent so far, for the summary.
    sent: &'a AtomicUsize,
    /// Whether the run was asked to stop (Ctrl-C).
    stop: &'a (dyn Fn() -> bool + Sync),
}

impl Sending<'_> {
    /// Journals the chunk's intents (one sync to disk for them all), sends them one after
    /// another with `send`, and journals the outcomes with `records` (the chunk's rows
    /// refused before sending) in one more transaction. A stop leaves the rows not yet sent
    /// for the next run, their intents withdrawn. `intents` are (position in the chunk,
    /// intent); `outcomes` are by position.
    fn send_chunk(
        &self,
        intents: &[(usize, Pending)],
        outcomes: &mut [RowOutcome],
        mut records: Vec<(usize, Outcome)>,
        send: impl Fn(&Pending) -> Result<(RowOutcome, Outcome), ApiError>,
    ) -> Result<()> {
        self.journal.sending_all(intents.iter().map(|(_, p)| p))?;
        let mut withdrawn = Vec::new();
        for (i, pending) in intents {
            if (self.stop)() {
                outcomes[*i] = RowOutcome::NotTaken;
                withdrawn.push(pending.row);
                continue;
            }
            self.sent.fetch_add(1, Ordering::Relaxed);
            let (outcome, record) = match send(pending) {
                Ok((outcome, record)) => (outcome, Some(record)),
                Err(e) if e.may_have_been_applied() => (RowOutcome::Unknown, None),
                Err(e @ ApiError::Unauthorized { .. }) => {
                    // What is known so far is kept; the rest stay `sending`, looked up next
                    // run.
                    self.journal.record(&records)?;
                    return Err(e.into());
                }
                Err(e) => not_applied(&e, &pending.key),
            };
            outcomes[*i] = outcome;
            records.extend(record.map(|r| (pending.row, r)));
        }
        self.journal.record(&records)?;
        self.journal.withdraw(&withdrawn)
    }
}

fn refused(state: State, key: Option<&str>, reason: String) -> Outcome {
    Outcome::NotCreated {
        state,
        key: key.map(str::to_string),
        reason,
    }
}

/// Reads every contact of the account into the journal's index, keyed by each email.
pub(super) fn index_account<C: Clock>(client: &Client<C>, journal: &Journal) -> Result<usize> {
    let query = crate::api::ContactQuery {
        results: Some(1000),
        ..crate::api::ContactQuery::default()
    };
    let mut seen = std::collections::HashSet::new();
    journal.rebuild_index(|add| {
        for page in client.all_contacts(&query) {
            for contact in page?.items {
                let Some(id) = contact.id else { continue };
                // Pages by offset shift when contacts come and go; an id is indexed once.
                if !seen.insert(id) {
                    continue;
                }
                let input = contact.to_input();
                let doc = serde_json::to_string(&input)?;
                add(&format!("id:{id}"), id, &doc)?;
                for email in contact.emails.iter().chain(&contact.office_emails) {
                    add(&email.email, id, &doc)?;
                }
                // Every custom field too: any of them may be the external id a run matches on.
                for field in input
                    .custom_fields
                    .iter()
                    .filter(|f| !f.value.trim().is_empty())
                {
                    add(&MatchKey::custom(&field.name, &field.value), id, &doc)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(seen.len())
}

/// What a row asks for, before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Not to be sent: invalid, or its key names no contact or several.
    Refused {
        state: State,
        key: Option<String>,
        reason: String,
    },
    /// The contact already holds what the row says.
    Unchanged {
        contact_id: i64,
        key: String,
    },
    Create {
        key: String,
        contact: ContactInput,
    },
    Update {
        key: String,
        contact_id: i64,
        /// The contact's record now, as JSON of its input shape.
        before: String,
        /// Now, and the body that changes it.
        current: Box<ContactInput>,
        body: ContactInput,
    },
    Delete {
        key: String,
        contact_id: i64,
        /// The contact's record now, as JSON of its input shape.
        before: String,
    },
}

/// Maps and checks a row, and finds what it asks of the server (the index in `journal`
/// answers for update and upsert).
pub fn decide<C: Clock>(
    row: &Row,
    mapping: &Mapping,
    finder: &Finder<C>,
    options: &Options,
) -> Result<Decision> {
    let mut mapped = mapping.apply(row);
    crate::validate::check_record(mapping, &mut mapped);
    let invalid = |reason: String| Decision::Refused {
        state: State::Invalid,
        key: None,
        reason,
    };
    // A new contact is refused for every problem of its row, listed as the report lists
    // them (a user who fixes what errors.csv says must not meet the rest next time).
    if options.mode == Mode::Create {
        if let Some(reason) = errors_of(&mapped) {
            return Ok(invalid(reason));
        }
    }
    // What a new contact needs (names, an email) is not asked of a row that changes or
    // deletes one: a blank cell leaves its field as it is.
    let (required, other): (Vec<Finding>, Vec<Finding>) = mapped
        .findings
        .drain(..)
        .partition(|f| f.rule == "required");
    mapped.findings = other;
    if let Some(reason) = errors_of(&mapped) {
        return Ok(invalid(reason));
    }
    mapped.findings = required;
    let missing_for_create = errors_of(&mapped);
    let email = mapped
        .contact
        .emails
        .first()
        .map(|e| e.email.clone())
        .unwrap_or_default();
    let contact = mapped.contact;
    if options.mode == Mode::Create {
        if let Some(reason) = missing_for_create {
            return Ok(invalid(reason));
        }
        return Ok(Decision::Create {
            key: email,
            contact,
        });
    }
    if options.match_key == MatchKey::Email && email.is_empty() {
        return Ok(invalid(
            "the match key, the email, is blank or not mapped on this row".into(),
        ));
    }
    let custom_key;
    let (find, key, named) = match &options.match_key {
        MatchKey::Email => (
            Key::Email(&email),
            email.clone(),
            format!("the email {email}"),
        ),
        MatchKey::Id => {
            let Some(id) = contact.id else {
                return Ok(Decision::Refused {
                    state: State::Invalid,
                    key: None,
                    reason: "the match key, the contact id, is blank or not mapped on this row (map it with `id = \"COLUMN\"` under [fields])".into(),
                });
            };
            (Key::Id(id), id.to_string(), format!("the id {id}"))
        }
        MatchKey::Custom(name) => {
            let value = contact
                .custom_fields
                .iter()
                .find(|f| f.name.trim().eq_ignore_ascii_case(name))
                .map(|f| f.value.trim().to_string())
                .filter(|v| !v.is_empty());
            let Some(value) = value else {
                return Ok(Decision::Refused {
                    state: State::Invalid,
                    key: None,
                    reason: format!(
                        "the match key, custom field {name:?}, is blank or not mapped on this row"
                    ),
                });
            };
            let named = format!("{name} {value}");
            custom_key = MatchKey::custom(name, &value);
            (Key::Custom(&custom_key), value, named)
        }
    };
    let found = finder.find(&find, 2)?;
    Ok(match found.as_slice() {
        // Ids are the server's to give: an upsert by id creates nothing for one it lacks.
        [] if options.match_key == MatchKey::Id && options.mode == Mode::Upsert => {
            Decision::Refused {
                reason: format!("no contact has {named}; an id cannot be given to a new contact (import into another account with --mode create)"),
                state: State::Rejected,
                key: Some(key),
            }
        }
        [] if matches!(options.mode, Mode::Update | Mode::Delete) => Decision::Refused {
            reason: if options.mode == Mode::Delete {
                format!("no contact has {named}; nothing to delete")
            } else {
                format!("no contact has {named}; --mode update changes existing contacts only (--mode upsert creates the missing)")
            },
            state: State::Rejected,
            key: Some(key),
        },
        [] if missing_for_create.is_some() => {
            invalid(missing_for_create.expect("checked just above"))
        }
        // A created contact is found again by its email, whatever the match key.
        [] => Decision::Create {
            key: email,
            contact,
        },
        [(id, before)] if options.mode == Mode::Delete => Decision::Delete {
            key,
            contact_id: *id,
            before: before.clone(),
        },
        [(id, before)] => {
            let current: ContactInput = serde_json::from_str(before)?;
            let (mut body, lists_changed) =
                merge::update_body(&current, &contact, options.replace_lists);
            if options.blank_clears {
                merge::clear_blanks(&current, &mut body, &mapping.mapped_fields());
            }
            if merge::changes_nothing(&current, &body, lists_changed) {
                Decision::Unchanged {
                    contact_id: *id,
                    key,
                }
            } else {
                Decision::Update {
                    key,
                    contact_id: *id,
                    before: before.clone(),
                    current: Box::new(current),
                    body,
                }
            }
        }
        _ => Decision::Refused {
            reason: format!(
                "ambiguous: several contacts have {named}; not guessed, fix the data or the key"
            ),
            state: State::Rejected,
            key: Some(key),
        },
    })
}

/// A row whose request was answered and not applied: rejected for good, or failed for now
/// (sent again by the next run).
fn not_applied(e: &ApiError, key: &str) -> (RowOutcome, Option<Outcome>) {
    let state = not_applied_state(e);
    let outcome = if state == State::Rejected {
        RowOutcome::Rejected
    } else {
        RowOutcome::Failed
    };
    (outcome, Some(refused(state, Some(key), e.to_string())))
}

/// An error that says the create was not applied: refused for good, or failed for now.
fn not_applied_state(e: &ApiError) -> State {
    if e.is_rejection() && !matches!(e, ApiError::RateLimited { .. }) {
        State::Rejected
    } else {
        State::Failed
    }
}

/// The row's errors in one line, or `None` when it may be sent.
fn errors_of(mapped: &MappedRow) -> Option<String> {
    let errors: Vec<String> = mapped
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| match &f.column {
            Some(column) => format!("{column}: {}", f.message),
            None => f.message.clone(),
        })
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

/// Pass 1: found → done; not found → failed (not applied), so the file pass sends it.
fn resolve_or_fail<C: Clock>(
    client: &Client<C>,
    journal: &Journal,
    pending: &Pending,
    stats: &mut RunStats,
) -> Result<()> {
    if let Some(existing) = &pending.existing {
        return resend_existing(client, journal, pending, existing, stats);
    }
    match find_created(client, journal, pending) {
        Ok(Some(id)) => {
            journal.created(pending.row, id)?;
            stats.resolved_by_lookup += 1;
        }
        Ok(None) => journal.not_created(
            pending.row,
            State::Failed,
            Some(&pending.key),
            "a lost create was looked up and not found: it was not applied, and is sent again",
        )?,
        // The lookup itself failed: the row stays unknown for the next run.
        Err(resolve::ResolveError::Api(e)) if !matches!(e, ApiError::Unauthorized { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Pass 3: looks a lost create up, and sends it again only when it is not found.
fn resolve_or_resend<C: Clock>(
    client: &Client<C>,
    journal: &Journal,
    mut pending: Pending,
    stats: &mut RunStats,
) -> Result<()> {
    if let Some(existing) = &pending.existing {
        return resend_existing(client, journal, &pending, existing, stats);
    }
    for _ in 0..RESEND_ATTEMPTS {
        match find_created(client, journal, &pending) {
            Ok(Some(id)) => {
                journal.created(pending.row, id)?;
                stats.resolved_by_lookup += 1;
                return Ok(());
            }
            Ok(None) => {}
            Err(resolve::ResolveError::Api(e)) if !matches!(e, ApiError::Unauthorized { .. }) => {
                return Ok(()); // unknown still: the next run resolves it
            }
            Err(e) => return Err(e.into()),
        }
        pending.sent_at = unix_now();
        pending.server_offset = client.server_offset();
        journal.sending(&pending)?;
        stats.resent += 1;
        match client.create_contact_json(&pending.body) {
            Ok(id) => {
                journal.created(pending.row, id)?;
                return Ok(());
            }
            Err(e) if e.may_have_been_applied() => continue,
            Err(e @ ApiError::Unauthorized { .. }) => return Err(e.into()),
            Err(e) => {
                let state = not_applied_state(&e);
                journal.not_created(pending.row, state, Some(&pending.key), &e.to_string())?;
                return Ok(());
            }
        }
    }
    Ok(())
}

/// An update or a delete whose answer was lost is sent again as it was: a PUT of the same
/// body, or a DELETE, leaves the contact the same however often it is applied.
fn resend_existing<C: Clock>(
    client: &Client<C>,
    journal: &Journal,
    pending: &Pending,
    existing: &Existing,
    stats: &mut RunStats,
) -> Result<()> {
    stats.resent += 1;
    let answer = if existing.delete {
        send_delete(client, existing.id).map(|_| ())
    } else {
        client.update_contact_json(existing.id, &pending.body)
    };
    match answer {
        Ok(()) => {
            let done = Outcome::Done {
                state: if existing.delete {
                    State::Deleted
                } else {
                    State::Updated
                },
                contact_id: existing.id,
                key: pending.key.clone(),
            };
            journal.record(&[(pending.row, done)])
        }
        Err(e) if e.may_have_been_applied() => Ok(()), // still unknown: the next run
        Err(e @ ApiError::Unauthorized { .. }) => Err(e.into()),
        Err(e) => journal.not_created(
            pending.row,
            not_applied_state(&e),
            Some(&pending.key),
            &e.to_string(),
        ),
    }
}

/// Deletes a contact; one already gone is what was asked (a delete applied before its
/// answer was lost finds it so).
fn send_delete<C: Clock>(
    client: &Client<C>,
    id: i64,
) -> Result<Option<crate::schema::Contact>, ApiError> {
    match client.delete_contact(id) {
        Ok(()) | Err(ApiError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::rows_per_commit;

    #[test]
    fn a_chunk_is_about_a_second_of_a_writers_requests() {
        assert_eq!(rows_per_commit(50.0, 2), 25);
        assert_eq!(rows_per_commit(5.0, 4), 4, "never fewer than 4");
        assert_eq!(rows_per_commit(1e6, 1), 128, "never more than 128");
        assert_eq!(rows_per_commit(100.0, 0), 100, "no writers counts as one");
    }
}
