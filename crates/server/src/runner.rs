//! Running verifications across instances. The instance that starts a verification holds its
//! lease (fence 1) and polls it through the desk; every few seconds it renews the leases of
//! all it polls. An instance that dies stops renewing: within [`LEASE`] and one scan, another
//! instance claims the verification (fence + 1), unseals what was asked and the provider's
//! request id, and goes on polling at the provider's interval. A write names the fence it
//! holds, so an instance that wakes up after losing a lease writes nothing: it stops its own
//! polling instead. At `SIGTERM` an instance hands its leases back at once and says so on the
//! change feed, where the others are listening.
//!
//! A verification the provider had not acknowledged when its instance died cannot be polled
//! by anyone (nobody knows its request id): it ends as `interrupted`, with its final record.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use desk::{AgentInput, Profile, RecordDraft, RequestAcknowledged, VerificationEvent};
use desk::{ErrorReport, FailureKind, VerificationState};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::mpsc;
use tracing::Instrument as _;

use crate::auth::Agent;
use crate::error::{Result, ServerError};
use crate::service::{
    Change, LEASE, Recorder, Running, Service, VerificationObject, now_ms, state_json,
};
use crate::store::cluster::{CANCEL_PREFIX, FEED_RESUMED, LEASES_RELEASED, parse_change};
use crate::store::{
    Acknowledged, AuditEntry, Claimed, DeliveryResult, Lease, NewDelivery, UnfinishedVerification,
};

/// How often an instance renews its leases.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// How often an instance looks for verifications whose lease ran out.
const SCAN_EVERY: Duration = Duration::from_secs(2);
/// How many verifications one scan takes over at most.
const CLAIM_BATCH: u32 = 200;
/// How long shutdown waits for polls already sent to be answered and stored.
const HAND_OVER_WAIT: Duration = Duration::from_secs(5);
/// How often the webhook sender looks for due deliveries (it is also woken by final states).
const OUTBOX_EVERY: Duration = Duration::from_secs(1);

/// What the desk's session reports to the task that stores it.
enum Message {
    Acknowledged(Acknowledged),
    Event(VerificationEvent),
}

