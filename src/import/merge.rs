//! What an update sends: the row's fields, and each list the row has merged with the
//! contact's current one, because the API replaces a whole list with what it is sent.
//!
//! By default a list keeps the contact's items and gains the row's new ones (a custom field
//! of the same name takes the row's value); `--replace-lists` sends the row's alone. The
//! body carries no ids (the documents warn that ids in requests lead to unexpected results),
//! and fields the row leaves blank are not sent, so they stay as they are.

use crate::schema::{AddressInput, ContactInput, ScalarField};

/// The update body for a contact now holding `current`, and whether it changes any list.
pub fn update_body(
    current: &ContactInput,
    row: &ContactInput,
    replace_lists: bool,
) -> (ContactInput, bool) {
    let mut body = row.clone();
    let mut changed = false;
    let r = replace_lists;
    let text = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let c = current;
    let b = &mut body;
    changed |= merge_list(&c.emails, &mut b.emails, r, |x, y| text(&x.email, &y.email));
    changed |= merge_list(&c.phones, &mut b.phones, r, |x, y| {
        digits(&x.phone) == digits(&y.phone)
    });
    changed |= merge_list(&c.addresses, &mut b.addresses, r, same_address);
    changed |= merge_list(&c.im_services, &mut b.im_services, r, |x, y| {
        text(&x.name, &y.name) && text(&x.im_services_type, &y.im_services_type)
    });
    changed |= merge_list(&c.social_media, &mut b.social_media, r, |x, y| {
        text(&x.name, &y.name) && text(&x.social_media_type, &y.social_media_type)
    });
    changed |= merge_list(&c.categories, &mut b.categories, r, |x, y| {
        text(&x.name, &y.name) && text(&x.value, &y.value)
    });
    changed |= merge_list(&c.interests, &mut b.interests, r, |x, y| {
        text(&x.name, &y.name)
    });
    changed |= merge_list(&c.tags, &mut b.tags, r, |x, y| text(&x.name, &y.name));
    changed |= merge_list(&c.contact_notes, &mut b.contact_notes, r, |x, y| {
        x.note.trim() == y.note.trim()
    });
    if !row.custom_fields.is_empty() {
        // By name: the row's value replaces the contact's (names compare ignoring case).
        let mut fields = if replace_lists {
            Vec::new()
        } else {
            current.custom_fields.clone()
        };
        for field in &row.custom_fields {
            match fields.iter_mut().find(|f| text(&f.name, &field.name)) {
                Some(have) => have.value = field.value.clone(),
                None => fields.push(field.clone()),
            }
        }
        let same_as_now = fields.len() == current.custom_fields.len()
            && fields.iter().all(|f| {
                current
                    .custom_fields
                    .iter()
                    .any(|have| text(&have.name, &f.name) && have.value.trim() == f.value.trim())
            });
        changed |= !same_as_now;
        body.custom_fields = fields;
    }
    (body, changed)
}

/// Merges (or, replacing, keeps) the row's list; whether the contact's list changes.
/// A list the row lacks is not sent, so it stays as it is.
fn merge_list<T: Clone>(
    current: &[T],
    row: &mut Vec<T>,
    replace: bool,
    same: impl Fn(&T, &T) -> bool,
) -> bool {
    if row.is_empty() {
        return false;
    }
    let is_new = |item: &T| !current.iter().any(|have| same(have, item));
    if replace {
        let gone = current
            .iter()
            .any(|have| !row.iter().any(|item| same(have, item)));
        return gone || row.iter().any(is_new);
    }
    let added: Vec<T> = row.iter().filter(|item| is_new(item)).cloned().collect();
    let changed = !added.is_empty();
    *row = current.iter().cloned().chain(added).collect();
    changed
}

fn same_address(a: &AddressInput, b: &AddressInput) -> bool {
    let part = |p: &Option<String>| {
        p.as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_lowercase()
    };
    a.is_office == b.is_office
        && [
            (&a.address, &b.address),
            (&a.address2, &b.address2),
            (&a.address3, &b.address3),
            (&a.city, &b.city),
            (&a.state, &b.state),
            (&a.country, &b.country),
            (&a.postal_code, &b.postal_code),
        ]
        .iter()
        .all(|(x, y)| part(x) == part(y))
}

/// True when sending `body` (with `lists_changed` from [`update_body`]) would leave the
/// contact as `current` is.
/// `--blank clear`: each field the mapping fills that the row left blank is sent blank,
/// which the API takes as "clear it", where the contact has a value. Yes/no fields are left:
/// a blank is not a no.
pub fn clear_blanks(current: &ContactInput, body: &mut ContactInput, mapped: &[ScalarField]) {
    for &field in mapped {
        if field.kind() == crate::schema::FieldKind::Bool {
            continue;
        }
        if body.scalars.get(field).is_none() && current.scalars.get(field).is_some() {
            body.scalars
                .set(field, Some(crate::schema::ScalarValue::Text(String::new())));
        }
    }
}

