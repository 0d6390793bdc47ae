//! The API's response envelope, read tolerantly.
//!
//! Errors come keyed `status` or `result`; `payload` is `[]` when empty, an object for one
//! record and an array for a listing; `page` and `totalcount` come only with a payload and
//! may be numbers or numeric strings.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A payload kept as the server wrote it, to be read into what a caller asks for.
pub type RawPayload = Box<RawValue>;

/// An answer's envelope, its payload read as `P`: by default kept as the server's text
/// ([`Envelope::records`] reads it later); a caller that knows what it needs reads it in the
/// same pass (a create needs one id of a whole contact).
#[derive(Debug, Clone)]
pub struct Envelope<P = RawPayload> {
    pub ok: bool,
    pub message: String,
    payload: Option<P>,
    pub page: Option<u64>,
    pub total: Option<u64>,
    pub current_user_id: Option<i64>,
}

/// What an answer's payload is read as. A payload that needs only the start of a
/// successful answer can say how to read just that ([`Payload::read_early`]).
pub trait Payload: DeserializeOwned {
    /// The envelope of a successful (2xx) answer, read only as far as this payload needs,
    /// when the answer is laid out the usual way; `None` to read it whole with
    /// [`Envelope::parse`].
    fn read_early(_body: &[u8]) -> Option<Envelope<Self>> {
        None
    }
}

impl Payload for RawPayload {}
impl Payload for serde::de::IgnoredAny {}

/// The envelope's fields as they may come: any of them may be missing or of another type.
#[derive(Deserialize)]
struct Fields<P> {
    status: Option<Value>,
    result: Option<Value>,
    message: Option<Value>,
    page: Option<Value>,
    totalcount: Option<Value>,
    current_user_id: Option<Value>,
    payload: Option<P>,
}

impl<P> Envelope<P> {
    /// A success holding `payload`, with nothing else said.
    pub fn success(payload: P) -> Envelope<P> {
        Envelope {
            ok: true,
            message: String::new(),
            payload: Some(payload),
            page: None,
            total: None,
            current_user_id: None,
        }
    }
}

impl<P: DeserializeOwned> Envelope<P> {
    /// Reads an envelope; `None` when the body is not one (or its payload is not a `P`).
    pub fn parse(body: &[u8]) -> Option<Envelope<P>> {
        // Checked as UTF-8 at once, then read as text: serde_json skips the strings of a
        // text without checking each again, which is most of reading a contact sent back
        // for its id (callgrind: 19,000 -> 12,000 instructions an answer).
        let fields = match std::str::from_utf8(body) {
            Ok(text) => serde_json::from_str::<Fields<P>>(text),
            Err(_) => serde_json::from_slice::<Fields<P>>(body),
        };
        match fields {
            Ok(fields) => Envelope::from_fields(fields),
            // Not an object of those fields (or one naming a field twice): read as a value.
            Err(_) => Envelope::from_value(serde_json::from_slice(body).ok()?),
        }
    }

    fn from_fields(fields: Fields<P>) -> Option<Envelope<P>> {
        let state = fields.status.or(fields.result)?;
        let number = |value: Option<Value>| match value? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        Some(Envelope {
            ok: state.as_str()?.eq_ignore_ascii_case("success"),
            message: match fields.message {
                Some(Value::String(text)) => text,
                _ => String::new(),
            },
            payload: fields.payload,
            page: number(fields.page),
            total: number(fields.totalcount),
            current_user_id: number(fields.current_user_id).map(|n| n as i64),
        })
    }

    /// An envelope `Fields` could not read: an object naming a field twice (the last one
    /// counts), or the bare list of the guide's XML delete sample.
    fn from_value(value: Value) -> Option<Envelope<P>> {
        let map = match value {
            Value::Object(map) => map,
            Value::Array(items) => return Envelope::from_list(&items),
            _ => return None,
        };
        // Written out again without duplicates, which `Fields` then reads.
        let text = serde_json::to_vec(&map).ok()?;
        if let Ok(fields) = serde_json::from_slice::<Fields<P>>(&text) {
            return Envelope::from_fields(fields);
        }
        // A payload that is not a `P` counts as none: the status and message still tell.
        let fields = serde_json::from_slice::<Fields<serde::de::IgnoredAny>>(&text).ok()?;
        Envelope::from_fields(Fields {
            status: fields.status,
            result: fields.result,
            message: fields.message,
            page: fields.page,
            totalcount: fields.totalcount,
            current_user_id: fields.current_user_id,
            payload: None,
        })
    }

