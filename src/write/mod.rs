//! Writing: files that appear whole or not at all ([`AtomicFile`]), and one tabular writer
//! for every table bcetl writes (CSV, XLSX in constant memory, JSON lines), used by the
//! dry-run reports and the exports.
//!
//! Depends on nothing else in the crate but [`crate::guard`], and the vCard column names
//! of [`crate::read::vcard`].

mod atomic;
mod table;
pub mod vcard;
pub mod xlsx;

pub use atomic::AtomicFile;
pub use table::{TableFormat, TableOptions, TableWriter};
