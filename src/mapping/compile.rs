//! From the file as written to runnable rules, reporting every problem at once.

use std::collections::BTreeMap;

use super::config::{MappingFile, SheetSpec, ValueSpec, ValueTable};
use super::date::DateFormats;
use super::value::{Case, Convert, Part, PhoneLayout, Source, ValueRule};
use super::{
    AddressRule, CategoryRule, EmailRule, ListRule, Mapping, NoteRule, PersonRules, PhoneRule,
    ServiceRule,
};
use crate::read::{ReadOptions, SheetRef};
use crate::schema::{FieldKind, ScalarField, IM_SERVICE_TYPES, PHONE_TYPES, SOCIAL_MEDIA_TYPES};

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
/// (problems with them are reported by [`Mapping::compile`]).
pub fn source_options(file: &MappingFile) -> ReadOptions {
    Compiler {
        headers: None,
        columns: Vec::new(),
        problems: Vec::new(),
    }
    .read_options(file)
}

impl Mapping {
    /// Compiles a mapping file. With `headers`, columns are resolved against the input's
    /// header row; without, the mapping's own column names become the column list (for an
    /// export). Returns every problem found, not just the first.
    pub fn compile(file: &MappingFile, headers: Option<&[String]>) -> Result<Mapping, Problems> {
        let mut c = Compiler {
            headers,
            columns: headers.map(<[String]>::to_vec).unwrap_or_default(),
            problems: Vec::new(),
        };
        if file.entity != "contact" {
            c.problem(
                "entity",
                format!(
                    "{:?} is not supported yet; this version maps rows to \"contact\"",
                    file.entity
                ),
            );
        }
        let read_options = c.read_options(file);
        let person = c.person("fields", &file.fields, false, None);
        let assigned_to = file.fields.get("assigned_to").and_then(|s| {
            c.value(
                "[fields] assigned_to",
                "assigned_to",
                s,
                Convert::Email,
                None,
            )
        });
        let contact_type = file.fields.get("contact_type").and_then(|s| {
            c.value(
                "[fields] contact_type",
                "contact_type",
                s,
                Convert::Text,
                None,
            )
        });

        let emails_seen = person.emails.len();
        let mut person = person;
        for (i, section) in file.emails.iter().enumerate() {
            let place = format!("[[emails]] #{}", i + 1);
            if let Some(value) = c.value(
                &place,
                "emails.email",
                &section.value_spec(),
                Convert::Email,
                None,
            ) {
                person.emails.push(EmailRule {
                    value,
                    is_office: section.is_office,
                });
            }
        }
        c.duplicate_columns(
            "[[emails]]",
            person.emails[emails_seen..].iter().map(|r| &r.value),
        );

        let mut phones = Vec::new();
        for (i, section) in file.phones.iter().enumerate() {
            let place = format!("[[phones]] #{}", i + 1);
            let phone_type = section
                .phone_type
                .as_deref()
                .and_then(|t| c.code(&place, "type", t, PHONE_TYPES));
            let layout = c.phone_layout(&place, section.phone.as_deref());
            if let Some(value) = c.value(
                &place,
                "phones.phone",
                &section.value_spec(),
                Convert::Phone(layout),
                None,
            ) {
                phones.push(PhoneRule {
                    value,
                    phone_type,
                    is_office: section.is_office,
                });
            }
        }
        c.duplicate_columns("[[phones]]", phones.iter().map(|r| &r.value));

        let mut addresses = Vec::new();
        for (i, section) in file.addresses.iter().enumerate() {
            let place = format!("[[addresses]] #{}", i + 1);
            let mut parts = Vec::new();
            for (name, spec) in &section.parts {
                match crate::schema::contact_address_part(name) {
                    Some(part) => {
                        if let Some(rule) = c.value(
                            &format!("{place} {name}"),
                            &format!("addresses.{part}"),
                            spec,
                            Convert::Text,
                            None,
                        ) {
                            parts.push((part, rule));
                        }
                    }
                    None => c.unknown(
                        &format!("{place} {name}"),
                        name,
                        crate::schema::ADDRESS_PARTS
                            .iter()
                            .copied()
                            .chain(["is_office"]),
                    ),
                }
            }
            if parts.is_empty() {
                c.problem(
                    &place,
                    "an address needs at least one part, such as address = \"Street\"".into(),
                );
            }
            addresses.push(AddressRule {
                parts,
                is_office: section.is_office,
            });
        }

        let services = |kind: &str,
                        sections: &[super::config::TypedSection],
                        allowed: &'static [&'static str],
                        c: &mut Compiler| {
            let mut rules = Vec::new();
            for (i, section) in sections.iter().enumerate() {
                let place = format!("[[{kind}]] #{}", i + 1);
                let service = c.code(&place, "type", &section.service, allowed);
                if let (Some(service), Some(value)) = (
                    service,
                    c.value(
                        &place,
                        &format!("{kind}.name"),
                        &section.value_spec(),
                        Convert::Text,
                        None,
                    ),
                ) {
                    rules.push(ServiceRule { service, value });
                }
            }
            rules
        };
        let im_services = services("im_services", &file.im_services, IM_SERVICE_TYPES, &mut c);
        let social_media = services(
            "social_media",
            &file.social_media,
            SOCIAL_MEDIA_TYPES,
            &mut c,
        );

