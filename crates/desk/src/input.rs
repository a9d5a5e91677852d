//! The agent's input becomes a validated request, before any network traffic: the identifier
//! is parsed (national ID check digits, UUIDs, e-mail), the binding message checked against
//! the provider's rules (or a short code generated), and the hint built the provider's way.

use std::fmt;

use ciba::{AuthRequest, Hint};
use identity::{Country, Date, IdWarning, NationalId, mask_email, mask_generic};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::json;

use crate::error::{DeskError, Result};
use crate::profile::{CallInitiator, HintFormat, IdentityInput, InputKind, Profile};

/// What the agent typed.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentInput {
    /// The customer's identifier: a national ID (optionally `se:…`, `no:…`, `dk:…`), an e-mail
    /// address, a user id, or MobileID's `userId:<uuid> deviceId:<uuid>`.
    pub identity: String,
    /// What `identity` is, when the UI knows; otherwise it is recognised.
    #[serde(default)]
    pub kind: Option<InputKind>,
    /// The country of a national ID, when the UI knows.
    #[serde(default)]
    pub country: Option<Country>,
    /// Empty for none (or for a generated code, when the profile wants one).
    #[serde(default)]
    pub binding_message: String,
    /// Who placed the call, for profiles with phone authentication.
    #[serde(default)]
    pub call_initiator: Option<CallInitiator>,
}

impl AgentInput {
    pub fn new(identity: impl Into<String>) -> Self {
        Self {
            identity: identity.into(),
            ..Self::default()
        }
    }

    pub fn binding_message(mut self, m: impl Into<String>) -> Self {
        self.binding_message = m.into();
        self
    }

    pub fn call_initiator(mut self, c: CallInitiator) -> Self {
        self.call_initiator = Some(c);
        self
    }

    pub fn kind(mut self, k: InputKind) -> Self {
        self.kind = Some(k);
        self
    }

    pub fn country(mut self, c: Country) -> Self {
        self.country = Some(c);
        self
    }
}

/// The identifier is personal data: never printed.
impl fmt::Debug for AgentInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentInput")
            .field("identity", &"[redacted]")
            .field("kind", &self.kind)
            .field("country", &self.country)
            .field("binding_message", &self.binding_message)
            .field("call_initiator", &self.call_initiator)
            .finish()
    }
}

/// Whom the agent asked for, validated and normalised.
#[derive(Clone, PartialEq, Eq)]
pub enum ExpectedIdentity {
    NationalId(NationalId),
    Email(String),
    UserId(String),
    MobileId { user_id: String, device_id: String },
}

