//! Profiles' secrets from the OS keyring: the [`SecretSource`] the app and the command line
//! use. The keyring entry is named after the profile (or its `secret` entry name), so the
//! settings file holds only that name. When the keyring cannot give a secret and the
//! environment variable is set explicitly, the environment serves instead, with a notice.
//!
//! A stored value is bound to where it may be sent: its first line is the profile's
//! [destination fingerprint](Profile::destination_fingerprint) (issuer, client id, every
//! origin the profile may contact). The name of an entry is in the settings file, which a
//! shared profile file can rewrite; the fingerprint is in the keyring, which it cannot. So a
//! profile whose issuer, client id or URLs changed, or that names another profile's entry,
//! gets no secret until someone enters it again for the new destination.

use ciba::{ClientCertificate, SigningKey};
use secrecy::{ExposeSecret as _, SecretString};
use secrets::{EntryKind, EntryName, EntryStatus, SecretError, SecretStore};

use crate::error::{DeskError, Result};
use crate::profile::Profile;
use crate::secrets::{
    CLIENT_CERTIFICATE_PATH_ENV, CLIENT_SECRET_ENV, EnvSecrets, PRIVATE_KEY_PATH_ENV, SecretSource,
};
use ciba::AuthMethod;

/// The keyring entry holding `profile`'s credential for its authentication method; `None`
/// for a public credential.
pub fn entry_for(profile: &Profile) -> Option<std::result::Result<EntryName, SecretError>> {
    let entry = profile.secret_entry()?;
    Some(match profile.auth_method {
        AuthMethod::PrivateKeyJwt => EntryName::private_key(entry),
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
            EntryName::client_certificate(entry)
        }
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            EntryName::client_secret(entry)
        }
    })
}

/// The keyring entry of `part` of `profile`'s secrets; `None` when the profile keeps no such
/// secret in the keyring.
pub fn part_entry(
    profile: &Profile,
    part: SecretPart,
) -> Option<std::result::Result<EntryName, SecretError>> {
    match part {
        SecretPart::Credential => entry_for(profile),
        SecretPart::RequestSigningKey if profile.needs_request_key() => {
            Some(EntryName::private_key(profile.secret_entry()?))
        }
        SecretPart::RequestSigningKey => None,
    }
}

/// Which of a profile's secrets is meant: the credential its authentication method needs
/// (client secret, private key, or client certificate with its key), or a mutual-TLS
/// profile's request-signing key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretPart {
    #[default]
    Credential,
    RequestSigningKey,
}

/// The first line of a bound value, before the fingerprint.
const BOUND_PREFIX: &str = "ciba-desk-bound-v1 ";

/// `secret` as the keyring keeps it for `profile`: bound to the profile's destination.
pub fn bind(profile: &Profile, secret: &SecretString) -> SecretString {
    SecretString::from(format!(
        "{BOUND_PREFIX}{}\n{}",
        profile.destination_fingerprint(),
        secret.expose_secret()
    ))
}

/// The secret in a stored value, if it was bound to `profile`'s destination. `None` for a
/// value bound elsewhere or stored before values were bound.
fn unbind(profile: &Profile, stored: &SecretString) -> Option<SecretString> {
    let (fingerprint, secret) = stored
        .expose_secret()
        .strip_prefix(BOUND_PREFIX)?
        .split_once('\n')?;
    (fingerprint == profile.destination_fingerprint() && !secret.is_empty())
        .then(|| SecretString::from(secret))
}

/// Stores `secret` as `part` of `profile`'s secrets, bound to its destination. A key or
/// certificate that cannot be used is refused here, not at the first verification.
pub async fn store_secret(
    store: &SecretStore,
    profile: &Profile,
    part: SecretPart,
    secret: SecretString,
) -> Result<()> {
    let entry = check_secret(profile, part, &secret)?;
    store
        .set(&entry, bind(profile, &secret))
        .await
        .map_err(DeskError::Keyring)
}

