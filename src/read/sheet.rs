//! Workbook input (XLSB, XLS, ODS) through calamine, a whole sheet at a time; XLSX and XLSM
//! stream instead (`xlsx.rs`), with the helpers here.
//!
//! Cells become the text a user sees in the sheet: dates as `YYYY-MM-DD`, whole numbers
//! without a decimal point or an exponent (a phone number stays `4046570000`), zero-padded
//! number formats keep their leading zeros (zip `02134`), formulas give their cached values.

use std::path::Path;

use anyhow::{bail, Context, Result};
use calamine::{open_workbook_auto, Data, Reader};

use super::{
    fit_to_headers, letter_headers, name_headers, CellProblem, ReadOptions, Row, SheetRef, Table,
};

pub fn open(path: &Path, options: &ReadOptions) -> Result<Table> {
    let shown = path.display().to_string();
    let mut workbook = open_workbook_auto(path)
        .with_context(|| format!("{shown}: cannot open as a workbook (XLSX, XLS or ODS)"))?;
    let name = choose_sheet(&workbook.sheet_names(), options, &shown)?;
    let range = workbook
        .worksheet_range(&name)
        .with_context(|| format!("{shown}: cannot read sheet {name:?}"))?;
    let Some((first_row, _)) = range.start() else {
        bail!("{shown}: sheet {name:?} is empty; expected a header row and data rows");
    };
    let (end_row, end_col) = range.end().expect("a non-empty range has an end");
    // Rows from column A, as a user counts columns. Only XLSX shows calamine its number
    // formats, so zero-padded zips keep their zeros there alone (see xlsx.rs).
    let mut next_row = first_row;
    let rows = move || -> Result<Option<Row>> {
        if next_row > end_row {
            return Ok(None);
        }
        let r = next_row;
        next_row += 1;
        let mut problems = Vec::new();
        let cells: Vec<String> = (0..=end_col)
            .map(|c| {
                let data = range.get_value((r, c)).unwrap_or(&Data::Empty);
                text_of(data, None).unwrap_or_else(|message| {
                    problems.push(CellProblem {
                        column: Some(c as usize),
                        message,
                    });
                    String::new()
                })
            })
            .collect();
        Ok(Some(Row {
            number: r as usize + 1,
            record: cells.into(),
            problems,
        }))
    };
    sheet_table(path, &name, options, end_col as usize + 1, rows)
}

/// A sheet's table from its rows in order, numbered as the sheet numbers them (blank rows may
/// be among them, or missing): the header row chosen, then the data rows, each fitted to the
/// header. The XLSX stream and the whole-sheet readers both end here.
pub(super) fn sheet_table(
    path: &Path,
    name: &str,
    options: &ReadOptions,
    declared_columns: usize,
    mut next: impl FnMut() -> Result<Option<Row>> + Send + 'static,
) -> Result<Table> {
    let shown = path.display().to_string();

    let Some(first) = next_used(&mut next)? else {
        bail!("{shown}: sheet {name:?} is empty; expected a header row and data rows");
    };
    let header_row = options.header_row.unwrap_or(first.number);
    let (headers, mut pending) = if header_row == 0 {
        let width = declared_columns.max(first.record.len());
        (letter_headers(width), Some(first))
    } else {
        let mut row = first;
        while row.number < header_row {
            row = match next()? {
                Some(next_row) => next_row,
                None => bail!(
                    "{shown}: sheet {name:?} ends at row {} before its header row {header_row}",
                    row.number
                ),
            };
        }
        let names = if row.number == header_row {
            trim_trailing_blanks(row.to_vec())
        } else {
            Vec::new()
        };
        if names.is_empty() {
            bail!(
                "{shown}: sheet {name:?}: row {header_row} is blank; expected the column names \
                 there (--header-row says which row holds them)"
            );
        }
        (name_headers(path, header_row, names)?, None)
    };
    // Look ahead to the first data row, so a header-only sheet is an error now.
    if pending.is_none() {
        pending = next_used(&mut next)?;
    }
    if pending.is_none() && !options.allow_no_rows {
        bail!("{shown}: sheet {name:?} has a header row but no data rows");
    }
    let width_headers = headers.clone();
    let rows = std::iter::from_fn(move || {
        let mut row = match pending.take() {
            Some(row) => row,
            None => match next_used(&mut next) {
                Ok(Some(row)) => row,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            },
        };
        fit_to_headers(&mut row, &width_headers);
        Some(Ok(row))
    });
    Ok(Table {
        path: path.to_path_buf(),
        headers,
        header_row,
        description: format!("sheet {name:?}"),
        rows: Box::new(rows),
    })
}

