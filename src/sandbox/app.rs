//! The sandbox's state and settings, shared by every connection.

use std::sync::Mutex;

use super::forms::AnswerForms;
use super::store::Store;

pub struct App {
    pub store: Mutex<Store>,
    /// How long an access token lives, in seconds.
    pub token_ttl: i64,
    /// Which of the documented answer forms to use.
    pub forms: AnswerForms,
}
