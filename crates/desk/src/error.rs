//! The crate's one error type. Every message is a sentence an agent or an administrator can act
//! on; none contains a secret, a token or a full national identity number. `code()` is stable
//! for the UI, the command line and the audit log.

use std::fmt;

use ciba::CibaError;
use identity::{Country, IdentityError};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::session::VerificationId;

/// A line and column (both 1-based) in a TOML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte offset `offset` in `text`; columns count characters.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self { line, column }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// " at line L, column C" or nothing.
pub(crate) struct At(pub Option<Location>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(l) => write!(f, " at line {}, column {}", l.line, l.column),
            None => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    // --- from the crates below ---
    #[error(transparent)]
    Ciba(#[from] CibaError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),

    // --- profiles ---
    #[error(
        "profile {profile:?}: replace {placeholder} in the {field} with your own value ({hint}); ask your administrator if you do not know it"
    )]
    Placeholder {
        profile: String,
        field: String,
        placeholder: String,
        hint: String,
    },
    #[error("profile {profile:?} cannot be used: {reason}")]
    InvalidProfile { profile: String, reason: String },
    #[error("there is no profile named {0:?}")]
    UnknownProfile(String),
    #[error(
        "the built-in sandbox profile cannot be {action}; it is always there for training (create a profile with another name instead)"
    )]
    BuiltinProfile { action: &'static str },
    #[error("a profile named {0:?} already exists; choose another name or replace it")]
    DuplicateProfile(String),

    // --- the agent's input ---
    #[error("enter the customer's {what}")]
    EmptyInput { what: String },
    #[error("this profile identifies customers by {accepted}, not by {given}")]
    InputKindNotAccepted { given: String, accepted: String },
    #[error(
        "the {what} is not a valid UUID (expected 8-4-4-4-12 hexadecimal digits, e.g. 0e99b25c-abde-4553-973b-8d94d49cd87e)"
    )]
    NotUuid { what: &'static str },
    #[error(
        "enter the MobileID user id and device id, e.g. \"userId:<uuid> deviceId:<uuid>\" or the two UUIDs separated by a space"
    )]
    MobileIdInput,
    #[error("that is not an e-mail address; write it as name@example.com")]
    InvalidEmail,
    #[error("the {what} {problem}; check what was typed")]
    InvalidUserId {
        what: &'static str,
        problem: &'static str,
    },
    #[error("this profile accepts national identity numbers from {allowed} only, not {country}")]
    CountryNotAllowed { country: Country, allowed: String },
    #[error(
        "the number is valid in more than one country ({candidates}); write it as {example} to say which"
    )]
    AmbiguousCountry { candidates: String, example: String },
    #[error(
        "choose who placed the call: \"user\" if the customer called you, \"RP\" if you called the customer; the customer's app asks different questions"
    )]
    CallInitiatorRequired,

    // --- secrets ---
    #[error("no {what} is stored for profile {profile:?}: {hint}")]
    MissingSecret {
        profile: String,
        what: &'static str,
        hint: String,
    },
    #[error("the {what} for profile {profile:?} could not be read: {reason}")]
    SecretUnavailable {
        profile: String,
        what: &'static str,
        reason: String,
    },

    // --- settings ---
    #[error(
        "the settings file {path} is not valid{at}: {message}. It was left exactly as it is; correct it in a text editor or move it away",
        at = At(*location)
    )]
    SettingsMalformed {
        path: String,
        location: Option<Location>,
        message: String,
    },
    #[error(
        "the settings file {path} was written by a newer CIBA Desk (schema version {found}; this version understands up to {supported}); it was left unchanged, update CIBA Desk"
    )]
    SettingsTooNew {
        path: String,
        found: i64,
        supported: u32,
    },
    #[error("could not {action} {path}: {reason}")]
    Io {
        action: &'static str,
        path: String,
        reason: String,
    },
    #[error(
        "no configuration directory could be determined for this user; set CIBA_DESK_CONFIG_DIR to a folder"
    )]
    NoConfigDir,
    #[error("the profiles file is not valid{at}: {message}", at = At(*location))]
    ImportMalformed {
        location: Option<Location>,
        message: String,
    },
    #[error(
        "the profiles file contains what looks like a secret ({what}) at {key}{at}; nothing was imported. Secrets are never shared in files: remove it and store the secret in this computer's keyring instead",
        at = At(*location)
    )]
    SecretInImport {
        key: String,
        what: &'static str,
        location: Option<Location>,
    },

    // --- sessions ---
    #[error("there is no running verification {0}")]
    UnknownVerification(VerificationId),
    #[error("could not draw the QR code for the customer link: {0}")]
    QrCode(String),
}

