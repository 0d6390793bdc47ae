//! Tasks, meetings and notes (the newer summary's Tasks API).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// Which list `GET /api/tasks` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEvent {
    Task,
    Meeting,
    Note,
}

impl TaskEvent {
    pub const ALL: [TaskEvent; 3] = [TaskEvent::Task, TaskEvent::Meeting, TaskEvent::Note];

    /// The `event` query value.
    pub fn as_param(self) -> &'static str {
        match self {
            TaskEvent::Task => "task_new",
            TaskEvent::Meeting => "meeting_new",
            TaskEvent::Note => "note_new",
        }
    }

    pub fn from_param(param: &str) -> Option<Self> {
        TaskEvent::ALL.into_iter().find(|e| e.as_param() == param)
    }
}

/// The body of a task create or update. `contacts` and `assigned_to` take an email, an id or
/// an object, as the summary allows, so they stay JSON values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// u urgent, h hot, n normal (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_todo: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Value>,
    /// Which list the task belongs to: `task_new`, `meeting_new` or `note_new`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

/// A task as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: Option<i64>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub completed: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_todo: bool,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub assigned_to: Option<Value>,
    #[serde(default)]
    pub contacts: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The users (or contact) a record names, however given: emails (or ids), `; `-separated.
pub fn people(value: &Value) -> String {
    let one = |v: &Value| -> String {
        match v {
            Value::Object(o) => ["email", "id", "name"]
                .iter()
                .find_map(|k| o.get(*k).filter(|v| !v.is_null()))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_default(),
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(one)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        v => one(v),
    }
}
