//! Contacts in the two shapes the API uses: input (create/update) and response.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fields::{FieldKind, ScalarField, ScalarValue, Scalars};
use super::lenient::{self, FromText};

/// The body of a contact create or update.
///
/// Lists left empty are not sent, so an update touches only what the mapping fills.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactInput {
    /// The contact's id, as a mapping's `id` column names it or a response gave it. Never
    /// sent: the documentation warns that ids in request bodies lead to unexpected results.
    #[serde(skip)]
    pub id: Option<i64>,
    #[serde(flatten)]
    pub scalars: Scalars,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<EmailInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<PhoneInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<AddressInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub im_services: Vec<ImServiceInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub social_media: Vec<SocialMediaInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<CategoryInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interests: Vec<NamedRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<NamedRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_notes: Vec<ContactNoteInput>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub family: Vec<ContactInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse: Option<Box<ContactInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<Box<ContactInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_type: Option<NamedRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmailInput {
    pub email: String,
    #[serde(
        default,
        deserialize_with = "lenient::flag",
        serialize_with = "lenient::flag_as_int",
        skip_serializing_if = "lenient::is_false"
    )]
    pub is_office: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhoneInput {
    pub phone: String,
    /// W work, H home, M mobile, O other, F fax, P pager.
    /// Borrowed when a mapping fills it: the codes are constants, and this saves an
    /// allocation per phone on the hot path.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<Cow<'static, str>>,
    #[serde(
        default,
        deserialize_with = "lenient::flag",
        serialize_with = "lenient::flag_as_int",
        skip_serializing_if = "lenient::is_false"
    )]
    pub is_office: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::flag",
        serialize_with = "lenient::flag_as_int",
        skip_serializing_if = "lenient::is_false"
    )]
    pub is_office: bool,
}

/// The parts of an address, by their JSON names, for mappings that address them by name.
pub const ADDRESS_PARTS: &[&str] = &[
    "address",
    "address2",
    "address3",
    "city",
    "state",
    "country",
    "postal_code",
];

impl AddressInput {
    pub fn part(&self, name: &str) -> Option<&Option<String>> {
        Some(match name {
            "address" => &self.address,
            "address2" => &self.address2,
            "address3" => &self.address3,
            "city" => &self.city,
            "state" => &self.state,
            "country" => &self.country,
            "postal_code" => &self.postal_code,
            _ => return None,
        })
    }

    pub fn part_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "address" => &mut self.address,
            "address2" => &mut self.address2,
            "address3" => &mut self.address3,
            "city" => &mut self.city,
            "state" => &mut self.state,
            "country" => &mut self.country,
            "postal_code" => &mut self.postal_code,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImServiceInput {
    /// AIM, AOL, Gtalk, Skype or Yahoo. Input names it `im_services_type`.
    pub im_services_type: Cow<'static, str>,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialMediaInput {
    /// Facebook, LinkedIn, Twitter, YouTube, flickr or vimeo.
    pub social_media_type: Cow<'static, str>,
    pub name: String,
}

/// A custom field value by the field's name; an unknown name creates the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldInput {
    pub name: String,
    pub value: String,
}

/// A category value; unknown names or values are silently ignored by the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryInput {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactNoteInput {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub note: String,
}

/// A reference by name: interests, tags, contact type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedRef {
    pub name: String,
}

/// A user reference: the server looks for `id` first, then `email`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A contact as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(flatten)]
    pub scalars: Scalars,
    #[serde(default, deserialize_with = "lenient::list")]
    pub phones: Vec<Phone>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub office_phones: Vec<Phone>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub emails: Vec<Email>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub office_emails: Vec<Email>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub addresses: Vec<Address>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub office_addresses: Vec<Address>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub im_services: Vec<ImService>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub social_media: Vec<SocialMedia>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub custom_fields: Vec<CustomFieldValue>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub categories: Vec<Category>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub interests: Vec<Named>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub tags: Vec<Named>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub groups: Vec<Named>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub contact_notes: Vec<ContactNoteInput>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub family: Vec<Contact>,
    #[serde(default)]
    pub spouse: Option<Box<Contact>>,
    #[serde(default)]
    pub business: Option<Box<Contact>>,
    #[serde(default)]
    pub assigned_to: Option<super::User>,
    #[serde(default)]
    pub contact_type: Option<Named>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Fields this version does not know, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(rename = "type", default)]
    pub phone_type: Option<String>,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(flatten)]
    pub parts: AddressInput,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImService {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub im_service_type: Option<Named>,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialMedia {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    /// Responses may name the type as text or as an object with a name.
    #[serde(default)]
    pub social_media_type: Option<Value>,
    #[serde(default)]
    pub name: String,
}

/// A custom field's value, with the field's definition nested under `custom_field`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub custom_field: Named,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

/// Something with an id and a name (interest, tag, group, contact type, field definition).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Named {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FromText for Email {
    fn from_text(text: String) -> Option<Self> {
        Some(Email {
            id: None,
            email: text,
        })
    }
}
impl FromText for Phone {
    fn from_text(text: String) -> Option<Self> {
        Some(Phone {
            phone: text,
            ..Phone::default()
        })
    }
}
impl FromText for Named {
    fn from_text(text: String) -> Option<Self> {
        Some(Named {
            name: text,
            ..Named::default()
        })
    }
}
impl FromText for Contact {
    fn from_text(_: String) -> Option<Self> {
        None
    }
}
macro_rules! no_text_form {
    ($($t:ty),*) => { $(impl FromText for $t { fn from_text(_: String) -> Option<Self> { None } })* };
}
no_text_form!(
    Address,
    ImService,
    SocialMedia,
    CustomFieldValue,
    Category,
    ContactNoteInput
);

