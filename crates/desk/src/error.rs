//! The crate's one error type. Every message is a sentence an agent or an administrator can act
//! on; none contains a secret, a token or a full national identity number. `code()` is stable
//! for the UI, the command line and the audit log.

use std::collections::BTreeMap;
use std::fmt;

use ciba::{CibaError, ErrorClass};
use identity::{Country, IdWarning, IdentityError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

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

/// " at line L, column C" or nothing: for messages about a place in a TOML file.
pub struct At(pub Option<Location>);

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
    EmptyInput {
        what: String,
        /// The input kind's code (`national_id`, `user_id`, `email`, `mobileid`).
        kind: &'static str,
    },
    #[error("this profile identifies customers by {accepted}, not by {given}")]
    InputKindNotAccepted {
        given: String,
        accepted: String,
        given_kind: &'static str,
        /// Comma-separated input kind codes.
        accepted_kinds: String,
    },
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
        /// `spaces` or `too_long`.
        problem_code: &'static str,
    },
    #[error(
        "this profile accepts national identity numbers from {names} only, not {name}",
        name = .country.id_name(),
        names = country_names(allowed, ", ")
    )]
    CountryNotAllowed {
        country: Country,
        allowed: Vec<Country>,
    },
    #[error(
        "the number is valid in more than one country ({names}); write it as {example} to say which",
        names = country_names(candidates, " or "),
        example = candidates.iter().map(|c| format!("{}:NUMBER", c.code())).collect::<Vec<_>>().join(" or ")
    )]
    AmbiguousCountry { candidates: Vec<Country> },
    #[error(
        "choose who placed the call: \"user\" if the customer called you, \"RP\" if you called the customer; the customer's app asks different questions"
    )]
    CallInitiatorRequired,
    #[error(
        "the case reference must be at most {max} characters, without line breaks or other control characters"
    )]
    InvalidReference { max: usize },

    #[error(
        "port {port} on this computer is not the CIBA Desk sandbox ({reason}), so nothing was sent to it. Close the program that holds the port, or move the sandbox to a free port"
    )]
    NotTheSandbox { port: u16, reason: String },

    // --- secrets ---
    #[error("no {what} is stored for profile {profile:?}: {hint}")]
    MissingSecret {
        profile: String,
        what: &'static str,
        hint: String,
    },
    #[error(
        "the {what} stored for profile {profile:?} was entered for another issuer, client id or provider address; the profile changed since, or it names another profile's keyring entry. It is not sent anywhere until it is entered again: store it in Settings, or run `{command}`"
    )]
    SecretBoundElsewhere {
        profile: String,
        what: &'static str,
        command: String,
    },
    #[error("the {what} for profile {profile:?} could not be read: {reason}")]
    SecretUnavailable {
        profile: String,
        what: &'static str,
        reason: String,
    },

    // --- the administrator's policy ---
    #[error(
        "the administrator's policy file {path} is not valid{at}: {message}. Until it is corrected, CIBA Desk runs locked down: no profile can be used, added or changed",
        at = At(*location)
    )]
    PolicyMalformed {
        path: String,
        location: Option<Location>,
        message: String,
    },
    #[error(
        "{what} is managed by your organisation (policy file {path}); ask your administrator to change it"
    )]
    ManagedByPolicy { what: String, path: String },

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
    #[error("there is no running verification #{0}")]
    UnknownVerification(u64),
    #[error("there is no preset named {0:?}")]
    UnknownPreset(String),
    #[error("could not draw the QR code for the customer link: {0}")]
    QrCode(String),
    #[error(
        "the provider's request id holds characters that cannot go into a URL safely; no cancel call or customer link is made from it"
    )]
    UnsafeRequestId,

    // --- what a shell needs ---
    #[error(
        "no folder for the audit log could be found, so verifications cannot be recorded; ask your administrator to set {}",
        crate::paths::DATA_DIR_ENV
    )]
    NoDataDir,
    #[error("verifications cannot be recorded, so none can start: {0}")]
    AuditUnavailable(Box<DeskError>),
    #[error("profile {0:?} uses a public credential or none; there is no secret to store")]
    NoSecretNeeded(String),
    #[error(
        "no OS keyring is available; start GNOME Keyring or KWallet (or your system's keychain) and restart CIBA Desk"
    )]
    NoKeyring,
    #[error("the secret is empty")]
    EmptySecret,

    // --- the organisation's server ---
    #[error(
        "no organisation server is set; enter its address under Settings → Organisation, or ask your administrator for it"
    )]
    NoServer,
    #[error("sign in to your organisation first (Settings → Organisation → Sign in)")]
    NotSignedIn,
    #[error("your sign-in to the organisation has ended; sign in again (Settings → Organisation)")]
    SessionExpired,
    #[error("the organisation's server at {server} cannot be reached: {reason}")]
    ServerUnreachable { server: String, reason: String },
    /// The server's own answer, code and all (its codes are the desk's).
    #[error("the organisation's server refused: {}", .report.message)]
    ServerRefused { status: u16, report: ErrorReport },
    #[error("signing in did not finish within {minutes} minutes; start again")]
    SignInTimedOut { minutes: u64 },
    #[error(
        "the web browser could not be opened for signing in ({0}); check that one is installed, or ask your administrator"
    )]
    NoBrowser(String),
    #[error(transparent)]
    Keyring(secrets::SecretError),
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
            InvalidReference { .. } => "invalid_reference",
            MissingSecret { .. } => "missing_secret",
            SecretUnavailable { .. } => "secret_unavailable",
            SecretBoundElsewhere { .. } => "secret_bound_elsewhere",
            NotTheSandbox { .. } => "not_the_sandbox",
            PolicyMalformed { .. } => "policy_malformed",
            ManagedByPolicy { .. } => "managed_by_policy",
            SettingsMalformed { .. } => "settings_malformed",
            SettingsTooNew { .. } => "settings_too_new",
            Io { .. } => "io_error",
            NoConfigDir => "no_config_dir",
            ImportMalformed { .. } => "import_malformed",
            SecretInImport { .. } => "secret_in_import",
            UnknownVerification(_) => "unknown_verification",
            UnknownPreset(_) => "unknown_preset",
            QrCode(_) => "qr_code",
            UnsafeRequestId => "unsafe_request_id",
            NoDataDir => "no_data_dir",
            AuditUnavailable(_) => "audit_unavailable",
            NoSecretNeeded(_) => "no_secret_needed",
            NoKeyring => "no_keyring",
            EmptySecret => "empty_secret",
            NoServer => "no_server",
            NotSignedIn => "not_signed_in",
            SessionExpired => "session_expired",
            ServerUnreachable { .. } => "server_unreachable",
            ServerRefused { .. } => "server_refused",
            SignInTimedOut { .. } => "sign_in_timed_out",
            NoBrowser(_) => "no_browser",
            Keyring(e) => e.code(),
        }
    }

    /// Which field of the agent's form the error is about, so the UI can highlight it.
    pub fn field(&self) -> Option<ErrorField> {
        use DeskError::*;
        match self {
            Identity(e) => Some(match e {
                IdentityError::BindingMessageRequired
                | IdentityError::BindingMessageForbidden { .. }
                | IdentityError::BindingMessageTooLong { .. }
                | IdentityError::BindingMessageCharacter { .. } => ErrorField::BindingMessage,
                _ => ErrorField::Identity,
            }),
            Ciba(CibaError::InvalidBindingMessage(_)) => Some(ErrorField::BindingMessage),
            Ciba(CibaError::UnknownUserId(_)) => Some(ErrorField::Identity),
            EmptyInput { .. }
            | InputKindNotAccepted { .. }
            | NotUuid { .. }
            | MobileIdInput
            | InvalidEmail
            | InvalidUserId { .. }
            | CountryNotAllowed { .. }
            | AmbiguousCountry { .. } => Some(ErrorField::Identity),
            CallInitiatorRequired => Some(ErrorField::CallInitiator),
            InvalidReference { .. } => Some(ErrorField::Reference),
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

impl DeskError {
    /// What the agent's next step depends on, when this error ends a verification.
    pub fn failure_kind(&self) -> FailureKind {
        use DeskError::*;
        match self {
            Ciba(e) => match e.class() {
                ErrorClass::Configuration => FailureKind::Configuration,
                ErrorClass::Rejected => FailureKind::Rejected,
                _ => FailureKind::Provider,
            },
            Audit(_) | QrCode(_) | AuditUnavailable(_) | NoDataDir => FailureKind::Internal,
            ServerUnreachable { .. } => FailureKind::Provider,
            _ => FailureKind::Configuration,
        }
    }

    /// The values a translated sentence needs, by name. Countries are codes (`se`), input
    /// kinds are codes (`national_id`), never English words, so the page can translate them.
    pub fn params(&self) -> BTreeMap<String, Param> {
        use DeskError::*;
        let mut p = Params::default();
        match self {
            Identity(e) => return identity_params(e),
            Placeholder {
                profile,
                field,
                placeholder,
                ..
            } => {
                p.text("profile", profile);
                p.text("field", field);
                p.text("placeholder", placeholder);
            }
            InvalidProfile { profile, .. } | MissingSecret { profile, .. } => {
                p.text("profile", profile)
            }
            SecretUnavailable { profile, .. } | SecretBoundElsewhere { profile, .. } => {
                p.text("profile", profile)
            }
            UnknownProfile(name) | DuplicateProfile(name) => p.text("profile", name),
            UnknownPreset(name) => p.text("preset", name),
            NotTheSandbox { port, .. } => p.text("port", &port.to_string()),
            EmptyInput { kind, .. } => p.text("what", kind),
            InputKindNotAccepted {
                given_kind,
                accepted_kinds,
                ..
            } => {
                p.text("given", given_kind);
                p.text("accepted", accepted_kinds);
            }
            NotUuid { what } => p.text("what", what),
            InvalidUserId { problem_code, .. } => p.text("problem", problem_code),
            CountryNotAllowed { country, allowed } => {
                p.text("country", country.code());
                p.text("allowed", &country_codes(allowed));
            }
            AmbiguousCountry { candidates } => {
                p.text("candidates", &country_codes(candidates));
                p.text(
                    "example",
                    &candidates
                        .iter()
                        .map(|c| format!("{}:NUMBER", c.code()))
                        .collect::<Vec<_>>()
                        .join(" / "),
                );
            }
            SettingsMalformed { location, .. }
            | ImportMalformed { location, .. }
            | PolicyMalformed { location, .. } => p.location(*location),
            ManagedByPolicy { path, .. } => p.text("path", path),
            SecretInImport { key, location, .. } => {
                p.text("key", key);
                p.location(*location);
            }
            UnknownVerification(id) => p.number("id", *id as i64),
            NoSecretNeeded(profile) => p.text("profile", profile),
            ServerUnreachable { server, .. } => p.text("server", server),
            SignInTimedOut { minutes } => p.number("minutes", *minutes as i64),
            _ => {}
        }
        p.0
    }

    /// Everything a screen needs to show this error in the agent's language.
    pub fn report(&self) -> ErrorReport {
        if let DeskError::ServerRefused { report, .. } = self {
            return report.clone();
        }
        ErrorReport {
            code: self.code().to_owned(),
            message: self.to_string(),
            field: self.field(),
            params: self.params(),
        }
    }
}

fn country_codes(list: &[Country]) -> String {
    list.iter().map(|c| c.code()).collect::<Vec<_>>().join(",")
}

fn country_names(list: &[Country], separator: &str) -> String {
    list.iter()
        .map(|c| c.id_name())
        .collect::<Vec<_>>()
        .join(separator)
}

#[derive(Default)]
struct Params(BTreeMap<String, Param>);

impl Params {
    fn text(&mut self, name: &str, value: &str) {
        self.0.insert(name.into(), Param::Text(value.into()));
    }
    fn number(&mut self, name: &str, value: i64) {
        self.0.insert(name.into(), Param::Number(value));
    }
    fn location(&mut self, at: Option<Location>) {
        if let Some(l) = at {
            self.number("line", l.line as i64);
            self.number("column", l.column as i64);
        }
    }
}

fn identity_params(e: &IdentityError) -> BTreeMap<String, Param> {
    use IdentityError::*;
    let mut p = Params::default();
    match e {
        Empty { country } | CheckDigit { country } => p.text("country", country.code()),
        WrongLength {
            country,
            expected,
            got,
        } => {
            p.text("country", country.code());
            p.text("expected", expected);
            p.number("got", *got as i64);
        }
        NotDigits {
            country,
            character,
            position,
        }
        | MisplacedSeparator {
            country,
            character,
            position,
        } => {
            p.text("country", country.code());
            p.text("character", &character.to_string());
            p.number("position", *position as i64);
        }
        ImpossibleDate {
            country,
            year,
            month,
            day,
        } => {
            p.text("country", country.code());
            p.text("date", &format!("{year:04}-{month:02}-{day:02}"));
        }
        BirthDateInFuture { country, date } => {
            p.text("country", country.code());
            p.text("date", &date.to_string());
        }
        ImpossibleIndividualNumber {
            country,
            year_digits,
        } => {
            p.text("country", country.code());
            p.text("year_digits", &format!("{year_digits:02}"));
        }
        BindingMessageTooLong { chars, max } => {
            p.number("chars", *chars as i64);
            p.number("max", *max as i64);
        }
        BindingMessageCharacter { character, charset } => {
            p.text("character", &character.escape_debug().to_string());
            p.text(
                "charset",
                serde_json::to_value(charset)
                    .ok()
                    .as_ref()
                    .and_then(|v| v.as_str())
                    .unwrap_or("printable"),
            );
        }
        _ => {}
    }
    p.0
}

/// A warning about accepted input, in the same shape as an error so screens translate both
/// the same way.
pub fn warning_report(w: &IdWarning) -> ErrorReport {
    let code = match w {
        IdWarning::CprModulus11Failed => "cpr_modulus11_failed",
        IdWarning::BirthYearUncertain => "birth_year_uncertain",
        _ => "national_id_warning",
    };
    ErrorReport {
        code: code.into(),
        message: w.to_string(),
        field: Some(ErrorField::Identity),
        params: BTreeMap::new(),
    }
}

/// A value that fills a placeholder of a translated sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum Param {
    Number(i64),
    Text(String),
}

/// The input field an error is about, so a form can highlight it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorField {
    Identity,
    BindingMessage,
    CallInitiator,
    Reference,
}

