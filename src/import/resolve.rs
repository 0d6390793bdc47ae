//! Finding out whether a create whose answer was lost was applied, by looking the contact
//! up, before anything is sent again.
//!
//! A contact is the row's when it has the row's email (exactly, ignoring case, among all its
//! emails), the row's first and last name, was created no earlier than the row's request
//! (by the server's clock, with a few seconds' slack for its one-second timestamps), and no
//! other row of the import claims it. So a contact that existed before the row was sent is
//! never adopted, nor one another row created (two rows may share an email on purpose).

use serde_json::Value;

use super::journal::{Journal, Pending};
use crate::api::{ApiError, Client, ContactQuery};
use crate::clock::Clock;
use crate::schema::{parse_timestamp, Contact, ScalarField, ScalarValue};

/// Slack on "created no earlier than the request": timestamps have one-second resolution,
/// and the server's clock is known to about a second.
pub(super) const CLOCK_SLACK_SECS: i64 = 3;

/// Slack when the server's clock is not known (it sent no `Date` header yet).
pub(super) const UNKNOWN_CLOCK_SLACK_SECS: i64 = 600;

/// The id of the contact a lost create made, if it made one.
pub fn find_created<C: Clock>(
    client: &Client<C>,
    journal: &Journal,
    pending: &Pending,
) -> Result<Option<i64>, ResolveError> {
    let body: Value = serde_json::from_str(&pending.body).unwrap_or(Value::Null);
    let name = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .map(|s| s.trim().to_lowercase())
            .unwrap_or_default()
    };
    let (first, last) = (name("first_name"), name("last_name"));
    let earliest = match pending.server_offset {
        Some(offset) => pending.sent_at + offset - CLOCK_SLACK_SECS,
        None => pending.sent_at - UNKNOWN_CLOCK_SLACK_SECS,
    };
    let query = ContactQuery {
        search: Some(pending.key.clone()),
        results: Some(100),
        ..ContactQuery::default()
    };
    let mut found: Option<i64> = None;
    for page in client.all_contacts(&query) {
        for contact in page?.items {
            let Some(id) = contact.id else { continue };
            let is_candidate = has_email(&contact, &pending.key)
                && scalar(&contact, ScalarField::FirstName) == first
                && scalar(&contact, ScalarField::LastName) == last
                && created_at(&contact).is_some_and(|at| at >= earliest);
            if is_candidate
                && found.is_none_or(|f| id < f)
                && !journal.is_claimed(id).map_err(ResolveError::Journal)?
            {
                found = Some(id);
            }
        }
    }
    Ok(found)
}

/// Why a lookup could not say.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Journal(anyhow::Error),
}

fn has_email(contact: &Contact, email: &str) -> bool {
    contact
        .emails
        .iter()
        .chain(&contact.office_emails)
        .any(|e| e.email.trim().eq_ignore_ascii_case(email))
}

fn scalar(contact: &Contact, field: ScalarField) -> String {
    match contact.scalars.get(field) {
        Some(ScalarValue::Text(t)) => t.trim().to_lowercase(),
        _ => String::new(),
    }
}

/// The contact's creation time in Unix seconds, whatever offset the server wrote.
fn created_at(contact: &Contact) -> Option<i64> {
    parse_timestamp(contact.created.as_deref()?).map(|at| at.timestamp())
}