impl Service {
    /// Polls a verification on this instance: a new one (`resume` = `None`) or one taken
    /// over. Returns once it runs (true; its states go to the database from then on) or has
    /// ended (false: the desk refused to start it).
    pub(crate) async fn run(
        self: &Arc<Self>,
        profile: &Profile,
        input: &AgentInput,
        record: Recorder,
        lease: Lease,
        resume: Option<(RequestAcknowledged, bool)>,
    ) -> bool {
        let id = record.verification_id.clone();
        let before = self.running().insert(
            id.clone(),
            Running {
                fence: lease.fence,
                desk_id: None,
            },
        );
        // Taken over from this very instance (it was too slow to renew): the old session
        // goes, quietly.
        if let Some(d) = before.and_then(|r| r.desk_id) {
            self.desk.abandon(d);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let on_event = {
            let tx = tx.clone();
            move |e| drop(tx.send(Message::Event(e)))
        };
        let span = tracing::info_span!("verification", id = %id, profile = %profile.name, agent = %record.agent.sub);
        let taken_over = resume.is_some();
        let (started, cancel_now) = {
            let _enter = span.enter();
            match resume {
                None => {
                    let sealer = self.sealer.clone();
                    let sealed_for = id.clone();
                    let on_ack = move |a: &RequestAcknowledged| {
                        let ack = Acknowledged {
                            sealed_auth_req_id: sealer.seal(
                                &sealed_for,
                                "auth_req_id",
                                a.auth_req_id.expose_secret().as_bytes(),
                            ),
                            expires_at_ms: a.expires_at_ms as i64,
                            interval_ms: a.interval.as_millis() as i64,
                        };
                        let _ = tx.send(Message::Acknowledged(ack));
                    };
                    let h = self
                        .desk
                        .start_resumable(profile, input, on_event, on_ack)
                        .await;
                    (h, false)
                }
                Some((ack, cancel)) => (
                    self.desk.resume(profile, input, ack, on_event).await,
                    cancel,
                ),
            }
        };
        match started {
            Ok(h) => {
                if let Some(r) = self.running().get_mut(&id)
                    && r.fence == lease.fence
                {
                    r.desk_id = Some(h.id);
                }
                // A cancel asked for before the session existed.
                let asked = cancel_now
                    || matches!(self.store.verification(&id).await, Ok(Some(r)) if r.cancel_requested);
                if asked {
                    let _ = self.desk.cancel(h.id);
                }
                let service = self.clone();
                tokio::spawn(
                    async move { service.drive(record, lease, rx, taken_over).await }
                        .instrument(span),
                );
                true
            }
            Err(e) => {
                self.finish(&record, Some(&lease), &VerificationState::ended_by(&e))
                    .await;
                self.forget(&id, lease.fence);
                false
            }
        }
    }

    pub(crate) fn running(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores each state while the lease holds; the final one with its audit record.
    async fn drive(
        self: Arc<Self>,
        record: Recorder,
        lease: Lease,
        mut messages: mpsc::UnboundedReceiver<Message>,
        taken_over: bool,
    ) {
        self.drives.send_modify(|n| *n += 1);
        let _done = Defer(|| self.drives.send_modify(|n| *n -= 1));
        let id = record.verification_id.clone();
        let mut ended = false;
        // Kept with the state that follows it (the desk sends "waiting" next): one write.
        let mut acknowledged = None;
        while let Some(m) = messages.recv().await {
            let written = match m {
                Message::Acknowledged(ack) => {
                    acknowledged = Some(ack);
                    continue;
                }
                Message::Event(e) if e.state.is_final() => {
                    let state = if taken_over {
                        answered_elsewhere(e.state)
                    } else {
                        e.state
                    };
                    self.finish(&record, Some(&lease), &state).await;
                    ended = true;
                    break;
                }
                Message::Event(e) => {
                    let json = state_json(&e.state);
                    match acknowledged.take() {
                        Some(ack) => {
                            self.store
                                .acknowledged(&id, &lease, &ack, &json, now_ms())
                                .await
                        }
                        None => {
                            self.store
                                .set_state(&id, Some(&lease), &json, false, now_ms())
                                .await
                        }
                    }
                }
            };
            match written {
                Ok(()) => {}
                Err(ServerError::LeaseLost) => {
                    self.lost(&id, lease.fence);
                    return;
                }
                Err(e) => tracing::error!(error = %e, "a verification's state could not be stored"),
            }
        }
        let still_ours = self.forget(&id, lease.fence).is_some();
        if !ended && still_ours {
            // The runner stopped without a final state: end it, so the customer is not
            // blocked and the trail is complete.
            let state = VerificationState::Failed {
                kind: FailureKind::Internal,
                error: ErrorReport::new(
                    "internal",
                    "the verification stopped unexpectedly; start it again",
                ),
            };
            self.finish(&record, Some(&lease), &state).await;
        }
    }

    /// Forgets the verification's session of the lease with `fence` (not a newer one).
    fn forget(&self, id: &str, fence: i64) -> Option<Running> {
        let mut running = self.running();
        if running.get(id).is_some_and(|r| r.fence == fence) {
            running.remove(id)
        } else {
            None
        }
    }

    /// Another instance has the verification now (or this one under a newer fence): stop the
    /// polling of the lease with `fence` here, quietly.
    fn lost(&self, id: &str, fence: i64) {
        if let Some(r) = self.forget(id, fence) {
            tracing::info!(id, "another instance took this verification over");
            if let Some(d) = r.desk_id {
                self.desk.abandon(d);
            }
        }
    }

    /// The final audit record, the final state and the webhook deliveries, in one
    /// transaction (while `lease` holds).
    pub(crate) async fn finish(
        &self,
        record: &Recorder,
        lease: Option<&Lease>,
        state: &VerificationState,
    ) {
        let now = now_ms();
        let entry = record.finished(state, now);
        self.finish_with(record.object(&entry.profile, state), lease, &entry, state)
            .await;
    }

    async fn finish_with(
        &self,
        object: VerificationObject,
        lease: Option<&Lease>,
        entry: &AuditEntry,
        state: &VerificationState,
    ) {
        let json = state_json(state);
        let body = serde_json::to_string(&object).expect("a verification serialises");
        let deliveries: Vec<NewDelivery> = self
            .receivers
            .iter()
            .filter(|r| r.events.contains(&entry.outcome))
            .map(|r| NewDelivery {
                url: r.url.clone(),
                event: entry.outcome.clone(),
                body: body.clone(),
            })
            .collect();
        match self
            .store
            .finish(lease, entry, &json, &deliveries, entry.time_ms)
            .await
        {
            Ok(_) => {
                self.metrics.finished(&entry.profile, &entry.outcome);
                if !deliveries.is_empty() {
                    self.outbox.notify_one();
                }
            }
            Err(ServerError::LeaseLost) => {
                if let Some(l) = lease {
                    self.lost(&entry.verification_id, l.fence);
                }
            }
            Err(ServerError::AlreadyFinished) => {
                tracing::info!("the verification had already ended");
            }
            Err(e) => {
                tracing::error!(error = %e, "a verification's end could not be stored");
            }
        }
    }

    /// Starts this instance's background work: lease renewal, take-overs, cancels asked on
    /// other instances, webhook deliveries. Each stops when the instance shuts down.
    pub async fn start_background(self: &Arc<Self>) {
        self.store.listen().await;
        tokio::spawn(self.clone().renew_loop());
        tokio::spawn(self.clone().claim_loop());
        tokio::spawn(self.clone().feed_loop());
        tokio::spawn(self.clone().outbox_loop());
    }

    async fn until_stopping(&self, wait: Duration) -> bool {
        let mut stopping = self.stopping.subscribe();
        tokio::select! {
            _ = stopping.wait_for(|s| *s) => true,
            _ = tokio::time::sleep(wait) => self.is_stopping(),
        }
    }

    async fn renew_loop(self: Arc<Self>) {
        while !self.until_stopping(RENEW_EVERY).await {
            // Only verifications registered before the renewal can be missing from it.
            let before: Vec<(String, i64)> = self
                .running()
                .iter()
                .map(|(id, r)| (id.clone(), r.fence))
                .collect();
            let until = now_ms() + LEASE.as_millis() as i64;
            match self.store.renew_leases(&self.instance, until).await {
                Ok(held) => {
                    // A cancel whose notification was missed is acted on here.
                    for (id, _) in held.iter().filter(|(_, cancel)| *cancel) {
                        if let Some(d) = self.running().get(id).and_then(|r| r.desk_id) {
                            let _ = self.desk.cancel(d);
                        }
                    }
                    let held: HashSet<String> = held.into_iter().map(|(id, _)| id).collect();
                    for (id, fence) in before.iter().filter(|(id, _)| !held.contains(id)) {
                        self.lost(id, *fence);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "the leases could not be renewed"),
            }
        }
    }

    async fn claim_loop(self: Arc<Self>) {
        let mut feed = self.store.changes();
        loop {
            if self.is_stopping() {
                return;
            }
            let now = now_ms();
            match self
                .store
                .claim_expired(
                    &self.instance,
                    now,
                    now + LEASE.as_millis() as i64,
                    CLAIM_BATCH,
                )
                .await
            {
                Ok(claimed) => {
                    let full = claimed.len() == CLAIM_BATCH as usize;
                    for c in claimed {
                        self.take_over(c).await;
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "expired leases could not be claimed"),
            }
            let mut stopping = self.stopping.subscribe();
            let released = async {
                loop {
                    match feed.recv().await {
                        Ok(p) if &*p == LEASES_RELEASED => return,
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await
                        }
                    }
                }
            };
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(SCAN_EVERY) => {}
                _ = released => {}
            }
        }
    }

    /// Goes on with a verification another instance held, or ends it as interrupted when
    /// nobody can (the provider never acknowledged it, or its sealed data cannot be opened).
    async fn take_over(self: &Arc<Self>, c: Claimed) {
        let id = c.verification.id.clone();
        if c.previous_owner
            .as_ref()
            .is_some_and(|p| *p != self.instance)
        {
            self.metrics.lease_takeover();
            tracing::info!(id, "took over a verification from another instance");
        }
        match self.resumable(&c) {
            Ok(Some((profile, input, ack))) => {
                let prepared = match desk::prepare(&profile, &input) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(id, error = %e, "a taken-over verification cannot be prepared");
                        return self.interrupted(c).await;
                    }
                };
                let row = &c.verification;
                let record = Recorder {
                    verification_id: id.clone(),
                    agent: Agent {
                        sub: row.agent_sub.clone(),
                        name: row.agent_name.clone(),
                        roles: vec![],
                    },
                    reference: row.reference.clone(),
                    id_hash: row.identifier_key.clone(),
                    identifier_masked: row.identifier_masked.clone(),
                    created_at_ms: row.created_at_ms,
                    draft: RecordDraft::new(&profile, &prepared),
                };
                let cancel = row.cancel_requested;
                self.run(&profile, &input, record, c.lease, Some((ack, cancel)))
                    .await;
            }
            Ok(None) => self.interrupted(c).await,
            Err(e) => {
                tracing::error!(id, error = %e, "a taken-over verification cannot be resumed");
                self.interrupted(c).await;
            }
        }
    }

