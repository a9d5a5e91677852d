//! What several server instances on one database share beyond the rows themselves: leases
//! (which instance polls a verification, with a fence against an instance that wakes up after
//! losing it), the change feed (a verification's id whenever its state changes, from
//! PostgreSQL's `LISTEN`/`NOTIFY`, or from the one SQLite instance itself), and the webhook
//! outbox.

use serde::Serialize;

use super::VerificationRow;

/// The `NOTIFY` channel of the change feed.
pub const CHANGES_CHANNEL: &str = "ciba_desk";
/// A state change is sent on the change feed as the verification's id, a line feed and the
/// new state's JSON, unless the JSON is longer than this (PostgreSQL takes 8000 bytes at most
/// in a notification): then as the id alone, and followers read the state.
pub const MAX_NOTIFIED_STATE: i32 = 7000;

/// A change on the feed: the verification's id, and its new state when it came along.
pub fn parse_change(payload: &str) -> (&str, Option<&str>) {
    match payload.split_once('\n') {
        Some((id, state)) => (id, Some(state)),
        None => (payload, None),
    }
}

/// Sent on the change feed when an instance hands its leases back: take them over now.
pub const LEASES_RELEASED: &str = "~leases";
/// Sent on the change feed, followed by a verification's id, when an agent asks to cancel it:
/// the instance polling it does.
pub const CANCEL_PREFIX: &str = "~cancel:";
/// Sent on the change feed after it was interrupted (the listening connection was lost):
/// changes may have been missed, so read again whatever you follow.
pub const FEED_RESUMED: &str = "~resumed";

/// An instance's hold on a verification. Every write it makes names it; the write is refused
/// (`LeaseLost`) once another instance has taken the verification over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    pub fence: i64,
}

/// A verification this instance has just taken over ([`Store::claim_expired`]).
///
/// [`Store::claim_expired`]: super::Store::claim_expired
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub verification: VerificationRow,
    pub lease: Lease,
    /// The instance that held it before (`None`: nobody, or a server of schema version 1).
    pub previous_owner: Option<String>,
    /// What the agent asked, sealed ([`crate::seal`]); `None` for verifications started
    /// before schema version 2.
    pub sealed_request: Option<String>,
    /// The provider's request id, sealed; `None` until the provider acknowledged the request.
    pub sealed_auth_req_id: Option<String>,
    pub expires_at_ms: Option<i64>,
    pub interval_ms: Option<i64>,
}

/// Where the provider's acknowledgement leaves a verification ([`Store::acknowledged`]).
///
/// [`Store::acknowledged`]: super::Store::acknowledged
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub sealed_auth_req_id: String,
    pub expires_at_ms: i64,
    pub interval_ms: i64,
}

/// A webhook delivery to queue with a final state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub url: String,
    /// The final state's name (`verified`, `mismatch`, …).
    pub event: String,
    /// The verification object as the API shows it, JSON.
    pub body: String,
}

/// A queued webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub verification_id: String,
    pub url: String,
    pub event: String,
    #[serde(skip)]
    pub body: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    pub attempts: i32,
    #[serde(skip)]
    pub created_at_ms: i64,
    #[serde(skip)]
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
}

/// How a delivery attempt went ([`Store::record_delivery`]).
///
/// [`Store::record_delivery`]: super::Store::record_delivery
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Delivered,
    /// Failed; try again at `next_attempt_ms`.
    Retry {
        next_attempt_ms: i64,
        error: String,
    },
    /// Failed for the last time.
    GaveUp {
        error: String,
    },
}

impl DeliveryResult {
    pub(super) fn columns(&self) -> (&'static str, Option<i64>, Option<&str>) {
        match self {
            DeliveryResult::Delivered => ("delivered", None, None),
            DeliveryResult::Retry {
                next_attempt_ms,
                error,
            } => ("pending", Some(*next_attempt_ms), Some(error)),
            DeliveryResult::GaveUp { error } => ("failed", None, Some(error)),
        }
    }
}
