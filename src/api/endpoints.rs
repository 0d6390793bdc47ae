//! The typed calls: one method per documented endpoint, and one way to page a listing.

use std::cell::Cell;

use bytes::Bytes;
use reqwest::Method;
use serde::de::value::MapAccessDeserializer;
use serde::de::{
    DeserializeOwned, DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::client::Client;
use super::envelope::{Envelope, Payload};
use super::error::ApiError;
use super::transport::Body;
use crate::clock::Clock;
use crate::schema::{
    Activity, ActivityInput, Contact, ContactInput, Task, TaskEvent, TaskInput, User,
};

/// A page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    /// Records matching the query, when the server said.
    pub total: Option<u64>,
}

/// Conditions of a contact listing: `page`, `results`, the `created*`/`updated*` filters, `q`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactQuery {
    pub page: u64,
    pub results: Option<u32>,
    /// Such as (`updated_gte`, `2024-01-01 00:00:00`).
    pub filters: Vec<(String, String)>,
    pub search: Option<String>,
}

impl ContactQuery {
    /// The query parameters, `page` aside.
    fn params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if let Some(r) = self.results {
            params.push(("results".to_string(), r.to_string()));
        }
        params.extend(self.filters.iter().cloned());
        if let Some(q) = &self.search {
            params.push(("q".to_string(), q.clone()));
        }
        params
    }
}

/// Every page of a listing, from the first, until a page comes back empty.
///
/// Paging stops on an empty page, never on a count: a server may cap `results` silently,
/// and `totalcount` moves while records are added or deleted. An error ends the pages
/// after it is yielded.
pub struct Pages<'c, T, C: Clock> {
    client: &'c Client<C>,
    path: String,
    params: Vec<(String, String)>,
    next: Option<u64>,
    _records: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned, C: Clock> Iterator for Pages<'_, T, C> {
    type Item = Result<Page<T>, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        let number = self.next?;
        let page = self.client.page(&self.path, &self.params, number);
        self.next = match &page {
            Ok(page) if !page.items.is_empty() => Some(number + 1),
            _ => None,
        };
        match page {
            Ok(page) if page.items.is_empty() => None,
            other => Some(other),
        }
    }
}

