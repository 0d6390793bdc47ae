//! Compiling a contact mapping: each section of the file into its targets, in the order rows
//! are mapped (the contact's fields, assignment and type, phones, addresses, services, lists,
//! categories, custom fields, notes, then the nested contacts).

use std::collections::BTreeMap;

use super::compile::{spec_text, Compiler};
use super::config::{FlagSpec, MappingFile, TypeSpec, TypedSection, ValueSpec, ValueTable};
use super::targets::{
    AddressRule, CategoryRule, EmailRule, NoteRule, Person, PhoneRule, ServiceRule, Target,
};
use super::value::{Convert, Source, ValueRule};
use crate::schema::{IM_SERVICE_TYPES, PHONE_TYPES, SOCIAL_MEDIA_TYPES};

/// The targets of a contact mapping; problems go to `c`.
pub(super) fn targets(c: &mut Compiler, file: &MappingFile) -> Vec<Target> {
    let mut targets = vec![contact(c, file)];
    // Keys of [fields] that are not scalar fields: the id, a user's email, a type's name.
    if let Some(spec) = file.fields.get("id") {
        let rule = c.value("[fields] id", "id", spec, Convert::Text, None);
        targets.extend(rule.map(Target::ContactId));
    }
    if let Some(spec) = file.fields.get("assigned_to") {
        let place = "[fields] assigned_to";
        let rule = c.value(place, "assigned_to", spec, Convert::Email, None);
        targets.extend(rule.map(Target::AssignedTo));
    }
    if let Some(spec) = file.fields.get("contact_type") {
        let place = "[fields] contact_type";
        let rule = c.value(place, "contact_type", spec, Convert::Text, None);
        targets.extend(rule.map(Target::ContactType));
    }
    targets.extend(phones(c, file));
    targets.extend(addresses(c, file));
    let im = services(c, "im_services", &file.im_services, IM_SERVICE_TYPES);
    targets.extend(im.into_iter().map(Target::ImService));
    let social = services(c, "social_media", &file.social_media, SOCIAL_MEDIA_TYPES);
    targets.extend(social.into_iter().map(Target::SocialMedia));
    if let Some(s) = &file.tags {
        if let Some(list) = c.list("[tags]", "tags", &s.value_spec(), s.split.as_deref()) {
            targets.push(Target::Tags(list));
        }
    }
    if let Some(s) = &file.interests {
        let list = c.list(
            "[interests]",
            "interests",
            &s.value_spec(),
            s.split.as_deref(),
        );
        targets.extend(list.map(Target::Interests));
    }
    targets.extend(categories(c, file));
    let mapped_custom = custom_fields(c, file, &mut targets);
    let custom_end = targets.len();
    targets.extend(notes(c, file));
    if let Some(fields) = &file.spouse {
        targets.push(Target::Person(
            Person::Spouse,
            c.person("spouse", fields, true, None),
        ));
    }
    if let Some(fields) = &file.business {
        targets.push(Target::Person(
            Person::Business,
            c.person("business", fields, true, None),
        ));
    }
    targets.extend(family(c, file));
    unmapped_columns(c, file, &mapped_custom, &mut targets, custom_end);
    targets
}

/// The contact's own fields and its `[[emails]]`.
fn contact(c: &mut Compiler, file: &MappingFile) -> Target {
    let mut person = c.person("fields", &file.fields, false, None);
    let first_listed = person.emails.len();
    for (i, section) in file.emails.iter().enumerate() {
        let place = format!("[[emails]] #{}", i + 1);
        if let Some(value) = c.value(
            &place,
            "emails.email",
            &section.value_spec(),
            Convert::Email,
            None,
        ) {
            let (is_office, office_rule) =
                office(c, &place, "emails.is_office", &section.is_office);
            person.emails.push(EmailRule {
                value,
                is_office,
                office_rule,
                split: split_of(&mut *c, &place, section.split.as_deref()),
            });
        }
    }
    c.duplicate_columns(
        "[[emails]]",
        person.emails[first_listed..].iter().map(|r| &r.value),
    );
    Target::Person(Person::Contact, person)
}

fn phones(c: &mut Compiler, file: &MappingFile) -> Vec<Target> {
    let mut rules = Vec::new();
    for (i, section) in file.phones.iter().enumerate() {
        let place = format!("[[phones]] #{}", i + 1);
        let (phone_type, type_rule) = match &section.phone_type {
            None => (None, None),
            Some(TypeSpec::Code(code)) => (c.code(&place, "type", code, PHONE_TYPES), None),
            Some(TypeSpec::Column(table)) => {
                let (rule, fallback) = type_column(c, &place, table);
                (fallback, rule)
            }
        };
        let layout = c.phone_layout(&place, section.phone.as_deref());
        if let Some(value) = c.value(
            &place,
            "phones.phone",
            &section.value_spec(),
            Convert::Phone(layout),
            None,
        ) {
            rules.push(PhoneRule {
                value,
                phone_type,
                type_rule,
                is_office: section.is_office,
                split: split_of(&mut *c, &place, section.split.as_deref()),
            });
        }
    }
    c.duplicate_columns("[[phones]]", rules.iter().map(|r| &r.value));
    rules.into_iter().map(Target::Phone).collect()
}

