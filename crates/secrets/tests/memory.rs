//! Fast tests on the in-memory store: behaviour, namespacing, errors, timeouts.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use keyring_core::api::{Credential, CredentialApi, CredentialStoreApi};
use keyring_core::{CredentialStore, Entry};
use secrecy::{ExposeSecret as _, SecretString};
use secrets::{EntryName, EntryStatus, SecretError, SecretStore};

fn cs(profile: &str) -> EntryName {
    EntryName::client_secret(profile).unwrap()
}

fn pk(profile: &str) -> EntryName {
    EntryName::private_key(profile).unwrap()
}

#[tokio::test]
async fn set_get_overwrite_delete_status() {
    let store = SecretStore::in_memory();
    let name = cs("bank");
    assert_eq!(store.status(&name).await.unwrap(), EntryStatus::Missing);

    store.set(&name, SecretString::from("first")).await.unwrap();
    assert_eq!(store.status(&name).await.unwrap(), EntryStatus::Stored);
    assert_eq!(store.get(&name).await.unwrap().expose_secret(), "first");

    store
        .set(&name, SecretString::from("second"))
        .await
        .unwrap();
    assert_eq!(store.get(&name).await.unwrap().expose_secret(), "second");

    assert!(store.delete(&name).await.unwrap(), "something was deleted");
    assert_eq!(store.status(&name).await.unwrap(), EntryStatus::Missing);
    assert!(
        !store.delete(&name).await.unwrap(),
        "nothing left to delete"
    );
}

#[tokio::test]
async fn missing_entry_is_missing_with_an_actionable_message() {
    let store = SecretStore::in_memory();
    let err = store.get(&cs("bank-test")).await.unwrap_err();
    assert!(
        matches!(&err, SecretError::Missing { entry } if entry.profile() == Some("bank-test")),
        "{err:?}"
    );
    assert_eq!(err.code(), "secret_missing");
    assert_eq!(
        err.to_string(),
        "no client secret stored for profile bank-test; run `ciba-desk secret set bank-test`"
    );
    let err = store.get(&pk("bank-test")).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no private key stored for profile bank-test;")
    );
}

