//! One request budget shared by every thread of the process.
//!
//! governor does the token bucket; this adds what a polite client does on HTTP 429: every
//! thread pauses until `Retry-After` has passed, the rate is halved, and it grows back only
//! slowly (a quarter of the configured rate per quiet interval), so N threads do not rush
//! the server again together. It grows back to just under the rate that drew the 429, not
//! to `--rate`: the documentation gives no limit, so `--rate` may be a guess above the
//! server's, and climbing back to it each time drew a 429 every cycle (0.71 of the server's
//! limit in BENCHMARKS.md). Above that it only probes, a small step after a long quiet
//! spell, so a 429 that was the server's passing hiccup is forgotten in minutes; a 429 at
//! a probe, or where it settled, lowers the rate a step instead of halving it. The clock
//! is a parameter, so tests move time instead of sleeping.

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
/// The share of the rate that drew the last 429 that the recovery climbs back to.
const SETTLE: f64 = 0.9;
/// Above that share, how long without a 429 before the rate tries a step higher, and by
/// how much.
const PROBE_INTERVAL: Duration = Duration::from_secs(60);
const PROBE_STEP: f64 = 1.05;

pub struct Throttle<C: Clock = DefaultClock> {
    clock: C,
    configured: f64,
    state: Mutex<State<C>>,
}

struct State<C: Clock> {
    limiter: RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<C::Instant>>,
    rate: f64,
    /// The rate that drew the latest 429, if one came.
    ceiling: Option<f64>,
    paused_until: Option<C::Instant>,
    last_change: C::Instant,
}

/// The rate to grow to after `quiet` without a 429, if it is time to grow.
fn recovered(rate: f64, configured: f64, ceiling: Option<f64>, quiet: Duration) -> Option<f64> {
    if rate >= configured {
        return None;
    }
    let settle = ceiling.map_or(configured, |c| c * SETTLE);
    let next = if rate < settle {
        (quiet >= RECOVERY_INTERVAL).then_some((rate + configured / 4.0).min(settle))?
    } else {
        (quiet >= PROBE_INTERVAL).then_some(rate * PROBE_STEP)?
    };
    Some(next.min(configured))
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
            ceiling: None,
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
        let quiet = Duration::from(now.duration_since(state.last_change));
        if let Some(rate) = recovered(state.rate, self.configured, state.ceiling, quiet) {
            state.limiter = limiter(rate, NonZeroU32::new(1).expect("1"), &self.clock);
            state.rate = rate;
            state.last_change = now;
        }
        match state.limiter.check() {
            Ok(()) => Duration::ZERO,
            Err(not_until) => not_until.wait_time_from(now).max(Duration::from_millis(1)),
        }
    }

    /// The server said 429: pause everyone for `retry_after` and halve the rate (or, near
    /// the rate a 429 came at before, lower it a step).
    pub fn rate_limited(&self, retry_after: Duration) {
        let mut state = self.state.lock().expect("throttle lock");
        let now = self.clock.now();
        let until = now + Nanos::from(retry_after);
        // Threads that were already in flight report the same 429; one halving is enough.
        let fresh = state.paused_until.is_none_or(|p| p < now);
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        if fresh {
            // At or above where the last 429 left it to settle, the limit is near: a step
            // down finds it without halving (a probe that overshot, or a limit a little
            // lower than the last one). Anywhere else, how far down it is is unknown.
            let near_known_limit = state
                .ceiling
                .is_some_and(|c| state.rate >= c * SETTLE * (1.0 - 1e-9));
            let lower = if near_known_limit { SETTLE } else { 0.5 };
            state.ceiling = Some(state.rate);
            let rate = (state.rate * lower).max(MIN_RATE);
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
        let mut rates = Vec::new();
        for _ in 0..4 {
            clock.advance(PROBE_INTERVAL);
            let _ = t.check();
            rates.push((t.rate() * 1000.0).round() / 1000.0);
        }
        assert_eq!(
            rates,
            [7.2, 7.56, 7.938, 8.0],
            "to 90% of the rate that drew the 429, then probing, never above the configured"
        );
    }

    /// A --rate above the server's limit: the recovery climbs back to just under the rate
    /// that drew the 429, so it settles under the limit instead of drawing a 429 every cycle.
    #[test]
    fn it_settles_under_the_rate_that_drew_a_429() {
        let clock = FakeRelativeClock::default();
        let t = Throttle::with_clock(100.0, 8, clock.clone());
        let after_an_interval = || {
            clock.advance(RECOVERY_INTERVAL);
            let _ = t.check();
            t.rate()
        };
        t.rate_limited(Duration::ZERO); // drawn at 100, nothing known yet
        assert_eq!(t.rate(), 50.0, "halved");
        assert_eq!([after_an_interval(), after_an_interval()], [75.0, 90.0]);
        // Drawn at 90, where it settled: the limit is just under; a step down, not half.
        t.rate_limited(Duration::ZERO);
        assert_eq!(t.rate(), 81.0);
        let held: Vec<f64> = (0..5).map(|_| after_an_interval()).collect();
        assert_eq!(held, [81.0; 5], "no higher for a minute");
        let probe = after_an_interval();
        assert!((probe - 81.0 * PROBE_STEP).abs() < 1e-9, "then a probe");
        t.rate_limited(Duration::ZERO);
        assert!(
            (t.rate() - probe * SETTLE).abs() < 1e-9,
            "a probe that overshot: a step down"
        );
    }

    /// Far under where the last 429 left it, a 429 says the limit fell by an unknown amount.
    #[test]
    fn a_429_under_where_it_settled_halves() {
        let clock = FakeRelativeClock::default();
        let t = Throttle::with_clock(100.0, 8, clock.clone());
        t.rate_limited(Duration::ZERO);
        clock.advance(Duration::from_secs(1));
        t.rate_limited(Duration::ZERO); // at 50, under 90
        assert_eq!(t.rate(), 25.0);
    }

    #[test]
    fn recovery_waits_for_quiet_and_never_passes_the_configured_rate() {
        let short = RECOVERY_INTERVAL / 2;
        assert_eq!(recovered(4.0, 8.0, Some(8.0), short), None);
        assert_eq!(recovered(8.0, 8.0, Some(8.0), PROBE_INTERVAL), None);
        assert_eq!(recovered(4.0, 8.0, None, RECOVERY_INTERVAL), Some(6.0));
        assert_eq!(recovered(7.9, 8.0, None, RECOVERY_INTERVAL), Some(8.0));
        assert_eq!(recovered(7.9, 8.0, Some(8.0), RECOVERY_INTERVAL), None);
    }
}
