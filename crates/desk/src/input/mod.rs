//! The agent's input becomes a validated request, before any network traffic: the identifier
//! is parsed (national ID check digits, UUIDs, e-mail), the binding message checked against
//! the provider's rules (or a short code generated), and the hint built the provider's way.

mod expected;
mod hint;
mod identifier;

use std::fmt;

use ciba::{AuthRequest, Hint, SecretString};
use identity::{Country, Date, mask_generic};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{DeskError, ErrorReport, Result, warning_report};
use crate::profile::{CallInitiator, HintFormat, InputKind, Profile};

pub use expected::ExpectedIdentity;

/// What the agent typed. Serialised only to be kept sealed (the server's row for another
/// instance): it holds the customer's full identifier. A provider hint and a user code are
/// never written.
#[derive(Clone, Default, Serialize, Deserialize)]
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
    /// The case in the caller's own system (a CRM case number), kept with the audit record.
    #[serde(default)]
    pub reference: Option<String>,
    /// A hint in the provider's own format instead of `identity` (scripts only).
    #[serde(skip)]
    pub provider_hint: Option<ProviderHint>,
    /// The `user_code` some providers ask for.
    #[serde(skip)]
    pub user_code: Option<SecretString>,
}

/// A hint passed to the provider as given.
#[derive(Clone)]
pub enum ProviderHint {
    LoginHint(String),
    LoginHintToken(String),
    IdTokenHint(SecretString),
}

impl ProviderHint {
    fn expected(&self) -> ExpectedIdentity {
        match self {
            ProviderHint::LoginHint(h) => ExpectedIdentity::ProviderHint {
                kind: "login_hint",
                masked: mask_generic(h.trim(), 4),
                normalised: h.trim().to_owned(),
            },
            ProviderHint::LoginHintToken(_) => ExpectedIdentity::ProviderHint {
                kind: "login_hint_token",
                masked: "[login_hint_token]".into(),
                normalised: String::new(),
            },
            ProviderHint::IdTokenHint(_) => ExpectedIdentity::ProviderHint {
                kind: "id_token_hint",
                masked: "[id_token_hint]".into(),
                normalised: String::new(),
            },
        }
    }

    fn hint(&self) -> Hint {
        match self {
            ProviderHint::LoginHint(h) => Hint::LoginHint(h.clone()),
            ProviderHint::LoginHintToken(t) => Hint::LoginHintToken(t.clone()),
            ProviderHint::IdTokenHint(t) => Hint::IdTokenHint(t.clone()),
        }
    }
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

    pub fn reference(mut self, r: impl Into<String>) -> Self {
        self.reference = Some(r.into());
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
            .field(
                "provider_hint",
                &self.provider_hint.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
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
    /// The case reference, trimmed (none when empty).
    pub reference: Option<String>,
    /// Things the agent should double-check (e.g. a CPR number failing the old modulus-11
    /// check).
    pub warnings: Vec<ErrorReport>,
}

/// Validates `input` for `profile` and builds the request. Nothing is sent.
pub fn prepare(profile: &Profile, input: &AgentInput) -> Result<PreparedRequest> {
    prepare_at(profile, input, Date::today())
}

/// As [`prepare`], with `today` for national ID date checks (reproducible tests).
pub fn prepare_at(profile: &Profile, input: &AgentInput, today: Date) -> Result<PreparedRequest> {
    profile.check_usable()?;
    let expected = match &input.provider_hint {
        Some(h) => h.expected(),
        None => identifier::parse_identity(profile, input, today)?,
    };
    let warnings = expected
        .national_id()
        .map(|id| id.warnings().iter().map(warning_report).collect())
        .unwrap_or_default();

    let binding_message = profile.binding_message.validate(&input.binding_message)?;
    let reference = check_reference(input.reference.as_deref())?;
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

    let hint = match &input.provider_hint {
        Some(h) => h.hint(),
        None => hint::build_hint(profile, &expected, binding_message.as_deref())?,
    };
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
    } else if let Some(d) = &profile.authorization_details {
        request = request.authorization_details(d.clone());
    }
    if let Some(c) = &input.user_code {
        request = request.user_code(c.clone());
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
        reference,
        warnings,
    })
}

/// The longest case reference taken: a CRM's case numbers are far shorter.
pub const MAX_REFERENCE: usize = 128;

/// A case reference as given, trimmed; none when empty. Refused when longer than
/// [`MAX_REFERENCE`] characters or holding control characters (it is shown and exported).
pub fn check_reference(reference: Option<&str>) -> Result<Option<String>> {
    match reference.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) if r.chars().count() > MAX_REFERENCE || r.chars().any(char::is_control) => {
            Err(DeskError::InvalidReference { max: MAX_REFERENCE })
        }
        Some(r) => Ok(Some(r.to_owned())),
    }
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
        assert_eq!(e.field(), Some(crate::ErrorField::Identity));
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
        assert_eq!(r.warnings[0].code, "cpr_modulus11_failed");
        assert!(r.warnings[0].message.contains("modulus-11"));
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
