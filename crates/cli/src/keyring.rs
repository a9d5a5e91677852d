//! The OS keyring for the command line: opening it (or not, with `CIBA_DESK_KEYRING=none`),
//! and profiles' secrets from it as a [`SecretSource`] for the desk, with the environment as
//! the fallback only when `CIBA_CLIENT_SECRET` (or `CIBA_PRIVATE_KEY_PATH`) is set explicitly.

use desk::secrets::{CLIENT_SECRET_ENV, PRIVATE_KEY_PATH_ENV};
use desk::{AuthMethod, DeskError, EnvSecrets, Profile, SecretSource, SecretString};
use secrets::{EntryName, SecretError, SecretStore};

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

/// The keyring entry holding `profile`'s credential for its authentication method; `None`
/// for a public credential.
pub fn entry_for(profile: &Profile) -> Option<Result<EntryName, SecretError>> {
    let entry = profile.secret_entry()?;
    Some(match profile.auth_method {
        AuthMethod::PrivateKeyJwt => EntryName::private_key(entry),
        _ => EntryName::client_secret(entry),
    })
}

/// Secrets from the keyring; when that fails and the environment variable is set, from the
/// environment (with a note on stderr). The keyring error is the message otherwise.
pub struct KeyringSecrets {
    store: Result<SecretStore, String>,
}

impl KeyringSecrets {
    /// `store` is the opened keyring, or why it could not be opened.
    pub fn new(store: Result<SecretStore, String>) -> Self {
        Self { store }
    }

    fn read(
        &self,
        profile: &Profile,
        entry: Result<EntryName, SecretError>,
        what: &'static str,
        env: &'static str,
        from_env: impl Fn() -> desk::Result<SecretString>,
    ) -> desk::Result<SecretString> {
        let env_set = std::env::var_os(env).is_some_and(|v| !v.is_empty());
        let got = match (&self.store, entry) {
            (_, Err(e)) => Err(e),
            (Err(reason), Ok(_)) => Err(SecretError::NoKeyring {
                detail: reason.clone(),
            }),
            (Ok(store), Ok(entry)) => {
                // The desk calls sources on blocking threads inside the runtime: the store's
                // async path carries a timeout against a keyring that never answers.
                match tokio::runtime::Handle::try_current() {
                    Ok(h) => h.block_on(store.get(&entry)),
                    Err(_) => store.get_blocking(&entry),
                }
            }
        };
        match got {
            Ok(s) => Ok(s),
            Err(e) if env_set => {
                eprintln!(
                    "note: the {what} for profile {:?} is not in the keyring ({}); using {env}",
                    profile.name,
                    e.code()
                );
                from_env()
            }
            Err(SecretError::Missing { .. }) => Err(DeskError::MissingSecret {
                profile: profile.name.clone(),
                what,
                hint: format!(
                    "run `ciba-desk secret set {}{}`",
                    shell_word(&profile.name),
                    if what == "private key" {
                        " --private-key FILE.pem"
                    } else {
                        ""
                    }
                ),
            }),
            Err(e) => Err(DeskError::SecretUnavailable {
                profile: profile.name.clone(),
                what,
                reason: format!("{e} (or set {env} for this run)"),
            }),
        }
    }
}

impl SecretSource for KeyringSecrets {
    fn client_secret(&self, profile: &Profile) -> desk::Result<SecretString> {
        let entry = profile.secret_entry().unwrap_or(&profile.name);
        self.read(
            profile,
            EntryName::client_secret(entry),
            "client secret",
            CLIENT_SECRET_ENV,
            || EnvSecrets::new().client_secret(profile),
        )
    }

    fn private_key_pem(&self, profile: &Profile) -> desk::Result<SecretString> {
        let entry = profile.secret_entry().unwrap_or(&profile.name);
        self.read(
            profile,
            EntryName::private_key(entry),
            "private key",
            PRIVATE_KEY_PATH_ENV,
            || EnvSecrets::new().private_key_pem(profile),
        )
    }
}

/// `name` quoted for a shell command line when it needs it.
pub fn shell_word(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@+".contains(c))
    {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', r"'\''"))
    }
}
