//! What can go wrong talking to the API, in the classes a caller acts on.

use std::time::Duration;

/// How a request failed. Every variant names the method and path (never a token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The token is missing, invalid or expired, and could not be refreshed.
    #[error("{call}: not authorized: {message}")]
    Unauthorized { call: String, message: String },
    /// The user may not do this (a restricted user deleting, say).
    #[error("{call}: forbidden: {message}")]
    Forbidden { call: String, message: String },
    /// No such record, or not visible to this user.
    #[error("{call}: not found: {message}")]
    NotFound { call: String, message: String },
    /// The server answered and refused the request; it was not applied. Sending it again
    /// unchanged will fail again.
    #[error("{call}: rejected: {message}")]
    Rejected {
        call: String,
        status: u16,
        message: String,
    },
    /// Still rate limited after every retry.
    #[error("{call}: rate limited by the server (HTTP 429), retry after {retry_after:?}")]
    RateLimited { call: String, retry_after: Duration },
    /// The server failed (5xx). Whether a write was applied is unknown.
    #[error("{call}: server error (HTTP {status}): {message}")]
    Server {
        call: String,
        status: u16,
        message: String,
    },
    /// No answer came back.
    #[error("{call}: no response: {message}")]
    Network {
        call: String,
        sent: Sent,
        message: String,
    },
    /// An answer came back but could not be read.
    #[error("{call}: unexpected response: {message}")]
    Protocol { call: String, message: String },
}

/// Whether a request that got no answer may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The connection was never made: the request surely was not applied.
    No,
    /// The request went out and the answer did not come (a timeout, a dropped connection):
    /// it may have been applied.
    Maybe,
}

impl ApiError {
    /// True when the server said no: the request was definitely not applied.
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            ApiError::Unauthorized { .. }
                | ApiError::Forbidden { .. }
                | ApiError::NotFound { .. }
                | ApiError::Rejected { .. }
                | ApiError::RateLimited { .. }
        )
    }

    /// True when a write may have been applied although no success came back: the caller
    /// must find out before sending it again (the case that creates duplicates).
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            ApiError::Server { .. } | ApiError::Protocol { .. } => true,
            ApiError::Network { sent, .. } => *sent == Sent::Maybe,
            _ => false,
        }
    }
}
