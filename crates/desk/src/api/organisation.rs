//! Server mode, as the shells see it: the organisation's server, signing in and out. Once a
//! server is set, profiles, verifications and History go through it (see [`crate::org`]).

use std::time::Duration;

use super::App;
use super::views::OrganisationView;
use crate::error::{DeskError, Result};
use crate::org::{self, ServerClient};

impl App {
    pub fn organisation(&self) -> OrganisationView {
        self.org.view()
    }

    /// The view once it differs from version `seen`, or as it is after `within`.
    pub async fn wait_organisation(&self, seen: u64, within: Duration) -> OrganisationView {
        self.org.wait_change(seen, within).await
    }

    /// Sets the organisation's server (`None`: stand alone again). Refused when the policy
    /// names the server.
    pub fn set_server(&self, url: Option<String>) -> Result<OrganisationView> {
        let policy = self.settings().policy().clone();
        if policy.file().is_some_and(|f| f.server_url.is_some()) {
            return Err(policy.refusal("the organisation's server"));
        }
        policy.check_usable()?;
        let url = url
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(u) = &url {
            ServerClient::new(u, Duration::from_secs(1))?;
        }
        let config = self.update_settings(|s| {
            s.preferences.server_url = url;
            Ok(s.organisation())
        })?;
        self.org.configure(config)?;
        Ok(self.org.view())
    }

    /// Signs the agent in through the system browser (or the one `BROWSER` names).
    pub async fn sign_in(&self) -> Result<OrganisationView> {
        if !self.org.is_on() {
            return Err(DeskError::NoServer);
        }
        self.org.sign_in(&org::browser::open).await?;
        Ok(self.org.view())
    }

    pub async fn sign_out(&self) -> Result<OrganisationView> {
        self.org.sign_out().await?;
        Ok(self.org.view())
    }

    /// At start: signs in again, in the background, with the sign-in the keyring keeps (if
    /// any), so a slow provider does not hold the window up. Needs a Tokio runtime.
    pub fn resume_sign_in(&self) {
        let org = self.org.clone();
        tokio::spawn(async move { org.resume().await });
    }

    /// Whether verifications, profiles and History come from the organisation's server.
    pub fn server_mode(&self) -> bool {
        self.org.is_on()
    }
}
