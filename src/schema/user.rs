//! Users: the team members of a customer account.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(default, deserialize_with = "lenient::id_required")]
    pub id: i64,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub short_name: String,
    #[serde(default)]
    pub color: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
