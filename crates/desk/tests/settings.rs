//! The settings file on disk: atomic writes, malformed files reported and left alone,
//! migration from the prototype's schema, and profile export/import without secrets.

use std::fs;

use desk::settings::write_atomic;
use desk::{DeskError, ImportMode, Location, Profile, SecretRef, Settings, SettingsStore, preset};

fn filled(id: &str, name: &str) -> Profile {
    let mut p = preset(id).unwrap();
    p.name = name.into();
    p.issuer = "https://acme.idura.broker".into();
    p.client_id = "urn:acme:desk".into();
    p.secret = Some(SecretRef::Entry(format!("{name} key")));
    p
}

fn sample() -> Settings {
    let mut s = Settings::default();
    s.add_profile(filled("idura_se_bankid", "Acme BankID"))
        .unwrap();
    s.add_profile(preset("signaturgruppen_mitid_pp_demo").unwrap())
        .unwrap();
    s.add_profile(filled("authway_pickup", "Acme pickup"))
        .unwrap();
    s.preferences.default_profile = Some("Acme BankID".into());
    s
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn saves_atomically_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::in_dir(dir.path().join("nested"));
    assert_eq!(store.load().unwrap(), Settings::default(), "no file yet");

    let s = sample();
    store.save(&s).unwrap();
    let text = fs::read_to_string(store.path()).unwrap();
    assert!(text.starts_with("# CIBA Desk settings"));
    assert!(text.contains("schema_version = 1"));
    assert!(
        !text.contains("name = \"sandbox\""),
        "the sandbox is built in, not stored"
    );
    let back = store.load().unwrap();
    assert_eq!(back, s);
    assert_eq!(back.default_profile().unwrap().name, "Acme BankID");
    assert_eq!(back.profiles()[0].name, "sandbox");
    assert_eq!(back.profiles().len(), 4);

    // A second save replaces the file whole and leaves no temporary file behind.
    let mut s2 = back;
    s2.remove_profile("Acme pickup").unwrap();
    store.save(&s2).unwrap();
    assert_eq!(store.load().unwrap().user_profiles().len(), 2);
    assert_eq!(files(store.dir()), ["settings.toml"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the user can read the settings");
    }
}

#[test]
fn a_failed_atomic_write_leaves_the_target_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // The target is a non-empty directory, so the final rename fails.
    let target = dir.path().join("settings.toml");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), "x").unwrap();
    assert!(write_atomic(&target, b"new").is_err());
    assert!(target.is_dir());
    assert_eq!(fs::read_to_string(target.join("keep")).unwrap(), "x");
    assert_eq!(files(dir.path()), ["settings.toml"]);

    let file = dir.path().join("plain.toml");
    fs::write(&file, "old").unwrap();
    write_atomic(&file, b"new").unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "new");
}

#[test]
fn a_malformed_file_is_reported_with_line_and_column_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::in_dir(dir.path());
    let text = "schema_version = 1\n\n[preferences]\ndefault_profile = \"Acme\n";
    fs::write(store.path(), text).unwrap();

    let e = store.load().unwrap_err();
    match &e {
        DeskError::SettingsMalformed { location, path, .. } => {
            assert_eq!(location.map(|l| l.line), Some(4));
            assert!(path.ends_with("settings.toml"));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("line 4, column"), "{e}");
    assert!(e.to_string().contains("left exactly as it is"), "{e}");
    assert_eq!(e.code(), "settings_malformed");

    // Saving over it is refused too: the user's text is never silently lost.
    let save = store.save(&Settings::default()).unwrap_err();
    assert_eq!(save.code(), "settings_malformed");
    assert_eq!(fs::read_to_string(store.path()).unwrap(), text);
    assert_eq!(files(dir.path()), ["settings.toml"]);
}