impl<C: Clock> Client<C> {
    /// One page of any listing at `path`, with its other query parameters.
    pub fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(String, String)],
        page: u64,
    ) -> Result<Page<T>, ApiError> {
        let page = page.max(1);
        let mut query: Vec<(&str, String)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        query.push(("page", page.to_string()));
        let e = self.get(path, &query)?;
        let (number, total) = (e.page.unwrap_or(page), e.total);
        Ok(Page {
            items: owned_records(e, &format!("GET {path}"))?,
            page: number,
            total,
        })
    }

    /// Every page of any listing at `path`.
    pub fn pages<T: DeserializeOwned>(
        &self,
        path: impl Into<String>,
        params: Vec<(String, String)>,
    ) -> Pages<'_, T, C> {
        Pages {
            client: self,
            path: path.into(),
            params,
            next: Some(1),
            _records: std::marker::PhantomData,
        }
    }

    fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Envelope, ApiError> {
        self.call(Method::GET, path, query, &Body::None, true)
    }

    fn get_one<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        record(self.get(path, &[])?, &format!("GET {path}"))
    }

    fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.call::<IgnoredAny>(Method::DELETE, path, &[], &Body::None, true)
            .map(|_| ())
    }

    /// Sends a body and reads back the one record the answer holds.
    fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Body,
        idempotent: bool,
    ) -> Result<T, ApiError> {
        let e = self.call(method.clone(), path, &[], &body, idempotent)?;
        record(e, &format!("{method} {path}"))
    }

    /// The users of the account, and the id of the one calling.
    pub fn users(&self) -> Result<(Vec<User>, Option<i64>), ApiError> {
        let path = "/api/users.json";
        let e = self.get(path, &[])?;
        let current = e.current_user_id;
        Ok((owned_records(e, &format!("GET {path}"))?, current))
    }

    pub fn contacts(&self, query: &ContactQuery) -> Result<Page<Contact>, ApiError> {
        self.page("/api/contacts.json", &query.params(), query.page)
    }

    /// A page of contacts as the server sent them, every field kept (for exports that must
    /// lose nothing, JSON lines).
    pub fn contacts_raw(&self, query: &ContactQuery) -> Result<Page<Value>, ApiError> {
        self.page("/api/contacts.json", &query.params(), query.page)
    }

    /// Every page of contacts matching `query` (its `page` is ignored).
    pub fn all_contacts(&self, query: &ContactQuery) -> Pages<'_, Contact, C> {
        self.pages("/api/contacts.json", query.params())
    }

    pub fn contact(&self, id: i64) -> Result<Contact, ApiError> {
        self.get_one(&format!("/api/contact/{id}.json"))
    }

    /// Creates a contact. Never retried after an unanswered send: see
    /// [`ApiError::may_have_been_applied`].
    pub fn create_contact(&self, contact: &ContactInput) -> Result<Contact, ApiError> {
        self.send(Method::POST, "/api/contacts.json", json(contact), false)
    }

    /// Creates a contact from its body as JSON text (an import sends the text its journal
    /// keeps) and reads only the new contact's id from the answer: all a writer needs, and
    /// a fraction of reading the whole contact back. Never retried after an unanswered
    /// send, like [`Client::create_contact`].
    pub fn create_contact_json(&self, body: &str) -> Result<i64, ApiError> {
        let e: Envelope<CreatedId> = self.call(
            Method::POST,
            "/api/contacts.json",
            &[],
            &Body::Json(Bytes::copy_from_slice(body.as_bytes())),
            false,
        )?;
        e.into_payload()
            .and_then(|created| created.0)
            .ok_or_else(|| ApiError::Protocol {
                call: "POST /api/contacts.json".to_string(),
                message: "the server created a contact without giving its id".into(),
            })
    }

    /// Updates a contact with a partial body: absent fields stay, blank ones clear, lists
    /// replace.
    pub fn update_contact(&self, id: i64, changes: &Value) -> Result<Contact, ApiError> {
        let path = format!("/api/contact/{id}.json");
        self.send(
            Method::PUT,
            &path,
            Body::Json(changes.to_string().into()),
            true,
        )
    }

    /// Updates a contact with a partial body given as JSON text; the answer is checked for
    /// success and not read further.
    pub fn update_contact_json(&self, id: i64, changes: &str) -> Result<(), ApiError> {
        let path = format!("/api/contact/{id}.json");
        self.call::<IgnoredAny>(
            Method::PUT,
            &path,
            &[],
            &Body::Json(Bytes::copy_from_slice(changes.as_bytes())),
            true,
        )
        .map(|_| ())
    }

    pub fn delete_contact(&self, id: i64) -> Result<(), ApiError> {
        self.delete(&format!("/api/contact/{id}.json"))
    }

    pub fn activities(&self, contact: i64, page: u64) -> Result<Page<Activity>, ApiError> {
        self.page(&format!("/api/contact/{contact}/activity.json"), &[], page)
    }

    pub fn activity(&self, contact: i64, id: i64) -> Result<Activity, ApiError> {
        self.get_one(&format!("/api/contact/{contact}/activity/{id}.json"))
    }

    /// Creates an activity with the guide's form fields.
    pub fn create_activity(
        &self,
        contact: i64,
        activity: &ActivityInput,
    ) -> Result<Activity, ApiError> {
        let path = format!("/api/contact/{contact}/activity.json");
        self.send(
            Method::POST,
            &path,
            Body::Form(activity.form_fields()),
            false,
        )
    }

    /// Creates an activity with a JSON body, as the newer summary shows (for a server that
    /// does not read the guide's form fields).
    pub fn create_activity_json(
        &self,
        contact: i64,
        activity: &ActivityInput,
    ) -> Result<Activity, ApiError> {
        let path = format!("/api/contact/{contact}/activity.json");
        self.send(Method::POST, &path, json(activity), false)
    }

    pub fn update_activity(
        &self,
        contact: i64,
        id: i64,
        activity: &ActivityInput,
    ) -> Result<Activity, ApiError> {
        let path = format!("/api/contact/{contact}/activity/{id}.json");
        self.send(Method::PUT, &path, Body::Form(activity.form_fields()), true)
    }

    pub fn delete_activity(&self, contact: i64, id: i64) -> Result<(), ApiError> {
        self.delete(&format!("/api/contact/{contact}/activity/{id}.json"))
    }

    pub fn tasks(&self, event: TaskEvent, page: u64) -> Result<Page<Task>, ApiError> {
        let params = [("event".to_string(), event.as_param().to_string())];
        self.page("/api/tasks.json", &params, page)
    }

    pub fn task(&self, id: i64) -> Result<Task, ApiError> {
        self.get_one(&format!("/api/task/{id}.json"))
    }

    pub fn create_task(&self, task: &TaskInput) -> Result<Task, ApiError> {
        self.send(Method::POST, "/api/tasks.json", json(task), false)
    }

    pub fn update_task(&self, id: i64, task: &TaskInput) -> Result<Task, ApiError> {
        self.send(
            Method::PUT,
            &format!("/api/task/{id}.json"),
            json(task),
            true,
        )
    }

    pub fn delete_task(&self, id: i64) -> Result<(), ApiError> {
        self.delete(&format!("/api/task/{id}.json"))
    }
}

