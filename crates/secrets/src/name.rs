//! Names of keyring entries: which secret, for which provider profile.
//!
//! Every entry lives under the service [`SERVICE`] (`ciba-desk`), so CIBA Desk's
//! items never mix with another application's. The keyring "user" (account)
//! string says what the secret is and, for per-profile secrets, which profile:
//!
//! | secret | keyring user |
//! |---|---|
//! | a profile's client secret | `profile:<name>:client-secret` |
//! | a profile's private key (`private_key_jwt`) | `profile:<name>:private-key` |
//! | the audit log's HMAC key | `audit:hmac-key` |
//!
//! The mapping is injective: the kind is the fixed suffix, the profile is what lies
//! between `profile:` and that suffix, so two different (profile, kind) pairs never
//! share an item.

use std::fmt;

use crate::SecretError;

/// The keyring service under which every CIBA Desk secret is stored.
pub const SERVICE: &str = "ciba-desk";

/// Longest profile name accepted, in bytes (keyrings limit attribute lengths).
pub const MAX_PROFILE_LEN: usize = 128;

/// What kind of secret an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// The OAuth client secret of a provider profile (`client_secret_basic`/`_post`).
    ClientSecret,
    /// The private key (PEM) a provider profile signs client assertions with (or, with mutual
    /// TLS, its requests).
    PrivateKey,
    /// The client certificate and its private key (PEM) of a mutual-TLS provider profile.
    ClientCertificate,
    /// The key the audit log uses to HMAC identifiers.
    AuditHmacKey,
    /// The agent's refresh token at the organisation's sign-in provider (server mode).
    SignInRefreshToken,
}

impl EntryKind {
    /// A short human phrase for messages ("client secret").
    pub fn describe(self) -> &'static str {
        match self {
            EntryKind::ClientSecret => "client secret",
            EntryKind::PrivateKey => "private key",
            EntryKind::ClientCertificate => "client certificate",
            EntryKind::AuditHmacKey => "audit log key",
            EntryKind::SignInRefreshToken => "organisation sign-in",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            EntryKind::ClientSecret => "client-secret",
            EntryKind::PrivateKey => "private-key",
            EntryKind::ClientCertificate => "client-certificate",
            EntryKind::AuditHmacKey => "hmac-key",
            EntryKind::SignInRefreshToken => "refresh-token",
        }
    }
}

/// The name of one keyring entry. It holds no secret, so it may be logged and shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntryName {
    kind: EntryKind,
    profile: Option<String>,
}

impl EntryName {
    /// The client secret of provider profile `profile`.
    pub fn client_secret(profile: &str) -> Result<Self, SecretError> {
        Ok(Self {
            kind: EntryKind::ClientSecret,
            profile: Some(validate_profile(profile)?),
        })
    }

    /// The private key of provider profile `profile`.
    pub fn private_key(profile: &str) -> Result<Self, SecretError> {
        Ok(Self {
            kind: EntryKind::PrivateKey,
            profile: Some(validate_profile(profile)?),
        })
    }

    /// The client certificate and key of provider profile `profile`.
    pub fn client_certificate(profile: &str) -> Result<Self, SecretError> {
        Ok(Self {
            kind: EntryKind::ClientCertificate,
            profile: Some(validate_profile(profile)?),
        })
    }

    /// The audit log's HMAC key (one per OS user, shared by all profiles).
    pub fn audit_hmac_key() -> Self {
        Self {
            kind: EntryKind::AuditHmacKey,
            profile: None,
        }
    }

    /// The agent's refresh token at the organisation's sign-in provider (one per OS user).
    pub fn sign_in_refresh_token() -> Self {
        Self {
            kind: EntryKind::SignInRefreshToken,
            profile: None,
        }
    }