#[test]
fn a_wrong_field_is_located_too() {
    let good = sample().to_toml().unwrap();
    let bad = good.replacen("hint = ", "colour = \"red\"\nhint = ", 1);
    let line = bad.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
    let e = Settings::from_toml(&bad, "settings.toml").unwrap_err();
    match e {
        DeskError::SettingsMalformed {
            location: Some(Location { line: l, column }),
            message,
            ..
        } => {
            assert_eq!(l, line, "{message}");
            assert_eq!(column, 1);
            assert!(message.contains("colour"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // An inconsistent profile is located at its name.
    let bad = good.replacen("hint = \"sub_ssn\"", "hint = \"signicat_mobileid\"", 1);
    let e = Settings::from_toml(&bad, "settings.toml").unwrap_err();
    let name_line = bad
        .lines()
        .position(|l| l == "name = \"Acme BankID\"")
        .unwrap()
        + 1;
    assert!(
        e.to_string()
            .contains(&format!("line {name_line}, column 1")),
        "{e}"
    );
}

const V0: &str = r#"# written by the prototype
default_profile = "Old Authway"

[[providers]]
name = "Old Authway"
kind = "authway"
issuer = "https://acme.irmciam.se"
client_id = "desk"
auth_method = "client_secret_post"
secret_entry = "authway-secret"
scope = "openid profile"
inputs = [{ kind = "national_id", countries = ["se"] }]
hint = "login_hint"
"#;

#[test]
fn migrates_a_v0_file_and_keeps_a_backup_on_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::in_dir(dir.path());
    fs::write(store.path(), V0).unwrap();

    let s = store.load().unwrap();
    assert_eq!(s.migrated_from(), Some(0));
    assert_eq!(
        s.preferences.default_profile.as_deref(),
        Some("Old Authway")
    );
    let p = s.profile("Old Authway").unwrap();
    assert_eq!(p.provider, desk::ProviderKind::Authway);
    assert_eq!(p.scopes, ["openid", "profile"]);
    assert_eq!(p.secret, Some(SecretRef::Entry("authway-secret".into())));
    assert_eq!(
        fs::read_to_string(store.path()).unwrap(),
        V0,
        "loading never writes"
    );

    store.save(&s).unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("settings.v0.toml.bak")).unwrap(),
        V0
    );
    let again = store.load().unwrap();
    assert_eq!(again.migrated_from(), None);
    assert_eq!(again.user_profiles(), s.user_profiles());
    assert!(
        fs::read_to_string(store.path())
            .unwrap()
            .contains("schema_version = 1")
    );
}

#[test]
fn an_import_says_what_it_would_change_before_it_changes_anything() {
    let mut here = sample();
    let mut theirs = sample();
    let mut moved = filled("idura_se_bankid", "Acme BankID");
    moved.issuer = "https://acme-new.idura.broker".into();
    moved.description = "New notes".into();
    theirs.remove_profile("Acme BankID").unwrap();
    theirs.add_profile(moved).unwrap();
    let mut renamed = filled("authway_pickup", "Acme pickup");
    renamed.description = "Pickup desk 2".into();
    theirs.remove_profile("Acme pickup").unwrap();
    theirs.add_profile(renamed).unwrap();
    theirs
        .add_profile(filled("idura_no_bankid", "Acme NO"))
        .unwrap();
    let text = theirs.export_profiles(&[]).unwrap();

    let before = here.clone();
    let preview = here.import_profiles(&text, ImportMode::Preview).unwrap();
    assert_eq!(here, before, "a preview changes nothing");
    assert_eq!(preview.added, ["Acme NO"]);
    assert_eq!(preview.unchanged, ["Signaturgruppen MitID (PP demo)"]);
    assert_eq!(preview.replaced, ["Acme BankID", "Acme pickup"]);
    let bank = &preview.changes[0];
    assert_eq!(bank.name, "Acme BankID");
    let fields: Vec<(&str, Option<&str>, Option<&str>)> = bank
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.before.as_deref(), f.after.as_deref()))
        .collect();
    assert_eq!(
        fields,
        [
            (
                "description",
                Some(
                    "Swedish BankID phone authentication. Tell the system who placed the call: the customer's app asks accordingly."
                ),
                Some("New notes")
            ),
            (
                "issuer",
                Some("https://acme.idura.broker"),
                Some("https://acme-new.idura.broker")
            ),
        ]
    );
    assert!(
        bank.destination_changed,
        "its stored secret will not follow"
    );
    let pickup = &preview.changes[1];
    assert_eq!(pickup.fields.len(), 1);
    assert!(!pickup.destination_changed);

    let kept = here
        .clone()
        .import_profiles(&text, ImportMode::KeepExisting)
        .unwrap();
    assert_eq!(kept.skipped, ["Acme BankID", "Acme pickup"]);
    assert_eq!(
        kept.changes, preview.changes,
        "skipped ones say what differs too"
    );

    let done = here.import_profiles(&text, ImportMode::Replace).unwrap();
    assert_eq!(done, preview);
    assert_eq!(
        here.profile("Acme BankID").unwrap().issuer,
        "https://acme-new.idura.broker"
    );
}

