//! The scalar (single-valued) fields of a contact, as one catalog.
//!
//! The mapping, the validator and the sandbox all need to name a scalar field, know its kind
//! and read or write it on a record. One macro generates the field enum, the serde struct and
//! the accessors from a single list, so adding a field is one line.

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
        }

        /// The scalar fields of one contact record, each absent unless set.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Scalars {
            $(
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<ScalarValue>,
            )*
        }

        impl Scalars {
            pub fn get(&self, field: ScalarField) -> Option<&ScalarValue> {
                match field { $(ScalarField::$variant => self.$name.as_ref(),)* }
            }

            pub fn set(&mut self, field: ScalarField, value: Option<ScalarValue>) {
                match field { $(ScalarField::$variant => self.$name = value,)* }
            }

            /// True when no field is set.
            pub fn is_empty(&self) -> bool {
                true $(&& self.$name.is_none())*
            }
        }
    };
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
    fn set_then_get_and_serialize_only_what_is_set() {
        let mut s = Scalars::default();
        assert!(s.is_empty());
        s.set(ScalarField::IsBusiness, Some(ScalarValue::Bool(true)));
        s.set(ScalarField::Nickname, Some(ScalarValue::Text("Bob".into())));
        assert_eq!(
            s.get(ScalarField::IsBusiness),
            Some(&ScalarValue::Bool(true))
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"is_business":true,"nickname":"Bob"}"#);
    }
}
