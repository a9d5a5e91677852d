//! What a profile is about: which provider, what the agent types, how it becomes a hint.

use std::fmt;

use identity::Country;
use serde::{Deserialize, Serialize};

/// Which provider a profile talks to. Decides nothing by itself (the profile's data does), but
/// the UI shows it and the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    SignicatMobileid,
    SignaturgruppenMitid,
    IduraVerify,
    Authway,
    Generic,
    Sandbox,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::SignicatMobileid => "signicat_mobileid",
            ProviderKind::SignaturgruppenMitid => "signaturgruppen_mitid",
            ProviderKind::IduraVerify => "idura_verify",
            ProviderKind::Authway => "authway",
            ProviderKind::Generic => "generic",
            ProviderKind::Sandbox => "sandbox",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProviderKind::SignicatMobileid => "Signicat MobileID",
            ProviderKind::SignaturgruppenMitid => "Signaturgruppen MitID",
            ProviderKind::IduraVerify => "Idura Verify",
            ProviderKind::Authway => "Authway",
            ProviderKind::Generic => "Generic OpenID provider",
            ProviderKind::Sandbox => "Sandbox",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the agent types to name the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IdentityInput {
    /// A national identity number from one of `countries`.
    NationalId { countries: Vec<Country> },
    /// A user id or user name at the provider; with `uuid = true` it must be a UUID (MitID).
    UserId {
        #[serde(default)]
        uuid: bool,
    },
    /// An e-mail address (Authway in-store pickup).
    Email,
    /// Signicat MobileID's user id and device id, both UUIDs from enrolment.
    MobileId,
}

impl IdentityInput {
    pub fn kind(&self) -> InputKind {
        match self {
            IdentityInput::NationalId { .. } => InputKind::NationalId,
            IdentityInput::UserId { .. } => InputKind::UserId,
            IdentityInput::Email => InputKind::Email,
            IdentityInput::MobileId => InputKind::MobileId,
        }
    }

    /// Completes "identify customers by …".
    pub fn describe(&self) -> String {
        match self {
            IdentityInput::NationalId { countries } => format!(
                "national identity number ({})",
                countries
                    .iter()
                    .map(|c| c.id_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            IdentityInput::UserId { uuid: true } => "user id (UUID)".into(),
            IdentityInput::UserId { uuid: false } => "user name".into(),
            IdentityInput::Email => "e-mail address".into(),
            IdentityInput::MobileId => "MobileID user id and device id".into(),
        }
    }
}

/// The kind of an identity input, as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    NationalId,
    UserId,
    Email,
    MobileId,
    /// A hint in the provider's own format, passed through as given (scripts only).
    ProviderHint,
}

impl InputKind {
    /// The stable word screens translate: `national_id`, `user_id`, `email`, `mobileid`.
    pub fn code(self) -> &'static str {
        match self {
            InputKind::NationalId => "national_id",
            InputKind::UserId => "user_id",
            InputKind::Email => "email",
            InputKind::MobileId => "mobileid",
            InputKind::ProviderHint => "provider_hint",
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputKind::NationalId => "national identity number",
            InputKind::UserId => "user id",
            InputKind::Email => "e-mail address",
            InputKind::MobileId => "MobileID user and device",
            InputKind::ProviderHint => "login hint",
        })
    }
}

/// How the customer's identifier becomes the request's hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HintFormat {
    /// `login_hint` = the normalised identifier (12-digit personnummer, e-mail, user name).
    LoginHint,
    /// `login_hint=sub:ssn:<national id>` (Idura Verify).
    SubSsn,
    /// Signaturgruppen's `login_hint_token`: JSON `{"idp":"mitid","uuid"|"cpr":…,
    /// "referenceTextBody":<binding message>}`; the binding message travels inside it.
    SignaturgruppenLoginHintToken,
    /// Signicat MobileID: `login_hint=userId:<uuid> deviceId:<uuid>`.
    SignicatMobileid,
}

impl HintFormat {
    /// The settings file's spelling, for messages to the administrator.
    pub fn as_str(self) -> &'static str {
        match self {
            HintFormat::LoginHint => "login_hint",
            HintFormat::SubSsn => "sub_ssn",
            HintFormat::SignaturgruppenLoginHintToken => "signaturgruppen_login_hint_token",
            HintFormat::SignicatMobileid => "signicat_mobileid",
        }
    }
}
