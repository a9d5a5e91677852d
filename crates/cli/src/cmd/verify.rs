//! `ciba-desk verify`: one CIBA round-trip through the desk's application layer. Progress goes
//! to stderr, a line per state change; with `--json` the final result is one object on stdout.
//!
//! The provider is a saved profile (`--profile NAME`) or one made up of flags (`--issuer …
//! --client-id …`, with every low-level option); either way the verification takes the same
//! path: the same progress lines, JSON shape, exit codes, identity match and audit record.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ciba::{AuthMethod, CancelHandle, HttpOptions, SecretString};
use desk::api::{AdhocProfile, App, AppOptions, ProfileChoice, StartParams};
use desk::input::ProviderHint;
use desk::{
    AgentInput, CallInitiator, DeskError, DeskOptions, Endpoints, FinalSummary, IdentityMatch,
    InputKind, MemorySecrets, Outcome, Profile, SecretSource, Settings, SettingsStore,
};
use serde_json::{Value, json};

use crate::args::VerifyArgs;
use crate::audit_log;
use crate::autostart::{self, AutoDecision, StartedSandbox};
use crate::exit;
use crate::keyring;
use crate::output::{self, Failure};
use crate::server_client::ServerClient;

/// The environment variable that carries the client secret of a profile made of flags (argv
/// is visible to other users).
pub use desk::secrets::CLIENT_SECRET_ENV as SECRET_ENV;

pub async fn run(mut a: VerifyArgs) -> u8 {
    if let Err(f) = read_private_values(&mut a) {
        return f.report(a.json);
    }
    // Ctrl-C from here on cancels (and exits 130) instead of killing the process.
    let interrupt = CancelHandle::new();
    let on_ctrl_c = interrupt.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("cancelling…");
            on_ctrl_c.cancel();
        }
    });
    let json_out = a.json;
    if let Some(server) = &a.server {
        return match run_through_server(&a, server, &interrupt).await {
            Ok(code) => code,
            Err(f) => f.report(json_out),
        };
    }
    let mut sandbox: Option<StartedSandbox> = None;
    let code = match run_inner(&a, &interrupt, &mut sandbox).await {
        Ok(code) => code,
        Err(f) => f.report(json_out),
    };
    if let Some(sb) = sandbox {
        sb.stop().await;
    }
    code
}

/// The failure of a verification cancelled before it was sent.
fn cancelled() -> Failure {
    Failure::from_ciba(ciba::CibaError::Cancelled)
}

/// An error found before anything was sent: exit 1, whatever its kind.
fn before_sending(e: &DeskError) -> Failure {
    let mut f = Failure::from_desk(e);
    f.exit = exit::USAGE;
    f.status = "failed";
    f
}

fn usage(message: impl Into<String>) -> Failure {
    before_sending(&DeskError::Ciba(ciba::CibaError::InvalidConfiguration(
        message.into(),
    )))
}

