//! What the API does, without HTTP: start a verification for an agent (within the abuse
//! limits, with a "requested" audit record before anything is sent), follow it to its final
//! state (state in the database, a final audit record before the final event), cancel it,
//! and read verifications and the audit trail with each role's rights.
//!
//! Verifications run through the desk's session runner, the same code the desktop app and the
//! command line use; the server adds the agent, the database and the audit chain.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use desk::{
    AgentInput, CallInitiator, Desk, DeskOptions, InputKind, MemorySecrets, Profile, RecordDraft,
    VerificationEvent, VerificationId, VerificationState,
};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tracing::Instrument as _;

use crate::auth::{Agent, AgentAuth, Role};
use crate::config::Config;
use crate::error::{Result, ServerError};
use crate::store::{AuditEntry, NewVerification, Started, Store, VerificationRow};

/// What an agent (or a phone system on their behalf) sends to start a verification.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    pub profile: String,
    #[serde(default)]
    pub national_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub login_hint: Option<String>,
    #[serde(default)]
    pub binding_message: Option<String>,
    #[serde(default)]
    pub call_initiator: Option<CallInitiator>,
    /// The CRM's case number, recorded with the verification.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The longest reference accepted.
const MAX_REFERENCE: usize = 128;

impl StartRequest {
    fn input(&self) -> Result<AgentInput> {
        let given: Vec<(InputKind, &String)> = [
            (InputKind::NationalId, &self.national_id),
            (InputKind::Email, &self.email),
            (InputKind::UserId, &self.user_id),
            (InputKind::ProviderHint, &self.login_hint),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let [(kind, value)] = given[..] else {
            return Err(ServerError::BadRequest(
                "name the customer with exactly one of national_id, email, user_id or login_hint"
                    .into(),
            ));
        };
        let mut input = AgentInput::new(value.clone());
        // A raw login hint is read as the profile reads identifiers; the others say what they are.
        if kind != InputKind::ProviderHint {
            input = input.kind(kind);
        }
        input.binding_message = self.binding_message.clone().unwrap_or_default();
        input.call_initiator = self.call_initiator;
        Ok(input)
    }

    fn reference(&self) -> Result<Option<String>> {
        match self.reference.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(r) if r.chars().count() > MAX_REFERENCE || r.chars().any(char::is_control) => {
                Err(ServerError::BadRequest(format!(
                    "the reference must be at most {MAX_REFERENCE} characters, without control characters"
                )))
            }
            Some(r) => Ok(Some(r.to_owned())),
        }
    }
}

/// A verification as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationObject {
    pub id: String,
    pub profile: String,
    pub agent: AgentRef,
    pub reference: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub state: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentRef {
    pub sub: String,
    pub name: Option<String>,
}

impl From<VerificationRow> for VerificationObject {
    fn from(r: VerificationRow) -> Self {
        Self {
            id: r.id,
            profile: r.profile,
            agent: AgentRef {
                sub: r.agent_sub,
                name: r.agent_name,
            },
            reference: r.reference,
            created_at: audit::format_unix_ms(r.created_at_ms),
            state: serde_json::from_str(&r.state_json).unwrap_or(serde_json::Value::Null),
        }
    }
}

type Followers = broadcast::Sender<Arc<str>>;

pub struct Service {
    pub config: Config,
    pub store: Store,
    pub auth: AgentAuth,
    desk: Desk,
    key: SecretBox<[u8]>,
    /// This process's running verifications: the desk's id, and the agents following them.
    running: Mutex<HashMap<String, (VerificationId, Followers)>>,
}

impl Service {
    pub fn new(
        config: Config,
        store: Store,
        auth: AgentAuth,
        options: DeskOptions,
    ) -> Result<Self> {
        let key = config.audit_key()?;
        let mut secrets = MemorySecrets::new();
        for (profile, secret) in config.profile_secrets()? {
            secrets = secrets.with(profile, secret.expose_secret().to_owned());
        }
        Ok(Self {
            desk: Desk::with_options(Arc::new(secrets), options),
            config,
            store,
            auth,
            key,
            running: Mutex::default(),
        })
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.config.profiles
    }

