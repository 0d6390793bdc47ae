//! Nightly runs: a state file with the watermark, and the merge of a run's changes into a
//! full snapshot.
//!
//! The watermark is the latest `updated` exported, exactly as the server wrote it (its clock,
//! its offset; never this machine's). The next run asks for `updated_gte` one second before
//! it (timestamps have one-second resolution, and a contact saved in the watermark's second
//! after the last run read its page must not be missed). The contacts of that boundary
//! second are kept in the state with a digest of the document exported, so the overlap
//! re-exports none of them unless they changed since (even within that same second).
//!
//! The API has no "deleted since": a merge sweeps the account's ids (one request per page,
//! drift reconciled like an export) and drops the snapshot's contacts that are gone.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::read::ReadOptions;
use crate::schema::parse_timestamp;
use crate::write::{AtomicFile, TableFormat, TableOptions, TableWriter};

/// How far before the watermark the next run asks from, in seconds.
pub const OVERLAP_SECONDS: i64 = 1;

/// What `--state FILE` keeps between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// The latest `updated` exported so far, as the server wrote it.
    pub watermark: Option<String>,
    /// Contacts updated within [`OVERLAP_SECONDS`] of the watermark, with the digest of the
    /// document exported (see [`digest`]).
    pub boundary: Vec<(i64, String)>,
    /// The run's own filters (`q`, `created*`), which later runs must repeat.
    pub filters: Vec<(String, String)>,
    /// When the last run finished, by this machine's clock (for people).
    pub last_run: String,
    pub last_output: String,
}

impl State {
    pub fn load(path: &Path) -> Result<Option<State>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
        };
        let state: State = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not an export state file (delete it to export everything again)",
                path.display()
            )
        })?;
        Ok(Some(state))
    }

    /// Written whole or not at all, after the output it describes is in place.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.stage(path)?.commit()
    }

    /// The state file, written but not yet in place: a run puts it in place last, after the
    /// files it describes.
    pub fn stage(&self, path: &Path) -> Result<AtomicFile> {
        let mut file = AtomicFile::create(path)?;
        serde_json::to_writer_pretty(&mut file, self)?;
        file.write_all(b"\n")?;
        Ok(file)
    }

    /// The filter that asks for what changed since the watermark, if there is one.
    pub fn since(&self) -> Option<(String, String)> {
        let at = parse_timestamp(self.watermark.as_deref()?)?;
        let from = at - chrono::Duration::seconds(OVERLAP_SECONDS);
        Some((
            "updated_gte".to_string(),
            from.format("%Y-%m-%dT%H:%M:%S%z").to_string(),
        ))
    }

    /// Contacts of the boundary already exported, by id, with their documents' digests.
    pub fn exported_at_boundary(&self) -> HashMap<i64, String> {
        self.boundary.iter().cloned().collect()
    }
}

/// A record's fingerprint: the SHA-256 of its JSON text, first 128 bits in hex.
pub fn digest(json: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(json.as_bytes());
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `updated` lies within the overlap before `watermark`.
pub fn at_boundary(updated: &str, watermark: &str) -> bool {
    match (parse_timestamp(updated), parse_timestamp(watermark)) {
        (Some(u), Some(w)) => u >= w - chrono::Duration::seconds(OVERLAP_SECONDS),
        _ => false,
    }
}

/// What a merge did.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct MergeStats {
    pub replaced: usize,
    pub added: usize,
    /// Snapshot rows whose contact no longer exists.
    pub dropped: usize,
    pub rows: usize,
    pub columns: usize,
}

/// A row of an export and the contact id it holds.
type KeyedRow = (Option<i64>, Row);

/// The rows of an export file, read one at a time.
type RowIter = Box<dyn Iterator<Item = Result<KeyedRow>>>;

enum Row {
    /// Cells in the order of their file's headers.
    Cells(Vec<String>),
    /// A whole JSON line.
    Json(String),
}

/// One run's changes, as written: the file, its columns (none for whole records) and how
/// many rows it holds.
pub struct Changes<'a> {
    pub path: &'a Path,
    pub header: &'a [String],
    pub rows: usize,
}

