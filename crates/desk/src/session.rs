//! Verification sessions: many at once, each with an id, each a state machine whose
//! transitions are reported as [events](crate::events).
//! One discovered [`CibaClient`] is kept per profile. Cancelling a verification stops the
//! polling and, where the provider has a cancel call (Signaturgruppen's `DELETE`), makes it.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ciba::{
    CancelHandle, CibaClient, CibaError, ClientAuth, ClientConfig, Clock, EndpointOverrides,
    ExposeSecret, HttpOptions, Progress, SecretString,
};
use tokio::sync::{OnceCell, mpsc, watch};
use tracing::Instrument;
use url::Url;

use crate::audit_trail::{AuditTrail, RecordDraft};
use crate::error::{DeskError, ErrorReport, FailureKind, Result};
use crate::events::{AuditEntry, VerificationEvent, VerificationId, VerificationState};
use crate::input::{AgentInput, PreparedRequest, prepare};
use crate::link::{qr_svg, render_template};
use crate::profile::{Profile, ProviderKind};
use crate::secrets::{SecretSource, client_auth};
use crate::verified::{VerifiedIdentity, identity_match};

/// Tuning for tests and special deployments.
#[derive(Clone)]
pub struct DeskOptions {
    pub http: HttpOptions,
    /// The poller's clock; the real one when `None`.
    pub clock: Option<Arc<dyn Clock>>,
    /// How long a provider cancel call may take.
    pub cancel_timeout: Duration,
    /// The most each poll is put off past the provider's interval (see
    /// [`CibaClient::with_poll_jitter`]); none by default.
    pub poll_jitter: Duration,
    /// Where the built-in sandbox writes its proof file. When set, a sandbox profile's
    /// listener must prove it is that sandbox before anything is sent to it.
    pub sandbox_proof_dir: Option<std::path::PathBuf>,
}

impl Default for DeskOptions {
    fn default() -> Self {
        Self {
            http: HttpOptions::default(),
            clock: None,
            cancel_timeout: Duration::from_secs(5),
            poll_jitter: Duration::ZERO,
            sandbox_proof_dir: None,
        }
    }
}

impl fmt::Debug for DeskOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeskOptions")
            .field("http", &self.http)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .field("cancel_timeout", &self.cancel_timeout)
            .finish()
    }
}

type ClientCell = Arc<OnceCell<Arc<CibaClient>>>;
type Sink = Arc<dyn Fn(VerificationEvent) + Send + Sync>;
type AckSink = Arc<dyn Fn(&RequestAcknowledged) + Send + Sync>;

struct Session {
    cancel: CancelHandle,
    done: watch::Receiver<Option<VerificationState>>,
    task: Option<tokio::task::AbortHandle>,
    /// Its `requested` audit record, if one was written.
    request_seq: Option<u64>,
}

/// The provider accepted the request: what another process needs to go on polling it
/// ([`Desk::resume`]). The `auth_req_id` is a secret of the verification: keep it where the
/// client credentials are kept.
pub struct RequestAcknowledged {
    pub auth_req_id: SecretString,
    /// When the request was sent, or earlier (Unix ms): an answer older than this is refused.
    pub requested_at_ms: u64,
    /// When the provider stops waiting for the customer (Unix ms).
    pub expires_at_ms: u64,
    /// The polling interval the provider asked for.
    pub interval: Duration,
    /// The word pair the agent reads aloud, when the provider sent one.
    pub word_pair: Option<String>,
}

impl fmt::Debug for RequestAcknowledged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAcknowledged")
            .field("auth_req_id", &"[redacted]")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// How a verification begins: with a new request, or by going on polling one that was
/// acknowledged earlier.
enum Begin {
    Request { on_ack: Option<AckSink> },
    Resume(RequestAcknowledged),
}

