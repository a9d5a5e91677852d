//! Tests against a real Secret Service (GNOME Keyring) on D-Bus.
//!
//! They run only when `CIBA_DESK_REAL_KEYRING=1`, which `with-test-keyring.sh` sets
//! inside a throwaway D-Bus session with a fresh, unlocked keyring:
//!
//! ```sh
//! crates/secrets/with-test-keyring.sh cargo test -p secrets
//! ```
//!
//! Without it they print a skip note to stderr and pass. With it, failing to reach
//! the keyring is a failure. Each test uses profile names unique to the run and
//! deletes what it stored, so running them against a real desktop keyring is safe.
#![cfg(target_os = "linux")]

use std::io::Write as _;
use std::process::Command;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use secrets::{EntryName, EntryStatus, SecretError, SecretStore};

const ENABLE: &str = "CIBA_DESK_REAL_KEYRING";

/// The real store, or `None` (with a note on stderr) when the real tests are off.
async fn real_store(test: &str) -> Option<SecretStore> {
    if std::env::var(ENABLE).as_deref() != Ok("1") {
        // Straight to the stderr stream: eprintln! would be captured by the test harness.
        let note = format!(
            "SKIPPED {test}: set {ENABLE}=1 to run the real Secret Service tests \
             (crates/secrets/with-test-keyring.sh cargo test -p secrets)\n"
        );
        let _ = std::io::stderr().write_all(note.as_bytes());
        return None;
    }
    match SecretStore::open_os().await {
        Ok(store) => Some(store.with_timeout(Duration::from_secs(10))),
        Err(e) => panic!("{ENABLE}=1 but the Secret Service is unreachable: {e}"),
    }
}

/// A profile name no one else uses.
fn unique_profile(tag: &str) -> String {
    use rand::RngCore as _;
    format!("test-{tag}-{:08x}", rand::rng().next_u32())
}

#[tokio::test]
async fn set_get_overwrite_delete_status() {
    let Some(store) = real_store("set_get_overwrite_delete_status").await else {
        return;
    };
    let profile = unique_profile("roundtrip");
    let name = EntryName::client_secret(&profile).unwrap();

    assert_eq!(store.status(&name).await.unwrap(), EntryStatus::Missing);
    store
        .set(&name, SecretString::from("first value"))
        .await
        .unwrap();
    assert_eq!(store.status(&name).await.unwrap(), EntryStatus::Stored);
    assert_eq!(
        store.get(&name).await.unwrap().expose_secret(),
        "first value"
    );

    store
        .set(&name, SecretString::from("second välue ✓"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&name).await.unwrap().expose_secret(),
        "second välue ✓"
    );

    assert!(store.delete(&name).await.unwrap());
    assert_eq!(store.status(&name).await.unwrap(), EntryStatus::Missing);
    assert!(!store.delete(&name).await.unwrap());
}

#[tokio::test]
async fn a_missing_entry_is_missing() {
    let Some(store) = real_store("a_missing_entry_is_missing").await else {
        return;
    };
    let profile = unique_profile("missing");
    let err = store
        .get(&EntryName::client_secret(&profile).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, SecretError::Missing { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("run `ciba-desk secret set {profile}`")),
        "{err}"
    );
}

#[tokio::test]
async fn distinct_profiles_and_kinds_do_not_collide() {
    let Some(store) = real_store("distinct_profiles_and_kinds_do_not_collide").await else {
        return;
    };
    let a = unique_profile("a");
    let b = unique_profile("b");
    let entries = [
        (EntryName::client_secret(&a).unwrap(), "a client secret"),
        (EntryName::private_key(&a).unwrap(), PEM),
        (EntryName::client_secret(&b).unwrap(), "b client secret"),
    ];
    for (name, value) in &entries {
        store.set(name, SecretString::from(*value)).await.unwrap();
    }
    for (name, value) in &entries {
        assert_eq!(
            store.get(name).await.unwrap().expose_secret(),
            *value,
            "{name}"
        );
    }
    store.delete(&entries[0].0).await.unwrap();
    assert_eq!(store.get(&entries[1].0).await.unwrap().expose_secret(), PEM);
    assert_eq!(
        store.get(&entries[2].0).await.unwrap().expose_secret(),
        "b client secret"
    );
    for (name, _) in &entries {
        store.delete(name).await.unwrap();
    }
}

