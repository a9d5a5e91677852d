//! What a screen receives: summaries of profiles, checks of the agent's input, one update per
//! verification state, History rows. Built from the desk's types; never a secret, a token or
//! a full national ID. The page's TypeScript types are generated from these
//! (`tests/bindings.rs`), so the two cannot drift apart.

use identity::{Country, IdKind, MessageRequirement};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorReport;
use crate::events::{VerificationEvent, VerificationState};
use crate::presets::Preset;
use crate::profile::{CallInitiator, IdentityInput, InputKind, Profile, ProviderKind, SecretRef};
use crate::settings::Policy;
use crate::verified::{IdentityMatch, VerifiedIdentity};

/// Whether a profile's secret is where the desk will look for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretStatus {
    Stored,
    Missing,
    /// Stored for another issuer, client id or address (the profile changed since, or it
    /// names another profile's entry): not used until it is entered again.
    Outdated,
    /// A public credential, or a profile that needs none.
    NotNeeded,
    /// No OS keyring answered, so nobody can tell.
    NoKeyring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Optional,
    Forbidden,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BindingMessageSummary {
    pub max_chars: usize,
    pub requirement: Requirement,
    /// What to do instead, when forbidden (English; see `forbidden_code`).
    pub forbidden_reason: Option<String>,
    /// The reason's code, when it is one CIBA Desk knows (`word_pair`: the provider shows a
    /// word pair to read aloud instead).
    pub forbidden_code: Option<String>,
    pub generate_when_empty: bool,
}

