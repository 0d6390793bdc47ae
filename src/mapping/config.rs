//! The mapping file as written: plain serde structures, one per TOML table.
//!
//! Nothing here is checked beyond TOML's own syntax; `compile.rs` turns a `MappingFile`
//! into a runnable [`super::Mapping`] and reports every problem at once. Field names under
//! `[fields]`, `[spouse]` and friends are free keys here, so a misspelt one is reported with a
//! suggestion instead of a bare serde error.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A whole mapping file. See `mappings/reference.toml` for every construct with comments.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// What each row becomes: `contact` (activities and tasks follow).
    #[serde(default = "default_entity")]
    pub entity: String,
    /// How to read the input file.
    #[serde(default)]
    pub source: SourceSection,
    /// What to do with columns no rule names: `ignore` (default) or `custom_fields`, which
    /// sends each as a custom field named after its header.
    #[serde(default)]
    pub unmapped_columns: Option<String>,
    /// Columns that `unmapped_columns` leaves alone, such as an export's read-only
    /// `Created` and `Updated`.
    #[serde(default)]
    pub ignore_columns: Vec<String>,
    /// What a column the mapping names but the file lacks is: `error` (default), or
    /// `blank`, for mappings written for a product's export whose numbered groups vary from
    /// file to file (`Phone 3 - Value` only where a contact has three phones).
    #[serde(default)]
    pub missing_columns: Option<String>,
    /// Scalar fields of the contact, and `assigned_to` (a user's email) and `contact_type` (a
    /// type's name).
    #[serde(default)]
    pub fields: BTreeMap<String, ValueSpec>,
    #[serde(default)]
    pub emails: Vec<EmailSection>,
    #[serde(default)]
    pub phones: Vec<PhoneSection>,
    #[serde(default)]
    pub addresses: Vec<AddressSection>,
    #[serde(default)]
    pub im_services: Vec<TypedSection>,
    #[serde(default)]
    pub social_media: Vec<TypedSection>,
    /// A column holding several tags, split on a delimiter.
    #[serde(default)]
    pub tags: Option<ListSection>,
    #[serde(default)]
    pub interests: Option<ListSection>,
    #[serde(default)]
    pub categories: Vec<CategorySection>,
    /// Custom field name = column (or value spec).
    #[serde(default)]
    pub custom_fields: BTreeMap<String, ValueSpec>,
    #[serde(default)]
    pub contact_notes: Vec<NoteSection>,
    #[serde(default)]
    pub spouse: Option<BTreeMap<String, ValueSpec>>,
    #[serde(default)]
    pub business: Option<BTreeMap<String, ValueSpec>>,
    #[serde(default)]
    pub family: Option<FamilySection>,
    /// For activity and task mappings: the column that names each row's contact.
    #[serde(default)]
    pub contact: Option<ContactSection>,
}

/// `[contact] match = "email", column = "Contact Email"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSection {
    /// `email`, `id` or `custom:NAME`, as `--match` takes it.
    #[serde(rename = "match", default = "default_key")]
    pub key: String,
    pub column: Option<String>,
}

fn default_key() -> String {
    "email".into()
}

/// How a row's contact is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKey {
    /// Any of the contact's emails, ignoring case.
    Email,
    Id,
    /// A custom field holding an external id.
    Custom(String),
}

impl ContactKey {
    pub fn parse(text: &str) -> Result<ContactKey, String> {
        match text.trim() {
            "email" => Ok(ContactKey::Email),
            "id" => Ok(ContactKey::Id),
            other => match other.strip_prefix("custom:") {
                Some(name) if !name.trim().is_empty() => {
                    Ok(ContactKey::Custom(name.trim().to_string()))
                }
                _ => Err(format!(
                    "{other:?}: expected email, id, or custom:NAME (a custom field holding an external id)"
                )),
            },
        }
    }
}

