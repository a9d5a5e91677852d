//! Profiles travel between computers as export files without secrets; import refuses anything
//! that looks like a secret.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use super::locations::{key_location, key_value_location, location};
use super::{EXPORT_VERSION, ExportFile, Settings, reserved};
use crate::error::{DeskError, Result};
use crate::profile::{Profile, PublicCredential};

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

impl Settings {
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
            p.validate()
                .and_then(|()| p.check_desk_secret())
                .map_err(|e| malformed(at, e.to_string()))?;
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
pub(super) fn find_secret(v: &Value, path: &str) -> Option<(String, &'static str)> {
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

pub(super) fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.trim().split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}
