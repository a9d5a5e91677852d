//! The verified identity: one shape for every provider, filled from the ID token through the
//! profile's claim mapping; and the identity match, which says whether the person who approved
//! is the one the agent asked for.
//!
//! The full national identity number is only reachable through
//! [`VerifiedIdentity::expose_national_id`]; `Debug` and `Serialize` mask it, in the dedicated
//! field and in the raw claims alike.

use std::fmt;

use ciba::VerifiedIdToken;
use identity::{Country, Date, NationalId, mask_generic};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::profile::{Profile, ProviderKind};

/// Claims that carry national identity numbers at some provider, masked in every output even
/// when a profile's mapping does not name them.
const KNOWN_ID_CLAIMS: [&str; 12] = [
    "ssn",
    "cpr",
    "dk.cpr",
    "mitid.cpr",
    "cprNumberIdentifier",
    "socialno",
    "nin",
    "personal_identity_number",
    "personalIdentityNumber",
    "personnummer",
    "no.fnr",
    "fnr",
];

/// Which provider and profile vouched for the identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderInfo {
    pub kind: ProviderKind,
    pub profile: String,
    pub issuer: String,
}

/// How the customer authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MethodInfo {
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub idp: Option<String>,
}

#[derive(Clone)]
pub struct VerifiedIdentity {
    pub display_name: Option<String>,
    national_id: Option<String>,
    /// `YYYY-MM-DD` when the provider says or the national ID tells.
    pub date_of_birth: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    /// The provider's own user id (MitID UUID, MobileID user id), when mapped.
    pub user_id: Option<String>,
    /// The device that approved (MobileID), when mapped.
    pub device_id: Option<String>,
    /// The ID token's `sub`.
    pub subject: String,
    pub provider: ProviderInfo,
    pub method: MethodInfo,
    /// Unix seconds.
    pub auth_time: Option<u64>,
    pub transaction_id: Option<String>,
    /// From the training sandbox: "Sandbox: not a real identity".
    pub is_sandbox: bool,
    claims: Map<String, Value>,
    /// The birth date as the provider stated it (not derived from a returned number).
    birth_date_claim: Option<String>,
    /// The binding message as the provider says the customer saw it.
    binding_message_echo: Option<String>,
}

/// What the provider returned that only the identity match reads.
pub(crate) struct Returned<'a> {
    pub birth_date: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub binding_message: Option<&'a str>,
}

impl VerifiedIdentity {
    /// Builds the identity from a verified ID token through `profile`'s claim mapping.
    pub fn from_token(profile: &Profile, issuer: &str, token: &VerifiedIdToken) -> Self {
        Self::from_claims(
            profile,
            issuer,
            &token.claims,
            token.standard.auth_time,
            &token.standard.amr,
        )
    }

    fn from_claims(
        profile: &Profile,
        issuer: &str,
        claims: &Map<String, Value>,
        auth_time: Option<u64>,
        amr: &[String],
    ) -> Self {
        let m = &profile.claims;
        let first = |names: &[String]| names.iter().find_map(|n| text(claims.get(n)?));
        let national_id = first(&m.national_id);
        let country = first(&m.country);
        let display_name = first(&m.display_name).or_else(|| {
            let g = text(claims.get("given_name")?)?;
            Some(match claims.get("family_name").and_then(text) {
                Some(f) => format!("{g} {f}"),
                None => g,
            })
        });
        let birth_date_claim = first(&m.date_of_birth);
        let date_of_birth = birth_date_claim.clone().or_else(|| {
            parse_returned_id(national_id.as_deref()?, country.as_deref())
                .map(|id| iso_date(id.birth_date()))
        });
        let auth_time = auth_time.or_else(|| claims.get("auth_time").and_then(lenient_time));
        Self {
            display_name,
            national_id,
            date_of_birth,
            email: first(&m.email),
            country,
            user_id: first(&m.user_id),
            device_id: first(&m.device_id),
            subject: claims.get("sub").and_then(text).unwrap_or_default(),
            provider: ProviderInfo {
                kind: profile.provider,
                profile: profile.name.clone(),
                issuer: issuer.to_owned(),
            },
            method: MethodInfo {
                acr: first(&m.acr),
                amr: amr.to_vec(),
                idp: first(&m.idp),
            },
            auth_time,
            transaction_id: first(&m.transaction_id),
            // A sandbox token is training whatever profile read it.
            is_sandbox: profile.is_sandbox
                || claims.get(sandbox::SANDBOX_CLAIM) == Some(&Value::Bool(true)),
            claims: claims.clone(),
            birth_date_claim,
            binding_message_echo: first(&m.binding_message),
        }
    }

