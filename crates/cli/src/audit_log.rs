//! The audit log for the command line: where it is, the administrator's `[audit]` settings,
//! and what became of a verification's record, on stderr.

use std::path::PathBuf;

use desk::{AuditEntry, AuditSettings, SettingsStore, paths};

use crate::output::{self, Failure};

pub use desk::audit_trail::open_unkeyed;

pub fn db_path() -> Result<PathBuf, Failure> {
    paths::audit_db().ok_or_else(|| {
        Failure::usage(
            "no_data_dir",
            format!(
                "no data directory could be determined for the audit log; set {}",
                paths::DATA_DIR_ENV
            ),
        )
    })
}

/// The administrator's audit settings; a settings file that cannot be read leaves the safe
/// defaults (no names, nothing deleted), and says so.
pub fn settings() -> AuditSettings {
    match SettingsStore::open_default().and_then(|s| s.load()) {
        Ok(s) => s.effective_audit(),
        Err(e) => {
            output::warn(format!(
                "the audit settings could not be read, so names are left out and no records are deleted: {e}"
            ));
            // The administrator's floor and anchor still hold.
            desk::Settings::default()
                .with_policy(desk::settings::Policy::load_default())
                .effective_audit()
        }
    }
}

/// Says on stderr when a verification's record could not be written (it already ended).
pub fn report(entry: &AuditEntry) {
    match entry {
        AuditEntry::Recorded { seq } => tracing::debug!(seq, "audit record written"),
        AuditEntry::NotRecorded { message, .. } => output::error(format!(
            "the verification could not be recorded in the audit log: {message}"
        )),
    }
}
