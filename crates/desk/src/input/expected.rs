//! Whom the agent asked for, once validated: the normalised identifier, shown only masked.

use std::fmt;

use identity::{NationalId, mask_email, mask_generic};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::profile::InputKind;

/// Whom the agent asked for, validated and normalised.
#[derive(Clone, PartialEq, Eq)]
pub enum ExpectedIdentity {
    NationalId(NationalId),
    Email(String),
    UserId(String),
    MobileId {
        user_id: String,
        device_id: String,
    },
    /// A hint in the provider's own format (`login_hint`, `login_hint_token`,
    /// `id_token_hint`): sent as given, nothing to compare the answer with.
    ProviderHint {
        /// The hint parameter's name.
        kind: &'static str,
        masked: String,
        /// What the audit log's keyed hash is taken of (empty for tokens).
        normalised: String,
    },
}

impl ExpectedIdentity {
    pub fn kind(&self) -> InputKind {
        match self {
            ExpectedIdentity::NationalId(_) => InputKind::NationalId,
            ExpectedIdentity::Email(_) => InputKind::Email,
            ExpectedIdentity::UserId(_) => InputKind::UserId,
            ExpectedIdentity::MobileId { .. } => InputKind::MobileId,
            ExpectedIdentity::ProviderHint { .. } => InputKind::ProviderHint,
        }
    }

    /// For screens and logs.
    pub fn masked(&self) -> String {
        match self {
            ExpectedIdentity::NationalId(id) => id.masked(),
            ExpectedIdentity::Email(e) => mask_email(e),
            ExpectedIdentity::UserId(u) => mask_generic(u, 4),
            ExpectedIdentity::MobileId { user_id, .. } => {
                format!("MobileID user {}", mask_generic(user_id, 8))
            }
            ExpectedIdentity::ProviderHint { masked, .. } => masked.clone(),
        }
    }

    /// The identifier in one spelling, for keyed hashes only (never shown or stored): the
    /// same person typed differently (spaces, case of an e-mail) must hash the same.
    pub fn normalised(&self) -> String {
        match self {
            ExpectedIdentity::NationalId(id) => id.expose().to_owned(),
            ExpectedIdentity::Email(v) => v.trim().to_ascii_lowercase(),
            ExpectedIdentity::UserId(v) => v.clone(),
            ExpectedIdentity::MobileId { user_id, .. } => user_id.clone(),
            ExpectedIdentity::ProviderHint { normalised, .. } => normalised.clone(),
        }
    }

    pub fn national_id(&self) -> Option<&NationalId> {
        match self {
            ExpectedIdentity::NationalId(id) => Some(id),
            _ => None,
        }
    }
}

impl fmt::Debug for ExpectedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExpectedIdentity({:?}, {})", self.kind(), self.masked())
    }
}

/// `{kind, masked, country?}`: never the full identifier.
impl Serialize for ExpectedIdentity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let country = self.national_id().map(NationalId::country);
        let mut s = serializer.serialize_struct("ExpectedIdentity", 3)?;
        s.serialize_field("kind", &self.kind())?;
        s.serialize_field("masked", &self.masked())?;
        if let Some(c) = country {
            s.serialize_field("country", &c)?;
        } else {
            s.skip_field("country")?;
        }
        s.end()
    }
}