fn default_entity() -> String {
    "contact".to_string()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// Workbook sheet: a name, or a 1-based position.
    pub sheet: Option<SheetSpec>,
    /// The row with the column names (1-based); 0 when there is none.
    pub header_row: Option<usize>,
    /// CSV delimiter: one character, or `tab`.
    pub delimiter: Option<String>,
    /// CSV encoding: `utf-8`, `utf-16`, `windows-1252`…
    pub encoding: Option<String>,
    /// CSV: keep a leading `'` before `=`, `+`, `-`, `@` instead of reading it as the
    /// formula guard (default false).
    pub keep_apostrophes: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SheetSpec {
    Index(usize),
    Name(String),
}

/// Where a value comes from and how it is cleaned. Written either as a bare column name
/// (`first_name = "First Name"`) or as a table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueTable {
    /// The source column.
    pub column: Option<String>,
    /// Other names the column goes by in other files, tried in order when the file has no
    /// `column` (Outlook.com's `Home Country/Region` for desktop Outlook's `Home Country`).
    pub or_columns: Option<Vec<String>>,
    /// A constant sent for every row.
    pub value: Option<String>,
    /// Text with `{Column Name}` placeholders.
    pub template: Option<String>,
    /// Used when the cell is blank.
    pub default: Option<String>,
    /// Strip surrounding white space (default true).
    pub trim: Option<bool>,
    /// `upper`, `lower` or `title`.
    pub case: Option<String>,
    /// Replace values: `{ Gold = "A", Silver = "B" }`, matched ignoring case. Kept in the
    /// order written: on export, a value several entries map to is written as the first.
    #[serde(default, deserialize_with = "ordered_map")]
    pub map: Option<Vec<(String, String)>>,
    /// Date formats tried in order (strftime: `%m/%d/%Y`); ISO dates and Excel serial numbers
    /// are always understood. The first format is used when writing back.
    pub date: Option<OneOrMany>,
    /// The words written for true and false on export, such as `["Yes", "No"]`.
    pub bool: Option<[String; 2]>,
    /// Phone layout: `keep` (default), `digits`, or `us` for `(404) 555-0134`.
    pub phone: Option<String>,
    /// What a value that cannot be read does: `reject` the row (default), or `blank`: the
    /// field is left out, the row goes on, and the report shows a warning on the cell.
    pub on_invalid: Option<String>,
}

/// A TOML table of text to text, its entries in the order written.
fn ordered_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<(String, String)>>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table of values, such as { Gold = \"A\" }")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry::<String, String>()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Entries).map(Some)
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueSpec(pub ValueTable);

impl From<&str> for ValueSpec {
    fn from(column: &str) -> Self {
        ValueSpec(ValueTable {
            column: Some(column.to_string()),
            ..ValueTable::default()
        })
    }
}

impl<'de> Deserialize<'de> for ValueSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = ValueSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a column name, or a table such as { column = \"Email\", trim = true }")
            }
            fn visit_str<E: de::Error>(self, column: &str) -> Result<ValueSpec, E> {
                Ok(ValueSpec::from(column))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ValueSpec, A::Error> {
                ValueTable::deserialize(de::value::MapAccessDeserializer::new(map)).map(ValueSpec)
            }
        }
        deserializer.deserialize_any(SpecVisitor)
    }
}

/// Value spec fields flattened into a section that also has options of its own.
/// (serde's `flatten` cannot be combined with `deny_unknown_fields`, so each section lists
/// the value keys itself through this macro.)
macro_rules! section_with_value {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            pub column: Option<String>,
            pub or_columns: Option<Vec<String>>,
            pub value: Option<String>,
            pub template: Option<String>,
            pub default: Option<String>,
            pub trim: Option<bool>,
            pub case: Option<String>,
            #[serde(default, deserialize_with = "ordered_map")]
            pub map: Option<Vec<(String, String)>>,
            pub phone: Option<String>,
            pub on_invalid: Option<String>,
        }

        impl $name {
            pub fn value_spec(&self) -> ValueSpec {
                ValueSpec(ValueTable {
                    column: self.column.clone(),
                    or_columns: self.or_columns.clone(),
                    value: self.value.clone(),
                    template: self.template.clone(),
                    default: self.default.clone(),
                    trim: self.trim,
                    case: self.case.clone(),
                    map: self.map.clone(),
                    phone: self.phone.clone(),
                    on_invalid: self.on_invalid.clone(),
                    date: None,
                    bool: None,
                })
            }
        }
    };
}

