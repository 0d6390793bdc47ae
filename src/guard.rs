//! The formula guard: the apostrophe put before a CSV cell that a spreadsheet would run as a
//! formula, and taken off again when bcetl reads a CSV, so that what bcetl writes it reads
//! back unchanged.
//!
//! Spreadsheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and Excel also one
//! starting with a tab or a carriage return), so a contact named `=HYPERLINK(…)` in an
//! export would run when the file is opened. A leading `'` makes the cell text. The reader
//! undoes exactly that guard: a `'` followed by one of those characters (or by more
//! apostrophes and then one, since a cell that already looks guarded is guarded once more).
//! A file from elsewhere whose cells really start with such an apostrophe is read with
//! `--keep-apostrophes`.
//!
//! XLSX needs no guard: a cell written as a string is never evaluated.
//!
//! Depends on nothing else in the crate.

use std::borrow::Cow;

/// Whether a spreadsheet would run a cell starting with this byte.
fn runs_as_formula(first: u8) -> bool {
    matches!(first, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
}

/// Whether a cell gets the guard: it would run as a formula, or it already looks guarded
/// (`'=x`, which the reader would otherwise take the apostrophe off).
fn needs_guard(cell: &str) -> bool {
    cell.bytes()
        .find(|&b| b != b'\'')
        .is_some_and(runs_as_formula)
}

/// A cell as written into a CSV a person may open: with a leading `'` where a spreadsheet
/// would run it.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if needs_guard(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Whether `cell` carries the guard [`neutralize`] puts on.
pub fn is_guarded(cell: &str) -> bool {
    cell.strip_prefix('\'').is_some_and(needs_guard)
}

/// A cell read back: the guard taken off, anything else as it is.
pub fn undo(cell: &str) -> &str {
    if is_guarded(cell) {
        &cell[1..]
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_comes_off_exactly_as_it_went_on() {
        for cell in [
            "=SUM(A1)",
            "+34 612 34 56 78",
            "-0151 123",
            "@maggie",
            "\tx",
            "\rx",
            "plain",
            "'quoted already",
            "'=kept",
            "",
            "'",
        ] {
            assert_eq!(undo(&neutralize(cell)), cell, "{cell:?}");
        }
        assert_eq!(neutralize("=1+1"), "'=1+1");
        assert_eq!(neutralize("a = b"), "a = b");
        assert_eq!(undo("'+1"), "+1");
        assert_eq!(undo("'O'Brien"), "'O'Brien", "only the guard comes off");
        assert_eq!(
            neutralize("'=kept"),
            "''=kept",
            "a cell that looks guarded is guarded"
        );
        assert_eq!(undo("'"), "'");
    }
}