/// A `split` delimiter: text that is not blank (a blank one would split between every
/// character).
fn split_of(c: &mut Compiler, place: &str, split: Option<&str>) -> Option<String> {
    match split {
        Some(s) if s.trim().is_empty() && s != "\t" => {
            c.problem(
                place,
                "split must be a delimiter such as \" ::: \" or \";\", not blank".into(),
            );
            None
        }
        other => other.map(str::to_string),
    }
}

/// A phone's type read from a column (`type = { column = …, map = …, default = "O" }`):
fn type_column(
    c: &mut Compiler,
    place: &str,
    table: &ValueTable,
) -> (Option<ValueRule>, Option<&'static str>) {
    label_column(
        c,
        &format!("{place} type"),
        "phones.type",
        table,
        PHONE_TYPES,
    )
}

/// `is_office`, fixed or read from a label column mapped to "yes".
fn office(
    c: &mut Compiler,
    place: &str,
    target: &str,
    spec: &FlagSpec,
) -> (bool, Option<ValueRule>) {
    match spec {
        FlagSpec::Fixed(flag) => (*flag, None),
        FlagSpec::Column(table) => {
            let place = format!("{place} is_office");
            (false, label_column(c, &place, target, table, &["yes"]).0)
        }
    }
}

/// A code read from a label column: the rule, which reads the label through the map into
/// one of `allowed` (read with [`super::targets::label_code`]), and the code for a blank or
/// unknown label (the default). Google's primary marker, a leading `* ` on the label (or
/// `*` alone), reads as the label without it.
fn label_column(
    c: &mut Compiler,
    place: &str,
    target: &str,
    table: &ValueTable,
    allowed: &'static [&'static str],
) -> (Option<ValueRule>, Option<&'static str>) {
    let place = place.to_string();
    let fallback = table
        .default
        .as_deref()
        .and_then(|d| c.code(&place, "default", d, allowed));
    let mut table = table.clone();
    let map = table.map.get_or_insert_with(Default::default);
    // The marked labels after the plain ones, so that an export writes the plain label.
    let mut marked = Vec::new();
    for (label, code) in map.iter() {
        let blank = code.trim().is_empty();
        if !blank
            && c.code(&place, &format!("map {label:?}"), code, allowed)
                .is_none()
        {
            continue;
        }
        marked.push((format!("* {label}"), code.clone()));
    }
    marked.push(("*".into(), String::new()));
    map.extend(marked);
    table.default = None;
    let spec = ValueSpec(table);
    let rule = c.value(&place, target, &spec, Convert::Enum(allowed), None);
    (rule, fallback)
}

fn addresses(c: &mut Compiler, file: &MappingFile) -> Vec<Target> {
    let mut targets = Vec::new();
    for (i, section) in file.addresses.iter().enumerate() {
        let place = format!("[[addresses]] #{}", i + 1);
        let mut parts = Vec::new();
        for (name, spec) in &section.parts {
            let place = format!("{place} {name}");
            match crate::schema::contact_address_part(name) {
                Some(part) => {
                    let target = format!("addresses.{part}");
                    if let Some(rule) = c.value(&place, &target, spec, Convert::Text, None) {
                        parts.push((part, rule));
                    }
                }
                None => {
                    let known = crate::schema::ADDRESS_PARTS.iter().copied();
                    c.unknown(&place, name, known.chain(["is_office"]))
                }
            }
        }
        if parts.is_empty() {
            c.problem(
                &place,
                "an address needs at least one part, such as address = \"Street\"".into(),
            );
        }
        let (is_office, office_rule) = office(c, &place, "addresses.is_office", &section.is_office);
        targets.push(Target::Address(AddressRule {
            parts,
            is_office,
            office_rule,
        }));
    }
    targets
}

/// Instant messaging or social media sections: a service type and a value each.
fn services(
    c: &mut Compiler,
    kind: &str,
    sections: &[TypedSection],
    allowed: &'static [&'static str],
) -> Vec<ServiceRule> {
    let mut rules = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let place = format!("[[{kind}]] #{}", i + 1);
        let (service, service_rule) = match &section.service {
            TypeSpec::Code(code) => (c.code(&place, "type", code, allowed), None),
            TypeSpec::Column(table) => {
                let target = format!("{kind}.type");
                let place = format!("{place} type");
                let (rule, fallback) = label_column(c, &place, &target, table, allowed);
                (fallback, rule)
            }
        };
        let target = format!("{kind}.name");
        let value = c.value(&place, &target, &section.value_spec(), Convert::Text, None);
        if let Some(value) = value {
            if service.is_some() || service_rule.is_some() {
                rules.push(ServiceRule {
                    service,
                    service_rule,
                    value,
                });
            }
        }
    }
    rules
}

