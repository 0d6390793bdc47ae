//! The API's response envelope, read tolerantly.
//!
//! Errors come keyed `status` or `result`; `payload` is `[]` when empty, an object for one
//! record and an array for a listing; `page` and `totalcount` come only with a payload and
//! may be numbers or numeric strings.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub ok: bool,
    pub message: String,
    pub payload: Value,
    pub page: Option<u64>,
    pub total: Option<u64>,
    pub current_user_id: Option<i64>,
}

impl Envelope {
    /// Reads an envelope; `None` when the body is not one.
    pub fn parse(body: &[u8]) -> Option<Envelope> {
        let map = match serde_json::from_slice::<Value>(body).ok()? {
            Value::Object(map) => map,
            // The guide's XML delete sample answers with a bare list: status, then message.
            Value::Array(items) => return Envelope::from_list(&items),
            _ => return None,
        };
        let state = map
            .get("status")
            .or_else(|| map.get("result"))?
            .as_str()?
            .to_ascii_lowercase();
        let number = |key: &str| match map.get(key) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        Some(Envelope {
            ok: state == "success",
            message: map
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            payload: map.get("payload").cloned().unwrap_or(Value::Null),
            page: number("page"),
            total: number("totalcount"),
            current_user_id: number("current_user_id").map(|n| n as i64),
        })
    }

    /// `["success", "message"]`, as the guide's delete sample is shaped.
    fn from_list(items: &[Value]) -> Option<Envelope> {
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
            payload: Value::Null,
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

    /// The payload as a list: `[]` and null are empty, one object is a list of one.
    /// [`Envelope::items`], moving them out instead of copying (a page of 1,000 contacts is
    /// megabytes of documents).
    pub fn into_items(self) -> Vec<Value> {
        match self.payload {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            Value::Object(o) if o.is_empty() => Vec::new(),
            other => vec![other],
        }
    }

    pub fn items(&self) -> Vec<Value> {
        match &self.payload {
            Value::Array(items) => items.clone(),
            Value::Null => Vec::new(),
            Value::Object(o) if o.is_empty() => Vec::new(),
            other => vec![other.clone()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_documented_shape() {
        let e = Envelope::parse(br#"{"result":"error","message":"No such contact","payload":[]}"#)
            .unwrap();
        assert!(!e.ok && e.items().is_empty() && e.message == "No such contact");
        let e = Envelope::parse(br#"{"status":"success","message":"Contact","page":"1","totalcount":1,"payload":{"id":435}}"#).unwrap();
        assert!(e.ok);
        assert_eq!((e.page, e.total, e.items().len()), (Some(1), Some(1), 1));
        let e = Envelope::parse(br#"{"status":"success","message":"x","payload":[{"id":1},{"id":2}],"current_user_id":7}"#).unwrap();
        assert_eq!(
            (e.items().len(), e.current_user_id, e.page),
            (2, Some(7), None)
        );
        assert!(Envelope::parse(b"<html>bad gateway</html>").is_none());
        let e = Envelope::parse(br#"["success","The contact was successfully deleted!"]"#).unwrap();
        assert!(e.ok && e.items().is_empty() && e.message.starts_with("The contact"));
        assert!(Envelope::parse(br#"[1, 2]"#).is_none());
        assert!(Envelope::parse(br#"{"error":"invalid_grant"}"#).is_none());
    }
}