section_with_value! {
    /// One email address: `[[emails]] column = "Email"`.
    EmailSection {
        /// Work-related (sent as `is_office`; returned under `office_emails`): for every
        /// row, or read from a label column through a map to "yes":
        /// `{ column = "E-mail 1 - Label", map = { Work = "yes" } }`.
        #[serde(default)]
        is_office: FlagSpec,
        /// Several addresses in one cell, split on this delimiter (` ::: `, `;`).
        split: Option<String>,
    }
}

section_with_value! {
    /// One phone number with its type.
    PhoneSection {
        /// W work, H home, M mobile, O other, F fax, P pager; or taken from a column
        /// through a map: `{ column = "Phone 1 - Type", map = { Mobile = "M" }, default = "O" }`.
        #[serde(rename = "type")]
        phone_type: Option<TypeSpec>,
        #[serde(default)]
        is_office: bool,
        /// Several numbers in one cell, split on this delimiter (` ::: `, `;`).
        split: Option<String>,
    }
}

/// A phone's type or a service: a code for every row, or read from a column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum TypeSpec {
    Code(String),
    Column(Box<ValueTable>),
}

impl Default for TypeSpec {
    fn default() -> Self {
        TypeSpec::Code(String::new())
    }
}

/// A yes/no about an item (`is_office`): fixed, or read from a label column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum FlagSpec {
    Fixed(bool),
    Column(Box<ValueTable>),
}

impl Default for FlagSpec {
    fn default() -> Self {
        FlagSpec::Fixed(false)
    }
}

section_with_value! {
    /// One IM account or social media profile of a given service.
    TypedSection {
        /// The service: Skype, AIM… or Facebook, LinkedIn…; or read from a column through
        /// a map: `{ column = "IM 1 - Service", map = { "Google Talk" = "Gtalk" } }`.
        #[serde(rename = "type")]
        service: TypeSpec,
    }
}

section_with_value! {
    /// A column of several values split on a delimiter: tags, interests.
    ListSection {
        /// The delimiter between values (default `;`).
        split: Option<String>,
    }
}

section_with_value! {
    /// Category values under one category name.
    CategorySection {
        /// The category's name in BigContacts.
        name: String,
        /// Split the cell into several values on this delimiter.
        split: Option<String>,
    }
}

/// One address: each part (address, address2, address3, city, state, country,
/// postal_code) is a value spec.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddressSection {
    #[serde(default)]
    pub is_office: FlagSpec,
    #[serde(flatten)]
    pub parts: BTreeMap<String, ValueSpec>,
}

/// One contact note.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteSection {
    pub subject: Option<ValueSpec>,
    pub note: ValueSpec,
}

/// Family members from repeated groups of columns: `first_name = "Child {n} Name"` with
/// `count = 3` reads Child 1 Name, Child 2 Name, Child 3 Name.
#[derive(Debug, Clone, Deserialize)]
pub struct FamilySection {
    pub count: usize,
    /// Members from one cell holding several, split on this (`Children = "Léa;Hugo"`):
    /// member n reads the n-th value of each column named without `{n}`.
    #[serde(default)]
    pub split: Option<String>,
    #[serde(flatten)]
    pub fields: BTreeMap<String, ValueSpec>,
}

