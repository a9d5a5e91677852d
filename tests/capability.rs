//! What the page may do (Tauri's access control): `capabilities/default.json` grants each of the
//! app's commands by name and nothing else, and the app built with it lets the main window call
//! exactly those, through the real IPC layer and the ACL the build step generated.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

/// Core permissions the page may be granted: none. It only calls the app's commands; a
/// verification's progress arrives on a `Channel`, and Tauri exempts the channel's one command
/// (`plugin:__TAURI_CHANNEL__|fetch`) from the ACL. Events, window, app, path, menu and the
/// rest of `core:default` stay out; adding one here should come with the page code that needs it.
const CORE_PERMISSIONS_ALLOWED: &[&str] = &[];

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The commands `src-tauri/src/lib.rs` hands to `tauri::generate_handler!`.
fn registered_commands() -> BTreeSet<String> {
    let lib = read("src-tauri/src/lib.rs");
    let open = "generate_handler![";
    let start = lib
        .find(open)
        .expect("lib.rs registers its commands with generate_handler!")
        + open.len();
    let end = start + lib[start..].find(']').unwrap();
    let commands: BTreeSet<String> = lib[start..end]
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.rsplit("::").next().unwrap().to_owned())
        .collect();
    assert!(
        commands.contains("start_verification") && commands.len() >= 16,
        "could not read the commands from lib.rs: {commands:?}"
    );
    commands
}

/// The commands `src-tauri/build.rs` declares in the app manifest (its `COMMANDS`).
fn manifest_commands() -> BTreeSet<String> {
    let build = read("src-tauri/build.rs");
    let open = "const COMMANDS: &[&str] = &[";
    let start = build.find(open).expect("build.rs declares COMMANDS") + open.len();
    let end = start + build[start..].find("];").unwrap();
    build[start..end]
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The permission `tauri-build` generates to allow `command` (`list_profiles` →
/// `allow-list-profiles`).
fn allow(command: &str) -> String {
    format!("allow-{}", command.replace('_', "-"))
}

fn capability() -> Value {
    serde_json::from_str(&read("capabilities/default.json")).unwrap()
}

#[test]
fn every_command_has_its_own_permission_in_the_build_step() {
    assert_eq!(
        manifest_commands(),
        registered_commands(),
        "src-tauri/build.rs must declare exactly the commands lib.rs registers"
    );
}

#[test]
fn the_capability_grants_each_command_by_name_and_nothing_else() {
    let cap = capability();
    assert_eq!(cap["windows"], json!(["main"]), "only the agent's window");
    assert!(
        cap.get("remote").is_none(),
        "no remote URL may reach the commands"
    );
    assert!(
        cap.get("webviews").is_none(),
        "no webview other than the main window's"
    );
    let granted: Vec<&str> = cap["permissions"]
        .as_array()
        .expect("a list of permissions")
        .iter()
        .map(|p| {
            p.as_str()
                .unwrap_or_else(|| panic!("{p}: a permission is granted by name, without scopes"))
        })
        .collect();
    assert!(
        !granted.contains(&"core:default"),
        "core:default is too much"
    );

    let allowed: BTreeSet<String> = registered_commands()
        .iter()
        .map(|c| allow(c))
        .chain(CORE_PERMISSIONS_ALLOWED.iter().map(|p| p.to_string()))
        .collect();
    for p in &granted {
        assert!(
            allowed.contains(*p),
            "{p} is not on the allow-list of this test"
        );
    }
    for command in registered_commands() {
        assert!(
            granted.contains(&allow(&command).as_str()),
            "the page cannot call {command}: {} is missing",
            allow(&command)
        );
    }
    let unique: BTreeSet<&&str> = granted.iter().collect();
    assert_eq!(unique.len(), granted.len(), "a permission listed twice");
}

// ---------- the ACL the build step made, enforced by Tauri's IPC layer ----------

struct Harness {
    app: App<MockRuntime>,
    _dir: tempfile::TempDir,
}

/// The app with its real context (configuration and generated ACL) on Tauri's mock runtime.
fn app() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let state = ciba_desk_app::AppState::new(
        desk::SettingsStore::in_dir(dir.path()),
        desk::Settings::default(),
        Some(secrets::SecretStore::in_memory()),
        Some(dir.path().join(desk::paths::AUDIT_FILE)),
    );
    let app = ciba_desk_app::with_commands(mock_builder(), state)
        .build(tauri::generate_context!(test = true))
        .unwrap();
    Harness { app, _dir: dir }
}

impl Harness {
    /// The window named `label`, made if the configuration did not make it.
    fn window(&self, label: &str) -> WebviewWindow<MockRuntime> {
        self.app.get_webview_window(label).unwrap_or_else(|| {
            WebviewWindowBuilder::new(&self.app, label, Default::default())
                .build()
                .unwrap()
        })
    }
}

fn call(window: &WebviewWindow<MockRuntime>, url: &str, cmd: &str) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: url.parse().unwrap(),
            body: InvokeBody::Json(json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

const PAGE: &str = "tauri://localhost";

fn denied(result: &Result<Value, Value>) -> bool {
    matches!(result, Err(Value::String(m)) if m.contains("not allowed"))
}

#[test]
fn the_main_window_may_call_every_command_and_nothing_of_tauri_s_own() {
    let h = app();
    let main = h.window("main");
    for command in registered_commands() {
        // Called without arguments: commands that need some fail on those, after the ACL.
        let r = call(&main, PAGE, &command);
        assert!(!denied(&r), "{command} is refused to the page: {r:?}");
    }
    assert!(call(&main, PAGE, "list_presets").is_ok());

    for command in [
        "plugin:event|listen",
        "plugin:event|emit",
        "plugin:window|close",
        "plugin:window|set_title",
        "plugin:webview|create_webview_window",
        "plugin:app|version",
        "plugin:path|resolve_directory",
        "plugin:menu|new",
        "plugin:image|from_path",
        "plugin:resources|close",
        "not_a_command",
    ] {
        let r = call(&main, PAGE, command);
        assert!(denied(&r), "{command} should be refused: {r:?}");
    }

    // A channel's larger messages are fetched through this command, which the ACL lets
    // through: here it fails on the missing channel id, not on permissions.
    let r = call(&main, PAGE, "plugin:__TAURI_CHANNEL__|fetch");
    assert_eq!(r, Err(json!("missing channel id header")));
}

#[test]
fn other_windows_and_remote_pages_may_call_nothing() {
    let h = app();
    let other = h.window("other");
    let main = h.window("main");
    for command in ["list_presets", "set_secret", "start_verification"] {
        let r = call(&other, PAGE, command);
        assert!(denied(&r), "{command} from another window: {r:?}");
        let r = call(&main, "https://evil.example.com/", command);
        assert!(denied(&r), "{command} from a remote page: {r:?}");
    }
}
