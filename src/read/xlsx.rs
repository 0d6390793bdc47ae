//! XLSX (and XLSM) sheets streamed row by row through calamine's cell reader, so a workbook
//! of a million rows needs a few rows in memory, not the whole sheet (a 100,000-row sheet
//! read whole peaked at 268–316 MB). What stays whole is the workbook's shared-strings table,
//! which calamine loads when it opens the file.
//!
//! The workbook lives on a reader thread, which owns it for as long as the cell reader
//! borrows it, and hands finished rows over a bounded channel.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::mpsc;

use anyhow::{anyhow, Context, Result};
use calamine::{open_workbook, Data, Reader, Xlsx};

use super::sheet::{choose_sheet, sheet_table, text_of, zero_pad_width};
use super::{CellProblem, ReadOptions, Row, Table};

/// Rows read ahead of the consumer.
const ROWS_AHEAD: usize = 256;

pub fn open(path: &Path, options: &ReadOptions) -> Result<Table> {
    let shown = path.display().to_string();
    let workbook: Xlsx<BufReader<File>> = open_workbook(path)
        .with_context(|| format!("{shown}: cannot open as a workbook (XLSX)"))?;
    let name = choose_sheet(&workbook.sheet_names(), options, &shown)?;

    let (to_columns, columns_in) = mpsc::channel();
    let (to_rows, rows_in) = mpsc::sync_channel(ROWS_AHEAD);
    let (thread_sheet, thread_shown) = (name.clone(), shown.clone());
    std::thread::Builder::new()
        .name("xlsx reader".into())
        .spawn(move || stream(workbook, &thread_sheet, &thread_shown, to_columns, to_rows))
        .with_context(|| format!("{shown}: cannot start a thread to read it"))?;
    // The sheet's declared width, for naming columns when there is no header row.
    let declared_columns: usize = columns_in
        .recv()
        .map_err(|_| anyhow!("{shown}: the reader stopped before the sheet {name:?}"))??;
    let mut rows = rows_in.into_iter();
    sheet_table(path, &name, options, declared_columns, move || {
        rows.next().transpose()
    })
}

/// Runs on the reader thread: sends the sheet's declared width, then its rows in order, each
/// with its cells as a user sees them. Stops when the receiver goes away.
fn stream(
    mut workbook: Xlsx<BufReader<File>>,
    sheet: &str,
    shown: &str,
    to_columns: mpsc::Sender<Result<usize>>,
    to_rows: mpsc::SyncSender<Result<Row>>,
) {
    let mut cells = match workbook.worksheet_cells_reader(sheet) {
        Ok(cells) => cells,
        Err(e) => {
            let _ = to_columns.send(Err(anyhow!("{shown}: cannot read sheet {sheet:?}: {e}")));
            return;
        }
    };
    if to_columns
        .send(Ok(cells.dimensions().end.1 as usize + 1))
        .is_err()
    {
        return;
    }
    // The zero-padding width of each style in the workbook's palette (`00000` for a zip).
    let padding: Vec<Option<usize>> = cells
        .styles()
        .iter()
        .map(|style| {
            style
                .number_format
                .as_ref()
                .and_then(|f| zero_pad_width(&f.format_code))
        })
        .collect();
    let mut row: Option<RowInProgress> = None;
    loop {
        let (cell, style) = match cells.next_cell_with_style_id() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                let after = row
                    .as_ref()
                    .map_or(String::new(), |r| format!(" after row {}", r.number));
                let _ = to_rows.send(Err(anyhow!(
                    "{shown}: sheet {sheet:?}: cannot read the cells{after}: {e}"
                )));
                return;
            }
        };
        let (r, c) = cell.get_position();
        let (number, column) = (r as usize + 1, c as usize);
        if row.as_ref().is_some_and(|r| r.number != number) && !send(&to_rows, row.take()) {
            return;
        }
        let RowInProgress {
            texts, problems, ..
        } = row.get_or_insert_with(|| RowInProgress {
            number,
            texts: Vec::new(),
            problems: Vec::new(),
        });
        let data = Data::from(cell.get_value().clone());
        let pad = padding.get(style).copied().flatten();
        let text = text_of(&data, pad).unwrap_or_else(|message| {
            problems.push(CellProblem {
                column: Some(column),
                message,
            });
            String::new()
        });
        // Columns the sheet leaves out are blank.
        if texts.len() <= column {
            texts.resize(column + 1, String::new());
        }
        texts[column] = text;
    }
    send(&to_rows, row.take());
}

/// A row being read cell by cell.
struct RowInProgress {
    number: usize,
    texts: Vec<String>,
    problems: Vec<CellProblem>,
}

