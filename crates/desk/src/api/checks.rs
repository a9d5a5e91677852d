//! Live checks of the agent's form, field by field, before anything is sent.

use identity::MessageRequirement;

use super::App;
use super::views::{BindingMessageCheck, IdentityCheck};
use crate::error::{DeskError, ErrorField, Result};
use crate::input::{AgentInput, prepare};
use crate::profile::{CallInitiator, Profile};

impl App {
    /// The profile the form is checked against: in server mode, the rules the server's
    /// profile shows.
    fn checking_profile(&self, name: &str) -> Result<Profile> {
        if !self.org.is_on() {
            return self.profile(name);
        }
        self.org
            .profiles()
            .iter()
            .find(|p| p.name == name)
            .map(crate::org::checking_profile)
            .ok_or_else(|| DeskError::UnknownProfile(name.to_owned()))
    }

    /// Judges the identity field alone: the binding message and the call initiator have
    /// their own checks, so valid stand-ins are used for them here.
    pub fn check_identity(&self, profile: &str, input: &str) -> Result<IdentityCheck> {
        let p = self.checking_profile(profile)?;
        let stand_in = match p.binding_message.requirement {
            MessageRequirement::Forbidden { .. } => String::new(),
            _ => identity::generate_code(),
        };
        let agent = AgentInput::new(input)
            .binding_message(stand_in)
            .call_initiator(CallInitiator::User);
        Ok(match prepare(&p, &agent) {
            Ok(prepared) => IdentityCheck {
                ok: true,
                kind: prepared.expected.national_id().map(|n| n.kind()),
                masked: Some(prepared.expected.masked()),
                warnings: prepared.warnings,
                error: None,
            },
            // Errors of other fields cannot come from the stand-ins; a profile error (no
            // field) is the identity check's business too, since nothing can start.
            Err(e) if matches!(e.field(), Some(ErrorField::Identity) | None) => IdentityCheck {
                ok: false,
                kind: None,
                masked: None,
                warnings: vec![],
                error: Some(e.report()),
            },
            Err(_) => IdentityCheck {
                ok: true,
                kind: None,
                masked: None,
                warnings: vec![],
                error: None,
            },
        })
    }

    pub fn check_binding_message(
        &self,
        profile: &str,
        message: &str,
    ) -> Result<BindingMessageCheck> {
        let p = self.checking_profile(profile)?;
        let chars = message.trim().chars().count();
        Ok(match p.binding_message.validate(message) {
            Ok(_) => BindingMessageCheck {
                ok: true,
                error: None,
                chars,
            },
            Err(e) => BindingMessageCheck {
                ok: false,
                error: Some(crate::DeskError::from(e).report()),
                chars,
            },
        })
    }
}
