//! What the app holds while it runs: the desk (verifications), the settings, the keyring, the
//! audit trail with this run's result cards, and the built-in sandbox provider.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use desk::{AuditTrail, Desk, KeyringSecrets, SecretSource, Settings, SettingsStore};
use secrets::SecretStore;
use tokio::sync::OnceCell;

use crate::dto::SessionResult;
use crate::error::UiError;

pub struct AppState {
    pub desk: Desk,
    pub store: SettingsStore,
    pub settings: Mutex<Settings>,
    /// `None` when no OS keyring could be reached; secrets then come from the environment.
    pub keyring: Option<SecretStore>,
    /// Where the audit log is; `None` when no data directory could be found.
    audit_path: Option<PathBuf>,
    /// Opened on first need (it may ask the keyring for its key); until then nothing starts.
    audit: OnceCell<Arc<AuditTrail>>,
    /// Result cards of this run's verifications, by audit record: the log keeps no names or
    /// birth dates (unless the administrator enables names), the screen may show them again.
    results: Mutex<VecDeque<(u64, SessionResult)>>,
    pub sandbox: tokio::sync::Mutex<Option<sandbox::Sandbox>>,
    /// The settings file's sandbox issuer, when this run moved the sandbox elsewhere
    /// (`CIBA_DESK_SANDBOX_PORT`): saves keep the file's value.
    sandbox_issuer_in_file: Option<Option<String>>,
}

/// How many result cards of this run are kept in memory.
pub const RESULTS_KEPT: usize = 200;

impl AppState {
    pub fn new(
        store: SettingsStore,
        settings: Settings,
        keyring: Option<SecretStore>,
        audit_path: Option<PathBuf>,
    ) -> Self {
        // Without a keyring, secrets can still come from CIBA_CLIENT_SECRET for this run.
        let secret_store = keyring
            .clone()
            .ok_or_else(|| "no OS keyring is available".to_owned());
        let source: Arc<dyn SecretSource> = Arc::new(KeyringSecrets::new(secret_store));
        Self {
            desk: Desk::new(source),
            store,
            settings: Mutex::new(settings),
            keyring,
            audit_path,
            audit: OnceCell::new(),
            results: Mutex::default(),
            sandbox: tokio::sync::Mutex::new(None),
            sandbox_issuer_in_file: None,
        }
    }

    /// Moves the built-in sandbox to `issuer` for this run only (tests, trainers); the settings
    /// file keeps its own value.
    pub fn move_sandbox_for_this_run(&mut self, issuer: String) {
        let settings = self.settings.get_mut().unwrap_or_else(|e| e.into_inner());
        self.sandbox_issuer_in_file
            .get_or_insert_with(|| settings.preferences.sandbox_issuer.clone());
        settings.preferences.sandbox_issuer = Some(issuer);
    }

    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn profile(&self, name: &str) -> Result<desk::Profile, UiError> {
        self.settings()
            .profile(name)
            .ok_or_else(|| UiError::unknown_profile(name))
    }

    /// Applies `change` to the settings and saves them atomically; nothing changes in memory
    /// if the file cannot be written.
    pub fn update_settings<T>(
        &self,
        change: impl FnOnce(&mut Settings) -> desk::Result<T>,
    ) -> Result<T, UiError> {
        let mut guard = self.settings();
        let mut next = guard.clone();
        let out = change(&mut next)?;
        let mut to_file = next.clone();
        if let Some(issuer) = &self.sandbox_issuer_in_file {
            to_file.preferences.sandbox_issuer = issuer.clone();
        }
        self.store.save(&to_file)?;
        *guard = next;
        Ok(out)
    }

    /// The audit trail, opened on first use and then recorded to by the desk. An error here
    /// means verifications cannot be recorded, so none may start.
    pub async fn audit_trail(&self) -> Result<Arc<AuditTrail>, UiError> {
        self.audit
            .get_or_try_init(|| async {
                let path = self.audit_path.clone().ok_or_else(|| {
                    UiError::new(
                        "no_data_dir",
                        format!(
                            "No folder for the audit log could be found, so verifications cannot be recorded; ask your administrator to set {}.",
                            desk::paths::DATA_DIR_ENV
                        ),
                    )
                })?;
                let keyring = self
                    .keyring
                    .as_ref()
                    .ok_or("no OS keyring is available");
                let audit_settings = self.settings().audit.clone();
                let trail = AuditTrail::open(path, keyring, &audit_settings)
                    .await
                    .map_err(|e| {
                        UiError::new(
                            "audit_unavailable",
                            format!("Verifications cannot be recorded, so none can start: {e}."),
                        )
                    })?;
                for notice in trail.notices() {
                    tracing::warn!("{notice}");
                }
                let trail = Arc::new(trail);
                self.desk.record_to(trail.clone());
                Ok(trail)
            })
            .await
            .cloned()
    }

    pub fn keep_result(&self, seq: u64, result: SessionResult) {
        let mut r = self.results.lock().unwrap_or_else(|e| e.into_inner());
        r.push_front((seq, result));
        r.truncate(RESULTS_KEPT);
    }

    pub fn result(&self, seq: u64) -> Option<SessionResult> {
        let r = self.results.lock().unwrap_or_else(|e| e.into_inner());
        r.iter().find(|(s, _)| *s == seq).map(|(_, v)| v.clone())
    }
}

/// Opens the settings and the keyring as the app starts. A settings file that cannot be read
/// is left untouched (the desk refuses to overwrite it) and the app runs on defaults.
pub async fn open() -> AppState {
    let store = SettingsStore::open_default().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no settings directory; using a temporary one");
        SettingsStore::in_dir(std::env::temp_dir().join("ciba-desk"))
    });
    let settings = store.load().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the settings file could not be read; running on defaults");
        Settings::default()
    });
    let keyring = match SecretStore::open_os().await {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!(error = %e, "no OS keyring; secrets come from the environment");
            None
        }
    };
    let mut state = AppState::new(store, settings, keyring, desk::paths::audit_db());
    // Tests and trainers can move the sandbox off its default port for this run only.
    if let Ok(port) = std::env::var("CIBA_DESK_SANDBOX_PORT") {
        state.move_sandbox_for_this_run(format!("http://127.0.0.1:{}", port.trim()));
    }
    state
}
