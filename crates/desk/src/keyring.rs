//! Profiles' secrets from the OS keyring: the [`SecretSource`] the app and the command line use.
//! The keyring entry is named after the profile (or its `secret` entry name), so the settings
//! file holds only that name.

use secrecy::SecretString;
use secrets::{EntryName, SecretError, SecretStore};

use crate::error::{DeskError, Result};
use crate::profile::Profile;
use crate::secrets::SecretSource;

pub struct KeyringSecrets {
    store: SecretStore,
}

impl KeyringSecrets {
    pub fn new(store: SecretStore) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &SecretStore {
        &self.store
    }

    fn read(
        &self,
        profile: &Profile,
        entry: Result<EntryName, SecretError>,
        what: &'static str,
    ) -> Result<SecretString> {
        let unavailable = |e: SecretError| DeskError::SecretUnavailable {
            profile: profile.name.clone(),
            what,
            reason: e.to_string(),
        };
        let entry = entry.map_err(unavailable)?;
        // The desk calls sources from blocking threads inside the runtime: use the store's
        // async path there, which carries a timeout against a keyring that never answers.
        let got = match tokio::runtime::Handle::try_current() {
            Ok(h) => h.block_on(self.store.get(&entry)),
            Err(_) => self.store.get_blocking(&entry),
        };
        got.map_err(|e| match e {
            SecretError::Missing { .. } => DeskError::MissingSecret {
                profile: profile.name.clone(),
                what,
                hint: format!(
                    "store it in Settings, or run `ciba-desk secret set {}`{}",
                    profile.name,
                    if what == "private key" {
                        " --private-key FILE.pem"
                    } else {
                        ""
                    }
                ),
            },
            other => unavailable(other),
        })
    }
}

impl SecretSource for KeyringSecrets {
    fn client_secret(&self, profile: &Profile) -> Result<SecretString> {
        let entry = profile.secret_entry().unwrap_or(&profile.name);
        self.read(profile, EntryName::client_secret(entry), "client secret")
    }

    fn private_key_pem(&self, profile: &Profile) -> Result<SecretString> {
        let entry = profile.secret_entry().unwrap_or(&profile.name);
        self.read(profile, EntryName::private_key(entry), "private key")
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
        let src = KeyringSecrets::new(store);
        let p2 = p.clone();
        let s = tokio::task::spawn_blocking(move || {
            src.client_secret(&p2)
                .map(|s| secrecy::ExposeSecret::expose_secret(&s).to_owned())
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(s, "s3cret");

        let src = KeyringSecrets::new(SecretStore::in_memory());
        let e = tokio::task::spawn_blocking(move || src.client_secret(&p))
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, DeskError::MissingSecret { .. }), "{e}");
        assert!(e.to_string().contains("ciba-desk secret set bank"), "{e}");
    }
}
