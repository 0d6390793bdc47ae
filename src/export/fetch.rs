//! Every contact of a listing, exactly once, into a spool on disk.
//!
//! The listing pages by offset, so a contact deleted while the export runs shifts every later
//! one a place forward (one may slip from page k+1 onto page k after page k was read), and a
//! contact created shifts them back (one is read twice). A pass reads page 1 for the count,
//! the pages the count implies in parallel, then on until a page comes back empty (a server
//! may cap `results`, so page arithmetic uses what the first page held). Ids already spooled
//! are skipped. A pass is *settled* when every page reported the same `totalcount` and the
//! pass saw exactly that many distinct contacts; otherwise what shifted is re-read by another
//! pass, whose new contacts join the spool, up to [`MAX_PASSES`].

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::api::{ApiError, Client, ContactQuery, Page};
use crate::clock::Clock;
use crate::interrupt::{Interrupt, Interrupted};
use crate::pipeline::{Pipeline, Workers};
use crate::progress::Progress;
use crate::schema::parse_timestamp;

/// Passes over the listing before an export gives up waiting for it to hold still.
pub const MAX_PASSES: usize = 4;

/// Contacts received, one JSON document per line, in the order first seen.
pub struct Spool {
    out: BufWriter<File>,
    ids: HashSet<i64>,
    /// Custom field names seen, for the default layout's columns.
    pub custom_fields: BTreeSet<String>,
    /// The latest `updated` seen, as the server wrote it.
    pub watermark: Option<String>,
    /// Documents without a readable id: written, never de-duplicated.
    pub without_id: usize,
}

impl Spool {
    /// A spool in `dir` (beside the output, so that it shares its disk), unnamed: the system
    /// removes it when the export ends, however it ends.
    pub fn create(dir: &Path) -> Result<Spool> {
        let file = tempfile::tempfile_in(dir)
            .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
        Ok(Spool {
            out: BufWriter::new(file),
            ids: HashSet::new(),
            custom_fields: BTreeSet::new(),
            watermark: None,
            without_id: 0,
        })
    }

    pub fn len(&self) -> usize {
        self.ids.len() + self.without_id
    }

    /// Adds a contact unless its id is already here; true when added.
    fn add(&mut self, record: &Compact) -> Result<bool> {
        match record.id {
            Some(id) if !self.ids.insert(id) => return Ok(false),
            Some(_) => {}
            None => self.without_id += 1,
        }
        for name in &record.custom_fields {
            if !self.custom_fields.contains(name) {
                self.custom_fields.insert(name.clone());
            }
        }
        if let Some(updated) = &record.updated {
            if later(updated, self.watermark.as_deref()) {
                self.watermark = Some(updated.clone());
            }
        }
        self.out.write_all(record.json.as_bytes())?;
        self.out.write_all(b"\n")?;
        Ok(true)
    }

    /// Flushes, and turns to reading the documents back.
    pub fn finish(self) -> Result<SpoolFile> {
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        Ok(SpoolFile {
            file,
            custom_fields: self.custom_fields,
            watermark: self.watermark,
            ids: self.ids,
        })
    }
}

/// A record as the spool needs it: its JSON text and the few fields read from it. Pages are
/// turned into these on the worker threads, so that the pages waiting for their turn hold
/// compact text, not parsed documents (several times the size).
pub struct Compact {
    id: Option<i64>,
    updated: Option<String>,
    custom_fields: Vec<String>,
    json: String,
}

impl Compact {
    fn of(record: &Value) -> Compact {
        Compact {
            id: record_id(record),
            updated: record
                .get("updated")
                .and_then(Value::as_str)
                .map(String::from),
            custom_fields: record
                .get("custom_fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|f| f.pointer("/custom_field/name").and_then(Value::as_str))
                .map(String::from)
                .collect(),
            json: record.to_string(),
        }
    }
}

/// A page of compact records.
struct CompactPage {
    records: Vec<Compact>,
    total: Option<u64>,
}

/// A finished spool.
pub struct SpoolFile {
    file: File,
    pub custom_fields: BTreeSet<String>,
    pub watermark: Option<String>,
    pub ids: HashSet<i64>,
}

impl SpoolFile {
    /// The documents, one JSON text per item, in the order first seen.
    pub fn lines(&mut self) -> impl Iterator<Item = std::io::Result<String>> + '_ {
        BufReader::new(&mut self.file).lines()
    }
}

