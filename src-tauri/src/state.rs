//! What the app holds while it runs: the desk (verifications), the settings, the keyring, the
//! session's history and the built-in sandbox provider.

use std::sync::{Arc, Mutex, MutexGuard};

use desk::{Desk, KeyringSecrets, SecretSource, Settings, SettingsStore};
use secrets::SecretStore;

use crate::dto::HistoryEntry;
use crate::error::UiError;

pub struct AppState {
    pub desk: Desk,
    pub store: SettingsStore,
    pub settings: Mutex<Settings>,
    /// `None` when no OS keyring could be reached; secrets then come from the environment.
    pub keyring: Option<SecretStore>,
    pub history: Mutex<Vec<HistoryEntry>>,
    pub sandbox: tokio::sync::Mutex<Option<sandbox::Sandbox>>,
}

/// How many verifications the History view keeps for this session.
pub const HISTORY_LIMIT: usize = 200;

impl AppState {
    pub fn new(store: SettingsStore, settings: Settings, keyring: Option<SecretStore>) -> Self {
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
            history: Mutex::default(),
            sandbox: tokio::sync::Mutex::new(None),
        }
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
        self.store.save(&next)?;
        *guard = next;
        Ok(out)
    }

    pub fn record(&self, entry: HistoryEntry) {
        let mut h = self.history.lock().unwrap_or_else(|e| e.into_inner());
        h.retain(|e| e.id != entry.id);
        h.insert(0, entry);
        h.truncate(HISTORY_LIMIT);
    }
}

/// Opens the settings and the keyring as the app starts. A settings file that cannot be read
/// is left untouched (the desk refuses to overwrite it) and the app runs on defaults.
pub async fn open() -> AppState {
    let store = SettingsStore::open_default().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no settings directory; using a temporary one");
        SettingsStore::in_dir(std::env::temp_dir().join("ciba-desk"))
    });
    let mut settings = store.load().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the settings file could not be read; running on defaults");
        Settings::default()
    });
    // Tests and trainers can move the sandbox off its default port for this run only.
    if let Ok(port) = std::env::var("CIBA_DESK_SANDBOX_PORT") {
        settings.preferences.sandbox_issuer = Some(format!("http://127.0.0.1:{}", port.trim()));
    }
    let keyring = match SecretStore::open_os().await {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!(error = %e, "no OS keyring; secrets come from the environment");
            None
        }
    };
    AppState::new(store, settings, keyring)
}
