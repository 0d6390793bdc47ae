//! One writer for every table: a header and rows of text, as CSV, XLSX or JSON lines, to a
//! file that appears whole when finished (or to standard output), in constant memory.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{bail, Result};
use rust_xlsxwriter::Workbook;

use super::xlsx::{self, Widths};
use super::AtomicFile;
use crate::guard::neutralize;

/// The formats a table can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
    /// One JSON object per line.
    JsonLines,
    /// vCard 3.0, a card per row of the vCard column set ([`super::vcard`]).
    Vcard,
}

impl TableFormat {
    /// The format a file name asks for: `.csv`, `.xlsx`, `.jsonl`, `.ndjson` or `.vcf`.
    pub fn from_path(path: &Path) -> Option<TableFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        TableFormat::parse(&ext).ok()
    }

    /// A format by name (`csv`, `xlsx`, `jsonl`), as `--format` takes it.
    pub fn parse(name: &str) -> Result<TableFormat, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(TableFormat::Csv),
            "xlsx" => Ok(TableFormat::Xlsx),
            "jsonl" | "ndjson" | "json-lines" => Ok(TableFormat::JsonLines),
            "vcf" | "vcard" => Ok(TableFormat::Vcard),
            other => Err(format!("{other:?}: expected csv, xlsx, jsonl or vcf")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TableOptions {
    /// CSV only: writes cells a spreadsheet would run as a formula (starting with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return) with a leading `'`, so opening the file runs
    /// nothing ([`crate::guard`]; bcetl's reader takes it off again). XLSX needs no guard:
    /// its text goes into string cells, which are never evaluated.
    pub neutralize_formulas: bool,
    /// The XLSX sheet's name.
    pub sheet: String,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            neutralize_formulas: true,
            sheet: "Sheet1".into(),
        }
    }
}

/// A file being written, or standard output.
enum Out {
    File(BufWriter<AtomicFile>),
    Stdout(BufWriter<std::io::Stdout>),
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Out::File(f) => f.write(buf),
            Out::Stdout(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::File(f) => f.flush(),
            Out::Stdout(s) => s.flush(),
        }
    }
}

impl Out {
    fn open(path: Option<&Path>) -> Result<Out> {
        Ok(match path {
            Some(path) => Out::File(BufWriter::new(AtomicFile::create(path)?)),
            None => Out::Stdout(BufWriter::new(std::io::stdout())),
        })
    }

    /// Flushes: a file finished but not yet in place, or nothing for standard output.
    fn stage(self) -> Result<Option<AtomicFile>> {
        match self {
            Out::File(f) => AtomicFile::unbuffer(f).map(Some),
            Out::Stdout(mut s) => {
                s.flush()?;
                Ok(None)
            }
        }
    }
}

enum Sink {
    /// Boxed, as the workbook is: one writer per file, and the variants stay small.
    Csv(Box<csv::Writer<Out>>),
    JsonLines(Out),
    Xlsx(Box<XlsxSink>),
    Vcard(Out),
}

struct XlsxSink {
    workbook: Workbook,
    out: AtomicFile,
    widths: Widths,
}

/// Rows of text under one header, in one of the [`TableFormat`]s.
pub struct TableWriter {
    sink: Sink,
    columns: Vec<String>,
    options: TableOptions,
    /// Data rows written so far.
    rows: usize,
}

