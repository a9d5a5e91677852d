//! The app's commands through Tauri's IPC layer, without a window (`tauri::test`): what the
//! page gets back, and that secrets only ever go in.

use audit::{NewRecord, Outcome};
use desk::paths::AUDIT_FILE;
use desk::{Settings, SettingsStore};
use secrets::{EntryName, SecretStore};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    keyring: SecretStore,
    dir: tempfile::TempDir,
}

fn harness() -> Harness {
    harness_in(tempfile::tempdir().unwrap(), SecretStore::in_memory())
}

/// The app over `dir` (settings and audit log) and `keyring`.
fn harness_in(dir: tempfile::TempDir, keyring: SecretStore) -> Harness {
    let audit = dir.path().join(AUDIT_FILE);
    harness_with(dir, keyring, Some(audit))
}

fn harness_with(
    dir: tempfile::TempDir,
    keyring: SecretStore,
    audit_path: Option<std::path::PathBuf>,
) -> Harness {
    let state = ciba_desk_app::AppState::new(
        SettingsStore::in_dir(dir.path()),
        Settings::default(),
        Some(keyring.clone()),
        audit_path,
    );
    harness_of(state, dir, keyring)
}

fn harness_of(
    state: ciba_desk_app::AppState,
    dir: tempfile::TempDir,
    keyring: SecretStore,
) -> Harness {
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
    assert_eq!(bad["error"]["code"], "national_id_check_digit", "{bad}");
    assert_eq!(bad["error"]["field"], "identity", "{bad}");
    assert_eq!(bad["error"]["params"]["country"], "se", "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("check digit"),
        "the English sentence stays as a fallback: {bad}"
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
    assert_eq!(long["error"]["code"], "binding_message_too_long", "{long}");
    assert_eq!(long["error"]["params"]["max"], 64, "{long}");
    assert_eq!(long["error"]["params"]["chars"], 300, "{long}");
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
    // Bound to the profile's destination: its fingerprint line, then the secret.
    let stored = secrecy::ExposeSecret::expose_secret(&stored);
    assert!(stored.starts_with("ciba-desk-bound-v1 "), "{stored}");
    assert!(stored.ends_with("\nhunter2-top-secret"));

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
    // The audit log exists by now (the History view opened it) and holds no secret either.
    h.call("history", json!({"query": {"limit": 10}})).unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(h.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        assert!(
            !bytes.windows(7).any(|w| w == b"hunter2"),
            "a secret reached the settings or data directory"
        );
    }
    assert!(h.dir.path().join(AUDIT_FILE).exists() && files >= 2);
    let e = h
        .call("set_secret", json!({"profile": "sandbox", "secret": "x"}))
        .unwrap_err();
    assert_eq!(e["code"], "no_secret_needed");

    // A shared file that moves "bank" elsewhere: the page is shown the change first, nothing
    // changes until it says so, and the stored secret does not follow the profile.
    let export = h
        ._app
        .state::<ciba_desk_app::AppState>()
        .export_profiles(&[])
        .unwrap();
    assert!(export.contains("bank") && !export.contains("hunter2"));
    let moved = export.replace("https://idp.example.com", "https://idp.elsewhere.example");
    let preview = h
        .call("import_profiles", json!({"toml": moved, "mode": "preview"}))
        .unwrap();
    assert_eq!(preview["replaced"], json!(["bank"]));
    assert_eq!(preview["changes"][0]["fields"][0]["field"], "issuer");
    assert_eq!(
        preview["changes"][0]["fields"][0]["after"],
        "https://idp.elsewhere.example"
    );
    assert_eq!(preview["changes"][0]["destination_changed"], true);
    let status = |h: &Harness| {
        h.call("list_profiles", json!({}))
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "bank")
            .unwrap()["secret_status"]
            .clone()
    };
    assert_eq!(status(&h), "stored", "a preview changes nothing");
    let kept = h
        .call(
            "import_profiles",
            json!({"toml": moved, "mode": "keep_existing"}),
        )
        .unwrap();
    assert_eq!(kept["skipped"], json!(["bank"]));
    assert_eq!(status(&h), "stored");
    h.call("import_profiles", json!({"toml": moved, "mode": "replace"}))
        .unwrap();
    assert_eq!(status(&h), "outdated");
    h.call(
        "set_secret",
        json!({"profile": "bank", "secret": "hunter2-top-secret"}),
    )
    .unwrap();
    assert_eq!(status(&h), "stored");
}

