//! `ciba-desk secret`: a profile's client secret, private key or client certificate in the OS
//! keyring. The value is read from standard input (without echo on a terminal) or PEM files,
//! never from the command line, and never printed.

use std::io::{IsTerminal, Read};
use std::path::Path;

use desk::keyring::{SecretPart, Stored, stored_status};
use desk::{AuthMethod, Profile, SecretRef, SecretString, SettingsStore};
use secrets::{EntryName, SecretStore};

use crate::args::{SecretArgs, SecretCommand};
use crate::exit;
use crate::keyring::{self, shell_word};
use crate::output::{self, Failure};

pub async fn run(a: SecretArgs) -> u8 {
    let result = match a.command {
        SecretCommand::Set {
            profile,
            private_key,
            tls_cert,
            tls_key,
        } => {
            let tls = tls_cert.as_deref().zip(tls_key.as_deref());
            set(&profile, private_key.as_deref(), tls).await
        }
        SecretCommand::Status { profile } => status(&profile).await,
        SecretCommand::Delete { profile } => delete(&profile).await,
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            output::error(&f.message);
            f.exit
        }
    }
}

fn profile(name: &str) -> Result<Profile, Failure> {
    let usage = |e: desk::DeskError| Failure::usage(e.code(), e.to_string());
    let settings = SettingsStore::open_default()
        .and_then(|s| s.load())
        .map_err(usage)?;
    settings
        .profile(name)
        .ok_or_else(|| usage(desk::DeskError::UnknownProfile(name.into())))
}

/// The profile's keyring entry name (its own name unless the profile names another).
fn entry_name(p: &Profile) -> Result<&str, Failure> {
    match &p.secret {
        Some(SecretRef::Public(c)) => Err(Failure::usage(
            "public_credential",
            format!(
                "profile {:?} uses a {}; it needs no secret",
                p.name,
                c.label()
            ),
        )),
        _ => Ok(p.secret_entry().unwrap_or(&p.name)),
    }
}

async fn open_store() -> Result<SecretStore, Failure> {
    keyring::open()
        .await
        .map_err(|e| Failure::usage(e.code(), e.to_string()))
}

fn keyring_failure(e: secrets::SecretError) -> Failure {
    Failure::usage(e.code(), e.to_string())
}

/// The secret from standard input: without echo on a terminal, the whole input (less one
/// trailing line break) when piped.
fn read_secret(prompt: &str) -> Result<SecretString, Failure> {
    let io =
        |e: std::io::Error| Failure::usage("io_error", format!("could not read the secret: {e}"));
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).map_err(io)?
    } else {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(io)?;
        let trimmed = s
            .strip_suffix("\r\n")
            .or_else(|| s.strip_suffix('\n'))
            .unwrap_or(&s)
            .to_owned();
        secrecy::zeroize::Zeroize::zeroize(&mut s);
        trimmed
    };
    if text.trim().is_empty() {
        return Err(Failure::usage(
            "empty_secret",
            "the secret is empty; nothing was stored",
        ));
    }
    if text.trim() != text {
        output::warn("the secret starts or ends with white space; it is stored exactly as given");
    }
    Ok(SecretString::from(text))
}

