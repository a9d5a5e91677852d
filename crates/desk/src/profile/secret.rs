//! Where a profile's credential comes from: never the secret itself.

use serde::{Deserialize, Serialize};

/// Where the client's credential comes from. Never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretRef {
    /// A keyring entry by name (the client secret, or the PEM private key for
    /// `private_key_jwt`).
    Entry(String),
    /// A credential the provider publishes for testing.
    Public(PublicCredential),
    /// A file holding the secret or the PEM key, readable only by the server's user
    /// (`ciba-desk-server` only; the desktop keeps secrets in the keyring).
    File(std::path::PathBuf),
    /// An environment variable holding the secret (`ciba-desk-server` only).
    Env(String),
}

/// Credentials that are public on purpose, so that a fresh install can try a provider. They
/// are kept in code, referenced by name, so profile files never carry secret-looking values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicCredential {
    /// The built-in sandbox's training client (`ciba-desk` / `sandbox-secret`).
    Sandbox,
    /// Signaturgruppen's openly published demo client for its pre-production (PP)
    /// environment ("Signaturgruppen flex app demo").
    SignaturgruppenPpDemo,
}

impl PublicCredential {
    /// The published value. Not a secret: whoever reads the provider's documentation has it.
    pub fn value(self) -> &'static str {
        match self {
            PublicCredential::Sandbox => "sandbox-secret",
            PublicCredential::SignaturgruppenPpDemo => {
                "mIpxk84FI1wpc7cP7nodFLfgQQ1ScZHYO44FZ9wPOqrB0ha9S5RUNYPXMkrCWwRjGqEH0hflnIJea8IKmW19aQ=="
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PublicCredential::Sandbox => {
                "public training credential of the built-in sandbox; protects nothing"
            }
            PublicCredential::SignaturgruppenPpDemo => {
                "public demo credential published by Signaturgruppen for its pre-production environment; test identities only"
            }
        }
    }
}
