//! Finding the contact a row names: in the index of the account (one pass over every
//! contact, a request per page) or by asking the server for each row (`q=` then an exact
//! match on the email, since `q` is a substring search; or a read by id). The index costs
//! pages, the per-row way costs rows; [`Lookup::choose`] picks the cheaper.

use anyhow::Result;

use super::journal::Journal;
use super::MatchKey;
use crate::api::{ApiError, Client, ContactQuery};
use crate::clock::Clock;

/// Where rows' contacts are looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Every contact of the account read once into the journal's index.
    Index,
    /// One query per row.
    PerRow,
}

/// Contacts a listing page holds when asked for the most (what the index reads per request).
pub const INDEX_PAGE: u64 = 1000;

impl Lookup {
    /// The cheaper way for `rows` rows against an account of `contacts` contacts: the index
    /// costs a request per page of [`INDEX_PAGE`], the per-row way at least one per row.
    /// A custom field key can only use the index (`q` does not search custom fields).
    pub fn choose(key: &MatchKey, rows: u64, contacts: u64) -> Lookup {
        if matches!(key, MatchKey::Custom(_)) {
            return Lookup::Index;
        }
        let pages = contacts.div_ceil(INDEX_PAGE).max(1);
        if pages <= rows {
            Lookup::Index
        } else {
            Lookup::PerRow
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Lookup::Index => "index",
            Lookup::PerRow => "per-row",
        }
    }
}

/// What a row's key is, ready to look up.
pub enum Key<'a> {
    Email(&'a str),
    Id(i64),
    /// A custom field's index key (see `MatchKey::custom`).
    Custom(&'a str),
}

/// Looks contacts up one way or the other; each answer is (id, record as JSON of its input
/// shape), at most `limit` of them.
pub struct Finder<'a, C: Clock> {
    pub journal: &'a Journal,
    pub client: &'a Client<C>,
    pub lookup: Lookup,
}

impl<C: Clock> Finder<'_, C> {
    pub fn find(&self, key: &Key, limit: usize) -> Result<Vec<(i64, String)>> {
        if self.lookup == Lookup::Index {
            let index_key = match key {
                Key::Email(email) => email.to_string(),
                Key::Id(id) => format!("id:{id}"),
                Key::Custom(k) => k.to_string(),
            };
            return self.journal.index_lookup(&index_key, limit);
        }
        let doc = |c: &crate::schema::Contact| serde_json::to_string(&c.to_input());
        match key {
            Key::Id(id) => match self.client.contact(*id) {
                Ok(contact) => Ok(vec![(*id, doc(&contact)?)]),
                Err(ApiError::NotFound { .. }) => Ok(Vec::new()),
                Err(e) => Err(e.into()),
            },
            Key::Email(email) => {
                let query = ContactQuery {
                    results: Some(INDEX_PAGE as u32),
                    search: Some(email.to_string()),
                    ..ContactQuery::default()
                };
                let mut found = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for page in self.client.all_contacts(&query) {
                    for contact in page?.items {
                        let Some(id) = contact.id else { continue };
                        let exact = contact
                            .emails
                            .iter()
                            .chain(&contact.office_emails)
                            .any(|e| e.email.trim().eq_ignore_ascii_case(email.trim()));
                        if exact && seen.insert(id) {
                            found.push((id, doc(&contact)?));
                        }
                    }
                    if found.len() >= limit {
                        break;
                    }
                }
                found.sort_by_key(|(id, _)| *id);
                found.truncate(limit);
                Ok(found)
            }
            Key::Custom(_) => anyhow::bail!(
                "a custom field key is found through the index only (the API's search does not look in custom fields)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cheaper_way_is_chosen() {
        // 100,000 contacts: 100 pages. 10,000 rows cost more one by one.
        assert_eq!(
            Lookup::choose(&MatchKey::Email, 10_000, 100_000),
            Lookup::Index
        );
        // 20 rows into 100,000 contacts: 20 queries beat 100 pages.
        assert_eq!(Lookup::choose(&MatchKey::Id, 20, 100_000), Lookup::PerRow);
        assert_eq!(
            Lookup::choose(&MatchKey::Custom("Legacy ID".into()), 20, 100_000),
            Lookup::Index
        );
    }
}
