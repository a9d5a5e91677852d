//! [`App`]: what a running shell holds — the desk (verifications), the settings, the keyring,
//! the audit trail, and this run's result cards.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use secrets::SecretStore;
use tokio::sync::OnceCell;

use super::verify::Results;
use crate::audit_trail::AuditTrail;
use crate::error::{DeskError, Result};
use crate::keyring::KeyringSecrets;
use crate::org::Organisation;
use crate::paths;
use crate::profile::Profile;
use crate::secrets::SecretSource;
use crate::session::{Desk, DeskOptions};
use crate::settings::{Settings, SettingsStore};

/// How many result cards of this run are kept in memory.
pub const RESULTS_KEPT: usize = 200;

/// Told each notice worth passing on to the agent.
pub type NoticeSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How to build an [`App`].
pub struct AppOptions {
    pub store: SettingsStore,
    pub settings: Settings,
    /// `None` when no OS keyring could be reached.
    pub keyring: Option<SecretStore>,
    /// Where the audit log is; `None` when no data directory could be found.
    pub audit_path: Option<PathBuf>,
    /// Where secrets come from; by default the keyring (falling back to the environment).
    pub secrets: Option<Arc<dyn SecretSource>>,
    pub desk: DeskOptions,
    /// Called with each notice worth telling the agent (e.g. a secret taken from the
    /// environment because the keyring is missing).
    pub on_notice: Option<NoticeSink>,
}

impl AppOptions {
    pub fn new(store: SettingsStore, settings: Settings) -> Self {
        Self {
            store,
            settings,
            keyring: None,
            audit_path: None,
            secrets: None,
            desk: DeskOptions::default(),
            on_notice: None,
        }
    }
}

pub struct App {
    pub desk: Desk,
    store: SettingsStore,
    settings: Mutex<Settings>,
    keyring: Option<SecretStore>,
    audit_path: Option<PathBuf>,
    /// Opened on first need (it may ask the keyring for its key); until then nothing starts.
    audit: OnceCell<Arc<AuditTrail>>,
    /// Result cards of this run's verifications, by audit record: the log keeps no names or
    /// birth dates (unless the administrator enables names), the screen may show them again.
    results: Results,
    /// The settings file's sandbox issuer, when this run moved the sandbox elsewhere: saves
    /// keep the file's value.
    sandbox_issuer_in_file: Option<Option<String>>,
    on_notice: Option<NoticeSink>,
    /// Where the built-in sandbox proves itself (see [`crate::sandbox_proof`]).
    sandbox_proof_dir: Option<PathBuf>,
    /// The organisation's server, in server mode.
    pub(crate) org: Arc<Organisation>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    pub fn new(o: AppOptions) -> Self {
        let secrets = o.secrets.unwrap_or_else(|| {
            // Without a keyring, secrets can still come from CIBA_CLIENT_SECRET for this run.
            let store = o
                .keyring
                .clone()
                .ok_or_else(|| "no OS keyring is available".to_owned());
            let mut k = KeyringSecrets::new(store);
            if let Some(n) = o.on_notice.clone() {
                k = k.on_notice(move |m| n(m));
            }
            Arc::new(k)
        });
        let sandbox_proof_dir = o.desk.sandbox_proof_dir.clone();
        let org = Organisation::new(o.keyring.clone(), o.desk.http.clone());
        if let Err(e) = org.configure(o.settings.organisation()) {
            tracing::warn!(error = %e, "the organisation's server cannot be used");
        }
        Self {
            desk: Desk::with_options(secrets, o.desk),
            store: o.store,
            settings: Mutex::new(o.settings),
            keyring: o.keyring,
            audit_path: o.audit_path,
            audit: OnceCell::new(),
            results: Results::default(),
            sandbox_issuer_in_file: None,
            on_notice: o.on_notice,
            sandbox_proof_dir,
            org,
        }
    }

    /// Opens the settings and the keyring as a shell starts. A settings file that cannot be
    /// read is left untouched (the desk refuses to overwrite it) and the app runs on
    /// defaults; the error is returned beside the app so the shell can say so.
    pub async fn open_default(
        keyring: std::result::Result<SecretStore, String>,
    ) -> (Self, Option<DeskError>) {
        let store = SettingsStore::open_default().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "no settings directory; using a temporary one");
            SettingsStore::in_dir(std::env::temp_dir().join("ciba-desk"))
        });
        let (settings, problem) = match store.load() {
            Ok(s) => (s, None),
            Err(e) => {
                tracing::error!(error = %e, "the settings file could not be read; running on defaults");
                (
                    Settings::default().with_policy(crate::settings::Policy::load_default()),
                    Some(e),
                )
            }
        };
        let keyring = match keyring {
            Ok(k) => Some(k),
            Err(e) => {
                tracing::warn!(error = %e, "no OS keyring; secrets come from the environment");
                None
            }
        };
        let mut o = AppOptions::new(store, settings);
        o.keyring = keyring;
        o.audit_path = paths::audit_db();
        o.desk.sandbox_proof_dir = paths::data_dir();
        (Self::new(o), problem)
    }

    /// Why the built-in sandbox cannot be used now: something that is not the sandbox holds
    /// its port. Nothing listening is no problem (the app starts the sandbox there).
    pub async fn sandbox_problem(&self, sandbox: &Profile) -> Option<DeskError> {
        let dir = self.sandbox_proof_dir.as_ref()?;
        if !crate::sandbox_proof::listening(&sandbox.issuer).await {
            return None;
        }
        crate::sandbox_proof::prove(&sandbox.issuer, dir)
            .await
            .err()
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
        lock(&self.settings)
    }

    pub fn settings_store(&self) -> &SettingsStore {
        &self.store
    }

    pub fn keyring(&self) -> Option<&SecretStore> {
        self.keyring.as_ref()
    }

    pub fn profile(&self, name: &str) -> Result<Profile> {
        self.settings()
            .profile(name)
            .ok_or_else(|| DeskError::UnknownProfile(name.to_owned()))
    }

    /// Applies `change` to the settings and saves them atomically; nothing changes in memory
    /// if the file cannot be written.
    pub fn update_settings<T>(&self, change: impl FnOnce(&mut Settings) -> Result<T>) -> Result<T> {
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
    pub async fn audit_trail(&self) -> Result<Arc<AuditTrail>> {
        self.audit
            .get_or_try_init(|| async {
                let path = self.audit_path.clone().ok_or(DeskError::NoDataDir)?;
                let keyring = self.keyring.as_ref().ok_or("no OS keyring is available");
                let audit_settings = self.settings().effective_audit();
                let trail = AuditTrail::open(path, keyring, &audit_settings)
                    .await
                    .map_err(|e| DeskError::AuditUnavailable(Box::new(e)))?;
                for notice in trail.notices() {
                    tracing::warn!("{notice}");
                    self.notice(notice);
                }
                let trail = Arc::new(trail);
                self.desk.record_to(trail.clone());
                Ok(trail)
            })
            .await
            .cloned()
    }

    pub(crate) fn notice(&self, message: &str) {
        if let Some(n) = &self.on_notice {
            n(message);
        }
    }

    pub(crate) fn results(&self) -> Results {
        self.results.clone()
    }

    pub(crate) fn result(&self, seq: u64) -> Option<super::views::SessionResult> {
        self.results.get(seq)
    }
}