/// The profile to run with, and where a profile made of flags gets its secret.
fn profile_choice(
    a: &VerifyArgs,
    settings: &Settings,
) -> Result<(Profile, Option<Arc<dyn SecretSource>>), Failure> {
    settings
        .policy()
        .check_usable()
        .map_err(|e| before_sending(&e))?;
    if let Some(name) = &a.profile {
        let mut p = settings
            .profile(name)
            .ok_or_else(|| before_sending(&DeskError::UnknownProfile(name.clone())))?;
        if let Some(e) = a.requested_expiry {
            p.requested_expiry = Some(e);
        }
        return Ok((p, None));
    }
    settings
        .policy()
        .check_own_provider()
        .map_err(|e| before_sending(&e))?;
    let (Some(issuer), Some(client_id)) = (&a.issuer, &a.client_id) else {
        return Err(usage(
            "give --profile NAME, or --issuer URL and --client-id ID",
        ));
    };
    let method: AuthMethod = a
        .auth_method
        .parse()
        .map_err(|e: ciba::CibaError| before_sending(&e.into()))?;
    let mut extra_params = BTreeMap::new();
    for p in &a.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| usage(format!("--param {p:?} must be NAME=VALUE")))?;
        extra_params.insert(k.to_owned(), v.to_owned());
    }
    let authorization_details = a
        .authorization_details
        .as_deref()
        .map(|d| {
            serde_json::from_str::<Value>(d)
                .map_err(|e| usage(format!("--authorization-details is not JSON: {e}")))
        })
        .transpose()?;
    let ca_certificates = a
        .ca_file
        .as_deref()
        .map(|p| super::read_pem_file(p, "certificate authority file"))
        .transpose()
        .map_err(usage)?;
    let profile = AdhocProfile {
        issuer: issuer.clone(),
        client_id: client_id.clone(),
        auth_method: Some(method),
        signing_alg: a.assertion_alg.clone(),
        key_id: a.key_id.clone(),
        signed_requests: a.signed_request,
        fapi: a.fapi,
        ca_certificates,
        scope: Some(a.scope.clone()),
        acr_values: a.acr_values.clone(),
        requested_expiry: a.requested_expiry,
        authorization_details,
        extra_params,
        endpoints: Endpoints {
            backchannel_authentication: a.backchannel_endpoint.clone(),
            token: a.token_endpoint.clone(),
            jwks_uri: a.jwks_uri.clone(),
        },
    }
    .into_profile()
    .map_err(|e| before_sending(&e))?;
    let entry = profile.secret_entry().unwrap_or(&profile.name).to_owned();
    let mut request_key = None;
    let secret = match method {
        AuthMethod::PrivateKeyJwt => {
            let path = a
                .private_key
                .as_ref()
                .ok_or_else(|| usage("private_key_jwt needs --private-key PEM_FILE"))?;
            super::read_pem_file(path, "private key").map_err(usage)?
        }
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
            let (Some(cert), Some(key)) = (&a.tls_cert, &a.tls_key) else {
                return Err(usage(format!(
                    "{method} needs the client certificate and its key: --tls-cert PEM_FILE --tls-key PEM_FILE"
                )));
            };
            request_key = a
                .private_key
                .as_deref()
                .map(|p| super::read_pem_file(p, "request-signing key"))
                .transpose()
                .map_err(usage)?;
            let bundle = ciba::ClientCertificate::bundle(
                &super::read_pem_file(cert, "client certificate").map_err(usage)?,
                &super::read_pem_file(key, "client certificate key")
                    .map_err(usage)?
                    .into(),
            );
            ciba::ExposeSecret::expose_secret(&bundle).to_owned()
        }
        _ => std::env::var(SECRET_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                usage(format!(
                    "{method} needs the client secret in the environment variable {SECRET_ENV}"
                ))
            })?,
    };
    if a.tls_cert.is_some() && !method.is_mutual_tls() {
        return Err(usage(format!(
            "--tls-cert and --tls-key are for tls_client_auth and self_signed_tls_client_auth, not {method}"
        )));
    }
    let mut secrets = MemorySecrets::new().with(entry.clone(), secret);
    if let Some(pem) = request_key {
        secrets = secrets.with_request_key(entry, pem);
    }
    Ok((profile, Some(Arc::new(secrets))))
}

