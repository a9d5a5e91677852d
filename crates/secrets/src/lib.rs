//! CIBA Desk's secrets in the OS keyring: provider profiles' client secrets and
//! private keys, and the audit log's HMAC key.
//!
//! * Linux: the Secret Service (GNOME Keyring, KWallet) over D-Bus, pure Rust
//!   (`zbus-secret-service-keyring-store`); macOS: the Keychain; Windows: the
//!   Credential Manager. Tests use [`SecretStore::in_memory`].
//! * Entries are namespaced by application (service `ciba-desk`) and by profile
//!   (user `profile:<name>:client-secret`); see [`EntryName`].
//! * Secrets travel as [`secrecy::SecretString`]; nothing here that holds a secret
//!   implements `Debug`, `Display` or `Serialize` in a way that shows it, and no
//!   error message contains one.
//! * The async methods run each keyring call on a thread of its own and give up
//!   after a timeout, because a locked keyring on a desktop may show an unlock
//!   prompt and block until someone answers it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), secrets::SecretError> {
//! use secrecy::{ExposeSecret, SecretString};
//! use secrets::{EntryName, SecretStore};
//!
//! let store = SecretStore::open_os().await?;
//! let name = EntryName::client_secret("bank-test")?;
//! store.set(&name, SecretString::from("s3cr3t")).await?;
//! let secret = store.get(&name).await?;
//! assert_eq!(secret.expose_secret(), "s3cr3t");
//! # Ok(()) }
//! ```

mod error;
mod name;
mod store;

pub use error::SecretError;
pub use name::{EntryKind, EntryName, MAX_PROFILE_LEN, SERVICE};
pub use store::{AuditHmacKey, EntryStatus, Result, SecretStore};

// Re-exported so callers and tests can build their own keyring-core stores.
pub use keyring_core;
