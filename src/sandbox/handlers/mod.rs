//! One module per resource of the API: each turns a request into a reply, with the store's
//! statements (never SQL of its own) on a reader (reads) or under the store's lock (writes), and every multi-statement write
//! in one transaction.
//!
//! Calls `http` (request, reply), `store`, `app`, and the sandbox's document rules
//! (`contacts`, `tasks`); called only by `routes`.

pub mod activities;
pub mod contacts;
pub mod tasks;
pub mod users;

use anyhow::Result;

use rusqlite::Connection;

use super::store::{self, ContactRow, UserRow};

/// A contact the user may see: private contacts only by their assignee.
fn visible_contact(conn: &Connection, user: &UserRow, id: i64) -> Result<Option<ContactRow>> {
    Ok(store::contact(conn, user.customer_id, id)?
        .filter(|c| !c.is_private || c.assigned_to == user.id))
}