/// Values that must not show in `ps` or the shell's history: `-` reads one from standard
/// input (one line); a national ID typed on the command line is taken with a warning.
fn read_private_values(a: &mut VerifyArgs) -> Result<(), Failure> {
    let fields: [(&str, &mut Option<String>); 3] = [
        ("--national-id", &mut a.national_id),
        ("--id-token-hint", &mut a.id_token_hint),
        ("--user-code", &mut a.user_code),
    ];
    let mut stdin_used_by: Option<&str> = None;
    for (flag, value) in fields {
        if value.as_deref() != Some("-") {
            continue;
        }
        if let Some(other) = stdin_used_by {
            return Err(Failure::usage(
                "stdin_twice",
                format!(
                    "{other} and {flag} cannot both read standard input; give one of them in its environment variable"
                ),
            ));
        }
        stdin_used_by = Some(flag);
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| {
            Failure::usage(
                "stdin_unreadable",
                format!("{flag} -: standard input could not be read ({e})"),
            )
        })?;
        let line = line.trim_end_matches(['\n', '\r']).to_owned();
        if line.is_empty() {
            return Err(Failure::usage(
                "empty_input",
                format!("{flag} -: standard input was empty"),
            ));
        }
        *value = Some(line);
    }
    let on_command_line = std::env::args_os().any(|arg| {
        let arg = arg.to_string_lossy();
        arg == "--national-id" || arg.starts_with("--national-id=")
    });
    if on_command_line && stdin_used_by != Some("--national-id") {
        output::warn(
            "the national ID on the command line shows in `ps` and in the shell's history; give it as `--national-id -` (standard input) or in CIBA_DESK_NATIONAL_ID",
        );
    }
    Ok(())
}

/// What the agent typed, as the desk takes it.
fn agent_input(a: &VerifyArgs) -> Result<AgentInput, Failure> {
    let given = |v: &Option<String>| v.as_deref().map(str::to_owned);
    let mut input = match (
        given(&a.national_id),
        given(&a.user_id),
        given(&a.email),
        given(&a.login_hint),
        given(&a.login_hint_token),
        given(&a.id_token_hint),
    ) {
        (Some(n), ..) => AgentInput::new(n).kind(InputKind::NationalId),
        (_, Some(u), ..) => AgentInput::new(u).kind(InputKind::UserId),
        (_, _, Some(e), ..) => AgentInput::new(e).kind(InputKind::Email),
        // A saved profile reads a raw hint as the customer's identifier; a profile made of
        // flags passes it to the provider as given.
        (_, _, _, Some(h), ..) if a.profile.is_some() => AgentInput::new(h),
        (_, _, _, Some(h), ..) => hinted(ProviderHint::LoginHint(h)),
        (.., Some(t), None) => hinted(ProviderHint::LoginHintToken(t)),
        (.., Some(t)) => hinted(ProviderHint::IdTokenHint(SecretString::from(t))),
        _ => {
            return Err(Failure::usage(
                "empty_input",
                "name the customer with --national-id, --user-id, --email, --login-hint, --login-hint-token or --id-token-hint",
            ));
        }
    };
    if let Some(m) = &a.binding_message {
        input.binding_message = m.clone();
    }
    input.call_initiator = a.call_initiator.map(Into::into);
    input.reference = a.reference.clone();
    input.user_code = a.user_code.clone().map(SecretString::from);
    Ok(input)
}

fn hinted(h: ProviderHint) -> AgentInput {
    AgentInput {
        provider_hint: Some(h),
        ..AgentInput::default()
    }
}

