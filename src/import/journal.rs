//! The import's journal: what was asked of the server for each row, and what came of it,
//! durable before the request goes and when its answer comes, so a run killed at any point
//! resumes without losing or repeating a row.
//!
//! One SQLite file in the output directory. A row's states:
//! - `sending`: the create is about to go, or went and its answer was lost; whether it was
//!   applied is found out by looking the contact up before anything is sent again;
//! - `created`: done, with the contact's id (a contact id is claimed by one row at most: a
//!   unique index says so). Kept in a table of its own, `created`, an insert instead of an
//!   update of the row's intent: the cheapest durable write the hot path makes. Journals
//!   of earlier versions, with `created` in `rows` (and their own unique index there,
//!   `rows_created`, which new journals do not make: no row is written that way now), read
//!   the same through the `outcomes` view;
//! - `rejected`: the server refused it (final for this input);
//! - `invalid`: never sent (the dry run's errors);
//! - `failed`: not applied (no connection, rate limited to the end): sent again on resume;
//! - `rolled_back`: created, then deleted by `bcetl rollback` (an import run again creates
//!   it again).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// One process owns the journal while it runs (exclusive locking): the locks are taken once
/// instead of around every transaction, and a second import into the same folder is
/// refused instead of interleaving with the first.
const SCHEMA: &str = "
PRAGMA locking_mode = EXCLUSIVE;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    row INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    key TEXT,
    contact_id INTEGER,
    sent_at INTEGER,
    server_offset INTEGER,
    body TEXT,
    reason TEXT,
    action TEXT NOT NULL DEFAULT 'create',
    before TEXT);
CREATE TABLE IF NOT EXISTS created (row INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL UNIQUE);
CREATE INDEX IF NOT EXISTS rows_contact ON rows (contact_id) WHERE contact_id IS NOT NULL;
CREATE TEMP VIEW IF NOT EXISTS outcomes AS
    SELECT r.row, r.key, r.sent_at, r.server_offset, r.body, r.action, r.before,
        CASE WHEN c.row IS NULL THEN r.state ELSE 'created' END AS state,
        COALESCE(c.contact_id, r.contact_id) AS contact_id,
        CASE WHEN c.row IS NULL THEN r.reason END AS reason
    FROM rows r LEFT JOIN created c ON c.row = r.row;
CREATE TABLE IF NOT EXISTS account (key TEXT NOT NULL, contact_id INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS account_key ON account (key);
";

/// The outcomes' statements (see [`Journal::record`]).
const CREATED: &str = "INSERT INTO created (row, contact_id) VALUES (?1, ?2)";
const DONE: &str =
    "INSERT INTO rows (row, state, key, contact_id, action) VALUES (?1, ?2, ?3, ?4, 'update')
     ON CONFLICT(row) DO UPDATE SET state = ?2, reason = NULL, key = ?3, contact_id = ?4";
const NOT_CREATED: &str = "INSERT INTO rows (row, state, key, reason) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT(row) DO UPDATE SET state = ?2, key = COALESCE(?3, key), reason = ?4";

/// Asked for each contact a lost answer's look-up finds, so both halves go by index
/// (`created`'s unique one, `rows_contact`): a scan of a million-row journal took 0.14 s.
const IS_CLAIMED: &str = "SELECT 1 FROM created WHERE contact_id = ?1
     UNION ALL SELECT 1 FROM rows WHERE contact_id = ?1";

/// `slot`'s statement, prepared (from the connection's cache) the first time it is wanted.
fn statement<'s, 'c>(
    conn: &'c Connection,
    slot: &'s mut Option<rusqlite::CachedStatement<'c>>,
    sql: &str,
) -> rusqlite::Result<&'s mut rusqlite::CachedStatement<'c>> {
    if slot.is_none() {
        *slot = Some(conn.prepare_cached(sql)?);
    }
    Ok(slot.as_mut().expect("set above"))
}

/// What a row came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Sending,
    Created,
    Rejected,
    Invalid,
    Failed,
    RolledBack,
    /// An existing contact was changed (its record before is kept for rollback).
    Updated,
    /// An existing contact already held what the row says: nothing was sent.
    Unchanged,
    /// The contact the row names was deleted (its record before is kept for rollback).
    Deleted,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Sending => "sending",
            State::Created => "created",
            State::Rejected => "rejected",
            State::Invalid => "invalid",
            State::Failed => "failed",
            State::RolledBack => "rolled_back",
            State::Updated => "updated",
            State::Unchanged => "unchanged",
            State::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> Result<State> {
        Ok(match text {
            "sending" => State::Sending,
            "created" => State::Created,
            "rejected" => State::Rejected,
            "invalid" => State::Invalid,
            "failed" => State::Failed,
            "rolled_back" => State::RolledBack,
            "updated" => State::Updated,
            "unchanged" => State::Unchanged,
            "deleted" => State::Deleted,
            other => bail!("the journal holds an unknown state {other:?}"),
        })
    }

    /// Whether a resumed run leaves the row alone.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Created
                | State::Rejected
                | State::Invalid
                | State::Updated
                | State::Unchanged
                | State::Deleted
        )
    }
}