#[tokio::test]
async fn a_second_connection_sees_the_same_entries() {
    let Some(store) = real_store("a_second_connection_sees_the_same_entries").await else {
        return;
    };
    let name = EntryName::client_secret(&unique_profile("second")).unwrap();
    store
        .set(&name, SecretString::from("shared"))
        .await
        .unwrap();
    let other = tokio::task::spawn_blocking(SecretStore::open_os_blocking)
        .await
        .unwrap()
        .unwrap();
    let got = tokio::task::spawn_blocking({
        let name = name.clone();
        move || other.get_blocking(&name)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(got.expose_secret(), "shared");
    store.delete(&name).await.unwrap();
}

#[tokio::test]
async fn audit_hmac_key_is_created_once_and_persists() {
    let Some(store) = real_store("audit_hmac_key_is_created_once_and_persists").await else {
        return;
    };
    // Never deleted: on a real desktop this is the app's own key.
    let first = store.audit_hmac_key().await.unwrap();
    let again = SecretStore::open_os()
        .await
        .unwrap()
        .audit_hmac_key()
        .await
        .unwrap();
    assert_eq!(first.expose_secret(), again.expose_secret());
    assert_eq!(
        store.status(&EntryName::audit_hmac_key()).await.unwrap(),
        EntryStatus::Stored
    );
}

/// With no D-Bus session at all, opening the keyring says there is no keyring.
/// Runs always: it needs no keyring. The check itself runs in a child process
/// (this test binary, re-run), so the parent's environment stays untouched.
#[test]
fn no_session_bus_is_no_keyring() {
    if std::env::var_os("CIBA_DESK_NO_KEYRING_CHILD").is_some() {
        return; // the child runs `no_keyring_child` instead
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "no_keyring_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CIBA_DESK_NO_KEYRING_CHILD", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/ciba-desk-test-bus",
        )
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn no_keyring_child() {
    if std::env::var_os("CIBA_DESK_NO_KEYRING_CHILD").is_none() {
        return;
    }
    let err = SecretStore::open_os_blocking().unwrap_err();
    assert_eq!(err.code(), "secret_no_keyring", "{err}");
    assert!(
        err.to_string().contains("start GNOME Keyring or KWallet"),
        "{err}"
    );
}

const PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n\
-----END PRIVATE KEY-----\n";

/// A locked keyring whose unlock prompt cannot be shown (no display) is `Locked`,
/// promptly, for every operation. Runs in a child process inside a keyring session
/// of its own, because locking the shared one would break the other tests.
#[test]
fn a_locked_keyring_is_locked() {
    if std::env::var_os("CIBA_DESK_LOCKED_CHILD").is_some() {
        return; // the child runs `locked_child` instead
    }
    if std::env::var(ENABLE).as_deref() != Ok("1") {
        let _ = std::io::stderr().write_all(
            format!(
                "SKIPPED a_locked_keyring_is_locked: set {ENABLE}=1 (see with-test-keyring.sh)\n"
            )
            .as_bytes(),
        );
        return;
    }
    let output = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/with-test-keyring.sh"))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "locked_child", "--nocapture", "--test-threads=1"])
        .env("CIBA_DESK_LOCKED_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn locked_child() {
    if std::env::var_os("CIBA_DESK_LOCKED_CHILD").is_none() {
        return;
    }
    let store = real_store("locked_child").await.unwrap();
    let name = EntryName::client_secret("locked").unwrap();
    store.set(&name, SecretString::from("v")).await.unwrap();
    tokio::task::spawn_blocking(|| {
        use secret_service::{EncryptionType, blocking::SecretService};
        let ss = SecretService::connect(EncryptionType::Dh).unwrap();
        let collection = ss.get_default_collection().unwrap();
        collection.lock().unwrap();
        assert!(collection.is_locked().unwrap());
    })
    .await
    .unwrap();

    let started = std::time::Instant::now();
    let errors = [
        store.get(&name).await.err(),
        store.status(&name).await.err(),
        store.set(&name, SecretString::from("w")).await.err(),
        store.delete(&name).await.err(),
    ];
    for err in errors {
        let err = err.expect("a locked keyring must not answer");
        assert_eq!(err.code(), "secret_locked", "{err}");
        assert!(err.to_string().contains("unlock it"), "{err}");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}
