//! The API client: authentication, OAuth2 login, a shared rate limit, and retries.
//!
//! Every command that talks to BigContacts goes through one [`Client`]. It must work against
//! any server that follows `shared/api/`, not only the sandbox: envelopes are read
//! tolerantly ([`envelope`]), and errors are classed so that a caller can tell "the server
//! said no" from "no answer came" ([`ApiError::may_have_been_applied`]).
//!
//! Depends on `schema`.

pub mod auth;
mod client;
pub mod envelope;
mod error;
pub mod retry;
pub mod throttle;

pub use auth::{Secret, StoredLogin, TokenSource};
pub use client::{
    check_base_url, token_request, Body, Client, ClientConfig, ContactQuery, Page, DEFAULT_BASE_URL,
};
pub use error::{ApiError, Sent};