/// The records of a listing, moved out of the envelope.
fn owned_records<T: DeserializeOwned>(e: Envelope, call: &str) -> Result<Vec<T>, ApiError> {
    e.records().map_err(|err| ApiError::Protocol {
        call: call.to_string(),
        message: format!("a record could not be read: {err}"),
    })
}

/// The id of the record a create's answer holds, read in the envelope's own pass: the rest
/// of the record is skipped, not kept. The payload may be the record, a list holding it,
/// or empty.
struct CreatedId(Option<i64>);

impl<'de> Deserialize<'de> for CreatedId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Created {
            #[serde(default, deserialize_with = "crate::schema::lenient::id")]
            id: Option<i64>,
        }
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = CreatedId;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the created record, or a list holding it")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CreatedId, A::Error> {
                let created = Created::deserialize(MapAccessDeserializer::new(map))?;
                Ok(CreatedId(created.id))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CreatedId, A::Error> {
                let first: Option<Created> = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(CreatedId(first.and_then(|c| c.id)))
            }
            fn visit_unit<E>(self) -> Result<CreatedId, E> {
                Ok(CreatedId(None))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

impl Payload for CreatedId {
    /// A create's answer holds the whole new record (1.2 KB for the bench's contact) and
    /// the writer needs only its id. When the envelope says `success` before its payload,
    /// and the payload is an object with an `id`, nothing after the id is read; any other
    /// layout is read whole. So a member named twice counts as its first here, where the
    /// whole reading takes its last (JSON leaves it open: a server that follows the guide
    /// names none twice).
    fn read_early(body: &[u8]) -> Option<Envelope<CreatedId>> {
        let id = Cell::new(None);
        // Always ends in an error: the id read, the reading stops there (see `IdThenStop`).
        let _ = serde_json::Deserializer::from_slice(body).deserialize_map(SuccessThenId(&id));
        id.get().map(|id| Envelope::success(CreatedId(Some(id))))
    }
}

/// Reads an envelope's members up to its payload, which it reads with [`IdThenStop`] once
/// the status said `success`; anything else gives up.
struct SuccessThenId<'a>(&'a Cell<Option<i64>>);

impl<'de> Visitor<'de> for SuccessThenId<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an envelope saying success before its payload")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut success = false;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "status" | "result" if !success => {
                    let state: &str = map.next_value()?;
                    if !state.eq_ignore_ascii_case("success") {
                        break;
                    }
                    success = true;
                }
                "payload" if success => return map.next_value_seed(IdThenStop(self.0)),
                "status" | "result" | "payload" => break,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Err(A::Error::custom("read the whole answer"))
    }
}

/// Reads a record's members up to its `id`, keeps it, and stops reading there (with an
/// error: serde has no other way to leave the rest of the text unread).
struct IdThenStop<'a>(&'a Cell<Option<i64>>);

