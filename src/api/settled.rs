//! Polling a future again at once when it wakes itself, for a thread that drives its own
//! requests on a single-threaded tokio runtime (see `wire`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A future that, when it wakes itself while being polled, is polled again at once rather
/// than going back to the runtime: tokio would first look for I/O without waiting (a system
/// call) each time, and hyper's request handle and connection wake each other twice per
/// exchange (the request handed over, the answer handed back). Wakes from elsewhere (the
/// socket ready, a timer, another thread) go to the runtime as usual.
pub struct Settled<F> {
    inner: Pin<Box<F>>,
    wake: Arc<SelfWake>,
}

#[derive(Default)]
struct SelfWake {
    polling: AtomicBool,
    woken: AtomicBool,
    outer: std::sync::Mutex<Option<Waker>>,
}

impl Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.polling.load(Ordering::SeqCst) {
            self.woken.store(true, Ordering::SeqCst);
            // Still polling: the poll loop sees `woken`. Otherwise it may have looked
            // already, so the runtime is told as well.
            if self.polling.load(Ordering::SeqCst) {
                return;
            }
        }
        if let Some(outer) = self
            .outer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            outer.wake_by_ref();
        }
    }
}

impl<F: Future> Settled<F> {
    pub fn new(inner: F) -> Self {
        Settled {
            inner: Box::pin(inner),
            wake: Arc::default(),
        }
    }
}

impl<F: Future> Future for Settled<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        {
            let mut outer = self.wake.outer.lock().unwrap_or_else(|e| e.into_inner());
            if !outer.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *outer = Some(cx.waker().clone());
            }
        }
        let waker = Waker::from(self.wake.clone());
        let mut inner_cx = Context::from_waker(&waker);
        // A future that keeps waking itself (to let others run) gets the runtime back after
        // a few rounds.
        for _ in 0..8 {
            self.wake.woken.store(false, Ordering::SeqCst);
            self.wake.polling.store(true, Ordering::SeqCst);
            let polled = self.inner.as_mut().poll(&mut inner_cx);
            self.wake.polling.store(false, Ordering::SeqCst);
            if polled.is_ready() || !self.wake.woken.swap(false, Ordering::SeqCst) {
                return polled;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A waker counting its wakes.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Wakes itself and is pending `times` times, then ready.
    struct WakesItself {
        times: usize,
        polls: usize,
    }

    impl Future for WakesItself {
        type Output = usize;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.polls += 1;
            if self.polls > self.times {
                return Poll::Ready(self.polls);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn poll_once<F: Future>(future: &mut Settled<F>, count: &Arc<Count>) -> Poll<F::Output> {
        let waker = Waker::from(count.clone());
        Pin::new(future).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn a_future_waking_itself_is_polled_again_without_the_runtime() {
        let count = Arc::new(Count::default());
        let mut settled = Settled::new(WakesItself { times: 3, polls: 0 });
        assert_eq!(poll_once(&mut settled, &count), Poll::Ready(4));
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            0,
            "the runtime was not woken"
        );
    }

    #[test]
    fn one_that_keeps_waking_itself_gives_the_runtime_a_turn() {
        let count = Arc::new(Count::default());
        let mut settled = Settled::new(WakesItself {
            times: usize::MAX,
            polls: 0,
        });
        assert_eq!(poll_once(&mut settled, &count), Poll::Pending);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "woken to be polled again"
        );
    }

    #[test]
    fn a_wake_after_the_poll_reaches_the_runtime() {
        // Pending without a wake; the waker it was given is woken later, from another
        // thread, as a socket or a timer would.
        struct Later(Option<Waker>);
        impl Future for Later {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                if self.0.is_some() {
                    return Poll::Ready(());
                }
                self.0 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
        let count = Arc::new(Count::default());
        let mut settled = Settled::new(Later(None));
        assert_eq!(poll_once(&mut settled, &count), Poll::Pending);
        let inner_waker = settled.inner.as_ref().get_ref().0.clone().unwrap();
        std::thread::spawn(move || inner_waker.wake())
            .join()
            .unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(poll_once(&mut settled, &count), Poll::Ready(()));
    }
}
