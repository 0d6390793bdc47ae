//! Export: every contact of a listing, through a mapping in reverse (or the default layout),
//! into CSV, XLSX or JSON lines, with a manifest beside it; incrementally with a state file.
//!
//! The run reads the listing into a spool on disk first ([`fetch`]: parallel pages, drift
//! reconciled, ids de-duplicated), then writes the output from the spool: the default
//! layout's custom field columns are known only once every contact was seen, and the output
//! is renamed into place only when whole. Memory holds the ids seen and the custom field
//! names, never the records.
//!
//! Depends on `api` (the client), `mapping` (reverse), `write` (tables, atomic files),
//! `pipeline` (parallel pages) and `progress`.

pub mod entities;
mod fetch;
pub mod incremental;
mod layout;
mod manifest;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::api::{Client, ContactQuery};
use crate::clock::Clock;
use crate::interrupt::Interrupt;
use crate::mapping::LeftOut;
use crate::pipeline::{Pipeline, Workers};
use crate::progress::Progress;
use crate::schema::{date_part, Contact, FieldKind, ScalarField};
use crate::write::{AtomicFile, TableFormat, TableOptions, TableWriter};

pub use entities::Entity;
pub use fetch::{record_id, FetchStats, MAX_PASSES};
pub use layout::{Layout, DEFAULT_LAYOUT, EXTRA_COLUMNS};
pub use manifest::{sha256_file, Manifest};

/// What the rows are made of.
pub enum Shape {
    /// The default layout; `all` adds the read-only columns.
    Default { all: bool },
    /// A user's mapping, run in reverse (given a column per custom field when it reads
    /// unmapped columns as custom fields).
    Mapping(Box<Layout>),
}

/// One export.
pub struct Options {
    /// `None` for standard output.
    pub output: Option<PathBuf>,
    pub format: TableFormat,
    pub shape: Shape,
    pub query: ContactQuery,
    pub per_page: u32,
    pub concurrency: usize,
    pub table: TableOptions,
    pub quiet: bool,
    /// Contacts a previous run exported at its watermark, with the `updated` they had: read
    /// again by the overlap, they are skipped unless they changed since.
    pub already_exported: HashMap<i64, String>,
    pub interrupt: Option<Interrupt>,
}

/// What an export did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub rows: usize,
    pub columns: usize,
    /// The columns written (none for whole records), for a merge to read the file back by.
    #[serde(skip)]
    pub header: Vec<String>,
    pub fetch: FetchStats,
    /// Values that had no column, by list (JSON lines leave nothing out).
    pub left_out: LeftOut,
    /// The latest `updated` among the contacts exported, as the server wrote it.
    pub watermark: Option<String>,
    /// Contacts within a second of the watermark, with their documents' digests (for the
    /// next run).
    #[serde(skip)]
    pub boundary: Vec<(i64, String)>,
    /// Contacts the overlap read again that had not changed since the previous run.
    pub unchanged_skipped: usize,
    pub seconds: f64,
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
}

/// An export written whole but not yet in place: the caller commits the file, with the other
/// files of its run, once every one of them is written.
pub struct Exported {
    pub summary: Summary,
    /// `None` for standard output.
    pub file: Option<AtomicFile>,
}

impl Exported {
    /// Puts the file in place (a standalone export, with nothing else to write).
    pub fn commit(self) -> Result<Summary> {
        if let Some(file) = self.file {
            file.commit()?;
        }
        Ok(self.summary)
    }
}

/// Reads the listing and writes the output, finished but not yet in place.
pub fn run<C: Clock>(client: &Client<C>, options: &Options) -> Result<Exported> {
    let started = Instant::now();
    let dir = options
        .output
        .as_deref()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let listing = fetch::Listing {
        query: &options.query,
        per_page: options.per_page,
        concurrency: options.concurrency,
        interrupt: options.interrupt.as_ref(),
    };
    let (mut spool, fetched) = spool_listing(
        client,
        &listing,
        &dir,
        options.quiet,
        "{spinner} page {pos}/{len} {msg} {per_sec} ETA {eta}",
    )?;

    let layout = match &options.shape {
        Shape::Default { all } => Layout::default_layout(&spool.custom_fields, *all)?,
        Shape::Mapping(layout) => layout
            .clone()
            .with_custom_fields(&spool.custom_fields, false)?,
    };
    // Whole records for JSON lines without a mapping: nothing is left out.
    let whole_records =
        options.format == TableFormat::JsonLines && matches!(options.shape, Shape::Default { .. });
    let mut writer = TableWriter::create(
        options.output.as_deref(),
        options.format,
        layout.columns(),
        options.table.clone(),
    )?;
    let mut left_out = LeftOut::new();
    let watermark = spool.watermark.clone();
    let mut boundary = Vec::new();
    let mut unchanged_skipped = 0;
    // Records are parsed and mapped on rayon's pool a chunk at a time, and written in order.
    let pipeline = Pipeline {
        chunk_size: 256,
        chunks_in_flight: 16,
        workers: Workers::Pool,
    };
    let to_write = |lines: Vec<String>| -> Result<Vec<Written>> {
        let mut out = Vec::with_capacity(lines.len());
        for line in lines {
            let written = written(&line, &layout, options, whole_records, watermark.as_deref())
                .with_context(|| {
                    format!(
                        "a contact the server sent could not be read: {}",
                        snippet(&line)
                    )
                })?;
            out.push(written);
        }
        Ok(out)
    };
    let lines = spool
        .lines()
        .map(|line| line.context("reading the spooled contacts back"));
    pipeline.run(lines, to_write, |chunk| {
        for written in chunk? {
            if let Some(entry) = written.boundary {
                boundary.push(entry);
            }
            match written.out {
                Out::Unchanged => unchanged_skipped += 1,
                Out::Record(record) => writer.json(&record)?,
                Out::Row(cells, lists) => {
                    for (list, n) in lists {
                        *left_out.entry(list).or_default() += n;
                    }
                    writer.row(&cells)?;
                }
            }
        }
        Ok(())
    })?;
    let rows = writer.rows();
    let file = writer.stage()?;
    let stats = client.stats();
    let header = if whole_records {
        Vec::new()
    } else {
        layout.columns().to_vec()
    };
    let summary = Summary {
        rows,
        columns: header.len(),
        header,
        fetch: fetched,
        left_out,
        watermark,
        boundary,
        unchanged_skipped,
        seconds: started.elapsed().as_secs_f64(),
        requests: stats.requests,
        retries: stats.retries,
        rate_limited: stats.rate_limited,
    };
    Ok(Exported { summary, file })
}