/// A new `snapshot`, with the rows of `changes` replacing the same contacts' rows, new
/// contacts added at the end, and rows of contacts not in `live` dropped; written but not
/// yet in place. The snapshot keeps its own format and is streamed; the changes (one run's
/// worth) are held in memory. A run without changes only drops the deleted contacts.
///
/// The columns are the changes' (today's layout), then those only the snapshot has; rows
/// keep the snapshot's order. A fresh full export holds the same rows and cells, with its
/// columns in the layout's order and none that no contact fills any more.
pub fn merge(
    snapshot: &Path,
    changes: Changes,
    format: TableFormat,
    id_column: Option<&str>,
    live: &HashSet<i64>,
    table: TableOptions,
) -> Result<(AtomicFile, MergeStats)> {
    let (changed_headers, changed) = if changes.rows == 0 {
        (changes.header.to_vec(), Vec::new())
    } else {
        let (headers, rows) = open_rows(changes.path, format, id_column)?;
        (headers, rows.collect::<Result<Vec<KeyedRow>>>()?)
    };
    let (old_headers, old): (Vec<String>, RowIter) = if snapshot.exists() {
        open_rows(snapshot, format, id_column)?
    } else {
        (changed_headers.clone(), Box::new(std::iter::empty()))
    };
    // Changes hold the columns of today's layout; columns only the snapshot has stay.
    let mut headers = changed_headers.clone();
    for h in &old_headers {
        if !headers.contains(h) {
            headers.push(h.clone());
        }
    }
    let by_id: HashMap<i64, usize> = changed
        .iter()
        .enumerate()
        .filter_map(|(i, (id, _))| id.map(|id| (id, i)))
        .collect();
    let mut stats = MergeStats::default();
    let mut used = vec![false; changed.len()];
    let mut writer = TableWriter::create(Some(snapshot), format, &headers, table)?;
    let put = |row: &Row, from: &[String], writer: &mut TableWriter| -> Result<()> {
        match row {
            Row::Json(line) => writer.json(&serde_json::from_str::<Value>(line)?),
            Row::Cells(cells) => {
                let out: Vec<&str> = headers
                    .iter()
                    .map(|h| {
                        from.iter()
                            .position(|f| f == h)
                            .and_then(|i| cells.get(i))
                            .map_or("", String::as_str)
                    })
                    .collect();
                writer.row(&out)
            }
        }
    };
    for row in old {
        let (id, row) = row?;
        match id {
            Some(id) if !live.contains(&id) => stats.dropped += 1,
            Some(id) if by_id.contains_key(&id) => {
                let i = by_id[&id];
                used[i] = true;
                put(&changed[i].1, &changed_headers, &mut writer)?;
                stats.replaced += 1;
            }
            _ => put(&row, &old_headers, &mut writer)?,
        }
    }
    for (i, (_, row)) in changed.iter().enumerate() {
        if !used[i] {
            put(row, &changed_headers, &mut writer)?;
            stats.added += 1;
        }
    }
    stats.rows = writer.rows();
    stats.columns = headers.len();
    let file = writer
        .stage()?
        .expect("a snapshot is a file, never standard output");
    Ok((file, stats))
}

/// Opens an export to read back: a table by its header row, or JSON lines (whole records
/// keyed by `id`, or rows keyed by the id column).
fn open_rows(
    path: &Path,
    format: TableFormat,
    id_column: Option<&str>,
) -> Result<(Vec<String>, RowIter)> {
    fn id_of(text: &str) -> Option<i64> {
        text.trim().trim_start_matches('\'').parse::<i64>().ok()
    }
    if format == TableFormat::JsonLines {
        let file = std::fs::File::open(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let column = id_column.map(str::to_string);
        let shown = path.display().to_string();
        let rows = BufReader::new(file)
            .lines()
            .enumerate()
            .filter(|(_, line)| !matches!(line, Ok(l) if l.trim().is_empty()))
            .map(move |(n, line)| -> Result<KeyedRow> {
                let line = line?;
                let value: Value = serde_json::from_str(&line)
                    .with_context(|| format!("{shown}: line {} is not JSON", n + 1))?;
                // Rows of a mapped layout carry the id column; whole records their `id`.
                let id = match (&column, &value) {
                    (Some(column), Value::Object(o)) if o.contains_key(column) => {
                        o.get(column).and_then(Value::as_str).and_then(id_of)
                    }
                    _ => super::record_id(&value),
                };
                Ok((id, Row::Json(line)))
            });
        return Ok((Vec::new(), Box::new(rows)));
    }
    let Some(id_column) = id_column else {
        bail!("--merge needs a column holding the contact id: the default layout has one; a mapping needs `id` under [fields]");
    };
    let options = ReadOptions {
        allow_no_rows: true,
        ..ReadOptions::default()
    };
    let table = crate::read::open(path, &options)?;
    let headers = table.headers.clone();
    let Some(at) = headers.iter().position(|h| h == id_column) else {
        bail!(
            "{}: has no {id_column:?} column to merge by; is it an export of the same layout?",
            path.display()
        );
    };
    let rows = table
        .rows
        .map(move |row| row.map(|row| (id_of(row.cell(at)), Row::Cells(row.to_vec()))));
    Ok((headers, Box::new(rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_asks_from_a_second_before_the_watermark_in_the_servers_offset() {
        let state = State {
            watermark: Some("2026-12-03T09:15:00-0300".into()),
            ..State::default()
        };
        assert_eq!(
            state.since(),
            Some(("updated_gte".into(), "2026-12-03T09:14:59-0300".into()))
        );
        assert!(at_boundary(
            "2026-12-03T12:14:59+0000",
            "2026-12-03T09:15:00-0300"
        ));
        assert!(!at_boundary(
            "2026-12-03T12:14:58+0000",
            "2026-12-03T09:15:00-0300"
        ));
    }
}