struct Inner {
    secrets: Arc<dyn SecretSource>,
    options: DeskOptions,
    /// Per profile name: the fingerprint of the connection settings and the client.
    clients: Mutex<HashMap<String, (String, ClientCell)>>,
    sessions: Mutex<HashMap<VerificationId, Session>>,
    next_id: AtomicU64,
    audit: Mutex<Option<Arc<AuditTrail>>>,
}

/// The verification service the UI and the command line drive. Cheap to clone; clones share
/// sessions and clients. Needs a Tokio runtime.
#[derive(Clone)]
pub struct Desk {
    inner: Arc<Inner>,
}

impl fmt::Debug for Desk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Desk")
            .field("running", &self.running())
            .finish_non_exhaustive()
    }
}

/// A started verification: its id, and its final state once it has one.
#[derive(Debug)]
pub struct VerificationHandle {
    pub id: VerificationId,
    done: watch::Receiver<Option<VerificationState>>,
}

impl VerificationHandle {
    /// Waits for the final state.
    pub async fn finished(self) -> VerificationState {
        wait_final(self.done).await
    }
}

async fn wait_final(mut rx: watch::Receiver<Option<VerificationState>>) -> VerificationState {
    match rx.wait_for(Option::is_some).await {
        Ok(s) => s.clone().expect("waited for Some"),
        Err(_) => VerificationState::Failed {
            kind: FailureKind::Internal,
            error: ErrorReport::new(
                "internal",
                "the verification stopped unexpectedly; start it again",
            ),
        },
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Desk {
    pub fn new(secrets: Arc<dyn SecretSource>) -> Self {
        Self::with_options(secrets, DeskOptions::default())
    }

    pub fn with_options(secrets: Arc<dyn SecretSource>, options: DeskOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                secrets,
                options,
                clients: Mutex::default(),
                sessions: Mutex::default(),
                next_id: AtomicU64::new(0),
                audit: Mutex::default(),
            }),
        }
    }

    /// From now on, every verification this desk starts is recorded in `trail` when it ends.
    pub fn record_to(&self, trail: Arc<AuditTrail>) {
        *lock(&self.inner.audit) = Some(trail);
    }

    /// The audit trail verifications are recorded in, if any.
    pub fn audit_trail(&self) -> Option<Arc<AuditTrail>> {
        lock(&self.inner.audit).clone()
    }

    /// Starts a verification. Input, profile and secret problems are returned here, before
    /// anything is sent; everything after that arrives through `on_event`, ending with one
    /// final state.
    pub async fn start<F>(
        &self,
        profile: &Profile,
        input: &AgentInput,
        on_event: F,
    ) -> Result<VerificationHandle>
    where
        F: Fn(VerificationEvent) + Send + Sync + 'static,
    {
        self.launch(profile, input, Begin::Request { on_ack: None }, on_event)
            .await
    }

    /// As [`start`](Self::start), and `on_ack` learns what [`resume`](Self::resume) needs as
    /// soon as the provider has acknowledged the request (before the waiting state is sent).
    pub async fn start_resumable<F, A>(
        &self,
        profile: &Profile,
        input: &AgentInput,
        on_event: F,
        on_ack: A,
    ) -> Result<VerificationHandle>
    where
        F: Fn(VerificationEvent) + Send + Sync + 'static,
        A: Fn(&RequestAcknowledged) + Send + Sync + 'static,
    {
        let on_ack: AckSink = Arc::new(on_ack);
        let begin = Begin::Request {
            on_ack: Some(on_ack),
        };
        self.launch(profile, input, begin, on_event).await
    }

    /// Goes on polling a request another run acknowledged (a server instance that stopped):
    /// the events are those of [`start`](Self::start) from "waiting for the customer" on,
    /// and the final state is checked against `input` as it would have been. `input` must
    /// carry the binding message that was sent.
    pub async fn resume<F>(
        &self,
        profile: &Profile,
        input: &AgentInput,
        acknowledged: RequestAcknowledged,
        on_event: F,
    ) -> Result<VerificationHandle>
    where
        F: Fn(VerificationEvent) + Send + Sync + 'static,
    {
        self.launch(profile, input, Begin::Resume(acknowledged), on_event)
            .await
    }

    async fn launch<F>(
        &self,
        profile: &Profile,
        input: &AgentInput,
        begin: Begin,
        on_event: F,
    ) -> Result<VerificationHandle>
    where
        F: Fn(VerificationEvent) + Send + Sync + 'static,
    {
        let prepared = prepare(profile, input)?;
        if let (true, Some(dir)) = (profile.is_sandbox, &self.inner.options.sandbox_proof_dir) {
            crate::sandbox_proof::prove(&profile.issuer, dir).await?;
        }
        let mut draft = RecordDraft::new(profile, &prepared);
        let trail = self.audit_trail();
        if let (Some(t), Begin::Request { .. }) = (&trail, &begin) {
            // Before anything is sent: even a crash or `kill -9` from here on leaves a trace.
            draft.requested_as(t.append(draft.unfinished()).await?.seq);
        }
        let cell = self.inner.client_cell(profile);
        let auth = if cell.initialized() {
            None
        } else {
            Some(self.inner.resolve_auth(profile).await?)
        };
        let id = VerificationId(self.inner.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let cancel = CancelHandle::new();
        let (tx, rx) = watch::channel(None);
        // Registered before the task runs, so a cancel right after the start is not lost.
        lock(&self.inner.sessions).insert(
            id,
            Session {
                cancel: cancel.clone(),
                done: rx.clone(),
                task: None,
                request_seq: draft.request_seq(),
            },
        );
        let emitter = Emitter {
            id,
            profile: profile.name.clone(),
            provider: profile.provider,
            is_sandbox: profile.is_sandbox,
            sink: Arc::new(on_event),
        };
        let span = tracing::info_span!(
            "verification",
            id = id.0,
            profile = %profile.name,
            provider = %profile.provider
        );
        let inner = self.inner.clone();
        let profile = profile.clone();
        let task = tokio::spawn(
            async move {
                let Some(state) = inner
                    .run(&profile, prepared, begin, auth, cell, &cancel, &emitter)
                    .await
                else {
                    // Handed over: the handle reports an internal failure, nothing else.
                    lock(&inner.sessions).remove(&id);
                    return;
                };
                let audit = match trail {
                    Some(t) => Some(t.record(draft.finish(&state)).await),
                    None => None,
                };
                emitter.emit_with(state.clone(), audit);
                lock(&inner.sessions).remove(&id);
                let _ = tx.send(Some(state));
            }
            .instrument(span),
        );
        if let Some(s) = lock(&self.inner.sessions).get_mut(&id) {
            s.task = Some(task.abort_handle());
        }
        Ok(VerificationHandle { id, done: rx })
    }

    /// The `requested` audit records of the verifications this desk is running now.
    pub fn running_requests(&self) -> std::collections::HashSet<u64> {
        lock(&self.inner.sessions)
            .values()
            .filter_map(|s| s.request_seq)
            .collect()
    }

    /// As [`start`](Self::start), with the events in a channel.
    pub async fn start_with_channel(
        &self,
        profile: &Profile,
        input: &AgentInput,
    ) -> Result<(
        VerificationHandle,
        mpsc::UnboundedReceiver<VerificationEvent>,
    )> {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = self
            .start(profile, input, move |e| {
                let _ = tx.send(e);
            })
            .await?;
        Ok((handle, rx))
    }

    /// Cancels a running verification; its final event is `Cancelled`.
    pub fn cancel(&self, id: VerificationId) -> Result<()> {
        match lock(&self.inner.sessions).get(&id) {
            Some(s) => {
                s.cancel.cancel();
                Ok(())
            }
            None => Err(DeskError::UnknownVerification(id.0)),
        }
    }

    /// Stops a verification here without a word to the provider and without a final event:
    /// someone else now polls it (a server instance that lost its lease). Its handle reports
    /// an internal failure.
    pub fn abandon(&self, id: VerificationId) {
        if let Some(s) = lock(&self.inner.sessions).remove(&id)
            && let Some(task) = s.task
        {
            task.abort();
        }
    }

    /// Stops polling a verification at its next wait, without withdrawing it at the provider
    /// and without a final event, for another process to go on with it
    /// ([`resume`](Self::resume)). A poll already sent is answered first: if that answer is
    /// final, it ends here as usual.
    pub fn hand_over(&self, id: VerificationId) {
        if let Some(s) = lock(&self.inner.sessions).get(&id) {
            s.cancel.hand_over();
        }
    }

    /// Cancels every running verification; returns how many there were.
    pub fn cancel_all(&self) -> usize {
        let sessions = lock(&self.inner.sessions);
        for s in sessions.values() {
            s.cancel.cancel();
        }
        sessions.len()
    }

    /// For app shutdown: cancels everything and waits (at most `timeout`) for the provider
    /// cancel calls to go out and the final events to be emitted.
    pub async fn shutdown(&self, timeout: Duration) {
        self.cancel_all();
        let waiting: Vec<_> = lock(&self.inner.sessions)
            .values()
            .map(|s| s.done.clone())
            .collect();
        let _ = tokio::time::timeout(timeout, async {
            for rx in waiting {
                wait_final(rx).await;
            }
        })
        .await;
    }

    /// The verifications still running.
    pub fn running(&self) -> Vec<VerificationId> {
        let mut ids: Vec<_> = lock(&self.inner.sessions).keys().copied().collect();
        ids.sort();
        ids
    }

    /// Drops the cached client of a profile, so the next verification discovers again and
    /// re-reads the secret (after the profile or its secret changed).
    pub fn forget_profile(&self, name: &str) {
        lock(&self.inner.clients).remove(name);
    }
}