/// One spooled record, made ready to write.
struct Written {
    out: Out,
    /// (id, updated) when the record lies within a second of the watermark.
    boundary: Option<(i64, String)>,
}

enum Out {
    /// Exported by the previous run with this same `updated`: skipped.
    Unchanged,
    /// A whole record (JSON lines without a mapping).
    Record(Value),
    /// A row's cells, and the values it had no column for.
    Row(Vec<String>, Vec<(&'static str, usize)>),
}

fn written(
    line: &str,
    layout: &Layout,
    options: &Options,
    whole_records: bool,
    watermark: Option<&str>,
) -> Result<Written> {
    // Parsed once, straight into what is written: a document for JSON lines, a contact
    // for a table (its id and `updated` come with it).
    let (id, updated, out) = if whole_records {
        let mut record: Value = serde_json::from_str(line)?;
        let id = record_id(&record);
        let updated = record
            .get("updated")
            .and_then(Value::as_str)
            .map(String::from);
        calendar_dates(&mut record);
        (id, updated, Out::Record(record))
    } else {
        let contact: Contact = serde_json::from_str(line)?;
        let mut left_out = LeftOut::new();
        let cells = layout.cells(&contact, &mut left_out);
        let row = Out::Row(cells, left_out.into_iter().collect());
        (contact.id, contact.updated, row)
    };
    let mut boundary = None;
    if let (Some(id), Some(updated)) = (id, updated) {
        // Timestamps have one-second resolution: a contact saved twice in one second keeps
        // its `updated`, so what the last run exported is recognised by its whole document.
        let at_boundary = watermark.is_some_and(|w| incremental::at_boundary(&updated, w));
        let previous = options.already_exported.get(&id);
        if at_boundary || previous.is_some() {
            let digest = incremental::digest(line);
            if previous == Some(&digest) {
                // Skipped, yet still within the new watermark's second: the next run's
                // overlap reads it again and must know it too.
                return Ok(Written {
                    out: Out::Unchanged,
                    boundary: at_boundary.then_some((id, digest)),
                });
            }
            if at_boundary {
                boundary = Some((id, digest));
            }
        }
    }
    Ok(Written { out, boundary })
}

/// The ids of every contact the listing holds now (the sweep of a merge): pages read like
/// an export's, drift reconciled, documents discarded.
pub fn live_ids<C: Clock>(
    client: &Client<C>,
    query: &ContactQuery,
    per_page: u32,
    concurrency: usize,
    quiet: bool,
) -> Result<HashSet<i64>> {
    let listing = fetch::Listing {
        query,
        per_page,
        concurrency,
        interrupt: None,
    };
    let template = "{spinner} sweeping ids: page {pos}/{len} {msg}";
    let (spool, _) = spool_listing(client, &listing, &std::env::temp_dir(), quiet, template)?;
    Ok(spool.ids)
}

/// Reads a contact listing into a spool in `dir`, with a progress bar drawn from `template`.
fn spool_listing<C: Clock>(
    client: &Client<C>,
    listing: &fetch::Listing,
    dir: &Path,
    quiet: bool,
    template: &str,
) -> Result<(fetch::SpoolFile, FetchStats)> {
    let mut spool = fetch::Spool::create(dir)?;
    let progress = Progress::bar(quiet, 1, template);
    let fetched = fetch::fetch_all(client, listing, &mut spool, &progress);
    progress.finish();
    Ok((spool.finish()?, fetched?))
}

/// Date fields as calendar dates, in the record and its spouse, business and family: the
/// server prints `1934-12-30T00:00:00-0300` for the day 1934-12-30, which must stay that day
/// whatever time zone reads the file.
fn calendar_dates(record: &mut Value) {
    let Value::Object(fields) = record else {
        return;
    };
    for (name, value) in fields.iter_mut() {
        match (ScalarField::from_name(name).map(ScalarField::kind), value) {
            (Some(FieldKind::Date), Value::String(text)) => {
                if let Some(day) = date_part(text) {
                    *text = day.to_string();
                }
            }
            (None, value @ Value::Object(_)) if matches!(name.as_str(), "spouse" | "business") => {
                calendar_dates(value)
            }
            (None, Value::Array(members)) if name == "family" => {
                members.iter_mut().for_each(calendar_dates)
            }
            _ => {}
        }
    }
}

fn snippet(text: &str) -> String {
    text.chars().take(120).collect()
}