/// Checks that `secret` can serve as `part` of `profile`'s secrets (a key that signs, a
/// certificate with its key) and returns the entry it belongs in.
pub fn check_secret(
    profile: &Profile,
    part: SecretPart,
    secret: &SecretString,
) -> Result<EntryName> {
    let entry = part_entry(profile, part)
        .ok_or_else(|| DeskError::NoSecretNeeded(profile.name.clone()))?
        .map_err(DeskError::Keyring)?;
    if secret.expose_secret().trim().is_empty() {
        return Err(DeskError::EmptySecret);
    }
    match entry.kind() {
        EntryKind::PrivateKey => {
            SigningKey::from_pem(secret, profile.signing_alg.as_deref(), None)?;
        }
        EntryKind::ClientCertificate => {
            ClientCertificate::from_pem(secret)?;
        }
        EntryKind::ClientSecret | EntryKind::AuditHmacKey | EntryKind::SignInRefreshToken => {}
    }
    Ok(entry)
}

/// Whether `profile`'s entry holds a value, and whether that value was entered for the
/// profile's destination.
pub async fn stored_status(
    store: &SecretStore,
    profile: &Profile,
    part: SecretPart,
) -> std::result::Result<Stored, SecretError> {
    let Some(entry) = part_entry(profile, part) else {
        return Ok(Stored::NotNeeded);
    };
    let entry = entry?;
    // Asking for the status first spares reading a secret that is not there.
    if store.status(&entry).await? == EntryStatus::Missing {
        return Ok(Stored::Missing);
    }
    match store.get(&entry).await {
        Ok(v) if unbind(profile, &v).is_some() => Ok(Stored::ForThisDestination),
        Ok(_) => Ok(Stored::ForAnotherDestination),
        Err(SecretError::Missing { .. }) => Ok(Stored::Missing),
        Err(e) => Err(e),
    }
}

/// What [`stored_status`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    NotNeeded,
    Missing,
    ForThisDestination,
    /// Entered for another issuer, client id or address: not used until entered again.
    ForAnotherDestination,
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
        let set_command = secret_set_command(profile);
        match got {
            Ok(stored) => match unbind(profile, &stored) {
                Some(secret) => Ok(secret),
                // Set explicitly for this run, the environment is the person's own choice.
                None if env_set => {
                    (self.notice)(&format!(
                        "the {what} in the keyring for profile {:?} was entered for another provider address or client id and is not used; using {env}",
                        profile.name
                    ));
                    from_env()
                }
                None => Err(DeskError::SecretBoundElsewhere {
                    profile: profile.name.clone(),
                    what,
                    command: set_command,
                }),
            },
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
                hint: format!("store it in Settings, or run `{set_command}`"),
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

    fn client_certificate_pem(&self, profile: &Profile) -> Result<SecretString> {
        let entry = profile.secret_entry().unwrap_or(&profile.name);
        self.read(
            profile,
            EntryName::client_certificate(entry),
            "client certificate",
            CLIENT_CERTIFICATE_PATH_ENV,
            || EnvSecrets::new().client_certificate_pem(profile),
        )
    }
}