#[derive(Clone)]
struct Emitter {
    id: VerificationId,
    profile: String,
    provider: ProviderKind,
    is_sandbox: bool,
    sink: Sink,
}

impl Emitter {
    fn emit(&self, state: VerificationState) {
        self.emit_with(state, None);
    }

    fn emit_with(&self, state: VerificationState, audit: Option<AuditEntry>) {
        tracing::info!(state = state.name(), "verification state");
        (self.sink)(VerificationEvent {
            id: self.id,
            profile: self.profile.clone(),
            provider: self.provider,
            is_sandbox: self.is_sandbox,
            at: unix_ms(),
            state,
            audit,
        });
    }
}

fn fingerprint(p: &Profile) -> String {
    serde_json::json!([
        p.issuer,
        p.client_id,
        p.auth_method,
        p.secret,
        p.signing_alg,
        p.key_id,
        p.signed_requests,
        p.fapi,
        p.ca_certificates,
        p.endpoints
    ])
    .to_string()
}

fn overrides(p: &Profile) -> Result<EndpointOverrides> {
    let url = |field: &str, v: &Option<String>| -> Result<Option<Url>> {
        v.as_deref()
            .map(|s| {
                Url::parse(s).map_err(|e| DeskError::InvalidProfile {
                    profile: p.name.clone(),
                    reason: format!("the {field} {s:?} is not a URL ({e})"),
                })
            })
            .transpose()
    };
    let Some(e) = &p.endpoints else {
        return Ok(EndpointOverrides::default());
    };
    Ok(EndpointOverrides {
        backchannel_authentication_endpoint: url(
            "backchannel endpoint",
            &e.backchannel_authentication,
        )?,
        token_endpoint: url("token endpoint", &e.token)?,
        jwks_uri: url("JWKS URI", &e.jwks_uri)?,
    })
}