impl TableWriter {
    /// A table with `columns`, written to `path` (standard output with `None`, for CSV and
    /// JSON lines).
    pub fn create(
        path: Option<&Path>,
        format: TableFormat,
        columns: &[String],
        options: TableOptions,
    ) -> Result<TableWriter> {
        let sink = match format {
            TableFormat::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(Out::open(path)?);
                // Column names are cells too (a custom field may be named "=x").
                if options.neutralize_formulas {
                    csv.write_record(columns.iter().map(|c| neutralize(c).into_owned()))?;
                } else {
                    csv.write_record(columns)?;
                }
                Sink::Csv(Box::new(csv))
            }
            TableFormat::JsonLines => Sink::JsonLines(Out::open(path)?),
            TableFormat::Vcard => Sink::Vcard(Out::open(path)?),
            TableFormat::Xlsx => {
                let Some(path) = path else {
                    bail!("an XLSX file cannot go to standard output; give a file name");
                };
                if columns.len() > xlsx::MAX_COLUMNS {
                    bail!(
                        "{}: {} columns do not fit in an XLSX sheet ({} at most); write .csv instead",
                        path.display(),
                        columns.len(),
                        xlsx::MAX_COLUMNS
                    );
                }
                let mut workbook = Workbook::new();
                let sheet = workbook.add_worksheet_with_constant_memory();
                sheet.set_name(&options.sheet)?;
                xlsx::header_row(sheet, 0, 0, columns)?;
                let mut widths = Widths::default();
                for (c, name) in columns.iter().enumerate() {
                    widths.see(c, name);
                }
                Sink::Xlsx(Box::new(XlsxSink {
                    workbook,
                    out: AtomicFile::create(path)?,
                    widths,
                }))
            }
        };
        Ok(TableWriter {
            sink,
            columns: columns.to_vec(),
            options,
            rows: 0,
        })
    }

    /// Writes one row, a cell per column (missing cells are blank, extra ones dropped).
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<()> {
        let width = self.columns.len();
        let cell = |i: usize| cells.get(i).map(AsRef::as_ref).unwrap_or_default();
        let shown = |i: usize| {
            if self.options.neutralize_formulas {
                neutralize(cell(i))
            } else {
                cell(i).into()
            }
        };
        match &mut self.sink {
            Sink::Csv(csv) => csv.write_record(
                (0..width)
                    .map(shown)
                    .collect::<Vec<_>>()
                    .iter()
                    .map(|c| c.as_bytes()),
            )?,
            Sink::Vcard(out) => {
                let row: Vec<&str> = (0..width).map(cell).collect();
                out.write_all(super::vcard::card(&self.columns, &row).as_bytes())?;
            }
            Sink::JsonLines(out) => {
                let object: serde_json::Map<String, serde_json::Value> = (0..width)
                    .map(|i| (self.columns[i].clone(), cell(i).into()))
                    .collect();
                serde_json::to_writer(&mut *out, &object)?;
                out.write_all(b"\n")?;
            }
            Sink::Xlsx(sink) => {
                let XlsxSink {
                    workbook, widths, ..
                } = &mut **sink;
                let row = self.rows + 1;
                if row >= xlsx::MAX_ROWS {
                    bail!(
                        "more than {} rows do not fit in an XLSX sheet; write .csv or .jsonl instead",
                        xlsx::MAX_ROWS - 1
                    );
                }
                let sheet = workbook.worksheet_from_index(0)?;
                // A string cell, which no spreadsheet evaluates: the text goes in as it is,
                // without the CSV guard (which would show, and come back on import).
                for i in 0..width {
                    let text = cell(i);
                    if !text.is_empty() {
                        sheet.write_string(
                            row as u32,
                            i as u16,
                            xlsx::fit(text, xlsx::MAX_CHARS),
                        )?;
                        widths.see(i, text);
                    }
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Writes one JSON value as a line: for JSON lines only, which carry whole records.
    pub fn json(&mut self, value: &impl serde::Serialize) -> Result<()> {
        let Sink::JsonLines(out) = &mut self.sink else {
            bail!("records are written whole only as JSON lines");
        };
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"\n")?;
        self.rows += 1;
        Ok(())
    }

    /// Data rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Completes the file and puts it in place; until then the destination is untouched.
    pub fn finish(self) -> Result<()> {
        match self.stage()? {
            Some(file) => file.commit(),
            None => Ok(()),
        }
    }

    /// Completes the file without putting it in place, for a run that replaces several
    /// files only once all of them are written (`None` for standard output).
    pub fn stage(self) -> Result<Option<AtomicFile>> {
        match self.sink {
            Sink::Csv(csv) => {
                let out = (*csv).into_inner().map_err(|e| e.into_error())?;
                out.stage()
            }
            Sink::JsonLines(out) | Sink::Vcard(out) => out.stage(),
            Sink::Xlsx(sink) => {
                let XlsxSink {
                    mut workbook,
                    out,
                    widths,
                } = *sink;
                let sheet = workbook.worksheet_from_index(0)?;
                let last_column = self.columns.len().saturating_sub(1) as u16;
                sheet.autofilter(0, 0, self.rows as u32, last_column)?;
                widths.apply(sheet)?;
                xlsx::save_staged(workbook, out).map(Some)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<String> {
        vec!["Name".into(), "Note".into()]
    }

    #[test]
    fn formula_like_cells_are_neutralized_unless_told() {
        assert_eq!(neutralize("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralize("-3"), "'-3");
        assert_eq!(neutralize("@x"), "'@x");
        assert_eq!(neutralize("plain = text"), "plain = text");
        let dir = tempfile::tempdir().unwrap();
        for (neutralize_formulas, expected) in [(true, "'=1+1"), (false, "=1+1")] {
            let path = dir.path().join("t.csv");
            let options = TableOptions {
                neutralize_formulas,
                ..TableOptions::default()
            };
            let mut t =
                TableWriter::create(Some(&path), TableFormat::Csv, &columns(), options).unwrap();
            t.row(&["Ada", "=1+1"]).unwrap();
            t.finish().unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text, format!("Name,Note\nAda,{expected}\n"));
        }
    }

    #[test]
    fn nothing_appears_until_finished_in_any_format() {
        let dir = tempfile::tempdir().unwrap();
        for (name, format) in [
            ("t.csv", TableFormat::Csv),
            ("t.jsonl", TableFormat::JsonLines),
            ("t.xlsx", TableFormat::Xlsx),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, "previous").unwrap();
            let mut t =
                TableWriter::create(Some(&path), format, &columns(), TableOptions::default())
                    .unwrap();
            t.row(&["Ada", "x"]).unwrap();
            drop(t);
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                "previous",
                "{name}"
            );
            let mut t =
                TableWriter::create(Some(&path), format, &columns(), TableOptions::default())
                    .unwrap();
            t.row(&["Ada", "x"]).unwrap();
            t.row(&["Grace"]).unwrap();
            assert_eq!(t.rows(), 2);
            t.finish().unwrap();
            assert_ne!(std::fs::read(&path).unwrap(), b"previous", "{name}");
        }
        let lines = std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap();
        assert_eq!(
            lines,
            "{\"Name\":\"Ada\",\"Note\":\"x\"}\n{\"Name\":\"Grace\",\"Note\":\"\"}\n"
        );
        assert_eq!(
            TableFormat::from_path(Path::new("a.NDJSON")),
            Some(TableFormat::JsonLines)
        );
        assert_eq!(TableFormat::from_path(Path::new("a.txt")), None);
    }

    #[test]
    fn xlsx_tables_have_a_frozen_header_a_filter_and_fitted_widths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xlsx");
        let mut t = TableWriter::create(
            Some(&path),
            TableFormat::Xlsx,
            &columns(),
            TableOptions::default(),
        )
        .unwrap();
        t.row(&["Ada", "a note long enough to widen its column"])
            .unwrap();
        t.finish().unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(xml.contains("<autoFilter ref=\"A1:B2\""), "{xml}");
        assert!(xml.contains("state=\"frozen\""), "{xml}");
        assert!(xml.contains("<col min=\"2\" max=\"2\" width=\"40"), "{xml}");
    }
}
