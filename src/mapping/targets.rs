//! What a compiled mapping is made of: one list of targets, each a place in the record that
//! some rules fill from cells ([`Target::apply`]), write back to cells ([`Target::reverse`])
//! and read columns for ([`Target::columns`]). A new construct is one new variant here and
//! its compiler; the walkers in `mod.rs` are single loops over the list.

use std::borrow::Cow;

use super::text::trim;
use super::value::{Convert, Source, ValueRule};
use crate::finding::Finding;
use crate::read::Row;
use crate::schema::{
    AddressInput, CategoryInput, ContactInput, ContactNoteInput, CustomFieldInput, EmailInput,
    ImServiceInput, NamedRef, PhoneInput, ScalarField, ScalarValue, SocialMediaInput, UserRef,
};

/// One place in the record and the rules that fill it.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// The contact's own fields and emails, or a nested contact's.
    Person(Person, PersonRules),
    /// The contact's id (`[fields] id`): read for `--match id`, written by exports.
    ContactId(ValueRule),
    AssignedTo(ValueRule),
    ContactType(ValueRule),
    Phone(PhoneRule),
    Address(AddressRule),
    ImService(ServiceRule),
    SocialMedia(ServiceRule),
    Tags(ListRule),
    Interests(ListRule),
    Category(CategoryRule),
    CustomField(String, ValueRule),
    Note(NoteRule),
    /// A field of an activity or a task.
    RecordField(super::record::RecordField, ValueRule),
    /// The column naming an activity's or task's contact.
    ContactKey(ValueRule),
}

/// Whose fields a [`Target::Person`] fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Person {
    Contact,
    Spouse,
    Business,
    /// The n-th family member's rules (1-based, as `{n}` numbers the columns).
    Family(usize),
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
    /// `is_office` read from a label column, through a map to "yes".
    pub office_rule: Option<ValueRule>,
    /// Several addresses in one cell, split on this.
    pub split: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct PhoneRule {
    pub value: ValueRule,
    /// The type for every row; with a `type_rule`, the type of a blank or unknown label.
    pub phone_type: Option<&'static str>,
    /// The type read from a column, through its map, as a code.
    pub type_rule: Option<ValueRule>,
    pub is_office: bool,
    /// Several numbers in one cell, split on this (all of the one type).
    pub split: Option<String>,
}

impl PhoneRule {
    /// The type of this row's phones: the type column's code, else the fixed type.
    fn phone_type(&self, row: &Row) -> Option<&'static str> {
        let from_column = self
            .type_rule
            .as_ref()
            .and_then(|rule| label_code(rule, row, crate::schema::PHONE_TYPES));
        from_column.or(self.phone_type)
    }

    /// Whether a phone may be written back through this rule.
    fn accepts(&self, p: &PhoneInput) -> bool {
        self.is_office == p.is_office
            && (self.type_rule.is_some() || self.phone_type == p.phone_type.as_deref())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct AddressRule {
    pub parts: Vec<(&'static str, ValueRule)>,
    pub is_office: bool,
    /// `is_office` read from a label column, through a map to "yes".
    pub office_rule: Option<ValueRule>,
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceRule {
    /// The service for every row; with a `service_rule`, that of a blank or unknown label.
    pub service: Option<&'static str>,
    /// The service read from a column, through its map.
    pub service_rule: Option<ValueRule>,
    pub value: ValueRule,
}

/// The code a label column gives through its rule's map (`Mobile` → `M`), if one of
/// `allowed`.
fn label_code(
    rule: &ValueRule,
    row: &Row,
    allowed: &'static [&'static str],
) -> Option<&'static str> {
    let label = rule.read_text(row)?;
    super::words::match_code(&label, allowed)
}

/// Whether a row's item is an office one: the label column's word for it, or the fixed flag.
fn office_of(rule: Option<&ValueRule>, fixed: bool, row: &Row) -> bool {
    match rule {
        Some(rule) => label_code(rule, row, &["yes"]).is_some(),
        None => fixed,
    }
}

impl ServiceRule {
    /// This row's service, or a warning finding when its label has none.
    fn service(&self, ctx: &mut Ctx, allowed: &'static [&'static str]) -> Option<&'static str> {
        let Some(rule) = &self.service_rule else {
            return self.service;
        };
        let found = label_code(rule, ctx.row, allowed).or(self.service);
        if found.is_none() {
            if let Some(label) = rule.read_text(ctx.row) {
                ctx.findings.push(
                    Finding::warning(ctx.row.number, rule.primary_column(), ctx.columns, "service")
                        .field(rule.target.clone())
                        .value(label.to_string())
                        .message(format!(
                            "{label:?} is not one of {}: the handle beside it is left out; add it to the map, or give a default",
                            allowed.join(", ")
                        )),
                );
            }
        }
        found
    }

    /// Whether a service item may be written back through this rule.
    fn accepts(&self, service: &str) -> bool {
        self.service_rule.is_some()
            || self
                .service
                .is_some_and(|s| s.eq_ignore_ascii_case(service))
    }
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