/// What became of a row, for [`Journal::record`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created(i64),
    /// The update went through, or had nothing to change: the row's final state, with the
    /// contact and key (an unchanged row has no intent recorded before).
    Done {
        state: State,
        contact_id: i64,
        key: String,
    },
    NotCreated {
        state: State,
        key: Option<String>,
        reason: String,
    },
}

/// A row whose create went out and whose outcome is not known.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub row: usize,
    pub key: String,
    /// Local Unix time the latest attempt was recorded at.
    pub sent_at: i64,
    /// The server's clock minus ours when it was sent, when known.
    pub server_offset: Option<i64>,
    /// The body sent.
    pub body: String,
    /// `None` for a create; for an update or a delete, the contact and its record before.
    pub existing: Option<Existing>,
}

/// The contact an update or a delete is sent for.
#[derive(Debug, Clone, PartialEq)]
pub struct Existing {
    pub id: i64,
    /// Its record before, as JSON of the input shape (what a rollback puts back).
    pub before: String,
    /// A delete, not an update.
    pub delete: bool,
}

/// A row as the output files list it (its cells come from the input, read again).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub row: usize,
    pub state: State,
    pub key: Option<String>,
    pub contact_id: Option<i64>,
    pub reason: Option<String>,
}

/// Shared by the writer threads: one connection, one statement at a time.
pub struct Journal {
    conn: Mutex<Synced>,
}

/// The connection, and whether its commits are synced to disk (`synchronous = FULL`, how it
/// opens) or only written (`NORMAL`, for outcomes). Switched only when the next write
/// wants the other: setting it before and after each write of outcomes was two more
/// statements for every chunk.
struct Synced {
    conn: Connection,
    full: bool,
}

impl Synced {
    fn set_full(&mut self, full: bool) -> Result<&Connection> {
        if self.full != full {
            let mode = if full { "FULL" } else { "NORMAL" };
            self.conn.pragma_update(None, "synchronous", mode)?;
            self.full = full;
        }
        Ok(&self.conn)
    }
}