#[test]
fn an_empty_or_missing_file_still_has_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let store = SettingsStore::in_dir(dir.path());
    fs::write(store.path(), "").unwrap();
    let s = store.load().unwrap();
    let names: Vec<String> = s.profiles().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["sandbox"]);
    assert!(s.profiles()[0].is_sandbox);
}

#[test]
fn exports_carry_no_secrets_and_import_back() {
    let s = sample();
    let text = s.export_profiles(&[]).unwrap();
    assert!(text.contains("export_version = 1"));
    assert!(!text.contains("client_secret ="));
    assert!(
        !text.contains("mIpxk84F"),
        "not even the public demo secret's value"
    );
    assert!(!text.contains("-----BEGIN"));
    assert!(text.contains("entry = \"Acme BankID key\""));
    assert!(
        text.contains("public = \"signaturgruppen_pp_demo\""),
        "{text}"
    );

    let mut other = Settings::default();
    let report = other
        .import_profiles(&text, ImportMode::KeepExisting)
        .unwrap();
    assert_eq!(report.added.len(), 3);
    assert_eq!(other.user_profiles(), s.user_profiles());

    // Again: everything exists already, the same.
    for mode in [ImportMode::KeepExisting, ImportMode::Replace] {
        let report = other.import_profiles(&text, mode).unwrap();
        assert_eq!(report.unchanged.len(), 3, "{report:?}");
        assert!(
            report.replaced.is_empty() && report.skipped.is_empty() && report.changes.is_empty()
        );
    }

    let one = s.export_profiles(&["Acme pickup"]).unwrap();
    assert_eq!(one.matches("[[profiles]]").count(), 1);
    assert_eq!(
        s.export_profiles(&["sandbox"]).unwrap_err().code(),
        "builtin_profile"
    );
    assert_eq!(
        s.export_profiles(&["nope"]).unwrap_err().code(),
        "unknown_profile"
    );
}

#[test]
fn imports_refuse_anything_that_looks_like_a_secret() {
    let s = sample();
    let text = s.export_profiles(&["Acme BankID"]).unwrap();
    let cases = [
        text.replacen("hint = ", "client_secret = \"hunter2\"\nhint = ", 1),
        text.replacen("hint = ", "password = \"hunter2\"\nhint = ", 1),
        text.replacen("[profiles.secret]\nentry = \"Acme BankID key\"\n", "", 1)
            .replacen("hint = ", "secret = \"hunter2\"\nhint = ", 1),
        text.replacen(
            "hint = ",
            "extra_params = { ui_locales = \"-----BEGIN PRIVATE KEY-----\\nMIIE\" }\nhint = ",
            1,
        ),
        text.replacen(
            "hint = ",
            "extra_params = { x = \"mIpxk84FI1wpc7cP7nodFLfgQQ1ScZHYO44FZ9wPOqrB0ha9S5RUNYPXMkrCWwRjGqEH0hflnIJea8IKmW19aQ==\" }\nhint = ",
            1,
        ),
    ];
    for (i, case) in cases.iter().enumerate() {
        assert_ne!(case, &text, "case {i} changed nothing");
        let mut target = Settings::default();
        let e = target
            .import_profiles(case, ImportMode::Replace)
            .unwrap_err();
        assert_eq!(e.code(), "secret_in_import", "case {i}: {e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("keyring"), "{e}");
        assert!(target.user_profiles().is_empty(), "nothing imported");
    }
    // The location points at the offending key.
    let e = Settings::default()
        .import_profiles(&cases[0], ImportMode::Replace)
        .unwrap_err();
    let line = cases[0]
        .lines()
        .position(|l| l.starts_with("client_secret"))
        .unwrap()
        + 1;
    assert!(
        e.to_string().contains(&format!("line {line}, column 1")),
        "{e}"
    );
}

#[test]
fn imports_are_all_or_nothing() {
    let s = sample();
    let text = s.export_profiles(&[]).unwrap();
    let broken = text.replacen("hint = \"login_hint\"", "hint = \"sub_ssn\"", 1);
    let mut target = Settings::default();
    let e = target
        .import_profiles(&broken, ImportMode::Replace)
        .unwrap_err();
    assert_eq!(e.code(), "import_malformed", "{e}");
    assert!(target.user_profiles().is_empty());
    let e = target
        .import_profiles("export_version = 1\n[[profiles\n", ImportMode::Replace)
        .unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn the_config_dir_can_be_overridden() {
    let s = SettingsStore::from_env_value(Some("/srv/desk-config".into())).unwrap();
    assert_eq!(
        s.path(),
        std::path::Path::new("/srv/desk-config/settings.toml")
    );
}
