//! From the file as written to runnable rules, reporting every problem at once.

use std::collections::BTreeMap;

use super::config::{MappingFile, SheetSpec, ValueSpec, ValueTable};
use super::date::DateFormats;
use super::phone::PhoneLayout;
use super::targets::{EmailRule, ListRule, PersonRules};
use super::value::{Case, Convert, Part, Source, ValueRule};
use crate::read::{parse_delimiter, ReadOptions, SheetRef};
use crate::schema::{FieldKind, ScalarField};

/// One problem with a mapping, and where in the file it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The place, as TOML names it: `[fields] first_nme`, `[[phones]] #2`.
    pub place: String,
    pub message: String,
}

/// Every problem found in one mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in &self.0 {
            writeln!(f, "  {}: {}", p.place, p.message)?;
        }
        Ok(())
    }
}

/// The read options a mapping's `[source]` section asks for, as far as they are valid
/// (problems with them are reported by [`super::Mapping::compile`]).
pub fn source_options(file: &MappingFile) -> ReadOptions {
    Compiler::new(None).read_options(file)
}

/// The text a spec's source is written with, for spotting `{n}`.
pub(super) fn spec_text(spec: &ValueSpec) -> String {
    let t = &spec.0;
    [&t.column, &t.template]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

impl<'a> Compiler<'a> {
    /// A compiler resolving columns against `headers`, or (without) collecting the columns
    /// the mapping names.
    pub fn new(headers: Option<&'a [String]>) -> Compiler<'a> {
        Compiler {
            headers,
            missing_blank: false,
            columns: headers.map(<[String]>::to_vec).unwrap_or_default(),
            problems: Vec::new(),
        }
    }

    /// The column list, or every problem found.
    pub fn finish(self) -> Result<Vec<String>, Problems> {
        if self.problems.is_empty() {
            Ok(self.columns)
        } else {
            Err(Problems(self.problems))
        }
    }
}

pub(super) struct Compiler<'a> {
    pub headers: Option<&'a [String]>,
    /// A column the file lacks reads as blank (`missing_columns = "blank"`).
    pub missing_blank: bool,
    /// The column list rules index into (grows when compiling without headers).
    columns: Vec<String>,
    problems: Vec<Problem>,
}

impl Compiler<'_> {
    pub fn problem(&mut self, place: &str, message: String) {
        self.problems.push(Problem {
            place: place.to_string(),
            message,
        });
    }

    pub fn unknown<'n>(&mut self, place: &str, name: &str, known: impl Iterator<Item = &'n str>) {
        let known: Vec<&str> = known.collect();
        let hint = did_you_mean(name, known.iter().copied())
            .map(|s| format!("; did you mean {s:?}?"))
            .unwrap_or_default();
        self.problem(place, format!("unknown target field {name:?}{hint}"));
    }

    pub fn read_options(&mut self, file: &MappingFile) -> ReadOptions {
        let s = &file.source;
        let delimiter = s.delimiter.as_deref().and_then(|d| {
            parse_delimiter(d)
                .map_err(|message| self.problem("[source] delimiter", message))
                .ok()
        });
        if let Some(label) = &s.encoding {
            if encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_none() {
                self.problem(
                    "[source] encoding",
                    format!("unknown encoding {label:?}; try utf-8, utf-16 or windows-1252"),
                );
            }
        }
        ReadOptions {
            sheet: s.sheet.as_ref().map(|sheet| match sheet {
                SheetSpec::Index(i) => SheetRef::Index(*i),
                SheetSpec::Name(n) => SheetRef::Name(n.clone()),
            }),
            header_row: s.header_row,
            delimiter,
            encoding: s.encoding.clone(),
            keep_apostrophes: s.keep_apostrophes.unwrap_or(false),
            allow_no_rows: false,
        }
    }

    /// The rules of a person: the primary contact (`nested = false`) or a spouse, business or
    /// family member. `member` is the family member's number, replacing `{n}` in column names.
    pub fn person(
        &mut self,
        section: &str,
        fields: &BTreeMap<String, ValueSpec>,
        nested: bool,
        member: Option<usize>,
    ) -> PersonRules {
        let mut rules = PersonRules::default();
        for (name, spec) in fields {
            let place = format!("[{section}] {name}");
            let target = if nested {
                format!("{section}.{name}").replace(' ', "")
            } else {
                name.clone()
            };
            if !nested && matches!(name.as_str(), "id" | "assigned_to" | "contact_type") {
                continue;
            }
            if nested && name == "email" {
                if let Some(value) = self.value(&place, &target, spec, Convert::Email, member) {
                    rules.emails.push(EmailRule {
                        value,
                        is_office: false,
                        office_rule: None,
                        split: None,
                    });
                }
                continue;
            }
            match ScalarField::from_name(name) {
                Some(field) if field.nested_only() && !nested => self.problem(&place, format!("{name:?} belongs to a spouse, business or family member, not the contact itself")),
                Some(field) => {
                    let convert = match field.kind() {
                        FieldKind::Text => Convert::Text,
                        FieldKind::Enum(codes) => Convert::Enum(codes),
                        FieldKind::Date => {
                            let written = spec.0.date.as_ref().map(|d| d.to_vec()).unwrap_or_default();
                            match DateFormats::new(written) {
                                Ok(formats) => Convert::Date(formats),
                                Err(problems) => {
                                    for message in problems {
                                        self.problem(&place, message);
                                    }
                                    Convert::Date(DateFormats::default())
                                }
                            }
                        }
                        FieldKind::Bool => {
                            let labels = spec.0.bool.clone().unwrap_or_else(|| ["yes".into(), "no".into()]);
                            Convert::Bool(labels)
                        }
                    };
                    let convert = match (field, &convert) {
                        (ScalarField::Phone | ScalarField::Fax, _) => Convert::Phone(self.phone_layout(&place, spec.0.phone.as_deref())),
                        _ => convert,
                    };
                    if spec.0.date.is_some() && field.kind() != FieldKind::Date {
                        self.problem(&place, format!("`date` formats only apply to date fields, and {name} is not one"));
                    }
                    if spec.0.bool.is_some() && field.kind() != FieldKind::Bool {
                        self.problem(&place, format!("`bool` labels only apply to yes/no fields, and {name} is not one"));
                    }
                    if let Some(rule) = self.value(&place, &target, spec, convert, member) {
                        rules.scalars.push((field, rule));
                    }
                }
                None => {
                    let mut known: Vec<&str> = ScalarField::ALL.iter().filter(|f| nested || !f.nested_only()).map(|f| f.name()).collect();
                    if nested {
                        known.push("email");
                    } else {
                        known.extend(["assigned_to", "contact_type"]);
                    }
                    let sections = ["emails", "phones", "addresses", "im_services", "social_media", "tags", "interests", "categories", "custom_fields", "contact_notes", "spouse", "business", "family"];
                    if sections.contains(&name.as_str()) {
                        self.problem(&place, format!("{name} is a section of its own: write it as [[{name}]] or [{name}], see mappings/reference.toml"));
                    } else {
                        self.unknown(&place, name, known.into_iter());
                    }
                }
            }
        }
        // In field order, so that filling a record appends instead of inserting.
        rules.scalars.sort_by_key(|(field, _)| *field);
        rules
    }

    /// Compiles a value spec; `None` (with problems recorded) when it cannot work.
    pub fn value(
        &mut self,
        place: &str,
        target: &str,
        spec: &ValueSpec,
        convert: Convert,
        member: Option<usize>,
    ) -> Option<ValueRule> {
        let t: &ValueTable = &spec.0;
        let number = |s: &str| match member {
            Some(n) => s.replace("{n}", &n.to_string()),
            None => s.to_string(),
        };
        let sources = [t.column.is_some(), t.value.is_some(), t.template.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if sources != 1 {
            self.problem(
                place,
                "give exactly one of column = \"…\", value = \"…\" or template = \"…{Column}…\""
                    .into(),
            );
            return None;
        }
        // Every part is checked before giving up, so one run reports all of a line's problems.
        let source = if let Some(column) = &t.column {
            // The first name the file has; without it (or without a file), the first name.
            let present = |name: &String| {
                self.headers
                    .is_some_and(|h| h.iter().any(|h| h.trim().eq_ignore_ascii_case(name.trim())))
            };
            let chosen = t
                .or_columns
                .iter()
                .flatten()
                .map(|c| number(c))
                .find(|name| !present(&number(column)) && present(name))
                .unwrap_or_else(|| number(column));
            self.column(place, &chosen).map(Source::Column)
        } else if let Some(value) = &t.value {
            Some(Source::Constant(value.clone()))
        } else {
            let template = number(t.template.as_deref().unwrap_or_default());
            self.template(place, &template).map(Source::Template)
        };
        let case = match t.case.as_deref() {
            None => None,
            Some("upper") => Some(Case::Upper),
            Some("lower") => Some(Case::Lower),
            Some("title") => Some(Case::Title),
            Some(other) => {
                self.problem(
                    place,
                    format!("case {other:?}: expected \"upper\", \"lower\" or \"title\""),
                );
                None
            }
        };
        let blank_if_invalid = match t.on_invalid.as_deref() {
            None | Some("reject") => false,
            Some("blank") => true,
            Some(other) => {
                self.problem(
                    place,
                    format!("on_invalid {other:?}: expected \"reject\" or \"blank\""),
                );
                false
            }
        };
        Some(ValueRule {
            target: target.to_string(),
            source: source?,
            blank_if_invalid,
            default: t.default.clone(),
            trim: t.trim.unwrap_or(true),
            case,
            map: t
                .map
                .iter()
                .flatten()
                .map(|(from, to)| (from.trim().to_string(), to.clone()))
                .collect(),
            convert,
        })
    }

    fn column(&mut self, place: &str, name: &str) -> Option<usize> {
        match self.headers {
            // Spaces around a header are the file's accident, not part of its name (a
            // mapping's names are trimmed too).
            Some(headers) => match headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
            {
                Some(i) => Some(i),
                // A column past the row's end reads blank, and an export writes it.
                None if self.missing_blank => Some(
                    match self
                        .columns
                        .iter()
                        .position(|c| c.eq_ignore_ascii_case(name.trim()))
                    {
                        Some(i) => i,
                        None => {
                            self.columns.push(name.trim().to_string());
                            self.columns.len() - 1
                        }
                    },
                ),
                None => {
                    let hint = did_you_mean(name, headers.iter().map(String::as_str))
                        .map(|s| format!("; did you mean {s:?}?"))
                        .unwrap_or_default();
                    self.problem(place, format!("column {name:?} is not in the file{hint}"));
                    None
                }
            },
            None => Some(
                match self
                    .columns
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(name.trim()))
                {
                    Some(i) => i,
                    None => {
                        self.columns.push(name.trim().to_string());
                        self.columns.len() - 1
                    }
                },
            ),
        }
    }

    fn template(&mut self, place: &str, template: &str) -> Option<Vec<Part>> {
        let mut parts = Vec::new();
        let mut rest = template;
        let mut ok = true;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let Some(close) = rest[open..].find('}') else {
                self.problem(
                    place,
                    format!("template {template:?} has a {{ without its }}"),
                );
                return None;
            };
            match self.column(place, &rest[open + 1..open + close]) {
                Some(i) => parts.push(Part::Column(i)),
                None => ok = false,
            }
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        if !parts.iter().any(|p| matches!(p, Part::Column(_))) {
            self.problem(place, format!("template {template:?} names no column; write columns as {{Column Name}}, or use value = \"…\" for a constant"));
            return None;
        }
        ok.then_some(parts)
    }

    pub fn list(
        &mut self,
        place: &str,
        target: &str,
        spec: &ValueSpec,
        split: Option<&str>,
    ) -> Option<ListRule> {
        // Tags and interests split on ";" unless told otherwise; a category holds one value
        // per cell unless given a `split` (its caller passes "" for "no split").
        let split = match split.unwrap_or(";") {
            "" => None,
            s => Some(s.to_string()),
        };
        let value = self.value(place, target, spec, Convert::Text, None)?;
        Some(ListRule { value, split })
    }

    pub fn code(
        &mut self,
        place: &str,
        key: &str,
        given: &str,
        allowed: &'static [&'static str],
    ) -> Option<&'static str> {
        let found = allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(given.trim()))
            .copied();
        if found.is_none() {
            self.problem(
                place,
                format!("{key} {given:?} is not one of {}", allowed.join(", ")),
            );
        }
        found
    }

    pub fn phone_layout(&mut self, place: &str, given: Option<&str>) -> PhoneLayout {
        match given {
            None | Some("keep") => PhoneLayout::Keep,
            Some("digits") => PhoneLayout::Digits,
            Some("us") => PhoneLayout::Us,
            Some(other) => {
                self.problem(
                    place,
                    format!("phone {other:?}: expected \"keep\", \"digits\" or \"us\""),
                );
                PhoneLayout::Keep
            }
        }
    }

    pub fn duplicate_columns<'r>(
        &mut self,
        place: &str,
        rules: impl Iterator<Item = &'r ValueRule>,
    ) {
        let mut seen = Vec::new();
        for rule in rules {
            if let Source::Column(i) = rule.source {
                if seen.contains(&i) {
                    let name = self.columns.get(i).cloned().unwrap_or_default();
                    self.problem(
                        place,
                        format!("duplicate target: column {name:?} is mapped twice"),
                    );
                }
                seen.push(i);
            }
        }
    }
}

/// The closest known name, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let name = name.to_lowercase();
    known
        .map(|k| (strsim::jaro_winkler(&name, &k.to_lowercase()), k))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}
