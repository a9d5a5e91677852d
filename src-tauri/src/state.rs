//! What the window holds while it runs: the desk's application layer and the built-in
//! sandbox provider it may have started.

use std::ops::Deref;
use std::path::PathBuf;

use desk::api::{App, AppOptions};
use desk::screen_pop::{self, LinkPrefill};
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
    /// Screen-pop links received so far, oldest first; the page opens each in a tab.
    pub links: tokio::sync::watch::Sender<Vec<LinkPrefill>>,
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
            links: tokio::sync::watch::Sender::new(vec![]),
        }
    }

    /// Takes the screen-pop links among command-line arguments (other arguments are not
    /// links and are left alone).
    pub fn receive_links(&self, args: impl IntoIterator<Item = String>) {
        let links: Vec<LinkPrefill> = args
            .into_iter()
            .filter(|a| screen_pop::is_link(a))
            .map(|a| screen_pop::parse_link(&a))
            .collect();
        if !links.is_empty() {
            tracing::info!(count = links.len(), "screen-pop link received");
            self.links.send_modify(|all| all.extend(links));
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
    // A sign-in the keyring kept from the last run is renewed while the window opens.
    app.resume_sign_in();
    let mut state = AppState::of(app);
    // Tests and trainers can move the sandbox off its default port for this run only.
    if let Ok(port) = std::env::var("CIBA_DESK_SANDBOX_PORT") {
        state.move_sandbox_for_this_run(format!("http://127.0.0.1:{}", port.trim()));
    }
    state
}

/// The name one running app holds on the desktop's session bus: a second start with the same
/// settings directory hands its links to the first and ends. A settings directory of its own
/// (`CIBA_DESK_CONFIG_DIR`: a portable install, a test) is an app of its own.
pub fn instance_id() -> String {
    const ID: &str = "app.cibadesk.desk";
    match std::env::var_os(desk::settings::CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        None => ID.to_owned(),
        Some(dir) => {
            use std::hash::{Hash, Hasher};
            // Keyed with zeroes, so every process computes the same name for a directory.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut h);
            format!("{ID}.c{:016x}", h.finish())
        }
    }
}
