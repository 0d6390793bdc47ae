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
    let Some((first_row, first_col)) = range.start() else {
        bail!("{shown}: sheet {name:?} is empty; expected a header row and data rows");
    };
    // Only XLSX shows calamine its number formats, so zero-padded zips keep their zeros
    // there alone (see xlsx.rs); here a number is its digits.
    let cell_text = |_row: u32, _col: u32, data: &Data| text_of(data, None);

    // Absolute sheet rows are 0-based; a user counts from 1.
    let header_row = options.header_row.unwrap_or(first_row as usize + 1);
    let width = range.width();
    let row_cells = |abs_row: u32| -> Row {
        let mut problems = Vec::new();
        let mut cells = vec![String::new(); first_col as usize];
        for c in 0..width as u32 {
            let abs_col = first_col + c;
            let data = range.get_value((abs_row, abs_col)).unwrap_or(&Data::Empty);
            cells.push(cell_text(abs_row, abs_col, data).unwrap_or_else(|message| {
                problems.push(CellProblem {
                    column: Some(abs_col as usize),
                    message,
                });
                String::new()
            }));
        }
        Row {
            number: abs_row as usize + 1,
            record: csv::StringRecord::from(cells),
            problems,
        }
    };

    let (end_row, _) = range.end().expect("a non-empty range has an end");
    let headers = if header_row == 0 {
        None
    } else {
        if header_row > end_row as usize + 1 {
            bail!(
                "{shown}: sheet {name:?} ends at row {} before its header row {header_row}",
                end_row + 1
            );
        }
        let header = row_cells(header_row as u32 - 1);
        Some(name_headers(
            path,
            header_row,
            trim_trailing_blanks(header.to_vec()),
        )?)
    };
    let data_start = if header_row == 0 {
        first_row
    } else {
        header_row as u32
    };
    let mut data_rows: Vec<Row> = (data_start..=end_row)
        .map(row_cells)
        .filter(|row| !row.cells().all(|c| c.trim().is_empty()) || !row.problems.is_empty())
        .collect();
    if data_rows.is_empty() {
        bail!("{shown}: sheet {name:?} has a header row but no data rows");
    }
    let headers = headers.unwrap_or_else(|| letter_headers(first_col as usize + width));
    for row in &mut data_rows {
        fit_to_headers(row, &headers);
    }
    drop(range);
    Ok(Table {
        path: path.to_path_buf(),
        headers,
        header_row,
        description: format!("sheet {name:?}"),
        rows: Box::new(data_rows.into_iter().map(Ok)),
    })
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

pub(super) fn trim_trailing_blanks(mut cells: Vec<String>) -> Vec<String> {
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