/// Per-row state while mapping: the row and where findings go.
pub(crate) struct Ctx<'a> {
    pub columns: &'a [String],
    pub row: &'a Row,
    pub findings: &'a mut Vec<Finding>,
    /// Where activity, task and user fields go.
    pub other: &'a mut Option<Box<super::OtherRecord>>,
}

impl Ctx<'_> {
    fn value(&mut self, rule: &ValueRule) -> Option<ScalarValue> {
        match rule.read(self.row) {
            Ok(value) => {
                // Only dates have doubts: other values pay one comparison.
                let doubt = match (&rule.convert, &value) {
                    (Convert::Date(_), Some(value)) => rule
                        .date_order_doubt(self.row)
                        .or_else(|| rule.birth_date_doubt(value)),
                    _ => None,
                };
                if let Some(issue) = doubt {
                    self.findings.push(
                        Finding::warning(self.row.number, issue.column, self.columns, issue.rule)
                            .field(rule.target.clone())
                            .value(issue.value)
                            .message(issue.message),
                    );
                }
                value
            }
            Err(issue) => {
                let (finding, message) = if rule.blank_if_invalid {
                    let message = format!("{}; left blank (on_invalid = \"blank\")", issue.message);
                    (Finding::warning as fn(_, _, _, _) -> Finding, message)
                } else {
                    (Finding::error as fn(_, _, _, _) -> Finding, issue.message)
                };
                self.findings.push(
                    finding(self.row.number, issue.column, self.columns, issue.rule)
                        .field(rule.target.clone())
                        .value(issue.value)
                        .message(message),
                );
                None
            }
        }
    }

    fn text(&mut self, rule: &ValueRule) -> Option<String> {
        self.value(rule).map(ScalarValue::into_cell)
    }

    /// The values of a cell that holds several (`a@x.com ::: b@y.com`), each converted on
    /// its own, each bad one a finding.
    fn texts(&mut self, rule: &ValueRule, split: &str) -> Vec<String> {
        let Some(text) = rule.read_text(self.row) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for part in text.split(split).map(trim).filter(|p| !p.is_empty()) {
            match rule.convert_text(Cow::Borrowed(part)) {
                Ok(value) => out.push(value.into_cell()),
                Err(issue) => {
                    let finding = if rule.blank_if_invalid {
                        Finding::warning
                    } else {
                        Finding::error
                    };
                    self.findings.push(
                        finding(self.row.number, issue.column, self.columns, issue.rule)
                            .field(rule.target.clone())
                            .value(issue.value)
                            .message(issue.message),
                    );
                }
            }
        }
        out
    }
}

/// Which items of each repeated list a reverse has already written, so that the second
/// home phone goes to the second `type = "H"` rule.
#[derive(Default)]
pub(crate) struct Taken {
    emails: Vec<bool>,
    family: Vec<bool>,
    custom_fields: Vec<bool>,
    phones: Vec<bool>,
    addresses: Vec<bool>,
    im_services: Vec<bool>,
    social_media: Vec<bool>,
    notes: Vec<bool>,
}

