//! The small provider hooks a profile can carry: the call initiator (Idura's phone
//! authentication), Signicat's ACR parts, the customer link, endpoint overrides, the claim
//! mapping.

use serde::{Deserialize, Serialize};

/// Who placed the phone call (Idura's Swedish BankID `phoneAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
pub enum CallInitiator {
    /// The bank (relying party) called the customer.
    #[serde(rename = "rp")]
    Rp,
    /// The customer called the bank.
    #[serde(rename = "user")]
    User,
}

/// `rp` or `user`; settings files written before accept Idura's spelling `RP` too.
impl<'de> Deserialize<'de> for CallInitiator {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        match word.as_str() {
            "rp" | "RP" => Ok(CallInitiator::Rp),
            "user" => Ok(CallInitiator::User),
            other => Err(serde::de::Error::unknown_variant(other, &["rp", "user"])),
        }
    }
}

impl CallInitiator {
    pub fn as_str(self) -> &'static str {
        match self {
            CallInitiator::Rp => "RP",
            CallInitiator::User => "user",
        }
    }
}

/// Idura Swedish BankID phone authentication: `authorization_details=[{"type":"phoneAuth",
/// "callInitiator":…}]`. With no default the agent must choose for every call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneAuth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_call_initiator: Option<CallInitiator>,
}

/// Signicat MobileID's optional `acr_values` parts, appended to the profile's `acr_values`
/// (which carries the required `idp:mobileid`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignicatAcr {
    /// e.g. `TWO_FACTOR`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_level: Option<String>,
    /// e.g. `DEVICE_PIN`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_push: Option<bool>,
}

/// A link the customer opens to answer (Authway in-store pickup), optionally as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerLink {
    /// With `{issuer}` and `{auth_req_id}`.
    pub template: String,
    #[serde(default)]
    pub qr_code: bool,
}

/// Endpoints that replace what discovery says, for providers with partial metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_authentication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
}

/// Which ID token claims fill which field of the normalised identity. Each list is tried in
/// order; the first claim present wins. Keys are flat claim names (`mitid.identity_name` is one
/// claim whose name contains a dot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimMapping {
    pub display_name: Vec<String>,
    /// The national identity number the provider returns; compared with what the agent typed.
    pub national_id: Vec<String>,
    pub date_of_birth: Vec<String>,
    pub email: Vec<String>,
    pub country: Vec<String>,
    pub user_id: Vec<String>,
    /// The device that approved (MobileID's enrolled device), compared with the one entered.
    pub device_id: Vec<String>,
    /// The binding message as the provider echoes it back; must be the one sent.
    pub binding_message: Vec<String>,
    pub transaction_id: Vec<String>,
    pub acr: Vec<String>,
    pub idp: Vec<String>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for ClaimMapping {
    /// The OpenID Connect standard claims.
    fn default() -> Self {
        Self {
            display_name: names(&["name"]),
            national_id: vec![],
            date_of_birth: names(&["birthdate"]),
            email: names(&["email"]),
            country: vec![],
            user_id: vec![],
            device_id: vec![],
            binding_message: vec![],
            transaction_id: vec![],
            acr: names(&["acr"]),
            idp: names(&["idp"]),
        }
    }
}
