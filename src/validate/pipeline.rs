//! The dry run: every row read, mapped and checked, in parallel, reported in order.

use std::collections::BTreeMap;
use std::sync::mpsc;

use anyhow::Result;
use rayon::prelude::*;

use super::{check_record, DuplicateEmails};
use crate::finding::Severity;
use crate::mapping::{MappedRow, Mapping};
use crate::read::{Row, Table};

/// Rows handed to the parallel mapper at a time: large enough to amortize scheduling, small
/// enough that memory stays flat (two chunks in flight, a few MB).
const CHUNK_ROWS: usize = 1024;

/// Counts for the terminal summary and the report's summary sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub rows: usize,
    pub valid: usize,
    pub invalid: usize,
    pub with_warnings: usize,
    problems: BTreeMap<ProblemKey, ProblemCount>,
}

/// What groups findings in the summary: the rule and where (a column, or a field when no
/// column is at fault). Keyed by column index so that counting a finding copies no text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ProblemKey {
    severity: Severity,
    rule: &'static str,
    column: Option<usize>,
    field: Option<String>,
}

/// One kind of problem: how often, and the first example.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemCount {
    pub severity: Severity,
    pub rule: &'static str,
    /// The column, or the field when no column is at fault.
    pub place: String,
    pub count: usize,
    pub first_row: usize,
    pub example: String,
}

impl Summary {
    fn add(&mut self, mapped: &MappedRow) {
        self.rows += 1;
        let errors = mapped
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error);
        if errors {
            self.invalid += 1;
        } else {
            self.valid += 1;
        }
        if mapped
            .findings
            .iter()
            .any(|f| f.severity == Severity::Warning)
        {
            self.with_warnings += 1;
        }
        for f in &mapped.findings {
            let key = ProblemKey {
                severity: f.severity,
                rule: f.rule,
                column: f.column_index,
                field: if f.column_index.is_some() {
                    None
                } else {
                    f.field.clone()
                },
            };
            self.problems
                .entry(key)
                .or_insert_with(|| ProblemCount {
                    severity: f.severity,
                    rule: f.rule,
                    place: f
                        .column
                        .clone()
                        .or_else(|| f.field.clone())
                        .unwrap_or_default(),
                    count: 0,
                    first_row: f.row,
                    example: f.message.clone(),
                })
                .count += 1;
        }
    }

    /// True when no row had a finding.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Problems by count, most common first.
    pub fn most_common(&self) -> Vec<&ProblemCount> {
        let mut list: Vec<_> = self.problems.values().collect();
        list.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.severity.cmp(&b.severity))
                .then(a.rule.cmp(b.rule))
                .then(a.place.cmp(&b.place))
        });
        list
    }
}

/// Rows and what they mapped to, with each row's email hashes.
type MappedChunk = (Vec<Row>, Vec<(MappedRow, Vec<u64>)>);

/// Reads every row of `table`, maps and checks it, and hands each row with its result to
/// `sink` in row order. `progress` is told how many rows are done.
///
/// Three stages run at once, joined by bounded channels (two chunks in flight each, so
/// memory stays flat): a reader thread parses rows; a mapper thread maps each chunk on the
/// rayon pool; this thread checks duplicates, counts and calls `sink`, in row order.
pub fn run(
    table: Table,
    mapping: &Mapping,
    mut sink: impl FnMut(&Row, &MappedRow) -> Result<()>,
    progress: impl Fn(usize),
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut duplicates = DuplicateEmails::default();
    let hasher = duplicates.hasher();
    let mut rows = table.rows;
    std::thread::scope(|scope| -> Result<()> {
        let (to_mapper, from_reader) = mpsc::sync_channel::<Result<Vec<Row>>>(2);
        let (to_finisher, from_mapper) = mpsc::sync_channel::<Result<MappedChunk>>(2);
        scope.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            for row in rows.by_ref() {
                match row {
                    Ok(row) => chunk.push(row),
                    Err(e) => {
                        let _ = to_mapper.send(Err(e));
                        return;
                    }
                }
                if chunk.len() == CHUNK_ROWS {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                    if to_mapper.send(Ok(full)).is_err() {
                        return; // the run ended early
                    }
                }
            }
            if !chunk.is_empty() {
                let _ = to_mapper.send(Ok(chunk));
            }
        });
        let hasher = &hasher;
        scope.spawn(move || {
            for chunk in from_reader {
                let mapped = chunk.map(|rows| {
                    let mapped = rows
                        .par_iter()
                        .map(|row| {
                            let mut m = mapping.apply(row);
                            check_record(mapping, &mut m);
                            let hashes = DuplicateEmails::hashes(hasher, &m);
                            (m, hashes)
                        })
                        .collect();
                    (rows, mapped)
                });
                if to_finisher.send(mapped).is_err() {
                    return;
                }
            }
        });
        // Returning early drops the receiver, which stops the mapper and then the reader.
        for chunk in from_mapper {
            let (rows, mut mapped) = chunk?;
            for (row, (m, hashes)) in rows.iter().zip(mapped.iter_mut()) {
                duplicates.check(mapping, m, hashes);
                summary.add(m);
                sink(row, m)?;
            }
            progress(summary.rows);
            // Freed on the pool, where most of it was allocated: freeing on the thread that
            // allocated is the allocator's fast path, and keeps this ordered stage short.
            rayon::spawn(move || drop((rows, mapped)));
        }
        Ok(())
    })?;
    Ok(summary)
}