impl ExpectedIdentity {
    pub fn kind(&self) -> InputKind {
        match self {
            ExpectedIdentity::NationalId(_) => InputKind::NationalId,
            ExpectedIdentity::Email(_) => InputKind::Email,
            ExpectedIdentity::UserId(_) => InputKind::UserId,
            ExpectedIdentity::MobileId { .. } => InputKind::MobileId,
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

/// A request ready to send, and what the agent expects to come back.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub request: AuthRequest,
    pub expected: ExpectedIdentity,
    /// The binding message the customer will see (typed or generated), to show the agent.
    pub binding_message: Option<String>,
    /// Whether `binding_message` was generated because the agent left it empty.
    pub binding_message_generated: bool,
    pub call_initiator: Option<CallInitiator>,
    /// Things the agent should double-check (e.g. a CPR number failing the old modulus-11
    /// check), as sentences.
    pub warnings: Vec<String>,
}

/// Validates `input` for `profile` and builds the request. Nothing is sent.
pub fn prepare(profile: &Profile, input: &AgentInput) -> Result<PreparedRequest> {
    prepare_at(profile, input, Date::today())
}

/// As [`prepare`], with `today` for national ID date checks (reproducible tests).
pub fn prepare_at(profile: &Profile, input: &AgentInput, today: Date) -> Result<PreparedRequest> {
    profile.check_usable()?;
    let expected = parse_identity(profile, input, today)?;
    let warnings = expected
        .national_id()
        .map(|id| id.warnings().iter().map(IdWarning::to_string).collect())
        .unwrap_or_default();

    let binding_message = profile.binding_message.validate(&input.binding_message)?;
    let binding_message_generated =
        binding_message.is_some() && input.binding_message.trim().is_empty();

    let call_initiator = match &profile.phone_auth {
        Some(pa) => Some(
            input
                .call_initiator
                .or(pa.default_call_initiator)
                .ok_or(DeskError::CallInitiatorRequired)?,
        ),
        None => None,
    };

    let hint = build_hint(profile, &expected, binding_message.as_deref())?;
    let mut request = AuthRequest::new(hint).scopes(profile.scopes.iter().cloned());
    if let Some(m) = &binding_message
        && profile.hint != HintFormat::SignaturgruppenLoginHintToken
    {
        request = request.binding_message(m.clone());
    }
    if let Some(acr) = profile.effective_acr_values() {
        request = request.acr_values(acr);
    }
    if let Some(e) = profile.requested_expiry {
        request = request.requested_expiry(e);
    }
    if let Some(ci) = call_initiator {
        request = request
            .authorization_details(json!([{"type": "phoneAuth", "callInitiator": ci.as_str()}]));
    }
    for (k, v) in &profile.extra_params {
        request = request.extra(k.clone(), v.clone())?;
    }
    request.validate()?;
    Ok(PreparedRequest {
        request,
        expected,
        binding_message,
        binding_message_generated,
        call_initiator,
        warnings,
    })
}

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

fn build_hint(
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

fn parse_identity(profile: &Profile, input: &AgentInput, today: Date) -> Result<ExpectedIdentity> {
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
        });
    };
    if raw.is_empty() {
        return Err(DeskError::EmptyInput {
            what: spec.describe(),
        });
    }
    match spec {
        IdentityInput::NationalId { countries } => {
            parse_national_id(raw, input.country, countries, today)
                .map(ExpectedIdentity::NationalId)
        }
        IdentityInput::Email => parse_email(raw).map(ExpectedIdentity::Email),
        IdentityInput::UserId { uuid: true } => {
            parse_uuid(raw, "user id").map(ExpectedIdentity::UserId)
        }
        IdentityInput::UserId { uuid: false } => {
            let problem = if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Some("contains spaces or control characters")
            } else if raw.len() > 256 {
                Some("is longer than 256 characters")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(DeskError::InvalidUserId {
                    what: "user name",
                    problem,
                });
            }
            Ok(ExpectedIdentity::UserId(raw.to_owned()))
        }
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
    let allowed_text = || {
        allowed
            .iter()
            .map(|c| c.id_name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let check = |c: Country| {
        if allowed.contains(&c) {
            Ok(c)
        } else {
            Err(DeskError::CountryNotAllowed {
                country: c,
                allowed: allowed_text(),
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
            candidates: many
                .iter()
                .map(|id| id.country().id_name())
                .collect::<Vec<_>>()
                .join(" or "),
            example: many
                .iter()
                .map(|id| format!("{}:NUMBER", id.country().code()))
                .collect::<Vec<_>>()
                .join(" or "),
        }),
    }
}

fn parse_email(raw: &str) -> Result<String> {
    let ok = raw.len() <= 254
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(raw.rsplit_once('@'), Some((local, domain))
            if !local.is_empty()
                && !local.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(DeskError::InvalidEmail)
    }
}

/// A UUID in its canonical 8-4-4-4-12 form, lowercased.
pub(crate) fn parse_uuid(raw: &str, what: &'static str) -> Result<String> {
    let s = raw.trim();
    let groups: Vec<&str> = s.split('-').collect();
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(DeskError::NotUuid { what })
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
        user_id: parse_uuid(&user, "MobileID user id")?,
        device_id: parse_uuid(&device, "MobileID device id")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;
    use crate::profile::{IdentityInput, Profile};
    use identity::IdentityError;

    fn today() -> Date {
        Date::new(2025, 6, 1).unwrap()
    }

    fn ready(id: &str) -> Profile {
        let mut p = presets::preset(id).unwrap();
        p.issuer = "https://idp.example.com".into();
        p.client_id = "client".into();
        p
    }

    fn form(p: &PreparedRequest) -> String {
        format!("{:?}", p.request)
    }

    #[test]
    fn idura_se_builds_sub_ssn_and_phone_auth() {
        let p = ready("idura_se_bankid");
        let r = prepare_at(
            &p,
            &AgentInput::new("680202-0575")
                .binding_message("Call 1234")
                .call_initiator(CallInitiator::User),
            today(),
        )
        .unwrap();
        match r.request.hint() {
            Hint::LoginHint(h) => assert_eq!(h, "sub:ssn:196802020575"),
            h => panic!("{h:?}"),
        }
        assert_eq!(r.binding_message.as_deref(), Some("Call 1234"));
        assert!(!r.binding_message_generated);
        assert_eq!(r.call_initiator, Some(CallInitiator::User));
        assert!(!form(&r).contains("196802020575"), "Debug leaks the hint");
    }

    #[test]
    fn wrong_check_digit_is_refused() {
        let p = ready("idura_se_bankid");
        let e = prepare_at(
            &p,
            &AgentInput::new("19680202-0576").call_initiator(CallInitiator::Rp),
            today(),
        )
        .unwrap_err();
        assert!(matches!(
            e,
            DeskError::Identity(IdentityError::CheckDigit { .. })
        ));
        assert_eq!(e.field(), Some("identity"));
    }

    #[test]
    fn idura_se_requires_the_call_initiator() {
        let p = ready("idura_se_bankid");
        let e = prepare_at(&p, &AgentInput::new("196802020575"), today()).unwrap_err();
        assert_eq!(e.code(), "call_initiator_required");
    }

    #[test]
    fn norwegian_bankid_forbids_a_binding_message() {
        let p = ready("idura_no_bankid");
        let e = prepare_at(
            &p,
            &AgentInput::new("29100207042").binding_message("hello"),
            today(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "binding_message_forbidden");
        assert!(e.to_string().contains("word pair"), "{e}");
        let ok = prepare_at(&p, &AgentInput::new("29100207042"), today()).unwrap();
        assert_eq!(ok.binding_message, None);
    }

    #[test]
    fn danish_modulus_11_failure_is_a_warning() {
        let p = ready("signaturgruppen_mitid");
        let r = prepare_at(&p, &AgentInput::new("010115-4001"), today()).unwrap();
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].contains("modulus-11"));
        match r.request.hint() {
            Hint::LoginHintToken(t) => {
                let v: serde_json::Value = serde_json::from_str(t).unwrap();
                assert_eq!(v["cpr"], "0101154001");
                assert_eq!(v["idp"], "mitid");
                // A code was generated and travels as the reference text.
                assert_eq!(v["referenceTextBody"].as_str().unwrap().len(), 4);
                assert!(r.binding_message_generated);
            }
            h => panic!("{h:?}"),
        }
    }

    #[test]
    fn mitid_uuid_and_json_escaping() {
        let p = ready("signaturgruppen_mitid");
        let r = prepare_at(
            &p,
            &AgentInput::new("8A9856E0-F12D-4217-B320-C8A076BE9320")
                .binding_message("He said \"hi\" \\ 😉"),
            today(),
        )
        .unwrap();
        let Hint::LoginHintToken(t) = r.request.hint() else {
            panic!()
        };
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        assert_eq!(
            v,
            json!({"idp": "mitid", "uuid": "8a9856e0-f12d-4217-b320-c8a076be9320",
                   "referenceTextBody": "He said \"hi\" \\ 😉"})
        );
        let e = prepare_at(&p, &AgentInput::new("8a9856e0-f12d"), today()).unwrap_err();
        assert_eq!(e.code(), "not_uuid");
    }

    #[test]
    fn signicat_mobileid_accepts_labelled_or_bare_uuids() {
        let p = ready("signicat_mobileid");
        let u = "0e99b25c-abde-4553-973b-8d94d49cd87e";
        let d = "20874199-f4d1-4e9d-86ee-dd4a46030acb";
        for input in [
            format!("userId:{u} deviceId:{d}"),
            format!("deviceId:{d} userId:{u}"),
            format!("{u} {d}"),
            format!("{u}, {d}"),
        ] {
            let r = prepare_at(&p, &AgentInput::new(input.clone()), today()).unwrap();
            match r.request.hint() {
                Hint::LoginHint(h) => assert_eq!(h, &format!("userId:{u} deviceId:{d}")),
                h => panic!("{h:?}"),
            }
        }
        let e = prepare_at(&p, &AgentInput::new(format!("userId:{u}")), today()).unwrap_err();
        assert_eq!(e.code(), "mobileid_input");
        let e = prepare_at(&p, &AgentInput::new(format!("{u} nope")), today()).unwrap_err();
        assert_eq!(e.code(), "not_uuid");
    }

    #[test]
    fn sandbox_recognises_email_and_countries() {
        let p = presets::sandbox();
        let r = prepare_at(&p, &AgentInput::new("alice@example.com"), today()).unwrap();
        assert_eq!(
            r.expected,
            ExpectedIdentity::Email("alice@example.com".into())
        );
        assert_eq!(r.expected.masked(), "a****@example.com");
        // 12 digits can only be Swedish, 11 only Norwegian.
        let r = prepare_at(&p, &AgentInput::new("191212121212"), today()).unwrap();
        assert_eq!(r.expected.national_id().unwrap().country(), Country::Se);
        let r = prepare_at(&p, &AgentInput::new("29100207042"), today()).unwrap();
        assert_eq!(r.expected.national_id().unwrap().country(), Country::No);
        let r = prepare_at(&p, &AgentInput::new("dk:070761-4285"), today()).unwrap();
        assert_eq!(r.expected.national_id().unwrap().country(), Country::Dk);
        let r = prepare_at(
            &p,
            &AgentInput::new("0707614285").country(Country::Dk),
            today(),
        )
        .unwrap();
        assert_eq!(r.expected.national_id().unwrap().expose(), "0707614285");
        // Generated code, since the sandbox wants one.
        assert!(r.binding_message_generated);
        assert_eq!(r.binding_message.unwrap().len(), 4);
    }

    #[test]
    fn ten_digits_valid_in_two_countries_are_ambiguous() {
        let p = presets::sandbox();
        // 121212-1212 passes the Swedish Luhn check and is a valid Danish date.
        let e = prepare_at(&p, &AgentInput::new("121212-1212"), today()).unwrap_err();
        assert_eq!(e.code(), "ambiguous_country");
        assert!(e.to_string().contains("se:NUMBER"), "{e}");
        assert!(!e.to_string().contains("1212121212"));
    }

    #[test]
    fn countries_outside_the_profile_are_refused() {
        let p = ready("idura_se_bankid");
        let e = prepare_at(
            &p,
            &AgentInput::new("no:29100207042").call_initiator(CallInitiator::Rp),
            today(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "country_not_allowed");
    }

    #[test]
    fn kinds_outside_the_profile_are_refused() {
        let p = ready("idura_se_bankid");
        let e = prepare_at(
            &p,
            &AgentInput::new("a@b.se").kind(InputKind::Email),
            today(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "input_kind_not_accepted");
        let e = prepare_at(&presets::sandbox(), &AgentInput::new("  "), today()).unwrap_err();
        assert_eq!(e.code(), "empty_input");
    }

    #[test]
    fn emails_are_checked() {
        for bad in ["a@b", "@b.se", "a b@c.se", "a@.se", "a@b.se."] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
        assert!(parse_email("first.last+tag@shop.example.com").is_ok());
    }

    #[test]
    fn authway_pickup_takes_email_or_user_name() {
        let p = ready("authway_pickup");
        let r = prepare_at(&p, &AgentInput::new("customer@example.com"), today()).unwrap();
        assert_eq!(r.expected.kind(), InputKind::Email);
        let r = prepare_at(&p, &AgentInput::new("customer42"), today()).unwrap();
        assert_eq!(r.expected, ExpectedIdentity::UserId("customer42".into()));
        assert!(matches!(
            p.inputs[..],
            [IdentityInput::Email, IdentityInput::UserId { uuid: false }]
        ));
    }

    #[test]
    fn placeholders_are_refused_before_anything_else() {
        let p = presets::preset("idura_se_bankid").unwrap();
        let e = prepare_at(&p, &AgentInput::new("x"), today()).unwrap_err();
        assert_eq!(e.code(), "profile_placeholder");
    }

    #[test]
    fn debug_and_serialize_never_show_the_identifier() {
        let i = AgentInput::new("191212121212");
        assert!(!format!("{i:?}").contains("1212121212"));
        let r = prepare_at(&presets::sandbox(), &i, today()).unwrap();
        let j = serde_json::to_string(&r.expected).unwrap();
        assert_eq!(
            j,
            r#"{"kind":"national_id","masked":"19121212-XXXX","country":"se"}"#
        );
        assert!(!format!("{r:?}").contains("1212121212"));
    }
}
