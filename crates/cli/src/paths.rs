//! Where the command line keeps its files. The settings file's directory is desk's business
//! (`SettingsStore::open_default`, `CIBA_DESK_CONFIG_DIR`); the data directory (sandbox key,
//! audit log) is decided here.

use std::path::PathBuf;

/// Overrides the data directory (scripts, tests, portable installs).
pub const DATA_DIR_ENV: &str = "CIBA_DESK_DATA_DIR";
/// The audit log's file name in the data directory.
pub const AUDIT_FILE: &str = "audit.sqlite3";

/// The platform data directory (overridable with CIBA_DESK_DATA_DIR for scripts and tests).
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "ciba-desk").map(|d| d.data_dir().to_path_buf())
        })
}

/// The audit log's database file.
pub fn audit_db() -> Option<PathBuf> {
    data_dir().map(|d| d.join(AUDIT_FILE))
}
