//! Tolerant deserializers for the shapes the documentation shows inconsistently.
//!
//! The API's own sample responses put a string where a list is expected (a spouse's `emails`,
//! a family member's `interests`), numbers where booleans are documented (`is_office: 0`) and
//! ids that may be strings. A client that rejected those would fail on the hosted service's
//! real answers, so these read every shape the documents show.

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serializer};
use serde_json::Value;

/// An element of a list that may also arrive as a bare string.
pub trait FromText: Sized {
    fn from_text(text: String) -> Option<Self>;
}

/// A list given as an array, a single object, a bare string, `null` or absent.
pub fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + FromText,
{
    let value = Value::deserialize(deserializer)?;
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        Value::String(text) if text.trim().is_empty() => return Ok(Vec::new()),
        Value::String(text) => return Ok(T::from_text(text).into_iter().collect()),
        other => vec![other],
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Value::String(text) => T::from_text(text).map(Ok),
            other => Some(serde_json::from_value(other).map_err(serde::de::Error::custom)),
        })
        .collect()
}

/// Whether an API flag written as text means true: `1`, `true` or `yes`, in any case.
/// The one reading of a flag for the client, the schema and the sandbox alike.
pub fn truthy_text(text: &str) -> bool {
    let text = text.trim();
    ["1", "true", "yes"]
        .iter()
        .any(|word| word.eq_ignore_ascii_case(text))
}

/// Whether an API flag means true: `true`, a number other than 0, or [`truthy_text`];
/// anything else (null, absent, an object) is false.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => truthy_text(s),
        _ => false,
    }
}

/// A flag given as `true`/`false`, `0`/`1`, `"0"`/`"1"`, `"true"`/`"false"` or absent.
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(truthy(&Value::deserialize(deserializer)?))
}

/// The documentation's own examples send `is_office` as `0` or `1`.
pub fn flag_as_int<S: Serializer>(value: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u8(u8::from(*value))
}

pub fn is_false(value: &bool) -> bool {
    !*value
}

/// An id given as a number or a numeric string; anything else reads as absent.
pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// The calendar date at the start of an API timestamp such as `1934-12-30T00:00:00-0300`.
///
/// The date is taken as written. Converting the timestamp to another zone first would move
/// birthdays by a day, the bug users of other loaders complain about most.
pub fn date_part(timestamp: &str) -> Option<&str> {
    let head = timestamp.trim().get(..10)?;
    chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
    Some(head)
}

/// Parses an API timestamp with an offset written without a colon (`+0000`, `-0300`).
pub fn parse_timestamp(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
    ]
    .iter()
    .find_map(|fmt| chrono::DateTime::parse_from_str(text, fmt).ok())
}

/// Like [`id`], for records that always carry one; a missing id reads as 0.
pub fn id_required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Ok(id(deserializer)?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_part_never_moves_the_day() {
        assert_eq!(date_part("1934-12-30T00:00:00-0300"), Some("1934-12-30"));
        assert_eq!(date_part("1992-11-22T00:00:00-0200"), Some("1992-11-22"));
        assert_eq!(date_part("2024-01-25"), Some("2024-01-25"));
        assert_eq!(date_part("19341230T00:00:000300"), None);
    }

    #[test]
    fn timestamps_with_offsets_without_colon() {
        let t = parse_timestamp("2013-11-06T19:04:46+0000").unwrap();
        assert_eq!(t.timestamp(), 1_383_764_686);
        let t = parse_timestamp("1934-12-30T00:00:00-0300").unwrap();
        assert_eq!(t.offset().local_minus_utc(), -3 * 3600);
        assert!(parse_timestamp("yesterday").is_none());
    }
}
