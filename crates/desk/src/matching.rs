//! The identity match: whether the person who approved is the one the agent asked for.
//!
//! Every claim the profile maps is put to use. Identifying claims (national identity number,
//! e-mail, the provider's user id or UUID, the device id) name a person; the birth date only
//! corroborates (it is shared by many), and is compared with the date a national identity
//! number encodes (samordningsnummer, D- and H-numbers included). A binding message the
//! provider echoes back must be the one sent. Any contradiction is a mismatch, whatever else
//! agrees; agreement on an identifying claim is a match; agreement on the birth date alone is
//! said as such; nothing comparable stays not comparable.

use identity::{Date, NationalId};
use serde::Serialize;
use ts_rs::TS;

use crate::input::ExpectedIdentity;
use crate::verified::VerifiedIdentity;

/// What was compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MatchBasis {
    NationalId,
    Email,
    /// The provider's own user id (MitID UUID, MobileID user id).
    UserId,
    /// The enrolled device (MobileID).
    DeviceId,
    /// The birth date the provider returned against the one the identity number encodes.
    BirthDate,
    /// The binding message the provider echoed against the one sent.
    BindingMessage,
}

impl MatchBasis {
    /// Whether agreement on this names the person (a birth date or a message does not).
    fn identifies(self) -> bool {
        matches!(
            self,
            MatchBasis::NationalId | MatchBasis::Email | MatchBasis::UserId | MatchBasis::DeviceId
        )
    }
}

/// Whether the person who approved is the one the agent asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum IdentityMatch {
    /// The provider returned the identifier the agent entered, and nothing contradicts it.
    Match { on: MatchBasis },
    /// The person who approved is not the one asked for (or the message they saw was not the
    /// one sent).
    Mismatch { on: MatchBasis },
    /// Nothing identifying could be compared.
    NotComparable { reason: NotComparableReason },
}

/// Why nothing identifying could be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NotComparableReason {
    NoNationalIdReturned,
    NoEmailReturned,
    NoUserIdReturned,
    /// The birth date agrees with the identity number entered, but no identity number came
    /// back: it corroborates, it does not identify.
    BirthDateOnly,
    /// The request named the customer by something the answer does not carry.
    NothingToCompare,
}

impl IdentityMatch {
    pub fn is_mismatch(&self) -> bool {
        matches!(self, IdentityMatch::Mismatch { .. })
    }

    /// The word scripts and screens use: `match`, `mismatch` or `not_comparable`.
    pub fn word(&self) -> &'static str {
        match self {
            IdentityMatch::Match { .. } => "match",
            IdentityMatch::Mismatch { .. } => "mismatch",
            IdentityMatch::NotComparable { .. } => "not_comparable",
        }
    }

    /// A sentence for the agent.
    pub fn summary(&self) -> String {
        use MatchBasis as B;
        use NotComparableReason as R;
        match self {
            IdentityMatch::Match { on } => match on {
                B::NationalId => "The identity number matches the one you entered.",
                B::Email => "The e-mail address matches the one you entered.",
                B::UserId => "The provider's user id matches the one you entered.",
                B::DeviceId => "The device matches the one you entered.",
                B::BirthDate | B::BindingMessage => "The verified identity matches.",
            }
            .into(),
            IdentityMatch::Mismatch { on } => format!(
                "MISMATCH: {}. Do not proceed.",
                match on {
                    B::NationalId =>
                        "the provider returned a different identity number from the one you entered",
                    B::Email => "the provider returned a different e-mail address",
                    B::UserId => "the provider returned a different user id",
                    B::DeviceId => "the request was approved on a different device",
                    B::BirthDate =>
                        "the birth date the provider returned contradicts the identity number you entered",
                    B::BindingMessage =>
                        "the customer was shown a different message from the one you sent",
                }
            ),
            IdentityMatch::NotComparable { reason } => match reason {
                R::NoNationalIdReturned => "The provider returned no identity number to compare; confirm the identity another way.",
                R::NoEmailReturned => "The provider returned no e-mail address to compare; check the result against the order.",
                R::NoUserIdReturned => "The provider returned no user id to compare; confirm the identity another way.",
                R::BirthDateOnly => "The birth date agrees; no identity number was returned. Confirm the identity another way.",
                R::NothingToCompare => "The provider's answer carries nothing to compare with the entered id; the provider itself addressed that user.",
            }
            .into(),
        }
    }
}

