//! The BigContacts data model: typed serde records for what the API takes and returns.
//!
//! Two shapes exist for a contact, as the documentation describes them:
//! - [`ContactInput`]: the body of a create or update (`is_office` flags on phones, emails and
//!   addresses; `im_services_type` as a name; custom fields as `{name, value}`);
//! - [`Contact`]: what the API returns (`office_*` arrays, `im_service_type` objects, custom
//!   fields nesting their definition under `custom_field`).
//!
//! [`Contact::to_input`] folds a response back into the input shape, so the mapping has one
//! shape to run forward and in reverse. Every response record keeps fields it does not know in
//! `extra`, so nothing a newer server sends is lost on the way through.
//!
//! This module depends on nothing else in the crate.

mod activity;
mod contact;
mod fields;
pub(crate) mod lenient;
mod task;
mod user;

pub use activity::{Activity, ActivityInput, ActivityType};
pub use contact::{
    contact_address_part, AddressInput, CategoryInput, Contact, ContactInput, ContactNoteInput,
    CustomFieldInput, CustomFieldValue, EmailInput, ImServiceInput, NamedRef, PhoneInput,
    SocialMediaInput, UserRef, ADDRESS_PARTS,
};
pub use fields::{FieldKind, ScalarField, ScalarValue, Scalars};
pub use lenient::{date_part, parse_timestamp, truthy, truthy_text};
pub use task::{people, Task, TaskEvent, TaskInput};
pub use user::User;

/// Phone types the API accepts: work, home, mobile, other, fax, pager.
pub const PHONE_TYPES: &[&str] = &["W", "H", "M", "O", "F", "P"];
/// Instant messaging services the API accepts.
pub const IM_SERVICE_TYPES: &[&str] = &["AIM", "AOL", "Gtalk", "Skype", "Yahoo"];
/// Social media services the API accepts.
pub const SOCIAL_MEDIA_TYPES: &[&str] = &[
    "Facebook", "LinkedIn", "Twitter", "YouTube", "flickr", "vimeo",
];
