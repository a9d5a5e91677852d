//! What a verification reports while it runs: its id, its state machine
//! (`Requesting → WaitingForUser → Verified | Denied | Expired | Failed | Cancelled`) and the
//! event that carries each transition, plus the one [`Outcome`] every shell derives its own
//! words from (exit codes, UI badges, audit outcomes, webhooks).
//!
//! Events carry no secret and no token. The one provider value they carry is the customer
//! link of profiles that have one (Authway pickup), which by design contains the
//! `auth_req_id` so the customer can open it; without the client's credentials it fetches
//! nothing.
//!
//! This module sits below the session runner, the audit trail and the application layer:
//! it uses the data types it carries and nothing that could use it back.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{DeskError, ErrorReport, FailureKind};
use crate::input::ExpectedIdentity;
use crate::profile::{CallInitiator, ProviderKind};
use crate::verified::{IdentityMatch, VerifiedIdentity};

/// A verification's id, unique within one desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VerificationId(pub u64);

impl fmt::Display for VerificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a verification is.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VerificationState {
    /// Input accepted; talking to the provider.
    Requesting {
        expected: ExpectedIdentity,
        /// What the customer will see in their app (typed or generated): read it aloud.
        binding_message: Option<String>,
        binding_message_generated: bool,
        call_initiator: Option<CallInitiator>,
        /// Things to double-check with the customer.
        warnings: Vec<ErrorReport>,
    },
    /// The provider has the request; the customer is being asked. Sent again when the
    /// provider asks for slower polling.
    WaitingForUser {
        /// Unix milliseconds when the provider stops waiting.
        expires_at: u64,
        /// Seconds between polls.
        interval: u64,
        /// A word pair to read aloud (Idura's Norwegian BankID).
        word_pair: Option<String>,
        /// The link the customer opens (Authway pickup).
        customer_link: Option<String>,
        /// `customer_link` as an SVG QR code.
        qr_svg: Option<String>,
    },
    Verified {
        identity: Box<VerifiedIdentity>,
        identity_match: IdentityMatch,
    },
    /// The customer declined (or the provider refused on their behalf).
    Denied { error: ErrorReport },
    /// Nobody answered in time.
    Expired { error: ErrorReport },
    Failed {
        kind: FailureKind,
        error: ErrorReport,
    },
    Cancelled {
        /// Whether the provider confirmed the cancel call (only profiles with one).
        provider_notified: bool,
    },
}

/// How a verification ended: the one word every shell maps to its own (exit code, badge,
/// audit outcome, webhook event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Verified,
    /// Verified, but the person who approved is not the one the agent asked for.
    Mismatch,
    Denied,
    Expired,
    Cancelled,
    Failed(FailureKind),
}

impl Outcome {
    /// The word scripts and the audit log use: `verified`, `mismatch`, `denied`, `expired`,
    /// `cancelled`, or for failures `rejected` (a bad ID token) and `failed`.
    pub fn status_word(self) -> &'static str {
        match self {
            Outcome::Verified => "verified",
            Outcome::Mismatch => "mismatch",
            Outcome::Denied => "denied",
            Outcome::Expired => "expired",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed(FailureKind::Rejected) => "rejected",
            Outcome::Failed(_) => "failed",
        }
    }
}

impl VerificationState {
    pub fn is_final(&self) -> bool {
        self.outcome().is_some()
    }

    /// How it ended; `None` while it runs.
    pub fn outcome(&self) -> Option<Outcome> {
        Some(match self {
            VerificationState::Requesting { .. } | VerificationState::WaitingForUser { .. } => {
                return None;
            }
            VerificationState::Verified { identity_match, .. } => {
                if identity_match.is_mismatch() {
                    Outcome::Mismatch
                } else {
                    Outcome::Verified
                }
            }
            VerificationState::Denied { .. } => Outcome::Denied,
            VerificationState::Expired { .. } => Outcome::Expired,
            VerificationState::Cancelled { .. } => Outcome::Cancelled,
            VerificationState::Failed { kind, .. } => Outcome::Failed(*kind),
        })
    }