impl<'de> DeserializeSeed<'de> for IdThenStop<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for IdThenStop<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a record with an id")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        #[derive(Deserialize)]
        struct LenientId(#[serde(deserialize_with = "crate::schema::lenient::id")] Option<i64>);
        while let Some(key) = map.next_key::<&str>()? {
            if key == "id" {
                let LenientId(id) = map.next_value()?;
                self.0.set(id);
                break;
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(A::Error::custom("stopped after the id"))
    }
}

/// A request body as JSON text.
fn json(body: &impl serde::Serialize) -> Body {
    Body::Json(
        serde_json::to_vec(body)
            .expect("a request body serializes")
            .into(),
    )
}

fn record<T: DeserializeOwned>(e: Envelope, call: &str) -> Result<T, ApiError> {
    owned_records(e, call)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Protocol {
            call: call.to_string(),
            message: "the payload is empty".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id a create's answer gives when read only up to it, if it can be.
    fn read_early(body: &str) -> Option<i64> {
        let envelope = CreatedId::read_early(body.as_bytes())?;
        assert!(envelope.ok, "{body}");
        envelope.into_payload().and_then(|created| created.0)
    }

    /// The id, when the answer read whole says success.
    fn read_whole(body: &str) -> Option<i64> {
        let envelope = Envelope::<CreatedId>::parse(body.as_bytes())?;
        envelope.ok.then_some(envelope.into_payload()?.0)?
    }

    #[test]
    fn a_create_answer_read_up_to_its_id_gives_what_reading_it_whole_gives() {
        // The sandbox's layout, as the guide's samples are laid out.
        let record = r#"{"id":94998,"first_name":"A","emails":[{"id":376992,"email":"a@b.c"}],"assigned_to":{"id":1,"email":"r@x.test"}}"#;
        let usual = format!(
            r#"{{"status":"success","message":"The contact was successfully created!","page":1,"totalcount":1,"payload":{record},"current_user_id":1}}"#
        );
        // (answer, what the early reading gives: None leaves it to the whole one)
        let cases = [
            (usual.clone(), Some(94998)),
            // The id after other members, nested ids skipped, given as a string.
            (
                r#"{"status":"SUCCESS","payload":{"emails":[{"id":5}],"first_name":"A","id":" 94998"}}"#.to_string(),
                Some(94998),
            ),
            (format!(r#"{{"result":"success","payload":{record}}}"#), Some(94998)),
            // The payload before the status: read whole.
            (format!(r#"{{"payload":{record},"status":"success"}}"#), None),
            (format!(r#"{{"status":"success","payload":[{record}]}}"#), None),
            (r#"{"status":"error","message":"x","payload":[]}"#.to_string(), None),
            (r#"{"status":"error","payload":{"id":7}}"#.to_string(), None),
            (r#"{"status":"success","payload":{"first_name":"A"}}"#.to_string(), None),
            (r#"{"status":"success","payload":{"id":null}}"#.to_string(), None),
            (r#"{"status":"success","payload":{"\u0069d":7}}"#.to_string(), None),
            (r#"{"st\u0061tus":"success","payload":{"id":7}}"#.to_string(), None),
            (format!(r#"{{"status":"success","status":"error","payload":{record}}}"#), None),
            ("<html>Created</html>".to_string(), None),
            (String::new(), None),
        ];
        for (body, early) in &cases {
            assert_eq!(read_early(body), *early, "{body}");
            if early.is_some() {
                assert_eq!(read_whole(body), *early, "{body}");
            }
        }
        // What the whole reading makes of those left to it.
        let whole: Vec<_> = cases[3..]
            .iter()
            .map(|(body, _)| read_whole(body))
            .collect();
        assert_eq!(
            whole,
            [
                Some(94998),
                Some(94998),
                None,
                None,
                None,
                None,
                Some(7),
                Some(7),
                None,
                None,
                None
            ]
        );
        // Text after the id is not read: a record naming `id` twice counts as its first
        // here, its last when read whole (a server following the guide names none twice).
        let twice = r#"{"status":"success","payload":{"id":7,"id":8}}"#;
        assert_eq!((read_early(twice), read_whole(twice)), (Some(7), Some(8)));
    }
}
