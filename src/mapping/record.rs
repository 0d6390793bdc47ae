//! Mappings of the other entities: contact activity and tasks. Their fields are few and
//! flat (title, type, description; dates, priority, assignees…), and every row names its
//! contact by a key column: `[contact] match = "email" | "id" | "custom:NAME"`.
//!
//! A row maps to a JSON record in the API's input shape (`MappedRow::record`) and to the
//! key that finds its contact (`MappedRow::contact_key`).

use serde_json::{Map, Value};

use super::compile::Compiler;
use super::config::{MappingFile, ValueSpec};
use super::date::DateFormats;
use super::targets::Target;
use super::value::{Convert, ValueRule};
use super::Entity;
use crate::schema::{date_part, ScalarValue};

/// How a record field's value is read and sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A calendar date, sent as `YYYY-MM-DD`.
    Date,
    Bool,
    /// u urgent, h hot, n normal.
    Priority,
    /// task, meeting or note, sent as `task_new`, `meeting_new`, `note_new`.
    Event,
    /// User emails, several in a cell split on `;`, sent as a list.
    Users,
}

/// A field of an activity or a task, by its JSON name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordField {
    pub name: &'static str,
    pub kind: Kind,
}

const ACTIVITY_FIELDS: &[RecordField] = &[
    RecordField {
        name: "title",
        kind: Kind::Text,
    },
    RecordField {
        name: "activity_type",
        kind: Kind::Text,
    },
    RecordField {
        name: "description",
        kind: Kind::Text,
    },
];

const TASK_FIELDS: &[RecordField] = &[
    RecordField {
        name: "title",
        kind: Kind::Text,
    },
    RecordField {
        name: "description",
        kind: Kind::Text,
    },
    RecordField {
        name: "event",
        kind: Kind::Event,
    },
    RecordField {
        name: "start_date",
        kind: Kind::Date,
    },
    RecordField {
        name: "due_date",
        kind: Kind::Date,
    },
    RecordField {
        name: "priority",
        kind: Kind::Priority,
    },
    RecordField {
        name: "completed",
        kind: Kind::Bool,
    },
    RecordField {
        name: "is_todo",
        kind: Kind::Bool,
    },
    RecordField {
        name: "assigned_to",
        kind: Kind::Users,
    },
];

const USER_FIELDS: &[RecordField] = &[
    RecordField {
        name: "id",
        kind: Kind::Text,
    },
    RecordField {
        name: "email",
        kind: Kind::Text,
    },
    RecordField {
        name: "first_name",
        kind: Kind::Text,
    },
    RecordField {
        name: "last_name",
        kind: Kind::Text,
    },
    RecordField {
        name: "short_name",
        kind: Kind::Text,
    },
    RecordField {
        name: "color",
        kind: Kind::Text,
    },
    RecordField {
        name: "last_login",
        kind: Kind::Text,
    },
];

pub const PRIORITIES: &[&str] = &["u", "h", "n"];
const EVENTS: &[&str] = &["task", "meeting", "note"];

/// The fields an entity's mapping may fill.
pub fn fields(entity: Entity) -> &'static [RecordField] {
    match entity {
        Entity::Activity => ACTIVITY_FIELDS,
        Entity::Task => TASK_FIELDS,
        Entity::User => USER_FIELDS,
        Entity::Contact => &[],
    }
}

