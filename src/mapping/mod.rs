//! Mapping: a declarative TOML file that turns a row's cells into an API record, and the same
//! record back into cells.
//!
//! A mapping loads in two stages. [`config::MappingFile`] is the file as written (serde, no
//! checks). [`Mapping::compile`] resolves it against the input's column names into rules and
//! reports every problem at once. The compiled [`Mapping`] then runs forward
//! ([`Mapping::apply`]: row → contact and findings) and in reverse ([`Mapping::reverse`]:
//! contact → cells) with the same rules, so an export writes the columns an import reads.
//!
//! Depends on `schema` (the records), `read` (rows, options) and `finding`.

mod compile;
pub mod config;
mod date;
mod infer;
mod value;

use std::borrow::Cow;
use std::path::Path;

use anyhow::{Context, Result};

use crate::finding::{Finding, Severity};
use crate::read::{ReadOptions, Row};
use crate::schema::{
    AddressInput, CategoryInput, ContactInput, ContactNoteInput, CustomFieldInput, EmailInput,
    ImServiceInput, NamedRef, PhoneInput, ScalarField, ScalarValue, SocialMediaInput, UserRef,
};

pub use compile::{did_you_mean, source_options, Problem, Problems};
pub use config::MappingFile;
pub use date::{parse_date, DateFormats};
pub use infer::infer_mapping;
pub use value::{check_email, Cells, Convert, ValueIssue, ValueRule};

/// A compiled mapping, ready to run on rows of one header layout.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// How the mapping asks for its input to be read.
    pub read_options: ReadOptions,
    /// The columns rules refer to by index: the input's headers, or for a mapping compiled
    /// without an input (an export), the columns the mapping names, in order.
    pub columns: Vec<String>,
    pub(crate) person: PersonRules,
    pub(crate) assigned_to: Option<ValueRule>,
    pub(crate) contact_type: Option<ValueRule>,
    pub(crate) phones: Vec<PhoneRule>,
    pub(crate) addresses: Vec<AddressRule>,
    pub(crate) im_services: Vec<ServiceRule>,
    pub(crate) social_media: Vec<ServiceRule>,
    pub(crate) tags: Option<ListRule>,
    pub(crate) interests: Option<ListRule>,
    pub(crate) categories: Vec<CategoryRule>,
    pub(crate) custom_fields: Vec<(String, ValueRule)>,
    pub(crate) notes: Vec<NoteRule>,
    pub(crate) spouse: Option<PersonRules>,
    pub(crate) business: Option<PersonRules>,
    pub(crate) family: Vec<PersonRules>,
}

/// Rules shared by the primary contact and the nested ones (spouse, business, family).
#[derive(Debug, Clone, Default)]
pub(crate) struct PersonRules {
    pub scalars: Vec<(ScalarField, ValueRule)>,
    pub emails: Vec<EmailRule>,
}