/// A record's id, as a number or numeric text.
pub fn record_id(record: &Value) -> Option<i64> {
    match record.get("id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether timestamp `a` is later than `b` (any `a` beats none; unreadable ones never win).
fn later(a: &str, b: Option<&str>) -> bool {
    match (parse_timestamp(a), b.and_then(parse_timestamp)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// What reading a listing took and found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct FetchStats {
    pub passes: usize,
    pub pages: u64,
    /// `totalcount` on the first page of the first pass and on the last page read.
    pub first_total: Option<u64>,
    pub last_total: Option<u64>,
    /// Records read again (same id) and skipped.
    pub duplicates_skipped: usize,
    /// Contacts found by a re-reading pass that the first pass had missed.
    pub found_by_rereading: usize,
    /// True when the last pass did not settle.
    pub still_drifting: bool,
    /// Time spent reading the listing (the rest of a run is writing the file).
    pub seconds: f64,
}

/// How a listing is read.
pub struct Listing<'a> {
    pub query: &'a ContactQuery,
    pub per_page: u32,
    pub concurrency: usize,
    /// Ctrl-C: the pages in flight are dropped and the run ends.
    pub interrupt: Option<&'a Interrupt>,
}

/// Reads every contact of the listing into `spool`.
pub fn fetch_all<C: Clock>(
    client: &Client<C>,
    listing: &Listing,
    spool: &mut Spool,
    progress: &Progress,
) -> Result<FetchStats> {
    let started = std::time::Instant::now();
    let mut stats = FetchStats::default();
    loop {
        stats.passes += 1;
        let before = spool.len();
        let settled = pass(client, listing, spool, progress, &mut stats)?;
        if stats.passes > 1 {
            stats.found_by_rereading += spool.len() - before;
        }
        if settled {
            break;
        }
        if stats.passes == MAX_PASSES {
            stats.still_drifting = true;
            break;
        }
        progress.message(format!(
            "the listing changed while it was read (pass {}); reading it again",
            stats.passes
        ));
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// One pass over every page; true when it settled (see the module's notes).
fn pass<C: Clock>(
    client: &Client<C>,
    listing: &Listing,
    spool: &mut Spool,
    progress: &Progress,
    stats: &mut FetchStats,
) -> Result<bool> {
    let get = |page: u64| -> Result<CompactPage, ApiError> {
        let query = ContactQuery {
            page,
            results: Some(listing.per_page),
            ..listing.query.clone()
        };
        let page: Page<Value> = client.contacts_raw(&query)?;
        Ok(CompactPage {
            records: page.items.iter().map(Compact::of).collect(),
            total: page.total,
        })
    };
    let mut seen: HashSet<i64> = HashSet::new();
    let mut totals: BTreeSet<u64> = BTreeSet::new();
    let mut take = |page: CompactPage, spool: &mut Spool, stats: &mut FetchStats| -> Result<bool> {
        if listing.interrupt.is_some_and(Interrupt::requested) {
            return Err(Interrupted(
                "stopped by Ctrl-C; nothing written (the previous output is as it was)".into(),
            )
            .into());
        }
        stats.pages += 1;
        // An empty page may carry no count at all (a documented form): only counts said
        // are compared.
        if let Some(total) = page.total {
            totals.insert(total);
            stats.last_total = Some(total);
        }
        for record in &page.records {
            if let Some(id) = record.id {
                if !seen.insert(id) {
                    stats.duplicates_skipped += 1;
                    continue;
                }
            }
            spool.add(record)?;
        }
        progress.inc(1);
        progress.message(format!("{} contacts", spool.len()));
        Ok(!page.records.is_empty())
    };

    let first = get(1).context("page 1 of the contacts")?;
    if stats.passes == 1 {
        stats.first_total = first.total;
    }
    let (held, total) = (first.records.len() as u64, first.total);
    if !take(first, spool, stats)? {
        return Ok(true);
    }
    // The pages the count implies, at the size the server actually gave.
    let implied = match total {
        Some(total) if held > 0 => total.div_ceil(held),
        _ => 1,
    };
    progress.set_length(implied + 1);
    let pipeline = Pipeline {
        chunk_size: 1,
        chunks_in_flight: listing.concurrency * 2,
        workers: Workers::Threads(listing.concurrency),
    };
    let numbers = (2..=implied).map(Ok);
    let mut failed: Option<anyhow::Error> = None;
    pipeline
        .run(
            numbers,
            |pages: Vec<u64>| pages.into_iter().map(|n| (n, get(n))).collect::<Vec<_>>(),
            |pages| {
                for (n, page) in pages {
                    match page {
                        Ok(page) => {
                            if let Err(e) = take(page, spool, stats) {
                                failed = Some(e);
                                anyhow::bail!("stopped");
                            }
                        }
                        Err(e) => {
                            failed = Some(
                                anyhow::Error::new(e).context(format!("page {n} of the contacts")),
                            );
                            anyhow::bail!("stopped");
                        }
                    }
                }
                Ok(())
            },
        )
        // The sink stops the pipeline with a stand-in error; the cause is kept aside.
        .map_err(|e| failed.take().unwrap_or(e))?;
    // On past the count until a page comes back empty: the count may have grown, or the
    // server may hold fewer per page than the first page suggested.
    let mut next = implied + 1;
    loop {
        let page = get(next).with_context(|| format!("page {next} of the contacts"))?;
        if !take(page, spool, stats)? {
            break;
        }
        next += 1;
    }
    let settled = match totals.len() {
        // Without a count there is nothing to check against.
        0 => true,
        1 => totals.first() == Some(&(seen.len() as u64)),
        _ => false,
    };
    Ok(settled)
}
