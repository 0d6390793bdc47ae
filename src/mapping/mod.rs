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
mod contact;
mod date;
mod email;
mod infer;
mod phone;
mod presets;
mod record;
mod targets;
mod text;
mod value;
mod words;

use std::path::Path;

use anyhow::{Context, Result};

use crate::finding::Finding;
use crate::read::{ReadOptions, Row};
use crate::schema::{ContactInput, ScalarField, ScalarValue};

pub use compile::{did_you_mean, source_options, Problem, Problems};
pub use config::{ContactKey, MappingFile};
pub use contact::CUSTOM_SUFFIX;
pub use date::{parse_date, DateFormats};
pub use email::check_email;
pub use infer::{infer_mapping, SAMPLE_ROWS};
pub use presets::{mapping_text, PRESETS};
pub use value::{Cells, Convert, ValueIssue, ValueRule};

use targets::{Ctx, Person, Taken, Target};

/// Values an export had no column for, by list name.
pub type LeftOut = std::collections::BTreeMap<&'static str, usize>;

/// What the rows of a mapping become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Contact,
    Activity,
    Task,
    /// Users are read-only in the API: a user mapping shapes exports only.
    User,
}

impl Entity {
    /// The entity a mapping file names; the message says what is supported.
    pub fn parse(name: &str) -> Result<Entity, String> {
        match name.trim() {
            "contact" => Ok(Entity::Contact),
            "activity" => Ok(Entity::Activity),
            "task" => Ok(Entity::Task),
            "user" => Ok(Entity::User),
            other => Err(format!(
                "{other:?}: a mapping maps rows to \"contact\", \"activity\", \"task\" or \"user\""
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Entity::Contact => "contact",
            Entity::Activity => "activity",
            Entity::Task => "task",
            Entity::User => "user",
        }
    }
}

/// A compiled mapping, ready to run on rows of one header layout.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub entity: Entity,
    /// How the mapping asks for its input to be read.
    pub read_options: ReadOptions,
    /// The columns rules refer to by index: the input's headers, or for a mapping compiled
    /// without an input (an export), the columns the mapping names, in order.
    pub columns: Vec<String>,
    /// What the mapping fills, in the order rows are mapped.
    targets: Vec<Target>,
    /// Phone and custom field targets, to size those lists once per row.
    list_sizes: (usize, usize),
    /// For activities and tasks: how a row's contact is found.
    contact_match: Option<config::ContactKey>,
}

/// A row after mapping: the record it becomes and what went wrong on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappedRow {
    pub row: usize,
    pub contact: ContactInput,
    /// An activity, a task or a user (`None` for contacts). Boxed: rows are moved through
    /// the pipeline by the million, and contacts are most of them.
    pub other: Option<Box<OtherRecord>>,
    pub findings: Vec<Finding>,
}

/// A row of another entity than contacts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OtherRecord {
    /// In the API's input shape.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The key naming an activity's or task's contact, as the row gives it.
    pub contact_key: Option<String>,
}

impl MappedRow {
    /// The fields of an activity, task or user row.
    pub fn fields(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.other.as_deref().map(|o| &o.fields)
    }

    /// The key naming an activity's or task's contact.
    pub fn contact_key(&self) -> Option<&str> {
        self.other.as_deref()?.contact_key.as_deref()
    }
}

