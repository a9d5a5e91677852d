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

mod exchange;
mod locations;
mod migrations;
mod policy;
mod store;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::audit_trail::AuditSettings;
use std::collections::BTreeSet;

use crate::error::{DeskError, Location, Result};
use crate::presets;
use crate::profile::{Profile, SANDBOX_PROFILE};
use locations::{key_location, key_value_location, location};
use migrations::migrate;

pub use exchange::{FieldChange, ImportMode, ImportReport, ProfileChange};
pub use policy::{POLICY_ENV, Policy, PolicyAudit, PolicyFile, SignIn};
pub use store::{SettingsStore, write_atomic};

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
    /// The organisation's CIBA Desk server (server mode), unless the policy names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
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
pub(super) struct ExportFile {
    #[serde(default)]
    export_version: Option<i64>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

/// The preferences and the profiles the user added, under the administrator's policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub preferences: Preferences,
    /// The administrator's audit-log choices (`[audit]`).
    pub audit: AuditSettings,
    profiles: Vec<Profile>,
    migrated_from: Option<u32>,
    /// Not stored here: read from the policy file each time the settings are loaded.
    policy: Policy,
}

pub(super) fn reserved(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case(SANDBOX_PROFILE)
}

impl Settings {
    /// These settings under `policy`.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The organisation's server, when the desk runs in server mode: the policy's, else the
    /// agent's own choice. A broken policy names none (and allows nothing anyway).
    pub fn organisation(&self) -> Option<crate::org::OrgConfig> {
        if let Some(f) = self.policy.file()
            && let Some(url) = &f.server_url
        {
            return Some(crate::org::OrgConfig {
                server_url: url.trim_end_matches('/').to_owned(),
                sign_in: f.sign_in.as_ref().map(|s| crate::org::SignInOffer {
                    issuer: s.issuer.clone(),
                    client_id: s.client_id.clone(),
                    scopes: s.scopes.clone(),
                }),
                from_policy: true,
            });
        }
        self.preferences
            .server_url
            .as_ref()
            .map(|url| crate::org::OrgConfig {
                server_url: url.trim_end_matches('/').to_owned(),
                sign_in: None,
                from_policy: false,
            })
    }

    /// The profiles agents can use: the built-in sandbox (unless the policy leaves it out), the
    /// policy's profiles, then the user's (unless the policy locks profiles; a user profile
    /// with a policy profile's name gives way to it).
    pub fn profiles(&self) -> Vec<Profile> {
        let origins = self.policy.allowed_origins();
        let mut all = vec![];
        if self.policy.sandbox_allowed() {
            all.push(self.sandbox_profile());
        }
        all.extend(
            self.policy
                .profiles()
                .iter()
                .map(|p| p.clone().allowing_origins(origins)),
        );
        if !self.policy.profiles_locked() {
            all.extend(
                self.profiles
                    .iter()
                    .filter(|p| !self.policy.manages_profile(&p.name))
                    .map(|p| p.clone().allowing_origins(origins)),
            );
        }
        all
    }

    /// The audit choices in force: the policy's minimum retention and anchor win over the
    /// settings file's.
    pub fn effective_audit(&self) -> AuditSettings {
        let mut audit = self.audit.clone();
        if let Some(f) = self.policy.file() {
            if let Some(min) = f.audit.min_retention_days {
                audit.min_retention_days = Some(audit.min_retention_days.unwrap_or(0).max(min));
                // Retention shorter than the floor would purge what must be kept.
                audit.retention_days = audit.retention_days.map(|d| d.max(min));
            }
            if let Some(anchor) = &f.audit.anchor {
                audit.anchor = Some(anchor.clone());
            }
        }
        audit
    }

    /// The language the UI starts in: the agent's choice, else the policy's.
    pub fn language(&self) -> Option<String> {
        self.preferences
            .language
            .clone()
            .or_else(|| self.policy.file().and_then(|f| f.language.clone()))
    }

    /// Refuses a change to the profiles when the policy locks them, or when it touches one of
    /// the policy's own profiles.
    fn check_profile_change(&self, name: &str) -> Result<()> {
        if self.policy.profiles_locked() {
            return Err(self.policy.refusal("the list of profiles"));
        }
        if self.policy.manages_profile(name) {
            return Err(self.policy.refusal(format!("the profile {name:?}")));
        }
        Ok(())
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
            return self
                .policy
                .sandbox_allowed()
                .then(|| self.sandbox_profile());
        }
        self.profiles().into_iter().find(|p| p.name == name)
    }

    /// The profile to select at start: the preferred one if it still exists, else the first
    /// there is (the sandbox, unless the policy leaves it out).
    pub fn default_profile(&self) -> Option<Profile> {
        self.preferences
            .default_profile
            .as_deref()
            .and_then(|n| self.profile(n))
            .or_else(|| self.profiles().into_iter().next())
    }

    /// Adds a profile; its name must be new.
    pub fn add_profile(&mut self, profile: Profile) -> Result<()> {
        self.check_profile_change(&profile.name)?;
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
        self.check_profile_change(&profile.name)?;
        profile.validate_under(self.policy.allowed_origins())?;
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
        self.check_profile_change(name)?;
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
        Self::from_toml_under(text, source, Policy::Unmanaged)
    }

    /// Parses a settings file under `policy`, whose allowed origins the file's profiles may
    /// use.
    pub fn from_toml_under(text: &str, source: &str, policy: Policy) -> Result<Self> {
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
            p.validate_under(policy.allowed_origins())
                .map_err(|e| malformed(at, e.to_string()))?;
        }
        Ok(Self {
            preferences: file.preferences,
            audit: file.audit,
            profiles: file.profiles,
            migrated_from,
            policy,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use exchange::{find_secret, looks_like_jwt};
    use std::path::Path;

    #[test]
    fn a_desk_never_reads_a_secret_from_a_file_or_the_environment() {
        for secret in ["{ file = \"/etc/shadow\" }", "{ env = \"HOME\" }"] {
            let text = format!(
                "schema_version = 1\n[[profiles]]\nname = \"x\"\nprovider = \"generic\"\nissuer = \"https://idp.example.com\"\nclient_id = \"c\"\nauth_method = \"client_secret_basic\"\nsecret = {secret}\ninputs = [{{ kind = \"email\" }}]\nhint = \"login_hint\"\n"
            );
            let e = Settings::from_toml(&text, "settings.toml").unwrap_err();
            assert_eq!(e.code(), "settings_malformed", "{e}");
            assert!(e.to_string().contains("OS keyring"), "{e}");
            let mut p = crate::presets::preset("generic").unwrap();
            p.name = "x".into();
            p.issuer = "https://idp.example.com".into();
            p.client_id = "c".into();
            p.secret = Some(crate::profile::SecretRef::Env("HOME".into()));
            assert!(Settings::default().add_profile(p).is_err());
        }
    }

    #[test]
    fn empty_settings_still_have_the_sandbox() {
        let s = Settings::from_toml("", "x").unwrap();
        let all = s.profiles();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, SANDBOX_PROFILE);
        assert!(all[0].is_sandbox);
        assert_eq!(s.default_profile().unwrap().name, SANDBOX_PROFILE);
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
