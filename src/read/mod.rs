//! Reading: spreadsheets as a stream of rows, numbered as a spreadsheet user counts them.
//!
//! CSV and JSON lines stream (one record in memory at a time, whatever the file's size);
//! XLSX, XLS and ODS are read a sheet at a time by calamine, which holds that sheet in
//! memory (XLSX streamed from the sheet's XML). Either way the
//! caller gets a [`Table`]: its headers and an iterator of [`Row`]s. Problems confined to one
//! row (a ragged record, bytes that are not text, an `#N/A` cell) travel with the row as
//! [`CellProblem`]s so the validator reports them and every other row goes on; only problems
//! with the file as a whole (missing, empty, duplicate headers, no such sheet) are errors.
//!
//! This module depends on nothing else in the crate but [`crate::guard`].

mod csv_file;
mod jsonl;
mod sheet;
mod sniff;
pub mod vcard;
mod xlsx;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// How to read an input; every field falls back to detection or the usual default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Sheet of a workbook, by name or 1-based position. Default: the first sheet.
    pub sheet: Option<SheetRef>,
    /// The 1-based row holding the column names; `Some(0)` for a file without one (columns are
    /// then named by letter: A, B, C…). Default: row 1, or a workbook sheet's first used row.
    pub header_row: Option<usize>,
    /// CSV field delimiter. Default: detected among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
    /// CSV text encoding label (`utf-8`, `utf-16`, `windows-1252`…). Default: detected from
    /// the byte order mark, else UTF-8 when the start of the file is valid UTF-8, else
    /// Windows-1252 (what Excel on Windows writes when asked for "CSV").
    pub encoding: Option<String>,
    /// CSV: keep a leading `'` before `=`, `+`, `-`, `@`, tab or CR. By default it is taken
    /// off as the formula guard bcetl (and other tools) write ([`crate::guard`]).
    pub keep_apostrophes: bool,
    /// A header row with no data rows under it is an empty table, not an error: for files
    /// bcetl wrote itself (a snapshot after a night that left no contact).
    pub allow_no_rows: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetRef {
    Name(String),
    /// 1-based, as the tabs are counted.
    Index(usize),
}

impl SheetRef {
    /// A sheet given on the command line or in a mapping: digits are a position.
    pub fn parse(text: &str) -> SheetRef {
        match text.trim().parse::<usize>() {
            Ok(n) => SheetRef::Index(n),
            Err(_) => SheetRef::Name(text.to_string()),
        }
    }
}

/// One data row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The row number a spreadsheet shows (the header is usually row 1).
    pub number: usize,
    /// One cell per header column, blank where the row was short: one buffer for the whole
    /// row, since a dry run reads millions of them.
    pub record: csv::StringRecord,
    /// Problems found while reading this row.
    pub problems: Vec<CellProblem>,
}

impl Row {
    pub fn new(number: usize, cells: Vec<String>) -> Row {
        Row {
            number,
            record: csv::StringRecord::from(cells),
            problems: Vec::new(),
        }
    }

    /// The cell in a column, blank past the row's end.
    pub fn cell(&self, index: usize) -> &str {
        self.record.get(index).unwrap_or_default()
    }

    pub fn cells(&self) -> impl Iterator<Item = &str> {
        self.record.iter()
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.record.iter().map(str::to_string).collect()
    }
}

/// A problem with one cell or one row, found while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    /// The column index, or `None` for the row as a whole.
    pub column: Option<usize>,
    pub message: String,
}

/// An opened input: the column names and the rows after them.
pub struct Table {
    pub path: PathBuf,
    pub headers: Vec<String>,
    /// The row the headers were read from (1-based), or 0 for a file without one.
    pub header_row: usize,
    /// What was read, for the report ("UTF-8, delimiter ';'", "sheet Contacts").
    pub description: String,
    pub rows: Box<dyn Iterator<Item = Result<Row>> + Send>,
}

impl Table {
    /// The same table, ending early once `stop` says so: the rows already read still go
    /// through, the rest are not read.
    pub fn until(mut self, stop: impl Fn() -> bool + Send + 'static) -> Table {
        let rows = std::mem::replace(&mut self.rows, Box::new(std::iter::empty()));
        self.rows = Box::new(rows.take_while(move |_| !stop()));
        self
    }

    /// The same table, its file looked at before each row is handed on: once the file is
    /// not what it was when it was opened (its size, its modification time, its inode), the
    /// next row is an error instead, and nothing after it is read. A run that sends rows
    /// thus never sends one read from a file rewritten under it (a stat a row costs a
    /// microsecond; an import waits far longer on the server).
    pub fn watched(mut self) -> Table {
        let path = self.path.clone();
        let identity = |p: &Path| {
            std::fs::metadata(p).ok().map(|m| {
                #[cfg(unix)]
                let inode = std::os::unix::fs::MetadataExt::ino(&m);
                #[cfg(not(unix))]
                let inode = 0u64;
                (m.len(), m.modified().ok(), inode)
            })
        };
        let first = identity(&path);
        let rows = std::mem::replace(&mut self.rows, Box::new(std::iter::empty()));
        let mut changed = false;
        self.rows = Box::new(rows.map_while(move |row| {
            if changed {
                return None;
            }
            if identity(&path) != first {
                changed = true;
                let at = row.as_ref().map(|r| r.number).unwrap_or_default();
                return Some(Err(anyhow::anyhow!(
                    "{}: the input changed while it was read: rows before row {at} were \
                     imported, none after; put the file back as it was and run the same \
                     command again",
                    path.display()
                )));
            }
            Some(row)
        }));
        self
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("path", &self.path)
            .field("headers", &self.headers)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// A CSV delimiter as a person writes it, in a mapping or on the command line: one
/// character, or `tab` (also `\t`, escaped or not).
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        d if d.len() == 1 => Ok(d.as_bytes()[0]),
        other => Err(format!("{other:?}: expected one character, or \"tab\"")),
    }
}

