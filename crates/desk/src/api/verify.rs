//! Starting and cancelling verifications, from a saved profile or from a profile made up of a
//! script's flags: one path either way, so progress, results and the audit record are the
//! same whichever the shell.

use std::collections::BTreeMap;
use std::sync::Arc;

use ciba::AuthMethod;

use super::App;
use super::profiles::normalise_issuer;
use super::views::{SessionResult, VerificationRequest, VerificationUpdate};
use crate::error::{DeskError, ErrorReport, Result};
use crate::events::{AuditEntry, VerificationEvent, VerificationId};
use crate::input::{AgentInput, prepare};
use crate::presets;
use crate::profile::{Endpoints, Profile, SecretRef};
use crate::session::VerificationHandle;

/// The name a profile made up of flags carries in events and the audit log.
pub const ADHOC_PROFILE: &str = "(command line)";

/// Which profile a verification runs with.
#[derive(Debug, Clone)]
pub enum ProfileChoice {
    /// A profile of the settings (or, on the server, of its configuration).
    Named(String),
    /// A profile the caller built: from flags ([`AdhocProfile`]), or a saved one with
    /// options changed for this one verification.
    Given(Box<Profile>),
}

#[derive(Debug, Clone)]
pub struct StartParams {
    pub profile: ProfileChoice,
    pub input: AgentInput,
}

/// A provider named by flags instead of a saved profile: the generic preset's rules (any
/// national ID, e-mail or user name, the standard claims), with the caller's issuer, client
/// and request options. The provider judges the binding message itself.
#[derive(Debug, Clone, Default)]
pub struct AdhocProfile {
    pub issuer: String,
    pub client_id: String,
    pub auth_method: Option<AuthMethod>,
    pub signing_alg: Option<String>,
    pub key_id: Option<String>,
    pub signed_requests: bool,
    pub fapi: bool,
    /// PEM certificate authorities trusted for this provider only.
    pub ca_certificates: Option<String>,
    /// Space-separated; `openid` when empty.
    pub scope: Option<String>,
    pub acr_values: Option<String>,
    pub requested_expiry: Option<u32>,
    pub authorization_details: Option<serde_json::Value>,
    pub extra_params: BTreeMap<String, String>,
    pub endpoints: Endpoints,
}

/// The longest binding message an ad-hoc profile lets through to the provider.
const ADHOC_MAX_BINDING_MESSAGE: usize = 1024;

impl AdhocProfile {
    pub fn into_profile(self) -> Result<Profile> {
        let mut p = presets::preset("generic").expect("the generic preset exists");
        p.name = ADHOC_PROFILE.into();
        p.description = String::new();
        p.issuer = normalise_issuer(&self.issuer);
        p.client_id = self.client_id.trim().to_owned();
        p.auth_method = self.auth_method.unwrap_or(AuthMethod::ClientSecretBasic);
        p.secret = Some(SecretRef::Entry(ADHOC_PROFILE.into()));
        p.signing_alg = self.signing_alg;
        p.key_id = self.key_id;
        p.signed_requests = self.signed_requests;
        p.fapi = self.fapi;
        p.ca_certificates = self.ca_certificates;
        if let Some(scope) = self.scope.filter(|s| !s.trim().is_empty()) {
            p.scopes = scope.split_whitespace().map(str::to_owned).collect();
        }
        p.acr_values = self.acr_values;
        p.requested_expiry = self.requested_expiry;
        p.authorization_details = self.authorization_details;
        p.extra_params = self.extra_params;
        p.binding_message.max_chars = ADHOC_MAX_BINDING_MESSAGE;
        p.endpoints = Some(self.endpoints).filter(|e| *e != Endpoints::default());
        p.check_usable()?;
        Ok(p)
    }
}