#[derive(Debug, Clone)]
pub(crate) struct EmailRule {
    pub value: ValueRule,
    pub is_office: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct PhoneRule {
    pub value: ValueRule,
    pub phone_type: Option<&'static str>,
    pub is_office: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct AddressRule {
    pub parts: Vec<(&'static str, ValueRule)>,
    pub is_office: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceRule {
    pub service: &'static str,
    pub value: ValueRule,
}

#[derive(Debug, Clone)]
pub(crate) struct ListRule {
    pub value: ValueRule,
    /// The delimiter between values; `None` for one value per cell.
    pub split: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CategoryRule {
    pub name: String,
    pub list: ListRule,
}

#[derive(Debug, Clone)]
pub(crate) struct NoteRule {
    pub subject: Option<ValueRule>,
    pub note: ValueRule,
}

/// A row after mapping: the record it becomes and what went wrong on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappedRow {
    pub row: usize,
    pub contact: ContactInput,
    pub findings: Vec<Finding>,
}

impl Mapping {
    /// Reads and compiles a mapping file against the input's headers (or, with `None`,
    /// against the columns the mapping names itself).
    pub fn load(path: &Path, headers: Option<&[String]>) -> Result<Mapping> {
        let file = load_file(path)?;
        Mapping::compile(&file, headers).map_err(|problems| {
            anyhow::anyhow!(
                "{}: {} problem(s):\n{problems}",
                path.display(),
                problems.0.len()
            )
        })
    }

    /// Maps one row.
    pub fn apply(&self, row: &Row) -> MappedRow {
        let mut out = MappedRow {
            row: row.number,
            ..MappedRow::default()
        };
        for problem in &row.problems {
            out.findings.push(Finding {
                row: row.number,
                column_index: problem.column,
                column: problem.column.and_then(|c| self.columns.get(c).cloned()),
                field: None,
                value: problem
                    .column
                    .map(|c| row.cell(c).to_string())
                    .unwrap_or_default(),
                rule: "read",
                message: problem.message.clone(),
                severity: if problem.column.is_some() {
                    Severity::Error
                } else {
                    Severity::Warning
                },
            });
        }
        let mut ctx = Ctx {
            mapping: self,
            row,
            findings: &mut out.findings,
        };
        let cells = row;
        let contact = &mut out.contact;
        self.person.apply(&mut ctx, contact);
        contact.phones.reserve(self.phones.len());
        contact.custom_fields.reserve(self.custom_fields.len());
        contact.assigned_to = self
            .assigned_to
            .as_ref()
            .and_then(|r| ctx.text(r))
            .map(|email| UserRef {
                id: None,
                email: Some(email),
            });
        contact.contact_type = self
            .contact_type
            .as_ref()
            .and_then(|r| ctx.text(r))
            .map(|name| NamedRef { name });
        for rule in &self.phones {
            if let Some(phone) = ctx.text(&rule.value) {
                contact.phones.push(PhoneInput {
                    phone,
                    phone_type: rule.phone_type.map(Cow::Borrowed),
                    is_office: rule.is_office,
                });
            }
        }
        for rule in &self.addresses {
            let mut address = AddressInput {
                is_office: rule.is_office,
                ..AddressInput::default()
            };
            for (part, value) in &rule.parts {
                *address.part_mut(part).expect("compiled parts are known") = ctx.text(value);
            }
            if address
                != (AddressInput {
                    is_office: rule.is_office,
                    ..AddressInput::default()
                })
            {
                contact.addresses.push(address);
            }
        }
        for rule in &self.im_services {
            if let Some(name) = ctx.text(&rule.value) {
                contact.im_services.push(ImServiceInput {
                    im_services_type: Cow::Borrowed(rule.service),
                    name,
                });
            }
        }
        for rule in &self.social_media {
            if let Some(name) = ctx.text(&rule.value) {
                contact.social_media.push(SocialMediaInput {
                    social_media_type: Cow::Borrowed(rule.service),
                    name,
                });
            }
        }
        if let Some(rule) = &self.tags {
            contact.tags = split_list(rule, cells, |name| NamedRef { name });
        }
        if let Some(rule) = &self.interests {
            contact.interests = split_list(rule, cells, |name| NamedRef { name });
        }
        for rule in &self.categories {
            let values = split_list(&rule.list, cells, |value| CategoryInput {
                name: rule.name.clone(),
                value,
            });
            contact.categories.extend(values);
        }
        for (name, rule) in &self.custom_fields {
            if let Some(value) = ctx.text(rule) {
                contact.custom_fields.push(CustomFieldInput {
                    name: name.clone(),
                    value,
                });
            }
        }
        for rule in &self.notes {
            if let Some(note) = ctx.text(&rule.note) {
                let subject = rule
                    .subject
                    .as_ref()
                    .and_then(|s| ctx.text(s))
                    .unwrap_or_default();
                contact
                    .contact_notes
                    .push(ContactNoteInput { subject, note });
            }
        }
        contact.spouse = self
            .spouse
            .as_ref()
            .and_then(|rules| rules.apply_nested(&mut ctx));
        contact.business = self
            .business
            .as_ref()
            .and_then(|rules| rules.apply_nested(&mut ctx));
        contact.family = self
            .family
            .iter()
            .filter_map(|rules| rules.apply_nested(&mut ctx))
            .map(|b| *b)
            .collect();
        out
    }

    /// The cells a contact maps back to, one per entry of [`Mapping::columns`].
    ///
    /// Repeated values fill the rules that match them in order: the first home phone goes to
    /// the first `type = "H"` rule, the second to the second. Values with no matching rule are
    /// left out.
    pub fn reverse(&self, contact: &ContactInput) -> Vec<String> {
        let mut cells = vec![String::new(); self.columns.len()];
        self.person.reverse(contact, &mut cells);
        if let (Some(rule), Some(user)) = (&self.assigned_to, &contact.assigned_to) {
            if let Some(email) = &user.email {
                rule.write(&ScalarValue::Text(email.clone()), &mut cells);
            }
        }
        if let (Some(rule), Some(kind)) = (&self.contact_type, &contact.contact_type) {
            rule.write(&ScalarValue::Text(kind.name.clone()), &mut cells);
        }
        fill_slots(
            &self.phones,
            &contact.phones,
            |r, p| r.phone_type == p.phone_type.as_deref() && r.is_office == p.is_office,
            |r, p, cells| r.value.write(&ScalarValue::Text(p.phone.clone()), cells),
            &mut cells,
        );
        fill_slots(
            &self.addresses,
            &contact.addresses,
            |r, a| r.is_office == a.is_office,
            |r, a, cells| {
                for (part, value) in &r.parts {
                    if let Some(Some(text)) = a.part(part) {
                        value.write(&ScalarValue::Text(text.clone()), cells);
                    }
                }
            },
            &mut cells,
        );
        fill_slots(
            &self.im_services,
            &contact.im_services,
            |r, im| r.service.eq_ignore_ascii_case(&im.im_services_type),
            |r, im, cells| r.value.write(&ScalarValue::Text(im.name.clone()), cells),
            &mut cells,
        );
        fill_slots(
            &self.social_media,
            &contact.social_media,
            |r, sm| r.service.eq_ignore_ascii_case(&sm.social_media_type),
            |r, sm, cells| r.value.write(&ScalarValue::Text(sm.name.clone()), cells),
            &mut cells,
        );
        if let Some(rule) = &self.tags {
            join_list(
                rule,
                contact.tags.iter().map(|t| t.name.as_str()),
                &mut cells,
            );
        }
        if let Some(rule) = &self.interests {
            join_list(
                rule,
                contact.interests.iter().map(|t| t.name.as_str()),
                &mut cells,
            );
        }
        for rule in &self.categories {
            let values = contact
                .categories
                .iter()
                .filter(|c| c.name.eq_ignore_ascii_case(&rule.name))
                .map(|c| c.value.as_str());
            join_list(&rule.list, values, &mut cells);
        }
        for (name, rule) in &self.custom_fields {
            if let Some(field) = contact
                .custom_fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
            {
                rule.write(&ScalarValue::Text(field.value.clone()), &mut cells);
            }
        }
        for (rule, note) in self.notes.iter().zip(&contact.contact_notes) {
            rule.note
                .write(&ScalarValue::Text(note.note.clone()), &mut cells);
            if let Some(subject) = &rule.subject {
                subject.write(&ScalarValue::Text(note.subject.clone()), &mut cells);
            }
        }
        if let (Some(rules), Some(spouse)) = (&self.spouse, &contact.spouse) {
            rules.reverse(spouse, &mut cells);
        }
        if let (Some(rules), Some(business)) = (&self.business, &contact.business) {
            rules.reverse(business, &mut cells);
        }
        for (rules, member) in self.family.iter().zip(&contact.family) {
            rules.reverse(member, &mut cells);
        }
        cells
    }

    /// The column a target field is read from, for findings about a whole record
    /// (`first_name` is required…).
    pub fn column_of(&self, field: ScalarField) -> Option<usize> {
        self.person
            .scalars
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, rule)| rule.primary_column())
    }

    /// The column of the first email rule.
    pub fn email_column(&self) -> Option<usize> {
        self.person
            .emails
            .first()
            .and_then(|rule| rule.value.primary_column())
    }
}

/// Reads a mapping file's TOML, naming the file and the place of a syntax error.
pub fn load_file(path: &Path) -> Result<MappingFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the mapping", path.display()))?;
    parse_file(&text).with_context(|| format!("{}: not a valid mapping", path.display()))
}

/// Parses mapping TOML text.
pub fn parse_file(text: &str) -> Result<MappingFile> {
    Ok(toml::from_str(text)?)
}

/// Per-row state while mapping: where findings go.
struct Ctx<'a> {
    mapping: &'a Mapping,
    row: &'a Row,
    findings: &'a mut Vec<Finding>,
}

