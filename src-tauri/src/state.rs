//! What the window holds while it runs: the desk's application layer and the built-in
//! sandbox provider it may have started.

use std::ops::Deref;
use std::path::PathBuf;

use desk::api::{App, AppOptions};
use desk::{Settings, SettingsStore};
use secrets::SecretStore;

pub struct AppState {
    app: App,
    pub sandbox: tokio::sync::Mutex<Option<sandbox::Sandbox>>,
    /// How many times closing the window was held back because verifications were running;
    /// the page waits on it to ask the agent.
    pub close_requests: tokio::sync::watch::Sender<u64>,
    /// Set once the agent agreed to quit: the next close goes through.
    pub quitting: std::sync::atomic::AtomicBool,
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    pub fn new(
        store: SettingsStore,
        settings: Settings,
        keyring: Option<SecretStore>,
        audit_path: Option<PathBuf>,
    ) -> Self {
        let mut o = AppOptions::new(store, settings);
        o.keyring = keyring;
        o.audit_path = audit_path;
        Self::of(App::new(o))
    }

    fn of(app: App) -> Self {
        Self {
            app,
            sandbox: tokio::sync::Mutex::new(None),
            close_requests: tokio::sync::watch::Sender::new(0),
            quitting: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Moves the built-in sandbox for this run only (tests, trainers).
    pub fn move_sandbox_for_this_run(&mut self, issuer: String) {
        self.app.move_sandbox_for_this_run(issuer);
    }
}

/// Opens the settings and the keyring as the app starts.
pub async fn open() -> AppState {
    let keyring = SecretStore::open_os().await.map_err(|e| e.to_string());
    let (app, _problem) = App::open_default(keyring).await;
    let mut state = AppState::of(app);
    // Tests and trainers can move the sandbox off its default port for this run only.
    if let Ok(port) = std::env::var("CIBA_DESK_SANDBOX_PORT") {
        state.move_sandbox_for_this_run(format!("http://127.0.0.1:{}", port.trim()));
    }
    state
}
