//! The server's one error type. Every message is a sentence an administrator (or, through the
//! API, an agent) can act on; none contains a secret, a token, a password or a full national
//! identity number. `code()` is stable for the API, the command line and the logs.

use desk::error::At;
use desk::{DeskError, Location};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// An agent's input, a profile or the provider, as the desk reports it.
    #[error(transparent)]
    Desk(#[from] DeskError),

    // --- the configuration ---
    #[error("the configuration file {path} could not be read: {reason}")]
    ConfigUnreadable { path: String, reason: String },
    #[error(
        "the configuration file {path} is not valid{at}: {message}",
        at = At(*location)
    )]
    ConfigMalformed {
        path: String,
        location: Option<Location>,
        message: String,
    },
    #[error("the configuration in {path} cannot be used: {reason}")]
    ConfigInvalid { path: String, reason: String },
    #[error("{what} must be in the environment variable {var}, which is not set (or empty)")]
    SecretEnvMissing { what: String, var: String },
    #[error("{what} could not be read from {path}: {reason}")]
    SecretFileUnreadable {
        what: String,
        path: String,
        reason: String,
    },
    #[error(
        "{what} is in {path}, which other users can read (mode {mode:o}); make it readable by the server's user only: chmod 600 {path}"
    )]
    SecretFileTooOpen {
        what: String,
        path: String,
        mode: u32,
    },
    #[error(
        "the audit HMAC key is shorter than {min} bytes; generate one with `openssl rand -hex 32`"
    )]
    AuditKeyTooShort { min: usize },
    // --- agents and the API ---
    #[error("the organisation's sign-in provider cannot be used: {0}")]
    SignInProvider(DeskError),
    #[error(
        "sign in first: this call needs an `Authorization: Bearer` access token from the organisation's sign-in provider"
    )]
    NotSignedIn,
    #[error("the access token was refused ({0}); sign in again")]
    BadToken(String),
    #[error(
        "this needs the role {needed:?}, which your sign-in does not carry; ask your administrator"
    )]
    Forbidden { needed: String },
    #[error("that verification was started by another agent")]
    NotYours,
    #[error(
        "this server names no sign-in client for the desktop app ([agents] desktop_client_id); ask its administrator, or give the app [sign_in] in its policy file"
    )]
    SignInNotOffered,
    #[error("there is no verification {0:?}")]
    NoSuchVerification(String),
    #[error("the request is not valid: {0}")]
    BadRequest(String),
    #[error(
        "a verification of this customer is already waiting for them; wait for it to end (or cancel it) before starting another, so their phone does not ask twice"
    )]
    AlreadyInProgress,
    #[error("too many verifications started in the last minute; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("that verification has already ended")]
    AlreadyFinished,
    #[error(
        "the database role may change or delete audit records, so the audit trail would prove nothing; run `ciba-desk-server migrate` as the owner and serve as the runtime role, or set [audit] allow_mutable = true to accept this"
    )]
    AuditMutable,
    #[error("the server could not start: {0}")]
    Startup(String),

    // --- the store (database) ---
    // None of these carries a password or a URL with its user information: only the host and
    // port (or the SQLite path), the role's name and the database's own message.
    #[error("the database URL cannot be used: {reason}")]
    DatabaseUrl { reason: String },
    #[error("the database at {target} did not answer: {reason}")]
    DatabaseUnreachable { target: String, reason: String },
    #[error(
        "the database at {target} refused to sign in the role {user:?} ({reason}); check the user name and password in the database URL"
    )]
    DatabaseLogin {
        target: String,
        user: String,
        reason: String,
    },
    #[error("the database at {target} refused the connection: {reason}")]
    DatabaseRefused { target: String, reason: String },
    #[error("the SQLite database {path} could not be opened: {reason}")]
    DatabaseOpen { path: String, reason: String },
    #[error(
        "the database schema is at version {current} but this server needs version {needed}; run `ciba-desk-server migrate` as the database owner"
    )]
    SchemaOutdated { current: u32, needed: u32 },
    #[error(
        "the database schema is at version {current}, newer than this server knows ({known}); run the newer server, or restore a backup made before it migrated"
    )]
    SchemaNewer { current: u32, known: u32 },
    #[error(
        "migration {version} ({name}) was applied to this database in a form that differs from the one this server carries; the schema was changed by hand or by another build, so compare them before going on"
    )]
    MigrationChanged { version: u32, name: String },
    #[error("the runtime role {role:?} cannot be used: {reason}")]
    RuntimeRoleInvalid { role: String, reason: String },
    #[error(
        "the database role may not {action} ({reason}); run `ciba-desk-server migrate` as the owner with [database] runtime_role naming the role the server connects as"
    )]
    DatabasePermission {
        action: &'static str,
        reason: String,
    },
    #[error("the database could not {action}: {reason}")]
    Database {
        action: &'static str,
        reason: String,
    },
    #[error("verification {verification_id} already has its {phase:?} audit record")]
    AuditRecordExists {
        verification_id: String,
        phase: String,
    },
    #[error("the {field} cannot be stored: it contains a NUL character")]
    StoreValueInvalid { field: &'static str },
    #[error(
        "the store was opened without the audit key, so it can neither write nor check the audit chain"
    )]
    AuditKeyNotGiven,
    #[error("another server instance has taken this verification over")]
    LeaseLost,
    #[error(
        "this server instance is shutting down; send the request again (another instance will take it)"
    )]
    ShuttingDown,
    #[error(
        "the SQLite database {path} is already served by another running instance; SQLite serves one instance only — stop the other one, or move to PostgreSQL to run several"
    )]
    SqliteInUse { path: String },
    #[error(
        "stored data could not be opened with this server's audit key ({what}); was the key changed?"
    )]
    Unsealable { what: &'static str },
}

