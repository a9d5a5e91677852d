//! `ciba-desk verify`: one CIBA round-trip. Progress goes to stderr, a line per state change;
//! with `--json` the final result is one object on stdout.
//!
//! Two forms: `--profile NAME` (through the desk, see `verify_profile.rs`) and the form
//! without a profile (`--issuer … --client-id …`, here), which talks to `ciba` directly and
//! offers every low-level option. `--national-id`, `--user-id` and `--email` work in both; in
//! the form without a profile they are sent as `login_hint` (a national ID normalised) and
//! the returned identity is compared with a generic claim mapping.

use std::time::Instant;

use audit::{NewRecord, Outcome};
use ciba::{
    AuthMethod, AuthRequest, CancelHandle, CibaClient, CibaError, ClientAuth, ClientConfig,
    EndpointOverrides, Hint, HttpOptions, Progress, SecretString, SigningKey, Verified,
};
use desk::{ExpectedIdentity, IdentityMatch, NationalId, VerifiedIdentity};
use serde_json::{Value, json};
use url::Url;

use crate::args::VerifyArgs;
use crate::audit_log;
use crate::exit;
use crate::keyring;
use crate::output::{self, Failure};

/// The environment variable that carries the client secret (argv is visible to other users).
pub const SECRET_ENV: &str = "CIBA_CLIENT_SECRET";

/// The profile name audit records of the form without a profile carry.
const NO_PROFILE: &str = "(command line)";

pub async fn run(a: VerifyArgs) -> u8 {
    // Ctrl-C from here on cancels (and exits 130) instead of killing the process.
    let interrupt = CancelHandle::new();
    let on_ctrl_c = interrupt.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("cancelling…");
            on_ctrl_c.cancel();
        }
    });
    match a.profile.clone() {
        Some(name) => super::verify_profile::run(a, name, interrupt).await,
        None => run_generic(a, interrupt).await,
    }
}

/// The failure of a verification cancelled before it was sent.
pub fn cancelled() -> Failure {
    Failure::from_ciba(&CibaError::Cancelled)
}

/// Whom the request names, for the result and the audit log.
struct Subject {
    expected: Option<ExpectedIdentity>,
    kind: &'static str,
    /// The normalised identifier (HMAC'd in the audit log, never stored); empty for tokens.
    identifier: String,
    masked: String,
}

