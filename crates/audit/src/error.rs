//! The one error type of the audit crate. Each message says what happened and what
//! the agent or administrator can do about it.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use crate::ChainProblem;

/// Results of this crate.
pub type Result<T, E = AuditError> = std::result::Result<T, E>;

/// What went wrong with the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Another process holds the database lock longer than the busy timeout.
    #[error(
        "the audit log {path} is locked by another process; close other CIBA Desk windows \
         or tools reading the log, then try again"
    )]
    Locked {
        /// The database file.
        path: PathBuf,
    },

    /// The file is not a usable SQLite database, or its pages are damaged.
    #[error(
        "the audit log {path} is damaged ({detail}); keep a copy of the file for \
         investigation, then move it aside so CIBA Desk can start a new log"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },

    /// The disk (or quota) is full: nothing more can be recorded.
    #[error(
        "the disk holding the audit log {path} is full; free some space: verifications \
         cannot be recorded until then"
    )]
    DiskFull {
        /// The database file.
        path: PathBuf,
    },

    /// The file or its folder cannot be opened or written.
    #[error(
        "cannot open or write the audit log {path} ({detail}); check that the folder \
         exists and that your user may write to it and to its -wal and -shm files"
    )]
    NotWritable {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },

    /// A read or write failed at the operating-system level.
    #[error(
        "reading or writing the audit log {path} failed ({detail}); check the disk and try again"
    )]
    Io {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },

    /// The database was written by a newer CIBA Desk.
    #[error(
        "the audit log {path} has format version {found}, newer than this CIBA Desk \
         understands ({supported}); update CIBA Desk"
    )]
    NewerFormat {
        /// The database file.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Highest version this build reads.
        supported: i64,
    },

    /// A stored value could not be read back (wrong type, unknown outcome…).
    #[error(
        "the audit log {path} holds a record it cannot read (seq {seq}: {reason}); run \
         `ciba-desk audit verify` to see whether it was altered"
    )]
    BadRecord {
        /// The database file.
        path: PathBuf,
        /// The record.
        seq: i64,
        /// What is wrong.
        reason: String,
    },

    /// The caller passed a record that must not be stored.
    #[error("the audit record was refused: {reason}")]
    InvalidRecord {
        /// Why.
        reason: String,
    },

    /// The HMAC key is too short to protect identifiers.
    #[error(
        "the audit log key is {len} bytes; at least 16 are needed (CIBA Desk keeps a \
         32-byte key in the OS keyring)"
    )]
    WeakKey {
        /// The length passed in.
        len: usize,
    },

    /// A purge was refused because the chain does not verify.
    #[error(
        "the audit log does not verify ({problem}); nothing was purged so the evidence is \
         kept: export the log and report it to your security team"
    )]
    ChainBroken {
        /// The first problem found.
        problem: ChainProblem,
    },

    /// Writing an export failed.
    #[error("writing the audit export failed ({0}); check the destination and try again")]
    Export(#[source] std::io::Error),

    /// Any other SQLite failure.
    #[error("the audit log {path} failed: {detail}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
}

impl AuditError {
    /// A stable, machine-readable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            AuditError::Locked { .. } => "audit_locked",
            AuditError::Corrupt { .. } => "audit_corrupt",
            AuditError::DiskFull { .. } => "audit_disk_full",
            AuditError::NotWritable { .. } => "audit_not_writable",
            AuditError::Io { .. } => "audit_io",
            AuditError::NewerFormat { .. } => "audit_newer_format",
            AuditError::BadRecord { .. } => "audit_bad_record",
            AuditError::InvalidRecord { .. } => "audit_invalid_record",
            AuditError::WeakKey { .. } => "audit_weak_key",
            AuditError::ChainBroken { .. } => "audit_chain_broken",
            AuditError::Export(_) => "audit_export_failed",
            AuditError::Sqlite { .. } => "audit_sqlite",
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        AuditError::InvalidRecord {
            reason: reason.into(),
        }
    }

    /// Classify a SQLite error for the log at `path`.
    pub(crate) fn sqlite(path: &Path, err: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        let detail = err.to_string();
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                AuditError::Locked { path }
            }
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                AuditError::Corrupt { path, detail }
            }
            Some(ErrorCode::DiskFull) => AuditError::DiskFull { path },
            Some(
                ErrorCode::ReadOnly
                | ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::AuthorizationForStatementDenied,
            ) => AuditError::NotWritable { path, detail },
            Some(ErrorCode::SystemIoFailure | ErrorCode::FileLockingProtocolFailed) => {
                AuditError::Io { path, detail }
            }
            _ => AuditError::Sqlite { path, detail },
        }
    }
}
