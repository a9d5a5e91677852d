//! `ciba-desk verify --profile NAME`: a verification through the desk, with the profile's
//! provider rules, the secret from the keyring, the identity match, and an audit record.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ciba::{CancelHandle, HttpOptions};
use desk::{
    AgentInput, CallInitiator, Desk, DeskError, DeskOptions, ExpectedIdentity, IdentityMatch,
    InputKind, Profile, SettingsStore, VerificationEvent, VerificationState, VerifiedIdentity,
};
use serde_json::{Value, json};

use crate::args::{CallInitiatorArg, VerifyArgs};
use crate::audit_log;
use crate::autostart::{self, AutoDecision, StartedSandbox};
use crate::exit;
use crate::keyring::{self, KeyringSecrets};
use crate::output::{self, Failure};

use super::verify::cancelled;

pub async fn run(a: VerifyArgs, name: String, interrupt: CancelHandle) -> u8 {
    let json_out = a.json;
    let mut sandbox: Option<StartedSandbox> = None;
    let code = match run_inner(&a, &name, &interrupt, &mut sandbox).await {
        Ok(code) => code,
        Err(f) => f.report(json_out),
    };
    if let Some(sb) = sandbox {
        sb.stop().await;
    }
    code
}

/// Loads the profile and the agent's input; any problem is a usage error, nothing sent.
fn load(a: &VerifyArgs, name: &str) -> Result<(Profile, AgentInput), Failure> {
    let settings = SettingsStore::open_default()
        .and_then(|s| s.load())
        .map_err(|e| before_sending(&e))?;
    let mut profile = settings
        .profile(name)
        .ok_or_else(|| before_sending(&DeskError::UnknownProfile(name.into())))?;
    if let Some(e) = a.requested_expiry {
        profile.requested_expiry = Some(e);
    }
    let (identity, kind) = match (&a.national_id, &a.user_id, &a.email, &a.login_hint) {
        (Some(n), ..) => (n, Some(InputKind::NationalId)),
        (_, Some(u), ..) => (u, Some(InputKind::UserId)),
        (_, _, Some(e), _) => (e, Some(InputKind::Email)),
        (_, _, _, Some(h)) => (h, None),
        _ => {
            return Err(Failure::usage(
                "empty_input",
                "name the customer with --national-id, --user-id, --email or --login-hint",
            ));
        }
    };
    let mut input = AgentInput::new(identity.clone());
    input.kind = kind;
    if let Some(m) = &a.binding_message {
        input.binding_message = m.clone();
    }
    input.call_initiator = a.call_initiator.map(|c| match c {
        CallInitiatorArg::Rp => CallInitiator::Rp,
        CallInitiatorArg::User => CallInitiator::User,
    });
    Ok((profile, input))
}

/// An error found before anything was sent: exit 1, whatever its kind.
fn before_sending(e: &DeskError) -> Failure {
    let mut f = Failure::from_desk(e);
    f.exit = exit::USAGE;
    f.status = "failed";
    f
}

