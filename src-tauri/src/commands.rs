//! The page's commands: one-line forwards to the desk's application layer. Each returns data
//! the page may see (never a secret or token) or an error report.

use desk::ErrorReport;
use desk::api::{
    AuditStatus, BindingMessageCheck, HistoryPage, HistoryQuery, IdentityCheck, NewProfile,
    OrganisationView, Preferences, PresetSummary, ProfileEdit, ProfileSummary, VerificationRequest,
    VerificationUpdate,
};
use desk::screen_pop::LinkPrefill;
use tauri::State;
use tauri::ipc::Channel;

use crate::state::AppState;

type Result<T> = std::result::Result<T, ErrorReport>;

fn report(e: desk::DeskError) -> ErrorReport {
    e.report()
}

#[tauri::command]
pub async fn list_profiles(state: State<'_, AppState>) -> Result<Vec<ProfileSummary>> {
    Ok(state.list_profiles().await)
}

#[tauri::command]
pub fn list_presets(state: State<'_, AppState>) -> Vec<PresetSummary> {
    state.list_presets()
}

#[tauri::command]
pub fn check_identity(
    state: State<'_, AppState>,
    profile: String,
    input: String,
) -> Result<IdentityCheck> {
    state.check_identity(&profile, &input).map_err(report)
}

#[tauri::command]
pub fn check_binding_message(
    state: State<'_, AppState>,
    profile: String,
    message: String,
) -> Result<BindingMessageCheck> {
    state
        .check_binding_message(&profile, &message)
        .map_err(report)
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
pub async fn start_verification(
    state: State<'_, AppState>,
    request: VerificationRequest,
    on_event: Channel<VerificationUpdate>,
) -> Result<Started> {
    // The page may be gone (window closed); the verification still ends cleanly.
    let id = state
        .start_for_screen(request, move |update| drop(on_event.send(update)))
        .await
        .map_err(report)?;
    Ok(Started { id })
}

#[tauri::command]
pub async fn cancel_verification(state: State<'_, AppState>, id: String) -> Result<()> {
    state.cancel_verification(&id).await.map_err(report)
}

#[tauri::command]
pub async fn history(state: State<'_, AppState>, query: HistoryQuery) -> Result<HistoryPage> {
    state.history_page(&query).await.map_err(report)
}

#[tauri::command]
pub async fn audit_status(state: State<'_, AppState>) -> Result<AuditStatus> {
    state.audit_status().await.map_err(report)
}

#[tauri::command]
pub fn add_profile(
    state: State<'_, AppState>,
    preset: String,
    name: String,
    issuer: String,
    client_id: String,
    title: Option<String>,
) -> Result<()> {
    let new = NewProfile {
        preset,
        name,
        issuer,
        client_id,
        title: title.unwrap_or_default(),
    };
    state.add_profile(&new).map_err(report)
}

#[tauri::command]
pub async fn edit_profile(
    state: State<'_, AppState>,
    name: String,
    edit: ProfileEdit,
) -> Result<ProfileSummary> {
    state.edit_profile(&name, &edit).await.map_err(report)
}

/// Resolves once closing the window was held back after `seen` (verifications were
/// running), with the new count, so the page can ask the agent.
#[tauri::command]
pub async fn wait_close_request(state: State<'_, AppState>, seen: u64) -> Result<u64> {
    let mut rx = state.close_requests.subscribe();
    // The sender lives as long as the app: an error only comes as it ends.
    let n = rx.wait_for(|n| *n > seen).await.map_or(seen, |n| *n);
    Ok(n)
}

/// The next screen-pop link: the one after the first `seen`, once it arrives.
#[tauri::command]
pub async fn wait_link(state: State<'_, AppState>, seen: usize) -> Result<LinkPrefill> {
    let mut rx = state.links.subscribe();
    let next = rx
        .wait_for(|l| l.len() > seen)
        .await
        .map(|l| l[seen].clone());
    match next {
        Ok(link) => Ok(link),
        // The sender lives as long as the app: this only happens as it ends.
        Err(_) => std::future::pending().await,
    }
}

/// The agent agreed to quit with verifications running (`confirmed`, which the page sends
/// only from its question): they are cancelled (withdrawn at the provider where it can) and
/// recorded, then the app ends.
#[tauri::command]
pub async fn quit<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    confirmed: bool,
) -> Result<()> {
    if !confirmed {
        return Ok(());
    }
    state
        .quitting
        .store(true, std::sync::atomic::Ordering::SeqCst);
    state.desk.shutdown(std::time::Duration::from_secs(5)).await;
    app.exit(0);
    Ok(())
}

