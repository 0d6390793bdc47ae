//! One request budget shared by every thread of the process.
//!
//! governor does the token bucket; this adds what a polite client does on HTTP 429: every
//! thread pauses until `Retry-After` has passed, the rate is halved, and it grows back only
//! slowly (a quarter of the configured rate per quiet interval), so N threads do not rush
//! the server again together. The clock is a parameter, so tests move time instead of
//! sleeping.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// Requests go at this share of the configured rate. A server that enforces exactly the
/// configured rate has no tolerance left once the burst is spent, and requests that left
/// evenly spaced can arrive a little bunched; 2% under the rate gives its bucket room to
/// refill, so network jitter does not turn into 429s (each of which halves the rate). For
/// the same reason the throttle spends only half of the burst it is given, so that the
/// server's bucket is never empty right after a burst. BENCHMARKS.md: one 429 in a 20 s
/// run at exactly 50/s cost 28% of the throughput.
const HEADROOM: f64 = 0.98;

/// The slowest the throttle goes after repeated 429s, in requests per second.
const MIN_RATE: f64 = 0.5;
/// How long without a 429 before the rate grows back a step.
const RECOVERY_INTERVAL: Duration = Duration::from_secs(10);

pub struct Throttle<C: Clock = DefaultClock> {
    clock: C,
    configured: f64,
    state: Mutex<State<C>>,
}

struct State<C: Clock> {
    limiter: RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>>,
    rate: f64,
    paused_until: Option<C::Instant>,
    last_change: C::Instant,
}

fn limiter<C: Clock + Clone>(
    rate: f64,
    burst: NonZeroU32,
    clock: &C,
) -> RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>> {
    let period = Duration::from_secs_f64(1.0 / (rate.max(MIN_RATE) * HEADROOM));
    let quota = Quota::with_period(period)
        .expect("a positive period")
        .allow_burst(burst);
    RateLimiter::direct_with_clock(quota, clock.clone())
}

impl Throttle<DefaultClock> {
    /// `rate` requests per second on average, up to `burst` at once.
    pub fn new(rate: f64, burst: u32) -> Throttle {
        Throttle::with_clock(rate, burst, DefaultClock::default())
    }
}

impl<C: crate::clock::Clock> Throttle<C> {
    /// Blocks until a request may go (on a fake clock: moves it until one may).
    pub fn wait(&self) {
        loop {
            let wait = self.check();
            if wait.is_zero() {
                return;
            }
            crate::clock::Clock::sleep(&self.clock, wait);
        }
    }
}

impl<C: Clock + Clone> Throttle<C> {
    /// `burst` is what the server allows at once; the throttle spends at most half of it
    /// (see [`HEADROOM`]: the other half absorbs requests that arrive bunched).
    pub fn with_clock(rate: f64, burst: u32, clock: C) -> Throttle<C> {
        let burst = NonZeroU32::new(burst.div_ceil(2).max(1)).expect("at least 1");
        let rate = rate.max(MIN_RATE);
        let state = State {
            limiter: limiter(rate, burst, &clock),
            rate,
            paused_until: None,
            last_change: clock.now(),
        };
        Throttle {
            clock,
            configured: rate,
            state: Mutex::new(state),
        }
    }

    /// The rate it was configured with, in requests per second (what it goes back to after
    /// 429s).
    pub fn configured_rate(&self) -> f64 {
        self.configured
    }

    /// Takes a slot if one is free now; otherwise how long to wait before asking again.
    pub fn check(&self) -> Duration {
        let mut state = self.state.lock().expect("throttle lock");
        let now = self.clock.now();
        if let Some(until) = state.paused_until {
            if until > now {
                return Duration::from(until.duration_since(now));
            }
            state.paused_until = None;
        }
        if state.rate < self.configured
            && now.duration_since(state.last_change) >= Nanos::from(RECOVERY_INTERVAL)
        {
            let rate = (state.rate + self.configured / 4.0).min(self.configured);
            state.limiter = limiter(rate, NonZeroU32::new(1).expect("1"), &self.clock);
            state.rate = rate;
            state.last_change = now;
        }
        match state.limiter.check() {
            Ok(()) => Duration::ZERO,
            Err(not_until) => not_until.wait_time_from(now).max(Duration::from_millis(1)),
        }
    }

    /// The server said 429: pause everyone for `retry_after` and halve the rate.
    pub fn rate_limited(&self, retry_after: Duration) {
        let mut state = self.state.lock().expect("throttle lock");
        let now = self.clock.now();
        let until = now + Nanos::from(retry_after);
        // Threads that were already in flight report the same 429; one halving is enough.
        let fresh = state.paused_until.is_none_or(|p| p < now);
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        if fresh {
            let rate = (state.rate / 2.0).max(MIN_RATE);
            // Burst 1 after a 429: no batch of requests when the pause ends.
            state.limiter = limiter(rate, NonZeroU32::new(1).expect("1"), &self.clock);
            state.rate = rate;
        }
        state.last_change = now;
    }

    /// The current rate, in requests per second.
    pub fn rate(&self) -> f64 {
        self.state.lock().expect("throttle lock").rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn allows_the_burst_then_the_rate() {
        let clock = FakeRelativeClock::default();
        // A burst of 6 allowed by the server: 3 spent at once, 3 kept for jitter.
        let t = Throttle::with_clock(10.0, 6, clock.clone());
        assert_eq!(
            (t.check(), t.check(), t.check()),
            (Duration::ZERO, Duration::ZERO, Duration::ZERO)
        );
        let wait = t.check();
        // 10/s with the headroom: one request every 1/9.8 s.
        let period = Duration::from_secs_f64(1.0 / (10.0 * HEADROOM));
        assert!(wait > Duration::ZERO && wait <= period, "{wait:?}");
        clock.advance(period);
        assert_eq!(t.check(), Duration::ZERO);
    }

    #[test]
    fn a_429_pauses_everyone_halves_once_and_recovers_slowly() {
        let clock = FakeRelativeClock::default();
        let t = Throttle::with_clock(8.0, 8, clock.clone());
        t.rate_limited(Duration::from_secs(2));
        t.rate_limited(Duration::from_secs(2)); // another thread, same episode
        assert_eq!(t.rate(), 4.0, "halved once");
        assert_eq!(t.check(), Duration::from_secs(2), "paused");
        clock.advance(Duration::from_secs(2));
        assert_eq!(t.check(), Duration::ZERO);
        assert!(t.check() > Duration::ZERO, "burst of 1 after a 429");
        clock.advance(RECOVERY_INTERVAL);
        let _ = t.check();
        assert_eq!(t.rate(), 6.0, "a quarter of the configured rate back");
        for _ in 0..3 {
            clock.advance(RECOVERY_INTERVAL);
            let _ = t.check();
        }
        assert_eq!(t.rate(), 8.0, "never above the configured rate");
    }
}