async fn run_generic(a: VerifyArgs, interrupt: CancelHandle) -> u8 {
    let json_out = a.json;
    let started = Instant::now();
    let (config, request, subject) = match prepare(&a) {
        Ok(x) => x,
        Err(f) => return f.report(json_out),
    };
    let issuer_arg = config.issuer.clone();
    let binding_message = a.binding_message.clone().unwrap_or_default();

    let store = tokio::select! {
        s = keyring::open() => s.map_err(|e| e.to_string()),
        _ = interrupt.cancelled() => return cancelled().report(json_out),
    };
    let trail = tokio::select! {
        r = audit_log::open_trail(store.as_ref().map_err(String::as_str)) => r,
        _ = interrupt.cancelled() => return cancelled().report(json_out),
    };
    let trail = match trail {
        Ok(r) => r,
        Err(f) => return f.report(json_out),
    };

    let outcome = tokio::select! {
        r = round_trip(config, request, &interrupt) => r,
        _ = interrupt.cancelled() => Err(CibaError::Cancelled),
    };

    let mut record = NewRecord::new(
        NO_PROFILE,
        issuer_arg,
        subject.kind,
        SecretString::from(subject.identifier.clone()),
        subject.masked.clone(),
        binding_message,
        Outcome::Failed,
    );
    record.duration_ms = Some(started.elapsed().as_millis() as u64);
    match outcome {
        Ok((issuer, v)) => {
            record.issuer = issuer.clone();
            record.acr = v.id_token.standard.acr.clone();
            let shown =
                VerifiedIdentity::from_token(&adhoc_profile(&issuer, &v), &issuer, &v.id_token)
                    .subject_shown();
            eprintln!("verified: subject {shown}");
            let Some(expected) = &subject.expected else {
                record.outcome = Outcome::Verified;
                audit_log::append(&trail, record).await;
                if json_out {
                    println!("{}", verified_json(&issuer, &v, started));
                }
                return exit::VERIFIED;
            };
            let profile = adhoc_profile(&issuer, &v);
            let identity = VerifiedIdentity::from_token(&profile, &issuer, &v.id_token);
            let matched = desk::identity_match(expected, &identity);
            record.transaction_id = identity.transaction_id.clone();
            record.subject_name = identity.display_name.clone();
            let mismatch = matches!(matched, IdentityMatch::Mismatch { .. });
            if mismatch {
                record.outcome = Outcome::Mismatch;
                record.error_code = Some("identity_mismatch".into());
            } else {
                record.outcome = Outcome::Verified;
            }
            super::verify_profile::print_match(&matched, expected, &identity);
            audit_log::append(&trail, record).await;
            if json_out {
                let mut out = verified_json(&issuer, &v, started);
                out["status"] = json!(if mismatch { "mismatch" } else { "verified" });
                out["claims"] = Value::Object(identity.claims_redacted());
                out["identity"] = serde_json::to_value(&identity).expect("serialises");
                out["match"] = json!(super::verify_profile::match_word(&matched));
                out["match_detail"] = serde_json::to_value(&matched).expect("serialises");
                out["expected"] = serde_json::to_value(expected).expect("serialises");
                output::json_line(&out);
            }
            if mismatch {
                exit::MISMATCH
            } else {
                exit::VERIFIED
            }
        }
        Err(e) => {
            let (o, code) = outcome_of(&e);
            record.outcome = o;
            record.error_code = Some(code.into());
            audit_log::append(&trail, record).await;
            Failure::from_ciba(&e).report(json_out)
        }
    }
}

fn outcome_of(e: &CibaError) -> (Outcome, &'static str) {
    let o = match e.class() {
        ciba::ErrorClass::Denied => Outcome::Denied,
        ciba::ErrorClass::Expired => Outcome::Expired,
        ciba::ErrorClass::Cancelled => Outcome::Cancelled,
        _ => Outcome::Failed,
    };
    (o, e.code())
}

/// The generic preset's claim mapping, for the identity of the form without a profile.
fn adhoc_profile(issuer: &str, v: &Verified) -> desk::Profile {
    let mut p = desk::preset("generic").expect("the generic preset exists");
    p.name = NO_PROFILE.into();
    p.issuer = issuer.into();
    p.client_id = v.id_token.standard.aud.first().cloned().unwrap_or_default();
    p
}

async fn round_trip(
    config: ClientConfig,
    request: AuthRequest,
    cancel: &CancelHandle,
) -> Result<(String, Verified), CibaError> {
    let client = CibaClient::discover(config).await?;
    let pending = client.request(&request).await?;
    let ack = &pending.acknowledgement;
    eprintln!(
        "requested: waiting up to {} s for the customer (polling every {} s)",
        ack.expires_in.as_secs(),
        ack.interval
            .unwrap_or(ciba::poll::DEFAULT_INTERVAL)
            .as_secs()
    );
    if let Some(words) = ack.extra.get("bindingMessage").and_then(Value::as_str) {
        eprintln!("read aloud to the customer: {words}");
    }
    let verified = client.wait(pending, cancel, &print_progress).await?;
    Ok((client.metadata().issuer.clone(), verified))
}

fn print_progress(p: Progress) {
    match p {
        Progress::Waiting { remaining, .. } => eprintln!("waiting: {} s left", remaining.as_secs()),
        Progress::SlowDown { interval } => {
            eprintln!(
                "slow_down: the provider asked for fewer polls; now every {} s",
                interval.as_secs()
            )
        }
        Progress::Retrying {
            message,
            next_poll_in,
            ..
        } => {
            eprintln!("retrying in {} s: {message}", next_poll_in.as_secs())
        }
        Progress::Pinged => eprintln!("notified: fetching the result"),
        Progress::Verifying => eprintln!("verifying the ID token"),
    }
}