fn categories(c: &mut Compiler, file: &MappingFile) -> Vec<Target> {
    let mut targets = Vec::new();
    for (i, s) in file.categories.iter().enumerate() {
        let place = format!("[[categories]] #{}", i + 1);
        if s.name.trim().is_empty() {
            c.problem(
                &place,
                "a category needs its name: name = \"Industry\"".into(),
            );
        }
        let target = format!("categories.{}", s.name);
        // A category holds one value per cell unless given a `split` ("" is "no split").
        let split = s.split.as_deref().or(Some(""));
        if let Some(list) = c.list(&place, &target, &s.value_spec(), split) {
            targets.push(Target::Category(CategoryRule {
                name: s.name.clone(),
                list,
            }));
        }
    }
    targets
}

/// `[custom_fields]`; returns the names mapped (lowercase → as written).
fn custom_fields(
    c: &mut Compiler,
    file: &MappingFile,
    targets: &mut Vec<Target>,
) -> BTreeMap<String, String> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (name, spec) in &file.custom_fields {
        let place = format!("[custom_fields] {name:?}");
        if let Some(other) = seen.insert(name.to_lowercase(), name.clone()) {
            c.problem(&place, format!("duplicate target: custom field {other:?} is mapped twice (names are compared ignoring case)"));
        }
        let target = format!("custom_fields.{name}");
        if let Some(rule) = c.value(&place, &target, spec, Convert::Text, None) {
            targets.push(Target::CustomField(name.clone(), rule));
        }
    }
    seen
}

fn notes(c: &mut Compiler, file: &MappingFile) -> Vec<Target> {
    let mut targets = Vec::new();
    for (i, s) in file.contact_notes.iter().enumerate() {
        let place = format!("[[contact_notes]] #{}", i + 1);
        let subject = s
            .subject
            .as_ref()
            .and_then(|spec| c.value(&place, "contact_notes.subject", spec, Convert::Text, None));
        if let Some(note) = c.value(&place, "contact_notes.note", &s.note, Convert::Text, None) {
            targets.push(Target::Note(NoteRule { subject, note }));
        }
    }
    targets
}

fn family(c: &mut Compiler, file: &MappingFile) -> Vec<Target> {
    let Some(section) = &file.family else {
        return Vec::new();
    };
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
        .any(|spec: &ValueSpec| spec_text(spec).contains("{n}"));
    let split = split_of(c, "[family]", section.split.as_deref());
    if !numbered && split.is_none() {
        c.problem("[family]", "every family member would read the same columns: write the member's number as {n}, as in \"Child {n} Name\", or give split for a cell that holds them all".into());
    }
    (1..=section.count.min(50))
        .map(|n| {
            let mut rules = c.person(&format!("family {n}"), &section.fields, true, Some(n));
            if let Some(split) = &split {
                // Member n reads the n-th value of each cell that holds them all.
                let part = |rule: &mut ValueRule| {
                    if let Source::Column(column) = rule.source {
                        rule.source = Source::Part {
                            column,
                            split: split.clone(),
                            index: n - 1,
                        };
                    }
                };
                rules.scalars.iter_mut().for_each(|(_, r)| part(r));
                rules.emails.iter_mut().for_each(|r| part(&mut r.value));
            }
            Target::Person(Person::Family(n), rules)
        })
        .collect()
}

/// What an export adds to a custom field's column name when the name is already one of the
/// layout's columns (or one it ignores): `Nickname (custom)` is the custom field `Nickname`.
pub const CUSTOM_SUFFIX: &str = " (custom)";

/// `unmapped_columns = "custom_fields"`: every column no rule reads becomes a custom field
/// named after its header (less a [`CUSTOM_SUFFIX`] that an export added to tell it from a
/// column of the same name), placed after the mapped custom fields (before `at`).
fn unmapped_columns(
    c: &mut Compiler,
    file: &MappingFile,
    mapped_custom: &BTreeMap<String, String>,
    targets: &mut Vec<Target>,
    at: usize,
) {
    match file.unmapped_columns.as_deref() {
        None | Some("ignore") => {}
        Some("custom_fields") => {
            let Some(headers) = c.headers else { return };
            let used: std::collections::BTreeSet<usize> =
                targets.iter().flat_map(Target::columns).collect();
            let extra: Vec<Target> = headers
                .iter()
                .enumerate()
                .filter(|(index, name)| {
                    !used.contains(index)
                        && !mapped_custom.contains_key(&name.to_lowercase())
                        && !file
                            .ignore_columns
                            .iter()
                            .any(|i| i.eq_ignore_ascii_case(name))
                })
                .map(|(index, name)| {
                    let field = name
                        .strip_suffix(CUSTOM_SUFFIX)
                        .filter(|base| {
                            let same = |other: &String| other.eq_ignore_ascii_case(base);
                            headers.iter().any(same) || file.ignore_columns.iter().any(same)
                        })
                        .unwrap_or(name);
                    let rule =
                        ValueRule::column(format!("custom_fields.{field}"), index, Convert::Text);
                    Target::CustomField(field.to_string(), rule)
                })
                .collect();
            targets.splice(at..at, extra);
        }
        Some(other) => c.problem(
            "unmapped_columns",
            format!("{other:?}: expected \"ignore\" or \"custom_fields\""),
        ),
    }
}
