//! Waiting for the customer: polling the token endpoint (CIBA Core §7.3, §11), woken early by
//! a ping notification in ping mode. Shaped like oauth2-rs's device-code poller: the clock and
//! sleep are injected, `slow_down` adds 5 s for good, transport failures back off, and the
//! acknowledgement's `expires_in` is a hard deadline whatever the provider says.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Notify, watch};

use crate::error::{CibaError, Result};

/// CIBA Core §7.3: the interval to use when the acknowledgement has none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// CIBA Core §11: what `slow_down` adds, to this and every later wait.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The longest wait between retries after transport failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// In ping mode polling is only a fallback for a lost notification, so it is rarer.
pub const PING_FALLBACK_FACTOR: u32 = 3;

/// What the caller sees while the customer decides.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Waiting for the next poll (or for a ping).
    Waiting {
        remaining: Duration,
        next_poll_in: Duration,
    },
    /// The provider asked us to poll less often; `interval` is the new wait.
    SlowDown { interval: Duration },
    /// A transient failure; the next try is after `next_poll_in`.
    Retrying {
        code: &'static str,
        message: String,
        next_poll_in: Duration,
    },
    /// A ping notification arrived; fetching the result now.
    Pinged,
    /// Tokens arrived and are being verified.
    Verifying,
}

/// Cancels a verification from anywhere, or hands its polling over to another process;
/// cloned freely.
#[derive(Clone, Debug)]
pub struct CancelHandle {
    tx: Arc<watch::Sender<bool>>,
    handover: Arc<watch::Sender<bool>>,
}

impl Default for CancelHandle {
    fn default() -> Self {
        Self {
            tx: Arc::new(watch::channel(false).0),
            handover: Arc::new(watch::channel(false).0),
        }
    }
}

impl CancelHandle {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once `cancel` has been called (at once if it already was).
    pub async fn cancelled(&self) {
        let mut rx = self.tx.subscribe();
        // wait_for only fails if the sender is gone, and we hold it.
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Stops polling before the next poll, without withdrawing the request: another process
    /// goes on with it ([`CibaClient::resume`](crate::CibaClient::resume)). A poll already
    /// sent is answered first, so no answer is thrown away.
    pub fn hand_over(&self) {
        self.handover.send_replace(true);
    }

    /// Resolves once `hand_over` has been called.
    pub async fn handed_over(&self) {
        let mut rx = self.handover.subscribe();
        let _ = rx.wait_for(|h| *h).await;
    }
}

/// Accepts ping notifications (CIBA Core §10.2) for one request: checks the bearer token and
/// the `auth_req_id`, then wakes the waiting verification so it fetches the token at once.
#[derive(Clone)]
pub struct PingGate {
    pub(crate) token: SecretString,
    pub(crate) auth_req_id: SecretString,
    pub(crate) notify: Arc<Notify>,
}

impl std::fmt::Debug for PingGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PingGate([redacted])")
    }
}

impl PingGate {
    /// `bearer` is the token from the notification's `Authorization: Bearer` header and
    /// `body` the notification's JSON body.
    pub fn accept(&self, bearer: &str, body: &[u8]) -> Result<()> {
        if !constant_time_eq(bearer.as_bytes(), self.token.expose_secret().as_bytes()) {
            return Err(CibaError::PingRefused("wrong bearer token"));
        }
        let id = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                v.get("auth_req_id")
                    .and_then(|i| i.as_str())
                    .map(str::to_owned)
            })
            .ok_or(CibaError::PingRefused("the body has no auth_req_id"))?;
        if !constant_time_eq(id.as_bytes(), self.auth_req_id.expose_secret().as_bytes()) {
            return Err(CibaError::PingRefused("unknown auth_req_id"));
        }
        self.notify.notify_one();
        Ok(())
    }

    pub fn auth_req_id(&self) -> &SecretString {
        &self.auth_req_id
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The wait before the next poll, after `failures` consecutive transient failures.
pub(crate) fn next_wait(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        interval
    } else {
        interval
            .saturating_mul(2u32.saturating_pow(failures.min(16)))
            .min(MAX_BACKOFF)
            .max(interval)
    }
}

/// The poller's state between polls; pure, so its rules can be tested without a network.
#[derive(Debug)]
pub(crate) struct Schedule {
    pub deadline: Instant,
    pub interval: Duration,
    pub failures: u32,
}

impl Schedule {
    pub fn new(start: Instant, expires_in: Duration, interval: Option<Duration>) -> Self {
        Self {
            deadline: start + expires_in,
            interval: interval.unwrap_or(DEFAULT_INTERVAL),
            failures: 0,
        }
    }

    /// How long to wait from `now`, or `None` once the deadline has passed.
    pub fn wait_from(&self, now: Instant, ping_mode: bool) -> Option<Duration> {
        let remaining = self
            .deadline
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())?;
        let base = if ping_mode {
            self.interval * PING_FALLBACK_FACTOR
        } else {
            self.interval
        };
        Some(next_wait(base, self.failures).min(remaining))
    }

    pub fn slow_down(&mut self) {
        self.interval += SLOW_DOWN_STEP;
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let i = Duration::from_secs(5);
        assert_eq!(next_wait(i, 0), i);
        assert_eq!(next_wait(i, 1), Duration::from_secs(10));
        assert_eq!(next_wait(i, 2), Duration::from_secs(20));
        assert_eq!(next_wait(i, 9), MAX_BACKOFF);
        assert_eq!(
            next_wait(Duration::from_secs(90), 3),
            Duration::from_secs(90)
        );
    }

    #[test]
    fn schedule_defaults_and_stops_at_the_deadline() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, Duration::from_secs(12), None);
        assert_eq!(s.wait_from(t0, false), Some(Duration::from_secs(5)));
        s.slow_down();
        assert_eq!(s.wait_from(t0, false), Some(Duration::from_secs(10)));
        assert_eq!(
            s.wait_from(t0 + Duration::from_secs(8), false),
            Some(Duration::from_secs(4))
        );
        assert_eq!(s.wait_from(t0 + Duration::from_secs(12), false), None);
    }

    #[tokio::test]
    async fn cancel_resolves_waiters_even_when_already_cancelled() {
        let c = CancelHandle::new();
        let c2 = c.clone();
        let waiter = tokio::spawn(async move { c2.cancelled().await });
        c.cancel();
        waiter.await.unwrap();
        c.cancelled().await;
        assert!(c.is_cancelled());
    }

    #[test]
    fn ping_gate_checks_token_and_id() {
        let g = PingGate {
            token: SecretString::from("tok"),
            auth_req_id: SecretString::from("req-1"),
            notify: Arc::new(Notify::new()),
        };
        assert!(g.accept("tok", br#"{"auth_req_id":"req-1"}"#).is_ok());
        assert!(g.accept("tok2", br#"{"auth_req_id":"req-1"}"#).is_err());
        assert!(g.accept("tok", br#"{"auth_req_id":"req-2"}"#).is_err());
        assert!(g.accept("tok", b"<html>").is_err());
    }
}