pub fn changes_nothing(current: &ContactInput, body: &ContactInput, lists_changed: bool) -> bool {
    let scalars_same = ScalarField::ALL
        .iter()
        .all(|&field| match body.scalars.get(field) {
            None => true,
            // Exact: a correction of case alone is a change worth sending.
            Some(value) => current
                .scalars
                .get(field)
                .is_some_and(|have| have.to_cell().trim() == value.to_cell().trim()),
        });
    scalars_same
        && !lists_changed
        && (body.family.is_empty() || body.family == current.family)
        && (body.spouse.is_none() || body.spouse == current.spouse)
        && (body.business.is_none() || body.business == current.business)
        && body.assigned_to.as_ref().is_none_or(|user| {
            let email =
                |u: &crate::schema::UserRef| u.email.clone().unwrap_or_default().to_lowercase();
            current
                .assigned_to
                .as_ref()
                .is_some_and(|have| email(have) == email(user))
        })
        && body.contact_type.as_ref().is_none_or(|kind| {
            current
                .contact_type
                .as_ref()
                .is_some_and(|have| have.name.eq_ignore_ascii_case(&kind.name))
        })
}

fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{CustomFieldInput, EmailInput, NamedRef, PhoneInput, ScalarValue};

    fn contact(emails: &[&str], tags: &[&str]) -> ContactInput {
        ContactInput {
            emails: emails
                .iter()
                .map(|e| EmailInput {
                    email: e.to_string(),
                    is_office: false,
                })
                .collect(),
            tags: tags
                .iter()
                .map(|t| NamedRef {
                    name: t.to_string(),
                })
                .collect(),
            ..ContactInput::default()
        }
    }

    fn phone(number: &str) -> PhoneInput {
        PhoneInput {
            phone: number.into(),
            phone_type: None,
            is_office: false,
        }
    }

    #[test]
    fn lists_gain_the_rows_new_items_unless_replaced() {
        let mut current = contact(&["a@x.io", "b@x.io"], &["vip"]);
        current.phones.push(phone("(404) 555-0100"));
        current.custom_fields.push(CustomFieldInput {
            name: "Legacy".into(),
            value: "1".into(),
        });
        let mut row = contact(&["B@x.io", "c@x.io"], &[]);
        row.phones.push(phone("404 555 0100"));
        row.custom_fields.push(CustomFieldInput {
            name: "legacy".into(),
            value: "2".into(),
        });
        let (body, changed) = update_body(&current, &row, false);
        assert!(changed);
        let emails: Vec<&str> = body.emails.iter().map(|e| e.email.as_str()).collect();
        assert_eq!(emails, ["a@x.io", "b@x.io", "c@x.io"]);
        assert_eq!(body.phones.len(), 1, "the same number, written differently");
        assert!(
            body.tags.is_empty(),
            "a list the row lacks is not sent, so it stays"
        );
        assert_eq!(body.custom_fields[0].value, "2");
        assert!(!changes_nothing(&current, &body, changed));

        let (replaced, changed) = update_body(&current, &row, true);
        assert_eq!(replaced.emails.len(), 2);
        assert!(changed, "a@x.io would go");
    }

    #[test]
    fn an_update_that_would_change_nothing_is_seen() {
        let mut current = contact(&["a@x.io"], &["vip"]);
        current.scalars.set(
            ScalarField::FirstName,
            Some(ScalarValue::Text("Ada".into())),
        );
        let mut row = contact(&["A@x.io"], &["VIP"]);
        row.scalars.set(
            ScalarField::FirstName,
            Some(ScalarValue::Text("Ada".into())),
        );
        let (body, changed) = update_body(&current, &row, false);
        assert!(
            changes_nothing(&current, &body, changed),
            "emails and tags compare ignoring case"
        );
        row.scalars.set(
            ScalarField::FirstName,
            Some(ScalarValue::Text("ADA".into())),
        );
        let (body, changed) = update_body(&current, &row, false);
        assert!(
            !changes_nothing(&current, &body, changed),
            "case alone is a change"
        );
        row.scalars.set(
            ScalarField::FirstName,
            Some(ScalarValue::Text("Ada".into())),
        );
        row.scalars.set(
            ScalarField::LastName,
            Some(ScalarValue::Text("Lovelace".into())),
        );
        let (body, changed) = update_body(&current, &row, false);
        assert!(!changes_nothing(&current, &body, changed));
    }
}
