//! The customer's identifier in the provider's hint format.

use ciba::Hint;
use identity::Country;
use serde::Serialize;

use super::ExpectedIdentity;
use crate::error::{DeskError, Result};
use crate::profile::{HintFormat, Profile};

/// Signaturgruppen's `login_hint_token`. A struct, so the serializer does the quoting and
/// escaping and the field order is fixed.
#[derive(Serialize)]
struct MitIdHintToken<'a> {
    idp: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpr: Option<&'a str>,
    #[serde(rename = "referenceTextBody", skip_serializing_if = "Option::is_none")]
    reference_text_body: Option<&'a str>,
}

pub(super) fn build_hint(
    profile: &Profile,
    expected: &ExpectedIdentity,
    binding_message: Option<&str>,
) -> Result<Hint> {
    let mismatch = || DeskError::InvalidProfile {
        profile: profile.name.clone(),
        reason: format!(
            "hint {} cannot carry a {}",
            profile.hint.as_str(),
            expected.kind()
        ),
    };
    Ok(match (profile.hint, expected) {
        (HintFormat::LoginHint, ExpectedIdentity::NationalId(id)) => {
            Hint::LoginHint(id.expose().to_owned())
        }
        (HintFormat::LoginHint, ExpectedIdentity::Email(v) | ExpectedIdentity::UserId(v)) => {
            Hint::LoginHint(v.clone())
        }
        (HintFormat::SubSsn, ExpectedIdentity::NationalId(id)) => {
            Hint::LoginHint(format!("sub:ssn:{}", id.expose()))
        }
        (HintFormat::SignaturgruppenLoginHintToken, e) => {
            let (uuid, cpr) = match e {
                ExpectedIdentity::NationalId(id) if id.country() == Country::Dk => {
                    (None, Some(id.expose()))
                }
                ExpectedIdentity::UserId(u) => (Some(u.as_str()), None),
                _ => return Err(mismatch()),
            };
            let token = MitIdHintToken {
                idp: "mitid",
                uuid,
                cpr,
                reference_text_body: binding_message,
            };
            Hint::LoginHintToken(
                serde_json::to_string(&token).expect("a struct of strings serializes"),
            )
        }
        (HintFormat::SignicatMobileid, ExpectedIdentity::MobileId { user_id, device_id }) => {
            Hint::LoginHint(format!("userId:{user_id} deviceId:{device_id}"))
        }
        _ => return Err(mismatch()),
    })
}
