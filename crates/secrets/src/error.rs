//! The one error type of this crate. Every message is a sentence telling the agent
//! or administrator what to do; no message ever contains a secret value.

use std::time::Duration;

use crate::EntryName;

/// What went wrong talking to the OS keyring.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// No keyring service could be reached (on Linux: no D-Bus session, or no
    /// Secret Service provider on it).
    #[error(
        "no OS keyring is available ({detail}); start GNOME Keyring or KWallet \
         (a Secret Service provider) in your desktop session and try again"
    )]
    NoKeyring {
        /// What the platform said (never a secret).
        detail: String,
    },

    /// The keyring (or the collection holding the item) is locked.
    #[error(
        "the OS keyring is locked ({detail}); unlock it (answer the unlock prompt, or open \
         Passwords and Keys / KWallet Manager and unlock the login keyring) and try again"
    )]
    Locked {
        /// What the platform said (never a secret).
        detail: String,
    },

    /// The entry does not exist.
    #[error("{}", entry.missing_hint())]
    Missing {
        /// Which secret is missing.
        entry: EntryName,
    },

    /// The keyring refused access (a prompt was dismissed, or a policy denies it).
    #[error(
        "access to the OS keyring was denied ({detail}); allow CIBA Desk to use the \
         keyring when asked, or ask your administrator to grant it access"
    )]
    AccessDenied {
        /// What the platform said (never a secret).
        detail: String,
    },

    /// The keyring did not answer in time (often: it is waiting for an unlock prompt).
    #[error(
        "the OS keyring did not answer within {} s while trying to {op}; it may be waiting \
         for you to unlock it in a prompt: unlock the keyring and try again",
        after.as_secs_f32()
    )]
    Timeout {
        /// The operation that timed out ("read the client secret for profile X").
        op: String,
        /// How long we waited.
        after: Duration,
    },

    /// The entry exists but does not hold a value of the expected form.
    #[error(
        "the keyring item for the {entry} does not hold a valid value ({reason}); \
         store it again (for the audit log key: delete the item in Passwords and Keys, \
         which makes CIBA Desk create a new key; old records can then no longer be \
         searched by identifier)"
    )]
    Malformed {
        /// Which entry.
        entry: EntryName,
        /// What is wrong (never the value itself).
        reason: String,
    },

    /// A profile name that cannot name a keyring entry.
    #[error("the profile name is not usable for the keyring: {reason}; rename the profile")]
    InvalidProfile {
        /// Why it was rejected.
        reason: String,
    },

    /// This platform has no supported keyring.
    #[error(
        "CIBA Desk has no keyring support on this operating system ({0}); \
         use Linux (Secret Service), macOS (Keychain) or Windows (Credential Manager)"
    )]
    Unsupported(String),

    /// Any other failure of the keyring backend.
    #[error(
        "the OS keyring failed: {0}; try again, and if it persists restart the keyring service"
    )]
    Backend(String),
}

impl SecretError {
    /// A stable, machine-readable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::NoKeyring { .. } => "secret_no_keyring",
            SecretError::Locked { .. } => "secret_locked",
            SecretError::Missing { .. } => "secret_missing",
            SecretError::AccessDenied { .. } => "secret_access_denied",
            SecretError::Timeout { .. } => "secret_timeout",
            SecretError::Malformed { .. } => "secret_malformed",
            SecretError::InvalidProfile { .. } => "secret_invalid_profile",
            SecretError::Unsupported(_) => "secret_unsupported",
            SecretError::Backend(_) => "secret_backend",
        }
    }
}

/// Translate a keyring-core error into ours.
///
/// Some keyring-core variants carry the stored bytes (`BadEncoding`, `BadDataFormat`)
/// or entries whose `Debug` may show them (`Ambiguous`): those are never formatted.
pub(crate) fn from_keyring(err: keyring_core::Error, entry: &EntryName) -> SecretError {
    use keyring_core::Error as K;
    match err {
        K::NoEntry => SecretError::Missing {
            entry: entry.clone(),
        },
        K::NoStorageAccess(inner) => no_storage_access(&*inner),
        K::PlatformFailure(inner) => platform_failure(&*inner),
        K::BadEncoding(_) => SecretError::Malformed {
            entry: entry.clone(),
            reason: "it is not UTF-8 text".into(),
        },
        K::BadDataFormat(_, _) => SecretError::Malformed {
            entry: entry.clone(),
            reason: "the keyring could not decode it".into(),
        },
        K::BadStoreFormat(reason) => {
            SecretError::Backend(format!("the keyring's data is damaged: {reason}"))
        }
        K::TooLong(attr, limit) => SecretError::Backend(format!(
            "the keyring refused the {entry}: its {attr} is longer than the limit of {limit}"
        )),
        K::Invalid(attr, reason) => {
            SecretError::Backend(format!("the keyring refused the {entry}: {attr} {reason}"))
        }
        K::Ambiguous(items) => SecretError::Backend(format!(
            "{} keyring items match the {entry}; delete the duplicates in Passwords and Keys",
            items.len()
        )),
        K::NoDefaultStore => SecretError::Backend("no keyring store was configured".into()),
        K::NotSupportedByStore(what) => SecretError::Unsupported(what),
        _ => SecretError::Backend("an unknown keyring error occurred".into()),
    }
}

/// Errors while connecting to the keyring service mean there is no usable keyring.
pub(crate) fn from_connect(err: keyring_core::Error) -> SecretError {
    use keyring_core::Error as K;
    match err {
        K::PlatformFailure(inner) | K::NoStorageAccess(inner) => SecretError::NoKeyring {
            detail: inner.to_string(),
        },
        K::NotSupportedByStore(what) => SecretError::Unsupported(what),
        other => SecretError::NoKeyring {
            detail: other.to_string(),
        },
    }
}

#[cfg(target_os = "linux")]
fn no_storage_access(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> SecretError {
    // Everything the Secret Service store reports as "no storage access" (Locked,
    // NoResult, Prompt, PromptDisconnected) comes from a locked collection: gnome-keyring
    // only prompts to unlock, so a dismissed (or impossible, headless) prompt still
    // leaves the keyring locked.
    SecretError::Locked {
        detail: inner.to_string(),
    }
}

#[cfg(not(target_os = "linux"))]
fn no_storage_access(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> SecretError {
    SecretError::AccessDenied {
        detail: inner.to_string(),
    }
}

fn platform_failure(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> SecretError {
    let detail = inner.to_string();
    #[cfg(target_os = "linux")]
    {
        use secret_service::Error as S;
        if let Some(S::Unavailable) = inner.downcast_ref::<S>() {
            return SecretError::NoKeyring { detail };
        }
        // Creating an item in a locked collection fails this way (see no_storage_access).
        if let Some(S::Locked | S::Prompt | S::PromptDisconnected) = inner.downcast_ref::<S>() {
            return SecretError::Locked { detail };
        }
    }
    // The Secret Service went away between calls (daemon stopped or crashed).
    if detail.contains("ServiceUnknown") || detail.contains("NameHasNoOwner") {
        return SecretError::NoKeyring { detail };
    }
    if detail.contains("IsLocked") {
        return SecretError::Locked { detail };
    }
    if detail.contains("AccessDenied") {
        return SecretError::AccessDenied { detail };
    }
    SecretError::Backend(detail)
}