    /// `["success", "message"]`, as the guide's delete sample is shaped.
    fn from_list(items: &[Value]) -> Option<Envelope<P>> {
        let state = items.first()?.as_str()?.to_ascii_lowercase();
        if state != "success" && state != "error" {
            return None;
        }
        Some(Envelope {
            ok: state == "success",
            message: items
                .get(1)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            payload: None,
            page: None,
            total: None,
            current_user_id: None,
        })
    }

    /// Whether an error envelope says the record does not exist. The guide gives
    /// `{"result":"error","message":"No such contact","payload":[]}` as "the typical response
    /// for a request of a non existent contact", with no HTTP status, so the wording is what
    /// there is to go on (a 404 says it too, and is read as such by the transport).
    pub fn says_not_found(&self) -> bool {
        let message = self.message.trim().to_ascii_lowercase();
        !self.ok && (message.starts_with("no such") || message.ends_with("not found"))
    }

    /// The payload as read; `None` when there was none (or null).
    pub fn into_payload(self) -> Option<P> {
        self.payload
    }
}

impl Envelope<RawPayload> {
    /// The payload's records: `[]`, `{}` and null are none, one object is a list of one.
    /// Read straight from the server's text into `T`, without a `Value` in between.
    pub fn records<T: DeserializeOwned>(&self) -> serde_json::Result<Vec<T>> {
        let Some(raw) = &self.payload else {
            return Ok(Vec::new());
        };
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'[') => serde_json::from_str(text),
            Some(b'{') if text[1..].trim_start().starts_with('}') => Ok(Vec::new()),
            _ => Ok(vec![serde_json::from_str(text)?]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &[u8]) -> Option<Envelope> {
        Envelope::parse(body)
    }

    #[test]
    fn reads_every_documented_shape() {
        let e = parse(br#"{"result":"error","message":"No such contact","payload":[]}"#).unwrap();
        let items = |e: &Envelope| e.records::<Value>().unwrap().len();
        assert!(!e.ok && items(&e) == 0 && e.message == "No such contact");
        let e = parse(br#"{"status":"success","message":"Contact","page":"1","totalcount":1,"payload":{"id":435}}"#).unwrap();
        assert!(e.ok);
        assert_eq!((e.page, e.total, items(&e)), (Some(1), Some(1), 1));
        let e = parse(br#"{"status":"success","message":"x","payload":[{"id":1},{"id":2}],"current_user_id":7}"#).unwrap();
        assert_eq!((items(&e), e.current_user_id, e.page), (2, Some(7), None));
        assert!(parse(b"<html>bad gateway</html>").is_none());
        let e = parse(br#"["success","The contact was successfully deleted!"]"#).unwrap();
        assert!(e.ok && items(&e) == 0 && e.message.starts_with("The contact"));
        assert!(parse(br#"[1, 2]"#).is_none());
        assert!(parse(br#"{"error":"invalid_grant"}"#).is_none());
        for empty in [r#""payload":{ }"#, r#""payload":null"#, ""] {
            let body = format!(
                r#"{{"status":"success","message":"none"{}{empty}}}"#,
                if empty.is_empty() { "" } else { "," }
            );
            assert_eq!(items(&parse(body.as_bytes()).unwrap()), 0, "{body}");
        }
    }

    #[test]
    fn a_field_named_twice_counts_once_as_its_last() {
        let e = parse(
            br#"{"status":"error","status":"SUCCESS","message":7,"payload":{"id":"9"},"page":"x"}"#,
        )
        .unwrap();
        assert!(e.ok && e.message.is_empty() && e.page.is_none());
        assert_eq!(
            e.records::<Value>().unwrap(),
            vec![serde_json::json!({"id": "9"})]
        );
    }

    #[test]
    fn a_payload_of_another_shape_still_gives_the_status_and_message() {
        #[derive(Deserialize, Debug)]
        struct Id {
            #[allow(dead_code)]
            id: i64,
        }
        let e = Envelope::<Id>::parse(
            br#"{"status":"error","message":"The field first_name is required","payload":"x"}"#,
        )
        .unwrap();
        assert!(!e.ok && e.message.contains("first_name"));
        assert!(e.into_payload().is_none());
    }

    #[test]
    fn escaped_text_in_the_payload_is_read_as_its_characters() {
        let e = parse(
            br#"{"status":"success","message":"ok","payload":[{"url":"https:\/\/x.test\/a","name":"Jos\u00e9"}]}"#,
        )
        .unwrap();
        assert_eq!(
            e.records::<Value>().unwrap(),
            vec![serde_json::json!({"url": "https://x.test/a", "name": "José"})]
        );
    }
}