impl DeskError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        use DeskError::*;
        match self {
            Ciba(e) => e.code(),
            Identity(e) => identity_code(e),
            Audit(e) => e.code(),
            Placeholder { .. } => "profile_placeholder",
            InvalidProfile { .. } => "invalid_profile",
            UnknownProfile(_) => "unknown_profile",
            BuiltinProfile { .. } => "builtin_profile",
            DuplicateProfile(_) => "duplicate_profile",
            EmptyInput { .. } => "empty_input",
            InputKindNotAccepted { .. } => "input_kind_not_accepted",
            NotUuid { .. } => "not_uuid",
            MobileIdInput => "mobileid_input",
            InvalidEmail => "invalid_email",
            InvalidUserId { .. } => "invalid_user_id",
            CountryNotAllowed { .. } => "country_not_allowed",
            AmbiguousCountry { .. } => "ambiguous_country",
            CallInitiatorRequired => "call_initiator_required",
            MissingSecret { .. } => "missing_secret",
            SecretUnavailable { .. } => "secret_unavailable",
            SettingsMalformed { .. } => "settings_malformed",
            SettingsTooNew { .. } => "settings_too_new",
            Io { .. } => "io_error",
            NoConfigDir => "no_config_dir",
            ImportMalformed { .. } => "import_malformed",
            SecretInImport { .. } => "secret_in_import",
            UnknownVerification(_) => "unknown_verification",
            QrCode(_) => "qr_code",
        }
    }

    /// Which field of the agent's form the error is about, so the UI can highlight it:
    /// `identity`, `binding_message` or `call_initiator`.
    pub fn field(&self) -> Option<&'static str> {
        use DeskError::*;
        match self {
            Identity(e) => Some(match e {
                IdentityError::BindingMessageRequired
                | IdentityError::BindingMessageForbidden { .. }
                | IdentityError::BindingMessageTooLong { .. }
                | IdentityError::BindingMessageCharacter { .. } => "binding_message",
                _ => "identity",
            }),
            Ciba(CibaError::InvalidBindingMessage(_)) => Some("binding_message"),
            Ciba(CibaError::UnknownUserId(_)) => Some("identity"),
            EmptyInput { .. }
            | InputKindNotAccepted { .. }
            | NotUuid { .. }
            | MobileIdInput
            | InvalidEmail
            | InvalidUserId { .. }
            | CountryNotAllowed { .. }
            | AmbiguousCountry { .. } => Some("identity"),
            CallInitiatorRequired => Some("call_initiator"),
            _ => None,
        }
    }
}

fn identity_code(e: &IdentityError) -> &'static str {
    use IdentityError::*;
    match e {
        MissingCountry => "missing_country",
        UnknownCountry { .. } => "unknown_country",
        Empty { .. } => "empty_national_id",
        WrongLength { .. } => "national_id_length",
        NotDigits { .. } => "national_id_characters",
        MisplacedSeparator { .. } => "national_id_separator",
        ImpossibleDate { .. } => "national_id_date",
        BirthDateInFuture { .. } => "national_id_future_date",
        ImpossibleIndividualNumber { .. } => "national_id_individual_number",
        CheckDigit { .. } => "national_id_check_digit",
        BindingMessageRequired => "binding_message_required",
        BindingMessageForbidden { .. } => "binding_message_forbidden",
        BindingMessageTooLong { .. } => "binding_message_too_long",
        BindingMessageCharacter { .. } => "binding_message_character",
        _ => "invalid_identity_input",
    }
}

/// `{code, message, field?}` for the UI and the command line's JSON.
impl Serialize for DeskError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let field = self.field();
        let mut s = serializer.serialize_struct("DeskError", 2 + usize::from(field.is_some()))?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        if let Some(f) = field {
            s.serialize_field("field", f)?;
        }
        s.end()
    }
}

pub type Result<T, E = DeskError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_and_count_characters() {
        let t = "a = 1\nbå = x\n";
        assert_eq!(Location::of_offset(t, 0), Location { line: 1, column: 1 });
        let x = t.find('x').unwrap();
        assert_eq!(Location::of_offset(t, x), Location { line: 2, column: 6 });
        assert_eq!(Location::of_offset(t, 10_000).line, 3);
    }

    #[test]
    fn serializes_code_message_and_field() {
        let e = DeskError::from(IdentityError::CheckDigit {
            country: Country::Se,
        });
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "national_id_check_digit");
        assert_eq!(v["field"], "identity");
        assert!(v["message"].as_str().unwrap().contains("check digit"));
        let v = serde_json::to_value(DeskError::Ciba(CibaError::Expired)).unwrap();
        assert_eq!(v["code"], "expired");
        assert!(v.get("field").is_none());
    }
}
