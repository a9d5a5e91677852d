//! Profiles and presets: what an agent may pick, add, remove, hand on, and the secret each one
//! needs.

use secrets::{SecretError, SecretStore};

use super::App;
use super::views::{PresetSummary, ProfileSummary, SecretStatus};
use crate::error::{DeskError, Result};
use crate::keyring::{Stored, entry_for, store_secret, stored_status};
use crate::presets;
use crate::profile::Profile;
use crate::settings::{ImportMode, ImportReport};

/// A profile to create from a preset; empty fields keep the preset's value.
#[derive(Debug, Clone, Default)]
pub struct NewProfile {
    pub preset: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
}

/// Whether `profile`'s secret is in `keyring`, entered for the profile's destination.
pub async fn secret_status(keyring: Option<&SecretStore>, profile: &Profile) -> SecretStatus {
    if entry_for(profile).is_none() {
        return SecretStatus::NotNeeded;
    }
    let Some(k) = keyring else {
        return SecretStatus::NoKeyring;
    };
    match stored_status(k, profile).await {
        Ok(Stored::NotNeeded) => SecretStatus::NotNeeded,
        Ok(Stored::ForThisDestination) => SecretStatus::Stored,
        Ok(Stored::ForAnotherDestination) => SecretStatus::Outdated,
        Ok(Stored::Missing) | Err(SecretError::InvalidProfile { .. }) => SecretStatus::Missing,
        Err(_) => SecretStatus::NoKeyring,
    }
}

impl NewProfile {
    /// The preset's profile with the agent's name, issuer and client id, ready to save.
    pub fn build(&self) -> Result<Profile> {
        let mut p = presets::preset(&self.preset)
            .ok_or_else(|| DeskError::UnknownPreset(self.preset.clone()))?;
        p.name = self.name.trim().to_owned();
        if !self.issuer.trim().is_empty() {
            p.issuer = normalise_issuer(&self.issuer);
        }
        if !self.client_id.trim().is_empty() {
            p.client_id = self.client_id.trim().to_owned();
        }
        p.check_usable()?;
        Ok(p)
    }
}

/// Issuers are compared exactly with discovery; a trailing `/` typed by hand is not part of
/// the issuer.
pub fn normalise_issuer(issuer: &str) -> String {
    issuer.trim().trim_end_matches('/').to_owned()
}

impl App {
    pub async fn list_profiles(&self) -> Vec<ProfileSummary> {
        let profiles = self.settings().profiles();
        let mut out = Vec::with_capacity(profiles.len());
        for p in &profiles {
            let mut summary = ProfileSummary::new(p, secret_status(self.keyring(), p).await);
            if p.is_sandbox {
                summary.problem = self.sandbox_problem(p).await.map(|e| e.report());
            }
            out.push(summary);
        }
        out
    }

    /// The presets a new profile can start from (the sandbox is always there already).
    pub fn list_presets(&self) -> Vec<PresetSummary> {
        presets::presets()
            .iter()
            .filter(|p| !p.profile.is_sandbox)
            .map(PresetSummary::from)
            .collect()
    }

    pub fn add_profile(&self, new: &NewProfile) -> Result<()> {
        let p = new.build()?;
        self.update_settings(|s| s.add_profile(p))
    }

    pub fn remove_profile(&self, name: &str) -> Result<()> {
        self.update_settings(|s| s.remove_profile(name).map(|_| ()))?;
        self.desk.forget_profile(name);
        Ok(())
    }

    pub fn export_profiles(&self, names: &[&str]) -> Result<String> {
        self.settings().export_profiles(names)
    }

    /// Imports an export file; [`ImportMode::Preview`] changes nothing and says what replacing
    /// would change.
    pub fn import_profiles(&self, toml: &str, mode: ImportMode) -> Result<ImportReport> {
        if mode == ImportMode::Preview {
            return self.settings().import_profiles(toml, mode);
        }
        let report = self.update_settings(|s| s.import_profiles(toml, mode))?;
        for name in report.added.iter().chain(&report.replaced) {
            self.desk.forget_profile(name);
        }
        Ok(report)
    }

    /// Write-only: the secret goes into the keyring and never comes back out of this layer.
    pub async fn set_secret(&self, profile: &str, secret: secrecy::SecretString) -> Result<()> {
        let p = self.profile(profile)?;
        let keyring = self.keyring().ok_or(DeskError::NoKeyring)?;
        store_secret(keyring, &p, secret).await?;
        self.desk.forget_profile(&p.name);
        Ok(())
    }
}
