//! `ciba-desk verify`: one CIBA round-trip. Progress goes to stderr, a line per state change;
//! with `--json` the final result is one object on stdout.

use std::time::Instant;

use ciba::{
    AuthMethod, AuthRequest, CancelHandle, CibaClient, CibaError, ClientAuth, ClientConfig,
    EndpointOverrides, Hint, HttpOptions, Progress, SecretString, SigningKey, Verified,
};
use serde_json::{Value, json};
use url::Url;

use crate::args::VerifyArgs;
use crate::exit;

/// The environment variable that carries the client secret (argv is visible to other users).
pub const SECRET_ENV: &str = "CIBA_CLIENT_SECRET";

pub async fn run(a: VerifyArgs) -> u8 {
    let json_out = a.json;
    let started = Instant::now();
    let (config, request) = match prepare(&a) {
        Ok(x) => x,
        Err(e) => return report_error(&e, json_out),
    };
    let cancel = CancelHandle::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("cancelling…");
            on_ctrl_c.cancel();
        }
    });
    let outcome = tokio::select! {
        r = round_trip(config, request, &cancel) => r,
        _ = cancel.cancelled() => Err(CibaError::Cancelled),
    };
    match outcome {
        Ok((issuer, v)) => {
            eprintln!("verified: subject {}", v.id_token.standard.sub);
            if json_out {
                println!("{}", verified_json(&issuer, &v, started));
            }
            exit::VERIFIED
        }
        Err(e) => report_error(&e, json_out),
    }
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

fn report_error(e: &CibaError, json_out: bool) -> u8 {
    eprintln!("{}: {e}", exit::status_word(e));
    if json_out {
        let description = e
            .provider_error()
            .and_then(|p| p.description.clone())
            .unwrap_or_else(|| e.to_string());
        println!(
            "{}",
            json!({"status": exit::status_word(e), "error": e.code(), "error_description": description})
        );
    }
    exit::for_error(e)
}

fn verified_json(issuer: &str, v: &Verified, started: Instant) -> Value {
    let s = &v.id_token.standard;
    json!({
        "status": "verified",
        "issuer": issuer,
        "subject": s.sub,
        "claims": v.id_token.claims,
        "acr": s.acr,
        "amr": s.amr,
        "auth_time": s.auth_time,
        "algorithm": v.id_token.algorithm,
        "elapsed_ms": started.elapsed().as_millis() as u64,
    })
}

/// Everything that can be checked before the network is touched.
fn prepare(a: &VerifyArgs) -> Result<(ClientConfig, AuthRequest), CibaError> {
    let usage = |m: String| CibaError::InvalidConfiguration(m);
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
    let client_id = a.client_id.clone();
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
    let mut config = ClientConfig::new(a.issuer.clone(), auth);
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

    let hint = match (&a.login_hint, &a.login_hint_token, &a.id_token_hint) {
        (Some(h), None, None) => Hint::LoginHint(h.clone()),
        (None, Some(t), None) => Hint::LoginHintToken(t.clone()),
        (None, None, Some(t)) => Hint::IdTokenHint(SecretString::from(t.clone())),
        _ => {
            return Err(usage(
                "give exactly one of --login-hint, --login-hint-token, --id-token-hint".into(),
            ));
        }
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
    Ok((config, req))
}
