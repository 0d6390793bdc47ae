//! The dry run: every row read, mapped and checked, in parallel, reported in order.

use std::collections::BTreeMap;

use anyhow::Result;
use rayon::prelude::*;

use super::{check_record, DuplicateEmails};
use crate::finding::Severity;
use crate::mapping::{MappedRow, Mapping};
use crate::pipeline::{Pipeline, Workers};
use crate::read::{Row, Table};

/// Rows handed to the parallel mapper at a time. Many small chunks in flight keep both cores
/// busier than a few large ones (1.86 cores instead of 1.76 at 1M rows, BENCHMARKS.md) for the
/// same memory: 1,024 rows in flight either way.
const CHUNK_ROWS: usize = 128;

/// Chunks read and not yet finished: eight being mapped or waiting for their turn, and two
/// queued behind them (the same 1,280 rows at most as before the pipeline was shared).
const CHUNKS_IN_FLIGHT: usize = 10;

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

/// Rows, what they mapped to, and the hashes of their emails, row after row (one vector
/// per chunk rather than one per row).
type MappedChunk = (Vec<Row>, Vec<MappedRow>, Vec<u64>);

/// The dry run's shape: chunks map on rayon's pool, several at once.
const DRY_RUN: Pipeline = Pipeline {
    chunk_size: CHUNK_ROWS,
    chunks_in_flight: CHUNKS_IN_FLIGHT,
    workers: Workers::Pool,
};

/// Reads every row of `table`, maps and checks it, and hands each row with its result to
/// `sink` in row order. `progress` is told how many rows are done.
///
/// Mapping and the record rules run in parallel; the duplicate check, the counts and `sink`
/// run in row order on this thread (see [`crate::pipeline`]).
pub fn run(
    table: Table,
    mapping: &Mapping,
    mut sink: impl FnMut(&Row, &MappedRow) -> Result<()>,
    progress: impl Fn(usize),
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut duplicates = DuplicateEmails::default();
    let hasher = duplicates.hasher();
    let map_chunk = |rows: Vec<Row>| -> MappedChunk {
        let mapped: Vec<MappedRow> = rows
            .par_iter()
            .map(|row| {
                let mut m = mapping.apply(row);
                check_record(mapping, &mut m);
                m
            })
            .collect();
        let hashes = DuplicateEmails::hashes(&hasher, &mapped);
        (rows, mapped, hashes)
    };
    DRY_RUN.run(table.rows, map_chunk, |(rows, mut mapped, hashes)| {
        let mut hashes = hashes.as_slice();
        for (row, m) in rows.iter().zip(mapped.iter_mut()) {
            let (own, rest) = hashes.split_at(m.contact.emails.len());
            hashes = rest;
            duplicates.check(mapping, m, own);
            summary.add(m);
            sink(row, m)?;
        }
        progress(summary.rows);
        // Freed on the pool, where most of it was allocated: freeing on the thread that
        // allocated is the allocator's fast path, and keeps this stage short.
        rayon::spawn(move || drop((rows, mapped)));
        Ok(())
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{parse_file, Mapping};

    fn table_and_mapping(rows: usize) -> (tempfile::TempDir, Table, Mapping) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        let mut text = String::from("First,Last,Email\n");
        for i in 0..rows {
            text.push_str(&format!("F{i},L{i},p{i}@example.com\n"));
        }
        std::fs::write(&path, text).unwrap();
        let table = crate::read::open(&path, &Default::default()).unwrap();
        let file = parse_file("[fields]\nfirst_name = \"First\"\nlast_name = \"Last\"\n[[emails]]\ncolumn = \"Email\"\n").unwrap();
        let mapping = Mapping::compile(&file, Some(&table.headers)).unwrap();
        (dir, table, mapping)
    }

    #[test]
    fn rows_reach_the_sink_in_order_across_many_chunks() {
        let (_dir, table, mapping) = table_and_mapping(CHUNK_ROWS * 7 + 3);
        let mut seen = Vec::new();
        let summary = run(
            table,
            &mapping,
            |row, m| {
                assert_eq!(row.number, m.row);
                seen.push(row.number);
                Ok(())
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(summary.rows, CHUNK_ROWS * 7 + 3);
        assert_eq!(summary.valid, summary.rows);
        assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "row order kept");
        assert_eq!(seen[0], 2);
    }

    #[test]
    fn duplicate_emails_are_found_across_chunks_whatever_each_row_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        let mut text = String::from("First,Last,Email,Work\n");
        let rows = CHUNK_ROWS * 3;
        for i in 0..rows {
            // Rows hold no email, one, or two, so each row's hashes start at a different
            // place in its chunk; every 100th row repeats row 2's work address.
            let (email, work) = match i % 3 {
                0 => (String::new(), String::new()),
                1 => (format!("p{i}@example.com"), String::new()),
                _ => (format!("p{i}@example.com"), format!("w{i}@example.com")),
            };
            let work = if i % 100 == 99 {
                "w2@example.com".to_string()
            } else {
                work
            };
            text.push_str(&format!("F{i},L{i},{email},{work}\n"));
        }
        std::fs::write(&path, text).unwrap();
        let table = crate::read::open(&path, &Default::default()).unwrap();
        let file = parse_file(
            "[fields]\nfirst_name = \"First\"\nlast_name = \"Last\"\n[[emails]]\ncolumn = \"Email\"\n[[emails]]\ncolumn = \"Work\"\nis_office = true\n",
        )
        .unwrap();
        let mapping = Mapping::compile(&file, Some(&table.headers)).unwrap();
        let mut warned = Vec::new();
        run(
            table,
            &mapping,
            |_, m| {
                for f in m.findings.iter().filter(|f| f.rule == "duplicate_email") {
                    assert_eq!(f.value, "w2@example.com");
                    warned.push(m.row);
                }
                Ok(())
            },
            |_| {},
        )
        .unwrap();
        // Data row i is spreadsheet row i + 2.
        let expected: Vec<usize> = (0..rows).filter(|i| i % 100 == 99).map(|i| i + 2).collect();
        assert_eq!(warned, expected);
    }

    #[test]
    fn a_failing_sink_ends_the_run_with_its_error() {
        let (_dir, table, mapping) = table_and_mapping(CHUNK_ROWS * 20);
        let mut calls = 0;
        let result = run(
            table,
            &mapping,
            |_, _| {
                calls += 1;
                if calls == CHUNK_ROWS * 3 + 5 {
                    anyhow::bail!("disk full");
                }
                Ok(())
            },
            |_| {},
        );
        assert_eq!(result.unwrap_err().to_string(), "disk full");
        assert_eq!(
            calls,
            CHUNK_ROWS * 3 + 5,
            "nothing reaches the sink after its error"
        );
    }
}