/// The command that stores `profile`'s secret (or private key) in the keyring, for the
/// sentences that tell people to run it.
pub fn secret_set_command(profile: &Profile) -> String {
    format!(
        "ciba-desk secret set {}{}",
        shell_word(&profile.name),
        match profile.auth_method {
            AuthMethod::PrivateKeyJwt => " --private-key FILE.pem",
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
                if profile.needs_request_key() =>
            {
                " --tls-cert CERT.pem --tls-key KEY.pem --private-key REQUEST-KEY.pem"
            }
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
                " --tls-cert CERT.pem --tls-key KEY.pem"
            }
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => "",
        }
    )
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
        store_secret(
            &store,
            &p,
            SecretPart::Credential,
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

    fn read(src: KeyringSecrets, p: &Profile) -> Result<String> {
        let p = p.clone();
        std::thread::spawn(move || {
            src.client_secret(&p)
                .map(|s| secrecy::ExposeSecret::expose_secret(&s).to_owned())
        })
        .join()
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_secret_is_only_given_to_the_destination_it_was_entered_for() {
        let store = SecretStore::in_memory();
        let mut bank = preset("generic").unwrap();
        bank.name = "bank".into();
        bank.issuer = "https://idp.bank.example".into();
        bank.client_id = "desk".into();
        store_secret(
            &store,
            &bank,
            SecretPart::Credential,
            SecretString::from("s3cret"),
        )
        .await
        .unwrap();
        assert_eq!(
            stored_status(&store, &bank, SecretPart::Credential)
                .await
                .unwrap(),
            Stored::ForThisDestination
        );
        assert_eq!(
            read(KeyringSecrets::new(Ok(store.clone())), &bank).unwrap(),
            "s3cret"
        );

        // The same name with another issuer, client id or cancel address: not used.
        let mut moved = bank.clone();
        moved.issuer = "https://idp.elsewhere.example".into();
        let mut other_client = bank.clone();
        other_client.client_id = "someone-else".into();
        let mut other_port = bank.clone();
        other_port.issuer = "https://idp.bank.example:8443".into();
        // And another profile naming bank's entry.
        let mut borrower = preset("generic").unwrap();
        borrower.name = "borrower".into();
        borrower.issuer = "https://attacker.example".into();
        borrower.client_id = "desk".into();
        borrower.secret = Some(crate::profile::SecretRef::Entry("bank".into()));
        for p in [&moved, &other_client, &other_port, &borrower] {
            assert_eq!(
                stored_status(&store, p, SecretPart::Credential)
                    .await
                    .unwrap(),
                Stored::ForAnotherDestination,
                "{}",
                p.issuer
            );
            let e = read(KeyringSecrets::new(Ok(store.clone())), p).unwrap_err();
            assert_eq!(e.code(), "secret_bound_elsewhere", "{e}");
            assert!(!e.to_string().contains("s3cret"));
            assert!(e.to_string().contains("ciba-desk secret set"), "{e}");
        }

        // A profile with the same destination may share the entry.
        let mut twin = bank.clone();
        twin.name = "bank-pickup".into();
        twin.secret = Some(crate::profile::SecretRef::Entry("bank".into()));
        assert_eq!(
            read(KeyringSecrets::new(Ok(store.clone())), &twin).unwrap(),
            "s3cret"
        );
        // A trailing slash typed by hand is the same issuer.
        let mut slash = bank.clone();
        slash.issuer.push('/');
        assert_eq!(
            read(KeyringSecrets::new(Ok(store.clone())), &slash).unwrap(),
            "s3cret"
        );

        // A value stored without a binding (by hand, or by an older version) is not used.
        store
            .set(
                &EntryName::client_secret("bank").unwrap(),
                SecretString::from("legacy"),
            )
            .await
            .unwrap();
        assert_eq!(
            stored_status(&store, &bank, SecretPart::Credential)
                .await
                .unwrap(),
            Stored::ForAnotherDestination
        );
        assert!(read(KeyringSecrets::new(Ok(store.clone())), &bank).is_err());

        // A secret given explicitly for this run in the environment serves instead, with a
        // notice, as when the keyring has none.
        let notices = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
        let seen = notices.clone();
        // SAFETY: nextest runs each test in a process of its own.
        unsafe { std::env::set_var(CLIENT_SECRET_ENV, "from-env") };
        let src = KeyringSecrets::new(Ok(store.clone()))
            .on_notice(move |m| seen.lock().unwrap().push(m.to_owned()));
        assert_eq!(read(src, &moved).unwrap(), "from-env");
        unsafe { std::env::remove_var(CLIENT_SECRET_ENV) };
        assert!(
            notices.lock().unwrap()[0].contains("entered for another provider address"),
            "{notices:?}"
        );

        // Entered again for the new destination, it works there and no longer at the old one.
        store_secret(
            &store,
            &moved,
            SecretPart::Credential,
            SecretString::from("n3w"),
        )
        .await
        .unwrap();
        assert_eq!(
            read(KeyringSecrets::new(Ok(store.clone())), &moved).unwrap(),
            "n3w"
        );
        assert!(read(KeyringSecrets::new(Ok(store)), &bank).is_err());
    }

    #[test]
    fn the_fingerprint_covers_every_origin_and_nothing_else() {
        let mut p = preset("generic").unwrap();
        p.issuer = "https://idp.bank.example".into();
        p.client_id = "desk".into();
        let base = p.destination_fingerprint();
        assert_eq!(base.len(), 64);
        // Not part of the destination: the name, description, scopes.
        let mut same = p.clone();
        same.name = "renamed".into();
        same.description = "other words".into();
        same.scopes.push("profile".into());
        assert_eq!(same.destination_fingerprint(), base);
        // A cancel URL on the issuer's origin adds no origin; another path is the same.
        same.cancel_url = Some("{issuer}/cancel/{auth_req_id}".into());
        assert_eq!(same.destination_fingerprint(), base);
        // Another origin for any URL changes it (once a policy may allow such origins).
        let mut elsewhere = p.clone();
        elsewhere.cancel_url = Some("https://cancel.bank.example/{auth_req_id}".into());
        assert_ne!(elsewhere.destination_fingerprint(), base);
    }

    #[test]
    fn names_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_word("bank-se"), "bank-se");
        assert_eq!(shell_word("Bank SE"), "'Bank SE'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    /// A mutual-TLS profile keeps its certificate (with its key) in one entry and, when it
    /// signs its requests, the signing key in another; each is checked before it is stored,
    /// and each is read back for its own purpose.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_mutual_tls_profile_keeps_a_certificate_and_a_request_key() {
        let store = SecretStore::in_memory();
        let mut bank = preset("generic").unwrap();
        bank.name = "bank".into();
        bank.issuer = "https://idp.bank.example".into();
        bank.client_id = "desk".into();
        bank.auth_method = AuthMethod::TlsClientAuth;
        let cert = testkit::tls::self_signed_client_certificate("desk");
        let key = testkit::fake_op::key("ec1").pem;

        assert!(part_entry(&bank, SecretPart::RequestSigningKey).is_none());
        let e = store_secret(
            &store,
            &bank,
            SecretPart::RequestSigningKey,
            key.clone().into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "no_secret_needed", "{e}");

        // A certificate without its key, or a key alone, is refused and nothing is stored.
        for bad in [&cert.cert_pem, &key] {
            let e = store_secret(&store, &bank, SecretPart::Credential, bad.clone().into())
                .await
                .unwrap_err();
            assert_eq!(e.code(), "invalid_client_certificate", "{e}");
        }
        assert_eq!(
            stored_status(&store, &bank, SecretPart::Credential)
                .await
                .unwrap(),
            Stored::Missing
        );
        store_secret(&store, &bank, SecretPart::Credential, cert.bundle().into())
            .await
            .unwrap();
        assert_eq!(
            stored_status(&store, &bank, SecretPart::Credential)
                .await
                .unwrap(),
            Stored::ForThisDestination
        );

        bank.fapi = true;
        assert_eq!(
            stored_status(&store, &bank, SecretPart::RequestSigningKey)
                .await
                .unwrap(),
            Stored::Missing
        );
        let e = store_secret(
            &store,
            &bank,
            SecretPart::RequestSigningKey,
            cert.bundle().into(),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "invalid_private_key", "{e}");
        store_secret(
            &store,
            &bank,
            SecretPart::RequestSigningKey,
            key.clone().into(),
        )
        .await
        .unwrap();
        assert!(secret_set_command(&bank).contains("--tls-cert CERT.pem --tls-key KEY.pem"));

        let src = KeyringSecrets::new(Ok(store.clone()));
        let p = bank.clone();
        let auth = std::thread::spawn(move || crate::secrets::client_auth(&p, &src))
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(auth.method(), AuthMethod::TlsClientAuth);
        assert!(auth.client_certificate().is_some());
        let text = format!("{auth:?}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
    }
}
