//! What the page receives: summaries of profiles, checks of the agent's input, and one event per
//! verification state. Built from the desk's types; never a secret, token or full national ID.

use desk::{
    IdentityInput, IdentityMatch, MessageRequirement, Profile, ProviderKind, VerificationEvent,
    VerificationState, VerifiedIdentity,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BindingMessageSummary {
    pub max_chars: usize,
    pub requirement: &'static str,
    pub forbidden_reason: Option<String>,
    pub generate_when_empty: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProfileSummary {
    pub name: String,
    pub provider: ProviderKind,
    pub display_name: String,
    pub issuer: String,
    pub is_sandbox: bool,
    pub identity_kind: &'static str,
    pub countries: Vec<String>,
    pub binding_message: BindingMessageSummary,
    pub call_initiator: bool,
    pub pickup: bool,
    pub secret_status: &'static str,
}

/// `secret_status` comes from the keyring, so the caller looks it up.
pub fn profile_summary(p: &Profile, secret_status: &'static str) -> ProfileSummary {
    let first = p.inputs.first();
    let identity_kind = match first {
        Some(IdentityInput::NationalId { .. }) => "national_id",
        Some(IdentityInput::Email) => "email",
        Some(IdentityInput::MobileId) => "mobileid",
        Some(IdentityInput::UserId { .. }) | None => "user_id",
    };
    let countries = p
        .inputs
        .iter()
        .filter_map(|i| match i {
            IdentityInput::NationalId { countries } => {
                Some(countries.iter().map(|c| c.code().to_owned()))
            }
            _ => None,
        })
        .flatten()
        .collect();
    let rules = &p.binding_message;
    let (requirement, forbidden_reason) = match &rules.requirement {
        MessageRequirement::Required => ("required", None),
        MessageRequirement::Optional => ("optional", None),
        MessageRequirement::Forbidden { reason } => ("forbidden", Some(reason.clone())),
    };
    ProfileSummary {
        name: p.name.clone(),
        provider: p.provider,
        display_name: if p.description.is_empty() {
            p.name.clone()
        } else {
            p.description.clone()
        },
        issuer: p.issuer.clone(),
        is_sandbox: p.is_sandbox,
        identity_kind,
        countries,
        binding_message: BindingMessageSummary {
            max_chars: rules.max_chars,
            requirement,
            forbidden_reason,
            generate_when_empty: rules.generate_when_empty,
        },
        call_initiator: p.phone_auth.is_some(),
        pickup: p.customer_link.is_some(),
        secret_status,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PresetSummary {
    pub id: String,
    pub display_name: String,
    pub provider: ProviderKind,
    pub needs: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IdentityCheck {
    pub ok: bool,
    pub kind: Option<String>,
    pub masked: Option<String>,
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BindingMessageCheck {
    pub ok: bool,
    pub error: Option<String>,
    pub chars: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VerificationRequest {
    pub profile: String,
    pub identity: String,
    pub binding_message: Option<String>,
    pub call_initiator: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UiIdentity {
    pub display_name: Option<String>,
    pub national_id_masked: Option<String>,
    pub date_of_birth: Option<String>,
    pub age: Option<u32>,
    pub provider: ProviderKind,
    pub profile: String,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub idp: Option<String>,
    pub auth_time_ms: Option<u64>,
    pub transaction_id: Option<String>,
    pub is_sandbox: bool,
}

impl UiIdentity {
    pub fn from_verified(v: &VerifiedIdentity, today: identity::Date) -> Self {
        let age = v
            .date_of_birth
            .as_deref()
            .and_then(|d| d.parse::<identity::Date>().ok())
            .and_then(|born| born.whole_years_until(today));
        Self {
            display_name: v.display_name.clone(),
            national_id_masked: v.national_id_masked(),
            date_of_birth: v.date_of_birth.clone(),
            age,
            provider: v.provider.kind,
            profile: v.provider.profile.clone(),
            acr: v.method.acr.clone(),
            amr: v.method.amr.clone(),
            idp: v.method.idp.clone(),
            auth_time_ms: v.auth_time.map(|t| t * 1000),
            transaction_id: v.transaction_id.clone(),
            is_sandbox: v.is_sandbox,
        }
    }
}

/// One verification state for the page (the contract in `ui/src/api/types.ts`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UiEvent {
    Requesting {
        id: String,
    },
    Waiting {
        id: String,
        expires_at_ms: u64,
        interval_s: u64,
        word_pair: Option<String>,
        customer_link: Option<String>,
        qr_svg: Option<String>,
    },
    Verified {
        id: String,
        identity: UiIdentity,
        #[serde(rename = "match")]
        identity_match: &'static str,
        match_summary: String,
    },
    Denied {
        id: String,
        message: String,
    },
    Expired {
        id: String,
        message: String,
    },
    Failed {
        id: String,
        code: String,
        message: String,
    },
    Cancelled {
        id: String,
    },
    /// Not a state: sent just before the final event when its audit record could not be
    /// written, so the agent knows and can tell the administrator.
    AuditFailed {
        id: String,
        message: String,
    },
}

pub fn match_word(m: &IdentityMatch) -> &'static str {
    match m {
        IdentityMatch::Match { .. } => "match",
        IdentityMatch::Mismatch { .. } => "mismatch",
        IdentityMatch::NotComparable { .. } => "not_comparable",
    }
}

impl UiEvent {
    pub fn from_desk(e: &VerificationEvent, today: identity::Date) -> Self {
        let id = e.id.0.to_string();
        match &e.state {
            VerificationState::Requesting { .. } => UiEvent::Requesting { id },
            VerificationState::WaitingForUser {
                expires_at,
                interval,
                word_pair,
                customer_link,
                qr_svg,
            } => UiEvent::Waiting {
                id,
                expires_at_ms: *expires_at,
                interval_s: *interval,
                word_pair: word_pair.clone(),
                customer_link: customer_link.clone(),
                qr_svg: qr_svg.clone(),
            },
            VerificationState::Verified {
                identity,
                identity_match,
            } => UiEvent::Verified {
                id,
                identity: UiIdentity::from_verified(identity, today),
                identity_match: match_word(identity_match),
                match_summary: identity_match.summary(),
            },
            VerificationState::Denied { message } => UiEvent::Denied {
                id,
                message: message.clone(),
            },
            VerificationState::Expired { message } => UiEvent::Expired {
                id,
                message: message.clone(),
            },
            VerificationState::Failed { code, message } => UiEvent::Failed {
                id,
                code: code.clone(),
                message: message.clone(),
            },
            VerificationState::Cancelled { .. } => UiEvent::Cancelled { id },
        }
    }
}

/// What this run remembers of a finished verification beyond its audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionResult {
    pub verification_id: String,
    pub result: Option<UiIdentity>,
    pub identity_match: Option<&'static str>,
    pub error: Option<String>,
}

impl SessionResult {
    pub fn from_final(e: &VerificationEvent, today: identity::Date) -> Self {
        let id = e.id.0.to_string();
        let (result, identity_match, error) = match &e.state {
            VerificationState::Verified {
                identity,
                identity_match,
            } => (
                Some(UiIdentity::from_verified(identity, today)),
                Some(match_word(identity_match)),
                None,
            ),
            VerificationState::Denied { message }
            | VerificationState::Expired { message }
            | VerificationState::Failed { message, .. } => (None, None, Some(message.clone())),
            _ => (None, None, None),
        };
        Self {
            verification_id: id,
            result,
            identity_match,
            error,
        }
    }
}

/// One line of the History view: an audit record (newest first), with this run's result card
/// when the verification ran in this window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HistoryEntry {
    pub id: String,
    pub seq: u64,
    pub started_at_ms: u64,
    pub recorded_at_ms: u64,
    pub duration_ms: Option<u64>,
    pub profile: String,
    pub issuer: String,
    pub identifier_kind: String,
    pub masked_identity: String,
    pub subject_name: Option<String>,
    pub binding_message: String,
    pub outcome: &'static str,
    pub acr: Option<String>,
    pub transaction_id: Option<String>,
    pub error_code: Option<String>,
    pub os_user: String,
    pub workstation: String,
    pub verification_id: Option<String>,
    pub result: Option<UiIdentity>,
    #[serde(rename = "match")]
    pub identity_match: Option<&'static str>,
    pub error: Option<String>,
}

impl HistoryEntry {
    /// `None` for the log's own retention records, which are not verifications.
    pub fn from_record(r: &audit::Record, session: Option<SessionResult>) -> Option<Self> {
        if r.outcome == audit::Outcome::RetentionPurge {
            return None;
        }
        let recorded_at_ms = r.unix_ms().unwrap_or(0);
        let session = session.unwrap_or(SessionResult {
            verification_id: String::new(),
            result: None,
            identity_match: None,
            error: None,
        });
        let identity_match = session.identity_match.or(match r.outcome {
            audit::Outcome::Mismatch => Some("mismatch"),
            _ => None,
        });
        Some(Self {
            id: r.seq.to_string(),
            seq: r.seq,
            started_at_ms: recorded_at_ms.saturating_sub(r.duration_ms.unwrap_or(0)),
            recorded_at_ms,
            duration_ms: r.duration_ms,
            profile: r.profile.clone(),
            issuer: r.issuer.clone(),
            identifier_kind: r.identifier_kind.clone(),
            masked_identity: r.identifier_masked.clone(),
            subject_name: r.subject_name.clone(),
            binding_message: r.binding_message.clone(),
            outcome: r.outcome.as_str(),
            acr: r.acr.clone(),
            transaction_id: r.transaction_id.clone(),
            error_code: r.error_code.clone(),
            os_user: r.os_user.clone(),
            workstation: r.workstation.clone(),
            verification_id: Some(session.verification_id).filter(|v| !v.is_empty()),
            result: session.result,
            identity_match,
            error: session.error,
        })
    }
}

/// The audit log's health, for the History view's header.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditStatus {
    pub path: String,
    pub records: u64,
    pub intact: bool,
    pub problem: Option<String>,
    pub keyed: bool,
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UiPreferences {
    pub last_profile: Option<String>,
    pub language: Option<String>,
    pub theme: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, outcome: audit::Outcome) -> audit::Record {
        audit::Record {
            seq,
            time: "2026-11-21T10:00:05.000Z".into(),
            os_user: "agent".into(),
            workstation: "desk-01".into(),
            profile: "sandbox".into(),
            issuer: "http://127.0.0.1:7878".into(),
            identifier_kind: "national_id".into(),
            identifier_masked: "19121212-XXXX".into(),
            id_hash: "ab".repeat(32),
            subject_name: None,
            binding_message: "Counter 3".into(),
            outcome,
            acr: None,
            transaction_id: None,
            error_code: None,
            duration_ms: Some(5_000),
            purge: None,
            prev_hash: audit::GENESIS_HASH.into(),
            hash: "cd".repeat(32),
        }
    }

    #[test]
    fn retention_records_are_not_history() {
        assert!(
            HistoryEntry::from_record(&record(1, audit::Outcome::RetentionPurge), None).is_none()
        );
    }

    #[test]
    fn times_come_from_the_record_and_its_duration() {
        let e = HistoryEntry::from_record(&record(3, audit::Outcome::Denied), None).unwrap();
        assert_eq!(e.recorded_at_ms, 1_795_255_205_000);
        assert_eq!(e.started_at_ms, 1_795_255_200_000);
        assert_eq!((e.id.as_str(), e.outcome), ("3", "denied"));
        assert_eq!(e.verification_id, None);
    }

    #[test]
    fn this_runs_result_card_joins_its_record() {
        let session = SessionResult {
            verification_id: "7".into(),
            result: None,
            identity_match: Some("not_comparable"),
            error: Some("The customer declined.".into()),
        };
        let e =
            HistoryEntry::from_record(&record(4, audit::Outcome::Verified), Some(session)).unwrap();
        assert_eq!(e.verification_id.as_deref(), Some("7"));
        assert_eq!(e.identity_match, Some("not_comparable"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["match"], "not_comparable");
        // A mismatch is known from the log alone.
        let e = HistoryEntry::from_record(&record(5, audit::Outcome::Mismatch), None).unwrap();
        assert_eq!(e.identity_match, Some("mismatch"));
    }
}