impl Mapping {
    /// Compiles a mapping file. With `headers`, columns are resolved against the input's
    /// header row; without, the mapping's own column names become the column list (for an
    /// export). Returns every problem found, not just the first.
    pub fn compile(file: &MappingFile, headers: Option<&[String]>) -> Result<Mapping, Problems> {
        let mut c = compile::Compiler::new(headers);
        match file.missing_columns.as_deref() {
            None | Some("error") => {}
            Some("blank") => c.missing_blank = true,
            Some(other) => c.problem(
                "missing_columns",
                format!("{other:?}: expected \"error\" or \"blank\""),
            ),
        }
        // An entity not supported is reported, and the rest checked as a contact mapping so
        // that one run lists every problem.
        let entity = Entity::parse(&file.entity).unwrap_or_else(|message| {
            c.problem("entity", message);
            Entity::Contact
        });
        let read_options = c.read_options(file);
        let targets = match entity {
            Entity::Contact => contact::targets(&mut c, file),
            Entity::Activity | Entity::Task | Entity::User => record::targets(&mut c, file, entity),
        };
        // A mapping that reads no column sends nothing of any row: a configuration mistake
        // (an empty file, or every line commented out), not a file of invalid rows.
        let reads_nothing = targets.iter().all(|t| t.columns().next().is_none());
        if reads_nothing && file.unmapped_columns.as_deref() != Some("custom_fields") {
            c.problem(
                "mapping",
                "it maps no column to any field: add lines such as first_name = \"First Name\" \
                 (bcetl mapping init FILE writes a first mapping)"
                    .into(),
            );
        }
        let count = |f: fn(&Target) -> bool| targets.iter().filter(|t| f(t)).count();
        let list_sizes = (
            count(|t| matches!(t, Target::Phone(_))),
            count(|t| matches!(t, Target::CustomField(..))),
        );
        let contact_match = file
            .contact
            .as_ref()
            .and_then(|s| config::ContactKey::parse(&s.key).ok())
            .filter(|_| entity != Entity::Contact);
        Ok(Mapping {
            entity,
            read_options,
            columns: c.finish()?,
            targets,
            list_sizes,
            contact_match,
        })
    }

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
            // A cell that could not be read is an error; a row-wide oddity, a warning.
            let make = if problem.column.is_some() {
                Finding::error
            } else {
                Finding::warning
            };
            let finding = make(row.number, problem.column, &self.columns, "read");
            let value = problem.column.map(|c| row.cell(c)).unwrap_or_default();
            out.findings
                .push(finding.value(value).message(problem.message.clone()));
        }
        let mut ctx = Ctx {
            columns: &self.columns,
            row,
            findings: &mut out.findings,
            other: &mut out.other,
        };
        // Sized once: pushing into empty lists reallocates as they grow.
        out.contact.phones.reserve(self.list_sizes.0);
        out.contact.custom_fields.reserve(self.list_sizes.1);
        for target in &self.targets {
            target.apply(&mut ctx, &mut out.contact);
        }
        out
    }

    /// The cells a contact maps back to, one per entry of [`Mapping::columns`].
    ///
    /// Repeated values fill the rules that match them in order: the first home phone goes to
    /// the first `type = "H"` rule, the second to the second. Values with no matching rule are
    /// left out.
    pub fn reverse(&self, contact: &ContactInput) -> Vec<String> {
        self.reverse_counting(contact, &mut LeftOut::new())
    }

    /// [`Mapping::reverse`], counting in `left_out` the values no rule had room for, by list
    /// (a third phone when two are mapped), so that an export can say what its file lacks.
    pub fn reverse_counting(&self, contact: &ContactInput, left_out: &mut LeftOut) -> Vec<String> {
        let mut cells = vec![String::new(); self.columns.len()];
        let mut taken = Taken::default();
        for target in &self.targets {
            target.reverse(contact, &mut taken, &mut cells);
        }
        for (list, n) in taken.left_out(contact, &self.targets) {
            *left_out.entry(list).or_default() += n;
        }
        cells
    }

    /// The cells of an activity or task (as the API returns it), its contact named by
    /// `contact_key` (the email, id or custom field value the mapping's `[contact]` asks for).
    pub fn reverse_record(
        &self,
        record: &serde_json::Map<String, serde_json::Value>,
        contact_key: &str,
    ) -> Vec<String> {
        let mut cells = vec![String::new(); self.columns.len()];
        for target in &self.targets {
            match target {
                Target::RecordField(field, rule) => {
                    if let Some(value) = record::from_json(*field, record) {
                        rule.write(&value, &mut cells);
                    }
                }
                Target::ContactKey(rule) => {
                    rule.write(&ScalarValue::Text(contact_key.to_string()), &mut cells)
                }
                _ => {}
            }
        }
        cells
    }

    /// The column an activity's or task's field (or `contact`, its key) is read from.
    pub fn record_column(&self, field: &str) -> Option<usize> {
        self.targets.iter().find_map(|t| match t {
            Target::RecordField(f, rule) if f.name == field => rule.primary_column(),
            Target::ContactKey(rule) if field == "contact" => rule.primary_column(),
            _ => None,
        })
    }

    /// How an activity or task mapping names each row's contact.
    pub fn contact_match(&self) -> Option<config::ContactKey> {
        self.contact_match.clone()
    }

    /// The column holding the contact id, if the mapping has one.
    pub fn id_column(&self) -> Option<usize> {
        self.targets.iter().find_map(|t| match t {
            Target::ContactId(rule) => rule.primary_column(),
            _ => None,
        })
    }

    /// Indexes of every column some rule reads.
    pub fn used_columns(&self) -> std::collections::BTreeSet<usize> {
        self.targets.iter().flat_map(Target::columns).collect()
    }

    /// The primary contact's rules.
    fn contact_rules(&self) -> Option<&targets::PersonRules> {
        self.targets.iter().find_map(|t| match t {
            Target::Person(Person::Contact, rules) => Some(rules),
            _ => None,
        })
    }

    /// The column a target field is read from, for findings about a whole record
    /// (`first_name` is required…).
    pub fn column_of(&self, field: ScalarField) -> Option<usize> {
        self.contact_rules()?
            .scalars
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, rule)| rule.primary_column())
    }

    /// The contact's own scalar fields the mapping fills from cells (not constants).
    pub fn mapped_fields(&self) -> Vec<ScalarField> {
        self.contact_rules()
            .map(|rules| {
                rules
                    .scalars
                    .iter()
                    .filter(|(_, rule)| rule.reads_cells())
                    .map(|(field, _)| *field)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The column of the first email rule.
    pub fn email_column(&self) -> Option<usize> {
        self.contact_rules()?
            .emails
            .first()
            .and_then(|rule| rule.value.primary_column())
    }
}

/// Reads a mapping file's TOML, naming the file and the place of a syntax error.
pub fn load_file(path: &Path) -> Result<MappingFile> {
    let text = mapping_text(path)?;
    parse_file(&text).with_context(|| format!("{}: not a valid mapping", path.display()))
}

/// Parses mapping TOML text; every unknown key is reported at once.
pub fn parse_file(text: &str) -> Result<MappingFile> {
    match toml::from_str(text) {
        Ok(file) => Ok(file),
        Err(e) => {
            // Valid TOML with keys no section takes: name them all, not just the first.
            if let Ok(value) = toml::from_str::<toml::Value>(text) {
                let unknown = config::unknown_keys(&value);
                if !unknown.is_empty() {
                    anyhow::bail!(
                        "{} unknown key(s):\n  {}",
                        unknown.len(),
                        unknown.join("\n  ")
                    );
                }
            }
            Err(e.into())
        }
    }
}
