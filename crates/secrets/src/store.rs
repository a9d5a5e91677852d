//! [`SecretStore`]: CIBA Desk's view of one keyring.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use keyring_core::{CredentialStore, Entry};
use rand::RngCore as _;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret as _, SecretBox, SecretString};

use crate::error::{from_connect, from_keyring};
use crate::{EntryName, SecretError};

/// Results of this crate.
pub type Result<T, E = SecretError> = std::result::Result<T, E>;

/// Whether an entry holds a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// A value is stored.
    Stored,
    /// Nothing is stored under this name.
    Missing,
}

/// The audit log's HMAC key: 32 random bytes, zeroised on drop.
pub type AuditHmacKey = SecretBox<[u8; 32]>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// The platform keyring (Secret Service, Keychain, Credential Manager).
    Os,
    /// keyring-core's in-memory mock store.
    Memory,
    /// A store handed in by the caller.
    Custom,
}

/// A handle on one keyring. Cheap to clone; clones share the connection.
///
/// Every method comes in two forms: an `async` one, which runs the keyring call
/// on a thread of its own and gives up after [`timeout`](Self::timeout) with
/// [`SecretError::Timeout`]; and a `*_blocking` one, which calls the keyring on
/// the current thread and may block for as long as the keyring does (for use
/// outside an async runtime only).
///
/// Why a thread of its own and not `tokio::task::spawn_blocking`: a keyring
/// waiting on an unlock prompt can block forever, and a Tokio runtime waits for
/// every `spawn_blocking` task when it shuts down, so one stuck keyring call would
/// keep the app from exiting. A detached thread does not (the process ends it).
#[derive(Clone)]
pub struct SecretStore {
    store: Arc<CredentialStore>,
    backend: Backend,
    timeout: Duration,
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore")
            .field("store", &self.store.vendor())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SecretStore {
    /// How long an async call waits for the keyring by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

    /// An in-memory store (keyring-core's mock store), for tests and demos.
    /// Entries live as long as the store and its clones.
    pub fn in_memory() -> Self {
        let store: Arc<CredentialStore> =
            keyring_core::mock::Store::new().expect("the in-memory store cannot fail to build");
        Self {
            store,
            backend: Backend::Memory,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Wrap any keyring-core credential store (for tests, or another platform store).
    pub fn with_store(store: Arc<CredentialStore>) -> Self {
        Self {
            store,
            backend: Backend::Custom,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Connect to the platform keyring, off the async runtime and with the default timeout.
    pub async fn open_os() -> Result<Self> {
        let timeout = Self::DEFAULT_TIMEOUT;
        off_runtime(
            timeout,
            "connect to the OS keyring".into(),
            Self::open_os_blocking,
        )
        .await
    }

    /// Connect to the platform keyring on this thread: the Secret Service on Linux,
    /// the Keychain on macOS, the Credential Manager on Windows.
    pub fn open_os_blocking() -> Result<Self> {
        let store = os_store()?;
        Ok(Self {
            store,
            backend: Backend::Os,
            timeout: Self::DEFAULT_TIMEOUT,
        })
    }

    /// The same store with another timeout for async calls.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long async calls wait for the keyring.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The keyring store's own description (for diagnostics).
    pub fn describe(&self) -> String {
        self.store.vendor()
    }

    // ----- async API -------------------------------------------------------------

    /// Store `secret` under `name`, replacing any value already there.
    pub async fn set(&self, name: &EntryName, secret: SecretString) -> Result<()> {
        let this = self.clone();
        let n = name.clone();
        self.run(format!("store the {name}"), move || {
            this.set_blocking(&n, &secret)
        })
        .await
    }

    /// Read the value stored under `name`; [`SecretError::Missing`] if there is none.
    pub async fn get(&self, name: &EntryName) -> Result<SecretString> {
        let this = self.clone();
        let n = name.clone();
        self.run(format!("read the {name}"), move || this.get_blocking(&n))
            .await
    }

    /// Delete the value stored under `name`. `Ok(true)` if there was one,
    /// `Ok(false)` if there was nothing to delete.
    pub async fn delete(&self, name: &EntryName) -> Result<bool> {
        let this = self.clone();
        let n = name.clone();
        self.run(format!("delete the {name}"), move || {
            this.delete_blocking(&n)
        })
        .await
    }

    /// Whether a value is stored under `name` (without reading it).
    pub async fn status(&self, name: &EntryName) -> Result<EntryStatus> {
        let this = self.clone();
        let n = name.clone();
        self.run(format!("look up the {name}"), move || {
            this.status_blocking(&n)
        })
        .await
    }

    /// The audit log's HMAC key; created (32 random bytes, stored base64) on first use.
    pub async fn audit_hmac_key(&self) -> Result<AuditHmacKey> {
        let this = self.clone();
        self.run("read or create the audit log key".into(), move || {
            this.audit_hmac_key_blocking()
        })
        .await
    }

    // ----- blocking API ----------------------------------------------------------

    /// Blocking form of [`set`](Self::set).
    pub fn set_blocking(&self, name: &EntryName, secret: &SecretString) -> Result<()> {
        if secret.expose_secret().is_empty() {
            return Err(SecretError::Malformed {
                entry: name.clone(),
                reason: "it is empty".into(),
            });
        }
        let entry = self.entry(name)?;
        entry
            .set_secret(secret.expose_secret().as_bytes())
            .map_err(|e| from_keyring(e, name))?;
        tracing::debug!(entry = %name, "stored secret in the keyring");
        Ok(())
    }

    /// Blocking form of [`get`](Self::get).
    pub fn get_blocking(&self, name: &EntryName) -> Result<SecretString> {
        let entry = self.entry(name)?;
        let bytes = Zeroizing::new(entry.get_secret().map_err(|e| from_keyring(e, name))?);
        match std::str::from_utf8(&bytes) {
            Ok(text) if !text.is_empty() => Ok(SecretString::from(text)),
            Ok(_) => Err(SecretError::Malformed {
                entry: name.clone(),
                reason: "it is empty".into(),
            }),
            Err(_) => Err(SecretError::Malformed {
                entry: name.clone(),
                reason: "it is not UTF-8 text".into(),
            }),
        }
    }

    /// Blocking form of [`delete`](Self::delete).
    pub fn delete_blocking(&self, name: &EntryName) -> Result<bool> {
        let entry = self.entry(name)?;
        match entry.delete_credential() {
            Ok(()) => {
                tracing::debug!(entry = %name, "deleted secret from the keyring");
                Ok(true)
            }
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(from_keyring(e, name)),
        }
    }

    /// Blocking form of [`status`](Self::status).
    pub fn status_blocking(&self, name: &EntryName) -> Result<EntryStatus> {
        let entry = self.entry(name)?;
        match entry.get_credential() {
            Ok(_) => Ok(EntryStatus::Stored),
            Err(keyring_core::Error::NoEntry) => Ok(EntryStatus::Missing),
            Err(e) => Err(from_keyring(e, name)),
        }
    }

    /// Blocking form of [`audit_hmac_key`](Self::audit_hmac_key).
    ///
    /// Two processes creating the key at the same moment is resolved by reading the
    /// key back after storing it: both then use whichever write landed last.
    pub fn audit_hmac_key_blocking(&self) -> Result<AuditHmacKey> {
        let name = EntryName::audit_hmac_key();
        match self.get_blocking(&name) {
            Ok(stored) => return decode_key(&name, &stored),
            Err(SecretError::Missing { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut raw = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(raw.as_mut());
        let encoded = SecretString::from(B64.encode(raw.as_ref()));
        self.set_blocking(&name, &encoded)?;
        tracing::info!("created a new audit log key in the keyring");
        let stored = self.get_blocking(&name)?;
        decode_key(&name, &stored)
    }

    // ----- internals -------------------------------------------------------------

    fn entry(&self, name: &EntryName) -> Result<Entry> {
        let label = name.label();
        let mut mods = HashMap::new();
        // Only the Secret Service store takes a label (the mock store rejects modifiers).
        if self.backend == Backend::Os && cfg!(target_os = "linux") {
            mods.insert("label", label.as_str());
        }
        let mods = (!mods.is_empty()).then_some(&mods);
        self.store
            .build(name.service(), &name.user(), mods)
            .map_err(|e| from_keyring(e, name))
    }

    async fn run<T, F>(&self, op: String, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        off_runtime(self.timeout, op, f).await
    }
}

/// Run `f` on a detached thread and wait for it at most `timeout`.
async fn off_runtime<T, F>(timeout: Duration, op: String, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("ciba-desk-keyring".into())
        .spawn(move || {
            // The receiver may be gone after a timeout; the result is then dropped.
            let _ = tx.send(f());
        })
        .map_err(|e| SecretError::Backend(format!("could not start a keyring thread: {e}")))?;
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(result)) => result,
        // The thread ended without sending: it panicked. Its message is not shown,
        // as a panic inside a store could mention anything.
        Ok(Err(_)) => Err(SecretError::Backend(format!(
            "the keyring call to {op} crashed"
        ))),
        Err(_) => {
            tracing::warn!(%op, ?timeout, "keyring call timed out");
            Err(SecretError::Timeout { op, after: timeout })
        }
    }
}

fn decode_key(name: &EntryName, stored: &SecretString) -> Result<AuditHmacKey> {
    let malformed = || SecretError::Malformed {
        entry: name.clone(),
        reason: "it is not 32 bytes in base64".into(),
    };
    let bytes = Zeroizing::new(
        B64.decode(stored.expose_secret().trim())
            .map_err(|_| malformed())?,
    );
    let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| malformed())?;
    Ok(SecretBox::new(Box::new(key)))
}

#[cfg(target_os = "linux")]
fn os_store() -> Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> =
        zbus_secret_service_keyring_store::Store::new().map_err(from_connect)?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn os_store() -> Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> =
        apple_native_keyring_store::keychain::Store::new().map_err(from_connect)?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn os_store() -> Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> =
        windows_native_keyring_store::Store::new().map_err(from_connect)?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn os_store() -> Result<Arc<CredentialStore>> {
    let _ = from_connect;
    Err(SecretError::Unsupported(std::env::consts::OS.to_string()))
}