impl App {
    /// The profile a verification would run with.
    pub fn resolve(&self, choice: &ProfileChoice) -> Result<Profile> {
        let policy = self.settings().policy().clone();
        match choice {
            ProfileChoice::Named(name) => {
                policy.check_usable()?;
                self.profile(name)
            }
            ProfileChoice::Given(p) => {
                // One of the settings' profiles (a caller may lengthen its expiry for a run) is
                // one the policy allows; anything else is a provider chosen by hand.
                if p.name == ADHOC_PROFILE || self.settings().profile(&p.name).is_none() {
                    policy.check_own_provider()?;
                } else {
                    policy.check_usable()?;
                }
                Ok((**p).clone())
            }
        }
    }

    /// Starts a verification. Input, profile, secret and audit-log problems are returned here,
    /// before anything is sent (a verification that cannot be recorded is not started);
    /// everything after that arrives through `on_event`, ending with one final state whose
    /// audit record is already written.
    pub async fn start_verification<F>(
        &self,
        params: &StartParams,
        on_event: F,
    ) -> Result<VerificationHandle>
    where
        F: Fn(&VerificationEvent) + Send + Sync + 'static,
    {
        let profile = self.resolve(&params.profile)?;
        prepare(&profile, &params.input)?;
        self.audit_trail().await?;
        let results = self.results();
        self.desk
            .start(&profile, &params.input, move |event| {
                if let Some(AuditEntry::Recorded { seq }) = &event.audit {
                    results.keep(
                        *seq,
                        SessionResult::from_final(&event, identity::Date::today()),
                    );
                }
                on_event(&event);
            })
            .await
    }

    /// As [`start_verification`](Self::start_verification) for a screen: the page's request,
    /// updates in the page's shape (with `audit_failed` just before a final update whose
    /// record could not be written). Returns the verification's id.
    pub async fn start_for_screen<F>(
        &self,
        request: VerificationRequest,
        on_update: F,
    ) -> Result<String>
    where
        F: Fn(VerificationUpdate) + Send + Sync + 'static,
    {
        if self.org.is_on() {
            // The organisation's server holds the profiles, the secrets and the audit trail:
            // nothing runs on this computer, whatever its own settings hold.
            self.settings().policy().check_usable()?;
            return self.org.start(request, on_update).await;
        }
        let mut input = AgentInput::new(request.identity)
            .binding_message(request.binding_message.unwrap_or_default());
        input.call_initiator = request.call_initiator;
        input.reference = request.reference;
        let params = StartParams {
            profile: ProfileChoice::Named(request.profile),
            input,
        };
        let handle = self
            .start_verification(&params, move |event| {
                if let Some(AuditEntry::NotRecorded { code, message }) = &event.audit {
                    on_update(VerificationUpdate::AuditFailed {
                        id: event.id.0.to_string(),
                        error: ErrorReport::new(*code, message.clone()),
                    });
                }
                on_update(VerificationUpdate::new(event, identity::Date::today()));
            })
            .await?;
        Ok(handle.id.0.to_string())
    }

    /// Cancels a running verification by the id a screen knows it by: this computer's are
    /// numbers, the organisation's server's are not.
    pub async fn cancel_verification(&self, id: &str) -> Result<()> {
        let id = id.trim();
        if self.org.is_on() && id.parse::<u64>().is_err() {
            return self.org.cancel(id).await;
        }
        let n = id
            .trim()
            .trim_start_matches('#')
            .parse::<u64>()
            .map_err(|_| DeskError::UnknownVerification(0))?;
        self.desk.cancel(VerificationId(n))
    }
}

/// This run's result cards, shared with the verifications that fill them.
#[derive(Clone, Default)]
pub(crate) struct Results(Arc<std::sync::Mutex<std::collections::VecDeque<(u64, SessionResult)>>>);

impl Results {
    pub(crate) fn keep(&self, seq: u64, result: SessionResult) {
        let mut r = self.0.lock().unwrap_or_else(|e| e.into_inner());
        r.push_front((seq, result));
        r.truncate(super::app::RESULTS_KEPT);
    }

    pub(crate) fn get(&self, seq: u64) -> Option<SessionResult> {
        let r = self.0.lock().unwrap_or_else(|e| e.into_inner());
        r.iter().find(|(s, _)| *s == seq).map(|(_, v)| v.clone())
    }
}
