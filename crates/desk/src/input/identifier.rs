//! What the agent typed becomes an [`ExpectedIdentity`]: which kind of identifier it is (as
//! the profile allows), then the kind's own checks (national ID check digits, UUIDs, e-mail).

use identity::{Country, Date, NationalId};

use super::{AgentInput, ExpectedIdentity};
use crate::error::{DeskError, Result};
use crate::profile::{IdentityInput, InputKind, Profile};

pub(super) fn parse_identity(
    profile: &Profile,
    input: &AgentInput,
    today: Date,
) -> Result<ExpectedIdentity> {
    let raw = input.identity.trim();
    let kind = match input.kind {
        Some(k) => k,
        None => recognise(profile, raw, input.country.is_some()),
    };
    let Some(spec) = profile.accepts(kind) else {
        return Err(DeskError::InputKindNotAccepted {
            given: kind.to_string(),
            accepted: profile
                .inputs
                .iter()
                .map(IdentityInput::describe)
                .collect::<Vec<_>>()
                .join(" or "),
            given_kind: kind.code(),
            accepted_kinds: profile
                .inputs
                .iter()
                .map(|i| i.kind().code())
                .collect::<Vec<_>>()
                .join(","),
        });
    };
    if raw.is_empty() {
        return Err(DeskError::EmptyInput {
            what: spec.describe(),
            kind: spec.kind().code(),
        });
    }
    match spec {
        IdentityInput::NationalId { countries } => {
            parse_national_id(raw, input.country, countries, today)
                .map(ExpectedIdentity::NationalId)
        }
        IdentityInput::Email => identity::parse_email(raw)
            .map(ExpectedIdentity::Email)
            .ok_or(DeskError::InvalidEmail),
        IdentityInput::UserId { uuid: true } => uuid(raw, "user id").map(ExpectedIdentity::UserId),
        IdentityInput::UserId { uuid: false } => match identity::check_user_name(raw) {
            Ok(()) => Ok(ExpectedIdentity::UserId(raw.to_owned())),
            Err(problem) => Err(DeskError::InvalidUserId {
                what: "user name",
                problem: problem.sentence(),
                problem_code: problem.code(),
            }),
        },
        IdentityInput::MobileId => parse_mobileid(raw),
    }
}

/// Which of the profile's inputs `raw` looks like.
fn recognise(profile: &Profile, raw: &str, country_given: bool) -> InputKind {
    let accepted: Vec<InputKind> = profile.inputs.iter().map(IdentityInput::kind).collect();
    if accepted.len() == 1 {
        return accepted[0];
    }
    let has = |k| accepted.contains(&k);
    let tagged = raw
        .split_once(':')
        .is_some_and(|(c, _)| c.trim().parse::<Country>().is_ok());
    let numeric = raw.chars().any(|c| c.is_ascii_digit())
        && raw
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '));
    if has(InputKind::MobileId) && raw.split_whitespace().count() >= 2 {
        InputKind::MobileId
    } else if has(InputKind::Email) && raw.contains('@') {
        InputKind::Email
    } else if has(InputKind::NationalId) && (tagged || numeric || country_given) {
        InputKind::NationalId
    } else if has(InputKind::UserId) {
        InputKind::UserId
    } else {
        accepted[0]
    }
}

fn parse_national_id(
    raw: &str,
    country: Option<Country>,
    allowed: &[Country],
    today: Date,
) -> Result<NationalId> {
    let check = |c: Country| {
        if allowed.contains(&c) {
            Ok(c)
        } else {
            Err(DeskError::CountryNotAllowed {
                country: c,
                allowed: allowed.to_vec(),
            })
        }
    };
    // The tagged form `se:…` names the country itself.
    if let Some((code, number)) = raw.split_once(':') {
        let c = check(code.trim().parse::<Country>()?)?;
        return Ok(NationalId::parse_at(c, number, today)?);
    }
    if let Some(c) = country {
        return Ok(NationalId::parse_at(check(c)?, raw, today)?);
    }
    if let [only] = allowed {
        return Ok(NationalId::parse_at(*only, raw, today)?);
    }
    let results: Vec<(
        Country,
        std::result::Result<NationalId, identity::IdentityError>,
    )> = allowed
        .iter()
        .map(|c| (*c, NationalId::parse_at(*c, raw, today)))
        .collect();
    let ok: Vec<&NationalId> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .collect();
    match ok.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            // Report the country whose rules the input fits best: the first error that is
            // not about the number of digits.
            let err = results
                .iter()
                .filter_map(|(_, r)| r.as_ref().err())
                .find(|e| !matches!(e, identity::IdentityError::WrongLength { .. }))
                .or_else(|| results.iter().find_map(|(_, r)| r.as_ref().err()))
                .cloned()
                .expect("at least one country");
            Err(err.into())
        }
        many => Err(DeskError::AmbiguousCountry {
            candidates: many.iter().map(|id| id.country()).collect(),
        }),
    }
}

/// `userId:<uuid> deviceId:<uuid>` (either order), or two bare UUIDs: user, then device.
fn parse_mobileid(raw: &str) -> Result<ExpectedIdentity> {
    let parts: Vec<&str> = raw
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 2 {
        return Err(DeskError::MobileIdInput);
    }
    let label = |p: &str| -> (Option<String>, String) {
        match p.split_once(':') {
            Some((k, v)) => (Some(k.trim().to_ascii_lowercase()), v.to_owned()),
            None => (None, p.to_owned()),
        }
    };
    let (k0, v0) = label(parts[0]);
    let (k1, v1) = label(parts[1]);
    let (user, device) = match (k0.as_deref(), k1.as_deref()) {
        (None, None) | (Some("userid"), Some("deviceid")) => (v0, v1),
        (Some("deviceid"), Some("userid")) => (v1, v0),
        _ => return Err(DeskError::MobileIdInput),
    };
    Ok(ExpectedIdentity::MobileId {
        user_id: uuid(&user, "MobileID user id")?,
        device_id: uuid(&device, "MobileID device id")?,
    })
}

fn uuid(raw: &str, what: &'static str) -> Result<String> {
    identity::parse_uuid(raw).ok_or(DeskError::NotUuid { what })
}