impl std::ops::Deref for Synced {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Journal {
    /// Opens (or starts) the journal in `dir`. `identity` names what the run is of (the
    /// input's and the mapping's hashes, the mode): a journal started for something else is
    /// refused, with what to do.
    pub fn open(dir: &Path, identity: &[(&str, String)]) -> Result<Journal> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the output folder", dir.display()))?;
        let path = dir.join("journal.sqlite");
        let conn = Connection::open(&path)
            .with_context(|| format!("{}: cannot open the journal", path.display()))?;
        // Held by one run from start to end (exclusive locking): waiting for it is waiting
        // for that whole run, so a second one is told at once.
        conn.busy_timeout(std::time::Duration::ZERO)?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    anyhow::anyhow!(
                        "{}: another bcetl is using this journal (an import or a rollback of the \
                     same folder); wait for it to finish, or stop it",
                        path.display()
                    )
                }
                _ => anyhow::Error::new(e)
                    .context(format!("{}: cannot set up the journal", path.display())),
            })?;
        for (key, value) in identity {
            let stored: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                    r.get(0)
                })
                .optional()?;
            match stored {
                None => {
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                        params![key, value],
                    )?;
                }
                Some(stored) if stored == *value => {}
                Some(_) => bail!(
                    "{}: this folder holds the journal of an import whose {key} differs from \
                     this one's; the two cannot be mixed. To resume that import, run it with \
                     its own input, mapping and options; to start this one, give another --out \
                     folder (or remove {})",
                    dir.display(),
                    dir.display()
                ),
            }
        }
        Ok(Journal {
            conn: Mutex::new(Synced { conn, full: true }),
        })
    }

    /// The connection, its commits synced to disk.
    fn conn(&self) -> Result<MutexGuard<'_, Synced>> {
        let mut guard = self.conn.lock().expect("journal lock");
        guard.set_full(true)?;
        Ok(guard)
    }

    /// Which of `rows` (a chunk's row numbers) are done for good, in one query for the chunk
    /// instead of one per row.
    pub fn finished(&self, rows: &[usize]) -> Result<std::collections::HashSet<usize>> {
        let (Some(first), Some(last)) = (rows.iter().min(), rows.iter().max()) else {
            return Ok(Default::default());
        };
        let conn = self.conn()?;
        let mut query =
            conn.prepare_cached("SELECT row, state FROM outcomes WHERE row BETWEEN ?1 AND ?2")?;
        let mut finished = std::collections::HashSet::new();
        let mut found = query.query(params![*first as i64, *last as i64])?;
        while let Some(r) = found.next()? {
            let (row, state): (i64, String) = (r.get(0)?, r.get(1)?);
            if State::parse(&state)?.is_final() {
                finished.insert(row as usize);
            }
        }
        Ok(finished)
    }

    /// Records that the row's create is about to go: durable before the request is sent.
    pub fn sending(&self, pending: &Pending) -> Result<()> {
        self.sending_all([pending])
    }

    /// Records several rows' intents in one transaction (one sync to disk), before any of
    /// their requests is sent.
    pub fn sending_all<'a>(&self, pending: impl IntoIterator<Item = &'a Pending>) -> Result<()> {
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO rows (row, state, key, sent_at, server_offset, body, action, contact_id, before)
                 VALUES (?1, 'sending', ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(row) DO UPDATE SET state = 'sending', key = ?2, sent_at = ?3,
                     server_offset = ?4, body = ?5, reason = NULL, action = ?6, contact_id = ?7, before = ?8",
            )?;
            for p in pending {
                let (action, id, before) = match &p.existing {
                    Some(e) => (
                        if e.delete { "delete" } else { "update" },
                        Some(e.id),
                        Some(e.before.as_str()),
                    ),
                    None => ("create", None, None),
                };
                insert.execute(params![
                    p.row as i64,
                    p.key,
                    p.sent_at,
                    p.server_offset,
                    p.body,
                    action,
                    id,
                    before
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The row's contact exists: created by it, or found after a lost answer.
    pub fn created(&self, row: usize, contact_id: i64) -> Result<()> {
        self.record(&[(row, Outcome::Created(contact_id))])
    }

    /// The row did not become a contact: `state` says whether for good.
    pub fn not_created(
        &self,
        row: usize,
        state: State,
        key: Option<&str>,
        reason: &str,
    ) -> Result<()> {
        let outcome = Outcome::NotCreated {
            state,
            key: key.map(str::to_string),
            reason: reason.to_string(),
        };
        self.record(&[(row, outcome)])
    }

    /// Records what several rows came to, in one transaction.
    ///
    /// Written to the log at once but not synced to disk on its own (a sync costs more than
    /// the request): a run killed or stopped keeps it, since the operating system has it,
    /// and the next intent's commit syncs it with that. Only a power cut in between can
    /// lose it, and then the rows are `sending` again and are looked up before anything is
    /// sent for them, as any unknown outcome is. Intents, whose loss could send a row
    /// twice, are always synced before their requests go.
    pub fn record(&self, outcomes: &[(usize, Outcome)]) -> Result<()> {
        let mut guard = self.conn.lock().expect("journal lock");
        Self::write_outcomes(guard.set_full(false)?, outcomes)
    }

    fn write_outcomes(conn: &Connection, outcomes: &[(usize, Outcome)]) -> Result<()> {
        let tx = conn.unchecked_transaction()?;
        {
            // Each statement taken from the cache once per chunk, not once per row.
            let mut created = None;
            let mut done = None;
            let mut not_created = None;
            for (row, outcome) in outcomes {
                match outcome {
                    Outcome::Created(id) => {
                        statement(&tx, &mut created, CREATED)?.execute(params![*row as i64, id])?
                    }
                    Outcome::Done {
                        state,
                        contact_id,
                        key,
                    } => statement(&tx, &mut done, DONE)?.execute(params![
                        *row as i64,
                        state.as_str(),
                        key,
                        contact_id
                    ])?,
                    Outcome::NotCreated { state, key, reason } => {
                        statement(&tx, &mut not_created, NOT_CREATED)?.execute(params![
                            *row as i64,
                            state.as_str(),
                            key,
                            reason
                        ])?
                    }
                };
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes back the intents of rows that were not sent (the run was stopped first), so
    /// the next run takes them as rows not read yet, without looking them up.
    pub fn withdraw(&self, rows: &[usize]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        for row in rows {
            tx.prepare_cached(
                "DELETE FROM rows WHERE row = ?1 AND state = 'sending'
                 AND NOT EXISTS (SELECT 1 FROM created WHERE row = ?1)",
            )?
            .execute(params![*row as i64])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the account index (email → contact) with what `fill` adds.
    pub fn rebuild_index(
        &self,
        fill: impl FnOnce(&mut dyn FnMut(&str, i64, &str) -> Result<()>) -> Result<()>,
    ) -> Result<usize> {
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        tx.execute("DELETE FROM account", [])?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO account (key, contact_id, doc) VALUES (?1, ?2, ?3)")?;
            fill(&mut |key, id, doc| {
                insert.execute(params![key.to_lowercase(), id, doc])?;
                added += 1;
                Ok(())
            })?;
        }
        tx.commit()?;
        Ok(added)
    }

    /// The contacts the index holds for a key: (id, the record as JSON), at most `limit`.
    pub fn index_lookup(&self, key: &str, limit: usize) -> Result<Vec<(i64, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT contact_id, doc FROM account WHERE key = ?1 ORDER BY contact_id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![key.to_lowercase(), limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Rows that deleted a contact, as a create of its record before would be pending:
    /// `sent_at` is when the delete was sent, so a contact re-created by an earlier rollback
    /// (created after it, same email and names, not claimed) is found before one is sent.
    pub fn deleted_contacts(&self) -> Result<Vec<Pending>> {
        self.pending_where(
            "SELECT row, key, sent_at, server_offset, before, 'create', NULL, NULL FROM rows
             WHERE state = 'deleted' ORDER BY row",
        )
    }

    /// A deleted contact came back (as a new one, `new_id`): the row is rolled back.
    pub fn recreated(&self, row: usize, new_id: i64) -> Result<()> {
        self.conn()?.execute(
            "UPDATE rows SET state = 'rolled_back', contact_id = ?3, reason = ?2 WHERE row = ?1 AND state = 'deleted'",
            params![row as i64, format!("deleted, then re-created by bcetl rollback as contact {new_id}"), new_id],
        )?;
        Ok(())
    }

    /// Rows that updated a contact: row, contact id, its record before, the body sent.
    pub fn updated_contacts(&self) -> Result<Vec<(usize, i64, String, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT row, contact_id, before, body FROM rows WHERE state = 'updated' AND action = 'update' ORDER BY row",
        )?;
        let rows = stmt.query_map([], |r| {
            let text = |i: usize| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default);
            Ok((r.get::<_, i64>(0)? as usize, r.get(1)?, text(2)?, text(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The contact a rolled-back row had is gone: the row is free to be imported again.
    pub fn rolled_back(&self, row: usize) -> Result<()> {
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        let created = tx.execute("DELETE FROM created WHERE row = ?1", params![row as i64])? > 0;
        tx.execute(
            "UPDATE rows SET contact_id = CASE WHEN ?2 OR state = 'created' THEN NULL ELSE contact_id END,
                 reason = CASE WHEN ?2 OR state = 'created' THEN 'created, then deleted by bcetl rollback'
                     ELSE 'updated, then restored by bcetl rollback' END,
                 state = 'rolled_back'
             WHERE row = ?1 AND (?2 OR state IN ('created', 'updated'))",
            params![row as i64, created],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Rows whose contact exists, with its id, in row order.
    pub fn created_contacts(&self) -> Result<Vec<(usize, i64)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT row, contact_id FROM outcomes WHERE state = 'created' AND contact_id IS NOT NULL ORDER BY row",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)? as usize, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Like [`Journal::created_contacts`], with each row's key (for an activity, its
    /// contact's id, which its address on the server needs).
    pub fn created_with_keys(&self) -> Result<Vec<(usize, i64, String)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT row, contact_id, COALESCE(key, '') FROM outcomes WHERE state = 'created' AND contact_id IS NOT NULL ORDER BY row",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)? as usize, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What the journal was started for (`server`, `input`…).
    pub fn identity(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Opens the journal an import left in `dir`, whatever it was for (rollback).
    pub fn open_existing(dir: &Path) -> Result<Journal> {
        let path = dir.join("journal.sqlite");
        anyhow::ensure!(
            path.is_file(),
            "{}: no import journal here (journal.sqlite); give the folder an import wrote",
            dir.display()
        );
        Journal::open(dir, &[])
    }

    /// Rows whose create may have been applied, in row order.
    pub fn pending(&self) -> Result<Vec<Pending>> {
        self.pending_where(
            "SELECT row, key, sent_at, server_offset, body, action, contact_id, before FROM outcomes
             WHERE state = 'sending' ORDER BY row",
        )
    }

    /// Pending rows from a query selecting row, key, sent_at, server_offset, body, action,
    /// contact_id and before, in that order.
    fn pending_where(&self, sql: &str) -> Result<Vec<Pending>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            let text = |i: usize| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default);
            Ok(Pending {
                row: r.get::<_, i64>(0)? as usize,
                key: text(1)?,
                sent_at: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
                server_offset: r.get(3)?,
                body: text(4)?,
                existing: match text(5)?.as_str() {
                    "update" | "delete" => Some(Existing {
                        id: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                        before: text(7)?,
                        delete: text(5)? == "delete",
                    }),
                    _ => None,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether some row already claims this contact.
    pub fn is_claimed(&self, contact_id: i64) -> Result<bool> {
        Ok(self
            .conn()?
            .prepare_cached(IS_CLAIMED)?
            .query_row(params![contact_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every row, in row order, for the output files; `each` is called a row at a time.
    pub fn for_each(&self, mut each: impl FnMut(Entry) -> Result<()>) -> Result<()> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT row, state, key, contact_id, reason FROM outcomes ORDER BY row")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(Entry {
                row: r.get::<_, i64>(0)? as usize,
                state: State::parse(&r.get::<_, String>(1)?)?,
                key: r.get(2)?,
                contact_id: r.get(3)?,
                reason: r.get(4)?,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(input: &str) -> Vec<(&'static str, String)> {
        vec![("input", input.to_string()), ("mode", "create".into())]
    }

    fn create_of_row_2() -> Pending {
        Pending {
            row: 2,
            key: "a@x.io".into(),
            sent_at: 100,
            server_offset: None,
            body: "{}".into(),
            existing: None,
        }
    }

    #[test]
    fn states_survive_reopening_and_a_contact_is_claimed_once() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), &identity("h1")).unwrap();
        let pending = Pending {
            server_offset: Some(-3),
            ..create_of_row_2()
        };
        j.sending(&pending).unwrap();
        j.sending(&Pending {
            row: 3,
            ..pending.clone()
        })
        .unwrap();
        j.created(3, 77).unwrap();
        j.not_created(4, State::Invalid, None, "no email").unwrap();
        assert!(j.created(2, 77).is_err(), "77 belongs to row 3");
        drop(j);

        let j = Journal::open(dir.path(), &identity("h1")).unwrap();
        assert_eq!(j.pending().unwrap(), vec![pending]);
        assert_eq!(
            j.finished(&[2, 3, 4, 5]).unwrap(),
            [3, 4].into_iter().collect(),
            "created and invalid are final; sending (2) is not"
        );
        assert!(j.is_claimed(77).unwrap() && !j.is_claimed(78).unwrap());
        let mut seen = Vec::new();
        j.for_each(|e| {
            seen.push((e.row, e.state, e.reason));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![
                (2, State::Sending, None),
                (3, State::Created, None),
                (4, State::Invalid, Some("no email".to_string()))
            ]
        );
    }

    #[test]
    fn a_rolled_back_row_is_free_to_be_created_again() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), &identity("h1")).unwrap();
        let pending = create_of_row_2();
        j.sending(&pending).unwrap();
        j.created(2, 77).unwrap();
        assert_eq!(j.created_contacts().unwrap(), vec![(2, 77)]);
        j.rolled_back(2).unwrap();
        assert!(j.created_contacts().unwrap().is_empty());
        assert!(!j.is_claimed(77).unwrap(), "the contact is gone");
        assert!(j.finished(&[2]).unwrap().is_empty(), "imported again");

        j.sending(&pending).unwrap();
        assert_eq!(j.pending().unwrap(), vec![pending]);
        j.created(2, 78).unwrap();
        assert_eq!(j.created_contacts().unwrap(), vec![(2, 78)]);
    }

    /// Journals of versions that kept `created` in `rows` read the same, and their claims
    /// still hold.
    #[test]
    fn a_journal_of_an_earlier_version_reads_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), &identity("h1")).unwrap();
        j.conn()
            .unwrap()
            .execute_batch(
                "DROP TABLE created;
                 INSERT INTO rows (row, state, key, contact_id, action) VALUES (2, 'created', 'a@x.io', 77, 'create');",
            )
            .unwrap();
        drop(j);

        let j = Journal::open(dir.path(), &identity("h1")).unwrap();
        assert_eq!(j.created_contacts().unwrap(), vec![(2, 77)]);
        assert_eq!(j.finished(&[2]).unwrap(), [2].into_iter().collect());
        assert!(j.is_claimed(77).unwrap());
        j.rolled_back(2).unwrap();
        let mut seen = Vec::new();
        j.for_each(|e| {
            seen.push((e.row, e.state, e.contact_id));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(2, State::RolledBack, None)]);
    }

    #[test]
    fn a_claim_is_found_by_index_not_by_reading_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), &identity("h1")).unwrap();
        let conn = j.conn().unwrap();
        let mut plan = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {IS_CLAIMED}"))
            .unwrap();
        let steps: Vec<String> = plan
            .query_map([1], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            steps.iter().filter(|s| s.starts_with("SEARCH")).count() == 2
                && !steps.iter().any(|s| s.starts_with("SCAN")),
            "{steps:?}"
        );
    }

    #[test]
    fn a_journal_in_use_is_refused_with_why() {
        let dir = tempfile::tempdir().unwrap();
        let first = Journal::open(dir.path(), &identity("h1")).unwrap();
        let err = Journal::open(dir.path(), &identity("h1")).err().unwrap();
        assert!(
            format!("{err:#}").contains("another bcetl is using this journal"),
            "{err:#}"
        );
        drop(first);
        Journal::open(dir.path(), &identity("h1")).expect("free again once the first is closed");
    }

    #[test]
    fn a_journal_of_another_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Journal::open(dir.path(), &identity("h1")).unwrap();
        let err = Journal::open(dir.path(), &identity("h2")).err().unwrap();
        assert!(err.to_string().contains("input differs"), "{err}");
    }
}
