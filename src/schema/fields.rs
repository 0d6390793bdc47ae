//! The scalar (single-valued) fields of a contact, as one catalog.
//!
//! The mapping, the validator and the sandbox all need to name a scalar field, know its kind
//! and read or write it on a record. One macro generates the field enum and its names and
//! kinds from a single list, so adding a field is one line; [`Scalars`] holds the set ones.

use serde::{Deserialize, Serialize};

/// How a scalar field's value is checked and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text.
    Text,
    /// A JSON boolean.
    Bool,
    /// A calendar date sent as `YYYY-MM-DD`.
    Date,
    /// One of a fixed set of codes.
    Enum(&'static [&'static str]),
}

/// A scalar value as the API carries it: text or a boolean.
///
/// Responses are read tolerantly: a boolean field that arrives as `"1"` stays text here and
/// is interpreted by whoever reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScalarValue {
    Bool(bool),
    Text(String),
}

impl ScalarValue {
    /// Like [`ScalarValue::to_cell`], without copying text.
    pub fn into_cell(self) -> String {
        match self {
            ScalarValue::Bool(b) => b.to_string(),
            ScalarValue::Text(s) => s,
        }
    }

    /// The value as a cell would show it: text as is, booleans as `true`/`false`.
    pub fn to_cell(&self) -> String {
        match self {
            ScalarValue::Bool(b) => b.to_string(),
            ScalarValue::Text(s) => s.clone(),
        }
    }
}

macro_rules! scalar_fields {
    ($( $variant:ident => $name:ident : $kind:expr, nested_only = $nested:literal ;)*) => {
        /// A scalar field of a contact (primary or nested: spouse, business, family member).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ScalarField { $($variant,)* }

        impl ScalarField {
            /// Every scalar field, in documentation order.
            pub const ALL: &'static [ScalarField] = &[$(ScalarField::$variant,)*];

            /// The field's name in the API's JSON.
            pub fn name(self) -> &'static str {
                match self { $(ScalarField::$variant => stringify!($name),)* }
            }

            /// How the field's value is checked and encoded.
            pub fn kind(self) -> FieldKind {
                match self { $(ScalarField::$variant => $kind,)* }
            }

            /// Fields documented only on nested contacts (spouse, family), such as `relation`.
            pub fn nested_only(self) -> bool {
                match self { $(ScalarField::$variant => $nested,)* }
            }

            /// The field with this JSON name, if any.
            pub fn from_name(name: &str) -> Option<ScalarField> {
                match name { $(stringify!($name) => Some(ScalarField::$variant),)* _ => None }
            }

            /// Every field's JSON name, in documentation order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];
        }
    };
}

/// The scalar fields of one contact record that are set, in documentation order.
///
/// Only set fields are stored: a contact has some thirty scalar fields but a row fills a
/// handful, and a dry run builds millions of contacts (and their spouses and businesses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scalars {
    values: Vec<(ScalarField, ScalarValue)>,
}

impl Scalars {
    pub fn get(&self, field: ScalarField) -> Option<&ScalarValue> {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }

    /// Sets a field, or clears it with `None`.
    pub fn set(&mut self, field: ScalarField, value: Option<ScalarValue>) {
        let Some(value) = value else {
            if let Ok(at) = self.values.binary_search_by(|(f, _)| f.cmp(&field)) {
                self.values.remove(at);
            }
            return;
        };
        // A mapping sets fields in documentation order, so most values go at the end.
        if self.values.last().is_none_or(|(last, _)| *last < field) {
            self.values.push((field, value));
            return;
        }
        match self.values.binary_search_by(|(f, _)| f.cmp(&field)) {
            Ok(at) => self.values[at].1 = value,
            Err(at) => self.values.insert(at, (field, value)),
        }
    }

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Makes room for `additional` more fields, so filling a record allocates once.
    pub fn reserve(&mut self, additional: usize) {
        self.values.reserve(additional);
    }

    /// The set fields, in documentation order.
    pub fn iter(&self) -> impl Iterator<Item = (ScalarField, &ScalarValue)> {
        self.values.iter().map(|(f, v)| (*f, v))
    }
}

