//! The authentication requests the sandbox knows, in memory: their lifetimes, the polling
//! rules (`interval`, `slow_down`), the customer's decision and the one-time delivery.
//!
//! Every method takes the current time, so the rules are tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{AutoDecision, Decision};
use crate::persons::{Person, stand_in_for};

/// `expires_in` when the client sends no `requested_expiry`, in seconds.
pub const DEFAULT_EXPIRES_IN: u64 = 120;
/// The longest `requested_expiry` honoured, in seconds; longer requests are shortened.
pub const MAX_EXPIRES_IN: u64 = 600;
/// The polling interval the sandbox acknowledges.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// CIBA Core §11: after `slow_down` the interval grows by 5 s.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Tolerance for clients whose timers fire a little early.
const POLL_GRACE: Duration = Duration::from_millis(100);
/// How long a finished or expired request is remembered (for `expired_token`, the pickup
/// page and `invalid_grant` on a second delivery).
const KEEP_AFTER_EXPIRY: Duration = Duration::from_secs(300);
/// A bound on memory when a script loops.
const MAX_REQUESTS: usize = 1000;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Approved {
        auth_time: u64,
        /// Approved as another test person (the mismatch drill).
        stand_in: bool,
    },
    Denied,
    /// Withdrawn by the client before the customer answered: it can no longer be approved.
    Cancelled,
    /// Approved and the tokens handed out: the `auth_req_id` is used up.
    Delivered,
    /// Only in views: the request outlived `expires_in` undecided.
    Expired,
}

struct Entry {
    person: &'static Person,
    binding_message: Option<String>,
    created: Instant,
    created_unix: u64,
    expires_at: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    status: Status,
    auto: Option<AutoDecision>,
}

impl Entry {
    /// Applies an automatic decision that has come due.
    fn settle(&mut self, now: Instant) {
        let Some(auto) = self.auto else { return };
        let due = self.created + auto.after;
        if self.status == Status::Pending && due <= now && due < self.expires_at {
            self.status = decided(auto.decision, self.created_unix + auto.after.as_secs());
        }
    }

    fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }

    fn view(&self, id: &str, now: Instant) -> RequestView {
        let status = match self.status {
            Status::Pending | Status::Approved { .. } | Status::Denied if self.is_expired(now) => {
                Status::Expired
            }
            s => s,
        };
        RequestView {
            auth_req_id: id.to_owned(),
            person: self.person,
            binding_message: self.binding_message.clone(),
            expires_in: self.expires_at.saturating_duration_since(now),
            status,
        }
    }
}

/// A snapshot of one request, for pages and the control API.
#[derive(Debug, Clone)]
pub(crate) struct RequestView {
    pub(crate) auth_req_id: String,
    pub(crate) person: &'static Person,
    pub(crate) binding_message: Option<String>,
    pub(crate) expires_in: Duration,
    pub(crate) status: Status,
}

/// What the token endpoint answers to one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    Pending,
    SlowDown {
        interval: Duration,
    },
    Expired,
    Denied,
    /// The tokens may be issued now; the request is marked delivered.
    Approved {
        person: &'static Person,
        auth_time: u64,
    },
    /// Unknown, or already delivered once.
    InvalidGrant(&'static str),
}

/// Why a decision was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecideError {
    Unknown,
    Expired,
    AlreadyDecided(Status),
}

/// The sandbox is full (see `MAX_REQUESTS`).
#[derive(Debug)]
pub(crate) struct Full;

/// A new request, validated.
pub(crate) struct NewRequest {
    pub(crate) auth_req_id: String,
    pub(crate) person: &'static Person,
    pub(crate) binding_message: Option<String>,
    pub(crate) expires_in: Duration,
}

#[derive(Default)]
pub(crate) struct Requests {
    auto: Option<AutoDecision>,
    entries: Mutex<HashMap<String, Entry>>,
}

fn decided(decision: Decision, auth_time: u64) -> Status {
    match decision {
        Decision::Approve => Status::Approved {
            auth_time,
            stand_in: false,
        },
        Decision::Mismatch => Status::Approved {
            auth_time,
            stand_in: true,
        },
        Decision::Deny => Status::Denied,
    }
}