#[tauri::command]
pub fn remove_profile(state: State<'_, AppState>, name: String) -> Result<()> {
    state.remove_profile(&name).map_err(report)
}

/// Asks where to save in the desktop's own save dialog (titled in the agent's language) and
/// writes the profiles there: the path written, or `None` when the agent cancelled. The page
/// gets no file access of its own.
#[tauri::command]
pub async fn export_profiles<R: tauri::Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
    title: String,
) -> Result<Option<String>> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let (chosen, choice) = tokio::sync::oneshot::channel();
    let mut dialog = window
        .dialog()
        .file()
        .set_parent(&window)
        .set_title(title)
        .set_file_name(EXPORT_FILE_NAME)
        .add_filter("TOML", &["toml"]);
    let paths = window.path();
    if let Ok(dir) = paths.document_dir().or_else(|_| paths.home_dir()) {
        dialog = dialog.set_directory(dir);
    }
    dialog.save_file(move |path| {
        let _ = chosen.send(path);
    });
    let Some(path) = choice.await.ok().flatten() else {
        return Ok(None);
    };
    let path = path.into_path().map_err(|e| {
        report(desk::DeskError::Io {
            action: "write",
            path: "the chosen place".into(),
            reason: e.to_string(),
        })
    })?;
    state.export_profiles_to(&path).map_err(report)?;
    Ok(Some(path.display().to_string()))
}

const EXPORT_FILE_NAME: &str = "ciba-desk-profiles.toml";

/// `preview` first: the page shows what would be added and changed and asks before it calls
/// again with `replace` or `keep_existing`.
#[tauri::command]
pub fn import_profiles(
    state: State<'_, AppState>,
    toml: String,
    mode: desk::ImportMode,
) -> Result<desk::ImportReport> {
    state.import_profiles(&toml, mode).map_err(report)
}

/// Write-only: the secret goes into the keyring and is never sent back to the page. `part`
/// is the profile's credential unless the page names the request-signing key.
#[tauri::command]
pub async fn set_secret(
    state: State<'_, AppState>,
    profile: String,
    secret: String,
    part: Option<desk::SecretPart>,
) -> Result<()> {
    state
        .set_secret(&profile, part.unwrap_or_default(), secret.into())
        .await
        .map_err(report)
}

/// What the administrator's policy file decides on this computer.
#[tauri::command]
pub fn policy(state: State<'_, AppState>) -> desk::api::PolicyView {
    state.policy()
}

/// The organisation's server and where the agent stands with it.
#[tauri::command]
pub fn organisation(state: State<'_, AppState>) -> OrganisationView {
    state.organisation()
}

/// Resolves when the organisation view changes from version `seen` (or after a while, as it
/// is), so banners follow the server without polling.
#[tauri::command]
pub async fn wait_organisation(state: State<'_, AppState>, seen: u64) -> Result<OrganisationView> {
    Ok(state
        .wait_organisation(seen, std::time::Duration::from_secs(30))
        .await)
}

/// Sets the organisation's server (`None` or empty: the desk stands alone).
#[tauri::command]
pub fn set_server(state: State<'_, AppState>, url: Option<String>) -> Result<OrganisationView> {
    state.set_server(url).map_err(report)
}

/// Opens the system browser at the organisation's sign-in page and waits for the answer.
#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>) -> Result<OrganisationView> {
    state.sign_in().await.map_err(report)
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<OrganisationView> {
    state.sign_out().await.map_err(report)
}

#[tauri::command]
pub fn get_preferences(state: State<'_, AppState>) -> Preferences {
    state.preferences()
}

#[tauri::command]
pub fn set_preferences(state: State<'_, AppState>, prefs: Preferences) -> Result<()> {
    state.set_preferences(prefs).map_err(report)
}