impl Contact {
    /// The same contact in the input shape, as a mapping reads it in reverse.
    ///
    /// `office_*` lists come back as entries flagged `is_office`; dates keep their calendar
    /// day whatever offset the server wrote after them.
    pub fn to_input(&self) -> ContactInput {
        let mut scalars = self.scalars.clone();
        for &field in ScalarField::ALL {
            let normalized = match (field.kind(), scalars.get(field)) {
                (FieldKind::Date, Some(ScalarValue::Text(text))) => lenient::date_part(text)
                    .map(|day| ScalarValue::Text(day.to_string()))
                    .or_else(|| Some(ScalarValue::Text(text.clone()))),
                (FieldKind::Bool, Some(ScalarValue::Text(text))) => {
                    Some(ScalarValue::Bool(lenient::truthy_text(text)))
                }
                (_, value) => value.cloned(),
            };
            scalars.set(field, normalized);
        }
        let flagged = |is_office: bool| {
            move |e: &Email| EmailInput {
                email: e.email.clone(),
                is_office,
            }
        };
        let phone = |is_office: bool| {
            move |p: &Phone| PhoneInput {
                phone: p.phone.clone(),
                phone_type: p.phone_type.clone().map(Cow::Owned),
                is_office,
            }
        };
        let address = |is_office: bool| {
            move |a: &Address| AddressInput {
                is_office,
                ..a.parts.clone()
            }
        };
        let names = |list: &[Named]| -> Vec<NamedRef> {
            list.iter()
                .map(|n| NamedRef {
                    name: n.name.clone(),
                })
                .collect()
        };
        ContactInput {
            id: self.id,
            scalars,
            emails: self
                .emails
                .iter()
                .map(flagged(false))
                .chain(self.office_emails.iter().map(flagged(true)))
                .collect(),
            phones: self
                .phones
                .iter()
                .map(phone(false))
                .chain(self.office_phones.iter().map(phone(true)))
                .collect(),
            addresses: self
                .addresses
                .iter()
                .map(address(false))
                .chain(self.office_addresses.iter().map(address(true)))
                .collect(),
            im_services: self
                .im_services
                .iter()
                .map(|im| ImServiceInput {
                    im_services_type: im
                        .im_service_type
                        .as_ref()
                        .map(|t| Cow::Owned(t.name.clone()))
                        .unwrap_or_default(),
                    name: im.name.clone(),
                })
                .collect(),
            social_media: self
                .social_media
                .iter()
                .map(|sm| SocialMediaInput {
                    social_media_type: match &sm.social_media_type {
                        Some(Value::String(s)) => Cow::Owned(s.clone()),
                        Some(Value::Object(o)) => Cow::Owned(
                            o.get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                        ),
                        _ => Cow::Borrowed(""),
                    },
                    name: sm.name.clone(),
                })
                .collect(),
            custom_fields: self
                .custom_fields
                .iter()
                .map(|cf| CustomFieldInput {
                    name: cf.custom_field.name.clone(),
                    value: cf.value.clone(),
                })
                .collect(),
            categories: self
                .categories
                .iter()
                .map(|c| CategoryInput {
                    name: c.name.clone().unwrap_or_default(),
                    value: c.value.clone().unwrap_or_default(),
                })
                .collect(),
            interests: names(&self.interests),
            tags: names(&self.tags),
            contact_notes: self.contact_notes.clone(),
            family: self.family.iter().map(Contact::to_input).collect(),
            spouse: self.spouse.as_ref().map(|s| Box::new(s.to_input())),
            business: self.business.as_ref().map(|b| Box::new(b.to_input())),
            assigned_to: self.assigned_to.as_ref().map(|u| UserRef {
                id: Some(u.id),
                email: Some(u.email.clone()),
            }),
            contact_type: self.contact_type.as_ref().map(|t| NamedRef {
                name: t.name.clone(),
            }),
        }
    }
}

/// The static name of an address part, if `name` is one.
pub fn contact_address_part(name: &str) -> Option<&'static str> {
    ADDRESS_PARTS.iter().find(|p| **p == name).copied()
}
