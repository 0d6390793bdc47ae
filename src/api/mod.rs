//! The API client: authentication, OAuth2 login, a shared rate limit, and retries.
//!
//! Every command that talks to BigContacts goes through one [`Client`]. It must work against
//! any server that follows `shared/api/`, not only the sandbox: envelopes are read
//! tolerantly ([`envelope`]), and errors are classed so that a caller can tell "the server
//! said no" from "no answer came" ([`ApiError::may_have_been_applied`]).
//!
//! In layers, each calling only the ones below it: [`endpoints`](Client) (typed calls, paging)
//! → `transport` (throttle, retry, envelope, error classes) → `token` (the access token and
//! its renewal) → `wire` (the HTTP connection each thread drives for API calls) and `http`
//! (reqwest, for logins, renewals and calls through a proxy). Every wait goes through a
//! [`crate::clock::Clock`], so tests drive time.
//!
//! Depends on `schema` (the records), `clock` (waits and expiry) and `write` (the stored
//! login is written atomically).

pub mod auth;
mod client;
mod endpoints;
pub mod envelope;
mod error;
mod http;
pub mod retry;
mod settled;
pub mod throttle;
mod token;
mod transport;
mod wire;

pub use auth::{Secret, StoredLogin, TokenSource};
pub use client::{Client, ClientConfig, DEFAULT_BASE_URL};
pub use endpoints::{ContactQuery, Page, Pages};
pub use error::{ApiError, Sent};
pub use http::{check_base_url, http_client};
pub use token::token_request;
pub use transport::{Body, TransportStats};
