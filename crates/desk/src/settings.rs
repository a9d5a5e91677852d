//! The settings file: profiles and preferences in one TOML file in the platform's config
//! directory (`CIBA_DESK_CONFIG_DIR` overrides it). Written atomically (temporary file in the
//! same directory, fsync, rename). A file that does not parse is reported with its line and
//! column and never replaced: not on load, and not on a later save either. Older schema
//! versions are migrated in memory; the first save keeps a backup of the old file.
//!
//! The built-in sandbox profile is not stored: it is always there, even with no file at all,
//! and cannot be removed or replaced (its issuer can be moved with the `sandbox_issuer`
//! preference).
//!
//! Profiles travel between computers as export files without secrets; import refuses anything
//! that looks like a secret.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::audit_trail::AuditSettings;
use crate::error::{DeskError, Location, Result};
use crate::presets;
use crate::profile::{Profile, PublicCredential, SANDBOX_PROFILE};

/// The settings schema this version writes.
pub const SCHEMA_VERSION: u32 = 1;
/// The export format this version writes.
pub const EXPORT_VERSION: u32 = 1;
/// Overrides the configuration directory (tests, scripts, portable installs).
pub const CONFIG_DIR_ENV: &str = "CIBA_DESK_CONFIG_DIR";
pub const SETTINGS_FILE: &str = "settings.toml";
/// The application name for the platform directories.
pub const APP_NAME: &str = "ciba-desk";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// The profile selected when the app starts; the sandbox when unset or gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// Where the built-in sandbox listens, when not on `http://127.0.0.1:7878`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_issuer: Option<String>,
    /// The UI language (`en`, `sv`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The UI theme: `light`, `dark`, or `system` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    schema_version: u32,
    #[serde(default)]
    preferences: Preferences,
    #[serde(default, skip_serializing_if = "is_default")]
    audit: AuditSettings,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    profiles: Vec<Profile>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportFile {
    #[serde(default)]
    export_version: Option<i64>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

/// The preferences and the profiles the user added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub preferences: Preferences,
    /// The administrator's audit-log choices (`[audit]`).
    pub audit: AuditSettings,
    profiles: Vec<Profile>,
    migrated_from: Option<u32>,
}

/// What to do when an imported profile has the name of an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    KeepExisting,
    Replace,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    /// Kept as they were because a profile of that name exists.
    pub skipped: Vec<String>,
}

fn reserved(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case(SANDBOX_PROFILE)
}

impl Settings {
    /// The built-in sandbox, then the user's profiles.
    pub fn profiles(&self) -> Vec<Profile> {
        let mut all = vec![self.sandbox_profile()];
        all.extend(self.profiles.iter().cloned());
        all
    }

    /// The profiles the user added (what the file stores).
    pub fn user_profiles(&self) -> &[Profile] {
        &self.profiles
    }

    pub fn sandbox_profile(&self) -> Profile {
        let mut p = presets::sandbox();
        if let Some(i) = &self.preferences.sandbox_issuer {
            p.issuer = i.clone();
        }
        p
    }

    pub fn profile(&self, name: &str) -> Option<Profile> {
        if reserved(name) {
            return Some(self.sandbox_profile());
        }
        self.profiles.iter().find(|p| p.name == name).cloned()
    }

    /// The profile to select at start: the preferred one if it still exists, else the sandbox.
    pub fn default_profile(&self) -> Profile {
        self.preferences
            .default_profile
            .as_deref()
            .and_then(|n| self.profile(n))
            .unwrap_or_else(|| self.sandbox_profile())
    }

    /// Adds a profile; its name must be new.
    pub fn add_profile(&mut self, profile: Profile) -> Result<()> {
        if self.profiles.iter().any(|p| p.name == profile.name) {
            return Err(DeskError::DuplicateProfile(profile.name));
        }
        self.upsert_profile(profile)
    }