    fn profile(&self, name: &str) -> Result<&Profile> {
        self.config
            .profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| desk::DeskError::UnknownProfile(name.to_owned()).into())
    }

    /// The keyed hash of a normalised identifier (the desk's audit log's): finds one
    /// customer's verifications and records without the database holding the identifier.
    fn identifier_hash(&self, normalised: &str) -> String {
        audit::id_hash(self.key.expose_secret(), normalised)
    }

    /// Starts a verification for `agent`. Input problems, the limits and a database that
    /// cannot record it are answered here, before anything reaches the provider.
    pub async fn start(
        self: &Arc<Self>,
        agent: &Agent,
        req: StartRequest,
    ) -> Result<VerificationObject> {
        self.auth.require(agent, Role::Agent)?;
        let profile = self.profile(&req.profile)?.clone();
        let input = req.input()?;
        let reference = req.reference()?;
        let prepared = desk::prepare(&profile, &input)?;
        let id = new_id();
        let now = now_ms();
        let id_hash = self.identifier_hash(&prepared.expected.normalised());
        let first = VerificationState::Requesting {
            expected: prepared.expected.clone(),
            binding_message: prepared.binding_message.clone(),
            binding_message_generated: prepared.binding_message_generated,
            call_initiator: prepared.call_initiator,
            warnings: prepared.warnings.clone(),
        };
        let row = NewVerification {
            id: id.clone(),
            profile: profile.name.clone(),
            agent_sub: agent.sub.clone(),
            agent_name: agent.name.clone(),
            reference: reference.clone(),
            identifier_key: id_hash.clone(),
            identifier_masked: prepared.expected.masked(),
            created_at_ms: now,
            state_json: state_json(&first),
        };
        match self
            .store
            .start_verification(&row, self.config.limits.per_agent_per_minute, now)
            .await?
        {
            Started::Inserted => {}
            Started::InFlight => return Err(ServerError::AlreadyInProgress),
            Started::RateLimited { retry_after_secs } => {
                return Err(ServerError::RateLimited { retry_after_secs });
            }
        }
        let draft = RecordDraft::new(&profile, &prepared);
        let record = Recorder {
            verification_id: id.clone(),
            agent: agent.clone(),
            reference,
            id_hash,
            draft,
        };
        // The trace comes first: even a server killed mid-request leaves it.
        if let Err(e) = self.store.append_audit(&record.requested(now)).await {
            let failed = VerificationState::ended_by(&desk::DeskError::NoDataDir);
            let _ = self
                .store
                .set_state(&id, &state_json(&failed), true, now_ms())
                .await;
            return Err(e);
        }

        let (followers, _) = broadcast::channel(32);
        let (tx, rx) = mpsc::unbounded_channel();
        let span = tracing::info_span!("verification", id = %id, profile = %profile.name, agent = %agent.sub);
        let handle = {
            let _enter = span.enter();
            self.desk
                .start(&profile, &input, move |e| drop(tx.send(e)))
                .await
        };
        match handle {
            Ok(h) => {
                self.running_insert(&id, h.id, followers.clone());
                let service = self.clone();
                tokio::spawn(
                    async move { service.follow(record, rx, followers).await }.instrument(span),
                );
            }
            Err(e) => {
                let end = VerificationState::ended_by(&e);
                self.finish(&record, &end, &followers).await;
            }
        }
        self.verification_for(agent, &id).await
    }

    fn running_insert(&self, id: &str, desk_id: VerificationId, followers: Followers) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), (desk_id, followers));
    }

    /// Stores each state and tells the followers; the last one after its audit record.
    async fn follow(
        self: Arc<Self>,
        record: Recorder,
        mut events: mpsc::UnboundedReceiver<VerificationEvent>,
        followers: Followers,
    ) {
        let mut ended = false;
        while let Some(event) = events.recv().await {
            if event.state.is_final() {
                self.finish(&record, &event.state, &followers).await;
                ended = true;
                break;
            }
            let json = state_json(&event.state);
            if let Err(e) = self
                .store
                .set_state(&record.verification_id, &json, false, now_ms())
                .await
            {
                tracing::error!(error = %e, "a verification's state could not be stored");
            }
            let _ = followers.send(json.into());
        }
        if !ended {
            // The runner stopped without a final state: end it, so the customer is not
            // blocked and the trail is complete.
            let state = VerificationState::Failed {
                kind: desk::FailureKind::Internal,
                error: desk::ErrorReport::new(
                    "internal",
                    "the verification stopped unexpectedly; start it again",
                ),
            };
            self.finish(&record, &state, &followers).await;
        }
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&record.verification_id);
    }

    async fn finish(&self, record: &Recorder, state: &VerificationState, followers: &Followers) {
        let now = now_ms();
        if let Err(e) = self.store.append_audit(&record.finished(state, now)).await {
            tracing::error!(error = %e, "a verification's final audit record could not be written");
        }
        let json = state_json(state);
        if let Err(e) = self
            .store
            .set_state(&record.verification_id, &json, true, now)
            .await
        {
            tracing::error!(error = %e, "a verification's final state could not be stored");
        }
        let _ = followers.send(json.into());
    }

    /// A verification, if `agent` may see it (their own; auditors see all).
    pub async fn verification_for(&self, agent: &Agent, id: &str) -> Result<VerificationObject> {
        Ok(self.row_for(agent, id).await?.into())
    }

    async fn row_for(&self, agent: &Agent, id: &str) -> Result<VerificationRow> {
        if !self.auth.is(agent, Role::Agent) && !self.auth.is(agent, Role::Auditor) {
            self.auth.require(agent, Role::Agent)?;
        }
        let row = self
            .store
            .verification(id)
            .await?
            .ok_or_else(|| ServerError::NoSuchVerification(id.to_owned()))?;
        if row.agent_sub != agent.sub && !self.auth.is(agent, Role::Auditor) {
            return Err(ServerError::NotYours);
        }
        Ok(row)
    }

    /// The current state, then each new one until the final state. Subscribes before reading
    /// the database, so no transition falls between the two.
    pub async fn follow_states(
        &self,
        agent: &Agent,
        id: &str,
    ) -> Result<(String, Option<broadcast::Receiver<Arc<str>>>)> {
        let rx = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|(_, f)| f.subscribe());
        let row = self.row_for(agent, id).await?;
        let rx = if row.final_state { None } else { rx };
        Ok((row.state_json, rx))
    }

    /// Cancels `agent`'s verification (the provider's cancel call is made where it exists).
    pub async fn cancel(&self, agent: &Agent, id: &str) -> Result<()> {
        self.auth.require(agent, Role::Agent)?;
        let row = self.row_for(agent, id).await?;
        if row.final_state {
            return Err(ServerError::AlreadyFinished);
        }
        let desk_id = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|(d, _)| *d);
        match desk_id {
            Some(d) => Ok(self.desk.cancel(d)?),
            None => Err(ServerError::AlreadyFinished),
        }
    }

    /// At start: verifications a previous run of this server never finished end as
    /// interrupted, each with its final audit record.
    pub async fn close_interrupted(&self) -> Result<usize> {
        let open = self.store.unfinished().await?;
        let n = open.len();
        for row in open {
            let state = VerificationState::Failed {
                kind: desk::FailureKind::Internal,
                error: desk::ErrorReport::new(
                    "interrupted",
                    "the server stopped before this verification ended; start it again",
                ),
            };
            let entry = AuditEntry::interrupted(&row, now_ms());
            self.store.append_audit(&entry).await?;
            self.store
                .set_state(&row.id, &state_json(&state), true, now_ms())
                .await?;
        }
        Ok(n)
    }
}