async fn set(
    name: &str,
    private_key: Option<&Path>,
    tls: Option<(&Path, &Path)>,
) -> Result<u8, Failure> {
    let p = profile(name)?;
    entry_name(&p)?;
    let pem = |path: &Path, what: &str| {
        super::read_pem_file(path, what).map_err(|m| Failure::usage("io_error", m))
    };
    let wrong = |code: &'static str, what: &str| {
        Failure::usage(
            code,
            format!(
                "profile {:?} authenticates with {}, which takes no {what}; store what it needs with `{}`",
                p.name,
                p.auth_method,
                desk::keyring::secret_set_command(&p)
            ),
        )
    };
    // What to store: (part, value, what it is called).
    let mut parts = Vec::new();
    match p.auth_method {
        AuthMethod::PrivateKeyJwt => {
            if tls.is_some() {
                return Err(wrong("client_certificate_not_used", "client certificate"));
            }
            let Some(path) = private_key else {
                return Err(Failure::usage(
                    "private_key_required",
                    format!(
                        "profile {:?} authenticates with private_key_jwt: store its key with `{}`",
                        p.name,
                        desk::keyring::secret_set_command(&p)
                    ),
                ));
            };
            parts.push((
                SecretPart::Credential,
                SecretString::from(pem(path, "private key")?),
                "private key",
            ));
        }
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
            if let Some((cert, key)) = tls {
                let bundle = ciba::ClientCertificate::bundle(
                    &pem(cert, "client certificate")?,
                    &SecretString::from(pem(key, "client certificate key")?),
                );
                parts.push((
                    SecretPart::Credential,
                    bundle,
                    "client certificate and its key",
                ));
            }
            if let Some(path) = private_key {
                if !p.needs_request_key() {
                    return Err(Failure::usage(
                        "request_key_not_used",
                        format!(
                            "profile {:?} does not sign its requests, so it takes no request-signing key (turn on signed_requests or fapi first)",
                            p.name
                        ),
                    ));
                }
                parts.push((
                    SecretPart::RequestSigningKey,
                    SecretString::from(pem(path, "request-signing key")?),
                    "request-signing key",
                ));
            }
            if parts.is_empty() {
                return Err(Failure::usage(
                    "client_certificate_required",
                    format!(
                        "profile {:?} authenticates with {}: store its certificate with `{}`",
                        p.name,
                        p.auth_method,
                        desk::keyring::secret_set_command(&p)
                    ),
                ));
            }
        }
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            if private_key.is_some() || tls.is_some() {
                return Err(Failure::usage(
                    "client_secret_required",
                    format!(
                        "profile {:?} authenticates with {} (a client secret, not a key or certificate); run `ciba-desk secret set {}` and type or pipe the secret",
                        p.name,
                        p.auth_method,
                        shell_word(&p.name)
                    ),
                ));
            }
            let value = read_secret(&format!("Client secret for profile {}: ", p.name))?;
            parts.push((SecretPart::Credential, value, "client secret"));
        }
    }
    let store = open_store().await?;
    // Each value is checked before any is stored, so a bad second file leaves nothing half set.
    for (part, value, _) in &parts {
        desk::keyring::check_secret(&p, *part, value)
            .map_err(|e| Failure::usage(e.code(), e.to_string()))?;
    }
    for (part, value, what) in parts {
        desk::keyring::store_secret(&store, &p, part, value)
            .await
            .map_err(|e| Failure::usage(e.code(), e.to_string()))?;
        println!(
            "stored the {what} for profile {:?} in the keyring, for {} with client id {:?} only",
            p.name, p.issuer, p.client_id
        );
    }
    Ok(exit::VERIFIED)
}

async fn status(name: &str) -> Result<u8, Failure> {
    let p = profile(name)?;
    if keyring::entry_for(&p).is_none() {
        println!("not_needed");
        eprintln!("profile {:?} needs no stored secret", p.name);
        return Ok(exit::VERIFIED);
    }
    let store = open_store().await?;
    let set_command = desk::keyring::secret_set_command(&p);
    // The worst of the profile's secrets decides the word and the exit code.
    let mut word = "stored";
    for part in [SecretPart::Credential, SecretPart::RequestSigningKey] {
        let Some(entry) = desk::keyring::part_entry(&p, part) else {
            continue;
        };
        let entry = entry.map_err(keyring_failure)?;
        match stored_status(&store, &p, part)
            .await
            .map_err(keyring_failure)?
        {
            Stored::ForThisDestination | Stored::NotNeeded => {
                eprintln!("the {entry} is in the keyring, entered for this profile's provider");
            }
            Stored::ForAnotherDestination => {
                if word == "stored" {
                    word = "outdated";
                }
                eprintln!(
                    "the {entry} was entered for another issuer, client id or provider address and is not used; store it again with `{set_command}`"
                );
            }
            Stored::Missing => {
                word = "missing";
                eprintln!("no {entry} in the keyring; store it with `{set_command}`");
            }
        }
    }
    println!("{word}");
    Ok(if word == "stored" {
        exit::VERIFIED
    } else {
        exit::USAGE
    })
}

async fn delete(name: &str) -> Result<u8, Failure> {
    let p = profile(name)?;
    let entry = entry_name(&p)?;
    let store = open_store().await?;
    let mut deleted = 0;
    for e in [
        EntryName::client_secret(entry),
        EntryName::private_key(entry),
        EntryName::client_certificate(entry),
    ] {
        let e = e.map_err(keyring_failure)?;
        if store.delete(&e).await.map_err(keyring_failure)? {
            println!("deleted the {e}");
            deleted += 1;
        }
    }
    if deleted == 0 {
        println!("nothing was stored for profile {:?}", p.name);
    }
    Ok(exit::VERIFIED)
}