    /// The profile, the agent's input and the acknowledgement of a claimed verification;
    /// `None` when the provider never acknowledged it.
    #[allow(clippy::type_complexity)]
    fn resumable(&self, c: &Claimed) -> Result<Option<(Profile, AgentInput, RequestAcknowledged)>> {
        let id = &c.verification.id;
        let (Some(request), Some(auth_req_id), Some(expires), Some(interval)) = (
            &c.sealed_request,
            &c.sealed_auth_req_id,
            c.expires_at_ms,
            c.interval_ms,
        ) else {
            return Ok(None);
        };
        let profile = self.profile(&c.verification.profile)?.clone();
        let input: AgentInput = serde_json::from_slice(&self.sealer.open(id, "request", request)?)
            .map_err(|_| ServerError::Unsealable { what: "request" })?;
        let auth_req_id = String::from_utf8(self.sealer.open(id, "auth_req_id", auth_req_id)?)
            .map_err(|_| ServerError::Unsealable {
                what: "auth_req_id",
            })?;
        let state: serde_json::Value =
            serde_json::from_str(&c.verification.state_json).unwrap_or_default();
        Ok(Some((
            profile,
            input,
            RequestAcknowledged {
                auth_req_id: SecretString::from(auth_req_id),
                // The row is written before the request is sent: never later than it.
                requested_at_ms: c.verification.created_at_ms.max(0) as u64,
                expires_at_ms: expires.max(0) as u64,
                interval: Duration::from_millis(interval.max(0) as u64),
                word_pair: state
                    .get("word_pair")
                    .and_then(|w| w.as_str())
                    .map(str::to_owned),
            },
        )))
    }

