//! The page's commands: thin forwards to the desk, the settings and the keyring. Each returns
//! data the page may see (never a secret or token) or a [`UiError`].

use desk::{
    AgentInput, AuditEntry, CallInitiator, ImportMode, MessageRequirement, Profile, SecretRef,
    VerificationId,
};
use secrets::EntryStatus;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::dto::{
    AuditStatus, BindingMessageCheck, HistoryEntry, IdentityCheck, PresetSummary, ProfileSummary,
    SessionResult, UiEvent, UiPreferences, VerificationRequest, profile_summary,
};
use crate::error::UiError;
use crate::state::AppState;

type Result<T> = std::result::Result<T, UiError>;

async fn secret_status(state: &AppState, p: &Profile) -> &'static str {
    let Some(entry) = desk::keyring::entry_for(p) else {
        return "not_needed";
    };
    match (&state.keyring, entry) {
        (Some(k), Ok(e)) => match k.status(&e).await {
            Ok(EntryStatus::Stored) => "stored",
            _ => "missing",
        },
        _ => "missing",
    }
}

#[tauri::command]
pub async fn list_profiles(state: State<'_, AppState>) -> Result<Vec<ProfileSummary>> {
    let profiles = state.settings().profiles();
    let mut out = Vec::with_capacity(profiles.len());
    for p in &profiles {
        out.push(profile_summary(p, secret_status(&state, p).await));
    }
    Ok(out)
}

#[tauri::command]
pub fn list_presets() -> Vec<PresetSummary> {
    desk::presets()
        .into_iter()
        .filter(|p| !p.profile.is_sandbox)
        .map(|p| {
            let holes: Vec<&str> = p.profile.placeholders().iter().map(|h| h.field).collect();
            let mut needs = vec![];
            if holes.contains(&"issuer") {
                needs.push("issuer");
            }
            if holes.contains(&"client id") {
                needs.push("client_id");
            }
            match (p.profile.auth_method, &p.profile.secret) {
                (_, Some(SecretRef::Public(_))) => {}
                (desk::AuthMethod::PrivateKeyJwt, _) => needs.push("private_key"),
                _ => needs.push("secret"),
            }
            PresetSummary {
                id: p.id.into(),
                display_name: p.title.into(),
                provider: p.profile.provider,
                needs,
            }
        })
        .collect()
}

/// Live validation of the identity field. Only the identity is judged here: the binding
/// message and call initiator get their own checks, so stand-ins are used for them.
#[tauri::command]
pub fn check_identity(
    state: State<'_, AppState>,
    profile: String,
    input: String,
) -> Result<IdentityCheck> {
    let p = state.profile(&profile)?;
    let stand_in = match p.binding_message.requirement {
        MessageRequirement::Forbidden { .. } => "",
        _ => "0000",
    };
    let agent = AgentInput::new(input)
        .binding_message(stand_in)
        .call_initiator(CallInitiator::User);
    Ok(match desk::prepare(&p, &agent) {
        Ok(prepared) => IdentityCheck {
            ok: true,
            kind: prepared
                .expected
                .national_id()
                .map(|n| n.kind().to_string()),
            masked: Some(prepared.expected.masked()),
            warnings: prepared.warnings,
            error: None,
        },
        Err(e) if e.field() == Some("identity") || e.field().is_none() => IdentityCheck {
            ok: false,
            kind: None,
            masked: None,
            warnings: vec![],
            error: Some(e.to_string()),
        },
        Err(_) => IdentityCheck {
            ok: true,
            kind: None,
            masked: None,
            warnings: vec![],
            error: None,
        },
    })
}

#[tauri::command]
pub fn check_binding_message(
    state: State<'_, AppState>,
    profile: String,
    message: String,
) -> Result<BindingMessageCheck> {
    let p = state.profile(&profile)?;
    let chars = message.trim().chars().count();
    Ok(match p.binding_message.validate(&message) {
        Ok(_) => BindingMessageCheck {
            ok: true,
            error: None,
            chars,
        },
        Err(e) => BindingMessageCheck {
            ok: false,
            error: Some(e.to_string()),
            chars,
        },
    })
}

#[tauri::command]
pub fn generate_code() -> String {
    identity::generate_code()
}

#[derive(serde::Serialize)]
pub struct Started {
    id: String,
}

/// Starts a verification; its states arrive on `on_event`, the last one final.
#[tauri::command]
pub async fn start_verification<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request: VerificationRequest,
    on_event: Channel<UiEvent>,
) -> Result<Started> {
    let p = state.profile(&request.profile)?;
    let mut input = AgentInput::new(request.identity)
        .binding_message(request.binding_message.unwrap_or_default());
    match request.call_initiator.as_deref() {
        Some("rp") => input = input.call_initiator(CallInitiator::Rp),
        Some("user") => input = input.call_initiator(CallInitiator::User),
        Some(other) => {
            return Err(UiError::new(
                "invalid_call_initiator",
                format!("Unknown call initiator {other:?}."),
            ));
        }
        None => {}
    }
    // A verification that cannot be recorded is not started.
    state.audit_trail().await?;
    let handle = state
        .desk
        .start(&p, &input, move |event| {
            let today = identity::Date::today();
            let id = event.id.0.to_string();
            // The page may be gone (window closed); the verification still ends cleanly.
            match &event.audit {
                Some(AuditEntry::Recorded { seq }) => app
                    .state::<AppState>()
                    .keep_result(*seq, SessionResult::from_final(&event, today)),
                Some(AuditEntry::NotRecorded { message, .. }) => {
                    let _ = on_event.send(UiEvent::AuditFailed {
                        id,
                        message: message.clone(),
                    });
                }
                None => {}
            }
            let _ = on_event.send(UiEvent::from_desk(&event, today));
        })
        .await?;
    Ok(Started {
        id: handle.id.0.to_string(),
    })
}

