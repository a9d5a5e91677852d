//! Where the settings file lives, and writing it atomically.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{APP_NAME, CONFIG_DIR_ENV, Policy, SETTINGS_FILE, Settings};
use crate::error::{DeskError, Result};

/// Where the settings file lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsStore {
    dir: PathBuf,
}

impl SettingsStore {
    /// `CIBA_DESK_CONFIG_DIR` if set, else the platform's config directory for "ciba-desk".
    pub fn open_default() -> Result<Self> {
        Self::from_env_value(std::env::var_os(CONFIG_DIR_ENV))
    }

    /// As [`open_default`](Self::open_default), with the environment variable's value given.
    pub fn from_env_value(value: Option<OsString>) -> Result<Self> {
        match value.filter(|v| !v.is_empty()) {
            Some(dir) => Ok(Self::in_dir(dir)),
            None => directories::ProjectDirs::from("", "", APP_NAME)
                .map(|d| Self::in_dir(d.config_dir()))
                .ok_or(DeskError::NoConfigDir),
        }
    }

    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(SETTINGS_FILE)
    }

    fn io(&self, action: &'static str, path: &Path, e: io::Error) -> DeskError {
        DeskError::Io {
            action,
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// Reads the settings under this computer's policy (see [`Policy::load_default`]); no
    /// file means defaults (the sandbox alone). Never writes.
    pub fn load(&self) -> Result<Settings> {
        let policy = Policy::load_default();
        let path = self.path();
        match fs::read_to_string(&path) {
            Ok(text) => Settings::from_toml_under(&text, &path.display().to_string(), policy),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Ok(Settings::default().with_policy(policy))
            }
            Err(e) => Err(self.io("read", &path, e)),
        }
    }

    /// Writes the settings atomically. Refuses to replace a file that does not parse (or
    /// was written by a newer version): the user's text is never silently lost. The first
    /// save after a migration keeps the old file as `settings.v<N>.toml.bak`.
    pub fn save(&self, settings: &Settings) -> Result<()> {
        let text = settings.to_toml()?;
        fs::create_dir_all(&self.dir).map_err(|e| self.io("create", &self.dir, e))?;
        let path = self.path();
        match fs::read_to_string(&path) {
            Ok(existing) => {
                let on_disk = Settings::from_toml_under(
                    &existing,
                    &path.display().to_string(),
                    settings.policy().clone(),
                )?;
                if let Some(v) = on_disk.migrated_from {
                    let backup = self.dir.join(format!("settings.v{v}.toml.bak"));
                    if !backup.exists() {
                        fs::copy(&path, &backup).map_err(|e| self.io("back up to", &backup, e))?;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.io("read", &path, e)),
        }
        write_atomic(&path, text.as_bytes()).map_err(|e| self.io("write", &path, e))
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `contents` so that readers see the old file or the new one, never a
/// mix: a temporary file in the same directory, flushed to disk, renamed over the target, and
/// the directory flushed too. On failure the temporary file is removed and `path` untouched.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_string_lossy();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
