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

/// One line of the session's history (newest first in the UI).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HistoryEntry {
    pub id: String,
    pub started_at_ms: u64,
    pub profile: String,
    pub masked_identity: String,
    pub outcome: &'static str,
    pub result: Option<UiIdentity>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UiPreferences {
    pub last_profile: Option<String>,
    pub language: Option<String>,
    pub theme: String,
}