/// Opens an input file for reading rows. What it holds is told by its bytes, not its name:
/// a workbook renamed `.csv` is read as a workbook, and bytes that are neither a workbook
/// nor text are refused.
pub fn open(path: &Path, options: &ReadOptions) -> Result<Table> {
    let shown = path.display();
    if !path.exists() {
        bail!("{shown}: no such file");
    }
    if path.is_dir() {
        bail!("{shown}: is a folder; give a CSV or XLSX file");
    }
    let mut sample = Vec::with_capacity(8192);
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 8192), &mut sample))
        .with_context(|| format!("{shown}: cannot read"))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match sniff::content(&sample) {
        // XLSX streams; calamine reads the other workbook formats a sheet at a time.
        sniff::Content::Zip
            if ext == "ods"
                || ext == "xlsb"
                || memchr::memmem::find(&sample, b"opendocument.spreadsheet").is_some() =>
        {
            sheet::open(path, options)
        }
        sniff::Content::Zip => xlsx::open(path, options),
        sniff::Content::Ole => sheet::open(path, options),
        sniff::Content::Binary => bail!(
            "{shown}: this is not text, nor an XLSX, XLS or ODS workbook; bcetl reads CSV \
             files and workbooks (is it the file you meant?)"
        ),
        sniff::Content::Text if ext == "jsonl" || ext == "ndjson" => jsonl::open(path),
        sniff::Content::Text if ext == "vcf" || ext == "vcard" || is_vcard(&sample) => {
            vcard::open(path)
        }
        sniff::Content::Text => csv_file::open(path, options),
    }
}

/// Whether text starts with a vCard (after a byte order mark and blank lines).
fn is_vcard(sample: &[u8]) -> bool {
    let text = String::from_utf8_lossy(sample);
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .get(..11)
        .is_some_and(|head| head.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// The spreadsheet letter of a 0-based column index: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Names the header cells: blanks become `Column C`; a name used twice is an error naming
/// both columns, since a mapping could not tell them apart.
fn name_headers(path: &Path, header_row: usize, raw: Vec<String>) -> Result<Vec<String>> {
    let mut headers = Vec::with_capacity(raw.len());
    // Each name's first column, by its ASCII-lowercased form: a look-up per column, not a
    // scan, for files thousands of columns wide.
    let mut seen = std::collections::HashMap::with_capacity(raw.len());
    for (i, name) in raw.into_iter().enumerate() {
        let name = name.trim().trim_start_matches('\u{feff}').to_string();
        let name = if name.is_empty() {
            format!("Column {}", column_letter(i))
        } else {
            name
        };
        if let Some(&first) = seen.get(&name.to_ascii_lowercase()) {
            bail!(
                "{}: row {header_row}: duplicate column name {name:?} in columns {} and {}; \
                 rename one of them",
                path.display(),
                column_letter(first),
                column_letter(i)
            );
        }
        seen.insert(name.to_ascii_lowercase(), i);
        headers.push(name);
    }
    Ok(headers)
}

/// Names for the columns of a file without a header row: A, B, C…
fn letter_headers(width: usize) -> Vec<String> {
    (0..width).map(column_letter).collect()
}

/// Fits a record to the header's width, noting a ragged record on the row.
fn fit_to_headers(row: &mut Row, headers: &[String]) {
    let width = headers.len();
    let len = row.record.len();
    if len > width {
        if row.record.iter().skip(width).any(|c| !c.trim().is_empty()) {
            row.problems.push(CellProblem {
                column: None,
                message: format!(
                    "row has {len} cells but the header has {width}; the values after column \
                     {} ({}) have no column and are ignored",
                    column_letter(width - 1),
                    headers[width - 1]
                ),
            });
        }
        row.record.truncate(width);
    } else if len < width {
        if len > 1 {
            row.problems.push(CellProblem {
                column: None,
                message: format!(
                    "row has {len} cells but the header has {width}; the missing cells are \
                     read as blank"
                ),
            });
        }
        for _ in len..width {
            row.record.push_field("");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_spreadsheets() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn duplicate_headers_name_both_columns() {
        let err = name_headers(
            Path::new("in.csv"),
            1,
            vec!["Email".into(), "email ".into()],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("in.csv: row 1"), "{err}");
        assert!(err.contains("columns A and B"), "{err}");
    }

    #[test]
    fn blank_headers_are_named_by_letter() {
        let h = name_headers(Path::new("x"), 1, vec!["Name".into(), "".into()]).unwrap();
        assert_eq!(h, vec!["Name", "Column B"]);
    }
}