async fn run_inner(
    a: &VerifyArgs,
    interrupt: &CancelHandle,
    sandbox: &mut Option<StartedSandbox>,
) -> Result<u8, Failure> {
    let json_out = a.json;
    let started = Instant::now();
    let store = SettingsStore::open_default().map_err(|e| before_sending(&e))?;
    let settings = match store.load() {
        Ok(s) => s,
        Err(e) if a.profile.is_some() => return Err(before_sending(&e)),
        // Without a profile only the audit settings are read: the safe defaults stand in.
        Err(e) => {
            output::warn(format!(
                "the audit settings could not be read, so names are left out and no records are deleted: {e}"
            ));
            // The administrator's policy holds all the same.
            Settings::default().with_policy(desk::settings::Policy::load_default())
        }
    };
    let (mut profile, secrets) = profile_choice(a, &settings)?;
    let input = agent_input(a)?;
    // Validate everything before the keyring, the audit log or the network is touched.
    desk::prepare(&profile, &input).map_err(|e| before_sending(&e))?;
    let auto = match (&a.sandbox_auto, profile.is_sandbox) {
        (Some(s), true) => Some(AutoDecision::parse(s)?),
        _ => None,
    };
    if a.qr && profile.customer_link.is_none() {
        output::warn(format!(
            "profile {:?} has no customer link; --qr shows nothing",
            profile.name
        ));
    }

    let keyring = tokio::select! {
        s = keyring::open() => s.ok(),
        _ = interrupt.cancelled() => return Err(cancelled()),
    };
    let mut options = AppOptions::new(store, settings);
    options.keyring = keyring;
    options.audit_path = Some(audit_log::db_path()?);
    options.secrets = secrets;
    options.desk = DeskOptions {
        http: HttpOptions {
            request_timeout: Duration::from_secs(a.http_timeout.max(1)),
            ..Default::default()
        },
        sandbox_proof_dir: desk::paths::data_dir(),
        ..Default::default()
    };
    options.on_notice = Some(Arc::new(|m: &str| output::warn(m)));
    let app = App::new(options);
    tokio::select! {
        r = app.audit_trail() => r.map_err(|e| before_sending(&e))?,
        _ = interrupt.cancelled() => return Err(cancelled()),
    };

    if profile.is_sandbox {
        let got = tokio::select! {
            s = autostart::ensure(&profile.issuer, auto.as_ref()) => s?,
            _ = interrupt.cancelled() => return Err(cancelled()),
        };
        let issuer = profile.issuer.trim_end_matches('/').to_owned();
        match got {
            Some(sb) => {
                profile.issuer = sb.issuer.clone();
                output::progress(format!(
                    "sandbox: nothing was listening at {issuer}; started the sandbox provider there for this verification (it stops afterwards)"
                ));
                *sandbox = Some(sb);
            }
            None if auto.is_some() => output::warn(format!(
                "a sandbox is already running at {issuer}; --sandbox-auto applies only to a sandbox this command starts"
            )),
            None => {}
        }
        let issuer = profile.issuer.trim_end_matches('/');
        output::progress(format!(
            "sandbox: approve or deny as the customer at {issuer}/device"
        ));
        if let (Some(d), true) = (&auto, sandbox.is_some()) {
            output::progress(format!(
                "sandbox: it will {} by itself after {} s (--sandbox-auto)",
                d.decision, d.after_secs
            ));
        }
    }

    let params = StartParams {
        profile: ProfileChoice::Given(Box::new(profile.clone())),
        input,
    };
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let handle = tokio::select! {
        r = app.start_verification(&params, move |e| drop(tx.send(e.clone()))) => {
            r.map_err(|e| before_sending(&e))?
        }
        _ = interrupt.cancelled() => return Err(cancelled()),
    };

    let header = Header::of(&profile);
    let mut view = View {
        qr: a.qr,
        ..View::default()
    };
    let mut ticker = tokio::time::interval(Duration::from_secs(10));
    ticker.tick().await;
    let mut cancel_sent = false;
    let mut final_state = None;
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(ev) => {
                    let state = serde_json::to_value(&ev.state).expect("a state serialises");
                    view.show(&header, &state);
                    if ev.state.is_final() {
                        if let Some(entry) = &ev.audit {
                            audit_log::report(entry);
                        }
                        final_state = Some(state);
                        break;
                    }
                }
                None => break,
            },
            _ = interrupt.cancelled(), if !cancel_sent => {
                cancel_sent = true;
                let _ = app.desk.cancel(handle.id);
            }
            _ = ticker.tick(), if view.expires_at.is_some() => view.tick(),
        }
    }
    let state = match final_state {
        Some(s) => s,
        None => serde_json::to_value(handle.finished().await).expect("a state serialises"),
    };
    Ok(finish(&header, &state, &view, started, json_out))
}