/// One comparison between what the agent entered (or sent) and what came back.
struct Check {
    on: MatchBasis,
    agrees: bool,
}

/// Compares what the agent expected (and the binding message sent) with what the provider
/// returned, through every claim the profile maps.
pub fn identity_match(
    expected: &ExpectedIdentity,
    sent_message: Option<&str>,
    identity: &VerifiedIdentity,
) -> IdentityMatch {
    let mut checks: Vec<Check> = vec![];
    let mut compare = |on, agrees: Option<bool>| {
        if let Some(agrees) = agrees {
            checks.push(Check { on, agrees });
        }
    };
    let returned = identity.returned();
    match expected {
        ExpectedIdentity::NationalId(id) => {
            compare(
                MatchBasis::NationalId,
                identity.expose_national_id().map(|r| id.matches_claim(r)),
            );
            compare(
                MatchBasis::BirthDate,
                returned
                    .birth_date
                    .and_then(parse_birth_date)
                    .map(|d| d.agrees_with(id)),
            );
        }
        ExpectedIdentity::Email(e) => compare(
            MatchBasis::Email,
            identity
                .email
                .as_deref()
                .map(|r| r.trim().eq_ignore_ascii_case(e.trim())),
        ),
        ExpectedIdentity::UserId(u) => compare(
            MatchBasis::UserId,
            identity.user_id.as_deref().map(|r| same_id(r, u)),
        ),
        ExpectedIdentity::MobileId { user_id, device_id } => {
            compare(
                MatchBasis::UserId,
                identity.user_id.as_deref().map(|r| same_id(r, user_id)),
            );
            compare(
                MatchBasis::DeviceId,
                returned.device_id.map(|r| same_id(r, device_id)),
            );
        }
        ExpectedIdentity::ProviderHint { .. } => {}
    }
    compare(
        MatchBasis::BindingMessage,
        sent_message
            .zip(returned.binding_message)
            .map(|(sent, echoed)| sent.trim() == echoed.trim()),
    );

    if let Some(c) = checks.iter().find(|c| !c.agrees) {
        return IdentityMatch::Mismatch { on: c.on };
    }
    if let Some(c) = checks.iter().find(|c| c.on.identifies()) {
        return IdentityMatch::Match { on: c.on };
    }
    let reason = if checks.iter().any(|c| c.on == MatchBasis::BirthDate) {
        NotComparableReason::BirthDateOnly
    } else {
        match expected {
            ExpectedIdentity::NationalId(_) => NotComparableReason::NoNationalIdReturned,
            ExpectedIdentity::Email(_) => NotComparableReason::NoEmailReturned,
            ExpectedIdentity::UserId(_) | ExpectedIdentity::MobileId { .. } => {
                NotComparableReason::NoUserIdReturned
            }
            ExpectedIdentity::ProviderHint { .. } => NotComparableReason::NothingToCompare,
        }
    };
    IdentityMatch::NotComparable { reason }
}

/// Provider ids (UUIDs, MobileID ids) compare without regard to case or surrounding space.
fn same_id(returned: &str, entered: &str) -> bool {
    returned.trim().eq_ignore_ascii_case(entered.trim())
}

/// A returned birth date: OpenID Connect's `YYYY-MM-DD`, `0000-MM-DD` (year withheld) or
/// `YYYY` (only the year), or `YYYYMMDD`. Anything else compares with nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BirthDate {
    Full(Date),
    MonthDay(u8, u8),
    Year(i32),
}

impl BirthDate {
    fn agrees_with(self, id: &NationalId) -> bool {
        let encoded = id.birth_date();
        match self {
            BirthDate::Full(d) => d == encoded,
            BirthDate::MonthDay(m, d) => (m, d) == (encoded.month(), encoded.day()),
            BirthDate::Year(y) => y == encoded.year(),
        }
    }
}