#[tauri::command]
pub fn cancel_verification(state: State<'_, AppState>, id: String) -> Result<()> {
    let n = id
        .parse::<u64>()
        .map_err(|_| UiError::new("unknown_verification", "There is no such verification."))?;
    Ok(state.desk.cancel(VerificationId(n))?)
}

/// The newest verifications in the audit log, with this run's result cards where known.
#[tauri::command]
pub async fn history(state: State<'_, AppState>, limit: usize) -> Result<Vec<HistoryEntry>> {
    let trail = state.audit_trail().await?;
    // Retention records are skipped, so read a few more than asked for.
    let records = trail.recent(limit.saturating_add(8)).await?;
    Ok(records
        .iter()
        .filter_map(|r| HistoryEntry::from_record(r, state.result(r.seq)))
        .take(limit)
        .collect())
}

/// Whether the audit log's chain verifies, for the History view's header.
#[tauri::command]
pub async fn audit_status(state: State<'_, AppState>) -> Result<AuditStatus> {
    let trail = state.audit_trail().await?;
    let report = trail.verify_chain().await?;
    Ok(AuditStatus {
        path: trail.path().display().to_string(),
        records: report.records,
        intact: report.is_intact(),
        problem: report.problem.as_ref().map(ToString::to_string),
        keyed: trail.keyed(),
        retention_days: trail.retention_days(),
    })
}

#[tauri::command]
pub fn add_profile(
    state: State<'_, AppState>,
    preset: String,
    name: String,
    issuer: String,
    client_id: String,
) -> Result<()> {
    let mut p = desk::preset(&preset)
        .ok_or_else(|| UiError::new("unknown_preset", format!("There is no preset {preset:?}.")))?;
    p.name = name.trim().to_owned();
    if !issuer.trim().is_empty() {
        p.issuer = issuer.trim().trim_end_matches('/').to_owned();
    }
    if !client_id.trim().is_empty() {
        p.client_id = client_id.trim().to_owned();
    }
    p.check_usable()?;
    state.update_settings(|s| s.add_profile(p))
}

#[tauri::command]
pub fn remove_profile(state: State<'_, AppState>, name: String) -> Result<()> {
    state.update_settings(|s| s.remove_profile(&name).map(|_| ()))?;
    state.desk.forget_profile(&name);
    Ok(())
}

#[tauri::command]
pub fn export_profiles(state: State<'_, AppState>) -> Result<String> {
    Ok(state.settings().export_profiles(&[])?)
}

#[tauri::command]
pub fn import_profiles(state: State<'_, AppState>, toml: String) -> Result<Vec<String>> {
    let report = state.update_settings(|s| s.import_profiles(&toml, ImportMode::Replace))?;
    Ok(report.added.into_iter().chain(report.replaced).collect())
}

/// Write-only: the secret goes into the keyring and is never sent back to the page.
#[tauri::command]
pub async fn set_secret(state: State<'_, AppState>, profile: String, secret: String) -> Result<()> {
    let p = state.profile(&profile)?;
    let entry = desk::keyring::entry_for(&p)
        .ok_or_else(|| {
            UiError::new(
                "no_secret_needed",
                "This profile uses a public credential; there is nothing to store.",
            )
        })?
        .map_err(|e| UiError::new(e.code(), e.to_string()))?;
    let keyring = state.keyring.as_ref().ok_or_else(|| {
        UiError::new(
            "no_keyring",
            "No OS keyring is available; start GNOME Keyring or KWallet and restart CIBA Desk.",
        )
    })?;
    if secret.trim().is_empty() {
        return Err(UiError::new("empty_secret", "The secret is empty."));
    }
    keyring
        .set(&entry, secret.into())
        .await
        .map_err(|e| UiError::new(e.code(), e.to_string()))?;
    state.desk.forget_profile(&p.name);
    Ok(())
}

#[tauri::command]
pub fn get_preferences(state: State<'_, AppState>) -> UiPreferences {
    let s = state.settings();
    UiPreferences {
        last_profile: s.preferences.default_profile.clone(),
        language: s.preferences.language.clone(),
        theme: s
            .preferences
            .theme
            .clone()
            .unwrap_or_else(|| "system".into()),
    }
}

#[tauri::command]
pub fn set_preferences(state: State<'_, AppState>, prefs: UiPreferences) -> Result<()> {
    state.update_settings(|s| {
        s.preferences.default_profile = prefs.last_profile;
        s.preferences.language = prefs.language;
        s.preferences.theme = Some(prefs.theme).filter(|t| t != "system");
        Ok(())
    })
}