#[test]
fn a_profile_is_edited_in_place_and_shown_by_its_short_title() {
    let h = harness();
    h.call("add_profile", json!({"preset": "idura_se_bankid", "name": "bank", "issuer": "https://acme.idura.broker", "clientId": "desk-1"}))
        .unwrap();
    h.call("add_profile", json!({"preset": "idura_se_bankid", "name": "bank-2", "issuer": "https://acme.idura.broker", "clientId": "desk-2", "title": "Branch office"}))
        .unwrap();
    let find = |h: &Harness, name: &str| {
        h.call("list_profiles", json!({}))
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(find(&h, "bank")["title"], "Idura · Swedish BankID");
    assert_eq!(find(&h, "bank-2")["title"], "Branch office");
    assert_eq!(find(&h, "sandbox")["title"], "Sandbox · training");

    let edited = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"title": "Head office", "issuer": "https://head.idura.broker/", "requested_expiry": 90}}),
        )
        .unwrap();
    assert_eq!(edited["title"], "Head office");
    assert_eq!(
        edited["issuer"], "https://head.idura.broker",
        "a trailing / is not part of the issuer"
    );
    let saved = SettingsStore::in_dir(h.dir.path()).load().unwrap();
    let bank = saved.profile("bank").unwrap();
    assert_eq!(bank.requested_expiry, Some(90));
    assert_eq!(bank.client_id, "desk-1", "what was not edited stays");

    // A bad edit changes nothing and says what is wrong.
    let e = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"issuer": "http://plain.example"}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "insecure_url", "{e}");
    let e = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"client_id": "<your-client-id>"}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "profile_placeholder", "{e}");
    assert_eq!(find(&h, "bank")["issuer"], "https://head.idura.broker");
    let e = h
        .call(
            "edit_profile",
            json!({"name": "sandbox", "edit": {"title": "mine"}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "builtin_profile", "{e}");
}

/// A throwaway certificate authority (it signed nothing), as an administrator would paste the
/// provider's own one into Settings.
const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBjzCCATWgAwIBAgIUbVes1dzull7qPvQz/pwuruRL4JUwCgYIKoZIzj0EAwIw\nHDEaMBgGA1UEAwwRQ0lCQSBEZXNrIHRlc3QgQ0EwIBcNMjYxMjAxMTI0MDI3WhgP\nMjEyNjExMDcxMjQwMjdaMBwxGjAYBgNVBAMMEUNJQkEgRGVzayB0ZXN0IENBMFkw\nEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1EeUUeOatRtLV8KeSxU71U1NO6UoWtpP\nnVcDJNo9yTAoSNM1nMUhT8aniHHRty3y7ePHNRjL0OdegqNOLqC5yqNTMFEwHQYD\nVR0OBBYEFN5AzYdY4wh9FnUkIsqn29I1RCHLMB8GA1UdIwQYMBaAFN5AzYdY4wh9\nFnUkIsqn29I1RCHLMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh\nANVTyApBZNHyVnAOs8orDodS4uWJ3YDJItqMQwz9kjUrAiBsYQlmAAZByH2RgEzm\nXDMbPwtjWqMhDgwYUAZTLtmCRA==\n-----END CERTIFICATE-----\n";

#[test]
fn settings_sign_requests_follow_fapi_and_trust_a_providers_own_authority() {
    let h = harness();
    h.call("add_profile", json!({"preset": "idura_se_bankid", "name": "bank", "issuer": "https://acme.idura.broker", "clientId": "desk-1"}))
        .unwrap();
    let edited = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"signed_requests": true, "fapi": true, "ca_certificates": CA_PEM}}),
        )
        .unwrap();
    assert_eq!(edited["signed_requests"], true);
    assert_eq!(edited["fapi"], true);
    assert_eq!(edited["ca_certificates"], CA_PEM);
    let saved = SettingsStore::in_dir(h.dir.path()).load().unwrap();
    let bank = saved.profile("bank").unwrap();
    assert!(bank.signed_requests && bank.fapi);
    assert_eq!(bank.ca_certificates.as_deref(), Some(CA_PEM));

    // Not a certificate: refused, and the saved one stays.
    let e = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"ca_certificates": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "invalid_profile", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("certificate authority"),
        "{e}"
    );
    let saved = SettingsStore::in_dir(h.dir.path()).load().unwrap();
    assert_eq!(
        saved.profile("bank").unwrap().ca_certificates.as_deref(),
        Some(CA_PEM)
    );

    // Emptied: no authority of its own any more.
    let edited = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"ca_certificates": ""}}),
        )
        .unwrap();
    assert_eq!(edited["ca_certificates"], serde_json::Value::Null);

    // A client secret cannot follow FAPI-CIBA.
    h.call("add_profile", json!({"preset": "generic", "name": "corp", "issuer": "https://idp.example.com", "clientId": "c1"}))
        .unwrap();
    let e = h
        .call(
            "edit_profile",
            json!({"name": "corp", "edit": {"fapi": true}}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "invalid_profile", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("private_key_jwt"),
        "{e}"
    );
}