/// An error as every shell shows it: a stable `code` the screen translates, the values its
/// sentence needs, the field at fault, and the English sentence as a fallback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<ErrorField>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, Param>>", optional)]
    pub params: BTreeMap<String, Param>,
}

impl ErrorReport {
    /// An error that no [`DeskError`] describes (the shell's own).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            field: None,
            params: BTreeMap::new(),
        }
    }

    pub fn param(mut self, name: &str, value: Param) -> Self {
        self.params.insert(name.into(), value);
        self
    }
}

impl fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why a verification failed, as far as the agent's next step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The profile, its secret or the input is wrong: nothing useful reached the customer.
    Configuration,
    /// The provider or the network failed.
    Provider,
    /// An ID token arrived and failed verification.
    Rejected,
    /// CIBA Desk itself stopped unexpectedly.
    Internal,
}

/// `{code, message, field?, params?}` for the UI, the command line's JSON and the server.
impl Serialize for DeskError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.report().serialize(serializer)
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
        assert_eq!(v["params"]["country"], "se");
        let v = serde_json::to_value(DeskError::Ciba(CibaError::Expired)).unwrap();
        assert_eq!(v["code"], "expired");
        assert!(v.get("field").is_none());
        assert!(v.get("params").is_none());
    }

    #[test]
    fn parameters_name_codes_not_english_words() {
        let e = DeskError::from(IdentityError::BindingMessageTooLong { chars: 45, max: 40 });
        let r = e.report();
        assert_eq!(r.field, Some(ErrorField::BindingMessage));
        assert_eq!(r.params["chars"], Param::Number(45));
        assert_eq!(r.params["max"], Param::Number(40));
        let e = DeskError::CountryNotAllowed {
            country: Country::Dk,
            allowed: vec![Country::Se, Country::No],
        };
        assert_eq!(e.params()["allowed"], Param::Text("se,no".into()));
        assert!(e.to_string().contains("Swedish personnummer, Norwegian"));
        let e = DeskError::AmbiguousCountry {
            candidates: vec![Country::Se, Country::Dk],
        };
        assert_eq!(e.params()["candidates"], Param::Text("se,dk".into()));
        assert!(e.to_string().contains("se:NUMBER or dk:NUMBER"));
        let e = DeskError::from(IdentityError::BindingMessageCharacter {
            character: '\u{202E}',
            charset: identity::Charset::Latin,
        });
        assert_eq!(e.params()["charset"], Param::Text("latin".into()));
        assert_eq!(e.params()["character"], Param::Text("\\u{202e}".into()));
    }

    #[test]
    fn failures_keep_their_class() {
        assert_eq!(
            DeskError::Ciba(CibaError::IdTokenRejected(
                ciba::ValidationFailure::Unsigned
            ))
            .failure_kind(),
            FailureKind::Rejected
        );
        assert_eq!(
            DeskError::UnknownProfile("x".into()).failure_kind(),
            FailureKind::Configuration
        );
        assert_eq!(
            DeskError::Ciba(CibaError::Timeout {
                endpoint: "token".into(),
                seconds: 5
            })
            .failure_kind(),
            FailureKind::Provider
        );
    }
}
