//! Where a profile's client secret, private key or client certificate comes from. The desk asks a [`SecretSource`];
//! the OS keyring implementation lives in another crate. [`EnvSecrets`] serves scripts and the
//! command line, [`MemorySecrets`] tests. Public credentials ([`PublicCredential`]) never reach
//! a source.
//!
//! Implementations may block (a keyring prompt); the desk calls them off the async runtime.

use std::collections::HashMap;
use std::path::PathBuf;

use ciba::{AuthMethod, ClientAuth, ClientCertificate, SigningKey};
use secrecy::SecretString;

use crate::error::{DeskError, Result};
use crate::profile::{Profile, PublicCredential, SecretRef};

/// The environment variable [`EnvSecrets`] reads the client secret from.
pub const CLIENT_SECRET_ENV: &str = "CIBA_CLIENT_SECRET";
/// The environment variable [`EnvSecrets`] reads the private key's file path from.
pub const PRIVATE_KEY_PATH_ENV: &str = "CIBA_PRIVATE_KEY_PATH";
/// The environment variable [`EnvSecrets`] reads the path of the client certificate and its
/// key (one PEM file) from.
pub const CLIENT_CERTIFICATE_PATH_ENV: &str = "CIBA_CLIENT_CERTIFICATE_PATH";

pub trait SecretSource: Send + Sync {
    /// The client secret for `client_secret_basic` / `client_secret_post`.
    fn client_secret(&self, profile: &Profile) -> Result<SecretString>;
    /// The PKCS#8 PEM private key for `private_key_jwt`.
    fn private_key_pem(&self, profile: &Profile) -> Result<SecretString>;
    /// The client certificate and its private key (PEM) for mutual TLS.
    fn client_certificate_pem(&self, profile: &Profile) -> Result<SecretString>;
    /// The PKCS#8 PEM key a mutual-TLS profile signs its requests with; where the private key
    /// of `private_key_jwt` would be, unless the source keeps it apart.
    fn request_key_pem(&self, profile: &Profile) -> Result<SecretString> {
        self.private_key_pem(profile)
    }
}

/// Reads the secret from `CIBA_CLIENT_SECRET` and the private key from the file named by
/// `CIBA_PRIVATE_KEY_PATH`, whatever the profile. For scripts and one-profile command lines.
#[derive(Debug, Clone, Default)]
pub struct EnvSecrets {
    _private: (),
}

impl EnvSecrets {
    pub fn new() -> Self {
        Self::default()
    }
}

impl SecretSource for EnvSecrets {
    fn client_secret(&self, profile: &Profile) -> Result<SecretString> {
        match std::env::var(CLIENT_SECRET_ENV) {
            Ok(s) if !s.is_empty() => Ok(SecretString::from(s)),
            _ => Err(DeskError::MissingSecret {
                profile: profile.name.clone(),
                what: "client secret",
                hint: format!("set the environment variable {CLIENT_SECRET_ENV}"),
            }),
        }
    }

    fn private_key_pem(&self, profile: &Profile) -> Result<SecretString> {
        pem_file(
            profile,
            PRIVATE_KEY_PATH_ENV,
            "private key",
            "a PKCS#8 PEM file",
        )
    }

    fn client_certificate_pem(&self, profile: &Profile) -> Result<SecretString> {
        pem_file(
            profile,
            CLIENT_CERTIFICATE_PATH_ENV,
            "client certificate",
            "one PEM file with the certificate and its private key",
        )
    }
}

/// The PEM file named by the environment variable `env`.
fn pem_file(
    profile: &Profile,
    env: &str,
    what: &'static str,
    holding: &str,
) -> Result<SecretString> {
    let path = std::env::var_os(env)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| DeskError::MissingSecret {
            profile: profile.name.clone(),
            what,
            hint: format!("set the environment variable {env} to the path of {holding}"),
        })?;
    std::fs::read_to_string(&path)
        .map(SecretString::from)
        .map_err(|e| DeskError::SecretUnavailable {
            profile: profile.name.clone(),
            what,
            reason: format!("reading {}: {e}", path.display()),
        })
}

/// Secrets held in memory, by keyring entry name. For tests and for callers that resolved
/// secrets some other way.
#[derive(Default)]
pub struct MemorySecrets {
    entries: HashMap<String, SecretString>,
    /// Mutual-TLS profiles' request-signing keys, apart from their certificates.
    request_keys: HashMap<String, SecretString>,
}

