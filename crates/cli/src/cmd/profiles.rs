//! `ciba-desk profiles`: list, add, remove, export and import provider profiles. Every change
//! goes through the desk's settings store (validated, written atomically; a settings file
//! that does not parse is never replaced).

use std::path::Path;
use std::time::Duration;

use desk::api::{SecretStatus, secret_status};
use desk::{DeskError, ImportMode, Profile, SecretRef, Settings, SettingsStore};
use secrets::SecretStore;
use serde_json::{Value, json};

use crate::args::{ProfileAddArgs, ProfilesArgs, ProfilesCommand};
use crate::exit;
use crate::keyring::{self, shell_word};
use crate::output::{self, Failure};

pub async fn run(a: ProfilesArgs) -> u8 {
    let result = match a.command {
        None => list(a.json).await,
        Some(ProfilesCommand::List { json }) => list(json || a.json).await,
        Some(ProfilesCommand::Add(add_args)) => add(*add_args),
        Some(ProfilesCommand::Remove { name }) => remove(&name),
        Some(ProfilesCommand::Export { file, profiles }) => export(file.as_deref(), &profiles),
        Some(ProfilesCommand::Import {
            file,
            replace,
            dry_run,
        }) => import(&file, replace, dry_run),
    };
    match result {
        Ok(()) => exit::VERIFIED,
        Err(f) => {
            output::error(&f.message);
            f.exit
        }
    }
}

fn desk_err(e: DeskError) -> Failure {
    let mut f = Failure::from_desk(&e);
    f.exit = exit::USAGE;
    f
}

fn open() -> Result<(SettingsStore, Settings), Failure> {
    let store = SettingsStore::open_default().map_err(desk_err)?;
    let settings = store.load().map_err(desk_err)?;
    Ok((store, settings))
}

// ---------- list ----------

/// Whether each profile's secret is in the keyring, in the desk's words (`stored`,
/// `missing`, `not_needed`, `no_keyring`), as the app shows it.
async fn secret_states(profiles: &[Profile]) -> Vec<SecretStatus> {
    let needs_keyring = profiles.iter().any(|p| keyring::entry_for(p).is_some());
    let store: Option<SecretStore> = if needs_keyring {
        match tokio::time::timeout(Duration::from_secs(5), keyring::open()).await {
            Ok(Ok(s)) => Some(s.with_timeout(Duration::from_secs(5))),
            _ => None,
        }
    } else {
        None
    };
    let mut out = Vec::with_capacity(profiles.len());
    for p in profiles {
        out.push(secret_status(store.as_ref(), p, desk::SecretPart::Credential).await);
    }
    out
}

fn profile_json(kind: &str, p: &Profile, secret: Option<SecretStatus>) -> Value {
    json!({
        "kind": kind,
        "name": p.name,
        "title": p.shown_title(),
        "provider": p.provider,
        "provider_title": p.provider.title(),
        "issuer": p.issuer,
        "client_id": p.client_id,
        "auth_method": p.auth_method,
        "is_sandbox": p.is_sandbox,
        "identity_input": p.inputs,
        "secret": secret,
        "keyring_entry": p.secret_entry(),
        "description": p.description,
        "managed": false,
    })
}

async fn list(json_out: bool) -> Result<(), Failure> {
    let (_, settings) = open()?;
    let policy = settings.policy();
    if let Some(problem) = policy.problem() {
        output::warn(problem.to_string());
    }
    let profiles = settings.profiles();
    let states = secret_states(&profiles).await;
    let presets = desk::presets();
    if json_out {
        let mut all: Vec<Value> = profiles
            .iter()
            .zip(&states)
            .map(|(p, s)| {
                let mut v = profile_json("profile", p, Some(*s));
                v["managed"] = json!(policy.manages_profile(&p.name));
                v
            })
            .collect();
        for preset in &presets {
            let mut v = profile_json(
                "preset",
                &preset.profile,
                matches!(preset.profile.secret, Some(SecretRef::Public(_)))
                    .then_some(SecretStatus::NotNeeded),
            );
            v["name"] = json!(preset.id);
            v["title"] = json!(preset.title);
            v["summary"] = json!(preset.summary);
            v["keyring_entry"] = Value::Null;
            all.push(v);
        }
        output::json_pretty(&Value::Array(all));
        return Ok(());
    }
    println!("Profiles (use with `ciba-desk verify --profile NAME`):");
    for (p, s) in profiles.iter().zip(&states) {
        let inputs: Vec<String> = p.inputs.iter().map(|i| i.describe()).collect();
        println!("  {}  ({})", p.name, p.shown_title());
        println!("      {} at {}", p.provider.title(), p.issuer);
        println!("      customer by: {}", inputs.join(" or "));
        println!("      secret: {}", secret_word(*s));
        if policy.manages_profile(&p.name) {
            println!("      managed by your organisation");
        }
    }
    if policy.profiles_locked() {
        println!();
        println!(
            "Profiles are managed by your organisation{}; they cannot be added, changed or removed here.",
            policy
                .path()
                .map(|p| format!(" (policy file {})", p.display()))
                .unwrap_or_default()
        );
    }
    if !policy.profiles_locked() {
        println!();
        println!("Presets (`ciba-desk profiles add NAME --preset ID …`):");
        for preset in &presets {
            println!("  {:<32} {}", preset.id, preset.summary);
        }
    }
    Ok(())
}