impl Inner {
    fn client_cell(&self, profile: &Profile) -> ClientCell {
        let fp = fingerprint(profile);
        let mut clients = lock(&self.clients);
        match clients.get(&profile.name) {
            Some((f, cell)) if *f == fp => cell.clone(),
            _ => {
                let cell = ClientCell::default();
                clients.insert(profile.name.clone(), (fp, cell.clone()));
                cell
            }
        }
    }

    /// Secret sources may block (keyring prompts), so they run off the async threads.
    async fn resolve_auth(&self, profile: &Profile) -> Result<ClientAuth> {
        let secrets = self.secrets.clone();
        let name = profile.name.clone();
        let profile = profile.clone();
        tokio::task::spawn_blocking(move || client_auth(&profile, secrets.as_ref()))
            .await
            .map_err(|e| DeskError::SecretUnavailable {
                profile: name,
                what: "secret",
                reason: e.to_string(),
            })?
    }

    async fn client(
        &self,
        profile: &Profile,
        cell: ClientCell,
        auth: Option<ClientAuth>,
    ) -> Result<Arc<CibaClient>> {
        cell.get_or_try_init(|| async {
            let auth = match auth {
                Some(a) => a,
                None => self.resolve_auth(profile).await?,
            };
            let mut config = ClientConfig::new(profile.issuer.clone(), auth);
            config.http = self.options.http.clone();
            config.overrides = overrides(profile)?;
            config.signed_requests = profile.signed_requests;
            config.fapi = profile.fapi;
            config.http.extra_roots_pem = profile.ca_certificates.clone();
            let mut client = CibaClient::discover(config).await?;
            if let Some(clock) = &self.options.clock {
                client = client.with_clock(clock.clone());
            }
            client = client.with_poll_jitter(self.options.poll_jitter);
            Ok::<_, DeskError>(Arc::new(client))
        })
        .await
        .cloned()
    }