impl std::fmt::Debug for MemorySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySecrets")
            .field("entries", &self.entries.keys().collect::<Vec<_>>())
            .field(
                "request_keys",
                &self.request_keys.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl MemorySecrets {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, entry: impl Into<String>, secret: impl Into<String>) -> Self {
        self.entries
            .insert(entry.into(), SecretString::from(secret.into()));
        self
    }

    /// `pem` as the request-signing key of the mutual-TLS profile with entry name `entry`.
    pub fn with_request_key(mut self, entry: impl Into<String>, pem: impl Into<String>) -> Self {
        self.request_keys
            .insert(entry.into(), SecretString::from(pem.into()));
        self
    }

    fn get(&self, profile: &Profile, what: &'static str) -> Result<SecretString> {
        Self::find(&self.entries, profile, what)
    }

    fn find(
        entries: &HashMap<String, SecretString>,
        profile: &Profile,
        what: &'static str,
    ) -> Result<SecretString> {
        let entry = profile.secret_entry().unwrap_or(&profile.name);
        entries
            .get(entry)
            .cloned()
            .ok_or_else(|| DeskError::MissingSecret {
                profile: profile.name.clone(),
                what,
                hint: format!("store it under the entry name {entry:?}"),
            })
    }
}

impl SecretSource for MemorySecrets {
    fn client_secret(&self, profile: &Profile) -> Result<SecretString> {
        self.get(profile, "client secret")
    }
    fn private_key_pem(&self, profile: &Profile) -> Result<SecretString> {
        self.get(profile, "private key")
    }
    fn client_certificate_pem(&self, profile: &Profile) -> Result<SecretString> {
        self.get(profile, "client certificate")
    }
    fn request_key_pem(&self, profile: &Profile) -> Result<SecretString> {
        Self::find(&self.request_keys, profile, "request-signing key")
    }
}

/// The client's credentials for `profile`, bound to its authentication method. Public
/// credentials are resolved here; everything else is asked of `source`.
pub fn client_auth(profile: &Profile, source: &dyn SecretSource) -> Result<ClientAuth> {
    let client_id = profile.client_id.clone();
    let secret = |source: &dyn SecretSource| -> Result<SecretString> {
        match &profile.secret {
            Some(SecretRef::Public(c)) => Ok(public_secret(*c)),
            _ => source.client_secret(profile),
        }
    };
    Ok(match profile.auth_method {
        AuthMethod::ClientSecretBasic => ClientAuth::SecretBasic {
            client_id,
            secret: secret(source)?,
        },
        AuthMethod::ClientSecretPost => ClientAuth::SecretPost {
            client_id,
            secret: secret(source)?,
        },
        AuthMethod::PrivateKeyJwt => {
            let pem = source.private_key_pem(profile)?;
            let key =
                SigningKey::from_pem(&pem, profile.signing_alg.as_deref(), profile.key_id.clone())?;
            ClientAuth::PrivateKeyJwt { client_id, key }
        }
        m @ (AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth) => {
            let certificate =
                ClientCertificate::from_pem(&source.client_certificate_pem(profile)?)?;
            let request_key = if profile.signs_requests() {
                let pem = source.request_key_pem(profile)?;
                Some(SigningKey::from_pem(
                    &pem,
                    profile.signing_alg.as_deref(),
                    profile.key_id.clone(),
                )?)
            } else {
                None
            };
            ClientAuth::MutualTls {
                client_id,
                self_signed: m == AuthMethod::SelfSignedTlsClientAuth,
                certificate,
                request_key,
            }
        }
    })
}

fn public_secret(c: PublicCredential) -> SecretString {
    SecretString::from(c.value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;
    use secrecy::ExposeSecret;

    #[test]
    fn public_credentials_never_reach_the_source() {
        let p = presets::preset("signaturgruppen_mitid_pp_demo").unwrap();
        let auth = client_auth(&p, &MemorySecrets::new()).unwrap();
        match auth {
            ClientAuth::SecretPost { client_id, secret } => {
                assert_eq!(client_id, presets::SIGNATURGRUPPEN_PP_DEMO_CLIENT_ID);
                assert!(secret.expose_secret().starts_with("mIpxk84F"));
            }
            other => panic!("{other:?}"),
        }
        let auth = client_auth(&presets::sandbox(), &MemorySecrets::new()).unwrap();
        assert_eq!(auth.method(), AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn missing_secrets_name_the_entry() {
        let mut p = presets::preset("authway_call_centre").unwrap();
        p.name = "Authway".into();
        let e = client_auth(&p, &MemorySecrets::new()).unwrap_err();
        assert_eq!(e.code(), "missing_secret");
        assert!(e.to_string().contains("\"Authway\""), "{e}");
        let ok = client_auth(&p, &MemorySecrets::new().with("Authway", "s")).unwrap();
        assert_eq!(ok.client_id(), "<your-client-id>");
    }

    #[test]
    fn debug_shows_no_secret() {
        let m = MemorySecrets::new().with("e", "hunter2");
        assert!(!format!("{m:?}").contains("hunter2"));
    }
}
