//! The files a run leaves in its output folder, written from the journal so they hold every
//! row of every run so far, in row order: `success.csv`, `errors.csv` (the input's own
//! columns, then `row` and `reason`: fixed, it imports again with the same mapping) and
//! `summary.json`.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::journal::{Journal, State};
use super::RunStats;
use crate::api::TransportStats;
use crate::read::Table;
use crate::write::{AtomicFile, TableFormat, TableOptions, TableWriter};

/// Rows by what became of them, over every run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub created: usize,
    pub updated: usize,
    /// Found already as the row says: nothing sent.
    pub unchanged: usize,
    pub deleted: usize,
    pub invalid: usize,
    pub rejected: usize,
    pub failed: usize,
    /// Sent, the answer lost, and not yet resolved.
    pub unknown: usize,
    /// Created, then deleted by `bcetl rollback`.
    pub rolled_back: usize,
}

impl Totals {
    /// Rows in errors.csv.
    pub fn not_created(&self) -> usize {
        self.invalid + self.rejected + self.failed + self.unknown + self.rolled_back
    }
}

const UNKNOWN: &str = "the answer to the create was lost and the look-up could not tell whether \
it was applied; run the same command again to resolve it";

/// Writes the three files; `input` is the input opened again, for the cells of errors.csv;
/// `id_column` names the created records' ids in success.csv (`contact_id`, `activity_id`…).
pub fn write_outputs(
    dir: &Path,
    journal: &Journal,
    input: Table,
    run: &RunStats,
    requests: &TransportStats,
    id_column: &str,
) -> Result<Totals> {
    let mut totals = Totals::default();
    let options = TableOptions::default();
    let columns = ["row", "action", id_column, "key"].map(String::from);
    let mut success = TableWriter::create(
        Some(&dir.join("success.csv")),
        TableFormat::Csv,
        &columns,
        options,
    )?;
    let mut columns = input.headers.clone();
    columns.extend(["row".to_string(), "reason".to_string()]);
    // Guarded like every CSV a person opens; bcetl's reader takes the guard off, so a fixed
    // errors.csv imports again with the cells as they were read.
    let errors_path = dir.join("errors.csv");
    let mut errors = TableWriter::create(
        Some(&errors_path),
        TableFormat::Csv,
        &columns,
        TableOptions::default(),
    )?;
    let width = input.headers.len();
    let mut rows = input.rows;
    journal.for_each(|entry| {
        let reason = match entry.state {
            State::Created | State::Updated | State::Unchanged | State::Deleted => {
                let action = match entry.state {
                    State::Deleted => {
                        totals.deleted += 1;
                        "deleted"
                    }
                    State::Created => {
                        totals.created += 1;
                        "created"
                    }
                    State::Updated => {
                        totals.updated += 1;
                        "updated"
                    }
                    _ => {
                        totals.unchanged += 1;
                        "unchanged"
                    }
                };
                let id = entry
                    .contact_id
                    .map(|id| id.to_string())
                    .unwrap_or_default();
                let key = entry.key.unwrap_or_default();
                return success.row(&[entry.row.to_string(), action.into(), id, key]);
            }
            State::Invalid => {
                totals.invalid += 1;
                entry.reason
            }
            State::Rejected => {
                totals.rejected += 1;
                entry.reason
            }
            State::Failed => {
                totals.failed += 1;
                entry.reason
            }
            State::Sending => {
                totals.unknown += 1;
                Some(UNKNOWN.to_string())
            }
            State::RolledBack => {
                totals.rolled_back += 1;
                entry.reason
            }
        };
        // Both run in row order: read on to this row.
        let mut cells = vec![String::new(); width];
        for row in rows.by_ref() {
            let row = row?;
            if row.number == entry.row {
                cells = (0..width).map(|i| row.cell(i).to_string()).collect();
                break;
            }
            if row.number > entry.row {
                break;
            }
        }
        cells.push(entry.row.to_string());
        cells.push(reason.unwrap_or_default());
        errors.row(&cells)
    })?;
    success.finish()?;
    errors.finish()?;

    let achieved = if run.seconds > 0.0 {
        requests.requests as f64 / run.seconds
    } else {
        0.0
    };
    let summary = json!({
        "rows": totals,
        "this_run": {
            "rows_read": run.rows_read,
            "creates_sent": run.sent,
            "lost_answers_found_by_lookup": run.resolved_by_lookup,
            "sent_again_after_lookup": run.resent,
            "seconds": (run.seconds * 10.0).round() / 10.0,
            "interrupted": run.interrupted,
            "requests": requests.requests,
            "retries": requests.retries,
            "rate_limited_429": requests.rate_limited,
            "achieved_requests_per_second": (achieved * 100.0).round() / 100.0,
        },
    });
    let mut file = AtomicFile::create(&dir.join("summary.json"))?;
    std::io::Write::write_all(
        &mut file,
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    file.commit()?;
    Ok(totals)
}