        let tags = file
            .tags
            .as_ref()
            .and_then(|s| c.list("[tags]", "tags", &s.value_spec(), s.split.as_deref()));
        let interests = file.interests.as_ref().and_then(|s| {
            c.list(
                "[interests]",
                "interests",
                &s.value_spec(),
                s.split.as_deref(),
            )
        });
        let categories = file
            .categories
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let place = format!("[[categories]] #{}", i + 1);
                if s.name.trim().is_empty() {
                    c.problem(
                        &place,
                        "a category needs its name: name = \"Industry\"".into(),
                    );
                }
                let list = c.list(
                    &place,
                    &format!("categories.{}", s.name),
                    &s.value_spec(),
                    s.split.as_deref().or(Some("")),
                )?;
                Some(CategoryRule {
                    name: s.name.clone(),
                    list,
                })
            })
            .collect();

        let mut custom_fields = Vec::new();
        let mut seen_custom: BTreeMap<String, String> = BTreeMap::new();
        for (name, spec) in &file.custom_fields {
            let place = format!("[custom_fields] {name:?}");
            if let Some(other) = seen_custom.insert(name.to_lowercase(), name.clone()) {
                c.problem(&place, format!("duplicate target: custom field {other:?} is mapped twice (names are compared ignoring case)"));
            }
            if let Some(rule) = c.value(
                &place,
                &format!("custom_fields.{name}"),
                spec,
                Convert::Text,
                None,
            ) {
                custom_fields.push((name.clone(), rule));
            }
        }

        let notes = file
            .contact_notes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let place = format!("[[contact_notes]] #{}", i + 1);
                let subject = s.subject.as_ref().and_then(|spec| {
                    c.value(&place, "contact_notes.subject", spec, Convert::Text, None)
                });
                let note = c.value(&place, "contact_notes.note", &s.note, Convert::Text, None)?;
                Some(NoteRule { subject, note })
            })
            .collect();

        let spouse = file
            .spouse
            .as_ref()
            .map(|fields| c.person("spouse", fields, true, None));
        let business = file
            .business
            .as_ref()
            .map(|fields| c.person("business", fields, true, None));
        let family = match &file.family {
            None => Vec::new(),
            Some(section) => {
                if !(1..=50).contains(&section.count) {
                    c.problem(
                        "[family] count",
                        format!(
                            "{} family members per row? count must be 1 to 50",
                            section.count
                        ),
                    );
                }
                let numbered = section
                    .fields
                    .values()
                    .any(|spec| spec_text(spec).contains("{n}"));
                if !numbered {
                    c.problem("[family]", "every family member would read the same columns: write the member's number as {n}, as in \"Child {n} Name\"".into());
                }
                (1..=section.count.min(50))
                    .map(|n| c.person(&format!("family {n}"), &section.fields, true, Some(n)))
                    .collect()
            }
        };

        let mut mapping = Mapping {
            read_options,
            columns: Vec::new(),
            person,
            assigned_to,
            contact_type,
            phones,
            addresses,
            im_services,
            social_media,
            tags,
            interests,
            categories,
            custom_fields,
            notes,
            spouse,
            business,
            family,
        };
        match file.unmapped_columns.as_deref() {
            None | Some("ignore") => {}
            Some("custom_fields") => {
                if let Some(headers) = headers {
                    let used = mapping.used_columns();
                    for (index, name) in headers.iter().enumerate() {
                        if !used.contains(&index) && !seen_custom.contains_key(&name.to_lowercase())
                        {
                            let rule = ValueRule::column(
                                format!("custom_fields.{name}"),
                                index,
                                Convert::Text,
                            );
                            mapping.custom_fields.push((name.clone(), rule));
                        }
                    }
                }
            }
            Some(other) => c.problem(
                "unmapped_columns",
                format!("{other:?}: expected \"ignore\" or \"custom_fields\""),
            ),
        }
        if c.problems.is_empty() {
            mapping.columns = c.columns;
            Ok(mapping)
        } else {
            Err(Problems(c.problems))
        }
    }

    /// Indexes of every column some rule reads.
    pub fn used_columns(&self) -> std::collections::BTreeSet<usize> {
        let mut rules: Vec<&ValueRule> = Vec::new();
        for p in std::iter::once(&self.person)
            .chain(self.spouse.iter())
            .chain(self.business.iter())
            .chain(self.family.iter())
        {
            rules.extend(p.scalars.iter().map(|(_, r)| r));
            rules.extend(p.emails.iter().map(|r| &r.value));
        }
        rules.extend(self.assigned_to.iter().chain(self.contact_type.iter()));
        rules.extend(self.phones.iter().map(|r| &r.value));
        rules.extend(
            self.addresses
                .iter()
                .flat_map(|a| a.parts.iter().map(|(_, r)| r)),
        );
        rules.extend(
            self.im_services
                .iter()
                .chain(self.social_media.iter())
                .map(|r| &r.value),
        );
        rules.extend(
            self.tags
                .iter()
                .chain(self.interests.iter())
                .map(|l| &l.value),
        );
        rules.extend(self.categories.iter().map(|c| &c.list.value));
        rules.extend(self.custom_fields.iter().map(|(_, r)| r));
        rules.extend(
            self.notes
                .iter()
                .flat_map(|n| std::iter::once(&n.note).chain(n.subject.iter())),
        );
        rules.iter().flat_map(|r| r.columns()).collect()
    }
}

