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
use crate::schema::{ContactInput, ScalarField, ADDRESS_PARTS};
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

/// Most changes listed for one row in `plan.csv`; the rest are counted.
const CHANGES_SHOWN: usize = 10;

/// What an update changes, field by field and item by item: `title: "CEO" → "CTO"`,
/// `phones: + "+1 555 0100" (W)`, `custom_fields["Legacy ID"]: "" → "L-42"`.
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
    let office = |is_office: bool| if is_office { ", office" } else { "" };
    let out = &mut changes;
    items(out, "emails", &current.emails, &body.emails, |e| {
        format!("{:?}{}", e.email, office(e.is_office))
    });
    items(out, "phones", &current.phones, &body.phones, |p| {
        let kind = p.phone_type.as_deref().unwrap_or("no type");
        format!("{:?} ({kind}{})", p.phone, office(p.is_office))
    });
    items(out, "addresses", &current.addresses, &body.addresses, |a| {
        let parts: Vec<&str> = ADDRESS_PARTS
            .iter()
            .filter_map(|part| a.part(part).and_then(Option::as_deref))
            .collect();
        format!("{:?}{}", parts.join(", "), office(a.is_office))
    });
    items(
        out,
        "im_services",
        &current.im_services,
        &body.im_services,
        |i| format!("{:?} ({})", i.name, i.im_services_type),
    );
    let (before, after) = (&current.social_media, &body.social_media);
    items(out, "social_media", before, after, |s| {
        format!("{:?} ({})", s.name, s.social_media_type)
    });
    items(out, "tags", &current.tags, &body.tags, |t| {
        format!("{:?}", t.name)
    });
    let (before, after) = (&current.interests, &body.interests);
    items(out, "interests", before, after, |t| format!("{:?}", t.name));
    let (before, after) = (&current.categories, &body.categories);
    items(out, "categories", before, after, |c| {
        format!("{:?} ({})", c.value, c.name)
    });
    let (before, after) = (&current.contact_notes, &body.contact_notes);
    items(out, "contact_notes", before, after, |n| {
        format!("{:?}", n.note)
    });
    custom_fields(out, current, body);
    let nested = [
        (
            "spouse",
            current.spouse != body.spouse && body.spouse.is_some(),
        ),
        (
            "business",
            current.business != body.business && body.business.is_some(),
        ),
        (
            "family",
            current.family != body.family && !body.family.is_empty(),
        ),
    ];
    for (name, changed) in nested {
        if changed {
            out.push(format!("{name}: changed"));
        }
    }
    if changes.is_empty() {
        // Every item is there before and after: only their order moves.
        changes.push("the order of values within lists".into());
    }
    if changes.len() > CHANGES_SHOWN {
        let rest = changes.len() - CHANGES_SHOWN;
        changes.truncate(CHANGES_SHOWN);
        changes.push(format!("and {rest} more"));
    }
    changes.join("; ")
}

/// The items of a list an update sends that the contact lacks (`+`), and those it drops
/// (`-`, with `--replace-lists`); a list the update does not send is left alone.
fn items<T>(
    out: &mut Vec<String>,
    list: &str,
    before: &[T],
    after: &[T],
    label: impl Fn(&T) -> String,
) {
    if after.is_empty() {
        return;
    }
    let before: Vec<String> = before.iter().map(&label).collect();
    let after: Vec<String> = after.iter().map(&label).collect();
    for added in after.iter().filter(|a| !before.contains(a)) {
        out.push(format!("{list}: + {added}"));
    }
    for removed in before.iter().filter(|b| !after.contains(b)) {
        out.push(format!("{list}: - {removed}"));
    }
}

/// Custom fields by name: `custom_fields["Legacy ID"]: "" → "L-42"`.
fn custom_fields(out: &mut Vec<String>, current: &ContactInput, body: &ContactInput) {
    if body.custom_fields.is_empty() {
        return;
    }
    let value = |contact: &ContactInput, name: &str| {
        contact
            .custom_fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.clone())
    };
    for field in &body.custom_fields {
        let before = value(current, &field.name).unwrap_or_default();
        if before.trim() != field.value.trim() {
            out.push(format!(
                "custom_fields[{:?}]: {before:?} → {:?}",
                field.name, field.value
            ));
        }
    }
    for field in &current.custom_fields {
        if value(body, &field.name).is_none() && !field.value.is_empty() {
            out.push(format!(
                "custom_fields[{:?}]: {:?} → removed",
                field.name, field.value
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{CustomFieldInput, PhoneInput, ScalarValue};

    #[test]
    fn an_update_names_each_field_item_and_custom_field_it_changes() {
        let mut current = ContactInput::default();
        current
            .scalars
            .set(ScalarField::Title, Some(ScalarValue::Text("CEO".into())));
        current.phones.push(PhoneInput {
            phone: "+1 555 0199".into(),
            phone_type: Some("M".into()),
            ..Default::default()
        });
        let mut body = current.clone();
        body.scalars
            .set(ScalarField::Title, Some(ScalarValue::Text("CTO".into())));
        body.phones.push(PhoneInput {
            phone: "+1 555 0100".into(),
            phone_type: Some("W".into()),
            ..Default::default()
        });
        body.custom_fields.push(CustomFieldInput {
            name: "Legacy ID".into(),
            value: "L-42".into(),
        });
        assert_eq!(
            describe_changes(&current, &body),
            "title: \"CEO\" → \"CTO\"; phones: + \"+1 555 0100\" (W); \
             custom_fields[\"Legacy ID\"]: \"\" → \"L-42\""
        );

        // Past the cap, the rest are counted.
        let mut many = current.clone();
        for i in 0..15 {
            many.tags.push(crate::schema::NamedRef {
                name: format!("t{i}"),
            });
        }
        let text = describe_changes(&current, &many);
        assert_eq!(text.matches("tags: +").count(), CHANGES_SHOWN);
        assert!(text.ends_with("; and 5 more"), "{text}");
    }
}
