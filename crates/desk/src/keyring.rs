//! Profiles' secrets from the OS keyring: the [`SecretSource`] the app and the command line
//! use. The keyring entry is named after the profile (or its `secret` entry name), so the
//! settings file holds only that name. When the keyring cannot give a secret and the
//! environment variable is set explicitly, the environment serves instead, with a notice.

use secrecy::SecretString;
use secrets::{EntryName, SecretError, SecretStore};

use crate::error::{DeskError, Result};
use crate::profile::Profile;
use crate::secrets::{CLIENT_SECRET_ENV, EnvSecrets, PRIVATE_KEY_PATH_ENV, SecretSource};
use ciba::AuthMethod;

/// The keyring entry holding `profile`'s credential for its authentication method; `None`
/// for a public credential.
pub fn entry_for(profile: &Profile) -> Option<std::result::Result<EntryName, SecretError>> {
    let entry = profile.secret_entry()?;
    Some(match profile.auth_method {
        AuthMethod::PrivateKeyJwt => EntryName::private_key(entry),
        _ => EntryName::client_secret(entry),
    })
}

type Notice = Box<dyn Fn(&str) + Send + Sync>;

pub struct KeyringSecrets {
    store: std::result::Result<SecretStore, String>,
    notice: Notice,
}

impl KeyringSecrets {
    /// `store` is the opened keyring, or why it could not be opened.
    pub fn new(store: std::result::Result<SecretStore, String>) -> Self {
        Self {
            store,
            notice: Box::new(|m| tracing::warn!("{m}")),
        }
    }

    /// Where to say that a secret came from the environment instead of the keyring.
    pub fn on_notice(mut self, notice: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.notice = Box::new(notice);
        self
    }

    fn read(
        &self,
        profile: &Profile,
        entry: std::result::Result<EntryName, SecretError>,
        what: &'static str,
        env: &'static str,
        from_env: impl Fn() -> Result<SecretString>,
    ) -> Result<SecretString> {
        let env_set = std::env::var_os(env).is_some_and(|v| !v.is_empty());
        let got = match (&self.store, entry) {
            (_, Err(e)) => Err(e),
            (Err(reason), Ok(_)) => Err(SecretError::NoKeyring {
                detail: reason.clone(),
            }),
            // The desk calls sources on blocking threads inside the runtime: the store's async
            // path carries a timeout against a keyring that never answers.
            (Ok(store), Ok(entry)) => match tokio::runtime::Handle::try_current() {
                Ok(h) => h.block_on(store.get(&entry)),
                Err(_) => store.get_blocking(&entry),
            },
        };
        match got {
            Ok(s) => Ok(s),
            Err(e) if env_set => {
                (self.notice)(&format!(
                    "the {what} for profile {:?} is not in the keyring ({}); using {env}",
                    profile.name,
                    e.code()
                ));
                from_env()
            }
            Err(SecretError::Missing { .. }) => Err(DeskError::MissingSecret {
                profile: profile.name.clone(),
                what,
                hint: format!(
                    "store it in Settings, or run `ciba-desk secret set {}{}`",
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
    fn client_secret(&self, profile: &Profile) -> Result<SecretString> {
        let entry = profile.secret_entry().unwrap_or(&profile.name);
        self.read(
            profile,
            EntryName::client_secret(entry),
            "client secret",
            CLIENT_SECRET_ENV,
            || EnvSecrets::new().client_secret(profile),
        )
    }

    fn private_key_pem(&self, profile: &Profile) -> Result<SecretString> {
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

/// `name` quoted for a shell command line when it needs it (for the commands we tell people
/// to run).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    #[tokio::test(flavor = "multi_thread")]
    async fn secrets_come_from_the_store_and_missing_ones_say_what_to_do() {
        let store = SecretStore::in_memory();
        let mut p = preset("generic").unwrap();
        p.name = "bank".into();
        store
            .set(
                &EntryName::client_secret("bank").unwrap(),
                SecretString::from("s3cret"),
            )
            .await
            .unwrap();
        let src = KeyringSecrets::new(Ok(store));
        let p2 = p.clone();
        let s = tokio::task::spawn_blocking(move || {
            src.client_secret(&p2)
                .map(|s| secrecy::ExposeSecret::expose_secret(&s).to_owned())
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(s, "s3cret");

        let src = KeyringSecrets::new(Ok(SecretStore::in_memory()));
        let e = tokio::task::spawn_blocking(move || src.client_secret(&p))
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, DeskError::MissingSecret { .. }), "{e}");
        assert!(e.to_string().contains("ciba-desk secret set bank"), "{e}");
    }

    #[test]
    fn names_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_word("bank-se"), "bank-se");
        assert_eq!(shell_word("Bank SE"), "'Bank SE'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