async fn run_inner(
    a: &VerifyArgs,
    name: &str,
    interrupt: &CancelHandle,
    sandbox: &mut Option<StartedSandbox>,
) -> Result<u8, Failure> {
    let json_out = a.json;
    let started = Instant::now();
    let (mut profile, input) = load(a, name)?;
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

    let store = tokio::select! {
        s = keyring::open() => s.map_err(|e| e.to_string()),
        _ = interrupt.cancelled() => return Err(cancelled()),
    };
    let trail = tokio::select! {
        r = audit_log::open_trail(store.as_ref().map_err(String::as_str)) => r?,
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

    let options = DeskOptions {
        http: HttpOptions {
            request_timeout: Duration::from_secs(a.http_timeout.max(1)),
            ..Default::default()
        },
        ..Default::default()
    };
    let desk = Desk::with_options(
        Arc::new(KeyringSecrets::new(store).on_notice(|m| eprintln!("note: {m}"))),
        options,
    );
    desk.record_to(trail);
    let (handle, mut events) = tokio::select! {
        r = desk.start_with_channel(&profile, &input) => r.map_err(|e| before_sending(&e))?,
        _ = interrupt.cancelled() => return Err(cancelled()),
    };

    let mut view = View {
        qr: a.qr,
        ..View::default()
    };
    let mut ticker = tokio::time::interval(Duration::from_secs(10));
    ticker.tick().await;
    let mut cancel_sent = false;
    let mut final_state = None;
    let mut audit_entry = None;
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(ev) => {
                    let done = ev.state.is_final();
                    view.show(&profile, &ev);
                    if done {
                        audit_entry = ev.audit;
                        final_state = Some(ev.state);
                        break;
                    }
                }
                None => break,
            },
            _ = interrupt.cancelled(), if !cancel_sent => {
                cancel_sent = true;
                let _ = desk.cancel(handle.id);
            }
            _ = ticker.tick(), if view.expires_at.is_some() => view.tick(),
        }
    }
    let state = match final_state {
        Some(s) => s,
        None => handle.finished().await,
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;

    let expected = view
        .expected
        .clone()
        .or_else(|| desk::prepare(&profile, &input).ok().map(|p| p.expected));
    if let Some(entry) = &audit_entry {
        audit_log::report(entry);
    }

    let code = match &state {
        VerificationState::Verified {
            identity,
            identity_match,
        } => {
            let mismatch = matches!(identity_match, IdentityMatch::Mismatch { .. });
            if let Some(e) = &expected {
                print_match(identity_match, e, identity);
            }
            if json_out {
                output::json_line(&verified_json(
                    &profile,
                    identity,
                    identity_match,
                    expected.as_ref(),
                    &view,
                    elapsed_ms,
                ));
            }
            if mismatch {
                exit::MISMATCH
            } else {
                exit::VERIFIED
            }
        }
        VerificationState::Denied { message } => {
            Failure::new(exit::DENIED, "denied", "access_denied", message.clone()).report(json_out)
        }
        VerificationState::Expired { message } => {
            Failure::new(exit::EXPIRED, "expired", "expired", message.clone()).report(json_out)
        }
        VerificationState::Failed { code, message } => {
            let (exit, status) = exit::for_code(code);
            Failure::new(exit, status, code.clone(), message.clone()).report(json_out)
        }
        VerificationState::Cancelled { provider_notified } => {
            let message = if *provider_notified {
                "the verification was cancelled, and withdrawn at the provider"
            } else {
                "the verification was cancelled"
            };
            Failure::new(exit::CANCELLED, "cancelled", "cancelled", message).report(json_out)
        }
        VerificationState::Requesting { .. } | VerificationState::WaitingForUser { .. } => {
            Failure::new(
                exit::PROVIDER,
                "failed",
                "internal",
                "the verification stopped without a result",
            )
            .report(json_out)
        }
    };
    Ok(code)
}

pub fn match_word(m: &IdentityMatch) -> &'static str {
    match m {
        IdentityMatch::Match { .. } => "match",
        IdentityMatch::Mismatch { .. } => "mismatch",
        IdentityMatch::NotComparable { .. } => "not_comparable",
    }
}

/// The identity match on stderr; a mismatch loudly.
pub fn print_match(m: &IdentityMatch, expected: &ExpectedIdentity, identity: &VerifiedIdentity) {
    match m {
        IdentityMatch::Match { .. } => output::progress(format!("match: {}", m.summary())),
        IdentityMatch::Mismatch { .. } => {
            let returned = identity
                .national_id_masked()
                .or_else(|| identity.email.as_deref().map(identity::mask_email))
                .unwrap_or_else(|| "something else".into());
            let bar = "!".repeat(72);
            eprintln!("{bar}");
            eprintln!("!!! MISMATCH: the person who approved is NOT the person you asked for.");
            eprintln!(
                "!!! You asked for {}, the provider vouched for {returned}.",
                expected.masked()
            );
            eprintln!("!!! Do not proceed. (exit code {})", exit::MISMATCH);
            eprintln!("{bar}");
        }
        IdentityMatch::NotComparable { reason } => {
            output::progress(format!("match: not comparable: {reason}"))
        }
    }
}

