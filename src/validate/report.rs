//! Dry-run reports: every finding as CSV or JSON, or the input sheet itself as XLSX with each
//! bad cell highlighted and a note saying why, plus a summary sheet.
//!
//! Each writer streams: rows are written as they come, in row order, so a million-row report
//! holds a few rows in memory (the XLSX writer also keeps one note per bad cell).

use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{bail, Result};
use rust_xlsxwriter::{Color, Format, FormatPattern, Note, Workbook};

use super::Summary;
use crate::finding::{Finding, Severity};
use crate::mapping::MappedRow;
use crate::read::Row;
use crate::write::xlsx::{self, fit, MAX_CHARS as XLSX_MAX_CHARS, MAX_ROWS as XLSX_MAX_ROWS};
use crate::write::{AtomicFile, TableFormat, TableOptions, TableWriter};

/// Bad cells that get a note. rust_xlsxwriter keeps every note in memory until the file is
/// saved, some 13 KB each (100,000 rows with 29,600 bad cells peaked at 415 MB against
/// 39 MB without notes), and Excel itself slows down with many; past this the cells are
/// still highlighted and the Problems column still says why.
const XLSX_MAX_NOTES: usize = 2_000;

pub trait ReportWriter {
    fn row(&mut self, row: &Row, mapped: &MappedRow) -> Result<()>;
    fn finish(self: Box<Self>, summary: &Summary) -> Result<()>;
}

/// A report writer for `path`, chosen by its extension.
pub fn create(
    path: &Path,
    headers: &[String],
    header_row: usize,
    source: &str,
) -> Result<Box<dyn ReportWriter>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let out = || AtomicFile::create(path);
    Ok(match ext.as_str() {
        "csv" => {
            let columns = FINDING_COLUMNS.map(String::from);
            // Values are quoted from the input, guarded like every CSV a person opens (the
            // input is what someone may have planted a formula in).
            let out = TableWriter::create(
                Some(path),
                TableFormat::Csv,
                &columns,
                TableOptions::default(),
            )?;
            Box::new(CsvReport { out })
        }
        "json" => {
            let mut out = BufWriter::new(out()?);
            write!(
                out,
                "{{\"source\":{},\"findings\":[",
                serde_json::to_string(source)?
            )?;
            Box::new(JsonReport { out, first: true })
        }
        "xlsx" if headers.len() + INPUT_FIRST > xlsx::MAX_COLUMNS => bail!(
            "{}: the input has {} columns, and an XLSX report holds {} beside its Row and \
             Problems columns; write a .csv report instead",
            path.display(),
            headers.len(),
            xlsx::MAX_COLUMNS - INPUT_FIRST
        ),
        "xlsx" => Box::new(XlsxReport::new(path, headers, header_row)?),
        other => bail!(
            "{}: cannot write a report as {other:?}; use .csv, .json or .xlsx",
            path.display()
        ),
    })
}

struct CsvReport {
    out: TableWriter,
}

/// The columns of a CSV report: one finding per row.
const FINDING_COLUMNS: [&str; 7] = [
    "row", "column", "field", "value", "rule", "severity", "message",
];