/// Also what the organisation's server lists, read back by the desktop in server mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProfileSummary {
    /// An identifier (the command line names profiles by it): never translated.
    pub name: String,
    pub provider: ProviderKind,
    /// What agents see everywhere: the administrator's short title, by default the preset's
    /// provider and method.
    pub title: String,
    /// The profile's description, or its name.
    pub display_name: String,
    /// The preset whose description the profile still carries, so a screen can show that
    /// description in the agent's language.
    pub preset: Option<String>,
    pub issuer: String,
    pub is_sandbox: bool,
    pub identity_kind: IdentityKind,
    pub countries: Vec<Country>,
    pub binding_message: BindingMessageSummary,
    pub call_initiator: bool,
    pub pickup: bool,
    pub secret_status: SecretStatus,
    /// A mutual-TLS profile that signs its requests: whether its request-signing key is stored
    /// (`not_needed` for every other profile).
    pub request_key_status: SecretStatus,
    /// Given by the administrator's policy file: agents cannot edit or remove it.
    pub managed: bool,
    /// What Settings shows for editing (never a secret).
    pub client_id: String,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt`, `tls_client_auth` or
    /// `self_signed_tls_client_auth`.
    pub auth_method: String,
    pub key_id: Option<String>,
    pub requested_expiry: Option<u32>,
    pub signed_requests: bool,
    pub fapi: bool,
    /// The provider's own certificate authorities (PEM certificates: public, not secret).
    pub ca_certificates: Option<String>,
    /// Why a verification with this profile cannot start now (the sandbox's port held by
    /// another program), for a notice before the agent types anything.
    pub problem: Option<ErrorReport>,
}

/// How a profile's form names the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    NationalId,
    UserId,
    Email,
    Mobileid,
}

impl From<InputKind> for IdentityKind {
    fn from(k: InputKind) -> Self {
        match k {
            InputKind::NationalId => IdentityKind::NationalId,
            InputKind::UserId | InputKind::ProviderHint => IdentityKind::UserId,
            InputKind::Email => IdentityKind::Email,
            InputKind::MobileId => IdentityKind::Mobileid,
        }
    }
}

impl ProfileSummary {
    pub fn new(p: &Profile, secret_status: SecretStatus) -> Self {
        let identity_kind = p
            .inputs
            .first()
            .map_or(IdentityKind::UserId, |i| i.kind().into());
        let countries = p
            .inputs
            .iter()
            .filter_map(|i| match i {
                IdentityInput::NationalId { countries } => Some(countries.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        let rules = &p.binding_message;
        let (requirement, forbidden_reason) = match &rules.requirement {
            MessageRequirement::Required => (Requirement::Required, None),
            MessageRequirement::Optional => (Requirement::Optional, None),
            MessageRequirement::Forbidden { reason } => {
                (Requirement::Forbidden, Some(reason.clone()))
            }
        };
        let forbidden_code = forbidden_reason
            .as_ref()
            .filter(|_| p.ack_word_pair_field.is_some())
            .map(|_| "word_pair".to_owned());
        ProfileSummary {
            name: p.name.clone(),
            title: p.shown_title(),
            provider: p.provider,
            display_name: if p.description.is_empty() {
                p.name.clone()
            } else {
                p.description.clone()
            },
            preset: crate::presets::described_by(p).map(|preset| preset.id.to_owned()),
            issuer: p.issuer.clone(),
            is_sandbox: p.is_sandbox,
            identity_kind,
            countries,
            binding_message: BindingMessageSummary {
                max_chars: rules.max_chars,
                requirement,
                forbidden_reason,
                forbidden_code,
                generate_when_empty: rules.generate_when_empty,
            },
            call_initiator: p.phone_auth.is_some(),
            pickup: p.customer_link.is_some(),
            secret_status,
            request_key_status: SecretStatus::NotNeeded,
            managed: false,
            client_id: p.client_id.clone(),
            auth_method: p.auth_method.as_str().to_owned(),
            key_id: p.key_id.clone(),
            requested_expiry: p.requested_expiry,
            signed_requests: p.signed_requests,
            fapi: p.fapi,
            ca_certificates: p.ca_certificates.clone(),
            problem: None,
        }
    }
}

/// What a new profile from a preset still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PresetNeed {
    Issuer,
    ClientId,
    Secret,
    PrivateKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PresetSummary {
    pub id: String,
    /// English; screens translate by `id`.
    pub display_name: String,
    pub provider: ProviderKind,
    pub needs: Vec<PresetNeed>,
}

impl From<&Preset> for PresetSummary {
    fn from(p: &Preset) -> Self {
        Self {
            id: p.id.into(),
            display_name: p.title.into(),
            provider: p.profile.provider,
            needs: needs(&p.profile),
        }
    }
}

/// What a profile made from a preset still needs from the administrator.
fn needs(p: &Profile) -> Vec<PresetNeed> {
    let holes: Vec<&str> = p.placeholders().iter().map(|h| h.field).collect();
    let mut needs = vec![];
    if holes.contains(&"issuer") {
        needs.push(PresetNeed::Issuer);
    }
    if holes.contains(&"client id") {
        needs.push(PresetNeed::ClientId);
    }
    match (p.auth_method, &p.secret) {
        (_, Some(SecretRef::Public(_))) => {}
        (ciba::AuthMethod::PrivateKeyJwt, _) => needs.push(PresetNeed::PrivateKey),
        _ => needs.push(PresetNeed::Secret),
    }
    needs
}

/// The live check of the identity field.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct IdentityCheck {
    pub ok: bool,
    /// Which kind of national ID number, when it is one.
    pub kind: Option<IdKind>,
    pub masked: Option<String>,
    pub warnings: Vec<ErrorReport>,
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BindingMessageCheck {
    pub ok: bool,
    pub error: Option<ErrorReport>,
    pub chars: usize,
}

/// What the page sends to start a verification.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct VerificationRequest {
    pub profile: String,
    /// For national ID profiles tagged: `se:…`, `no:…` or `dk:…`.
    pub identity: String,
    pub binding_message: Option<String>,
    pub call_initiator: Option<CallInitiator>,
    /// The case in the caller's own system (a CRM case number), kept with the audit record.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The verified person, as a screen shows them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct IdentityView {
    pub display_name: Option<String>,
    pub national_id_masked: Option<String>,
    /// `YYYY-MM-DD`
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

impl IdentityView {
    /// Whole years from a `YYYY-MM-DD` birth date to `today`.
    pub fn age(date_of_birth: Option<&str>, today: identity::Date) -> Option<u32> {
        date_of_birth
            .and_then(|d| d.parse::<identity::Date>().ok())
            .and_then(|born| born.whole_years_until(today))
    }

    pub fn new(v: &VerifiedIdentity, today: identity::Date) -> Self {
        let age = Self::age(v.date_of_birth.as_deref(), today);
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
            auth_time_ms: v.auth_time.map(|t| t.saturating_mul(1000)),
            transaction_id: v.transaction_id.clone(),
            is_sandbox: v.is_sandbox,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MatchWord {
    Match,
    Mismatch,
    NotComparable,
}

impl From<&IdentityMatch> for MatchWord {
    fn from(m: &IdentityMatch) -> Self {
        match m {
            IdentityMatch::Match { .. } => MatchWord::Match,
            IdentityMatch::Mismatch { .. } => MatchWord::Mismatch,
            IdentityMatch::NotComparable { .. } => MatchWord::NotComparable,
        }
    }
}

/// One verification state for a screen.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VerificationUpdate {
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
        identity: IdentityView,
        #[serde(rename = "match")]
        identity_match: MatchWord,
        match_detail: IdentityMatch,
    },
    Denied {
        id: String,
        error: ErrorReport,
    },
    Expired {
        id: String,
        error: ErrorReport,
    },
    Failed {
        id: String,
        error: ErrorReport,
    },
    Cancelled {
        id: String,
        provider_notified: bool,
    },
    /// Not a state: sent just before the final update when its audit record could not be
    /// written, so the agent knows and can tell the administrator.
    AuditFailed {
        id: String,
        error: ErrorReport,
    },
}

impl VerificationUpdate {
    pub fn new(e: &VerificationEvent, today: identity::Date) -> Self {
        let id = e.id.0.to_string();
        match &e.state {
            VerificationState::Requesting { .. } => VerificationUpdate::Requesting { id },
            VerificationState::WaitingForUser {
                expires_at,
                interval,
                word_pair,
                customer_link,
                qr_svg,
            } => VerificationUpdate::Waiting {
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
            } => VerificationUpdate::Verified {
                id,
                identity: IdentityView::new(identity, today),
                identity_match: identity_match.into(),
                match_detail: identity_match.clone(),
            },
            VerificationState::Denied { error } => VerificationUpdate::Denied {
                id,
                error: error.clone(),
            },
            VerificationState::Expired { error } => VerificationUpdate::Expired {
                id,
                error: error.clone(),
            },
            VerificationState::Failed { error, .. } => VerificationUpdate::Failed {
                id,
                error: error.clone(),
            },
            VerificationState::Cancelled { provider_notified } => VerificationUpdate::Cancelled {
                id,
                provider_notified: *provider_notified,
            },
        }
    }
}

/// What this run remembers of a finished verification beyond its audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionResult {
    pub verification_id: String,
    pub result: Option<IdentityView>,
    pub identity_match: Option<MatchWord>,
    pub error: Option<ErrorReport>,
}

impl SessionResult {
    pub fn from_final(e: &VerificationEvent, today: identity::Date) -> Self {
        let (result, identity_match) = match &e.state {
            VerificationState::Verified {
                identity,
                identity_match,
            } => (
                Some(IdentityView::new(identity, today)),
                Some(identity_match.into()),
            ),
            _ => (None, None),
        };
        Self {
            verification_id: e.id.0.to_string(),
            result,
            identity_match,
            error: e.state.error().cloned(),
        }
    }
}

/// The audit log's outcome words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HistoryOutcome {
    Verified,
    Mismatch,
    /// Approved and verified, with nothing returned to compare with what the agent entered.
    NotComparable,
    /// Started, and no result was ever recorded: the app was closed, killed or crashed while
    /// it waited (or, for a recent one, it still runs in another window).
    Interrupted,
    Denied,
    Expired,
    Failed,
    Cancelled,
}

/// What History asks for: a page of `limit` entries older than the record `before` (the
/// previous page's `next_before`), matching `search` (masked identifier, name, binding
/// message, profile, outcome).
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct HistoryQuery {
    pub limit: usize,
    pub before: Option<u64>,
    pub search: String,
}

/// One page of History; `next_before` asks for the next one (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    pub next_before: Option<u64>,
}

/// One line of History: an audit record (newest first), with this run's result card when the
/// verification ran in this process.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
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
    /// The caller's case reference, when one was given.
    pub reference: Option<String>,
    pub outcome: HistoryOutcome,
    pub acr: Option<String>,
    pub transaction_id: Option<String>,
    pub error_code: Option<String>,
    pub os_user: String,
    pub workstation: String,
    pub verification_id: Option<String>,
    pub result: Option<IdentityView>,
    #[serde(rename = "match")]
    pub identity_match: Option<MatchWord>,
    pub error: Option<ErrorReport>,
}

impl HistoryEntry {
    /// Whether the lower-case `needle` is in what the agent sees of this entry.
    pub fn matches(&self, needle: &str) -> bool {
        let outcome = serde_json::to_value(self.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        [
            self.masked_identity.as_str(),
            self.binding_message.as_str(),
            self.reference.as_deref().unwrap_or(""),
            self.profile.as_str(),
            outcome.as_str(),
            self.subject_name.as_deref().unwrap_or(""),
            self.result
                .as_ref()
                .and_then(|r| r.display_name.as_deref())
                .unwrap_or(""),
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
    }

    /// `None` for the log's own retention records, which are not verifications.
    pub fn from_record(r: &audit::Record, session: Option<SessionResult>) -> Option<Self> {
        use audit::Outcome as O;
        let outcome = match r.outcome {
            O::RetentionPurge => return None,
            O::Requested => HistoryOutcome::Interrupted,
            O::Verified => HistoryOutcome::Verified,
            O::Mismatch => HistoryOutcome::Mismatch,
            O::NotComparable => HistoryOutcome::NotComparable,
            O::Denied => HistoryOutcome::Denied,
            O::Expired => HistoryOutcome::Expired,
            O::Failed => HistoryOutcome::Failed,
            O::Cancelled => HistoryOutcome::Cancelled,
        };
        let recorded_at_ms = r.unix_ms().unwrap_or(0);
        let session = session.unwrap_or(SessionResult {
            verification_id: String::new(),
            result: None,
            identity_match: None,
            error: None,
        });
        let identity_match = session.identity_match.or(match outcome {
            HistoryOutcome::Mismatch => Some(MatchWord::Mismatch),
            HistoryOutcome::NotComparable => Some(MatchWord::NotComparable),
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
            reference: r.reference.clone(),
            outcome,
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

/// The audit log's health, for History's header.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditStatus {
    pub path: String,
    pub records: u64,
    pub intact: bool,
    /// English; `problem_code` and `problem_seq` let a screen say it in the agent's language.
    pub problem: Option<String>,
    /// `content_altered`, `link_broken`, `record_missing` or `head_mismatch`.
    pub problem_code: Option<String>,
    pub problem_seq: Option<u64>,
    pub keyed: bool,
    pub retention_days: Option<u32>,
    /// In server mode, the server that keeps the audit trail (and checks its chain):
    /// History then lists this agent's verifications there.
    pub server: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Sv,
    Nb,
    Da,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    System,
}

impl Language {
    /// The language of a POSIX locale name such as `sv_SE.UTF-8` or `nb_NO`; Norwegian
    /// Nynorsk and plain `no` read as Bokmål, the written Norwegian CIBA Desk speaks.
    pub fn of_locale(locale: &str) -> Option<Self> {
        let lang = locale
            .split(['_', '.', '@', '-'])
            .next()?
            .to_ascii_lowercase();
        match lang.as_str() {
            "en" => Some(Language::En),
            "sv" => Some(Language::Sv),
            "nb" | "nn" | "no" => Some(Language::Nb),
            "da" => Some(Language::Da),
            _ => None,
        }
    }

    /// The operating system's language for this user, from `LC_ALL`, `LC_MESSAGES` or `LANG`
    /// (the first that is set), when it is one of CIBA Desk's.
    pub fn of_environment() -> Option<Self> {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Self::of_locale(&v))
    }
}

/// Where the agent stands with the organisation's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationState {
    /// No server: the desk stands alone (its own profiles, keyring and audit log).
    Off,
    SignedOut,
    /// The browser is open at the organisation's sign-in page.
    SigningIn,
    SignedIn,
    /// The sign-in ended (refused, or its refresh token expired): sign in again.
    Expired,
    /// Signed in, but the server does not answer: verifications wait; those running go on
    /// on the server and are followed again once it answers.
    Unreachable,
}

/// The organisation's server as Settings and the header show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OrganisationView {
    pub state: OrganisationState,
    /// The server's address, when one is set.
    pub server_url: Option<String>,
    /// Set by the administrator's policy: agents cannot change it.
    pub server_from_policy: bool,
    /// "Signed in as …".
    pub agent_name: Option<String>,
    /// What went wrong last (sign-in refused, server unreachable), for a banner.
    pub problem: Option<ErrorReport>,
    /// Grows with every change, for `wait_organisation`.
    pub version: u64,
}

/// What the administrator's policy file decides on this computer, for Settings to show.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PolicyView {
    /// Whether a policy file applies (a broken one included).
    pub managed: bool,
    /// Where the policy file is.
    pub path: Option<String>,
    /// Agents cannot add, edit, import or remove profiles.
    pub profiles_locked: bool,
    pub sandbox_allowed: bool,
    /// The organisation's CIBA Desk server, when the policy names one.
    pub server_url: Option<String>,
    /// Why the policy file cannot be applied: until it is fixed, nothing can be verified or
    /// changed.
    pub problem: Option<ErrorReport>,
}

impl PolicyView {
    pub fn of(policy: &Policy) -> Self {
        Self {
            managed: policy.is_managed(),
            path: policy.path().map(|p| p.display().to_string()),
            profiles_locked: policy.profiles_locked(),
            sandbox_allowed: policy.sandbox_allowed(),
            server_url: policy.file().and_then(|f| f.server_url.clone()),
            problem: policy.problem().map(|e| e.report()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Preferences {
    pub last_profile: Option<String>,
    /// The agent's choice; `None` follows the system.
    pub language: Option<Language>,
    pub theme: Theme,
    /// The operating system's language, when it is one of CIBA Desk's: what the page
    /// speaks while the agent has chosen none. Read-only.
    #[serde(default)]
    pub system_language: Option<Language>,
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
            request_seq: None,
            reference: Some("CASE-12".into()),
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
        assert_eq!((e.id.as_str(), e.outcome), ("3", HistoryOutcome::Denied));
        assert_eq!(e.verification_id, None);
    }

    #[test]
    fn this_runs_result_card_joins_its_record() {
        let session = SessionResult {
            verification_id: "7".into(),
            result: None,
            identity_match: Some(MatchWord::NotComparable),
            error: Some(ErrorReport::new("access_denied", "The customer declined.")),
        };
        let e =
            HistoryEntry::from_record(&record(4, audit::Outcome::Verified), Some(session)).unwrap();
        assert_eq!(e.verification_id.as_deref(), Some("7"));
        assert_eq!(e.identity_match, Some(MatchWord::NotComparable));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["match"], "not_comparable");
        assert_eq!(json["error"]["code"], "access_denied");
        // A mismatch is known from the log alone.
        let e = HistoryEntry::from_record(&record(5, audit::Outcome::Mismatch), None).unwrap();
        assert_eq!(e.identity_match, Some(MatchWord::Mismatch));
    }

    #[test]
    fn locales_name_languages() {
        assert_eq!(Language::of_locale("sv_SE.UTF-8"), Some(Language::Sv));
        assert_eq!(Language::of_locale("nn_NO"), Some(Language::Nb));
        assert_eq!(Language::of_locale("da"), Some(Language::Da));
        assert_eq!(Language::of_locale("en_GB.UTF-8"), Some(Language::En));
        assert_eq!(Language::of_locale("C.UTF-8"), None);
        assert_eq!(Language::of_locale("de_DE"), None);
    }

    #[test]
    fn profiles_name_their_preset_while_they_keep_its_description() {
        let p = crate::presets::preset("idura_no_bankid").unwrap();
        let s = ProfileSummary::new(&p, SecretStatus::Missing);
        assert_eq!(s.preset.as_deref(), Some("idura_no_bankid"));
        assert_eq!(s.binding_message.requirement, Requirement::Forbidden);
        assert_eq!(
            s.binding_message.forbidden_code.as_deref(),
            Some("word_pair")
        );
        let mut edited = p.clone();
        edited.description = "Our own words".into();
        assert_eq!(
            ProfileSummary::new(&edited, SecretStatus::Missing).preset,
            None
        );
        let sandbox = crate::presets::sandbox();
        let s = ProfileSummary::new(&sandbox, SecretStatus::NotNeeded);
        assert_eq!(s.name, "sandbox");
        assert_eq!(s.countries, vec![Country::Se, Country::No, Country::Dk]);
    }
}