fn verified_json(
    profile: &Profile,
    identity: &VerifiedIdentity,
    m: &IdentityMatch,
    expected: Option<&ExpectedIdentity>,
    view: &View,
    elapsed_ms: u64,
) -> Value {
    let mismatch = matches!(m, IdentityMatch::Mismatch { .. });
    json!({
        "status": if mismatch { "mismatch" } else { "verified" },
        "profile": profile.name,
        "provider": profile.provider,
        "is_sandbox": profile.is_sandbox,
        "issuer": identity.provider.issuer,
        "subject": identity.subject_shown(),
        "acr": identity.method.acr,
        "identity": identity,
        "match": match_word(m),
        "match_detail": m,
        "expected": expected,
        "binding_message": view.binding_message,
        "warnings": view.warnings,
        "elapsed_ms": elapsed_ms,
    })
}

/// Turns events into progress lines on stderr.
#[derive(Default)]
struct View {
    qr: bool,
    expected: Option<ExpectedIdentity>,
    binding_message: Option<String>,
    warnings: Vec<String>,
    /// Unix ms when the provider stops waiting, while waiting.
    expires_at: Option<u64>,
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
    fn tick(&self) {
        if let Some(at) = self.expires_at {
            output::progress(format!(
                "waiting: {} s left",
                at.saturating_sub(now_ms()) / 1000
            ));
        }
    }

    fn show(&mut self, profile: &Profile, ev: &VerificationEvent) {
        match &ev.state {
            VerificationState::Requesting {
                expected,
                binding_message,
                binding_message_generated,
                call_initiator,
                warnings,
            } => {
                self.expected = Some(expected.clone());
                self.binding_message = binding_message.clone();
                self.warnings = warnings.clone();
                for w in warnings {
                    output::warn(w);
                }
                output::progress(format!(
                    "requesting: {} through profile {:?} ({}){}",
                    expected.masked(),
                    profile.name,
                    profile.provider.title(),
                    if profile.is_sandbox {
                        ", a training provider: not a real identity"
                    } else {
                        ""
                    }
                ));
                if let Some(m) = binding_message {
                    output::progress(format!(
                        "binding message on the customer's device{}: {m}",
                        if *binding_message_generated {
                            " (generated; read it aloud)"
                        } else {
                            ""
                        }
                    ));
                }
                if let Some(c) = call_initiator {
                    output::progress(match c {
                        CallInitiator::Rp => "call placed by: you (the bank called the customer)",
                        CallInitiator::User => "call placed by: the customer",
                    });
                }
            }
            VerificationState::WaitingForUser {
                expires_at,
                interval,
                word_pair,
                customer_link,
                ..
            } => {
                let first = self.expires_at.is_none();
                self.expires_at = Some(*expires_at);
                if first {
                    output::progress(format!(
                        "requested: waiting up to {} s for the customer (polling every {interval} s)",
                        expires_at.saturating_sub(now_ms()).div_ceil(1000)
                    ));
                } else if self.interval != Some(*interval) {
                    output::progress(format!(
                        "slow_down: the provider asked for fewer polls; now every {interval} s"
                    ));
                }
                self.interval = Some(*interval);
                if first && let Some(w) = word_pair {
                    output::progress(format!("read aloud to the customer: {w}"));
                }
                if let (false, Some(link)) = (self.link_shown, customer_link) {
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
            VerificationState::Verified { identity, .. } => {
                self.expires_at = None;
                let who = identity.display_name.as_deref().unwrap_or("(no name)");
                let id = identity
                    .national_id_masked()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                let label = identity
                    .label()
                    .map(|l| format!(" [{l}]"))
                    .unwrap_or_default();
                output::progress(format!("verified: {who}{id}{label}"));
            }
            _ => self.expires_at = None,
        }
    }
}