impl Serialize for Scalars {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.values.len()))?;
        for (field, value) in &self.values {
            map.serialize_entry(field.name(), value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Scalars {
    /// Reads the known scalar fields; as a struct, so that under `#[serde(flatten)]` other
    /// keys stay for the record's catch-all map. Numbers read as text (a `dl_number` sent as
    /// a number) and `null` as absent.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarsVisitor;
        impl<'de> serde::de::Visitor<'de> for ScalarsVisitor {
            type Value = Scalars;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a contact's fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Scalars, A::Error> {
                let mut scalars = Scalars::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match ScalarField::from_name(&key) {
                        Some(field) => scalars.set(field, map.next_value::<LenientScalar>()?.0),
                        None => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(scalars)
            }
        }
        deserializer.deserialize_struct("Scalars", ScalarField::NAMES, ScalarsVisitor)
    }
}

/// A scalar as a response may carry it: text, a boolean, a number, or null.
struct LenientScalar(Option<ScalarValue>);

impl<'de> Deserialize<'de> for LenientScalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LenientScalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("text, a boolean, a number or null")
            }
            fn visit_bool<E>(self, b: bool) -> Result<LenientScalar, E> {
                Ok(LenientScalar(Some(ScalarValue::Bool(b))))
            }
            fn visit_str<E>(self, s: &str) -> Result<LenientScalar, E> {
                Ok(LenientScalar(Some(ScalarValue::Text(s.to_string()))))
            }
            fn visit_string<E>(self, s: String) -> Result<LenientScalar, E> {
                Ok(LenientScalar(Some(ScalarValue::Text(s))))
            }
            fn visit_i64<E>(self, n: i64) -> Result<LenientScalar, E> {
                Ok(LenientScalar(Some(ScalarValue::Text(n.to_string()))))
            }
            fn visit_u64<E>(self, n: u64) -> Result<LenientScalar, E> {
                Ok(LenientScalar(Some(ScalarValue::Text(n.to_string()))))
            }
            fn visit_f64<E>(self, n: f64) -> Result<LenientScalar, E> {
                Ok(LenientScalar(Some(ScalarValue::Text(n.to_string()))))
            }
            fn visit_unit<E>(self) -> Result<LenientScalar, E> {
                Ok(LenientScalar(None))
            }
            fn visit_none<E>(self) -> Result<LenientScalar, E> {
                Ok(LenientScalar(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<LenientScalar, D::Error> {
                d.deserialize_any(V)
            }
        }
        deserializer.deserialize_any(V)
    }
}

const GENDERS: &[&str] = &["m", "f"];
const ABCD: &[&str] = &["A", "B", "C", "D"];
const MARITAL_STATUSES: &[&str] = &["married", "single"];

scalar_fields! {
    FirstName => first_name: FieldKind::Text, nested_only = false;
    MiddleName => middle_name: FieldKind::Text, nested_only = false;
    LastName => last_name: FieldKind::Text, nested_only = false;
    IsBusiness => is_business: FieldKind::Bool, nested_only = false;
    Title => title: FieldKind::Text, nested_only = false;
    Division => division: FieldKind::Text, nested_only = false;
    Salutation => salutation: FieldKind::Text, nested_only = false;
    FormalName => formal_name: FieldKind::Text, nested_only = false;
    Nickname => nickname: FieldKind::Text, nested_only = false;
    Timezone => timezone: FieldKind::Text, nested_only = false;
    Gender => gender: FieldKind::Enum(GENDERS), nested_only = false;
    DateOfBirth => date_of_birth: FieldKind::Date, nested_only = false;
    Abcd => abcd: FieldKind::Enum(ABCD), nested_only = false;
    DlNumber => dl_number: FieldKind::Text, nested_only = false;
    DlIssuingState => dl_issuing_state: FieldKind::Text, nested_only = false;
    DlIssueDate => dl_issue_date: FieldKind::Date, nested_only = false;
    DlExpirationDate => dl_expiration_date: FieldKind::Date, nested_only = false;
    EmailOptOut => email_opt_out: FieldKind::Bool, nested_only = false;
    Comments => comments: FieldKind::Text, nested_only = false;
    LeadSource => lead_source: FieldKind::Text, nested_only = false;
    LeadType => lead_type: FieldKind::Text, nested_only = false;
    MaritalStatus => marital_status: FieldKind::Enum(MARITAL_STATUSES), nested_only = false;
    IsPrivate => is_private: FieldKind::Bool, nested_only = false;
    Marketing => marketing: FieldKind::Bool, nested_only = false;
    Ssn => ssn: FieldKind::Text, nested_only = false;
    Website => website: FieldKind::Text, nested_only = false;
    Relation => relation: FieldKind::Text, nested_only = true;
    Country => country: FieldKind::Text, nested_only = true;
    Phone => phone: FieldKind::Text, nested_only = true;
    Fax => fax: FieldKind::Text, nested_only = true;
    ScreenName => screen_name: FieldKind::Text, nested_only = true;
    SkypeId => skype_id: FieldKind::Text, nested_only = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_the_catalog() {
        for &field in ScalarField::ALL {
            assert_eq!(ScalarField::from_name(field.name()), Some(field));
        }
        assert_eq!(ScalarField::from_name("no_such_field"), None);
    }

    #[test]
    fn responses_read_tolerantly_and_unknown_keys_are_left_alone() {
        let s: Scalars = serde_json::from_str(
            r#"{"dl_number": 12345, "middle_name": null, "is_private": false, "zzz": [1]}"#,
        )
        .unwrap();
        assert_eq!(
            s.get(ScalarField::DlNumber),
            Some(&ScalarValue::Text("12345".into()))
        );
        assert_eq!(s.get(ScalarField::MiddleName), None);
        assert_eq!(
            s.get(ScalarField::IsPrivate),
            Some(&ScalarValue::Bool(false))
        );
    }

    #[test]
    fn set_then_get_and_serialize_only_what_is_set() {
        let mut s = Scalars::default();
        assert!(s.is_empty());
        s.set(ScalarField::Nickname, Some(ScalarValue::Text("Bob".into())));
        s.set(ScalarField::IsBusiness, Some(ScalarValue::Bool(true)));
        assert_eq!(
            s.get(ScalarField::IsBusiness),
            Some(&ScalarValue::Bool(true))
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"is_business":true,"nickname":"Bob"}"#);
    }
}
