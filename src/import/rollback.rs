//! `bcetl rollback DIR`: deletes every contact an import created, resumably.
//!
//! The journal is the list: each row whose contact was created has it deleted, and is marked
//! `rolled_back` once the server says it is gone (a contact already gone counts: a rollback
//! killed after a delete and before its record finds it so). Deletes are idempotent, so a
//! lost answer is simply retried. Contacts an import only updated or deleted are restored by
//! the import modes that make them (not in this version).

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
    let created = journal.created_contacts()?;
    let workers = Pipeline {
        chunk_size: 1,
        chunks_in_flight: concurrency.max(1) * 4,
        workers: Workers::Threads(concurrency.max(1)),
    };
    let mut stats = RollbackStats::default();
    let done = AtomicUsize::new(0);
    let source = created.into_iter().take_while(|_| !interrupted()).map(Ok);
    workers.run(
        source,
        |rows: Vec<(usize, i64)>| -> Result<Vec<(usize, Result<bool, ApiError>)>> {
            rows.into_iter()
                .map(|(row, id)| {
                    let outcome = match client.delete_contact(id) {
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