/// The targets of an activity or task mapping; problems go to `c`.
pub(super) fn targets(c: &mut Compiler, file: &MappingFile, entity: Entity) -> Vec<Target> {
    let mut targets = Vec::new();
    // Sections only contacts have would be silently ignored here: say so.
    let contact_only = [
        ("[[emails]]", !file.emails.is_empty()),
        ("[[phones]]", !file.phones.is_empty()),
        ("[[addresses]]", !file.addresses.is_empty()),
        ("[[im_services]]", !file.im_services.is_empty()),
        ("[[social_media]]", !file.social_media.is_empty()),
        ("[tags]", file.tags.is_some()),
        ("[interests]", file.interests.is_some()),
        ("[[categories]]", !file.categories.is_empty()),
        ("[custom_fields]", !file.custom_fields.is_empty()),
        ("[[contact_notes]]", !file.contact_notes.is_empty()),
        ("[spouse]", file.spouse.is_some()),
        ("[business]", file.business.is_some()),
        ("[family]", file.family.is_some()),
        ("unmapped_columns", file.unmapped_columns.is_some()),
    ];
    for (section, given) in contact_only {
        if given {
            c.problem(
                section,
                format!(
                    "only contact mappings have {section}; this one maps rows to {}",
                    entity.name()
                ),
            );
        }
    }
    let known = fields(entity);
    for (name, spec) in &file.fields {
        let place = format!("[fields] {name}");
        let Some(field) = known.iter().find(|f| f.name == name) else {
            c.unknown(&place, name, known.iter().map(|f| f.name));
            continue;
        };
        if let Some(rule) = field_rule(c, &place, *field, spec) {
            targets.push(Target::RecordField(*field, rule));
        }
    }
    match &file.contact {
        // Users belong to no contact.
        Some(_) if entity == Entity::User => {
            c.problem("[contact]", "a user mapping names no contact".into())
        }
        None if entity == Entity::User => {}
        Some(section) => {
            let key = super::config::ContactKey::parse(&section.key);
            if let Err(message) = &key {
                c.problem("[contact] match", message.clone());
            }
            let spec = ValueSpec(super::config::ValueTable {
                column: section.column.clone(),
                ..Default::default()
            });
            let convert = match key {
                Ok(super::config::ContactKey::Email) => Convert::Email,
                _ => Convert::Text,
            };
            if let Some(rule) = c.value("[contact] column", "contact", &spec, convert, None) {
                targets.push(Target::ContactKey(rule));
            }
        }
        None => c.problem(
            "[contact]",
            format!(
                "every {} names its contact: add [contact] with match = \"email\" (or \"id\", or \"custom:NAME\") and column = \"…\"",
                entity.name()
            ),
        ),
    }
    targets
}

fn field_rule(
    c: &mut Compiler,
    place: &str,
    field: RecordField,
    spec: &ValueSpec,
) -> Option<ValueRule> {
    let convert = match field.kind {
        Kind::Text | Kind::Users => Convert::Text,
        Kind::Date => {
            let written = spec.0.date.as_ref().map(|d| d.to_vec()).unwrap_or_default();
            match DateFormats::new(written) {
                Ok(formats) => Convert::Date(formats),
                Err(problems) => {
                    for message in problems {
                        c.problem(place, message);
                    }
                    Convert::Date(DateFormats::default())
                }
            }
        }
        Kind::Bool => {
            let labels = spec
                .0
                .bool
                .clone()
                .unwrap_or_else(|| ["yes".into(), "no".into()]);
            Convert::Bool(labels)
        }
        Kind::Priority => Convert::Enum(PRIORITIES),
        Kind::Event => Convert::Enum(EVENTS),
    };
    c.value(place, field.name, spec, convert, None)
}

/// The value a field sends, from what its rule read.
pub fn to_json(field: RecordField, value: ScalarValue) -> Value {
    match (field.kind, value) {
        (_, ScalarValue::Bool(b)) => Value::Bool(b),
        (Kind::Event, ScalarValue::Text(t)) => Value::String(format!("{t}_new")),
        (Kind::Users, ScalarValue::Text(t)) => Value::Array(
            t.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        (_, ScalarValue::Text(t)) => Value::String(t),
    }
}

/// The value a field's cell shows, from a record as the API returns it.
pub fn from_json(field: RecordField, record: &Map<String, Value>) -> Option<ScalarValue> {
    let value = record.get(field.name)?;
    Some(match (field.kind, value) {
        (_, Value::Null) => return None,
        (Kind::Bool, v) => ScalarValue::Bool(crate::schema::truthy(v)),
        (Kind::Event, Value::String(s)) => {
            ScalarValue::Text(s.strip_suffix("_new").unwrap_or(s).to_string())
        }
        (Kind::Date, Value::String(s)) => ScalarValue::Text(date_part(s).unwrap_or(s).to_string()),
        (Kind::Users, v) => ScalarValue::Text(crate::schema::people(v)),
        (Kind::Text, Value::Object(o)) if field.name == "activity_type" => ScalarValue::Text(
            o.get("activity")
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        (_, Value::String(s)) => ScalarValue::Text(s.clone()),
        (_, other) => ScalarValue::Text(other.to_string()),
    })
}
