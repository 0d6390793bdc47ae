//! Time, in the two senses the tool needs: the wall clock in Unix seconds (token expiry), and
//! the monotonic clock that every wait goes through.
//!
//! Waits (the throttle's, the retry backoff's) take a [`Clock`], so tests drive time with
//! governor's fake clock instead of sleeping: a fake clock's `sleep` moves it forward at once.
//!
//! Depends on nothing else in the crate.

use std::time::Duration;

use governor::clock::{DefaultClock, FakeRelativeClock};

/// Seconds since the Unix epoch; 0 if the system clock is before it.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A clock that can also wait.
pub trait Clock: governor::clock::Clock + Clone + Send + Sync + 'static {
    /// Blocks (or, for a fake clock, moves time) for `duration`.
    fn sleep(&self, duration: Duration);
}

impl Clock for DefaultClock {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl Clock for FakeRelativeClock {
    fn sleep(&self, duration: Duration) {
        self.advance(duration);
    }
}
