//! The app's commands through Tauri's IPC layer, without a window (`tauri::test`): what the
//! page gets back, and that secrets only ever go in.

use desk::{Settings, SettingsStore};
use secrets::{EntryName, SecretStore};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    keyring: SecretStore,
    dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let state = ciba_desk_app::AppState::new(
        SettingsStore::in_dir(dir.path()),
        Settings::default(),
        Some(keyring.clone()),
    );
    let app = ciba_desk_app::with_commands(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Harness {
        _app: app,
        window,
        keyring,
        dir,
    }
}

impl Harness {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }
}

#[test]
fn the_sandbox_profile_is_always_listed() {
    let h = harness();
    let profiles = h.call("list_profiles", json!({})).unwrap();
    let sandbox = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sandbox")
        .expect("sandbox profile");
    assert_eq!(sandbox["is_sandbox"], true);
    assert_eq!(sandbox["identity_kind"], "national_id");
    assert_eq!(sandbox["secret_status"], "not_needed");
    assert_eq!(sandbox["countries"], json!(["se", "no", "dk"]));
}

#[test]
fn identity_checks_explain_and_mask() {
    let h = harness();
    let ok = h
        .call(
            "check_identity",
            json!({"profile": "sandbox", "input": "se:19121212-1212"}),
        )
        .unwrap();
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["masked"], "19121212-XXXX");
    let bad = h
        .call(
            "check_identity",
            json!({"profile": "sandbox", "input": "se:19121212-1213"}),
        )
        .unwrap();
    assert_eq!(bad["ok"], false);
    assert!(
        bad["error"].as_str().unwrap().contains("check digit"),
        "{bad}"
    );
    assert!(
        !bad.to_string().contains("1212-1213"),
        "the full number must not come back: {bad}"
    );
    let unknown = h
        .call("check_identity", json!({"profile": "nope", "input": "x"}))
        .unwrap_err();
    assert_eq!(unknown["code"], "unknown_profile");
}

#[test]
fn binding_messages_are_counted_and_checked() {
    let h = harness();
    let ok = h
        .call(
            "check_binding_message",
            json!({"profile": "sandbox", "message": "Counter 3"}),
        )
        .unwrap();
    assert_eq!(
        (ok["ok"].as_bool(), ok["chars"].as_u64()),
        (Some(true), Some(9))
    );
    let long = h
        .call(
            "check_binding_message",
            json!({"profile": "sandbox", "message": "x".repeat(300)}),
        )
        .unwrap();
    assert_eq!(long["ok"], false);
    let code = h.call("generate_code", json!({})).unwrap();
    assert!(
        code.as_str().unwrap().chars().all(|c| c.is_ascii_digit())
            && code.as_str().unwrap().len() == 4
    );
}

#[test]
fn secrets_go_into_the_keyring_and_never_come_back() {
    let h = harness();
    h.call("add_profile", json!({"preset": "generic", "name": "bank", "issuer": "https://idp.example.com", "clientId": "desk-1"}))
        .unwrap();
    let listed = h.call("list_profiles", json!({})).unwrap();
    let bank = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bank")
        .unwrap()
        .clone();
    assert_eq!(bank["secret_status"], "missing");

    h.call(
        "set_secret",
        json!({"profile": "bank", "secret": "hunter2-top-secret"}),
    )
    .unwrap();
    let stored = h
        .keyring
        .get_blocking(&EntryName::client_secret("bank").unwrap())
        .unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&stored),
        "hunter2-top-secret"
    );

    let listed = h.call("list_profiles", json!({})).unwrap();
    assert!(!listed.to_string().contains("hunter2"));
    let bank = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bank")
        .unwrap()
        .clone();
    assert_eq!(bank["secret_status"], "stored");
    let export = h.call("export_profiles", json!({})).unwrap();
    assert!(
        export.as_str().unwrap().contains("bank") && !export.as_str().unwrap().contains("hunter2")
    );
    for entry in std::fs::read_dir(h.dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(
            !text.contains("hunter2"),
            "a secret reached the settings directory"
        );
    }
    let e = h
        .call("set_secret", json!({"profile": "sandbox", "secret": "x"}))
        .unwrap_err();
    assert_eq!(e["code"], "no_secret_needed");
}

#[test]
fn preferences_round_trip_and_the_sandbox_cannot_be_removed() {
    let h = harness();
    h.call(
        "set_preferences",
        json!({"prefs": {"last_profile": "sandbox", "language": "sv", "theme": "dark"}}),
    )
    .unwrap();
    let p = h.call("get_preferences", json!({})).unwrap();
    assert_eq!(
        p,
        json!({"last_profile": "sandbox", "language": "sv", "theme": "dark"})
    );
    assert!(
        h.call("remove_profile", json!({"name": "sandbox"}))
            .is_err()
    );
    let presets = h.call("list_presets", json!({})).unwrap();
    assert!(
        presets
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "idura_no_bankid")
    );
    assert!(
        presets
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != "sandbox")
    );
}