/// Sends a finished row; false when nobody is listening any more.
fn send(to_rows: &mpsc::SyncSender<Result<Row>>, row: Option<RowInProgress>) -> bool {
    let Some(row) = row else {
        return true;
    };
    let row = Row {
        number: row.number,
        record: row.texts.into(),
        problems: row.problems,
    };
    to_rows.send(Ok(row)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::SheetRef;
    use rust_xlsxwriter::{Format, Workbook};

    /// A workbook with a "Notes" sheet, then a "Leads" sheet filled by `fill`.
    fn workbook(fill: impl Fn(&mut rust_xlsxwriter::Worksheet)) -> tempfile::NamedTempFile {
        let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
        let mut book = Workbook::new();
        book.add_worksheet().set_name("Notes").unwrap();
        let sheet = book.add_worksheet();
        sheet.set_name("Leads").unwrap();
        fill(sheet);
        book.save(file.path()).unwrap();
        file
    }

    fn leads(header_row: Option<usize>) -> ReadOptions {
        ReadOptions {
            sheet: Some(SheetRef::Name("leads".into())),
            header_row,
            ..ReadOptions::default()
        }
    }

    fn rows(table: Table) -> Vec<(usize, Vec<String>, usize)> {
        table
            .rows
            .map(|r| r.unwrap())
            .map(|r| (r.number, r.to_vec(), r.problems.len()))
            .collect()
    }

    #[test]
    fn rows_stream_with_sheet_numbers_padded_zips_and_problems() {
        let file = workbook(|s| {
            let zip = Format::new().set_num_format("00000");
            s.write_string(1, 1, "Name").unwrap(); // header on row 2, from column B
            s.write_string(1, 2, "Zip").unwrap();
            s.write_string(2, 1, "Ada").unwrap();
            s.write_number_with_format(2, 2, 2134.0, &zip).unwrap();
            // Row 4 formatted but blank, row 5 with a value past the header.
            s.write_blank(3, 1, &zip).unwrap();
            s.write_string(4, 1, "Alan").unwrap();
            s.write_string(4, 4, "stray").unwrap();
        });
        let table = open(file.path(), &leads(None)).unwrap();
        assert_eq!(table.header_row, 2);
        assert_eq!(table.headers, ["Column A", "Name", "Zip"]);
        assert_eq!(
            rows(table),
            [
                (3, vec!["".into(), "Ada".into(), "02134".into()], 0),
                (5, vec!["".into(), "Alan".into(), "".into()], 1),
            ],
            "blank rows skipped, numbers kept, the stray cell reported"
        );
    }

    #[test]
    fn without_a_header_row_columns_are_named_by_letter() {
        let file = workbook(|s| {
            s.write_string(0, 0, "Ada").unwrap();
            s.write_string(5, 2, "x").unwrap();
        });
        let table = open(file.path(), &leads(Some(0))).unwrap();
        assert_eq!(table.headers, ["A", "B", "C"], "as wide as the sheet");
        let got = rows(table);
        assert_eq!((got[0].0, got[1].0), (1, 6));
    }

    #[test]
    fn sheet_level_problems_are_errors_naming_the_sheet_and_row() {
        let error = |fill: &dyn Fn(&mut rust_xlsxwriter::Worksheet), header: Option<usize>| {
            let file = workbook(fill);
            open(file.path(), &leads(header)).unwrap_err().to_string()
        };
        let e = error(&|_| {}, None);
        assert!(e.contains("sheet \"Leads\" is empty"), "{e}");
        let e = error(&|s| drop(s.write_string(0, 0, "Name")), None);
        assert!(e.contains("has a header row but no data rows"), "{e}");
        let e = error(&|s| drop(s.write_string(0, 0, "Name")), Some(4));
        assert!(e.contains("ends at row 1 before its header row 4"), "{e}");
        let blank_header = |s: &mut rust_xlsxwriter::Worksheet| {
            s.write_string(0, 0, "Title").unwrap();
            s.write_string(2, 0, "Ada").unwrap();
        };
        let e = error(&blank_header, Some(2));
        assert!(
            e.contains("row 2 is blank; expected the column names"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever text sits wherever in a sheet, each row comes back with its spreadsheet
        /// number and each cell in its column, as written.
        #[test]
        fn cells_come_back_where_they_were_written(
            cells in proptest::collection::btree_map(
                (0u32..40, 0u16..8),
                "[a-zA-Z0-9 éß\\n\\t\"'<>&;,]{1,12}",
                1..60,
            ),
        ) {
            // A sheet blank to the eye is an empty sheet, an error of its own (tested above).
            prop_assume!(cells.values().any(|t| !t.trim().is_empty()));
            let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for ((r, c), text) in &cells {
                sheet.write_string(*r, *c, text).unwrap();
            }
            book.save(file.path()).unwrap();
            let options = ReadOptions { header_row: Some(0), ..ReadOptions::default() };
            let table = open(file.path(), &options).unwrap();
            let read: BTreeMap<usize, Vec<String>> = table
                .rows
                .map(|r| r.unwrap())
                .map(|r| (r.number, r.to_vec()))
                .collect();
            let mut expected: BTreeMap<usize, Vec<String>> = BTreeMap::new();
            for ((r, c), text) in &cells {
                let row = expected.entry(*r as usize + 1).or_default();
                if row.len() <= *c as usize {
                    row.resize(*c as usize + 1, String::new());
                }
                row[*c as usize] = text.clone();
            }
            // Rows whose every cell is blank to the eye are skipped, as in CSV.
            expected.retain(|_, row| row.iter().any(|t| !t.trim().is_empty()));
            prop_assert_eq!(read.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
            for (number, row) in &expected {
                for (c, text) in row.iter().enumerate() {
                    prop_assert_eq!(&read[number][c], text, "row {} column {}", number, c);
                }
            }
        }
    }
}
