//! Time, injected. The poller and the token verifier ask a `Clock` for the time and for sleeps,
//! so tests of `slow_down`, deadlines and expiry run in milliseconds instead of minutes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What [`Clock::sleep`] returns: a future that completes when the time is up.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync {
    /// Monotonic time, for deadlines and intervals.
    fn now(&self) -> Instant;
    /// Wall-clock time in Unix seconds, for token lifetimes.
    fn unix_time(&self) -> u64;
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn unix_time(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that only moves when somebody sleeps on it, and remembers every sleep. For tests,
/// here and in the crates built on this one.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    unix_start: u64,
    state: Mutex<ManualState>,
}

#[derive(Debug, Default)]
struct ManualState {
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    pub fn new(unix_start: u64) -> Self {
        Self {
            start: Instant::now(),
            unix_start,
            state: Mutex::default(),
        }
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state.lock().unwrap().sleeps.clone()
    }

    pub fn advance(&self, d: Duration) {
        self.state.lock().unwrap().elapsed += d;
    }

    pub fn elapsed(&self) -> Duration {
        self.state.lock().unwrap().elapsed
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
    fn unix_time(&self) -> u64 {
        self.unix_start + self.elapsed().as_secs()
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        let mut s = self.state.lock().unwrap();
        s.elapsed += duration;
        s.sleeps.push(duration);
        // Yield once, so a cancellation racing the sleep still gets its turn.
        Box::pin(tokio::task::yield_now())
    }
}