impl Ctx<'_> {
    fn value(&mut self, rule: &ValueRule) -> Option<ScalarValue> {
        match rule.read(self.row) {
            Ok(value) => value,
            Err(issue) => {
                self.findings.push(Finding {
                    row: self.row.number,
                    column_index: issue.column,
                    column: issue
                        .column
                        .and_then(|c| self.mapping.columns.get(c).cloned()),
                    field: Some(rule.target.clone()),
                    value: issue.value,
                    rule: issue.rule,
                    message: issue.message,
                    severity: Severity::Error,
                });
                None
            }
        }
    }

    fn text(&mut self, rule: &ValueRule) -> Option<String> {
        self.value(rule).map(ScalarValue::into_cell)
    }
}

impl PersonRules {
    fn apply(&self, ctx: &mut Ctx, contact: &mut ContactInput) {
        contact.scalars.reserve(self.scalars.len());
        contact.emails.reserve(self.emails.len());
        for (field, rule) in &self.scalars {
            let value = ctx.value(rule);
            contact.scalars.set(*field, value);
        }
        for rule in &self.emails {
            if let Some(email) = ctx.text(&rule.value) {
                contact.emails.push(EmailInput {
                    email,
                    is_office: rule.is_office,
                });
            }
        }
    }

    /// A nested contact, or `None` when all its cells are blank (constants alone, such as
    /// `is_business = { value = "yes" }`, do not make a spouse or a business appear).
    fn apply_nested(&self, ctx: &mut Ctx) -> Option<Box<ContactInput>> {
        // Built in its box: a contact is large enough that moving it shows in profiles.
        let mut contact = Box::<ContactInput>::default();
        self.apply(ctx, &mut contact);
        let from_cells = self
            .scalars
            .iter()
            .any(|(field, rule)| rule.reads_cells() && contact.scalars.get(*field).is_some())
            || !contact.emails.is_empty();
        from_cells.then_some(contact)
    }