    /// An identity from `claims` as `profile` maps them, for tests of what reads it.
    #[cfg(test)]
    pub(crate) fn from_test_claims(profile: &Profile, claims: Value) -> Self {
        Self::from_claims(
            profile,
            "https://idp.example.com",
            claims.as_object().expect("claims are a JSON object"),
            None,
            &[],
        )
    }

    pub(crate) fn returned(&self) -> Returned<'_> {
        Returned {
            birth_date: self.birth_date_claim.as_deref(),
            device_id: self.device_id.as_deref(),
            binding_message: self.binding_message_echo.as_deref(),
        }
    }

    /// The masked national identity number (`YYYYMMDD-XXXX`), for screens.
    pub fn national_id_masked(&self) -> Option<String> {
        self.national_id
            .as_deref()
            .map(|n| mask_national_id(n, self.country.as_deref()))
    }

    /// The full national identity number the provider returned. Never log or display it.
    pub fn expose_national_id(&self) -> Option<&str> {
        self.national_id.as_deref()
    }

    /// Whether `text` carries the returned national identity number.
    fn carries_national_id(&self, text: &str) -> bool {
        let Some(full) = self.national_id.as_deref() else {
            return false;
        };
        let full: String = full.chars().filter(char::is_ascii_digit).collect();
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        full.len() >= 8 && digits.contains(full.as_str())
    }

    /// The `sub` claim as it may be shown: masked when it is a national identity number (some
    /// providers use the number as the subject), as is.
    pub fn subject_shown(&self) -> String {
        let is_number = self.carries_national_id(&self.subject)
            || parse_returned_id(&self.subject, self.country.as_deref()).is_some();
        if is_number {
            mask_national_id(&self.subject, self.country.as_deref())
        } else {
            self.subject.clone()
        }
    }

    /// The claims with every national identity number masked.
    pub fn claims_redacted(&self) -> Map<String, Value> {
        self.claims
            .iter()
            .map(|(k, v)| {
                let is_id_claim = KNOWN_ID_CLAIMS.contains(&k.as_str());
                let v = match v {
                    Value::String(s) => {
                        if k == "sub" {
                            Value::String(self.subject_shown())
                        } else if is_id_claim || self.carries_national_id(s) {
                            Value::String(mask_national_id(s, self.country.as_deref()))
                        } else {
                            v.clone()
                        }
                    }
                    Value::Number(_) if is_id_claim => Value::String("[redacted]".into()),
                    _ => v.clone(),
                };
                (k.clone(), v)
            })
            .collect()
    }

    /// The one-line label the UI shows above a sandbox result.
    pub fn label(&self) -> Option<&'static str> {
        self.is_sandbox.then_some("Sandbox: not a real identity")
    }
}

impl fmt::Debug for VerifiedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedIdentity")
            .field("display_name", &self.display_name)
            .field("national_id", &self.national_id_masked())
            .field("date_of_birth", &self.date_of_birth)
            .field("subject", &self.subject_shown())
            .field("provider", &self.provider)
            .field("method", &self.method)
            .field("transaction_id", &self.transaction_id)
            .field("is_sandbox", &self.is_sandbox)
            .finish_non_exhaustive()
    }
}

/// For the UI and the command line's JSON: masked national ID, redacted claims.
impl Serialize for VerifiedIdentity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            display_name: &'a Option<String>,
            national_id: Option<String>,
            date_of_birth: &'a Option<String>,
            email: &'a Option<String>,
            country: &'a Option<String>,
            user_id: &'a Option<String>,
            device_id: &'a Option<String>,
            subject: String,
            provider: &'a ProviderInfo,
            method: &'a MethodInfo,
            auth_time: Option<u64>,
            transaction_id: &'a Option<String>,
            is_sandbox: bool,
            label: Option<&'static str>,
            claims: Map<String, Value>,
        }
        Out {
            display_name: &self.display_name,
            national_id: self.national_id_masked(),
            date_of_birth: &self.date_of_birth,
            email: &self.email,
            country: &self.country,
            user_id: &self.user_id,
            device_id: &self.device_id,
            subject: self.subject_shown(),
            provider: &self.provider,
            method: &self.method,
            auth_time: self.auth_time,
            transaction_id: &self.transaction_id,
            is_sandbox: self.is_sandbox,
            label: self.label(),
            claims: self.claims_redacted(),
        }
        .serialize(serializer)
    }
}

pub use crate::matching::{IdentityMatch, MatchBasis, NotComparableReason, identity_match};

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn parse_returned_id(value: &str, country: Option<&str>) -> Option<NationalId> {
    let hinted: Option<Country> = country.and_then(|c| c.parse().ok());
    hinted
        .into_iter()
        .chain(Country::ALL)
        .find_map(|c| NationalId::parse(c, value).ok())
}

