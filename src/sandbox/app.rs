//! The sandbox's state and settings, shared by every connection.

use std::sync::Mutex;

use super::forms::AnswerForms;
use super::store::{Readers, Store};

pub struct App {
    /// The one writer: every change, and reads that must see it in the same transaction.
    pub store: Mutex<Store>,
    /// Connections for requests that only read.
    pub readers: Readers,
    /// How long an access token lives, in seconds.
    pub token_ttl: i64,
    /// Which of the documented answer forms to use.
    pub forms: AnswerForms,
}