/// The text a spec's source is written with, for spotting `{n}`.
fn spec_text(spec: &ValueSpec) -> String {
    let t = &spec.0;
    [&t.column, &t.template]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

struct Compiler<'a> {
    headers: Option<&'a [String]>,
    /// The column list rules index into (grows when compiling without headers).
    columns: Vec<String>,
    problems: Vec<Problem>,
}

impl Compiler<'_> {
    fn problem(&mut self, place: &str, message: String) {
        self.problems.push(Problem {
            place: place.to_string(),
            message,
        });
    }

    fn unknown<'n>(&mut self, place: &str, name: &str, known: impl Iterator<Item = &'n str>) {
        let known: Vec<&str> = known.collect();
        let hint = did_you_mean(name, known.iter().copied())
            .map(|s| format!("; did you mean {s:?}?"))
            .unwrap_or_default();
        self.problem(place, format!("unknown target field {name:?}{hint}"));
    }

    fn read_options(&mut self, file: &MappingFile) -> ReadOptions {
        let s = &file.source;
        let delimiter = s.delimiter.as_deref().and_then(|d| match d {
            "tab" | "\\t" | "\t" => Some(b'\t'),
            d if d.len() == 1 => Some(d.as_bytes()[0]),
            other => {
                self.problem(
                    "[source] delimiter",
                    format!("{other:?}: expected one character, or \"tab\""),
                );
                None
            }
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
        }
    }

    /// The rules of a person: the primary contact (`nested = false`) or a spouse, business or
    /// family member. `member` is the family member's number, replacing `{n}` in column names.
    fn person(
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
            if !nested && matches!(name.as_str(), "assigned_to" | "contact_type") {
                continue;
            }
            if nested && name == "email" {
                if let Some(value) = self.value(&place, &target, spec, Convert::Email, member) {
                    rules.emails.push(EmailRule {
                        value,
                        is_office: false,
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
                            Convert::Date(DateFormats::new(written).unwrap_or_default())
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
                    if let Some(formats) = &spec.0.date {
                        for format in &formats.to_vec() {
                            if let Err(why) = check_date_format(format) {
                                self.problem(&place, format!("date format {format:?} {why}"));
                            }
                        }
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
    fn value(
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
            self.column(place, &number(column)).map(Source::Column)
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
        Some(ValueRule {
            target: target.to_string(),
            source: source?,
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
            Some(headers) => match headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name.trim()))
            {
                Some(i) => Some(i),
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

    fn list(
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

    fn code(
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

    fn phone_layout(&mut self, place: &str, given: Option<&str>) -> PhoneLayout {
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

    fn duplicate_columns<'r>(&mut self, place: &str, rules: impl Iterator<Item = &'r ValueRule>) {
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

/// Whether a strftime format can read a date: it must be valid and name a year, month and day.
fn check_date_format(format: &str) -> Result<(), &'static str> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err("is not a valid strftime format");
    }
    let has = |codes: &[&str]| codes.iter().any(|c| format.contains(c));
    let names_a_day =
        has(&["%Y", "%y", "%G"]) && has(&["%m", "%b", "%B", "%h"]) && has(&["%d", "%e"]);
    if !names_a_day && !has(&["%F", "%D", "%x"]) {
        return Err("must name a year, a month and a day (such as %d/%m/%Y)");
    }
    Ok(())
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