impl ServerError {
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::Desk(e) => e.code(),
            ServerError::ConfigUnreadable { .. } => "config_unreadable",
            ServerError::ConfigMalformed { .. } => "config_malformed",
            ServerError::ConfigInvalid { .. } => "config_invalid",
            ServerError::SecretEnvMissing { .. } => "secret_env_missing",
            ServerError::SecretFileUnreadable { .. } => "secret_file_unreadable",
            ServerError::SecretFileTooOpen { .. } => "secret_file_too_open",
            ServerError::AuditKeyTooShort { .. } => "audit_key_too_short",
            ServerError::SignInProvider(_) => "sign_in_provider",
            ServerError::NotSignedIn => "not_signed_in",
            ServerError::BadToken(_) => "bad_token",
            ServerError::Forbidden { .. } => "forbidden",
            ServerError::NotYours => "not_yours",
            ServerError::SignInNotOffered => "sign_in_not_offered",
            ServerError::NoSuchVerification(_) => "not_found",
            ServerError::BadRequest(_) => "bad_request",
            ServerError::AlreadyInProgress => "already_in_progress",
            ServerError::RateLimited { .. } => "rate_limited",
            ServerError::AlreadyFinished => "already_finished",
            ServerError::AuditMutable => "audit_mutable",
            ServerError::Startup(_) => "startup",
            ServerError::DatabaseUrl { .. } => "database_url_invalid",
            ServerError::DatabaseUnreachable { .. } => "database_unreachable",
            ServerError::DatabaseLogin { .. } => "database_login_failed",
            ServerError::DatabaseRefused { .. } => "database_refused",
            ServerError::DatabaseOpen { .. } => "database_open_failed",
            ServerError::SchemaOutdated { .. } => "schema_outdated",
            ServerError::SchemaNewer { .. } => "schema_newer",
            ServerError::MigrationChanged { .. } => "migration_changed",
            ServerError::RuntimeRoleInvalid { .. } => "runtime_role_invalid",
            ServerError::DatabasePermission { .. } => "database_permission_denied",
            ServerError::Database { .. } => "database_error",
            ServerError::AuditRecordExists { .. } => "audit_record_exists",
            ServerError::StoreValueInvalid { .. } => "store_value_invalid",
            ServerError::AuditKeyNotGiven => "audit_key_not_given",
            ServerError::LeaseLost => "lease_lost",
            ServerError::ShuttingDown => "shutting_down",
            ServerError::SqliteInUse { .. } => "sqlite_in_use",
            ServerError::Unsealable { .. } => "unsealable",
        }
    }
}

pub type Result<T, E = ServerError> = std::result::Result<T, E>;