/// The same verification through the organisation's server: it holds the profile, the
/// provider's secret and the audit trail; the progress lines, the result and the exit code
/// are those of a local run.
async fn run_through_server(
    a: &VerifyArgs,
    server: &str,
    interrupt: &CancelHandle,
) -> Result<u8, Failure> {
    let started = Instant::now();
    desk::settings::Policy::load_default()
        .check_server(server)
        .map_err(|e| before_sending(&e))?;
    let name = a.profile.clone().unwrap_or_default();
    let mut body = json!({"profile": name});
    let identifier = [
        ("national_id", &a.national_id),
        ("email", &a.email),
        ("user_id", &a.user_id),
        ("login_hint", &a.login_hint),
    ];
    let Some((field, value)) = identifier
        .iter()
        .find_map(|(f, v)| v.as_ref().map(|v| (*f, v)))
    else {
        return Err(Failure::usage(
            "empty_input",
            "name the customer with --national-id, --user-id, --email or --login-hint",
        ));
    };
    body[field] = json!(value);
    if let Some(m) = &a.binding_message {
        body["binding_message"] = json!(m);
    }
    if let Some(c) = a.call_initiator {
        body["call_initiator"] = json!(CallInitiator::from(c));
    }
    if let Some(r) = &a.reference {
        body["reference"] = json!(r);
    }
    let client = ServerClient::new(
        server,
        ServerClient::token(a.token_file.as_deref())?,
        Duration::from_secs(a.http_timeout.max(1)),
    )?;
    let profiles = client.profiles().await?;
    let listed = profiles.iter().find(|p| p["name"] == name.as_str());
    let header = Header {
        name: name.clone(),
        provider: listed
            .and_then(|p| serde_json::from_value(p["provider"].clone()).ok())
            .unwrap_or(desk::ProviderKind::Generic),
        is_sandbox: listed.is_some_and(|p| p["is_sandbox"] == true),
    };
    let v = tokio::select! {
        r = client.start(&body) => r?,
        _ = interrupt.cancelled() => return Err(cancelled()),
    };
    let id = v["id"].as_str().unwrap_or_default().to_owned();
    let mut view = View {
        qr: a.qr,
        ..View::default()
    };
    let mut events = client.events(&id).await?;
    let mut ticker = tokio::time::interval(Duration::from_secs(10));
    ticker.tick().await;
    let mut cancel_sent = false;
    // The state the server answered with, then each new one from the stream (which starts
    // with the current state, and does again after a reconnect: shown once).
    let mut last = v["state"].clone();
    view.show(&header, &last);
    let ended = |state: &Value| {
        serde_json::from_value::<FinalSummary>(state.clone())
            .ok()
            .and_then(|s| s.outcome())
            .is_some()
    };
    // A server instance that stops ends its streams; the verification goes on at another
    // one, so the stream is opened again (behind a load balancer, elsewhere).
    let mut reconnects = 0;
    while !ended(&last) {
        tokio::select! {
            next = events.next() => match next {
                Ok(Some(state)) => {
                    reconnects = 0;
                    if state == last {
                        continue;
                    }
                    view.show(&header, &state);
                    let done = ended(&state);
                    last = state;
                    if done {
                        break;
                    }
                }
                Ok(None) | Err(_) if reconnects < STREAM_RECONNECTS => {
                    reconnects += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    match client.events(&id).await {
                        Ok(again) => events = again,
                        Err(f) if reconnects >= STREAM_RECONNECTS => return Err(f),
                        Err(_) => {}
                    }
                }
                Ok(None) => break,
                Err(f) => return Err(f),
            },
            _ = interrupt.cancelled(), if !cancel_sent => {
                cancel_sent = true;
                if let Err(f) = client.cancel(&id).await {
                    output::warn(format!("the server did not take the cancel: {}", f.message));
                }
            }
            _ = ticker.tick(), if view.expires_at.is_some() => view.tick(),
        }
    }
    Ok(finish(&header, &last, &view, started, a.json))
}

/// How often a lost event stream is opened again (half a second apart) before giving up.
const STREAM_RECONNECTS: u32 = 30;

