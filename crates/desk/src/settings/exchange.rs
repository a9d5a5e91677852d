//! Profiles travel between computers as export files without secrets; import refuses anything
//! that looks like a secret.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::{Table, Value};
use ts_rs::TS;

use super::locations::{key_location, key_value_location, location};
use super::{EXPORT_VERSION, ExportFile, Settings, reserved};
use crate::error::{DeskError, Result};
use crate::profile::{Profile, PublicCredential};

/// What to do when an imported profile has the name of an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    KeepExisting,
    Replace,
    /// Change nothing; report what `Replace` would do, so a person can look before agreeing.
    Preview,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    /// Kept as they were because a profile of that name exists.
    pub skipped: Vec<String>,
    /// The same as the profile of that name already here.
    pub unchanged: Vec<String>,
    /// What differs, for every replaced or skipped profile.
    pub changes: Vec<ProfileChange>,
}

/// How an imported profile differs from the one of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProfileChange {
    pub name: String,
    pub fields: Vec<FieldChange>,
    /// The issuer, client id or an origin the profile may contact changed: a stored secret is
    /// not sent there until someone enters it again.
    pub destination_changed: bool,
}

/// One setting, by its dotted name in the profile file; `None` where it is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl ProfileChange {
    /// `None` when the two are the same.
    pub fn between(before: &Profile, after: &Profile) -> Option<Self> {
        let mut old = BTreeMap::new();
        let mut new = BTreeMap::new();
        flatten("", &json_of(before), &mut old);
        flatten("", &json_of(after), &mut new);
        let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let fields: Vec<FieldChange> = names
            .into_iter()
            .filter(|n| old.get(*n) != new.get(*n))
            .map(|n| FieldChange {
                field: n.clone(),
                before: old.get(n).cloned(),
                after: new.get(n).cloned(),
            })
            .collect();
        (!fields.is_empty()).then(|| Self {
            name: after.name.clone(),
            fields,
            destination_changed: before.destination_fingerprint()
                != after.destination_fingerprint(),
        })
    }
}

fn json_of(p: &Profile) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_default()
}

/// Tables become dotted names; lists and scalars are one value each, as text.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
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
        if self.policy().profiles_locked() {
            return Err(self.policy().refusal("the list of profiles"));
        }
        if mode == ImportMode::Preview {
            return self.clone().import_profiles(text, ImportMode::Replace);
        }
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
            if self.policy().manages_profile(&p.name) {
                return Err(self.policy().refusal(format!("the profile {:?}", p.name)));
            }
            p.validate_under(self.policy().allowed_origins())
                .map_err(|e| malformed(at, e.to_string()))?;
        }
        let mut report = ImportReport::default();
        for p in file.profiles {
            match self.profiles.iter_mut().find(|e| e.name == p.name) {
                Some(existing) => match ProfileChange::between(existing, &p) {
                    None => report.unchanged.push(p.name),
                    Some(change) => {
                        report.changes.push(change);
                        if mode == ImportMode::KeepExisting {
                            report.skipped.push(p.name);
                        } else {
                            report.replaced.push(p.name.clone());
                            *existing = p;
                        }
                    }
                },
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