    /// The final state of a verification that `e` ended.
    pub fn ended_by(e: &DeskError) -> Self {
        match e {
            DeskError::Ciba(c) => match c.class() {
                ciba::ErrorClass::Denied => VerificationState::Denied { error: e.report() },
                ciba::ErrorClass::Expired => VerificationState::Expired { error: e.report() },
                ciba::ErrorClass::Cancelled => VerificationState::Cancelled {
                    provider_notified: false,
                },
                _ => VerificationState::Failed {
                    kind: e.failure_kind(),
                    error: e.report(),
                },
            },
            _ => VerificationState::Failed {
                kind: e.failure_kind(),
                error: e.report(),
            },
        }
    }

    /// The error of a verification that did not verify, if it has one.
    pub fn error(&self) -> Option<&ErrorReport> {
        match self {
            VerificationState::Denied { error }
            | VerificationState::Expired { error }
            | VerificationState::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            VerificationState::Requesting { .. } => "requesting",
            VerificationState::WaitingForUser { .. } => "waiting_for_user",
            VerificationState::Verified { .. } => "verified",
            VerificationState::Denied { .. } => "denied",
            VerificationState::Expired { .. } => "expired",
            VerificationState::Failed { .. } => "failed",
            VerificationState::Cancelled { .. } => "cancelled",
        }
    }
}

/// What a final state says about how the verification ended, read back from the JSON a
/// server sent: enough for the same exit code, status word and identity match as a local run.
#[derive(Debug, Clone, Deserialize)]
pub struct FinalSummary {
    pub state: String,
    #[serde(default)]
    pub identity_match: Option<IdentityMatch>,
    #[serde(default)]
    pub kind: Option<FailureKind>,
    #[serde(default)]
    pub error: Option<ErrorReport>,
    #[serde(default)]
    pub provider_notified: Option<bool>,
}

impl FinalSummary {
    /// How it ended; `None` while it runs (or for a state this version does not know).
    pub fn outcome(&self) -> Option<Outcome> {
        Some(match self.state.as_str() {
            "verified" => match &self.identity_match {
                Some(m) if m.is_mismatch() => Outcome::Mismatch,
                _ => Outcome::Verified,
            },
            "denied" => Outcome::Denied,
            "expired" => Outcome::Expired,
            "cancelled" => Outcome::Cancelled,
            "failed" => Outcome::Failed(self.kind.unwrap_or(FailureKind::Provider)),
            _ => return None,
        })
    }
}

/// What became of a verification's audit record; carried by its final event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AuditEntry {
    Recorded {
        seq: u64,
    },
    /// The record could not be written; the message says why and what to do.
    NotRecorded {
        code: &'static str,
        message: String,
    },
}

/// One transition of one verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationEvent {
    pub id: VerificationId,
    pub profile: String,
    pub provider: ProviderKind,
    pub is_sandbox: bool,
    /// Unix milliseconds.
    pub at: u64,
    #[serde(flatten)]
    pub state: VerificationState,
    /// On the final event of a desk that keeps an audit trail: the record written (or why
    /// not). The record is written before this event is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verified::MatchBasis;

    /// Every final state, written as JSON (as a server sends it) and read back, ends the same.
    #[test]
    fn final_states_read_back_from_json_end_the_same() {
        let e = |code: &str| ErrorReport::new(code, "x");
        let states = [
            VerificationState::Denied {
                error: e("access_denied"),
            },
            VerificationState::Expired {
                error: e("expired"),
            },
            VerificationState::Cancelled {
                provider_notified: true,
            },
            VerificationState::Failed {
                kind: FailureKind::Rejected,
                error: e("id_token_rejected"),
            },
            VerificationState::Failed {
                kind: FailureKind::Configuration,
                error: e("invalid_client"),
            },
        ];
        for s in states {
            let json = serde_json::to_value(&s).unwrap();
            let back: FinalSummary = serde_json::from_value(json).unwrap();
            assert_eq!(back.outcome(), s.outcome(), "{s:?}");
        }
        let m: FinalSummary = serde_json::from_value(serde_json::json!({
            "state": "verified",
            "identity_match": {"result": "mismatch", "on": "national_id"}
        }))
        .unwrap();
        assert_eq!(m.outcome(), Some(Outcome::Mismatch));
        assert_eq!(
            m.identity_match,
            Some(IdentityMatch::Mismatch {
                on: MatchBasis::NationalId
            })
        );
        let running: FinalSummary =
            serde_json::from_value(serde_json::json!({"state": "waiting_for_user"})).unwrap();
        assert_eq!(running.outcome(), None);
    }
}
