//! One module per resource of the API: each turns a request into a reply, with the store's
//! statements (never SQL of its own) under the store's lock, and every multi-statement write
//! in one transaction.
//!
//! Calls `http` (request, reply), `store`, `app`, and the sandbox's document rules
//! (`contacts`, `tasks`); called only by `routes`.

pub mod activities;
pub mod contacts;
pub mod tasks;
pub mod users;

use anyhow::Result;

use super::store::{self, ContactRow, Store, UserRow};

/// A contact the user may see: private contacts only by their assignee.
fn visible_contact(store: &Store, user: &UserRow, id: i64) -> Result<Option<ContactRow>> {
    Ok(store::contact(store.conn(), user.customer_id, id)?
        .filter(|c| !c.is_private || c.assigned_to == user.id))
}