/// The first item not yet taken that `accepts` takes, now taken.
fn take<'a, T>(
    items: &'a [T],
    taken: &mut Vec<bool>,
    accepts: impl Fn(&T) -> bool,
) -> Option<&'a T> {
    taken.resize(items.len(), false);
    let slot = (0..items.len()).find(|&i| !taken[i] && accepts(&items[i]))?;
    taken[slot] = true;
    Some(&items[slot])
}

/// The next item not yet taken, now taken, if `accepts` takes it: the rest of a cell that
/// holds several values, in the contact's order.
fn take_next<'a, T>(
    items: &'a [T],
    taken: &mut Vec<bool>,
    accepts: impl Fn(&T) -> bool,
) -> Option<&'a T> {
    taken.resize(items.len(), false);
    let slot = (0..items.len()).find(|&i| !taken[i])?;
    if !accepts(&items[slot]) {
        return None;
    }
    taken[slot] = true;
    Some(&items[slot])
}

impl Taken {
    /// How many values of the contact had no place in the mapping, by the list's (or
    /// field's) name: a third phone when two are mapped, categories a layout has no column
    /// for, a field no rule writes. Everything counts, so that no export loses a value
    /// without saying so.
    pub fn left_out(
        &self,
        contact: &ContactInput,
        targets: &[Target],
    ) -> Vec<(&'static str, usize)> {
        let missed = |taken: &[bool], len: usize| {
            (0..len)
                .filter(|&i| !taken.get(i).copied().unwrap_or(false))
                .count()
        };
        let mut out = Vec::new();
        let mut count = |name: &'static str, n: usize| {
            if n > 0 {
                out.push((name, n));
            }
        };
        let own = targets.iter().find_map(|t| match t {
            Target::Person(Person::Contact, rules) => Some(rules),
            _ => None,
        });
        let fields = contact
            .scalars
            .iter()
            .filter(|(field, _)| !own.is_some_and(|r| r.scalars.iter().any(|(f, _)| f == field)))
            .count();
        count("fields", fields);
        count("emails", missed(&self.emails, contact.emails.len()));
        count("phones", missed(&self.phones, contact.phones.len()));
        count(
            "addresses",
            missed(&self.addresses, contact.addresses.len()),
        );
        count(
            "im_services",
            missed(&self.im_services, contact.im_services.len()),
        );
        count(
            "social_media",
            missed(&self.social_media, contact.social_media.len()),
        );
        count(
            "contact_notes",
            missed(&self.notes, contact.contact_notes.len()),
        );
        let family = (0..contact.family.len())
            .filter(|&i| {
                !self.family.get(i).copied().unwrap_or(false) && !is_blank(&contact.family[i])
            })
            .count();
        count("family", family);
        let custom = (0..contact.custom_fields.len())
            .filter(|&i| {
                !self.custom_fields.get(i).copied().unwrap_or(false)
                    && !contact.custom_fields[i].value.trim().is_empty()
            })
            .count();
        count("custom_fields", custom);
        // A list cell without a delimiter holds its first value only.
        let list_room = |rule: Option<&ListRule>, len: usize| match rule {
            None => len,
            Some(rule) if rule.split.as_deref().is_none_or(str::is_empty) => len.saturating_sub(1),
            Some(_) => 0,
        };
        let tags = targets.iter().find_map(|t| match t {
            Target::Tags(rule) => Some(rule),
            _ => None,
        });
        count("tags", list_room(tags, contact.tags.len()));
        let interests = targets.iter().find_map(|t| match t {
            Target::Interests(rule) => Some(rule),
            _ => None,
        });
        count("interests", list_room(interests, contact.interests.len()));
        let mut names: Vec<&str> = contact.categories.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable_by_key(|n| n.to_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        let categories = names
            .into_iter()
            .map(|name| {
                let rule = targets.iter().find_map(|t| match t {
                    Target::Category(rule) if rule.name.eq_ignore_ascii_case(name) => {
                        Some(&rule.list)
                    }
                    _ => None,
                });
                let values = contact
                    .categories
                    .iter()
                    .filter(|c| c.name.eq_ignore_ascii_case(name))
                    .count();
                list_room(rule, values)
            })
            .sum();
        count("categories", categories);
        let maps = |person: Person| {
            targets
                .iter()
                .any(|t| matches!(t, Target::Person(p, _) if *p == person))
        };
        let present = |p: &Option<Box<ContactInput>>| p.as_deref().is_some_and(|p| !is_blank(p));
        count(
            "spouse",
            usize::from(present(&contact.spouse) && !maps(Person::Spouse)),
        );
        count(
            "business",
            usize::from(present(&contact.business) && !maps(Person::Business)),
        );
        let maps_any = |f: fn(&Target) -> bool| targets.iter().any(f);
        count(
            "assigned_to",
            usize::from(
                contact
                    .assigned_to
                    .as_ref()
                    .is_some_and(|u| u.email.is_some())
                    && !maps_any(|t| matches!(t, Target::AssignedTo(_))),
            ),
        );
        count(
            "contact_type",
            usize::from(
                contact.contact_type.is_some()
                    && !maps_any(|t| matches!(t, Target::ContactType(_))),
            ),
        );
        out
    }
}

