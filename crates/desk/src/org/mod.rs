//! Server mode: the desktop as an agent's window onto the organisation's `ciba-desk-server`.
//! The agent signs in with the organisation's provider in their own browser (authorization
//! code with PKCE and a loopback redirect); the access token stays in memory, the refresh
//! token in the OS keyring. Profiles, verifications and History then come from the server,
//! which holds the providers' secrets and the audit trail; this computer holds neither.
//!
//! A server that stops answering pauses new verifications (never a silent fall-back to this
//! computer's profiles); those running go on at the server and are followed again, from the
//! state they reached, once it answers.

pub mod browser;
mod loopback;
mod server_api;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ciba::{ExposeSecret, Http, HttpOptions, SecretString, SignInClient, SystemClock};
use secrets::{EntryName, SecretStore};
use serde_json::{Value, json};
use tokio::sync::watch;
use url::Url;

pub use server_api::{EventStream, ServerClient, SignInOffer};

use crate::api::views::{
    HistoryEntry, HistoryPage, HistoryQuery, IdentityKind, OrganisationState, OrganisationView,
    ProfileSummary, SessionResult, VerificationRequest, VerificationUpdate,
};
use crate::error::{DeskError, ErrorReport, Result};

/// How long the agent has to finish signing in in the browser.
pub const SIGN_IN_WITHIN: Duration = Duration::from_secs(5 * 60);
/// An access token this close to its end is refreshed before use.
const REFRESH_AHEAD: Duration = Duration::from_secs(30);
/// The longest pause between attempts to reach a server that does not answer.
const RETRY_AT_MOST: Duration = Duration::from_secs(10);
/// How many result cards of this run's server verifications are kept in memory.
const RESULTS_KEPT: usize = 200;
/// The scope that asks for a refresh token, so the agent signs in once per shift.
const OFFLINE_ACCESS: &str = "offline_access";

/// Where the organisation's server is, and how its agents sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgConfig {
    pub server_url: String,
    /// The administrator's choice (policy file); otherwise the server's own offer is asked.
    pub sign_in: Option<SignInOffer>,
    pub from_policy: bool,
}

struct SignedIn {
    access: SecretString,
    expires_at: Option<Instant>,
    refresh: Option<SecretString>,
    name: String,
}

#[derive(Default)]
struct Inner {
    config: Option<OrgConfig>,
    client: Option<ServerClient>,
    sign_in: Option<Arc<SignInClient>>,
    signed: Option<SignedIn>,
    state: Option<OrganisationState>,
    problem: Option<ErrorReport>,
    profiles: Vec<ProfileSummary>,
    /// This run's result cards of server verifications, by verification id.
    results: HashMap<String, SessionResult>,
    probing: bool,
}