fn mask_national_id(value: &str, country: Option<&str>) -> String {
    match parse_returned_id(value, country) {
        Some(id) => id.masked(),
        None => mask_generic(value, 6),
    }
}

/// Unix seconds from a number, a numeric string, or an RFC 3339 date-time
/// (`2022-06-19T06:12:37.222Z`, as Signicat's example shows).
pub(crate) fn lenient_time(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| rfc3339(s))
        }
        _ => None,
    }
}

fn rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let date = Date::new(y as i32, mo as u8, d as u8)?;
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let oh: i64 = o[1..3].parse().ok()?;
            let om: i64 = o[4..6].parse().ok()?;
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(date.year() as i64, date.month() as i64, date.day() as i64);
    let t = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    u64::try_from(t).ok()
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;
    use serde_json::json;

    fn build(profile: &Profile, claims: Value) -> VerifiedIdentity {
        VerifiedIdentity::from_test_claims(profile, claims)
    }

    #[test]
    fn idura_claims_normalise_and_mask() {
        let p = presets::preset("idura_se_bankid").unwrap();
        let v = build(
            &p,
            json!({"sub": "{bb9c}", "ssn": "196802020575", "name": "Terne Paulsen",
                   "given_name": "Terne", "family_name": "Paulsen", "country": "SE",
                   "identityscheme": "sebankid", "authenticationtype": "urn:grn:authn:se:bankid"}),
        );
        assert_eq!(v.display_name.as_deref(), Some("Terne Paulsen"));
        assert_eq!(v.national_id_masked().as_deref(), Some("19680202-XXXX"));
        assert_eq!(v.expose_national_id(), Some("196802020575"));
        assert_eq!(v.date_of_birth.as_deref(), Some("1968-02-02"));
        assert_eq!(v.method.acr.as_deref(), Some("urn:grn:authn:se:bankid"));
        assert_eq!(v.method.idp.as_deref(), Some("sebankid"));
        let j = serde_json::to_string(&v).unwrap();
        assert!(!j.contains("196802020575"), "{j}");
        assert!(!j.contains("0575"), "{j}");
        assert!(j.contains("19680202-XXXX"));
        assert!(!format!("{v:?}").contains("0575"));
    }

    #[test]
    fn the_same_number_under_another_claim_name_is_masked_too() {
        let p = presets::sandbox();
        let v = build(
            &p,
            json!({"sub": "s", "ssn": "191212121212", "custom_pnr": "19121212-1212"}),
        );
        let j = serde_json::to_string(&v).unwrap();
        assert!(
            !j.contains("1212-1212") && !j.contains("121212121212"),
            "{j}"
        );
    }

    #[test]
    fn a_subject_that_is_the_national_id_is_masked_everywhere() {
        let p = presets::sandbox();
        // The same number as the ID claim, and a number with no ID claim beside it.
        for claims in [
            json!({"sub": "191212121212", "ssn": "191212121212"}),
            json!({"sub": "19121212-1212"}),
        ] {
            let v = build(&p, claims);
            assert_eq!(v.subject_shown(), "19121212-XXXX");
            let j = serde_json::to_string(&v).unwrap();
            assert!(!j.contains("1212121212") && !j.contains("1212-1212"), "{j}");
            assert!(!format!("{v:?}").contains("1212-1212"));
        }
        // An opaque subject is shown as it is.
        assert_eq!(build(&p, json!({"sub": "sbx-1"})).subject_shown(), "sbx-1");
    }

    #[test]
    fn name_falls_back_to_given_and_family() {
        let v = build(
            &presets::sandbox(),
            json!({"sub": "s", "given_name": "Kari", "family_name": "Nordmann"}),
        );
        assert_eq!(v.display_name.as_deref(), Some("Kari Nordmann"));
    }

    #[test]
    fn lenient_times() {
        assert_eq!(lenient_time(&json!(17)), Some(17));
        assert_eq!(lenient_time(&json!("1716374501")), Some(1_716_374_501));
        assert_eq!(lenient_time(&json!("1970-01-02T00:00:00Z")), Some(86_400));
        assert_eq!(
            lenient_time(&json!("2022-06-19T06:12:37.222Z")),
            Some(1_655_619_157)
        );
        assert_eq!(
            lenient_time(&json!("2022-06-19T08:12:37+02:00")),
            Some(1_655_619_157)
        );
        assert_eq!(lenient_time(&json!("yesterday")), None);
    }

    #[test]
    fn sandbox_results_are_labelled() {
        let v = build(&presets::sandbox(), json!({"sub": "s"}));
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["is_sandbox"], true);
        assert_eq!(j["label"], "Sandbox: not a real identity");
    }
}