/// A mutual-TLS profile in Settings: its certificate (with its key) goes into the keyring as
/// the credential, and once it follows FAPI-CIBA its request-signing key as a second secret;
/// neither comes back, and what cannot be used is refused with nothing stored.
#[test]
fn a_mutual_tls_profile_takes_a_certificate_and_a_request_key() {
    let h = harness();
    h.call("add_profile", json!({"preset": "generic", "name": "bank", "issuer": "https://idp.bank.example", "clientId": "desk-1"}))
        .unwrap();
    let edited = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"auth_method": "tls_client_auth"}}),
        )
        .unwrap();
    assert_eq!(edited["auth_method"], "tls_client_auth");
    assert_eq!(edited["secret_status"], "missing");
    assert_eq!(edited["request_key_status"], "not_needed");

    let cert = testkit::tls::self_signed_client_certificate("desk");
    let key = testkit::fake_op::key("ec1").pem;
    let e = h
        .call(
            "set_secret",
            json!({"profile": "bank", "secret": cert.cert_pem, "part": "credential"}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "invalid_client_certificate", "{e}");
    h.call(
        "set_secret",
        json!({"profile": "bank", "secret": cert.bundle()}),
    )
    .unwrap();
    assert!(
        h.keyring
            .get_blocking(&EntryName::client_certificate("bank").unwrap())
            .is_ok()
    );
    let e = h
        .call(
            "set_secret",
            json!({"profile": "bank", "secret": key, "part": "request_signing_key"}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "no_secret_needed", "{e}");

    let edited = h
        .call(
            "edit_profile",
            json!({"name": "bank", "edit": {"fapi": true}}),
        )
        .unwrap();
    assert_eq!(edited["secret_status"], "stored");
    assert_eq!(edited["request_key_status"], "missing");
    h.call(
        "set_secret",
        json!({"profile": "bank", "secret": key, "part": "request_signing_key"}),
    )
    .unwrap();
    let listed = h.call("list_profiles", json!({})).unwrap();
    let bank = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bank")
        .unwrap();
    assert_eq!(bank["request_key_status"], "stored");
    assert!(!listed.to_string().contains("PRIVATE KEY"));
    let e = h
        .call(
            "set_secret",
            json!({"profile": "bank", "secret": key, "part": "everything"}),
        )
        .unwrap_err();
    assert!(e.to_string().contains("everything"), "{e}");
}

/// An app under the administrator's policy `text` (as if read from /etc/ciba-desk/policy.toml).
fn under_policy(text: &str) -> Harness {
    let policy =
        desk::settings::Policy::parse(text, std::path::Path::new("/etc/ciba-desk/policy.toml"));
    let dir = tempfile::tempdir().unwrap();
    let state = ciba_desk_app::AppState::new(
        SettingsStore::in_dir(dir.path()),
        Settings::default().with_policy(policy),
        Some(SecretStore::in_memory()),
        None,
    );
    harness_of(state, dir, SecretStore::in_memory())
}

/// A policy that names the organisation's server puts the desk in server mode: signed out,
/// nothing of this computer's own offered, and the agent cannot change or clear the server.
#[test]
fn a_policy_server_puts_the_desk_in_server_mode() {
    let h = under_policy(&format!(
        "server_url = \"https://desk.bank.example\"\n{}",
        testkit::policy::BANK_PROFILE
    ));
    let view = h.call("organisation", json!({})).unwrap();
    assert_eq!(view["state"], "signed_out");
    assert_eq!(view["server_url"], "https://desk.bank.example");
    assert_eq!(view["server_from_policy"], true);
    assert_eq!(view["agent_name"], Value::Null);
    assert_eq!(h.call("list_profiles", json!({})).unwrap(), json!([]));
    let e = h
        .call("set_server", json!({"url": "https://elsewhere.example"}))
        .unwrap_err();
    assert_eq!(e["code"], "managed_by_policy");
    let e = h.call("set_server", json!({"url": null})).unwrap_err();
    assert_eq!(e["code"], "managed_by_policy");
}

/// Under an administrator's policy the page is told what is managed, and a change to a managed
/// profile is refused whatever the page sends.
#[test]
fn a_policy_file_is_shown_and_obeyed() {
    let h = under_policy(&format!(
        "allow_sandbox = false\n{}",
        testkit::policy::BANK_PROFILE
    ));
    let view = h.call("policy", json!({})).unwrap();
    assert_eq!(view["managed"], true);
    assert_eq!(view["path"], "/etc/ciba-desk/policy.toml");
    assert_eq!(
        (&view["profiles_locked"], &view["sandbox_allowed"]),
        (&json!(false), &json!(false))
    );
    assert_eq!(view["server_url"], Value::Null);
    assert_eq!(view["problem"], Value::Null);

    let listed = h.call("list_profiles", json!({})).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bank"]);
    assert_eq!(listed[0]["managed"], true);
    for (cmd, args) in [
        (
            "edit_profile",
            json!({"name": "bank", "edit": {"title": "Mine"}}),
        ),
        ("remove_profile", json!({"name": "bank"})),
    ] {
        let e = h.call(cmd, args).unwrap_err();
        assert_eq!(e["code"], "managed_by_policy", "{cmd}: {e}");
    }
    // An agent's own profile is still theirs to add.
    h.call("add_profile", json!({"preset": "generic", "name": "own", "issuer": "https://idp.example.com", "clientId": "c"}))
        .unwrap();
}

/// A screen-pop link given to the app (at start, or by a second start) reaches the page as
/// a prefill, one after another; other arguments are not links.
#[test]
fn screen_pop_links_reach_the_page_in_order() {
    let h = harness();
    let state = h._app.state::<ciba_desk_app::AppState>();
    state.receive_links([
        "--some-flag".to_owned(),
        "ciba-desk://verify?profile=bank&national_id=se:19121212-1212&reference=CASE-1".to_owned(),
    ]);
    state.receive_links(["ciba-desk://verify?email=a@example.com&start=now".to_owned()]);
    let first = h.call("wait_link", json!({"seen": 0})).unwrap();
    assert_eq!(first["profile"], "bank");
    assert_eq!(first["identity"], "se:19121212-1212");
    assert_eq!(first["reference"], "CASE-1");
    assert_eq!(first["problems"], json!([]));
    let second = h.call("wait_link", json!({"seen": 1})).unwrap();
    assert_eq!(second["identity"], "a@example.com");
    assert_eq!(
        second["problems"],
        json!([{"param": "start", "code": "unknown"}])
    );
}

#[test]
fn history_searches_and_pages_beyond_a_hundred() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let log = keyed_log(dir.path(), &keyring);
    for i in 0..130 {
        let outcome = if i % 10 == 0 {
            Outcome::Denied
        } else {
            Outcome::Verified
        };
        log.append(sandbox_record(&format!("Call {i:03}"), outcome))
            .unwrap();
    }
    drop(log);
    let h = harness_in(dir, keyring);
    let page = |before: Value, search: &str| {
        h.call(
            "history",
            json!({"query": {"limit": 100, "before": before, "search": search}}),
        )
        .unwrap()
    };
    let first = page(Value::Null, "");
    assert_eq!(first["entries"].as_array().unwrap().len(), 100);
    assert_eq!(first["entries"][0]["binding_message"], "Call 129");
    let next = first["next_before"].clone();
    assert_eq!(next, 31);
    let second = page(next, "");
    assert_eq!(second["entries"].as_array().unwrap().len(), 30);
    assert_eq!(second["entries"][0]["binding_message"], "Call 029");
    assert_eq!(second["next_before"], Value::Null, "the last page");

    let denied = page(Value::Null, "DENIED");
    let messages: Vec<&str> = denied["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["binding_message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 13);
    assert_eq!(messages[0], "Call 120");
    assert_eq!(
        page(Value::Null, "call 07")["entries"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    assert_eq!(
        page(Value::Null, "nobody")["entries"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn preferences_round_trip_and_the_sandbox_cannot_be_removed() {
    let h = harness();
    h.call(
        "set_preferences",
        json!({"prefs": {"last_profile": "sandbox", "language": "sv", "theme": "dark"}}),
    )
    .unwrap();
    let mut p = h.call("get_preferences", json!({})).unwrap();
    // Read-only: the operating system's language, whatever this machine's is.
    assert!(
        p.as_object_mut()
            .unwrap()
            .remove("system_language")
            .is_some()
    );
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

/// A record of the sandbox's Tolvan Tolvansson, as the desk writes it.
fn sandbox_record(message: &str, outcome: Outcome) -> NewRecord {
    NewRecord::new(
        "sandbox",
        "http://127.0.0.1:7878",
        "national_id",
        secrecy::SecretString::from("191212121212".to_owned()),
        "19121212-XXXX",
        message,
        outcome,
    )
}

/// The audit log in `dir` under the keyring's key, as the desk opens it.
fn keyed_log(dir: &std::path::Path, keyring: &SecretStore) -> audit::AuditLog {
    let key = keyring.audit_hmac_key_blocking().unwrap();
    audit::AuditLog::open(
        dir.join(AUDIT_FILE),
        secrecy::ExposeSecret::expose_secret(&key),
    )
    .unwrap()
}

/// A data directory whose log holds a verified and then a denied record (binding messages
/// "Call 4711" and "Call 4712"), written as the desk writes them, under the keyring's key.
fn two_records() -> (tempfile::TempDir, SecretStore) {
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let log = keyed_log(dir.path(), &keyring);
    for (message, outcome) in [
        ("Call 4711", Outcome::Verified),
        ("Call 4712", Outcome::Denied),
    ] {
        let mut r = sandbox_record(message, outcome);
        r.duration_ms = Some(4_000);
        r.acr = Some("sandbox-high".into());
        log.append(r).unwrap();
    }
    // Dropping the log closes it, which folds the write-ahead log into the main file.
    drop(log);
    (dir, keyring)
}

#[test]
fn a_verification_the_app_never_finished_shows_as_interrupted() {
    let (dir, keyring) = two_records();
    let log = keyed_log(dir.path(), &keyring);
    // A verification written as the desk writes it: requested, then its final record...
    let requested = log
        .append(sandbox_record("Call 4713", Outcome::Requested))
        .unwrap();
    let mut done = sandbox_record("Call 4713", Outcome::Verified);
    done.request_seq = Some(requested.seq);
    log.append(done).unwrap();
    // ...and one whose app was killed while it waited.
    log.append(sandbox_record("Call 4714", Outcome::Requested))
        .unwrap();
    drop(log);

    let h = harness_in(dir, keyring);
    let history = h.call("history", json!({"query": {"limit": 10}})).unwrap();
    let shown: Vec<(u64, &str, &str)> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["binding_message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (5, "interrupted", "Call 4714"),
            (4, "verified", "Call 4713"),
            (2, "denied", "Call 4712"),
            (1, "verified", "Call 4711"),
        ],
        "a finished verification shows once"
    );
}

#[test]
fn history_reads_the_audit_log_newest_first() {
    let (dir, keyring) = two_records();
    let h = harness_in(dir, keyring);
    let history = h.call("history", json!({"query": {"limit": 10}})).unwrap();
    let list = history["entries"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["seq"], 2);
    assert_eq!(list[0]["id"], "2");
    assert_eq!(list[0]["outcome"], "denied");
    assert_eq!(list[0]["binding_message"], "Call 4712");
    assert_eq!(list[1]["outcome"], "verified");
    assert_eq!(list[1]["masked_identity"], "19121212-XXXX");
    assert_eq!(list[1]["acr"], "sandbox-high");
    assert_eq!(list[1]["duration_ms"], 4000);
    // Earlier runs' records have no result card: the log keeps no names or birth dates.
    assert_eq!(list[1]["result"], Value::Null);
    assert_eq!(list[1]["verification_id"], Value::Null);
    let started = list[1]["started_at_ms"].as_u64().unwrap();
    let recorded = list[1]["recorded_at_ms"].as_u64().unwrap();
    assert_eq!(recorded - started, 4_000);
    assert!(!history.to_string().contains("191212121212"));
    assert_eq!(
        h.call("history", json!({"query": {"limit": 1}})).unwrap()["entries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let status = h.call("audit_status", json!({})).unwrap();
    assert_eq!(status["intact"], true);
    assert_eq!(status["records"], 2);
    assert_eq!(status["keyed"], true);
    assert_eq!(status["problem"], Value::Null);
    assert!(status["path"].as_str().unwrap().ends_with(AUDIT_FILE));
}

#[test]
fn an_altered_record_is_named_in_the_audit_status() {
    let (dir, keyring) = two_records();
    let path = dir.path().join(AUDIT_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(9)
        .position(|w| w == b"Call 4712")
        .expect("the record is in the main file");
    bytes[at + 8] = b'9';
    std::fs::write(&path, bytes).unwrap();

    let h = harness_in(dir, keyring);
    let status = h.call("audit_status", json!({})).unwrap();
    assert_eq!(status["intact"], false);
    let problem = status["problem"].as_str().unwrap();
    assert!(problem.contains("record 2"), "{problem}");
    // The History view still lists what is there.
    assert_eq!(
        h.call("history", json!({"query": {"limit": 10}})).unwrap()["entries"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn without_a_data_directory_nothing_can_be_recorded_or_started() {
    let h = harness_with(tempfile::tempdir().unwrap(), SecretStore::in_memory(), None);
    let e = h
        .call("history", json!({"query": {"limit": 10}}))
        .unwrap_err();
    assert_eq!(e["code"], "no_data_dir");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("CIBA_DESK_DATA_DIR")
    );
}

#[test]
fn a_sandbox_moved_for_this_run_is_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let mut state = ciba_desk_app::AppState::new(
        SettingsStore::in_dir(dir.path()),
        Settings::default(),
        Some(keyring.clone()),
        None,
    );
    state.move_sandbox_for_this_run("http://127.0.0.1:45678".into());
    let h = harness_of(state, dir, keyring);
    let profiles = h.call("list_profiles", json!({})).unwrap();
    assert_eq!(profiles[0]["issuer"], "http://127.0.0.1:45678");
    h.call(
        "set_preferences",
        json!({"prefs": {"last_profile": "sandbox", "language": "sv", "theme": "dark"}}),
    )
    .unwrap();
    let file = std::fs::read_to_string(h.dir.path().join("settings.toml")).unwrap();
    assert!(file.contains("language = \"sv\""), "{file}");
    assert!(!file.contains("45678"), "{file}");
}