/// The organisation's server as one desktop sees it. Cheap to share (`Arc`).
pub struct Organisation {
    keyring: Option<SecretStore>,
    http: HttpOptions,
    inner: Mutex<Inner>,
    version: watch::Sender<u64>,
    /// Sign-in attempts so far: a newer one ends the one waiting.
    attempts: watch::Sender<u64>,
    /// One refresh at a time: two would spend the same refresh token.
    refreshing: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

type UpdateSink = Arc<dyn Fn(VerificationUpdate) + Send + Sync>;

impl Organisation {
    pub fn new(keyring: Option<SecretStore>, http: HttpOptions) -> Arc<Self> {
        Arc::new(Self {
            keyring,
            http,
            inner: Mutex::new(Inner::default()),
            version: watch::channel(0).0,
            attempts: watch::channel(0).0,
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// Points the desk at a server (or at none: stand-alone). Another server than before ends
    /// the sign-in, which was for that one.
    pub fn configure(&self, config: Option<OrgConfig>) -> Result<()> {
        let client = match &config {
            Some(c) => Some(ServerClient::new(&c.server_url, self.http.request_timeout)?),
            None => None,
        };
        let mut i = lock(&self.inner);
        if i.config == config {
            return Ok(());
        }
        let same_server =
            i.config.as_ref().map(|c| &c.server_url) == config.as_ref().map(|c| &c.server_url);
        if !same_server {
            i.signed = None;
            i.profiles.clear();
            i.problem = None;
        }
        i.sign_in = None;
        i.client = client;
        i.state = None;
        i.config = config;
        drop(i);
        self.changed();
        Ok(())
    }

    /// Whether a server is set: the desk then runs nothing of its own.
    pub fn is_on(&self) -> bool {
        lock(&self.inner).config.is_some()
    }

    pub fn view(&self) -> OrganisationView {
        let i = lock(&self.inner);
        let state = match (&i.config, i.state, &i.signed) {
            (None, _, _) => OrganisationState::Off,
            (Some(_), Some(s), _) => s,
            (Some(_), None, Some(_)) => OrganisationState::SignedIn,
            (Some(_), None, None) => OrganisationState::SignedOut,
        };
        OrganisationView {
            state,
            server_url: i.config.as_ref().map(|c| c.server_url.clone()),
            server_from_policy: i.config.as_ref().is_some_and(|c| c.from_policy),
            agent_name: i.signed.as_ref().map(|s| s.name.clone()),
            problem: i.problem.clone(),
            version: *self.version.borrow(),
        }
    }

    /// Waits until the view changes from version `seen` (or `within` passes).
    pub async fn wait_change(&self, seen: u64, within: Duration) -> OrganisationView {
        let mut rx = self.version.subscribe();
        let _ = tokio::time::timeout(within, rx.wait_for(|v| *v != seen)).await;
        self.view()
    }

    fn set_state(&self, state: Option<OrganisationState>, problem: Option<ErrorReport>) {
        let mut i = lock(&self.inner);
        if i.state == state && i.problem == problem {
            return;
        }
        i.state = state;
        i.problem = problem;
        drop(i);
        self.changed();
    }

    fn client(&self) -> Result<ServerClient> {
        lock(&self.inner).client.clone().ok_or(DeskError::NoServer)
    }

    async fn sign_in_client(&self) -> Result<Arc<SignInClient>> {
        if let Some(c) = lock(&self.inner).sign_in.clone() {
            return Ok(c);
        }
        let (server, offer) = {
            let i = lock(&self.inner);
            let c = i.config.as_ref().ok_or(DeskError::NoServer)?;
            (
                i.client.clone().ok_or(DeskError::NoServer)?,
                c.sign_in.clone(),
            )
        };
        let offer = match offer {
            Some(o) => o,
            None => server.sign_in_offer().await?,
        };
        let http = Http::new(self.http.clone())?;
        let mut client = SignInClient::discover(http, &offer.issuer, &offer.client_id).await?;
        let mut scopes = offer.scopes.clone();
        if !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
            scopes.push(OFFLINE_ACCESS.into());
        }
        client = client.with_scopes(scopes);
        let client = Arc::new(client);
        lock(&self.inner).sign_in = Some(client.clone());
        Ok(client)
    }

    /// Signs the agent in through their browser: `open` shows them the provider's page. A
    /// second attempt (the agent closed the first tab and tries again) ends the first.
    pub async fn sign_in(
        self: &Arc<Self>,
        open: &(dyn Fn(&Url) -> Result<()> + Sync),
    ) -> Result<()> {
        let attempt = {
            let mut n = 0;
            self.attempts.send_modify(|a| {
                *a += 1;
                n = *a;
            });
            n
        };
        self.set_state(Some(OrganisationState::SigningIn), None);
        let mut newer = self.attempts.subscribe();
        let result = tokio::select! {
            r = self.sign_in_inner(open) => r,
            _ = newer.wait_for(|a| *a != attempt) => {
                // The newer attempt owns the state from now on.
                return Err(DeskError::Ciba(ciba::CibaError::SignIn(
                    "another sign-in was started; this one was given up".into(),
                )));
            }
        };
        match &result {
            Ok(()) => self.set_state(None, None),
            Err(e @ DeskError::ServerUnreachable { .. }) => {
                self.set_state(Some(OrganisationState::Unreachable), Some(e.report()));
                self.probe();
            }
            Err(e) => {
                let state = lock(&self.inner)
                    .signed
                    .is_none()
                    .then_some(OrganisationState::SignedOut);
                self.set_state(state, Some(e.report()));
            }
        }
        result
    }

    async fn sign_in_inner(&self, open: &(dyn Fn(&Url) -> Result<()> + Sync)) -> Result<()> {
        let client = self.sign_in_client().await?;
        let listener = loopback::Loopback::bind().await?;
        let request = client.authorization_request(&listener.redirect_uri());
        open(request.url())?;
        let query = listener.answer(SIGN_IN_WITHIN).await?;
        let code = request.code_from(&query)?;
        let tokens = client.redeem_code(&SystemClock, &request, &code).await?;
        let name = tokens.display_name().unwrap_or_default();
        self.keep(&client, tokens, Some(name)).await;
        self.load_profiles().await?;
        Ok(())
    }

    /// Takes new tokens: the access token in memory, the refresh token in the keyring too
    /// (with what it is for and the agent's name, so the next start can show it).
    async fn keep(&self, client: &SignInClient, tokens: ciba::SignInTokens, name: Option<String>) {
        let expires_at = tokens
            .expires_in
            .map(|s| Instant::now() + Duration::from_secs(s));
        let (name, refresh) = {
            let mut i = lock(&self.inner);
            let name = name
                .filter(|n| !n.is_empty())
                .or_else(|| i.signed.as_ref().map(|s| s.name.clone()))
                .unwrap_or_default();
            // A provider may keep the old refresh token valid and send no new one.
            let refresh = tokens
                .refresh_token
                .or_else(|| i.signed.as_mut().and_then(|s| s.refresh.take()));
            i.signed = Some(SignedIn {
                access: tokens.access_token,
                expires_at,
                refresh: refresh.clone(),
                name: name.clone(),
            });
            (name, refresh)
        };
        if let (Some(k), Some(r)) = (&self.keyring, refresh) {
            let kept = SecretString::from(format!(
                "{}\n{}\n{}",
                binding(client),
                name.replace('\n', " "),
                r.expose_secret()
            ));
            if let Err(e) = k.set(&EntryName::sign_in_refresh_token(), kept).await {
                tracing::warn!(error = %e, "the sign-in could not be kept in the keyring; it lasts until the app closes");
            }
        }
        // Told only now, so whoever sees the new view finds the sign-in kept.
        self.changed();
    }

    /// At start: signs in again with the refresh token the keyring holds, if it is for this
    /// organisation's sign-in. Quietly: a failure leaves the agent signed out (or the server
    /// marked unreachable), to sign in by hand.
    pub async fn resume(&self) {
        if !self.is_on() || lock(&self.inner).signed.is_some() {
            return;
        }
        let Some(k) = &self.keyring else { return };
        let Ok(stored) = k.get(&EntryName::sign_in_refresh_token()).await else {
            return;
        };
        let client = match self.sign_in_client().await {
            Ok(c) => c,
            Err(e) => {
                self.note_failure(&e);
                return;
            }
        };
        let mut lines = stored.expose_secret().splitn(3, '\n');
        let (Some(bound), Some(name), Some(token)) = (lines.next(), lines.next(), lines.next())
        else {
            return;
        };
        if bound != binding(&client) {
            return;
        }
        let (name, token) = (name.to_owned(), SecretString::from(token.to_owned()));
        match client.refresh(&SystemClock, &token).await {
            Ok(mut tokens) => {
                if tokens.refresh_token.is_none() {
                    tokens.refresh_token = Some(token);
                }
                let name = tokens.display_name().or(Some(name));
                self.keep(&client, tokens, name).await;
                self.set_state(None, None);
                if let Err(e) = self.load_profiles().await {
                    self.note_failure(&e);
                }
            }
            Err(e) => {
                tracing::info!(error = %e, "the kept sign-in could not be renewed");
                if matches!(e, ciba::CibaError::InvalidGrant(_)) {
                    self.forget_refresh_token().await;
                }
            }
        }
    }

    /// Forgets the sign-in here and in the keyring.
    pub async fn sign_out(&self) -> Result<()> {
        {
            let mut i = lock(&self.inner);
            i.signed = None;
            i.profiles.clear();
            i.results.clear();
        }
        self.forget_refresh_token().await;
        self.set_state(None, None);
        self.changed();
        Ok(())
    }

    async fn forget_refresh_token(&self) {
        if let Some(k) = &self.keyring
            && let Err(e) = k.delete(&EntryName::sign_in_refresh_token()).await
        {
            tracing::warn!(error = %e, "the kept sign-in could not be removed from the keyring");
        }
    }

    /// A valid access token: the one in memory, or a refreshed one.
    async fn token(&self) -> Result<SecretString> {
        let fresh = |i: &Inner| {
            i.signed.as_ref().and_then(|s| {
                let ok = s
                    .expires_at
                    .is_none_or(|t| t > Instant::now() + REFRESH_AHEAD);
                ok.then(|| s.access.clone())
            })
        };
        if let Some(t) = fresh(&lock(&self.inner)) {
            return Ok(t);
        }
        let _one = self.refreshing.lock().await;
        if let Some(t) = fresh(&lock(&self.inner)) {
            return Ok(t);
        }
        self.refresh().await
    }

    async fn refresh(&self) -> Result<SecretString> {
        let refresh = {
            let i = lock(&self.inner);
            match &i.signed {
                None => return Err(DeskError::NotSignedIn),
                Some(s) => s.refresh.clone(),
            }
        };
        let Some(refresh) = refresh else {
            return Err(self.expired());
        };
        let client = self.sign_in_client().await?;
        match client.refresh(&SystemClock, &refresh).await {
            Ok(tokens) => {
                let access = tokens.access_token.clone();
                self.keep(&client, tokens, None).await;
                Ok(access)
            }
            Err(ciba::CibaError::InvalidGrant(_)) => {
                self.forget_refresh_token().await;
                Err(self.expired())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The sign-in is over: the agent must sign in again.
    fn expired(&self) -> DeskError {
        lock(&self.inner).signed = None;
        let e = DeskError::SessionExpired;
        self.set_state(Some(OrganisationState::Expired), Some(e.report()));
        e
    }

    /// Records what a failure says about the connection.
    fn note_failure(self: &Organisation, e: &DeskError) {
        match e {
            DeskError::ServerUnreachable { .. } => {
                self.set_state(Some(OrganisationState::Unreachable), Some(e.report()))
            }
            DeskError::SessionExpired => {
                let _ = self.expired();
            }
            _ => {}
        }
    }

    fn note_success(&self) {
        let state = lock(&self.inner).state;
        if matches!(state, Some(OrganisationState::Unreachable)) {
            self.set_state(None, None);
        }
    }

    /// One call to the server with the agent's token: refreshed once if the server says it
    /// has expired; what a failure says about the connection is recorded for the banner.
    async fn call<T, F, Fut>(self: &Arc<Self>, f: F) -> Result<T>
    where
        F: Fn(ServerClient, SecretString) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let client = self.client()?;
        let mut result = match self.token().await {
            Ok(t) => f(client.clone(), t).await,
            Err(e) => Err(e),
        };
        if matches!(result, Err(DeskError::SessionExpired)) && lock(&self.inner).signed.is_some() {
            let _one = self.refreshing.lock().await;
            result = match self.refresh().await {
                Ok(t) => f(client, t).await,
                Err(e) => Err(e),
            };
        }
        match &result {
            Ok(_) => self.note_success(),
            Err(e) => {
                self.note_failure(e);
                if matches!(e, DeskError::ServerUnreachable { .. }) {
                    self.probe();
                }
            }
        }
        result
    }

    /// Until the server answers again, asks it every few seconds, so the banner goes away by
    /// itself.
    fn probe(self: &Arc<Self>) {
        {
            let mut i = lock(&self.inner);
            if i.probing {
                return;
            }
            i.probing = true;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_secs(1);
            loop {
                tokio::time::sleep(delay).await;
                let Ok(client) = me.client() else { break };
                if lock(&me.inner).state != Some(OrganisationState::Unreachable) {
                    break;
                }
                if client.health().await.is_ok() {
                    me.note_success();
                    if let Err(e) = me.load_profiles().await {
                        me.note_failure(&e);
                    }
                    break;
                }
                delay = (delay * 2).min(RETRY_AT_MOST);
            }
            lock(&me.inner).probing = false;
        });
    }

    /// The server's profiles for this agent (kept for the form's needs).
    pub async fn load_profiles(&self) -> Result<Vec<ProfileSummary>> {
        let client = self.client()?;
        let token = self.token().await?;
        let mut list: Vec<ProfileSummary> = client.profiles(&token).await?;
        for p in &mut list {
            // Given by the organisation: nobody edits them here.
            p.managed = true;
        }
        lock(&self.inner).profiles = list.clone();
        self.changed();
        Ok(list)
    }

    /// The profiles as last loaded, or none while signed out.
    pub fn profiles(&self) -> Vec<ProfileSummary> {
        let i = lock(&self.inner);
        if i.signed.is_none() {
            return vec![];
        }
        i.profiles.clone()
    }

    /// Starts a verification at the server and follows it; the server's id comes back.
    pub async fn start(
        self: &Arc<Self>,
        request: VerificationRequest,
        on_update: impl Fn(VerificationUpdate) + Send + Sync + 'static,
    ) -> Result<String> {
        if lock(&self.inner).signed.is_none() {
            let state = lock(&self.inner).state;
            return Err(match state {
                Some(OrganisationState::Expired) => DeskError::SessionExpired,
                _ => DeskError::NotSignedIn,
            });
        }
        let kind = self
            .profiles()
            .iter()
            .find(|p| p.name == request.profile)
            .map(|p| p.identity_kind)
            .ok_or_else(|| DeskError::UnknownProfile(request.profile.clone()))?;
        let body = start_body(&request, kind);
        let v = self
            .call(move |c, t| {
                let body = body.clone();
                async move { c.start(&t, &body).await }
            })
            .await?;
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        if id.is_empty() {
            return Err(DeskError::ServerUnreachable {
                server: self.client()?.origin(),
                reason: "it named no verification".into(),
            });
        }
        let sink: UpdateSink = Arc::new(on_update);
        if let Some(u) = wire::update_of(&id, &v["state"], identity::Date::today()) {
            sink(u);
        }
        tokio::spawn(self.clone().follow(id.clone(), sink));
        Ok(id)
    }

    /// Follows a verification on the server's event stream to its final state, opening the
    /// stream again whenever it breaks (the server restarted, the network went away): the
    /// verification runs on at the server meanwhile.
    async fn follow(self: Arc<Self>, id: String, sink: UpdateSink) {
        let mut delay = Duration::from_millis(500);
        let mut last: Option<Value> = None;
        loop {
            let stream = {
                let id = id.clone();
                self.call(move |c, t| {
                    let id = id.clone();
                    async move { c.events(&t, &id).await }
                })
                .await
            };
            match stream {
                Ok(mut events) => loop {
                    match events.next().await {
                        Ok(Some(state)) => {
                            self.note_success();
                            delay = Duration::from_millis(500);
                            if last.as_ref() == Some(&state) {
                                continue;
                            }
                            last = Some(state.clone());
                            let Some(u) = wire::update_of(&id, &state, identity::Date::today())
                            else {
                                continue;
                            };
                            let done = wire::is_final(&u);
                            if done {
                                self.keep_result(&u);
                            }
                            sink(u);
                            if done {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            self.note_failure(&e);
                            self.probe();
                            break;
                        }
                    }
                },
                Err(DeskError::ServerRefused {
                    status: 404,
                    report,
                }) => {
                    sink(VerificationUpdate::Failed { id, error: report });
                    return;
                }
                Err(DeskError::NoServer) => return,
                Err(_) => {}
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_AT_MOST);
        }
    }

    fn keep_result(&self, u: &VerificationUpdate) {
        let (id, result, identity_match, error) = match u {
            VerificationUpdate::Verified {
                id,
                identity,
                identity_match,
                ..
            } => (id, Some(identity.clone()), Some(*identity_match), None),
            VerificationUpdate::Denied { id, error }
            | VerificationUpdate::Expired { id, error }
            | VerificationUpdate::Failed { id, error } => (id, None, None, Some(error.clone())),
            _ => return,
        };
        let mut i = lock(&self.inner);
        if i.results.len() >= RESULTS_KEPT {
            i.results.clear();
        }
        i.results.insert(
            id.clone(),
            SessionResult {
                verification_id: id.clone(),
                result,
                identity_match,
                error,
            },
        );
    }

    pub async fn cancel(self: &Arc<Self>, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.call(move |c, t| {
            let id = id.clone();
            async move { c.cancel(&t, &id).await }
        })
        .await
    }

    /// History from the server's audit trail: this agent's verifications, newest first.
    pub async fn history(self: &Arc<Self>, q: &HistoryQuery) -> Result<HistoryPage> {
        let origin = self.client()?.origin();
        let limit = q.limit.clamp(1, 500);
        let needle = q.search.trim().to_lowercase();
        let mut entries: Vec<HistoryEntry> = vec![];
        let mut until = q.before.map(|ms| audit::format_unix_ms(ms as i64));
        // Searching reads further back than one page; each read is one server page.
        for _ in 0..20 {
            let u = until.clone();
            let rows = self
                .call(move |c, t| {
                    let u = u.clone();
                    async move { c.own_audit(&t, 500, u.as_deref()).await }
                })
                .await?;
            let Some(oldest) = rows.last().and_then(|r| r["time_ms"].as_i64()) else {
                break;
            };
            let results = lock(&self.inner).results.clone();
            for row in &rows {
                let Some(mut e) = wire::history_entry(row, &origin) else {
                    continue;
                };
                if let Some(r) = e.verification_id.as_ref().and_then(|v| results.get(v)) {
                    e.result = r.result.clone();
                    e.identity_match = r.identity_match.or(e.identity_match);
                    e.error = r.error.clone();
                }
                if needle.is_empty() || e.matches(&needle) {
                    entries.push(e);
                }
            }
            if entries.len() > limit || rows.len() < 500 {
                break;
            }
            until = Some(audit::format_unix_ms(oldest));
        }
        let next_before = (entries.len() > limit).then(|| entries[limit - 1].recorded_at_ms);
        entries.truncate(limit);
        Ok(HistoryPage {
            entries,
            next_before,
        })
    }
}

/// A profile with the rules a server's profile summary shows (what the agent may type, the
/// binding message's length and need), for checking the form as the agent types. The server
/// judges the request itself again, with every rule of its own profile.
pub fn checking_profile(summary: &ProfileSummary) -> crate::profile::Profile {
    use crate::profile::IdentityInput;
    let mut p = crate::presets::preset("generic").expect("the generic preset exists");
    p.name = summary.name.clone();
    p.issuer = summary.issuer.clone();
    p.client_id = summary.client_id.clone();
    p.provider = summary.provider;
    p.is_sandbox = summary.is_sandbox;
    p.inputs = vec![match summary.identity_kind {
        IdentityKind::NationalId => IdentityInput::NationalId {
            countries: summary.countries.clone(),
        },
        IdentityKind::UserId => IdentityInput::UserId { uuid: false },
        IdentityKind::Email => IdentityInput::Email,
        IdentityKind::Mobileid => IdentityInput::MobileId,
    }];
    let b = &summary.binding_message;
    p.binding_message.max_chars = b.max_chars;
    p.binding_message.generate_when_empty = b.generate_when_empty;
    p.binding_message.requirement = match b.requirement {
        crate::api::views::Requirement::Required => identity::MessageRequirement::Required,
        crate::api::views::Requirement::Optional => identity::MessageRequirement::Optional,
        crate::api::views::Requirement::Forbidden => identity::MessageRequirement::Forbidden {
            reason: b.forbidden_reason.clone().unwrap_or_default(),
        },
    };
    p
}

/// What the refresh token in the keyring is for: it is used for nothing else.
fn binding(client: &SignInClient) -> String {
    format!("{} {}", client.metadata().issuer, client.client_id())
}

/// The server's start request for what the agent typed.
fn start_body(r: &VerificationRequest, kind: IdentityKind) -> Value {
    let field = match kind {
        IdentityKind::NationalId => "national_id",
        IdentityKind::Email => "email",
        IdentityKind::UserId => "user_id",
        IdentityKind::Mobileid => "login_hint",
    };
    let mut body = json!({"profile": r.profile});
    body[field] = json!(r.identity);
    if let Some(m) = r.binding_message.as_ref().filter(|m| !m.trim().is_empty()) {
        body["binding_message"] = json!(m);
    }
    if let Some(c) = r.call_initiator {
        body["call_initiator"] = json!(c);
    }
    if let Some(reference) = r.reference.as_ref().filter(|r| !r.trim().is_empty()) {
        body["reference"] = json!(reference);
    }
    body
}