/// A nested contact with nothing in it (a response may list `{"id": 464}` as a member).
fn is_blank(person: &ContactInput) -> bool {
    person.scalars.is_empty() && person.emails.is_empty()
}

impl Target {
    /// Fills the target's part of `contact` from the row.
    pub fn apply(&self, ctx: &mut Ctx, contact: &mut ContactInput) {
        match self {
            Target::Person(Person::Contact, rules) => rules.apply(ctx, contact),
            Target::Person(person, rules) => {
                let Some(nested) = rules.apply_nested(ctx) else {
                    return;
                };
                match person {
                    Person::Spouse => contact.spouse = Some(nested),
                    Person::Business => contact.business = Some(nested),
                    _ => contact.family.push(*nested),
                }
            }
            Target::ContactId(rule) => {
                let Some(text) = ctx.text(rule) else { return };
                match text.parse::<i64>() {
                    Ok(id) if id > 0 => contact.id = Some(id),
                    _ => ctx.findings.push(
                        Finding::error(ctx.row.number, rule.primary_column(), ctx.columns, "id")
                            .field("id")
                            .value(text)
                            .message("a contact id is a whole number, such as 435"),
                    ),
                }
            }
            Target::AssignedTo(rule) => {
                contact.assigned_to = ctx.text(rule).map(|email| UserRef {
                    id: None,
                    email: Some(email),
                })
            }
            Target::ContactType(rule) => {
                contact.contact_type = ctx.text(rule).map(|name| NamedRef { name })
            }
            Target::Phone(rule) => {
                let phone = |phone, row| PhoneInput {
                    phone,
                    phone_type: rule.phone_type(row).map(Cow::Borrowed),
                    is_office: rule.is_office,
                };
                // One value a cell, the common case, without a list to hold it.
                match &rule.split {
                    None => {
                        if let Some(text) = ctx.text(&rule.value) {
                            contact.phones.push(phone(text, ctx.row));
                        }
                    }
                    Some(split) => {
                        for text in ctx.texts(&rule.value, split) {
                            contact.phones.push(phone(text, ctx.row));
                        }
                    }
                }
            }
            Target::Address(rule) => {
                let empty = AddressInput {
                    is_office: office_of(rule.office_rule.as_ref(), rule.is_office, ctx.row),
                    ..AddressInput::default()
                };
                let mut address = empty.clone();
                for (part, value) in &rule.parts {
                    *address.part_mut(part).expect("compiled parts are known") = ctx.text(value);
                }
                if address != empty {
                    contact.addresses.push(address);
                }
            }
            Target::ImService(rule) => {
                if let Some(name) = ctx.text(&rule.value) {
                    if let Some(service) = rule.service(ctx, crate::schema::IM_SERVICE_TYPES) {
                        contact.im_services.push(ImServiceInput {
                            im_services_type: Cow::Borrowed(service),
                            name,
                        });
                    }
                }
            }
            Target::SocialMedia(rule) => {
                if let Some(name) = ctx.text(&rule.value) {
                    if let Some(service) = rule.service(ctx, crate::schema::SOCIAL_MEDIA_TYPES) {
                        contact.social_media.push(SocialMediaInput {
                            social_media_type: Cow::Borrowed(service),
                            name,
                        });
                    }
                }
            }
            Target::Tags(rule) => {
                contact.tags = split_list(rule, ctx.row, |name| NamedRef { name })
            }
            Target::Interests(rule) => {
                contact.interests = split_list(rule, ctx.row, |name| NamedRef { name })
            }
            Target::Category(rule) => {
                let values = split_list(&rule.list, ctx.row, |value| CategoryInput {
                    name: rule.name.clone(),
                    value,
                });
                contact.categories.extend(values);
            }
            Target::CustomField(name, rule) => {
                if let Some(value) = ctx.text(rule) {
                    contact.custom_fields.push(CustomFieldInput {
                        name: name.clone(),
                        value,
                    });
                }
            }
            Target::RecordField(field, rule) => {
                if let Some(value) = ctx.value(rule) {
                    let json = super::record::to_json(*field, value);
                    let other = ctx.other.get_or_insert_with(Default::default);
                    other.fields.insert(field.name.to_string(), json);
                }
            }
            Target::ContactKey(rule) => {
                if let Some(key) = ctx.text(rule) {
                    ctx.other.get_or_insert_with(Default::default).contact_key = Some(key);
                }
            }
            Target::Note(rule) => {
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
        }
    }

    /// Writes the target's part of `contact` back into `cells`: the inverse of
    /// [`Target::apply`]. Repeated values fill the targets that match them in order;
    /// values no target matches are left out.
    pub fn reverse(&self, contact: &ContactInput, taken: &mut Taken, cells: &mut [String]) {
        let text = |s: &str| ScalarValue::Text(s.to_string());
        match self {
            Target::Person(person, rules) => {
                let nested = match person {
                    Person::Contact => return rules.reverse(contact, &mut taken.emails, cells),
                    Person::Spouse => contact.spouse.as_deref(),
                    Person::Business => contact.business.as_deref(),
                    // Members by what the slot can hold, not by position: a blank member
                    // takes no slot, and a slot whose relation is a constant ("Child")
                    // takes only members of that relation.
                    Person::Family(_) => take(&contact.family, &mut taken.family, |m| {
                        !is_blank(m) && rules.holds(m)
                    }),
                };
                if let Some(nested) = nested {
                    rules.reverse(nested, &mut Vec::new(), cells);
                }
            }
            Target::ContactId(rule) => {
                if let Some(id) = contact.id {
                    rule.write(&text(&id.to_string()), cells);
                }
            }
            Target::AssignedTo(rule) => {
                if let Some(email) = contact.assigned_to.as_ref().and_then(|u| u.email.as_ref()) {
                    rule.write(&text(email), cells);
                }
            }
            Target::ContactType(rule) => {
                if let Some(kind) = &contact.contact_type {
                    rule.write(&text(&kind.name), cells);
                }
            }
            Target::Phone(rule) => {
                let Some(first) = take(&contact.phones, &mut taken.phones, |p| rule.accepts(p))
                else {
                    return;
                };
                let mut phones = vec![first.phone.as_str()];
                if let Some(split) = &rule.split {
                    // The cell's other numbers: those that follow, of the same type (the
                    // cell has one), so that the order of the contact's phones holds.
                    let same = |p: &PhoneInput| rule.accepts(p) && p.phone_type == first.phone_type;
                    while let Some(p) = take_next(&contact.phones, &mut taken.phones, same) {
                        phones.push(&p.phone);
                    }
                    rule.value.write(&text(&phones.join(split)), cells);
                } else {
                    rule.value.write(&text(first.phone.as_str()), cells);
                }
                if let (Some(type_rule), Some(code)) = (&rule.type_rule, &first.phone_type) {
                    type_rule.write(&text(code), cells);
                }
            }
            Target::Address(rule) => {
                let accepts =
                    |a: &AddressInput| rule.office_rule.is_some() || rule.is_office == a.is_office;
                if let Some(a) = take(&contact.addresses, &mut taken.addresses, accepts) {
                    for (part, value) in &rule.parts {
                        if let Some(Some(part)) = a.part(part) {
                            value.write(&text(part), cells);
                        }
                    }
                    if let (Some(office), true) = (&rule.office_rule, a.is_office) {
                        office.write(&text("yes"), cells);
                    }
                }
            }
            Target::ImService(rule) => {
                let accepts = |im: &ImServiceInput| rule.accepts(&im.im_services_type);
                if let Some(im) = take(&contact.im_services, &mut taken.im_services, accepts) {
                    rule.value.write(&text(&im.name), cells);
                    if let Some(service) = &rule.service_rule {
                        service.write(&text(&im.im_services_type), cells);
                    }
                }
            }
            Target::SocialMedia(rule) => {
                let accepts = |sm: &SocialMediaInput| rule.accepts(&sm.social_media_type);
                if let Some(sm) = take(&contact.social_media, &mut taken.social_media, accepts) {
                    rule.value.write(&text(&sm.name), cells);
                    if let Some(service) = &rule.service_rule {
                        service.write(&text(&sm.social_media_type), cells);
                    }
                }
            }
            Target::Tags(rule) => {
                join_list(rule, contact.tags.iter().map(|t| t.name.as_str()), cells)
            }
            Target::Interests(rule) => join_list(
                rule,
                contact.interests.iter().map(|t| t.name.as_str()),
                cells,
            ),
            Target::Category(rule) => {
                let values = contact
                    .categories
                    .iter()
                    .filter(|c| c.name.eq_ignore_ascii_case(&rule.name))
                    .map(|c| c.value.as_str());
                join_list(&rule.list, values, cells);
            }
            Target::CustomField(name, rule) => {
                // Taken in turn, so that two rules of one name hold its two values.
                let accepts = |f: &CustomFieldInput| f.name.eq_ignore_ascii_case(name);
                if let Some(field) = take(&contact.custom_fields, &mut taken.custom_fields, accepts)
                {
                    rule.write(&text(&field.value), cells);
                }
            }
            // Activities and tasks are written back by `Mapping::reverse_record`.
            Target::RecordField(..) | Target::ContactKey(_) => {}
            Target::Note(rule) => {
                let accepts = |n: &ContactNoteInput| {
                    !(n.note.is_empty() && n.subject.is_empty())
                        && constant_fits(rule.subject.as_ref(), &n.subject)
                };
                if let Some(note) = take(&contact.contact_notes, &mut taken.notes, accepts) {
                    rule.note.write(&text(&note.note), cells);
                    if let Some(subject) = &rule.subject {
                        subject.write(&text(&note.subject), cells);
                    }
                }
            }
        }
    }

    /// Every value rule of the target.
    pub fn rules(&self) -> Vec<&ValueRule> {
        match self {
            Target::Person(_, rules) => rules
                .scalars
                .iter()
                .map(|(_, r)| r)
                .chain(rules.emails.iter().map(|r| &r.value))
                .chain(rules.emails.iter().filter_map(|r| r.office_rule.as_ref()))
                .collect(),
            Target::ContactId(rule)
            | Target::AssignedTo(rule)
            | Target::ContactType(rule)
            | Target::CustomField(_, rule)
            | Target::RecordField(_, rule)
            | Target::ContactKey(rule) => {
                vec![rule]
            }
            Target::Phone(rule) => std::iter::once(&rule.value)
                .chain(rule.type_rule.iter())
                .collect(),
            Target::Address(rule) => rule
                .parts
                .iter()
                .map(|(_, r)| r)
                .chain(rule.office_rule.iter())
                .collect(),
            Target::ImService(rule) | Target::SocialMedia(rule) => std::iter::once(&rule.value)
                .chain(rule.service_rule.iter())
                .collect(),
            Target::Tags(rule) | Target::Interests(rule) => vec![&rule.value],
            Target::Category(rule) => vec![&rule.list.value],
            Target::Note(rule) => std::iter::once(&rule.note)
                .chain(rule.subject.iter())
                .collect(),
        }
    }

    /// Every column the target's rules read.
    pub fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.rules().into_iter().flat_map(ValueRule::columns)
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
            let office = |row| office_of(rule.office_rule.as_ref(), rule.is_office, row);
            // One address a cell, the common case, without a list to hold it.
            match &rule.split {
                None => {
                    if let Some(email) = ctx.text(&rule.value) {
                        let is_office = office(ctx.row);
                        contact.emails.push(EmailInput { email, is_office });
                    }
                }
                Some(split) => {
                    for email in ctx.texts(&rule.value, split) {
                        let is_office = office(ctx.row);
                        contact.emails.push(EmailInput { email, is_office });
                    }
                }
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

    /// Whether these rules can hold `person`: its constants agree (a slot with
    /// `relation = { value = "Child" }` holds children only) and some rule writes a value.
    fn holds(&self, person: &ContactInput) -> bool {
        let constants_agree = self.scalars.iter().all(|(field, rule)| {
            let value = person.scalars.get(*field).map(ScalarValue::to_cell);
            constant_fits(Some(rule), value.as_deref().unwrap_or_default())
        });
        let writes_something = self
            .scalars
            .iter()
            .any(|(field, rule)| rule.reads_cells() && person.scalars.get(*field).is_some())
            || (!self.emails.is_empty() && !person.emails.is_empty());
        constants_agree && writes_something
    }

    fn reverse(&self, contact: &ContactInput, taken: &mut Vec<bool>, cells: &mut [String]) {
        for (field, rule) in &self.scalars {
            if let Some(value) = contact.scalars.get(*field) {
                rule.write(value, cells);
            }
        }
        for rule in &self.emails {
            let accepts =
                |e: &EmailInput| rule.office_rule.is_some() || rule.is_office == e.is_office;
            let Some(first) = take(&contact.emails, taken, accepts) else {
                continue;
            };
            let mut emails = vec![first.email.as_str()];
            if rule.split.is_some() {
                // The cell's other addresses: those that follow, office or not alike.
                let same = |e: &EmailInput| accepts(e) && e.is_office == first.is_office;
                while let Some(e) = take_next(&contact.emails, taken, same) {
                    emails.push(&e.email);
                }
            }
            if let (Some(office), true) = (&rule.office_rule, first.is_office) {
                office.write(&ScalarValue::Text("yes".into()), cells);
            }
            let joined = emails.join(rule.split.as_deref().unwrap_or_default());
            rule.value.write(&ScalarValue::Text(joined), cells);
        }
    }
}

/// Whether a value may go where `rule` reads from: always, unless the rule is a constant,
/// which only its own value fits (ignoring case).
fn constant_fits(rule: Option<&ValueRule>, value: &str) -> bool {
    match rule.map(|r| &r.source) {
        Some(Source::Constant(constant)) => constant.trim().eq_ignore_ascii_case(value.trim()),
        _ => true,
    }
}

/// The values of a list cell, each trimmed, blanks dropped, made into what the list holds.
fn split_list<T>(rule: &ListRule, cells: &Row, make: impl Fn(String) -> T) -> Vec<T> {
    let Some(text) = rule.value.read_text(cells) else {
        return Vec::new();
    };
    // The value map applies to each value too: `{ "* myContacts" = "" }` drops a system
    // group from a list of labels.
    let mapped = |part: &str| -> String {
        match rule
            .value
            .map
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(part))
        {
            Some((_, to)) => to.trim().to_string(),
            None => part.to_string(),
        }
    };
    let values = |parts: &mut dyn Iterator<Item = &str>| -> Vec<T> {
        parts
            .map(trim)
            .filter(|s| !s.is_empty())
            .map(mapped)
            .filter(|s| !s.is_empty())
            .map(&make)
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