// ---------- add ----------

fn replace_placeholder(template: &str, value: &str) -> Option<String> {
    let start = template.find('<')?;
    let len = template[start..].find('>')?;
    Some(format!(
        "{}{value}{}",
        &template[..start],
        &template[start + len + 1..]
    ))
}

fn option_for(field: &str) -> &'static str {
    match field {
        "issuer" => "--issuer URL (or --domain NAME)",
        "client id" => "--client-id ID",
        "keyring entry name" => "--secret-entry NAME",
        _ => "--issuer URL",
    }
}

fn build(a: &ProfileAddArgs) -> Result<Profile, Failure> {
    let usage = |m: String| Failure::usage("invalid_profile", m);
    let mut p = match &a.preset {
        Some(id) => desk::preset(id).ok_or_else(|| {
            usage(format!(
                "there is no preset {id:?}; choose one of {}",
                desk::presets()
                    .iter()
                    .map(|p| p.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
        None => {
            if a.client_id.is_none() {
                return Err(usage(
                    "a profile without --preset needs --issuer URL and --client-id ID".into(),
                ));
            }
            desk::preset("generic").expect("the generic preset exists")
        }
    };
    p.name = a.name.clone();
    if let Some(i) = &a.issuer {
        p.issuer = desk::api::normalise_issuer(i);
    } else if let Some(d) = &a.domain {
        let d = d.trim();
        if d.is_empty() || d.contains(['/', ':', '?', '#', '@', ' ']) {
            return Err(usage(format!(
                "--domain {d:?} must be a bare name, e.g. mybank"
            )));
        }
        p.issuer = replace_placeholder(&p.issuer, d).ok_or_else(|| {
            usage(format!(
                "the preset's issuer {} has nothing to fill in; use --issuer URL instead",
                p.issuer
            ))
        })?;
    }
    if let Some(c) = &a.client_id {
        p.client_id = c.trim().to_owned();
    }
    if let Some(m) = &a.auth_method {
        p.auth_method = m
            .parse()
            .map_err(|e: ciba::CibaError| usage(e.to_string()))?;
        if p.auth_method == desk::AuthMethod::PrivateKeyJwt
            && matches!(p.secret, Some(SecretRef::Public(_)))
        {
            p.secret = None;
        }
    }
    if let Some(k) = &a.key_id {
        p.key_id = Some(k.clone());
    }
    if let Some(s) = &a.signing_alg {
        p.signing_alg = Some(s.clone());
    }
    if let Some(on) = a.signed_requests {
        p.signed_requests = on;
    }
    if let Some(on) = a.fapi {
        p.fapi = on;
    }
    if let Some(path) = &a.ca_file {
        p.ca_certificates =
            Some(super::read_pem_file(path, "certificate authority file").map_err(usage)?);
    }
    if let Some(e) = &a.secret_entry {
        p.secret = Some(SecretRef::Entry(e.clone()));
    }
    if let Some(c) = a.default_call_initiator {
        let Some(pa) = p.phone_auth.as_mut() else {
            return Err(usage(
                "--default-call-initiator applies to profiles with phone authentication (idura_se_bankid) only".into(),
            ));
        };
        pa.default_call_initiator = Some(c.into());
    }
    if let Some(e) = a.requested_expiry {
        p.requested_expiry = Some(e);
    }
    if let Some(t) = a.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        p.title = Some(t.to_owned());
    }
    if let Some(d) = &a.description {
        p.description = d.clone();
    }
    // The command line has no "edit": a profile is saved only when it can be used as is.
    if let Some(ph) = p.placeholders().into_iter().next() {
        return Err(Failure::usage(
            "profile_placeholder",
            format!(
                "the {} still contains {}; pass {}",
                ph.field,
                ph.placeholder,
                option_for(ph.field)
            ),
        ));
    }
    p.check_usable().map_err(desk_err)?;
    Ok(p)
}

fn add(a: ProfileAddArgs) -> Result<(), Failure> {
    let (store, mut settings) = open()?;
    let p = build(&a)?;
    let existed = settings.profile(&p.name).is_some();
    if a.replace {
        settings.upsert_profile(p.clone()).map_err(desk_err)?;
    } else {
        settings.add_profile(p.clone()).map_err(desk_err)?;
    }
    store.save(&settings).map_err(desk_err)?;
    println!(
        "{} profile {:?}: {} at {}",
        if existed { "replaced" } else { "added" },
        p.name,
        p.provider.title(),
        p.issuer
    );
    if p.secret_entry().is_some() {
        let key = p.auth_method == desk::AuthMethod::PrivateKeyJwt;
        eprintln!(
            "next: store its {} in the keyring: ciba-desk secret set {}{}",
            if key { "private key" } else { "client secret" },
            shell_word(&p.name),
            if key { " --private-key FILE.pem" } else { "" }
        );
    }
    Ok(())
}

// ---------- remove ----------

fn remove(name: &str) -> Result<(), Failure> {
    let (store, mut settings) = open()?;
    let removed = settings.remove_profile(name).map_err(desk_err)?;
    store.save(&settings).map_err(desk_err)?;
    println!("removed profile {:?}", removed.name);
    if removed.secret_entry().is_some() {
        eprintln!(
            "its secret stays in the keyring until you run: ciba-desk secret delete {}",
            shell_word(&removed.name)
        );
    }
    Ok(())
}

// ---------- export / import ----------

fn export(file: Option<&Path>, names: &[String]) -> Result<(), Failure> {
    let (_, settings) = open()?;
    if names.is_empty() && settings.user_profiles().is_empty() {
        return Err(Failure::usage(
            "nothing_to_export",
            "there are no profiles to export (the built-in sandbox is in every installation)",
        ));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let text = settings.export_profiles(&refs).map_err(desk_err)?;
    match file {
        Some(path) => {
            desk::settings::write_atomic(path, text.as_bytes()).map_err(|e| {
                Failure::usage(
                    "io_error",
                    format!("could not write {}: {e}", path.display()),
                )
            })?;
            eprintln!(
                "exported {} profile(s) to {} (no secrets)",
                if refs.is_empty() {
                    settings.user_profiles().len()
                } else {
                    refs.len()
                },
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn import(file: &Path, replace: bool, dry_run: bool) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Failure::usage(
            "io_error",
            format!("could not read {}: {e}", file.display()),
        )
    })?;
    let (store, mut settings) = open()?;
    let mode = match (replace, dry_run) {
        (_, true) => ImportMode::Preview,
        (true, _) => ImportMode::Replace,
        _ => ImportMode::KeepExisting,
    };
    let report = settings.import_profiles(&text, mode).map_err(desk_err)?;
    if !dry_run {
        store.save(&settings).map_err(desk_err)?;
    }
    let would = if dry_run { "would be " } else { "" };
    for n in &report.added {
        println!("{would}added {n:?}");
    }
    for n in &report.unchanged {
        println!("unchanged {n:?}");
    }
    for c in &report.changes {
        if report.skipped.contains(&c.name) {
            let fields: Vec<&str> = c.fields.iter().map(|f| f.field.as_str()).collect();
            println!(
                "skipped {:?}: yours differs in {} (--replace replaces it; --dry-run shows how)",
                c.name,
                fields.join(", ")
            );
            continue;
        }
        println!("{would}replaced {:?}:", c.name);
        for f in &c.fields {
            println!(
                "  {}: {} -> {}",
                f.field,
                shown(f.before.as_deref()),
                shown(f.after.as_deref())
            );
        }
        if c.destination_changed
            && settings
                .profile(&c.name)
                .is_some_and(|p| p.secret_entry().is_some())
        {
            println!(
                "  its issuer, client id or provider address changes: a stored secret is not sent there until it is entered again with `ciba-desk secret set {}`",
                shell_word(&c.name)
            );
        }
    }
    if dry_run {
        println!("nothing was changed (--dry-run)");
        return Ok(());
    }
    let needing: Vec<String> = report
        .added
        .iter()
        .filter_map(|n| settings.profile(n))
        .filter(|p| p.secret_entry().is_some())
        .map(|p| shell_word(&p.name))
        .collect();
    if !needing.is_empty() {
        eprintln!("secrets are never imported; store each with `ciba-desk secret set NAME`:");
        for n in needing {
            eprintln!("  ciba-desk secret set {n}");
        }
    }
    Ok(())
}

/// A setting's value for a line of the import report: quoted (which escapes control
/// characters), long ones shortened.
fn shown(v: Option<&str>) -> String {
    const MAX: usize = 80;
    let Some(v) = v else {
        return "(none)".into();
    };
    if v.chars().count() > MAX {
        let cut: String = v.chars().take(MAX).collect();
        format!("{cut:?}…")
    } else {
        format!("{v:?}")
    }
}

/// The status as scripts read it (the JSON's word).
fn secret_word(s: SecretStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_from_domain() {
        assert_eq!(
            replace_placeholder("https://<your-domain>.idura.broker", "bank").unwrap(),
            "https://bank.idura.broker"
        );
        assert_eq!(replace_placeholder("https://a.example", "x"), None);
    }
}