#[tokio::test]
async fn kinds_and_profiles_do_not_collide() {
    let store = SecretStore::in_memory();
    let entries = [
        (cs("a"), "a-secret"),
        (pk("a"), "a-key"),
        (cs("b"), "b-secret"),
        (pk("a:client-secret"), "tricky"),
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
    store.delete(&cs("a")).await.unwrap();
    assert_eq!(store.get(&pk("a")).await.unwrap().expose_secret(), "a-key");
    assert_eq!(
        store.get(&cs("b")).await.unwrap().expose_secret(),
        "b-secret"
    );
}

#[tokio::test]
async fn clones_share_entries_and_separate_stores_do_not() {
    let store = SecretStore::in_memory();
    let clone = store.clone();
    store.set(&cs("x"), SecretString::from("v")).await.unwrap();
    assert_eq!(clone.get(&cs("x")).await.unwrap().expose_secret(), "v");
    let other = SecretStore::in_memory();
    assert!(matches!(
        other.get(&cs("x")).await,
        Err(SecretError::Missing { .. })
    ));
}

#[tokio::test]
async fn entries_use_the_app_service_and_profile_user() {
    // Look at the raw mock store to see where the value landed.
    let mock = keyring_core::mock::Store::new().unwrap();
    let store = SecretStore::with_store(mock.clone());
    store
        .set(&cs("bank"), SecretString::from("v"))
        .await
        .unwrap();
    let raw = mock
        .build("ciba-desk", "profile:bank:client-secret", None)
        .unwrap();
    assert_eq!(raw.get_password().unwrap(), "v");
}

#[tokio::test]
async fn empty_secrets_are_refused() {
    let store = SecretStore::in_memory();
    let err = store
        .set(&cs("bank"), SecretString::from(""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "secret_malformed");
    assert_eq!(
        store.status(&cs("bank")).await.unwrap(),
        EntryStatus::Missing
    );
}

#[tokio::test]
async fn audit_hmac_key_is_created_once_and_reused() {
    let mock = keyring_core::mock::Store::new().unwrap();
    let store = SecretStore::with_store(mock.clone());
    let first = store.audit_hmac_key().await.unwrap();
    let second = store.audit_hmac_key().await.unwrap();
    assert_eq!(first.expose_secret(), second.expose_secret());
    assert_ne!(first.expose_secret(), &[0u8; 32]);

    // Stored as base64 of the 32 bytes under service ciba-desk, user audit:hmac-key.
    let raw = mock.build("ciba-desk", "audit:hmac-key", None).unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(raw.get_password().unwrap())
        .unwrap();
    assert_eq!(decoded.as_slice(), first.expose_secret());

    // Another store gets another key.
    let other = SecretStore::in_memory().audit_hmac_key().await.unwrap();
    assert_ne!(other.expose_secret(), first.expose_secret());
}

#[tokio::test]
async fn a_malformed_audit_key_is_reported_not_replaced() {
    let mock = keyring_core::mock::Store::new().unwrap();
    let store = SecretStore::with_store(mock.clone());
    let raw = mock.build("ciba-desk", "audit:hmac-key", None).unwrap();
    raw.set_password("not-base64-and-not-32-bytes").unwrap();
    let err = store.audit_hmac_key().await.unwrap_err();
    assert_eq!(err.code(), "secret_malformed");
    assert!(!err.to_string().contains("not-base64"), "{err}");
    assert_eq!(raw.get_password().unwrap(), "not-base64-and-not-32-bytes");
}

#[tokio::test]
async fn non_utf8_values_are_malformed_and_never_shown() {
    let mock = keyring_core::mock::Store::new().unwrap();
    let store = SecretStore::with_store(mock.clone());
    let raw = mock
        .build("ciba-desk", "profile:p:client-secret", None)
        .unwrap();
    raw.set_secret(b"top\xffsecret").unwrap();
    let err = store.get(&cs("p")).await.unwrap_err();
    assert_eq!(err.code(), "secret_malformed");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("top") && !shown.contains("secret\""),
        "{shown}"
    );
}

#[tokio::test]
async fn keyring_errors_become_distinct_errors() {
    let mock = keyring_core::mock::Store::new().unwrap();
    let store = SecretStore::with_store(mock.clone());
    store
        .set(&cs("p"), SecretString::from("hunter2"))
        .await
        .unwrap();
    let raw = mock
        .build("ciba-desk", "profile:p:client-secret", None)
        .unwrap();
    let cred: &keyring_core::mock::Cred = raw.as_any().downcast_ref().unwrap();

    let cases: Vec<(keyring_core::Error, &str)> = vec![
        (
            keyring_core::Error::NoStorageAccess(Box::new(std::io::Error::other("locked"))),
            if cfg!(target_os = "linux") {
                "secret_locked"
            } else {
                "secret_access_denied"
            },
        ),
        (
            keyring_core::Error::PlatformFailure(Box::new(std::io::Error::other(
                "org.freedesktop.DBus.Error.ServiceUnknown: no owner",
            ))),
            "secret_no_keyring",
        ),
        (
            keyring_core::Error::PlatformFailure(Box::new(std::io::Error::other("disk on fire"))),
            "secret_backend",
        ),
        (
            keyring_core::Error::BadEncoding(b"hunter2".to_vec()),
            "secret_malformed",
        ),
        (
            keyring_core::Error::Ambiguous(vec![raw.get_credential().unwrap()]),
            "secret_backend",
        ),
        (
            keyring_core::Error::NotSupportedByStore("nope".into()),
            "secret_unsupported",
        ),
    ];
    for (injected, code) in cases {
        cred.set_error(injected);
        let err = store.get(&cs("p")).await.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("hunter2"), "secret leaked: {shown}");
        assert!(shown.len() > 40, "message should say what to do: {shown}");
    }
    // The injected errors are one-shot: the value is intact.
    assert_eq!(
        store.get(&cs("p")).await.unwrap().expose_secret(),
        "hunter2"
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let store = SecretStore::in_memory();
    let name = cs("p");
    store
        .set_blocking(&name, &SecretString::from("hunter2"))
        .unwrap();
    let got = store.get_blocking(&name).unwrap();
    let key = store.audit_hmac_key_blocking().unwrap();
    let shown = format!("{store:?} {got:?} {key:?} {name:?} {name}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("REDACTED"), "{shown}");
}

#[test]
fn blocking_api_works_without_a_runtime() {
    let store = SecretStore::in_memory();
    let name = pk("p");
    assert_eq!(store.status_blocking(&name).unwrap(), EntryStatus::Missing);
    store
        .set_blocking(
            &name,
            &SecretString::from("-----BEGIN PRIVATE KEY-----\n..."),
        )
        .unwrap();
    assert!(
        store
            .get_blocking(&name)
            .unwrap()
            .expose_secret()
            .starts_with("-----BEGIN")
    );
    assert!(store.delete_blocking(&name).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls() {
    let store = SecretStore::in_memory();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let name = cs(&format!("p{i}"));
            store
                .set(&name, SecretString::from(format!("v{i}")))
                .await
                .unwrap();
            store.get(&name).await.unwrap().expose_secret().to_string()
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), format!("v{i}"));
    }
}

// ----- a store that never answers, like a keyring waiting on an unlock prompt --------

struct HangingStore;
struct HangingCred(String, String);

fn hang() -> ! {
    loop {
        std::thread::park();
    }
}

impl CredentialApi for HangingCred {
    fn set_secret(&self, _: &[u8]) -> keyring_core::Result<()> {
        hang()
    }
    fn get_secret(&self) -> keyring_core::Result<Vec<u8>> {
        hang()
    }
    fn delete_credential(&self) -> keyring_core::Result<()> {
        hang()
    }
    fn get_credential(&self) -> keyring_core::Result<Option<Arc<Credential>>> {
        hang()
    }
    fn get_specifiers(&self) -> Option<(String, String)> {
        Some((self.0.clone(), self.1.clone()))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl CredentialStoreApi for HangingStore {
    fn vendor(&self) -> String {
        "hanging test store".into()
    }
    fn id(&self) -> String {
        "hanging".into()
    }
    fn build(
        &self,
        service: &str,
        user: &str,
        _: Option<&HashMap<&str, &str>>,
    ) -> keyring_core::Result<Entry> {
        Ok(Entry::new_with_credential(Arc::new(HangingCred(
            service.into(),
            user.into(),
        ))))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn hanging_store(timeout: Duration) -> SecretStore {
    let store: Arc<CredentialStore> = Arc::new(HangingStore);
    SecretStore::with_store(store).with_timeout(timeout)
}

#[tokio::test]
async fn a_keyring_that_never_answers_times_out() {
    let store = hanging_store(Duration::from_millis(200));
    let started = Instant::now();
    let err = store.get(&cs("bank")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&err, SecretError::Timeout { after, .. } if *after == Duration::from_millis(200)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the OS keyring did not answer within 0.2 s while trying to read the client secret \
         for profile bank; it may be waiting for you to unlock it in a prompt: unlock the \
         keyring and try again"
    );
    for result in [
        store.set(&cs("bank"), SecretString::from("x")).await.err(),
        store.delete(&cs("bank")).await.err(),
        store.status(&cs("bank")).await.err(),
        store.audit_hmac_key().await.err(),
    ] {
        assert_eq!(result.unwrap().code(), "secret_timeout");
    }
}

#[test]
fn a_stuck_keyring_call_does_not_keep_the_runtime_from_shutting_down() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let store = hanging_store(Duration::from_millis(100));
    let err = runtime.block_on(store.get(&cs("bank"))).unwrap_err();
    assert_eq!(err.code(), "secret_timeout");
    let started = Instant::now();
    drop(runtime);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "runtime shutdown waited for the stuck keyring call"
    );
}
