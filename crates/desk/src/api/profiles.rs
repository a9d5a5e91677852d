//! Profiles and presets: what an agent may pick, add, remove, hand on, and the secret each one
//! needs.

use secrets::{SecretError, SecretStore};

use super::App;
use super::views::{PolicyView, PresetSummary, ProfileSummary, SecretStatus};
use crate::error::{DeskError, Result};
use crate::keyring::{SecretPart, Stored, part_entry, store_secret, stored_status};
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
    /// Empty: the preset's title.
    pub title: String,
}

/// What Settings may change in a profile; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, serde::Deserialize, ts_rs::TS)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileEdit {
    /// Empty: back to the preset's title.
    pub title: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub description: Option<String>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt`, `tls_client_auth` or
    /// `self_signed_tls_client_auth`.
    pub auth_method: Option<String>,
    /// For `private_key_jwt`: the `kid` in client assertions (for mutual TLS: in signed
    /// requests); empty removes it.
    pub key_id: Option<String>,
    /// Seconds the provider should wait for the customer; 0 removes it.
    pub requested_expiry: Option<u32>,
    /// For `private_key_jwt` and mutual TLS: every request signed (CIBA's signed
    /// authentication request).
    pub signed_requests: Option<bool>,
    /// For `private_key_jwt` and mutual TLS: the FAPI-CIBA rules.
    pub fapi: Option<bool>,
    /// PEM certificates of the provider's own certificate authority; empty removes them.
    pub ca_certificates: Option<String>,
}

impl ProfileEdit {
    /// `profile` with the changes, checked as before any verification.
    pub fn apply(&self, profile: &Profile) -> Result<Profile> {
        let mut p = profile.clone();
        if let Some(t) = &self.title {
            let t = t.trim();
            p.title = (!t.is_empty()).then(|| t.to_owned());
        }
        if let Some(i) = &self.issuer {
            p.issuer = normalise_issuer(i);
        }
        if let Some(c) = &self.client_id {
            p.client_id = c.trim().to_owned();
        }
        if let Some(d) = &self.description {
            p.description = d.trim().to_owned();
        }
        if let Some(m) = &self.auth_method {
            p.auth_method = m.trim().parse().map_err(DeskError::Ciba)?;
        }
        if let Some(k) = &self.key_id {
            let k = k.trim();
            p.key_id = (!k.is_empty()).then(|| k.to_owned());
        }
        if let Some(e) = self.requested_expiry {
            p.requested_expiry = (e > 0).then_some(e);
        }
        if let Some(on) = self.signed_requests {
            p.signed_requests = on;
        }
        if let Some(on) = self.fapi {
            p.fapi = on;
        }
        if let Some(pem) = &self.ca_certificates {
            let pem = pem.trim();
            p.ca_certificates = (!pem.is_empty()).then(|| format!("{pem}\n"));
        }
        p.check_usable()?;
        Ok(p)
    }
}

/// Whether `part` of `profile`'s secrets is in `keyring`, entered for the profile's
/// destination.
pub async fn secret_status(
    keyring: Option<&SecretStore>,
    profile: &Profile,
    part: SecretPart,
) -> SecretStatus {
    if part_entry(profile, part).is_none() {
        return SecretStatus::NotNeeded;
    }
    let Some(k) = keyring else {
        return SecretStatus::NoKeyring;
    };
    match stored_status(k, profile, part).await {
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
        if !self.title.trim().is_empty() {
            p.title = Some(self.title.trim().to_owned());
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
    /// The profiles the agent can verify with: in server mode the organisation's (none while
    /// signed out), else this computer's.
    pub async fn list_profiles(&self) -> Vec<ProfileSummary> {
        if self.org.is_on() {
            return self.org.profiles();
        }
        let profiles = self.settings().profiles();
        let mut out = Vec::with_capacity(profiles.len());
        for p in &profiles {
            let mut summary = self.summary(p).await;
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

    /// Changes a profile in place. A change of issuer, client id or address leaves its stored
    /// secret unused until it is entered again (see [`crate::keyring`]).
    pub async fn edit_profile(&self, name: &str, edit: &ProfileEdit) -> Result<ProfileSummary> {
        let current = self.profile(name)?;
        let edited = edit.apply(&current)?;
        self.update_settings(|s| s.upsert_profile(edited.clone()))?;
        self.desk.forget_profile(name);
        Ok(self.summary(&edited).await)
    }

    pub fn remove_profile(&self, name: &str) -> Result<()> {
        self.update_settings(|s| s.remove_profile(name).map(|_| ()))?;
        self.desk.forget_profile(name);
        Ok(())
    }

    pub fn export_profiles(&self, names: &[&str]) -> Result<String> {
        self.settings().export_profiles(names)
    }

    /// Writes every user profile to the file the agent chose, whole or not at all and readable
    /// by this account only (the file names the organisation's providers and clients).
    pub fn export_profiles_to(&self, path: &std::path::Path) -> Result<()> {
        let text = self.export_profiles(&[])?;
        crate::settings::write_atomic(path, text.as_bytes()).map_err(|e| DeskError::Io {
            action: "write",
            path: path.display().to_string(),
            reason: e.to_string(),
        })
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

    /// What the administrator's policy decides here.
    pub fn policy(&self) -> PolicyView {
        PolicyView::of(self.settings().policy())
    }

    /// What Settings shows of `p`, with where its secrets are.
    async fn summary(&self, p: &Profile) -> ProfileSummary {
        let mut summary = ProfileSummary::new(
            p,
            secret_status(self.keyring(), p, SecretPart::Credential).await,
        );
        summary.request_key_status =
            secret_status(self.keyring(), p, SecretPart::RequestSigningKey).await;
        summary.managed = self.settings().policy().manages_profile(&p.name);
        summary
    }

    /// Write-only: the secret goes into the keyring and never comes back out of this layer.
    pub async fn set_secret(
        &self,
        profile: &str,
        part: SecretPart,
        secret: secrecy::SecretString,
    ) -> Result<()> {
        let p = self.profile(profile)?;
        let keyring = self.keyring().ok_or(DeskError::NoKeyring)?;
        store_secret(keyring, &p, part, secret).await?;
        self.desk.forget_profile(&p.name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AppOptions;
    use crate::settings::{Settings, SettingsStore};

    fn app_with_bank(dir: &std::path::Path) -> App {
        let mut settings = Settings::default();
        let mut bank = presets::preset("idura_se_bankid").unwrap();
        bank.name = "bank".into();
        settings.add_profile(bank).unwrap();
        App::new(AppOptions::new(SettingsStore::in_dir(dir), settings))
    }

    #[test]
    fn an_export_replaces_the_chosen_file_whole_and_only_this_account_can_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_bank(dir.path());
        let file = dir.path().join("profiles.toml");
        std::fs::write(
            &file,
            "an older export, much longer than the new one ".repeat(100),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        app.export_profiles_to(&file).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains("name = \"bank\"") && !text.contains("older export"),
            "{text}"
        );
        assert!(
            !text.contains("name = \"sandbox\""),
            "every installation has the sandbox"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn an_export_to_a_folder_that_is_gone_says_where_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_with_bank(dir.path());
        let file = dir.path().join("gone").join("profiles.toml");
        let e = app.export_profiles_to(&file).unwrap_err();
        assert_eq!(e.code(), "io_error");
        assert!(
            e.to_string().contains("could not write") && e.to_string().contains("gone"),
            "{e}"
        );
        assert!(!dir.path().join("gone").exists());
    }
}
