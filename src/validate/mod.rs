//! Validation: the rules a contact must pass before it is sent, and the dry run over a file.
//!
//! Value rules (dates that exist, enum codes, email syntax) are checked as the mapping
//! converts each cell; this module adds the rules about a whole record (required fields) and
//! about the file (the same email on two rows), and runs the pipeline: a reader thread feeds
//! chunks of rows, rayon maps each chunk in parallel, and the results are handed on in row
//! order to whoever writes the report.
//!
//! Depends on `read`, `mapping`, `schema`, `finding`, `pipeline` (the run's shape) and
//! `write` (the reports).

mod pipeline;
pub mod report;

use std::hash::BuildHasher;

use foldhash::quality::RandomState;

use crate::finding::{Finding, Severity};
use crate::mapping::{Entity, MappedRow, Mapping};
use crate::schema::{ScalarField, ScalarValue};

pub use pipeline::{run, Summary};

/// Record-level rules: what the API requires of every contact.
pub fn check_record(mapping: &Mapping, mapped: &mut MappedRow) {
    match mapping.entity {
        Entity::Contact => {}
        // Users are read-only in the API: nothing is sent, so nothing is required.
        Entity::User => return,
        Entity::Activity | Entity::Task => return check_activity_or_task(mapping, mapped),
    }
    let contact = &mapped.contact;
    let mut missing = Vec::new();
    for field in [ScalarField::FirstName, ScalarField::LastName] {
        let blank = match contact.scalars.get(field) {
            Some(ScalarValue::Text(t)) => t.trim().is_empty(),
            Some(ScalarValue::Bool(_)) => false,
            None => true,
        };
        if blank {
            missing.push((field.name().to_string(), mapping.column_of(field)));
        }
    }
    if contact.emails.is_empty() {
        missing.push(("emails.email".to_string(), mapping.email_column()));
    }
    for (field, column) in missing {
        // A value that failed to convert has its own finding already; do not report it twice.
        let reported = column.is_some()
            && mapped
                .findings
                .iter()
                .any(|f| f.column_index == column && f.severity == Severity::Error);
        if reported {
            continue;
        }
        mapped.findings.push(Finding {
            row: mapped.row,
            column_index: column,
            column: column.and_then(|c| mapping.columns.get(c).cloned()),
            field: Some(field.clone()),
            value: String::new(),
            rule: "required",
            message: match column {
                Some(_) => format!("{field} is required by BigContacts, and this cell is blank"),
                None => {
                    format!("{field} is required by BigContacts, and the mapping does not fill it")
                }
            },
            severity: Severity::Error,
        });
    }
}

/// What the API requires of an activity (a title) or a task (a title and a start or due
/// date), and of both: the key naming the contact.
fn check_activity_or_task(mapping: &Mapping, mapped: &mut MappedRow) {
    let mut missing: Vec<(&str, &str)> = Vec::new();
    let has = |field: &str| mapped.fields().is_some_and(|f| f.contains_key(field));
    if !has("title") {
        missing.push(("title", "title"));
    }
    if mapping.entity == Entity::Task && !has("start_date") && !has("due_date") {
        missing.push(("start_date", "a start or due date"));
    }
    if mapped.contact_key().is_none() {
        missing.push(("contact", "the contact's key"));
    }
    for (field, what) in missing {
        let column = mapping.record_column(field);
        // A value that failed to convert has its own finding already.
        let reported = column.is_some()
            && mapped
                .findings
                .iter()
                .any(|f| f.column_index == column && f.severity == Severity::Error);
        if reported {
            continue;
        }
        mapped.findings.push(
            Finding::error(mapped.row, column, &mapping.columns, "required")
                .field(field)
                .message(match column {
                    Some(_) => format!("{what} is required by BigContacts, and this cell is blank"),
                    None => format!(
                        "{what} is required by BigContacts, and the mapping does not fill it"
                    ),
                }),
        );
    }
}

/// Remembers each email seen so far, to warn when a later row repeats it.
///
/// Keeps a 64-bit hash and a row number per address (about 20 bytes each), not the address
/// itself, so a million rows cost tens of megabytes rather than hundreds.
#[derive(Default)]
pub struct DuplicateEmails {
    /// Keyed by the emails' hashes already, so the map must not hash them again.
    first_row: nohash_hasher::IntMap<u64, u32>,
    /// foldhash, not the standard SipHash: cheaper on short strings, with the same 64 bits.
    /// The odds that two of a million distinct addresses share a hash (and so show a false
    /// duplicate warning) are about 1 in 37 million.
    hasher: RandomState,
}

impl DuplicateEmails {
    /// The hash function, for computing [`DuplicateEmails::hashes`] on other threads.
    pub fn hasher(&self) -> RandomState {
        self.hasher.clone()
    }

    /// The hashes of the rows' emails, row after row: computed in the parallel stage, and
    /// checked in row order by [`DuplicateEmails::check`].
    pub fn hashes(hasher: &RandomState, rows: &[MappedRow]) -> Vec<u64> {
        // Emails were lowercased when mapped.
        rows.iter()
            .flat_map(|m| &m.contact.emails)
            .map(|e| hasher.hash_one(&e.email))
            .collect()
    }

    /// Warns about each email of the row seen on an earlier row; `hashes` are the row's own,
    /// one per email.
    pub fn check(&mut self, mapping: &Mapping, mapped: &mut MappedRow, hashes: &[u64]) {
        let mut found = Vec::new();
        for (email, &hash) in mapped.contact.emails.iter().zip(hashes) {
            let first = *self.first_row.entry(hash).or_insert(mapped.row as u32);
            if first as usize != mapped.row {
                found.push((email.email.clone(), first));
            }
        }
        let column = mapping.email_column();
        for (email, first) in found {
            mapped.findings.push(Finding {
                row: mapped.row,
                column_index: column,
                column: column.and_then(|c| mapping.columns.get(c).cloned()),
                field: Some("emails.email".into()),
                value: email.clone(),
                rule: "duplicate_email",
                message: format!(
                    "{email} is also on row {first}; BigContacts would hold two contacts with it"
                ),
                severity: Severity::Warning,
            });
        }
    }
}