/// What a verification's two audit records are made of.
struct Recorder {
    verification_id: String,
    agent: Agent,
    reference: Option<String>,
    id_hash: String,
    draft: RecordDraft,
}

impl Recorder {
    fn entry(&self, phase: &str, state: Option<&VerificationState>, now: i64) -> AuditEntry {
        let r = match state {
            Some(s) => self.draft.finish(s),
            None => self.draft.unfinished(),
        };
        let outcome = match state {
            None => "requested".to_owned(),
            Some(_) => r.outcome.as_str().to_owned(),
        };
        AuditEntry {
            time_ms: now,
            verification_id: self.verification_id.clone(),
            phase: phase.into(),
            agent_sub: self.agent.sub.clone(),
            agent_name: self.agent.name.clone(),
            reference: self.reference.clone(),
            profile: r.profile,
            issuer: r.issuer,
            identifier_kind: r.identifier_kind,
            identifier_masked: r.identifier_masked,
            id_hash: self.id_hash.clone(),
            subject_name: None,
            // Typed into free text, the customer's number is still theirs: never recorded.
            binding_message: audit::redact_identifier(
                r.binding_message,
                r.identifier.expose_secret(),
            ),
            outcome,
            acr: r.acr,
            transaction_id: r.transaction_id,
            error_code: state.and(r.error_code),
            duration_ms: state.and(r.duration_ms.map(|d| d as i64)),
        }
    }

    fn requested(&self, now: i64) -> AuditEntry {
        self.entry("requested", None, now)
    }

    fn finished(&self, state: &VerificationState, now: i64) -> AuditEntry {
        self.entry("final", Some(state), now)
    }
}

fn state_json(s: &VerificationState) -> String {
    serde_json::to_string(s).expect("a state serialises")
}

/// 128 random bits, URL-safe.
fn new_id() -> String {
    use base64::Engine as _;
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_identifier() {
        let mut r = StartRequest {
            profile: "p".into(),
            ..Default::default()
        };
        assert!(matches!(r.input(), Err(ServerError::BadRequest(_))));
        r.national_id = Some("se:191212121212".into());
        r.email = Some("a@b.se".into());
        assert!(matches!(r.input(), Err(ServerError::BadRequest(_))));
        r.email = None;
        assert_eq!(r.input().unwrap().kind, Some(InputKind::NationalId));
        r.reference = Some("x".repeat(200));
        assert!(r.reference().is_err());
    }
}