/// What the progress lines say about the profile.
pub(crate) struct Header {
    pub name: String,
    pub provider: desk::ProviderKind,
    pub is_sandbox: bool,
}

impl Header {
    fn of(p: &Profile) -> Self {
        Self {
            name: p.name.clone(),
            provider: p.provider,
            is_sandbox: p.is_sandbox,
        }
    }
}

/// The result of a final state (as its JSON, so a local run and a server's event stream end
/// alike): the match on stderr, the JSON object on stdout when asked, the exit code.
pub(crate) fn finish(
    header: &Header,
    state: &Value,
    view: &View,
    started: Instant,
    json_out: bool,
) -> u8 {
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let end: Option<FinalSummary> = serde_json::from_value(state.clone()).ok();
    let outcome = end.as_ref().and_then(FinalSummary::outcome);
    let Some((end, outcome)) = end.zip(outcome) else {
        return Failure::new(
            exit::PROVIDER,
            "failed",
            "internal",
            "the verification stopped without a result",
        )
        .report(json_out);
    };
    if let (Outcome::Verified | Outcome::Mismatch, Some(m)) = (outcome, &end.identity_match) {
        let identity = &state["identity"];
        if let Some(e) = &view.expected {
            print_match(m, e, identity);
        }
        if json_out {
            output::json_line(&verified_json(header, identity, m, view, elapsed_ms));
        }
        return exit::for_outcome(outcome);
    }
    let (code, message) = match (&end.error, end.provider_notified) {
        (Some(e), _) => (e.code.clone(), e.message.clone()),
        (None, Some(true)) => (
            "cancelled".to_owned(),
            "the verification was cancelled, and withdrawn at the provider".to_owned(),
        ),
        (None, _) => (
            "cancelled".to_owned(),
            "the verification was cancelled here, but the provider could not be told: the customer may still see the request, and approving it now changes nothing".to_owned(),
        ),
    };
    let mut f = Failure::new(
        exit::for_outcome(outcome),
        outcome.status_word(),
        code,
        message,
    );
    f.field = end.error.and_then(|e| e.field);
    f.report(json_out)
}

/// The identity match on stderr; a mismatch loudly.
fn print_match(m: &IdentityMatch, expected: &Value, identity: &Value) {
    match m {
        IdentityMatch::Match { .. } => output::progress(format!("match: {}", m.summary())),
        IdentityMatch::Mismatch { .. } => {
            let returned = identity["national_id"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| identity["email"].as_str().map(identity::mask_email))
                .unwrap_or_else(|| "something else".into());
            let bar = "!".repeat(72);
            eprintln!("{bar}");
            eprintln!("!!! MISMATCH: the person who approved is NOT the person you asked for.");
            eprintln!(
                "!!! You asked for {}, the provider vouched for {returned}.",
                expected["masked"].as_str().unwrap_or("someone")
            );
            eprintln!("!!! Do not proceed. (exit code {})", exit::MISMATCH);
            eprintln!("{bar}");
        }
        IdentityMatch::NotComparable { .. } => {
            output::progress(format!("match: not comparable: {}", m.summary()))
        }
    }
}

/// The verified result for stdout. National ID numbers are masked (the identity's JSON masks
/// them): stdout ends up in scripts' logs.
fn verified_json(
    header: &Header,
    identity: &Value,
    m: &IdentityMatch,
    view: &View,
    elapsed_ms: u64,
) -> Value {
    json!({
        "status": if m.is_mismatch() { "mismatch" } else { "verified" },
        "profile": header.name,
        "provider": header.provider,
        "is_sandbox": header.is_sandbox,
        "issuer": identity["provider"]["issuer"],
        "subject": identity["subject"],
        "acr": identity["method"]["acr"],
        "amr": identity["method"]["amr"],
        "auth_time": identity["auth_time"],
        "claims": identity["claims"],
        "identity": identity,
        "match": m.word(),
        "match_detail": m,
        "expected": view.expected,
        "binding_message": view.binding_message,
        "warnings": view.warnings,
        "elapsed_ms": elapsed_ms,
    })
}