    #[allow(clippy::too_many_arguments)]
    async fn run(
        &self,
        profile: &Profile,
        prepared: PreparedRequest,
        begin: Begin,
        auth: Option<ClientAuth>,
        cell: ClientCell,
        cancel: &CancelHandle,
        emit: &Emitter,
    ) -> Option<VerificationState> {
        let resumed = matches!(begin, Begin::Resume(_));
        if !resumed {
            emit.emit(VerificationState::Requesting {
                expected: prepared.expected.clone(),
                binding_message: prepared.binding_message.clone(),
                binding_message_generated: prepared.binding_message_generated,
                call_initiator: prepared.call_initiator,
                warnings: prepared.warnings.clone(),
            });
        }
        let client = tokio::select! {
            biased;
            _ = cancel.cancelled(), if !resumed => return Some(VerificationState::Cancelled { provider_notified: false }),
            c = self.client(profile, cell, auth) => c,
        };
        let client = match client {
            Ok(c) => c,
            Err(e) => return Some(VerificationState::ended_by(&e)),
        };
        let issuer = client.metadata().issuer.clone();
        let (pending, acknowledged) = match begin {
            Begin::Request { on_ack } => {
                // Not raced with the cancel: once sent, the request exists at the provider,
                // and withdrawing it there needs the auth_req_id its answer carries.
                let requested_at_ms = unix_ms();
                let pending = match client.request(&prepared.request).await {
                    Ok(p) => p,
                    Err(e) => return Some(VerificationState::ended_by(&e.into())),
                };
                let ack = &pending.acknowledgement;
                let acknowledged = RequestAcknowledged {
                    auth_req_id: ack.auth_req_id().clone(),
                    requested_at_ms,
                    expires_at_ms: unix_ms().saturating_add(ack.expires_in.as_millis() as u64),
                    interval: ack.interval.unwrap_or(ciba::DEFAULT_INTERVAL),
                    word_pair: profile
                        .ack_word_pair_field
                        .as_ref()
                        .and_then(|f| ack.extra.get(f))
                        .and_then(|v| v.as_str())
                        // Read aloud from the screen: no terminal escapes, no numbers.
                        .map(ciba::provider_text),
                };
                if let Some(on_ack) = on_ack {
                    on_ack(&acknowledged);
                }
                (pending, acknowledged)
            }
            Begin::Resume(a) => {
                let remaining = Duration::from_millis(a.expires_at_ms.saturating_sub(unix_ms()));
                let pending = client.resume(
                    a.auth_req_id.clone(),
                    a.requested_at_ms / 1000,
                    remaining,
                    Some(a.interval),
                );
                (pending, a)
            }
        };
        let auth_req_id = acknowledged.auth_req_id.clone();
        if cancel.is_cancelled() {
            return Some(VerificationState::Cancelled {
                provider_notified: self
                    .cancel_at_provider(&client, profile, &issuer, &auth_req_id)
                    .await,
            });
        }

        let customer_link = profile.customer_link.as_ref().and_then(|l| {
            render_template(&l.template, &issuer, auth_req_id.expose_secret())
                .inspect_err(|e| tracing::warn!(error = %e, "no customer link"))
                .ok()
        });
        let qr = match (&customer_link, &profile.customer_link) {
            (Some(link), Some(l)) if l.qr_code => match qr_svg(link) {
                Ok(svg) => Some(svg),
                Err(e) => {
                    tracing::warn!(error = %e, "no QR code for the customer link");
                    None
                }
            },
            _ => None,
        };
        let waiting = VerificationState::WaitingForUser {
            expires_at: acknowledged.expires_at_ms,
            interval: acknowledged.interval.as_secs(),
            word_pair: acknowledged.word_pair.clone(),
            customer_link,
            qr_svg: qr,
        };
        emit.emit(waiting.clone());

        let current = Mutex::new(waiting);
        let progress = |p: Progress| {
            if let Progress::SlowDown { interval } = p {
                let mut w = lock(&current);
                if let VerificationState::WaitingForUser { interval: i, .. } = &mut *w {
                    *i = interval.as_secs();
                }
                emit.emit(w.clone());
            }
        };
        let state = match client.wait(pending, cancel, &progress).await {
            Ok(v) => {
                let identity = VerifiedIdentity::from_token(profile, &issuer, &v.id_token);
                let identity_match = identity_match(
                    &prepared.expected,
                    prepared.binding_message.as_deref(),
                    &identity,
                );
                if identity_match.is_mismatch() {
                    tracing::warn!("the person who approved is not the one asked for");
                }
                VerificationState::Verified {
                    identity: Box::new(identity),
                    identity_match,
                }
            }
            Err(CibaError::Cancelled) => VerificationState::Cancelled {
                provider_notified: self
                    .cancel_at_provider(&client, profile, &issuer, &auth_req_id)
                    .await,
            },
            // Another process goes on with it: no final state here.
            Err(CibaError::HandedOver) => return None,
            Err(e) => VerificationState::ended_by(&e.into()),
        };
        Some(state)
    }

