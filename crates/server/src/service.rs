//! What the API does, without HTTP: start a verification for an agent (within the abuse
//! limits, with a "requested" audit record before anything is sent), follow it to its final
//! state (state in the database, a final audit record before the final event), cancel it,
//! and read verifications and the audit trail with each role's rights.
//!
//! Verifications run through the desk's session runner, the same code the desktop app and the
//! command line use; the server adds the agent, the database and the audit chain. Everything
//! another instance needs to go on with a verification is in the database ([`crate::runner`]
//! keeps the leases): any instance answers any request about any verification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use desk::{AgentInput, CallInitiator, Desk, DeskOptions, InputKind, Profile, RecordDraft};
use desk::{MemorySecrets, VerificationId, VerificationState};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc, watch};

use crate::auth::{Agent, AgentAuth, Role};
use crate::config::Config;
use crate::error::{Result, ServerError};
use crate::metrics::{Gauges, Metrics};
use crate::seal::Sealer;
use crate::store::{AuditEntry, Delivery, Lease, NewVerification, Started, Store, VerificationRow};
use crate::webhooks::Receiver;

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
        desk::check_reference(self.reference.as_deref())
            .map_err(|e| ServerError::BadRequest(e.to_string()))
    }
}

/// A verification as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationObject {
    pub id: String,
    pub profile: String,
    pub agent: AgentRef,
    pub reference: Option<String>,
    /// The customer's identifier as the agent may see it (never in full).
    pub identifier: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub state: serde_json::Value,
    /// Deliveries of the final state to the configured receivers (only when asked for one
    /// verification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Vec<Delivery>>,
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
            identifier: r.identifier_masked,
            created_at: audit::format_unix_ms(r.created_at_ms),
            state: serde_json::from_str(&r.state_json).unwrap_or(serde_json::Value::Null),
            webhooks: None,
        }
    }
}

/// What the change feed last said about a followed verification: its new state, or nothing
/// (read it from the database).
#[derive(Debug, Clone, Default)]
pub(crate) struct Change {
    pub state: Option<Arc<str>>,
}

/// Whether a state (as JSON) is final: anything but requesting and waiting.
pub fn is_final(state_json: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(state_json)
        .ok()
        .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_owned))
        .is_some_and(|s| !matches!(s.as_str(), "requesting" | "waiting_for_user"))
}

/// A verification this instance polls: the fence of its lease, and the desk's session once
/// it runs.
pub(crate) struct Running {
    pub fence: i64,
    pub desk_id: Option<VerificationId>,
}

/// How long a lease lasts unless renewed: another instance takes a verification over at
/// most this long after its instance died (plus one scan).
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Service {
    pub config: Config,
    pub store: Store,
    pub auth: AgentAuth,
    pub metrics: Arc<Metrics>,
    pub(crate) desk: Desk,
    key: SecretBox<[u8]>,
    pub(crate) sealer: Arc<Sealer>,
    /// This instance's name in leases: random, new at every start.
    pub instance: String,
    pub(crate) running: Mutex<HashMap<String, Running>>,
    pub(crate) stopping: watch::Sender<bool>,
    pub(crate) receivers: Vec<Receiver>,
    /// Wakes the webhook sender after a final state.
    pub(crate) outbox: Notify,
    /// The event streams open on this instance, by verification: the change feed wakes only
    /// the streams of the verification that changed.
    pub(crate) watchers: Mutex<HashMap<String, watch::Sender<Change>>>,
    /// How many verifications' states are being stored here (shutdown waits for them).
    pub(crate) drives: watch::Sender<usize>,
}

impl Service {
    pub fn new(
        config: Config,
        store: Store,
        auth: AgentAuth,
        mut options: DeskOptions,
    ) -> Result<Self> {
        let key = config.audit_key()?;
        let mut secrets = MemorySecrets::new();
        for (profile, secret) in config.profile_secrets()? {
            secrets = secrets.with(profile, secret.expose_secret().to_owned());
        }
        let metrics = Arc::new(Metrics::default());
        let observed = metrics.clone();
        options.http.observer = Some(ciba::Observer(Arc::new(move |endpoint, took, ok| {
            observed.provider_call(endpoint, took, ok)
        })));
        // Spread the polls of verifications started together over a tenth of the interval.
        options.poll_jitter = std::time::Duration::from_millis(250);
        let receivers = crate::webhooks::receivers(&config)?;
        Ok(Self {
            desk: Desk::with_options(Arc::new(secrets), options),
            sealer: Arc::new(Sealer::new(key.expose_secret())),
            instance: format!("{}-{}", std::process::id(), new_id()),
            config,
            store,
            auth,
            metrics,
            key,
            running: Mutex::default(),
            stopping: watch::channel(false).0,
            receivers,
            outbox: Notify::new(),
            watchers: Mutex::default(),
            drives: watch::channel(0).0,
        })
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.config.profiles
    }