/// Every key of a mapping's TOML that no section takes, each with its place and a
/// suggestion: serde stops at the first, and a person fixing a file wants them all at once.
pub fn unknown_keys(file: &toml::Value) -> Vec<String> {
    const TOP: &[&str] = &[
        "entity",
        "source",
        "unmapped_columns",
        "ignore_columns",
        "missing_columns",
        "fields",
        "emails",
        "phones",
        "addresses",
        "im_services",
        "social_media",
        "tags",
        "interests",
        "categories",
        "custom_fields",
        "contact_notes",
        "spouse",
        "business",
        "family",
        "contact",
    ];
    const SOURCE: &[&str] = &[
        "sheet",
        "header_row",
        "delimiter",
        "encoding",
        "keep_apostrophes",
    ];
    const VALUE: &[&str] = &[
        "column",
        "or_columns",
        "value",
        "template",
        "default",
        "trim",
        "case",
        "map",
        "date",
        "bool",
        "phone",
        "on_invalid",
    ];
    let mut out = Vec::new();
    let mut check = |place: &str, table: &toml::Table, known: &[&str]| {
        for key in table.keys() {
            if !known.contains(&key.as_str()) {
                let hint = super::did_you_mean(key, known.iter().copied())
                    .map(|s| format!("; did you mean {s:?}?"))
                    .unwrap_or_default();
                out.push(format!("{place}: unknown key {key:?}{hint}"));
            }
        }
    };
    let Some(top) = file.as_table() else {
        return out;
    };
    check("the file", top, TOP);
    if let Some(source) = top.get("source").and_then(toml::Value::as_table) {
        check("[source]", source, SOURCE);
    }
    // Sections whose own keys name targets (fields, parts): their values may be tables.
    for (section, extra) in [
        ("fields", &[][..]),
        ("spouse", &[]),
        ("business", &[]),
        ("custom_fields", &[]),
        ("family", &["count", "split"]),
    ] {
        let Some(table) = top.get(section).and_then(toml::Value::as_table) else {
            continue;
        };
        for (key, value) in table {
            if extra.contains(&key.as_str()) {
                continue;
            }
            if let Some(spec) = value.as_table() {
                check(&format!("[{section}] {key}"), spec, VALUE);
            }
        }
    }
    // Sections that are a value and options of their own.
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        VALUE
            .iter()
            .copied()
            .filter(|k| !matches!(*k, "date" | "bool"))
            .chain(extra.iter().copied())
            .collect()
    };
    for (section, known) in [
        ("emails", with(&["is_office", "split"])),
        ("phones", with(&["type", "is_office", "split"])),
        ("im_services", with(&["type"])),
        ("social_media", with(&["type"])),
        ("categories", with(&["name", "split"])),
        ("contact_notes", vec!["subject", "note"]),
        ("tags", with(&["split"])),
        ("interests", with(&["split"])),
        ("contact", vec!["match", "column"]),
    ] {
        let tables: Vec<&toml::Table> = match top.get(section) {
            Some(toml::Value::Array(items)) => {
                items.iter().filter_map(toml::Value::as_table).collect()
            }
            Some(toml::Value::Table(table)) => vec![table],
            _ => Vec::new(),
        };
        for (i, table) in tables.into_iter().enumerate() {
            let place = if matches!(top.get(section), Some(toml::Value::Array(_))) {
                format!("[[{section}]] #{}", i + 1)
            } else {
                format!("[{section}]")
            };
            check(&place, table, &known);
            for (key, value) in table {
                if let (true, Some(spec)) = (
                    matches!(key.as_str(), "type" | "is_office" | "subject" | "note"),
                    value.as_table(),
                ) {
                    check(&format!("{place} {key}"), spec, VALUE);
                }
            }
        }
    }
    if let Some(toml::Value::Array(addresses)) = top.get("addresses") {
        for (i, table) in addresses
            .iter()
            .filter_map(toml::Value::as_table)
            .enumerate()
        {
            for (key, value) in table {
                if let Some(spec) = value.as_table() {
                    check(&format!("[[addresses]] #{} {key}", i + 1), spec, VALUE);
                }
            }
        }
    }
    out
}