impl ReportWriter for CsvReport {
    fn row(&mut self, _row: &Row, mapped: &MappedRow) -> Result<()> {
        for f in &mapped.findings {
            let number = f.row.to_string();
            let severity = f.severity.to_string();
            self.out.row(&[
                number.as_str(),
                f.column.as_deref().unwrap_or_default(),
                f.field.as_deref().unwrap_or_default(),
                &f.value,
                f.rule,
                &severity,
                &f.message,
            ])?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _summary: &Summary) -> Result<()> {
        self.out.finish()
    }
}

struct JsonReport {
    out: BufWriter<AtomicFile>,
    first: bool,
}

impl ReportWriter for JsonReport {
    fn row(&mut self, _row: &Row, mapped: &MappedRow) -> Result<()> {
        for f in &mapped.findings {
            if !std::mem::take(&mut self.first) {
                self.out.write_all(b",")?;
            }
            self.out.write_all(b"\n  ")?;
            serde_json::to_writer(&mut self.out, f)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> Result<()> {
        let problems: Vec<_> = summary
            .most_common()
            .into_iter()
            .map(|c| {
                serde_json::json!({"severity": c.severity, "rule": c.rule, "place": c.place, "count": c.count, "first_row": c.first_row, "example": c.example})
            })
            .collect();
        let summary = serde_json::json!({
            "rows": summary.rows, "valid": summary.valid, "invalid": summary.invalid,
            "with_warnings": summary.with_warnings, "problems": problems,
        });
        write!(self.out, "\n],\"summary\":{summary}}}\n")?;
        AtomicFile::commit_buffered(self.out)
    }
}

/// The input sheet again, bad cells filled red (errors) or yellow (warnings) with a note,
/// a last column listing each row's problems, and a summary sheet.
struct XlsxReport {
    workbook: Workbook,
    out: AtomicFile,
    /// The input's column names: the report copies this many columns.
    headers: Vec<String>,
    /// The sheet row of the input's header (1-based; 0 without one).
    header_row: usize,
    error: Format,
    warning: Format,
    /// Rows past what a sheet can hold are counted, not written.
    rows_left_out: usize,
    /// The last sheet row written, for the autofilter's range.
    last_row: u32,
    widths: xlsx::Widths,
    notes_written: usize,
    /// Bad cells past [`XLSX_MAX_NOTES`], highlighted without a note.
    notes_left_out: usize,
}

impl XlsxReport {
    fn new(path: &Path, headers: &[String], header_row: usize) -> Result<XlsxReport> {
        let mut workbook = Workbook::new();
        // The Summary comes first, where the workbook opens; it is filled when the run ends
        // (a sheet held in memory: it is small), while the rows stream to disk.
        workbook.add_worksheet().set_name("Summary")?;
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name("Rows")?;
        let mut widths = xlsx::Widths::default();
        // The row number and the problems first, where they are seen without scrolling;
        // the input's columns after them, on the rows they had.
        let mut columns = vec!["Row".to_string(), "Problems".to_string()];
        columns.extend(headers.iter().cloned());
        for (c, name) in columns.iter().enumerate() {
            widths.see(c, name);
        }
        if header_row > 0 {
            xlsx::header_row(sheet, header_row as u32 - 1, 0, &columns)?;
        }
        Ok(XlsxReport {
            workbook,
            out: AtomicFile::create(path)?,
            headers: headers.to_vec(),
            header_row,
            error: Format::new()
                .set_background_color(Color::RGB(0xFFC7CE))
                .set_pattern(FormatPattern::Solid),
            warning: Format::new()
                .set_background_color(Color::RGB(0xFFEB9C))
                .set_pattern(FormatPattern::Solid),
            rows_left_out: 0,
            last_row: header_row.saturating_sub(1) as u32,
            widths,
            notes_written: 0,
            notes_left_out: 0,
        })
    }
}

impl ReportWriter for XlsxReport {
    fn row(&mut self, row: &Row, mapped: &MappedRow) -> Result<()> {
        if row.number > XLSX_MAX_ROWS {
            self.rows_left_out += 1;
            return Ok(());
        }
        let r = (row.number - 1) as u32;
        self.last_row = r;
        let sheet = self.workbook.worksheet_from_name("Rows")?;
        sheet.write_number(r, 0, row.number as f64)?;
        // Cells too long for Excel, cut here and said so in the Problems column.
        let mut cut = Vec::new();
        for (c, cell) in row.cells().enumerate().take(self.headers.len()) {
            let shown = fit(cell, XLSX_MAX_CHARS);
            if matches!(shown, Cow::Owned(_)) {
                cut.push(self.headers[c].clone());
            }
            let here: Vec<&Finding> = mapped
                .findings
                .iter()
                .filter(|f| f.column_index == Some(c))
                .collect();
            let at = (c + INPUT_FIRST) as u16;
            self.widths.see(c + INPUT_FIRST, &shown);
            if here.is_empty() {
                if !cell.is_empty() {
                    sheet.write_string(r, at, shown)?;
                }
                continue;
            }
            let worst = here.iter().map(|f| f.severity).min().expect("not empty");
            let format = if worst == Severity::Error {
                &self.error
            } else {
                &self.warning
            };
            sheet.write_string_with_format(r, at, shown, format)?;
            if self.notes_written == XLSX_MAX_NOTES {
                self.notes_left_out += 1;
                continue;
            }
            self.notes_written += 1;
            let text = here
                .iter()
                .map(|f| format!("{}: {}", f.severity, f.message))
                .collect::<Vec<_>>()
                .join("\n");
            // A note holds a little less than a cell.
            let text = fit(&text, XLSX_MAX_CHARS - 100).into_owned();
            sheet.insert_note(
                r,
                at,
                &Note::new(text).set_author("bcetl").add_author_prefix(false),
            )?;
        }
        let mut problems: Vec<String> = mapped
            .findings
            .iter()
            .map(|f| match &f.column {
                Some(column) => format!("{column}: {}", f.message),
                None => f.message.clone(),
            })
            .collect();
        problems.extend(cut.iter().map(|column| {
            format!(
                "{column}: cut to {XLSX_MAX_CHARS} characters in this report (Excel's limit); \
                 the cell is checked and sent whole"
            )
        }));
        if !problems.is_empty() {
            let text = problems.join("; ");
            let text = fit(&text, XLSX_MAX_CHARS);
            self.widths.see(PROBLEMS, &text);
            let column = PROBLEMS as u16;
            match mapped.findings.iter().map(|f| f.severity).min() {
                Some(Severity::Error) => {
                    sheet.write_string_with_format(r, column, text, &self.error)?
                }
                Some(_) => sheet.write_string_with_format(r, column, text, &self.warning)?,
                None => sheet.write_string(r, column, text)?,
            };
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, summary: &Summary) -> Result<()> {
        let rows = self.workbook.worksheet_from_name("Rows")?;
        self.widths.apply(rows)?;
        if self.header_row > 0 {
            let last_column = (self.headers.len() + INPUT_FIRST - 1) as u16;
            rows.autofilter(self.header_row as u32 - 1, 0, self.last_row, last_column)?;
        }
        let bold = Format::new().set_bold();
        let sheet = self.workbook.worksheet_from_name("Summary")?;
        let lines = [
            ("Rows", summary.rows),
            ("Valid", summary.valid),
            ("Invalid", summary.invalid),
            ("With warnings", summary.with_warnings),
        ];
        for (i, (label, n)) in lines.iter().enumerate() {
            sheet.write_string_with_format(i as u32, 0, *label, &bold)?;
            sheet.write_number(i as u32, 1, *n as f64)?;
        }
        let mut r = lines.len() as u32 + 1;
        if self.notes_left_out > 0 {
            sheet.write_string(
                r,
                0,
                format!(
                    "Notes were added to the first {XLSX_MAX_NOTES} bad cells; {} more are highlighted \
                     without one. Every row's problems are in the Problems column, and a .csv report \
                     lists every finding.",
                    self.notes_left_out
                ),
            )?;
            r += 2;
        }
        if self.rows_left_out > 0 {
            sheet.write_string(r, 0, format!("{} rows past row {XLSX_MAX_ROWS} are not copied to the Rows sheet; use a .csv report for them", self.rows_left_out))?;
            r += 2;
        }
        // The table of problems, like the Rows sheet: its header in bold and kept in view,
        // a filter on it, and columns as wide as what they hold.
        let titles = [
            "Severity",
            "Rule",
            "Column or field",
            "Count",
            "First row",
            "Example",
        ]
        .map(String::from);
        xlsx::header_row(sheet, r, 0, &titles)?;
        let mut widths = xlsx::Widths::default();
        for (c, title) in titles.iter().enumerate() {
            widths.see(c, title);
        }
        for (label, _) in &lines {
            widths.see(0, label);
        }
        let header = r;
        for count in summary.most_common() {
            r += 1;
            let severity = count.severity.to_string();
            let (count_text, first_row) = (count.count.to_string(), count.first_row.to_string());
            let cells = [
                severity.as_str(),
                count.rule,
                &count.place,
                &count_text,
                &first_row,
                &count.example,
            ];
            for (c, text) in cells.iter().enumerate() {
                widths.see(c, text);
            }
            sheet.write_string(r, 0, severity)?;
            sheet.write_string(r, 1, count.rule)?;
            sheet.write_string(r, 2, fit(&count.place, XLSX_MAX_CHARS))?;
            sheet.write_number(r, 3, count.count as f64)?;
            sheet.write_number(r, 4, count.first_row as f64)?;
            sheet.write_string(r, 5, fit(&count.example, XLSX_MAX_CHARS))?;
        }
        sheet.autofilter(header, 0, r, 5)?;
        widths.apply(sheet)?;
        xlsx::save(self.workbook, self.out)
    }
}

/// The report's columns: the row number, the problems, then the input's columns.
const PROBLEMS: usize = 1;
const INPUT_FIRST: usize = 2;

/// Writes the JSON body an import would send for each valid row, one per line.
pub struct EmitWriter {
    out: TableWriter,
}

impl EmitWriter {
    pub fn create(path: &Path) -> Result<EmitWriter> {
        let out = TableWriter::create(
            Some(path),
            TableFormat::JsonLines,
            &[],
            TableOptions::default(),
        )?;
        Ok(EmitWriter { out })
    }

    pub fn row(&mut self, mapped: &MappedRow) -> Result<()> {
        if mapped
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error)
        {
            return Ok(());
        }
        match mapped.other.as_deref() {
            // An activity or task: its body, and the key that finds its contact.
            Some(other) => self
                .out
                .json(&serde_json::json!({"contact": other.contact_key, "body": other.fields})),
            None => self.out.json(&mapped.contact),
        }
    }

    pub fn finish(self) -> Result<()> {
        self.out.finish()
    }
}