    pub(crate) fn profile(&self, name: &str) -> Result<&Profile> {
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

    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Starts a verification for `agent`. Input problems, the limits and a database that
    /// cannot record it are answered here, before anything reaches the provider.
    pub async fn start(
        self: &Arc<Self>,
        agent: &Agent,
        req: StartRequest,
    ) -> Result<VerificationObject> {
        self.auth.require(agent, Role::Agent)?;
        if self.is_stopping() {
            return Err(ServerError::ShuttingDown);
        }
        let profile = self.profile(&req.profile)?.clone();
        let mut input = req.input()?;
        let reference = req.reference()?;
        let prepared = desk::prepare(&profile, &input)?;
        // An instance that takes over checks the answer against what was sent.
        input.binding_message = prepared.binding_message.clone().unwrap_or_default();
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
        let sealed = serde_json::to_vec(&input).expect("an input serialises");
        let record = Recorder {
            verification_id: id.clone(),
            agent: agent.clone(),
            reference: reference.clone(),
            id_hash: id_hash.clone(),
            identifier_masked: prepared.expected.masked(),
            created_at_ms: now,
            draft: RecordDraft::new(&profile, &prepared),
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
            lease: Some((self.instance.clone(), now + LEASE.as_millis() as i64)),
            sealed_request: Some(self.sealer.seal(&id, "request", &sealed)),
            // The trace comes with it: even a server killed mid-request leaves it.
            requested: Some(record.requested(now)),
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
        self.metrics.started(&profile.name);
        let lease = Lease {
            owner: self.instance.clone(),
            fence: 1,
        };
        let object = record.object(&profile.name, &first);
        if self.run(&profile, &input, record, lease, None).await {
            Ok(VerificationObject {
                webhooks: (!self.receivers.is_empty()).then(Vec::new),
                ..object
            })
        } else {
            // It ended before it began (the provider could not be reached, …): as stored.
            self.verification_for(agent, &id).await
        }
    }

    /// A verification, if `agent` may see it (their own; auditors see all), with its webhook
    /// deliveries.
    pub async fn verification_for(&self, agent: &Agent, id: &str) -> Result<VerificationObject> {
        let mut v: VerificationObject = self.row_for(agent, id).await?.into();
        if !self.receivers.is_empty() {
            v.webhooks = Some(self.store.deliveries_of(id).await?);
        }
        Ok(v)
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

    /// The current state, then each new one until the final state, whichever instance polls
    /// it. Listens to the change feed before reading the database, so no transition falls
    /// between the two. The stream also ends when this instance shuts down (the agent's
    /// client reconnects, to another instance).
    pub async fn follow_states(
        self: &Arc<Self>,
        agent: &Agent,
        id: &str,
    ) -> Result<(String, Option<mpsc::Receiver<String>>)> {
        let mut changed = self.watch(id);
        let row = match self.row_for(agent, id).await {
            Ok(r) => r,
            Err(e) => {
                drop(changed);
                self.unwatch(id);
                return Err(e);
            }
        };
        if row.final_state {
            drop(changed);
            self.unwatch(id);
            return Ok((row.state_json, None));
        }
        let (tx, rx) = mpsc::channel(8);
        let store = self.store.clone();
        let mut stopping = self.stopping.subscribe();
        let id = id.to_owned();
        let mut last = row.state_json.clone();
        let service = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopping.wait_for(|s| *s) => break,
                    _ = tx.closed() => break,
                    c = changed.changed() => if c.is_err() { break },
                }
                let notified = changed.borrow_and_update().state.clone();
                let (state, ended) = match notified {
                    Some(state) => {
                        let ended = is_final(&state);
                        (state.to_string(), ended)
                    }
                    // Too long for a notification, or changes may have been missed: read.
                    None => match store.verification(&id).await {
                        Ok(Some(r)) => (r.state_json, r.final_state),
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "a followed verification could not be read");
                            continue;
                        }
                    },
                };
                if state != last {
                    last = state.clone();
                    if tx.send(state).await.is_err() {
                        break;
                    }
                }
                if ended {
                    break;
                }
            }
            drop(changed);
            if let Some(s) = service.upgrade() {
                s.unwatch(&id);
            }
        });
        Ok((row.state_json, Some(rx)))
    }

    /// A receiver marked changed whenever the change feed names `id`.
    fn watch(&self, id: &str) -> watch::Receiver<Change> {
        let mut w = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        match w.get(id) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(Change::default());
                w.insert(id.to_owned(), tx);
                rx
            }
        }
    }

    /// Forgets `id`'s entry once no stream follows it.
    fn unwatch(&self, id: &str) {
        let mut w = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        if w.get(id).is_some_and(|tx| tx.receiver_count() == 0) {
            w.remove(id);
        }
    }

    /// Cancels `agent`'s verification, whichever instance polls it (the provider's cancel
    /// call is made where it exists).
    pub async fn cancel(&self, agent: &Agent, id: &str) -> Result<()> {
        self.auth.require(agent, Role::Agent)?;
        let row = self.row_for(agent, id).await?;
        if row.final_state {
            return Err(ServerError::AlreadyFinished);
        }
        self.store.request_cancel(id, now_ms()).await
    }

    /// The metrics page.
    pub async fn metrics_text(&self) -> String {
        let (pool_in_use, pool_size) = self.store.pool_use();
        self.metrics.render(Gauges {
            in_flight: self.running.lock().unwrap_or_else(|e| e.into_inner()).len(),
            pool_in_use,
            pool_size,
            webhooks_pending: None,
        })
    }
}

/// What a verification's two audit records are made of.
pub(crate) struct Recorder {
    pub verification_id: String,
    pub agent: Agent,
    pub reference: Option<String>,
    pub id_hash: String,
    pub identifier_masked: String,
    pub created_at_ms: i64,
    pub draft: RecordDraft,
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

    pub fn requested(&self, now: i64) -> AuditEntry {
        self.entry("requested", None, now)
    }

    pub fn finished(&self, state: &VerificationState, now: i64) -> AuditEntry {
        self.entry("final", Some(state), now)
    }
}

pub(crate) fn state_json(s: &VerificationState) -> String {
    serde_json::to_string(s).expect("a state serialises")
}

/// 128 random bits, URL-safe.
pub(crate) fn new_id() -> String {
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