/// Whether a poll at `now` comes sooner than `interval` after the previous one.
pub(crate) fn polled_too_soon(
    last_poll: Option<Instant>,
    now: Instant,
    interval: Duration,
) -> bool {
    last_poll.is_some_and(|last| now.saturating_duration_since(last) + POLL_GRACE < interval)
}

/// `requested_expiry` as sent (positive integer seconds) → the `expires_in` granted.
pub(crate) fn granted_expiry(requested: Option<&str>) -> Result<Duration, &'static str> {
    let seconds = match requested {
        None => DEFAULT_EXPIRES_IN,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(0) | Err(_) => {
                return Err("requested_expiry must be a positive whole number of seconds");
            }
            Ok(n) => n.min(MAX_EXPIRES_IN),
        },
    };
    Ok(Duration::from_secs(seconds))
}

impl Requests {
    pub(crate) fn new(auto: Option<AutoDecision>) -> Self {
        Self {
            auto,
            entries: Mutex::default(),
        }
    }

    fn lock(&self, now: Instant) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // Nothing here panics while holding the lock; if it did, the map is still sound.
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| now < e.expires_at + KEEP_AFTER_EXPIRY);
        for entry in entries.values_mut() {
            entry.settle(now);
        }
        entries
    }

    pub(crate) fn insert(&self, new: NewRequest, now: Instant, unix_now: u64) -> Result<(), Full> {
        let mut entries = self.lock(now);
        if entries.len() >= MAX_REQUESTS {
            return Err(Full);
        }
        entries.insert(
            new.auth_req_id,
            Entry {
                person: new.person,
                binding_message: new.binding_message,
                created: now,
                created_unix: unix_now,
                expires_at: now + new.expires_in,
                interval: POLL_INTERVAL,
                last_poll: None,
                status: Status::Pending,
                auto: self.auto,
            },
        );
        Ok(())
    }

    /// One poll of the token endpoint (CIBA Core §11), in this order: unknown or used-up
    /// ids, expiry, polling too fast, then the customer's answer.
    pub(crate) fn poll(&self, id: &str, now: Instant) -> PollOutcome {
        let mut entries = self.lock(now);
        let Some(entry) = entries.get_mut(id) else {
            return PollOutcome::InvalidGrant("unknown auth_req_id");
        };
        if entry.status == Status::Delivered {
            return PollOutcome::InvalidGrant("this auth_req_id has already been used");
        }
        if entry.status == Status::Cancelled {
            return PollOutcome::InvalidGrant("the client withdrew this request");
        }
        if entry.is_expired(now) {
            return PollOutcome::Expired;
        }
        let too_soon = polled_too_soon(entry.last_poll, now, entry.interval);
        entry.last_poll = Some(now);
        if too_soon {
            entry.interval += SLOW_DOWN_STEP;
            return PollOutcome::SlowDown {
                interval: entry.interval,
            };
        }
        match entry.status {
            Status::Pending => PollOutcome::Pending,
            Status::Denied => PollOutcome::Denied,
            Status::Approved {
                auth_time,
                stand_in,
            } => {
                entry.status = Status::Delivered;
                PollOutcome::Approved {
                    person: if stand_in {
                        stand_in_for(entry.person)
                    } else {
                        entry.person
                    },
                    auth_time,
                }
            }
            Status::Delivered | Status::Expired | Status::Cancelled => {
                unreachable!("handled above")
            }
        }
    }

    /// The customer's answer (phone page, pickup link or control API).
    pub(crate) fn decide(
        &self,
        id: &str,
        decision: Decision,
        now: Instant,
        unix_now: u64,
    ) -> Result<&'static Person, DecideError> {
        let mut entries = self.lock(now);
        let entry = entries.get_mut(id).ok_or(DecideError::Unknown)?;
        if entry.status != Status::Pending {
            return Err(DecideError::AlreadyDecided(entry.status));
        }
        if entry.is_expired(now) {
            return Err(DecideError::Expired);
        }
        entry.status = decided(decision, unix_now);
        Ok(entry.person)
    }

    /// The client withdraws a request (MitID-style `DELETE`): nobody can approve it any more.
    /// Only the client that sent it knows its id.
    pub(crate) fn cancel(&self, id: &str, now: Instant) -> Result<(), DecideError> {
        let mut entries = self.lock(now);
        let entry = entries.get_mut(id).ok_or(DecideError::Unknown)?;
        match entry.status {
            Status::Pending | Status::Approved { .. } | Status::Denied => {
                entry.status = Status::Cancelled;
                Ok(())
            }
            Status::Cancelled => Ok(()),
            s => Err(DecideError::AlreadyDecided(s)),
        }
    }

    pub(crate) fn view(&self, id: &str, now: Instant) -> Option<RequestView> {
        self.lock(now).get(id).map(|e| e.view(id, now))
    }

    /// Requests waiting for the customer, oldest first.
    pub(crate) fn pending(&self, now: Instant) -> Vec<RequestView> {
        let entries = self.lock(now);
        let mut pending: Vec<(Instant, RequestView)> = entries
            .iter()
            .map(|(id, e)| (e.created, e.view(id, now)))
            .filter(|(_, v)| v.status == Status::Pending)
            .collect();
        pending.sort_by_key(|(created, _)| *created);
        pending.into_iter().map(|(_, v)| v).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persons::persons;

    const UNIX: u64 = 1_700_000_000;

    fn request(id: &str, expires_in: u64) -> NewRequest {
        NewRequest {
            auth_req_id: id.into(),
            person: &persons()[0],
            binding_message: Some("Hello".into()),
            expires_in: Duration::from_secs(expires_in),
        }
    }

    #[test]
    fn slow_down_rule() {
        let t0 = Instant::now();
        let two = Duration::from_secs(2);
        assert!(
            !polled_too_soon(None, t0, two),
            "the first poll is never too soon"
        );
        assert!(polled_too_soon(
            Some(t0),
            t0 + Duration::from_millis(500),
            two
        ));
        assert!(polled_too_soon(
            Some(t0),
            t0 + Duration::from_millis(1800),
            two
        ));
        assert!(!polled_too_soon(
            Some(t0),
            t0 + Duration::from_millis(1950),
            two
        ));
        assert!(!polled_too_soon(Some(t0), t0 + two, two));
    }

    #[test]
    fn polling_too_fast_slows_down_by_five_seconds_each_time() {
        let r = Requests::new(None);
        let t0 = Instant::now();
        r.insert(request("a", 120), t0, UNIX).unwrap();
        assert_eq!(r.poll("a", t0), PollOutcome::Pending);
        assert_eq!(
            r.poll("a", t0 + Duration::from_secs(1)),
            PollOutcome::SlowDown {
                interval: Duration::from_secs(7)
            }
        );
        // 2 s later is now too soon: the interval is 7 s.
        assert_eq!(
            r.poll("a", t0 + Duration::from_secs(3)),
            PollOutcome::SlowDown {
                interval: Duration::from_secs(12)
            }
        );
        assert_eq!(
            r.poll("a", t0 + Duration::from_secs(15)),
            PollOutcome::Pending
        );
    }

    #[test]
    fn a_mismatch_drill_delivers_someone_else_and_a_withdrawn_request_cannot_be_approved() {
        let r = Requests::new(None);
        let t0 = Instant::now();
        r.insert(request("m", 120), t0, UNIX).unwrap();
        let asked = r.decide("m", Decision::Mismatch, t0, UNIX + 1).unwrap();
        match r.poll("m", t0 + Duration::from_secs(2)) {
            PollOutcome::Approved { person, .. } => assert_ne!(person.sub, asked.sub),
            other => panic!("{other:?}"),
        }

        r.insert(request("c", 120), t0, UNIX).unwrap();
        r.cancel("c", t0).unwrap();
        assert_eq!(r.cancel("c", t0), Ok(()), "withdrawing twice is no error");
        assert_eq!(
            r.decide("c", Decision::Approve, t0, UNIX + 1),
            Err(DecideError::AlreadyDecided(Status::Cancelled))
        );
        assert!(r.pending(t0).iter().all(|v| v.auth_req_id != "c"));
        assert!(matches!(
            r.poll("c", t0 + Duration::from_secs(2)),
            PollOutcome::InvalidGrant(_)
        ));
        assert_eq!(r.cancel("nope", t0), Err(DecideError::Unknown));
    }

    #[test]
    fn approval_is_delivered_once() {
        let r = Requests::new(None);
        let t0 = Instant::now();
        r.insert(request("a", 120), t0, UNIX).unwrap();
        let person = r.decide("a", Decision::Approve, t0, UNIX + 5).unwrap();
        assert_eq!(person.sub, "sandbox-1");
        assert_eq!(
            r.decide("a", Decision::Deny, t0, UNIX + 6),
            Err(DecideError::AlreadyDecided(Status::Approved {
                auth_time: UNIX + 5,
                stand_in: false,
            }))
        );
        assert_eq!(
            r.poll("a", t0 + Duration::from_secs(2)),
            PollOutcome::Approved {
                person,
                auth_time: UNIX + 5
            }
        );
        assert!(matches!(
            r.poll("a", t0 + Duration::from_secs(4)),
            PollOutcome::InvalidGrant(_)
        ));
        assert!(matches!(r.poll("nope", t0), PollOutcome::InvalidGrant(_)));
    }

    #[test]
    fn denial_and_expiry() {
        let r = Requests::new(None);
        let t0 = Instant::now();
        r.insert(request("d", 120), t0, UNIX).unwrap();
        r.insert(request("e", 10), t0, UNIX).unwrap();
        r.decide("d", Decision::Deny, t0, UNIX).unwrap();
        assert_eq!(r.poll("d", t0), PollOutcome::Denied);
        let later = t0 + Duration::from_secs(10);
        assert_eq!(r.poll("e", later), PollOutcome::Expired);
        assert_eq!(
            r.decide("e", Decision::Approve, later, UNIX),
            Err(DecideError::Expired)
        );
        assert_eq!(r.view("e", later).unwrap().status, Status::Expired);
        assert_eq!(r.pending(later).len(), 0);
        // Forgotten a while after expiry.
        assert!(r.view("e", later + KEEP_AFTER_EXPIRY).is_none());
    }

    #[test]
    fn auto_decisions_come_due_after_the_delay() {
        let auto = AutoDecision {
            decision: Decision::Approve,
            after: Duration::from_secs(3),
        };
        let r = Requests::new(Some(auto));
        let t0 = Instant::now();
        r.insert(request("a", 120), t0, UNIX).unwrap();
        assert_eq!(
            r.poll("a", t0 + Duration::from_secs(2)),
            PollOutcome::Pending
        );
        assert_eq!(r.pending(t0 + Duration::from_secs(2)).len(), 1);
        assert!(matches!(
            r.poll("a", t0 + Duration::from_secs(4)),
            PollOutcome::Approved { auth_time, .. } if auth_time == UNIX + 3
        ));

        let deny_late = AutoDecision {
            decision: Decision::Deny,
            after: Duration::from_secs(30),
        };
        let r = Requests::new(Some(deny_late));
        r.insert(request("b", 10), t0, UNIX).unwrap();
        assert_eq!(
            r.poll("b", t0 + Duration::from_secs(31)),
            PollOutcome::Expired
        );
    }

    #[test]
    fn requested_expiry_is_checked_and_capped() {
        assert_eq!(granted_expiry(None), Ok(Duration::from_secs(120)));
        assert_eq!(granted_expiry(Some("30")), Ok(Duration::from_secs(30)));
        assert_eq!(granted_expiry(Some("3600")), Ok(Duration::from_secs(600)));
        for bad in ["0", "-5", "1.5", "soon"] {
            assert!(granted_expiry(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pending_lists_oldest_first() {
        let r = Requests::new(None);
        let t0 = Instant::now();
        r.insert(request("second", 120), t0 + Duration::from_secs(1), UNIX)
            .unwrap();
        r.insert(request("first", 120), t0, UNIX).unwrap();
        r.insert(request("done", 120), t0, UNIX).unwrap();
        r.decide("done", Decision::Deny, t0, UNIX).unwrap();
        let ids: Vec<_> = r
            .pending(t0 + Duration::from_secs(2))
            .into_iter()
            .map(|v| v.auth_req_id)
            .collect();
        assert_eq!(ids, ["first", "second"]);
    }
}