    /// Ends a verification nobody can go on with, with its final record (what it asked is
    /// copied from its `requested` record).
    async fn interrupted(&self, c: Claimed) {
        let id = c.verification.id.clone();
        let requested = match self.store.requested_record(&id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(id, error = %e, "an interrupted verification could not be read");
                return;
            }
        };
        let v = UnfinishedVerification {
            verification: c.verification,
            requested,
        };
        let entry = AuditEntry::interrupted(&v, now_ms());
        let state = VerificationState::Failed {
            kind: FailureKind::Internal,
            error: ErrorReport::new(
                "interrupted",
                "the server stopped before this verification ended; start it again",
            ),
        };
        let mut object: VerificationObject = v.verification.clone().into();
        object.state = serde_json::to_value(&state).unwrap_or_default();
        tracing::warn!(
            id,
            "a verification nobody can go on with was closed as interrupted"
        );
        self.finish_with(object, Some(&c.lease), &entry, &state)
            .await;
    }

    /// The change feed, handed on: to the event streams following the verification that
    /// changed, and as a cancel to this instance's session when it polls that verification.
    async fn feed_loop(self: Arc<Self>) {
        let mut feed = self.store.changes();
        let mut stopping = self.stopping.subscribe();
        loop {
            let id = tokio::select! {
                _ = stopping.wait_for(|s| *s) => return,
                m = feed.recv() => match m {
                    Ok(id) => id,
                    // Changes were missed: every stream reads again.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => FEED_RESUMED.into(),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            };
            {
                let watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
                if &*id == FEED_RESUMED {
                    for w in watchers.values() {
                        w.send_replace(Change { state: None });
                    }
                } else {
                    let (changed, state) = parse_change(&id);
                    if let Some(w) = watchers.get(changed) {
                        w.send_replace(Change {
                            state: state.map(Arc::from),
                        });
                    }
                }
            }
            let Some(cancelled) = id.strip_prefix(CANCEL_PREFIX) else {
                continue;
            };
            if let Some(desk_id) = self.running().get(cancelled).and_then(|r| r.desk_id) {
                let _ = self.desk.cancel(desk_id);
            }
        }
    }

    async fn outbox_loop(self: Arc<Self>) {
        if self.receivers.is_empty() {
            return;
        }
        let http = crate::webhooks::client();
        let mut stopping = self.stopping.subscribe();
        loop {
            let now = now_ms();
            let hold = now + crate::webhooks::HOLD.as_millis() as i64;
            match self.store.claim_deliveries(now, hold, 50).await {
                Ok(due) => {
                    let n = due.len();
                    let mut sends = tokio::task::JoinSet::new();
                    for d in due {
                        let (service, http) = (self.clone(), http.clone());
                        sends.spawn(async move { service.deliver(&http, d).await });
                    }
                    sends.join_all().await;
                    if n == 50 {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "webhook deliveries could not be read"),
            }
            tokio::select! {
                _ = stopping.wait_for(|s| *s) => return,
                _ = self.outbox.notified() => {}
                _ = tokio::time::sleep(OUTBOX_EVERY) => {}
            }
        }
    }

    async fn deliver(&self, http: &reqwest::Client, d: crate::store::Delivery) {
        let result = crate::webhooks::deliver(http, &self.receivers, &d, now_ms()).await;
        match &result {
            DeliveryResult::Delivered => self.metrics.webhook_delivered(),
            DeliveryResult::Retry { error, .. } | DeliveryResult::GaveUp { error } => {
                self.metrics.webhook_failed();
                tracing::warn!(url = %d.url, error, "a webhook delivery failed");
            }
        }
        if let Err(e) = self
            .store
            .record_delivery(&d.verification_id, &d.url, &result, now_ms())
            .await
        {
            tracing::error!(error = %e, "a webhook delivery could not be recorded");
        }
    }

    /// At SIGTERM: no new work, every open event stream ends, the verifications polled here
    /// stop at their next wait (a poll already sent is answered and stored first: a provider
    /// answers only once) and their leases go back at once, for another instance to take.
    pub async fn shut_down(&self) {
        self.stopping.send_replace(true);
        let ours: Vec<_> = self.running().drain().collect();
        for (_, r) in &ours {
            if let Some(d) = r.desk_id {
                self.desk.hand_over(d);
            }
        }
        let mut drives = self.drives.subscribe();
        if tokio::time::timeout(HAND_OVER_WAIT, drives.wait_for(|n| *n == 0))
            .await
            .is_err()
        {
            tracing::warn!("some polls were still unanswered; handing them over anyway");
            for (_, r) in &ours {
                if let Some(d) = r.desk_id {
                    self.desk.abandon(d);
                }
            }
        }
        match self.store.release_leases(&self.instance).await {
            Ok(n) => tracing::info!(count = n, "handed leases back"),
            Err(e) => {
                tracing::warn!(error = %e, "the leases could not be handed back; they run out by themselves")
            }
        }
    }
}

/// Runs its closure when dropped.
struct Defer<F: FnMut()>(F);

impl<F: FnMut()> Drop for Defer<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// A provider hands out the answer to a request once: when the instance that received it
/// died before storing it, the one that took over hears `invalid_grant`. Said as it is.
fn answered_elsewhere(state: VerificationState) -> VerificationState {
    match state {
        VerificationState::Failed { kind, error } if error.code == "invalid_grant" => {
            VerificationState::Failed {
                kind,
                error: ErrorReport::new(
                    "answer_lost",
                    "the provider gave the customer's answer to a server instance that stopped \
                     before it could record it (a provider answers only once); start the \
                     verification again",
                ),
            }
        }
        other => other,
    }
}

impl Recorder {
    /// The verification as the API shows it, in `state`.
    pub(crate) fn object(&self, profile: &str, state: &VerificationState) -> VerificationObject {
        VerificationObject {
            id: self.verification_id.clone(),
            profile: profile.to_owned(),
            agent: crate::service::AgentRef {
                sub: self.agent.sub.clone(),
                name: self.agent.name.clone(),
            },
            reference: self.reference.clone(),
            identifier: self.identifier_masked.clone(),
            created_at: audit::format_unix_ms(self.created_at_ms),
            state: serde_json::to_value(state).unwrap_or_default(),
            webhooks: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_given_to_a_dead_instance_is_named_and_nothing_else_changes() {
        let failed = |code: &str| VerificationState::Failed {
            kind: FailureKind::Provider,
            error: ErrorReport::new(code, "x"),
        };
        let VerificationState::Failed { error, .. } = answered_elsewhere(failed("invalid_grant"))
        else {
            panic!("still failed");
        };
        assert_eq!(error.code, "answer_lost");
        assert!(error.message.contains("start the verification again"));
        let VerificationState::Failed { error, .. } = answered_elsewhere(failed("access_denied"))
        else {
            panic!("still failed");
        };
        assert_eq!(error.code, "access_denied");
    }
}