/// Turns states (as their JSON) into progress lines on stderr.
#[derive(Default)]
pub(crate) struct View {
    pub qr: bool,
    /// `{kind, masked, country?}` of whom the agent asked for.
    expected: Option<Value>,
    binding_message: Option<String>,
    warnings: Vec<String>,
    /// Unix ms when the provider stops waiting, while waiting.
    pub expires_at: Option<u64>,
    interval: Option<u64>,
    link_shown: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl View {
    pub fn tick(&self) {
        if let Some(at) = self.expires_at {
            output::progress(format!(
                "waiting: {} s left",
                at.saturating_sub(now_ms()) / 1000
            ));
        }
    }

    pub fn show(&mut self, header: &Header, state: &Value) {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        match state["state"].as_str().unwrap_or_default() {
            "requesting" => {
                self.expected = Some(state["expected"].clone());
                self.binding_message = text(&state["binding_message"]);
                self.warnings = state["warnings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|w| text(&w["message"]))
                    .collect();
                for w in &self.warnings {
                    output::warn(w);
                }
                output::progress(format!(
                    "requesting: {} through profile {:?} ({}){}",
                    state["expected"]["masked"].as_str().unwrap_or_default(),
                    header.name,
                    header.provider.title(),
                    if header.is_sandbox {
                        ", a training provider: not a real identity"
                    } else {
                        ""
                    }
                ));
                if let Some(m) = &self.binding_message {
                    output::progress(format!(
                        "binding message on the customer's device{}: {m}",
                        if state["binding_message_generated"] == true {
                            " (generated; read it aloud)"
                        } else {
                            ""
                        }
                    ));
                }
                match state["call_initiator"].as_str() {
                    Some("rp") => {
                        output::progress("call placed by: you (the bank called the customer)")
                    }
                    Some("user") => output::progress("call placed by: the customer"),
                    _ => {}
                }
            }
            "waiting_for_user" => {
                let expires_at = state["expires_at"].as_u64().unwrap_or(0);
                let interval = state["interval"].as_u64().unwrap_or(0);
                let first = self.expires_at.is_none();
                self.expires_at = Some(expires_at);
                if first {
                    output::progress(format!(
                        "requested: waiting up to {} s for the customer (polling every {interval} s)",
                        expires_at.saturating_sub(now_ms()).div_ceil(1000)
                    ));
                } else if self.interval != Some(interval) {
                    output::progress(format!(
                        "slow_down: the provider asked for fewer polls; now every {interval} s"
                    ));
                }
                self.interval = Some(interval);
                if first && let Some(w) = state["word_pair"].as_str() {
                    output::progress(format!("read aloud to the customer: {w}"));
                }
                if let (false, Some(link)) = (self.link_shown, state["customer_link"].as_str()) {
                    self.link_shown = true;
                    output::progress(format!(
                        "customer link (the customer opens it to accept or deny): {link}"
                    ));
                    if self.qr {
                        match output::terminal_qr(link) {
                            Some(qr) => eprintln!("{qr}"),
                            None => output::warn("the customer link is too long for a QR code"),
                        }
                    }
                }
            }
            "verified" => {
                self.expires_at = None;
                let identity = &state["identity"];
                let who = identity["display_name"].as_str().unwrap_or("(no name)");
                let id = match identity["national_id"].as_str() {
                    Some(n) => format!(" ({n})"),
                    None => format!(
                        " (subject {})",
                        identity["subject"].as_str().unwrap_or_default()
                    ),
                };
                let label = identity["label"]
                    .as_str()
                    .map(|l| format!(" [{l}]"))
                    .unwrap_or_default();
                output::progress(format!("verified: {who}{id}{label}"));
            }
            _ => self.expires_at = None,
        }
    }
}