    /// What this entry holds.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// The profile this entry belongs to, if it is per-profile.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// The keyring service string ([`SERVICE`]).
    pub fn service(&self) -> &'static str {
        SERVICE
    }

    /// The keyring user (account) string, e.g. `profile:bank-test:client-secret`.
    pub fn user(&self) -> String {
        match &self.profile {
            Some(p) => format!("profile:{p}:{}", self.kind.suffix()),
            None if self.kind == EntryKind::SignInRefreshToken => {
                format!("organisation:{}", self.kind.suffix())
            }
            None => format!("audit:{}", self.kind.suffix()),
        }
    }

    /// The label shown in keyring managers (Passwords and Keys, KWallet).
    pub fn label(&self) -> String {
        match &self.profile {
            Some(p) => format!("CIBA Desk {} for profile {p}", self.kind.describe()),
            None => format!("CIBA Desk {}", self.kind.describe()),
        }
    }

    /// What the agent or administrator should do when this entry is missing.
    pub(crate) fn missing_hint(&self) -> String {
        match (&self.kind, &self.profile) {
            (EntryKind::ClientSecret, Some(p)) => {
                format!("no client secret stored for profile {p}; run `ciba-desk secret set {p}`")
            }
            (EntryKind::PrivateKey, Some(p)) => format!(
                "no private key stored for profile {p}; run \
                 `ciba-desk secret set {p} --private-key <file.pem>`"
            ),
            (EntryKind::ClientCertificate, Some(p)) => format!(
                "no client certificate stored for profile {p}; run \
                 `ciba-desk secret set {p} --tls-cert <cert.pem> --tls-key <key.pem>`"
            ),
            _ => format!(
                "no {} is stored in the keyring; it is created on first use, so restart CIBA Desk",
                self.kind.describe()
            ),
        }
    }
}

impl fmt::Display for EntryName {
    /// `<kind> for profile <name>`, e.g. "client secret for profile bank-test".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.profile {
            Some(p) => write!(f, "{} for profile {p}", self.kind.describe()),
            None => f.write_str(self.kind.describe()),
        }
    }
}

fn validate_profile(profile: &str) -> Result<String, SecretError> {
    let reason = if profile.is_empty() {
        Some("it is empty")
    } else if profile.len() > MAX_PROFILE_LEN {
        Some("it is longer than 128 bytes")
    } else if profile.chars().any(char::is_control) {
        Some("it contains control characters")
    } else if profile.trim() != profile {
        Some("it starts or ends with white space")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(SecretError::InvalidProfile {
            reason: reason.to_string(),
        }),
        None => Ok(profile.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_namespaced_by_kind_and_profile() {
        let cs = EntryName::client_secret("bank").unwrap();
        let pk = EntryName::private_key("bank").unwrap();
        assert_eq!(cs.service(), "ciba-desk");
        assert_eq!(cs.user(), "profile:bank:client-secret");
        assert_eq!(pk.user(), "profile:bank:private-key");
        assert_eq!(
            EntryName::client_certificate("bank").unwrap().user(),
            "profile:bank:client-certificate"
        );
        assert_eq!(EntryName::audit_hmac_key().user(), "audit:hmac-key");
        assert_eq!(
            EntryName::sign_in_refresh_token().user(),
            "organisation:refresh-token"
        );
        assert_eq!(cs.to_string(), "client secret for profile bank");
        assert_eq!(cs.profile(), Some("bank"));
    }

    #[test]
    fn colons_in_profile_names_cannot_collide() {
        // "a:client-secret" as a profile name still ends in the kind's suffix.
        let tricky = EntryName::private_key("a:client-secret").unwrap();
        let plain = EntryName::client_secret("a").unwrap();
        assert_ne!(tricky.user(), plain.user());
        let also = EntryName::client_secret("a:private-key").unwrap();
        assert_ne!(also.user(), EntryName::private_key("a").unwrap().user());
    }

    #[test]
    fn bad_profile_names_are_rejected() {
        for bad in ["", " x", "x ", "a\nb", &"p".repeat(129)] {
            let err = EntryName::client_secret(bad).unwrap_err();
            assert_eq!(err.code(), "secret_invalid_profile", "{bad:?}");
        }
        assert!(EntryName::client_secret("Bank (test) ÅÄÖ").is_ok());
    }
}
