//! Recording verifications in the audit log: the desk's [`AuditTrail`], opened with the HMAC
//! key from the OS keyring and the administrator's `[audit]` settings, its notices on stderr.

use std::path::PathBuf;
use std::sync::Arc;

use audit::NewRecord;
use desk::{AuditEntry, AuditSettings, AuditTrail, SettingsStore, paths};
use secrets::SecretStore;

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
        Ok(s) => s.audit,
        Err(e) => {
            output::warn(format!(
                "the audit settings could not be read, so names are left out and no records are deleted: {e}"
            ));
            AuditSettings::default()
        }
    }
}

/// Opens the trail before anything is sent: a verification that cannot be recorded is not
/// started.
pub async fn open_trail(keyring: Result<&SecretStore, &str>) -> Result<Arc<AuditTrail>, Failure> {
    let path = db_path()?;
    let trail = AuditTrail::open(path, keyring, &settings())
        .await
        .map_err(|e| Failure::usage(e.code(), format!("cannot record verifications: {e}")))?;
    for notice in trail.notices() {
        output::warn(notice);
    }
    Ok(Arc::new(trail))
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

/// For verifications that do not run through the desk (`verify` without a profile).
pub async fn append(trail: &AuditTrail, record: NewRecord) {
    report(&trail.record(record).await);
}