    /// The provider's own cancel call, if the profile has one. Never fails the cancel: the
    /// agent's cancel stands whatever the provider answers.
    async fn cancel_at_provider(
        &self,
        client: &CibaClient,
        profile: &Profile,
        issuer: &str,
        auth_req_id: &SecretString,
    ) -> bool {
        let Some(template) = &profile.cancel_url else {
            return false;
        };
        let url = match render_template(template, issuer, auth_req_id.expose_secret()) {
            Ok(u) => u,
            Err(e) => {
                // The client's credentials never go to a URL the id could have bent.
                tracing::warn!(error = %e, "no cancel call");
                return false;
            }
        };
        let Ok(url) = Url::parse(&url) else {
            tracing::warn!("the cancel URL is not a URL");
            return false;
        };
        match tokio::time::timeout(
            self.options.cancel_timeout,
            client.delete_with_client_auth(&url),
        )
        .await
        {
            Ok(Ok(status)) if (200..300).contains(&status) => {
                tracing::info!(status, "the provider cancelled the request");
                true
            }
            Ok(Ok(status)) => {
                tracing::warn!(status, "the provider did not confirm the cancel");
                false
            }
            Ok(Err(e)) => {
                tracing::warn!(code = e.code(), "the cancel call failed");
                false
            }
            Err(_) => {
                tracing::warn!("the cancel call timed out");
                false
            }
        }
    }
}
