//! `bcetl import --plan`: what a run would do, row by row, asking the server only to read.
//!
//! The same decisions as the run ([`super::decide`]) against the same index of the account;
//! `plan.csv` gives each row's action and, for updates, the fields that would change
//! (before → after). Nothing is written to the import's journal.

use std::path::Path;

use anyhow::Result;

use super::{decide, index_account, Decision, Journal, Mode, Options};
use crate::api::Client;
use crate::clock::Clock;
use crate::read::Table;
use crate::schema::{ContactInput, ScalarField};
use crate::write::{TableFormat, TableOptions, TableWriter};

/// What the run would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub invalid: usize,
    /// Keys that name several contacts, or (update mode) none.
    pub refused: usize,
    /// Requests the plan itself sent (the account's index).
    pub read_requests: u64,
}

impl Plan {
    /// Requests the run would send.
    pub fn writes(&self) -> usize {
        self.create + self.update + self.delete
    }
}

/// A row the run would not send, counted, as plan.csv shows it.
pub(super) fn refused_line(
    plan: &mut Plan,
    number: String,
    state: super::State,
    key: Option<String>,
    reason: String,
) -> [String; 5] {
    let action = if state == super::State::Invalid {
        plan.invalid += 1;
        "invalid"
    } else {
        plan.refused += 1;
        "refused"
    };
    [
        number,
        action.into(),
        String::new(),
        key.unwrap_or_default(),
        reason,
    ]
}

/// `plan.csv`, with its header.
pub(super) fn plan_file(path: &Path) -> Result<TableWriter> {
    let columns = ["row", "action", "contact_id", "key", "changes"].map(String::from);
    TableWriter::create(
        Some(path),
        TableFormat::Csv,
        &columns,
        TableOptions::default(),
    )
}

/// How a plan finds contacts: through an index of the account in the scratch `index`
/// (filled here, when `needs_index` and the lookup is by index), or row by row.
pub(super) fn plan_finder<'a, C: Clock>(
    client: &'a Client<C>,
    index: &'a Journal,
    options: &Options,
    needs_index: bool,
) -> Result<super::Finder<'a, C>> {
    if needs_index && options.lookup == super::Lookup::Index {
        index_account(client, index)?;
    }
    Ok(super::Finder {
        journal: index,
        client,
        lookup: options.lookup,
    })
}

pub fn plan<C: Clock>(
    table: Table,
    mapping: &crate::mapping::Mapping,
    client: &Client<C>,
    options: &Options,
    path: &Path,
) -> Result<Plan> {
    let scratch = tempfile::tempdir()?;
    let index = Journal::open(scratch.path(), &[])?;
    let finder = plan_finder(client, &index, options, options.mode != Mode::Create)?;
    let mut out = plan_file(path)?;
    let mut plan = Plan::default();
    for row in table.rows {
        let row = row?;
        let number = row.number.to_string();
        let line: [String; 5] = match decide(&row, mapping, &finder, options)? {
            Decision::Refused { state, key, reason } => {
                refused_line(&mut plan, number, state, key, reason)
            }
            Decision::Unchanged { contact_id, key } => {
                plan.unchanged += 1;
                [
                    number,
                    "unchanged".into(),
                    contact_id.to_string(),
                    key,
                    String::new(),
                ]
            }
            Decision::Delete {
                key, contact_id, ..
            } => {
                plan.delete += 1;
                [
                    number,
                    "delete".into(),
                    contact_id.to_string(),
                    key,
                    String::new(),
                ]
            }
            Decision::Create { key, .. } => {
                plan.create += 1;
                [number, "create".into(), String::new(), key, String::new()]
            }
            Decision::Update {
                key,
                contact_id,
                current,
                body,
                ..
            } => {
                plan.update += 1;
                let changes = describe_changes(&current, &body);
                [
                    number,
                    "update".into(),
                    contact_id.to_string(),
                    key,
                    changes,
                ]
            }
        };
        out.row(&line)?;
    }
    out.finish()?;
    plan.read_requests = client.stats().requests;
    Ok(plan)
}

/// `title: "Engineer" → "CTO"; phones: 1 → 2` for the fields an update changes.
fn describe_changes(current: &ContactInput, body: &ContactInput) -> String {
    let mut changes = Vec::new();
    for &field in ScalarField::ALL {
        let Some(after) = body.scalars.get(field) else {
            continue;
        };
        let before = current
            .scalars
            .get(field)
            .map(|v| v.to_cell())
            .unwrap_or_default();
        let after = after.to_cell();
        if before.trim() != after.trim() {
            changes.push(format!("{}: {before:?} → {after:?}", field.name()));
        }
    }
    let lists = [
        ("emails", current.emails.len(), body.emails.len()),
        ("phones", current.phones.len(), body.phones.len()),
        ("addresses", current.addresses.len(), body.addresses.len()),
        ("tags", current.tags.len(), body.tags.len()),
        ("interests", current.interests.len(), body.interests.len()),
        (
            "categories",
            current.categories.len(),
            body.categories.len(),
        ),
        (
            "custom_fields",
            current.custom_fields.len(),
            body.custom_fields.len(),
        ),
    ];
    for (name, before, after) in lists {
        if after > 0 && after != before {
            changes.push(format!("{name}: {before} → {after}"));
        }
    }
    if changes.is_empty() {
        changes.push("values within lists".into());
    }
    changes.join("; ")
}