    /// Adds a profile or replaces the one with the same name.
    pub fn upsert_profile(&mut self, profile: Profile) -> Result<()> {
        if reserved(&profile.name) {
            return Err(DeskError::BuiltinProfile { action: "replaced" });
        }
        profile.validate()?;
        match self.profiles.iter_mut().find(|p| p.name == profile.name) {
            Some(existing) => *existing = profile,
            None => self.profiles.push(profile),
        }
        Ok(())
    }

    pub fn remove_profile(&mut self, name: &str) -> Result<Profile> {
        if reserved(name) {
            return Err(DeskError::BuiltinProfile { action: "removed" });
        }
        let i = self
            .profiles
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| DeskError::UnknownProfile(name.into()))?;
        if self.preferences.default_profile.as_deref() == Some(name) {
            self.preferences.default_profile = None;
        }
        Ok(self.profiles.remove(i))
    }

    /// The schema version the settings were migrated from when loaded, if they were.
    pub fn migrated_from(&self) -> Option<u32> {
        self.migrated_from
    }

    /// Parses a settings file. `source` names it in error messages.
    pub fn from_toml(text: &str, source: &str) -> Result<Self> {
        let malformed =
            |location: Option<Location>, message: String| DeskError::SettingsMalformed {
                path: source.into(),
                location,
                message,
            };
        let table: Table = text.parse().map_err(|e: toml::de::Error| {
            malformed(location(text, &e), e.message().trim().into())
        })?;
        let version = match table.get("schema_version") {
            None => 0,
            Some(Value::Integer(n)) if *n >= 0 => *n,
            Some(_) => {
                return Err(malformed(
                    key_location(text, "schema_version"),
                    "schema_version must be a whole number".into(),
                ));
            }
        };
        if version > i64::from(SCHEMA_VERSION) {
            return Err(DeskError::SettingsTooNew {
                path: source.into(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let (file, migrated_from): (SettingsFile, _) = if version == i64::from(SCHEMA_VERSION) {
            let f = toml::from_str(text).map_err(|e: toml::de::Error| {
                malformed(location(text, &e), e.message().trim().into())
            })?;
            (f, None)
        } else {
            let from = version as u32;
            let mut table = table;
            migrate(&mut table, from).map_err(|m| malformed(None, m))?;
            let f = Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    malformed(
                        None,
                        format!(
                            "after upgrading from schema version {from}: {}",
                            e.message().trim()
                        ),
                    )
                })?;
            (f, Some(from))
        };
        let mut seen = BTreeSet::new();
        for p in &file.profiles {
            let at = key_value_location(text, "name", &p.name);
            if reserved(&p.name) {
                return Err(malformed(
                    at,
                    format!(
                        "the profile name {:?} is reserved for the built-in sandbox; rename the profile",
                        p.name
                    ),
                ));
            }
            if !seen.insert(p.name.as_str()) {
                return Err(malformed(
                    at,
                    format!("two profiles are named {:?}; names must be unique", p.name),
                ));
            }
            p.validate().map_err(|e| malformed(at, e.to_string()))?;
        }
        Ok(Self {
            preferences: file.preferences,
            audit: file.audit,
            profiles: file.profiles,
            migrated_from,
        })
    }

    /// The file's text, in the current schema.
    pub fn to_toml(&self) -> Result<String> {
        let file = SettingsFile {
            schema_version: SCHEMA_VERSION,
            preferences: self.preferences.clone(),
            audit: self.audit.clone(),
            profiles: self.profiles.clone(),
        };
        let body = toml::to_string(&file).map_err(|e| DeskError::Io {
            action: "serialize",
            path: "the settings".into(),
            reason: e.to_string(),
        })?;
        Ok(format!(
            "# CIBA Desk settings. Secrets are not stored here but in the keyring, under the\n\
             # entry names given as `secret`. The built-in sandbox profile is not listed.\n{body}"
        ))
    }

    /// The named profiles (all user profiles when `names` is empty) as an export file, for an
    /// administrator to hand to agents. Contains no secrets: only keyring entry names and the
    /// names of public demo credentials.
    pub fn export_profiles(&self, names: &[&str]) -> Result<String> {
        let profiles: Vec<Profile> = if names.is_empty() {
            self.profiles.clone()
        } else {
            names
                .iter()
                .map(|n| {
                    if reserved(n) {
                        return Err(DeskError::BuiltinProfile {
                            action: "exported (every installation has it)",
                        });
                    }
                    self.profiles
                        .iter()
                        .find(|p| p.name == *n)
                        .cloned()
                        .ok_or_else(|| DeskError::UnknownProfile((*n).into()))
                })
                .collect::<Result<_>>()?
        };
        let file = ExportFile {
            export_version: Some(i64::from(EXPORT_VERSION)),
            profiles,
        };
        let body = toml::to_string(&file).map_err(|e| DeskError::Io {
            action: "serialize",
            path: "the export".into(),
            reason: e.to_string(),
        })?;
        Ok(format!(
            "# CIBA Desk profiles. No secrets: store each profile's client secret or private key\n\
             # in the keyring under the entry name given as `secret` (default: the profile name).\n{body}"
        ))
    }

    /// Imports an export file. Nothing changes unless the whole file is acceptable.
    pub fn import_profiles(&mut self, text: &str, mode: ImportMode) -> Result<ImportReport> {
        let malformed =
            |location, message: String| DeskError::ImportMalformed { location, message };
        let table: Table = text.parse().map_err(|e: toml::de::Error| {
            malformed(location(text, &e), e.message().trim().into())
        })?;
        if let Some((key, what)) = find_secret(&Value::Table(table.clone()), "") {
            let last = key.rsplit(['.', ']']).next().unwrap_or(&key).to_owned();
            return Err(DeskError::SecretInImport {
                location: key_location(text, &last),
                key,
                what,
            });
        }
        let file: ExportFile = toml::from_str(text).map_err(|e: toml::de::Error| {
            malformed(location(text, &e), e.message().trim().into())
        })?;
        match file.export_version {
            Some(v) if v > i64::from(EXPORT_VERSION) => {
                return Err(malformed(
                    key_location(text, "export_version"),
                    format!(
                        "it was written by a newer CIBA Desk (export version {v}); update CIBA Desk"
                    ),
                ));
            }
            _ => {}
        }
        if file.profiles.is_empty() {
            return Err(malformed(None, "it contains no [[profiles]]".into()));
        }
        let mut seen = BTreeSet::new();
        for p in &file.profiles {
            let at = key_value_location(text, "name", &p.name);
            if reserved(&p.name) {
                return Err(DeskError::BuiltinProfile {
                    action: "replaced by an import",
                });
            }
            if !seen.insert(p.name.as_str()) {
                return Err(malformed(
                    at,
                    format!("two profiles are named {:?}", p.name),
                ));
            }
            p.validate().map_err(|e| malformed(at, e.to_string()))?;
        }
        let mut report = ImportReport::default();
        for p in file.profiles {
            match self.profiles.iter_mut().find(|e| e.name == p.name) {
                Some(_) if mode == ImportMode::KeepExisting => report.skipped.push(p.name),
                Some(existing) => {
                    report.replaced.push(p.name.clone());
                    *existing = p;
                }
                None => {
                    report.added.push(p.name.clone());
                    self.profiles.push(p);
                }
            }
        }
        Ok(report)
    }
}

// ---------- migrations ----------

type Migration = fn(&mut Table) -> std::result::Result<(), String>;

/// `MIGRATIONS[v]` turns schema `v` into `v + 1`.
const MIGRATIONS: [Migration; SCHEMA_VERSION as usize] = [migrate_v0_to_v1];

fn migrate(table: &mut Table, from: u32) -> std::result::Result<(), String> {
    for v in from..SCHEMA_VERSION {
        MIGRATIONS[v as usize](table)?;
        table.insert("schema_version".into(), Value::Integer(i64::from(v) + 1));
    }
    Ok(())
}

/// Schema 0 (the prototype, no `schema_version`): profiles were `[[providers]]` with `kind`
/// for the provider, `scope` as one space-separated string and `secret_entry` for the keyring
/// entry; `default_profile` was a top-level key.
fn migrate_v0_to_v1(t: &mut Table) -> std::result::Result<(), String> {
    if let Some(p) = t.remove("providers") {
        if t.contains_key("profiles") {
            return Err("both [[providers]] and [[profiles]] are present; keep one".into());
        }
        t.insert("profiles".into(), p);
    }
    if let Some(d) = t.remove("default_profile") {
        let prefs = t
            .entry("preferences")
            .or_insert_with(|| Value::Table(Table::new()));
        match prefs {
            Value::Table(p) => {
                p.insert("default_profile".into(), d);
            }
            _ => return Err("preferences must be a table".into()),
        }
    }
    if let Some(Value::Array(profiles)) = t.get_mut("profiles") {
        for p in profiles.iter_mut() {
            let Value::Table(p) = p else {
                return Err("each profile must be a table".into());
            };
            if let Some(k) = p.remove("kind") {
                p.insert("provider".into(), k);
            }
            if let Some(s) = p.remove("scope") {
                let Value::String(s) = s else {
                    return Err("scope must be a string".into());
                };
                let scopes = s
                    .split_whitespace()
                    .map(|x| Value::String(x.into()))
                    .collect();
                p.insert("scopes".into(), Value::Array(scopes));
            }
            if let Some(e) = p.remove("secret_entry") {
                let mut secret = Table::new();
                secret.insert("entry".into(), e);
                p.insert("secret".into(), Value::Table(secret));
            }
        }
    }
    Ok(())
}

// ---------- secrets in imports ----------

const SECRET_KEYS: [&str; 14] = [
    "client_secret",
    "secret_value",
    "password",
    "passwd",
    "private_key",
    "private_key_pem",
    "pem",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "id_token",
    "bearer",
    "client_assertion",
];

/// The first value in `v` that looks like a secret: by its key name, or by its content (a PEM
/// block, a JWT, a published demo secret written out).
fn find_secret(v: &Value, path: &str) -> Option<(String, &'static str)> {
    match v {
        Value::Table(t) => t.iter().find_map(|(k, v)| {
            let key = k.to_ascii_lowercase().replace('-', "_");
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            let secret_name = SECRET_KEYS.contains(&key.as_str())
                || key.ends_with("_secret")
                || key.ends_with("_password")
                || (key == "secret" && !v.is_table());
            if secret_name {
                return Some((here, "a secret-named key"));
            }
            find_secret(v, &here)
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_secret(v, &format!("{path}[{i}]"))),
        Value::String(s) => {
            if s.contains("-----BEGIN") {
                Some((path.into(), "a PEM key"))
            } else if looks_like_jwt(s) {
                Some((path.into(), "a token"))
            } else if [
                PublicCredential::Sandbox,
                PublicCredential::SignaturgruppenPpDemo,
            ]
            .iter()
            .any(|c| s.trim() == c.value())
            {
                Some((path.into(), "a client secret written out"))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.trim().split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

// ---------- locations ----------

fn location(text: &str, e: &toml::de::Error) -> Option<Location> {
    e.span().map(|s| Location::of_offset(text, s.start))
}

/// Where `key =` first appears at the start of a line.
fn key_location(text: &str, key: &str) -> Option<Location> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let rest = trimmed
            .strip_prefix(key)
            .or_else(|| trimmed.strip_prefix(&format!("\"{key}\"")));
        if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
            return Some(Location::of_offset(
                text,
                offset + (line.len() - trimmed.len()),
            ));
        }
        offset += line.len();
    }
    None
}

/// Where `key = "value"` appears (a profile's `name = "…"`).
fn key_value_location(text: &str, key: &str, value: &str) -> Option<Location> {
    let quoted = toml::Value::String(value.into()).to_string();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && let Some(v) = rest.trim_start().strip_prefix('=')
            && (v.trim() == quoted || v.trim().trim_matches('\'') == value)
        {
            return Some(Location::of_offset(
                text,
                offset + (line.len() - trimmed.len()),
            ));
        }
        offset += line.len();
    }
    None
}

// ---------- the file ----------

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

    /// Reads the settings; no file means defaults (the sandbox alone). Never writes.
    pub fn load(&self) -> Result<Settings> {
        let path = self.path();
        match fs::read_to_string(&path) {
            Ok(text) => Settings::from_toml(&text, &path.display().to_string()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Settings::default()),
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
                let on_disk = Settings::from_toml(&existing, &path.display().to_string())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_settings_still_have_the_sandbox() {
        let s = Settings::from_toml("", "x").unwrap();
        let all = s.profiles();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, SANDBOX_PROFILE);
        assert!(all[0].is_sandbox);
        assert_eq!(s.default_profile().name, SANDBOX_PROFILE);
    }

    #[test]
    fn the_sandbox_cannot_be_removed_or_replaced() {
        let mut s = Settings::default();
        assert_eq!(
            s.remove_profile("sandbox").unwrap_err().code(),
            "builtin_profile"
        );
        let mut p = presets::sandbox();
        p.description = "mine".into();
        assert_eq!(s.upsert_profile(p).unwrap_err().code(), "builtin_profile");
        let text = "schema_version = 1\n[[profiles]]\nname = \"Sandbox\"\nprovider = \"sandbox\"\nissuer = \"http://127.0.0.1:1\"\nclient_id = \"x\"\nauth_method = \"client_secret_basic\"\ninputs = [{ kind = \"email\" }]\nhint = \"login_hint\"\n";
        let e = Settings::from_toml(text, "f").unwrap_err();
        assert!(e.to_string().contains("line 3, column 1"), "{e}");
        assert!(e.to_string().contains("reserved"), "{e}");
    }

    #[test]
    fn sandbox_issuer_can_move() {
        let s = Settings::from_toml(
            "schema_version = 1\n[preferences]\nsandbox_issuer = \"http://127.0.0.1:7879\"\n",
            "x",
        )
        .unwrap();
        assert_eq!(
            s.profile("sandbox").unwrap().issuer,
            "http://127.0.0.1:7879"
        );
    }

    #[test]
    fn newer_files_are_refused() {
        let e = Settings::from_toml("schema_version = 9\n", "f").unwrap_err();
        assert_eq!(e.code(), "settings_too_new");
    }

    #[test]
    fn jwt_and_pem_values_are_secrets() {
        assert!(looks_like_jwt("eyJhbGciOi.eyJzdWIiOi.c2ln"));
        assert!(!looks_like_jwt("https://a.example/x.y"));
        // The PEM header is assembled so that no key-shaped text sits in the source.
        let t: Table = concat!("a = { b = \"-----BEGIN ", "PRIVATE KEY-----\" }")
            .parse()
            .unwrap();
        assert_eq!(
            find_secret(&Value::Table(t), ""),
            Some(("a.b".into(), "a PEM key"))
        );
        let t: Table = "[endpoints]\ntoken = \"https://a.example/token\"\n[secret]\nentry = \"x\""
            .parse()
            .unwrap();
        assert_eq!(find_secret(&Value::Table(t), ""), None);
    }

    #[test]
    fn config_dir_override() {
        let s = SettingsStore::from_env_value(Some("/tmp/desk-x".into())).unwrap();
        assert_eq!(s.path(), Path::new("/tmp/desk-x/settings.toml"));
        // Unset or empty: the platform directory, named after the app.
        if let Ok(s) = SettingsStore::from_env_value(Some("".into())) {
            assert!(
                s.dir().to_string_lossy().contains(APP_NAME),
                "{:?}",
                s.dir()
            );
        }
    }
}
