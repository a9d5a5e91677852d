//! The OS keyring for the command line: opening it, or not, with `CIBA_DESK_KEYRING=none`.
//! Reading profiles' secrets from it is the desk's `KeyringSecrets`.

pub use desk::keyring::{entry_for, shell_word};
use secrets::{SecretError, SecretStore};

/// `none` makes the command line behave as if no keyring were available (headless servers,
/// tests): secrets then come from the environment only, audit records carry no keyed hash.
pub const KEYRING_ENV: &str = "CIBA_DESK_KEYRING";

/// Connects to the OS keyring.
pub async fn open() -> Result<SecretStore, SecretError> {
    if std::env::var(KEYRING_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("none")) {
        return Err(SecretError::NoKeyring {
            detail: format!("{KEYRING_ENV}=none"),
        });
    }
    SecretStore::open_os().await
}
