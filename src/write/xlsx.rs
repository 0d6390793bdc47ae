//! What every XLSX file bcetl writes shares: Excel's limits, text cut to fit them, a bold
//! header row that stays in view, and the workbook saved atomically.

use std::borrow::Cow;

use anyhow::{Context, Result};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::AtomicFile;

/// Rows an XLSX sheet can hold.
pub const MAX_ROWS: usize = 1_048_576;

/// Columns an XLSX sheet can hold.
pub const MAX_COLUMNS: usize = 16_384;

/// Characters an Excel cell holds; rust_xlsxwriter refuses longer text.
pub const MAX_CHARS: usize = 32_767;

/// The widest a column is made to fit its content, in characters: wider text wraps off
/// screen either way.
const MAX_WIDTH: usize = 60;

/// Text cut to `max` characters, with an ellipsis where it was cut.
pub fn fit(text: &str, max: usize) -> Cow<'_, str> {
    // A character is at least a byte: short text needs no count.
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    match text.char_indices().nth(max - 1) {
        Some((cut, _)) if text[cut..].chars().nth(1).is_some() => {
            Cow::Owned(format!("{}…", &text[..cut]))
        }
        _ => Cow::Borrowed(text),
    }
}

/// Writes `headers` in bold on row `row` of `sheet` from column `first`, and keeps the rows
/// up to it in view while scrolling.
pub fn header_row(sheet: &mut Worksheet, row: u32, first: u16, headers: &[String]) -> Result<()> {
    let bold = Format::new().set_bold();
    for (c, name) in headers.iter().enumerate() {
        sheet.write_string_with_format(row, first + c as u16, fit(name, MAX_CHARS), &bold)?;
    }
    sheet.set_freeze_panes(row + 1, 0)?;
    Ok(())
}

/// The widest text seen in each column, to size the columns when the sheet is done.
#[derive(Debug, Default)]
pub struct Widths(Vec<usize>);

impl Widths {
    pub fn see(&mut self, column: usize, text: &str) {
        if self.0.len() <= column {
            self.0.resize(column + 1, 0);
        }
        // Counting characters of long text is wasted work past the cap.
        let width = text.chars().take(MAX_WIDTH + 1).count();
        self.0[column] = self.0[column].max(width);
    }

    /// Sets each column's width to its widest text (plus a margin), capped.
    pub fn apply(&self, sheet: &mut Worksheet) -> Result<()> {
        for (c, &width) in self.0.iter().enumerate() {
            let width = (width + 2).clamp(6, MAX_WIDTH);
            sheet.set_column_width(c as u16, width as f64)?;
        }
        Ok(())
    }
}

/// Saves the workbook into its atomic file and puts it in place.
pub fn save(workbook: Workbook, out: AtomicFile) -> Result<()> {
    save_staged(workbook, out)?.commit()
}

/// Saves the workbook into its atomic file, not yet in place.
pub fn save_staged(mut workbook: Workbook, mut out: AtomicFile) -> Result<AtomicFile> {
    let shown = out.path().display().to_string();
    workbook
        .save_to_writer(&mut out)
        .with_context(|| format!("{shown}: cannot write"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_an_ellipsis_at_the_limit() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("abcdef", 3), "ab…");
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("ééééé", 3).chars().count(), 3);
    }
}