fn parse_birth_date(text: &str) -> Option<BirthDate> {
    let t = text.trim();
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = match (t.len(), t.as_bytes().get(4), t.as_bytes().get(7)) {
        (4, ..) => return num(t).map(|y| BirthDate::Year(y as i32)),
        (10, Some(b'-'), Some(b'-')) => (num(&t[0..4])?, num(&t[5..7])?, num(&t[8..10])?),
        (8, ..) => (num(&t[0..4])?, num(&t[4..6])?, num(&t[6..8])?),
        _ => return None,
    };
    if y == 0 {
        // Checked against a leap year, so 29 February stays possible.
        Date::new(2000, m as u8, d as u8)?;
        return Some(BirthDate::MonthDay(m as u8, d as u8));
    }
    Date::new(y as i32, m as u8, d as u8).map(BirthDate::Full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::{preset, sandbox};
    use crate::profile::Profile;
    use identity::Country;
    use serde_json::{Value, json};

    fn returned(profile: &Profile, claims: Value) -> VerifiedIdentity {
        VerifiedIdentity::from_test_claims(profile, claims)
    }

    fn nid(country: Country, number: &str) -> ExpectedIdentity {
        ExpectedIdentity::NationalId(NationalId::parse(country, number).unwrap())
    }

    fn is(m: IdentityMatch, word: &str, detail: &str) {
        let json = serde_json::to_value(&m).unwrap();
        let got = json
            .get("on")
            .or_else(|| json.get("reason"))
            .and_then(Value::as_str)
            .unwrap();
        assert_eq!((m.word(), got), (word, detail), "{m:?}");
    }

    const USER: &str = "5bd3e4a6-1f0c-4a0e-9a5e-6f1f3c2b9d10";
    const DEVICE: &str = "0f0e4bb8-2b8e-4d44-8a5e-3c5a1e2f7a90";

    #[test]
    fn signicat_mobileid_compares_user_device_and_the_echoed_message() {
        let p = preset("signicat_mobileid").unwrap();
        let asked = ExpectedIdentity::MobileId {
            user_id: USER.into(),
            device_id: DEVICE.into(),
        };
        let token = |user: &str, device: &str, message: &str| {
            returned(
                &p,
                json!({"sub": "s", "mobileid_user_id": user, "mobileid_device_id": device,
                       "mobileid_binding_message": message}),
            )
        };
        let sent = Some("Call 4711");
        is(
            identity_match(
                &asked,
                sent,
                &token(&USER.to_uppercase(), DEVICE, "Call 4711"),
            ),
            "match",
            "user_id",
        );
        let someone_else = "9d4c2f7e-0000-4a0e-9a5e-6f1f3c2b9d10";
        is(
            identity_match(&asked, sent, &token(someone_else, DEVICE, "Call 4711")),
            "mismatch",
            "user_id",
        );
        is(
            identity_match(&asked, sent, &token(USER, someone_else, "Call 4711")),
            "mismatch",
            "device_id",
        );
        is(
            identity_match(&asked, sent, &token(USER, DEVICE, "Call 4712")),
            "mismatch",
            "binding_message",
        );
        // No echo: nothing to hold against the message.
        let bare = returned(
            &p,
            json!({"sub": "s", "mobileid_user_id": USER, "mobileid_device_id": DEVICE}),
        );
        is(identity_match(&asked, sent, &bare), "match", "user_id");
        is(
            identity_match(&asked, sent, &returned(&p, json!({"sub": "s"}))),
            "not_comparable",
            "no_user_id_returned",
        );
    }

    #[test]
    fn mitid_compares_the_uuid_and_the_birth_date_a_cpr_encodes() {
        let p = preset("signaturgruppen_mitid").unwrap();
        let asked = ExpectedIdentity::UserId(USER.into());
        let uuid = |u: &str| returned(&p, json!({"sub": "s", "mitid.uuid": u}));
        is(
            identity_match(&asked, None, &uuid(USER)),
            "match",
            "user_id",
        );
        is(
            identity_match(&asked, None, &uuid("11111111-2222-3333-4444-555555555555")),
            "mismatch",
            "user_id",
        );

        // CPR 010190-1234: born 1 January 1990. MitID returns the birth date, not the number.
        let cpr = nid(Country::Dk, "010190-1234");
        let born = |d: &str| returned(&p, json!({"sub": "s", "mitid.date_of_birth": d}));
        is(
            identity_match(&cpr, None, &born("1990-01-01")),
            "not_comparable",
            "birth_date_only",
        );
        is(
            identity_match(&cpr, None, &born("1985-07-23")),
            "mismatch",
            "birth_date",
        );
        // A returned number that agrees, with a birth date that does not: still a mismatch.
        let both = returned(
            &p,
            json!({"sub": "s", "dk.cpr": "0101901234", "mitid.date_of_birth": "1991-01-01"}),
        );
        is(identity_match(&cpr, None, &both), "mismatch", "birth_date");
        let agree = returned(
            &p,
            json!({"sub": "s", "dk.cpr": "0101901234", "mitid.date_of_birth": "1990-01-01"}),
        );
        is(identity_match(&cpr, None, &agree), "match", "national_id");
        // A date the provider writes some other way compares with nothing.
        is(
            identity_match(&cpr, None, &born("01.01.1990")),
            "not_comparable",
            "no_national_id_returned",
        );
    }

    #[test]
    fn birth_dates_are_read_from_every_kind_of_number() {
        let p = sandbox();
        let born = |d: &str| returned(&p, json!({"sub": "s", "birthdate": d}));
        for (country, number, date) in [
            (Country::Se, "19121212-1212", "1912-12-12"),
            // Samordningsnummer: day + 60.
            (Country::Se, "19701063-2391", "1970-10-03"),
            // Norwegian fødselsnummer, D-number (day + 40), H-number (month + 40).
            (Country::No, "01019010046", "1990-01-01"),
            (Country::No, "41019010110", "1990-01-01"),
            (Country::No, "01419010029", "1990-01-01"),
            (Country::Dk, "010190-1234", "1990-01-01"),
        ] {
            let Ok(id) = NationalId::parse(country, number) else {
                panic!("{number} is not a valid {country:?} number in this test");
            };
            let asked = ExpectedIdentity::NationalId(id);
            is(
                identity_match(&asked, None, &born(date)),
                "not_comparable",
                "birth_date_only",
            );
            is(
                identity_match(&asked, None, &born("1950-06-15")),
                "mismatch",
                "birth_date",
            );
            // OpenID's partial dates: year withheld, or the year only.
            is(
                identity_match(&asked, None, &born(&format!("0000{}", &date[4..]))),
                "not_comparable",
                "birth_date_only",
            );
            is(
                identity_match(&asked, None, &born(&date[..4])),
                "not_comparable",
                "birth_date_only",
            );
        }
    }

    #[test]
    fn national_ids_and_emails_still_decide_and_a_contradiction_always_wins() {
        let p = sandbox();
        let se = nid(Country::Se, "19121212-1212");
        let token = |c: Value| returned(&p, c);
        is(
            identity_match(
                &se,
                None,
                &token(json!({"sub": "s", "ssn": "191212121212"})),
            ),
            "match",
            "national_id",
        );
        is(
            identity_match(
                &se,
                None,
                &token(json!({"sub": "s", "ssn": "196802020575"})),
            ),
            "mismatch",
            "national_id",
        );
        is(
            identity_match(&se, None, &token(json!({"sub": "s"}))),
            "not_comparable",
            "no_national_id_returned",
        );
        let email = ExpectedIdentity::Email("Customer@Example.com".into());
        is(
            identity_match(
                &email,
                None,
                &token(json!({"sub": "s", "email": "customer@example.com"})),
            ),
            "match",
            "email",
        );
        is(
            identity_match(
                &email,
                None,
                &token(json!({"sub": "s", "email": "other@example.com"})),
            ),
            "mismatch",
            "email",
        );
        let hint = ExpectedIdentity::ProviderHint {
            kind: "login_hint",
            masked: "x".into(),
            normalised: "x".into(),
        };
        is(
            identity_match(&hint, None, &token(json!({"sub": "s"}))),
            "not_comparable",
            "nothing_to_compare",
        );
    }

    #[test]
    fn birth_dates_in_every_shape_openid_allows() {
        assert_eq!(
            parse_birth_date("1990-01-31"),
            Some(BirthDate::Full(Date::new(1990, 1, 31).unwrap()))
        );
        assert_eq!(
            parse_birth_date("19900131"),
            Some(BirthDate::Full(Date::new(1990, 1, 31).unwrap()))
        );
        assert_eq!(
            parse_birth_date("0000-02-29"),
            Some(BirthDate::MonthDay(2, 29))
        );
        assert_eq!(parse_birth_date("1990"), Some(BirthDate::Year(1990)));
        for bad in [
            "",
            "1990-02-30",
            "31-01-1990",
            "1990-1-31",
            "yesterday",
            "0000-13-01",
        ] {
            assert_eq!(parse_birth_date(bad), None, "{bad}");
        }
    }
}