/// The verified result for stdout. Claims carrying a national ID number are masked: stdout
/// ends up in scripts' logs.
fn verified_json(issuer: &str, v: &Verified, started: Instant) -> Value {
    let s = &v.id_token.standard;
    let identity = VerifiedIdentity::from_token(&adhoc_profile(issuer, v), issuer, &v.id_token);
    json!({
        "status": "verified",
        "issuer": issuer,
        "subject": identity.subject_shown(),
        "claims": identity.claims_redacted(),
        "acr": s.acr,
        "amr": s.amr,
        "auth_time": s.auth_time,
        "algorithm": v.id_token.algorithm,
        "elapsed_ms": started.elapsed().as_millis() as u64,
    })
}

/// The customer named by `--national-id`, `--user-id`, `--email` or a raw hint.
fn subject(a: &VerifyArgs) -> Result<(Hint, Subject), Failure> {
    let input = |code: &str, m: String| {
        let mut f = Failure::usage(code, m);
        f.field = Some("identity");
        f
    };
    if let Some(n) = &a.national_id {
        let id = NationalId::parse_tagged(n).map_err(|e| {
            let d = desk::DeskError::from(e);
            input(d.code(), d.to_string())
        })?;
        for w in id.warnings() {
            output::warn(w.to_string());
        }
        let s = Subject {
            kind: "national_id",
            identifier: id.expose().to_owned(),
            masked: id.masked(),
            expected: Some(ExpectedIdentity::NationalId(id.clone())),
        };
        return Ok((Hint::LoginHint(id.expose().to_owned()), s));
    }
    if let Some(e) = &a.email {
        let e = e.trim();
        let ok = matches!(e.rsplit_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.'))
            && !e.chars().any(char::is_whitespace);
        if !ok {
            return Err(input(
                "invalid_email",
                "that is not an e-mail address; write it as name@example.com".into(),
            ));
        }
        let s = Subject {
            kind: "email",
            // As the desk's audit trail hashes it, so one customer has one hash.
            identifier: e.to_ascii_lowercase(),
            masked: identity::mask_email(e),
            expected: Some(ExpectedIdentity::Email(e.to_owned())),
        };
        return Ok((Hint::LoginHint(e.to_owned()), s));
    }
    if let Some(u) = &a.user_id {
        let u = u.trim();
        if u.is_empty() {
            return Err(input("empty_input", "the user id is empty".into()));
        }
        let s = Subject {
            kind: "user_id",
            identifier: u.to_owned(),
            masked: identity::mask_generic(u, 4),
            expected: Some(ExpectedIdentity::UserId(u.to_owned())),
        };
        return Ok((Hint::LoginHint(u.to_owned()), s));
    }
    match (&a.login_hint, &a.login_hint_token, &a.id_token_hint) {
        (Some(h), None, None) => Ok((
            Hint::LoginHint(h.clone()),
            Subject {
                kind: "login_hint",
                identifier: h.trim().to_owned(),
                masked: identity::mask_generic(h.trim(), 4),
                expected: None,
            },
        )),
        (None, Some(t), None) => Ok((
            Hint::LoginHintToken(t.clone()),
            Subject {
                kind: "login_hint_token",
                identifier: String::new(),
                masked: "[login_hint_token]".into(),
                expected: None,
            },
        )),
        (None, None, Some(t)) => Ok((
            Hint::IdTokenHint(SecretString::from(t.clone())),
            Subject {
                kind: "id_token_hint",
                identifier: String::new(),
                masked: "[id_token_hint]".into(),
                expected: None,
            },
        )),
        _ => Err(Failure::from_ciba(&CibaError::InvalidConfiguration(
            "give exactly one of --login-hint, --login-hint-token, --id-token-hint, --national-id, --user-id, --email".into(),
        ))),
    }
}

/// Everything that can be checked before the network is touched.
fn prepare(a: &VerifyArgs) -> Result<(ClientConfig, AuthRequest, Subject), Failure> {
    let (hint, subject) = subject(a)?;
    let (config, request) = prepare_request(a, hint).map_err(|e| Failure::from_ciba(&e))?;
    Ok((config, request, subject))
}

fn prepare_request(a: &VerifyArgs, hint: Hint) -> Result<(ClientConfig, AuthRequest), CibaError> {
    let usage = |m: String| CibaError::InvalidConfiguration(m);
    let (Some(issuer), Some(client_id)) = (&a.issuer, &a.client_id) else {
        return Err(usage(
            "give --profile NAME, or --issuer URL and --client-id ID".into(),
        ));
    };
    let method: AuthMethod = a.auth_method.parse()?;
    let secret = || {
        std::env::var(SECRET_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .map(SecretString::from)
            .ok_or_else(|| {
                usage(format!(
                    "{method} needs the client secret in the environment variable {SECRET_ENV}"
                ))
            })
    };
    let client_id = client_id.clone();
    let auth = match method {
        AuthMethod::ClientSecretBasic => ClientAuth::SecretBasic {
            client_id,
            secret: secret()?,
        },
        AuthMethod::ClientSecretPost => ClientAuth::SecretPost {
            client_id,
            secret: secret()?,
        },
        AuthMethod::PrivateKeyJwt => {
            let path = a
                .private_key
                .as_ref()
                .ok_or_else(|| usage("private_key_jwt needs --private-key PEM_FILE".into()))?;
            let pem = std::fs::read_to_string(path).map_err(|e| {
                usage(format!(
                    "cannot read the private key {}: {e}",
                    path.display()
                ))
            })?;
            let key = SigningKey::from_pem(
                &SecretString::from(pem),
                a.assertion_alg.as_deref(),
                a.key_id.clone(),
            )?;
            ClientAuth::PrivateKeyJwt { client_id, key }
        }
    };
    let parse_url = |name: &str, v: &Option<String>| -> Result<Option<Url>, CibaError> {
        v.as_deref()
            .map(|s| Url::parse(s).map_err(|e| usage(format!("--{name} is not a URL: {e}"))))
            .transpose()
    };
    let mut config = ClientConfig::new(issuer.clone(), auth);
    config.overrides = EndpointOverrides {
        backchannel_authentication_endpoint: parse_url(
            "backchannel-endpoint",
            &a.backchannel_endpoint,
        )?,
        token_endpoint: parse_url("token-endpoint", &a.token_endpoint)?,
        jwks_uri: parse_url("jwks-uri", &a.jwks_uri)?,
    };
    config.http = HttpOptions {
        request_timeout: std::time::Duration::from_secs(a.http_timeout.max(1)),
        ..Default::default()
    };

    let mut req = AuthRequest::new(hint).scopes(a.scope.split_whitespace());
    if let Some(m) = &a.binding_message {
        req = req.binding_message(m.clone());
    }
    if let Some(v) = &a.acr_values {
        req = req.acr_values(v.clone());
    }
    if let Some(s) = a.requested_expiry {
        req = req.requested_expiry(s);
    }
    if let Some(c) = &a.user_code {
        req = req.user_code(SecretString::from(c.clone()));
    }
    if let Some(d) = &a.authorization_details {
        let v: Value = serde_json::from_str(d)
            .map_err(|e| usage(format!("--authorization-details is not JSON: {e}")))?;
        req = req.authorization_details(v);
    }
    for p in &a.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| usage(format!("--param {p:?} must be NAME=VALUE")))?;
        req = req.extra(k, v)?;
    }
    req.validate()?;
    // The issuer must be usable before anything is sent (HTTPS, or loopback http).
    let url = Url::parse(issuer).map_err(|e| usage(format!("--issuer is not a URL: {e}")))?;
    ciba::http::require_secure(&url)?;
    Ok((config, req))
}