/// The next row with a value or a problem; rows of blank (but perhaps formatted) cells are
/// skipped, as a user skips them.
fn next_used(next: &mut impl FnMut() -> Result<Option<Row>>) -> Result<Option<Row>> {
    while let Some(row) = next()? {
        if !row.problems.is_empty() || row.cells().any(|c| !c.trim().is_empty()) {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// The sheet the options ask for: by name (ignoring case), by 1-based position, or the first.
pub(super) fn choose_sheet(names: &[String], options: &ReadOptions, shown: &str) -> Result<String> {
    if names.is_empty() {
        bail!("{shown}: the workbook has no sheets");
    }
    Ok(match &options.sheet {
        None => names[0].clone(),
        Some(SheetRef::Index(i)) => names.get(i.wrapping_sub(1)).cloned().with_context(|| {
            format!(
                "{shown}: no sheet {i}: the workbook has {} ({})",
                names.len(),
                names.join(", ")
            )
        })?,
        Some(SheetRef::Name(wanted)) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(wanted.trim()))
            .cloned()
            .with_context(|| {
                format!(
                    "{shown}: no sheet named {wanted:?}; the sheets are: {}",
                    names.join(", ")
                )
            })?,
    })
}

fn trim_trailing_blanks(mut cells: Vec<String>) -> Vec<String> {
    while cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
    cells
}

/// The width of a format made of zeros only (`00000`), the Excel idiom for zip codes and ids.
pub(super) fn zero_pad_width(code: &str) -> Option<usize> {
    let code = code.trim_matches('"');
    (!code.is_empty() && code.len() <= 20 && code.bytes().all(|b| b == b'0')).then_some(code.len())
}

/// The text a user sees in a cell, or why the cell has none.
pub(super) fn text_of(data: &Data, pad: Option<usize>) -> Result<String, String> {
    Ok(match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Int(i) => pad_digits(i.to_string(), pad),
        Data::Float(f) => number_text(*f, pad),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => {
                t.date().format("%Y-%m-%d").to_string()
            }
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => number_text(dt.as_f64(), None),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("the cell holds the spreadsheet error {e}")),
    })
}

/// A number as written: integers without `.0` or an exponent, others in shortest form.
fn number_text(f: f64, pad: Option<usize>) -> String {
    if f.fract() == 0.0 && f.abs() < 1e17 {
        pad_digits(format!("{}", f as i64), pad)
    } else {
        format!("{f}")
    }
}

fn pad_digits(digits: String, pad: Option<usize>) -> String {
    match pad {
        Some(width) if digits.len() < width && !digits.starts_with('-') => {
            format!("{digits:0>width$}")
        }
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_digits() {
        assert_eq!(number_text(4046570000.0, None), "4046570000");
        assert_eq!(number_text(2134.0, Some(5)), "02134");
        assert_eq!(number_text(2.5, None), "2.5");
        assert_eq!(number_text(-3.0, Some(5)), "-3");
        assert_eq!(zero_pad_width("00000"), Some(5));
        assert_eq!(zero_pad_width("0.00"), None);
        assert_eq!(zero_pad_width("General"), None);
    }

    #[test]
    fn error_cells_explain_themselves() {
        let err = text_of(&Data::Error(calamine::CellErrorType::NA), None).unwrap_err();
        assert!(err.contains("#N/A"), "{err}");
    }
}