    fn reverse(&self, contact: &ContactInput, cells: &mut [String]) {
        for (field, rule) in &self.scalars {
            if let Some(value) = contact.scalars.get(*field) {
                rule.write(value, cells);
            }
        }
        fill_slots(
            &self.emails,
            &contact.emails,
            |r, e| r.is_office == e.is_office,
            |r, e, cells| r.value.write(&ScalarValue::Text(e.email.clone()), cells),
            cells,
        );
    }
}

/// Puts each item into the first unused rule that accepts it.
fn fill_slots<R, T>(
    rules: &[R],
    items: &[T],
    accepts: impl Fn(&R, &T) -> bool,
    write: impl Fn(&R, &T, &mut [String]),
    cells: &mut [String],
) {
    let mut used = vec![false; rules.len()];
    for item in items {
        if let Some(slot) = (0..rules.len()).find(|&i| !used[i] && accepts(&rules[i], item)) {
            used[slot] = true;
            write(&rules[slot], item, cells);
        }
    }
}

/// The values of a list cell, each trimmed, blanks dropped, made into what the list holds.
fn split_list<T>(rule: &ListRule, cells: &Row, make: impl Fn(String) -> T) -> Vec<T> {
    let Some(text) = rule.value.read_text(cells) else {
        return Vec::new();
    };
    let values = |parts: &mut dyn Iterator<Item = &str>| -> Vec<T> {
        parts
            .map(value::trim)
            .filter(|s| !s.is_empty())
            .map(|s| make(s.to_string()))
            .collect()
    };
    match rule.split.as_deref() {
        None => vec![make(text.into_owned())],
        // A one-byte delimiter (";", ",", "|") is found with memchr, not a substring search.
        Some(split) if split.len() == 1 => values(&mut text.split(char::from(split.as_bytes()[0]))),
        Some(split) => values(&mut text.split(split)),
    }
}

/// Joins a list back into its cell; without a delimiter the cell holds the first value only.
fn join_list<'a>(rule: &ListRule, mut values: impl Iterator<Item = &'a str>, cells: &mut [String]) {
    let joined = match &rule.split {
        Some(split) => values.collect::<Vec<_>>().join(split),
        None => values.next().unwrap_or_default().to_string(),
    };
    if !joined.is_empty() {
        rule.value.write(&ScalarValue::Text(joined), cells);
    }
}
