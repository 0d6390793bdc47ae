//! Contact activity: calls, meetings, notes logged against one contact.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// The fields of an activity create or update.
///
/// The original guide sends them form-encoded as `bigcontacts_contact_activity_form[title]`;
/// the newer summary shows a JSON body. [`ActivityInput::form_fields`] gives the former.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ActivityInput {
    /// The form-encoded field names and values the original guide documents.
    pub fn form_fields(&self) -> Vec<(String, String)> {
        [
            ("title", &self.title),
            ("activity_type", &self.activity_type),
            ("description", &self.description),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            value.as_ref().map(|v| {
                (
                    format!("bigcontacts_contact_activity_form[{name}]"),
                    v.clone(),
                )
            })
        })
        .collect()
    }
}

/// An activity's type as returned: an object with its name under `activity`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityType {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub activity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
}

/// An activity as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "activity_type")]
    pub activity_type: Option<ActivityType>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The type arrives as an object in the guide and as a bare name in the summary.
fn activity_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<ActivityType>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(name) => Some(ActivityType {
            activity: name,
            ..ActivityType::default()
        }),
        Value::Null => None,
        other => Some(serde_json::from_value(other).map_err(serde::de::Error::custom)?),
    })
}
