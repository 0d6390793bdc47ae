//! When to try a request again, as a pure function of the attempt and what went wrong.

use std::time::Duration;

use super::error::{ApiError, Sent};

/// Bounds of the exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles each time.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    RetryAfter(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// Whether to retry after `attempt` (1-based) failed with `error`.
    ///
    /// `idempotent` requests (reads, updates, deletes) are retried after server errors and
    /// lost answers; a create is retried only when it surely was not applied (no connection,
    /// or HTTP 429), and otherwise left to the caller, who can check before sending again.
    /// `jitter` is a number in [0, 1) (random in use, fixed in tests): the wait is drawn
    /// from the upper half of the backoff window, so threads that failed together spread out.
    pub fn decide(
        &self,
        attempt: u32,
        error: &ApiError,
        idempotent: bool,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        let backoff = || {
            let window = self
                .base
                .saturating_mul(1u32 << (attempt - 1).min(16))
                .min(self.cap);
            Decision::RetryAfter(window.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0))
        };
        match error {
            // The server said when; the throttle waits for it, this adds nothing.
            ApiError::RateLimited { .. } => Decision::RetryAfter(Duration::ZERO),
            ApiError::Network { sent: Sent::No, .. } => backoff(),
            ApiError::Network {
                sent: Sent::Maybe, ..
            }
            | ApiError::Server { .. }
                if idempotent =>
            {
                backoff()
            }
            _ => Decision::GiveUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: &str) -> ApiError {
        let call = "GET /api/contacts.json".to_string();
        match kind {
            "429" => ApiError::RateLimited {
                call,
                retry_after: Duration::from_secs(1),
            },
            "500" => ApiError::Server {
                call,
                status: 500,
                message: String::new(),
            },
            "connect" => ApiError::Network {
                call,
                sent: Sent::No,
                message: String::new(),
            },
            "dropped" => ApiError::Network {
                call,
                sent: Sent::Maybe,
                message: String::new(),
            },
            "400" => ApiError::Rejected {
                call,
                status: 400,
                message: String::new(),
            },
            "401" => ApiError::Unauthorized {
                call,
                message: String::new(),
            },
            "403" => ApiError::Forbidden {
                call,
                message: String::new(),
            },
            "404" => ApiError::NotFound {
                call,
                message: String::new(),
            },
            _ => unreachable!(),
        }
    }

    #[test]
    fn what_is_retried() {
        let p = RetryPolicy::default();
        let retried = |kind: &str, idempotent: bool| {
            matches!(
                p.decide(1, &err(kind), idempotent, 0.5),
                Decision::RetryAfter(_)
            )
        };
        // (error, retried when idempotent, retried for a create)
        let table = [
            ("429", true, true),
            ("connect", true, true),
            ("500", true, false),
            ("dropped", true, false),
            ("400", false, false),
            ("401", false, false),
            ("403", false, false),
            ("404", false, false),
        ];
        for (kind, idempotent, create) in table {
            assert_eq!(retried(kind, true), idempotent, "{kind} idempotent");
            assert_eq!(retried(kind, false), create, "{kind} create");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps_then_gives_up() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        let wait = |attempt, jitter| match p.decide(attempt, &err("500"), true, jitter) {
            Decision::RetryAfter(d) => d,
            Decision::GiveUp => panic!("gave up"),
        };
        assert_eq!(wait(1, 0.0), Duration::from_millis(50));
        assert_eq!(wait(1, 0.999_999).as_millis(), 99);
        assert_eq!(wait(2, 0.0), Duration::from_millis(100));
        assert_eq!(wait(3, 0.0), Duration::from_millis(200));
        assert_eq!(wait(9, 0.0), Duration::from_millis(500), "capped");
        assert_eq!(p.decide(10, &err("500"), true, 0.0), Decision::GiveUp);
    }
}
