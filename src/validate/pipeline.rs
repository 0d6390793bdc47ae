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
const CHUNK_ROWS: usize = 4096;

/// Counts for the terminal summary and the report's summary sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub rows: usize,
    pub valid: usize,
    pub invalid: usize,
    pub with_warnings: usize,
    /// (severity, rule, field or column) → count and the first example.
    pub problems: BTreeMap<(Severity, &'static str, String), ProblemCount>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProblemCount {
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
            let place = f
                .column
                .clone()
                .or_else(|| f.field.clone())
                .unwrap_or_default();
            let entry = self
                .problems
                .entry((f.severity, f.rule, place))
                .or_default();
            if entry.count == 0 {
                entry.first_row = f.row;
                entry.example = f.message.clone();
            }
            entry.count += 1;
        }
    }

    /// Problems by count, most common first.
    pub fn most_common(&self) -> Vec<(&(Severity, &'static str, String), &ProblemCount)> {
        let mut list: Vec<_> = self.problems.iter().collect();
        list.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        list
    }
}

/// Reads every row of `table`, maps and checks it, and hands each row with its result to
/// `sink` in row order. `progress` is told how many rows are done.
pub fn run(
    table: Table,
    mapping: &Mapping,
    mut sink: impl FnMut(&Row, &MappedRow) -> Result<()>,
    progress: impl Fn(usize),
) -> Result<Summary> {
    let (sender, chunks) = mpsc::sync_channel::<Result<Vec<Row>>>(2);
    let mut rows = table.rows;
    let reader = std::thread::spawn(move || {
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        for row in rows.by_ref() {
            match row {
                Ok(row) => chunk.push(row),
                Err(e) => {
                    let _ = sender.send(Err(e));
                    return;
                }
            }
            if chunk.len() == CHUNK_ROWS {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                if sender.send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = sender.send(Ok(chunk));
        }
    });

    let mut summary = Summary::default();
    let mut duplicates = DuplicateEmails::default();
    let mut outcome = Ok(());
    for chunk in chunks {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        let mut mapped: Vec<MappedRow> = chunk
            .par_iter()
            .map(|row| {
                let mut m = mapping.apply(row);
                check_record(mapping, &mut m);
                m
            })
            .collect();
        for (row, m) in chunk.iter().zip(mapped.iter_mut()) {
            duplicates.check(mapping, m);
            summary.add(m);
            if let Err(e) = sink(row, m) {
                outcome = Err(e);
                break;
            }
        }
        if outcome.is_err() {
            break;
        }
        progress(summary.rows);
    }
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
    outcome.map(|()| summary)
}
