//! Where CIBA Desk keeps its data (the sandbox's signing key, the audit log). The settings
//! file's directory is the [`SettingsStore`](crate::SettingsStore)'s business.

use std::path::PathBuf;

use crate::settings::APP_NAME;

/// Overrides the data directory (scripts, tests, portable installs).
pub const DATA_DIR_ENV: &str = "CIBA_DESK_DATA_DIR";
/// The audit log's file name in the data directory.
pub const AUDIT_FILE: &str = "audit.sqlite3";

/// The platform data directory, or `CIBA_DESK_DATA_DIR` when set.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", APP_NAME).map(|d| d.data_dir().to_path_buf())
        })
}

/// The audit log's database file.
pub fn audit_db() -> Option<PathBuf> {
    data_dir().map(|d| d.join(AUDIT_FILE))
}
