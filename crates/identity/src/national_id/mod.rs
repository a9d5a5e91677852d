//! Nordic national identity numbers, validated and normalised.

/// The helpers every country's tests use, over that country's `parse`: a fixed `today`, and
/// parsing that must succeed or must fail. Defined before the country modules so they see it.
#[cfg(test)]
macro_rules! parse_test_helpers {
    () => {
        fn today() -> Date {
            Date::new(2025, 6, 1).unwrap()
        }

        fn parse_ok(input: &str) -> Parsed {
            parse(input, today()).unwrap_or_else(|error| panic!("{input}: {error}"))
        }

        fn parse_err(input: &str) -> IdentityError {
            match parse(input, today()) {
                Ok(parsed) => panic!("{input} accepted as {}", parsed.normalized),
                Err(error) => error,
            }
        }
    };
}

mod country;
mod denmark;
mod digits;
mod norway;
mod sweden;

use std::fmt;
use std::str::FromStr;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub use country::Country;

use crate::date::Date;
use crate::error::IdentityError;

/// Which kind of number, within its country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// Swedish personal identity number.
    Personnummer,
    /// Swedish coordination number: day of birth + 60.
    Samordningsnummer,
    /// Norwegian birth number.
    Fodselsnummer,
    /// Norwegian D-number: day of birth + 40.
    DNumber,
    /// Norwegian H-number (health services): month of birth + 40.
    HNumber,
    /// Danish CPR number.
    Cpr,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::Personnummer => "personnummer",
            IdKind::Samordningsnummer => "samordningsnummer",
            IdKind::Fodselsnummer => "fødselsnummer",
            IdKind::DNumber => "D-number",
            IdKind::HNumber => "H-number",
            IdKind::Cpr => "CPR number",
        })
    }
}

/// Something the agent should double-check although the number was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdWarning {
    /// Danish number failing the modulus-11 check, which CPR numbers issued
    /// since 2007 are not guaranteed to pass.
    CprModulus11Failed,
    /// Norwegian number valid only under the check-digit rule introduced for
    /// numbers issued from 2032, whose individual number no longer encodes the
    /// century: the birth year is the latest one that is not in the future.
    BirthYearUncertain,
}

impl fmt::Display for IdWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdWarning::CprModulus11Failed => {
                "this CPR number fails the old modulus-11 check; that is normal for numbers issued since 2007, but read the digits back to the caller"
            }
            IdWarning::BirthYearUncertain => {
                "this number uses the check-digit rule for numbers issued from 2032, which does not tell the century; confirm the birth year with the caller"
            }
        })
    }
}

/// What a country parser found; [`NationalId`] adds the country.
struct Parsed {
    normalized: String,
    birth_date: Date,
    kind: IdKind,
    warnings: Vec<IdWarning>,
}

/// A validated national identity number.
///
/// The full number is sensitive personal data, so `Display`, `Debug` and
/// `Serialize` only ever show the [masked](Self::masked) form; the number
/// itself is available through [`expose`](Self::expose) alone, which makes
/// every place that handles it greppable.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NationalId {
    country: Country,
    normalized: String,
    birth_date: Date,
    kind: IdKind,
    warnings: Vec<IdWarning>,
}

impl NationalId {
    /// Parses relative to [`Date::today`]; see [`parse_at`](Self::parse_at).
    pub fn parse(country: Country, input: &str) -> Result<Self, IdentityError> {
        Self::parse_at(country, input, Date::today())
    }

    /// Validates `input` as a number from `country`, on the day `today`.
    ///
    /// `today` picks the century of 10-digit Swedish numbers and of Norwegian
    /// numbers issued under the 2032 rule, and rejects birth dates after it.
    pub fn parse_at(country: Country, input: &str, today: Date) -> Result<Self, IdentityError> {
        let parsed = match country {
            Country::Se => sweden::parse(input, today),
            Country::No => norway::parse(input, today),
            Country::Dk => denmark::parse(input, today),
        }?;
        Ok(Self {
            country,
            normalized: parsed.normalized,
            birth_date: parsed.birth_date,
            kind: parsed.kind,
            warnings: parsed.warnings,
        })
    }

    /// Parses the command-line form `se:…`, `no:…` or `dk:…`.
    pub fn parse_tagged(input: &str) -> Result<Self, IdentityError> {
        Self::parse_tagged_at(input, Date::today())
    }

    pub fn parse_tagged_at(input: &str, today: Date) -> Result<Self, IdentityError> {
        let (code, number) = input
            .trim()
            .split_once(':')
            .ok_or(IdentityError::MissingCountry)?;
        Self::parse_at(code.parse()?, number, today)
    }

    pub fn country(&self) -> Country {
        self.country
    }

    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// The real birth date, with samordningsnummer, D- and H-number offsets
    /// removed.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    pub fn warnings(&self) -> &[IdWarning] {
        &self.warnings
    }

    /// The full normalised number, for the login hint sent to the provider:
    /// 12 digits `YYYYMMDDNNNC` (SE), 11 digits (NO), 10 digits (DK).
    ///
    /// Never log or display this; use [`masked`](Self::masked) or `Display`.
    pub fn expose(&self) -> &str {
        &self.normalized
    }

    /// The date part as written in the number, the rest replaced by `X`:
    /// `19121212-XXXX` (SE), `010190-XXXXX` (NO), `070761-XXXX` (DK).
    ///
    /// Offsets stay as written (a samordningsnummer shows day + 60), so the
    /// agent sees the same digits the caller reads out.
    pub fn masked(&self) -> String {
        let (date_digits, hidden) = match self.country {
            Country::Se => (8, "XXXX"),
            Country::No => (6, "XXXXX"),
            Country::Dk => (6, "XXXX"),
        };
        format!("{}-{hidden}", &self.normalized[..date_digits])
    }

    /// Completed years on `today`; `None` if `today` is before the birth date.
    pub fn age_on(&self, today: Date) -> Option<u32> {
        self.birth_date.whole_years_until(today)
    }

    /// Whether an identity claim from the provider (for example `ssn` in the
    /// ID token) is this same number once both are normalised. A claim that
    /// is not a valid number of this country never matches.
    pub fn matches_claim(&self, claim: &str) -> bool {
        self.matches_claim_at(claim, Date::today())
    }

    /// As [`matches_claim`](Self::matches_claim); `today` only matters for
    /// 10-digit Swedish claims, whose century it decides.
    pub fn matches_claim_at(&self, claim: &str, today: Date) -> bool {
        Self::parse_at(self.country, claim, today)
            .is_ok_and(|claimed| claimed.normalized == self.normalized)
    }
}

/// Checks that `year-month-day` exists and is not after `today`.
fn checked_birth_date(
    country: Country,
    year: i32,
    month: u8,
    day: u8,
    today: Date,
) -> Result<Date, IdentityError> {
    let date = Date::new(year, month, day).ok_or(IdentityError::ImpossibleDate {
        country,
        year,
        month,
        day,
    })?;
    if date > today {
        return Err(IdentityError::BirthDateInFuture { country, date });
    }
    Ok(date)
}

/// The masked form, so `format!("{id}")` in a log line is safe.
impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Hand-written so `{:?}` of any struct holding a `NationalId` (error
/// reports, `tracing` fields, panics) cannot leak the number.
impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NationalId")
            .field("country", &self.country)
            .field("masked", &self.masked())
            .field("kind", &self.kind)
            .field("birth_date", &self.birth_date)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// Serialises `{country, kind, masked, warnings}` and never the number.
///
/// A derived impl would write the full number into every JSON log line,
/// audit record or UI state dump that contains a `NationalId`, and nothing
/// at the call site would show it. Leaking by default is the wrong failure
/// mode for sensitive personal data, so code that has to store or send the
/// number must call [`NationalId::expose`] and own that decision.
///
/// There is no `Deserialize` for the same reason in reverse: the masked form
/// cannot be turned back into a number, and a stored full number should be
/// re-validated through [`NationalId::parse_at`] anyway.
impl Serialize for NationalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("NationalId", 4)?;
        fields.serialize_field("country", &self.country)?;
        fields.serialize_field("kind", &self.kind)?;
        fields.serialize_field("masked", &self.masked())?;
        fields.serialize_field("warnings", &self.warnings)?;
        fields.end()
    }
}

/// The tagged form `se:…`, so command-line parsers can use `FromStr`.
impl FromStr for NationalId {
    type Err = IdentityError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse_tagged(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2025, 6, 1).unwrap()
    }

    fn id(country: Country, input: &str) -> NationalId {
        NationalId::parse_at(country, input, today()).unwrap()
    }

    #[test]
    fn masks_everything_after_the_date_part() {
        assert_eq!(id(Country::Se, "121212+1212").masked(), "19121212-XXXX");
        assert_eq!(id(Country::No, "29100207042").masked(), "291002-XXXXX");
        assert_eq!(id(Country::Dk, "0707614285").masked(), "070761-XXXX");
    }

    #[test]
    fn display_debug_and_serialize_do_not_leak_the_number() {
        let cases = [
            (Country::Se, "811218-9876", "9876"),
            (Country::No, "29100207042", "07042"),
            (Country::Dk, "070761-4285", "4285"),
        ];
        for (country, input, secret_tail) in cases {
            let id = id(country, input);
            let outputs = [
                format!("{id}"),
                format!("{id:?}"),
                format!("{id:#?}"),
                serde_json::to_string(&id).unwrap(),
            ];
            for output in outputs {
                assert!(!output.contains(id.expose()), "{output}");
                assert!(!output.contains(input), "{output}");
                assert!(!output.contains(secret_tail), "{output}");
                assert!(output.contains(&id.masked()), "{output}");
            }
        }
    }

    #[test]
    fn serializes_the_masked_summary() {
        let json = serde_json::to_value(id(Country::Dk, "010115-4001")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "country": "dk",
                "kind": "cpr",
                "masked": "010115-XXXX",
                "warnings": ["cpr_modulus11_failed"],
            })
        );
    }

    #[test]
    fn parses_the_tagged_form() {
        let id = NationalId::parse_tagged_at(" se:19121212-1212 ", today()).unwrap();
        assert_eq!(id.country(), Country::Se);
        assert_eq!(id.expose(), "191212121212");
        assert_eq!(
            NationalId::parse_tagged_at("DK:070761-4285", today())
                .unwrap()
                .expose(),
            "0707614285"
        );
        assert!("no:29100207042".parse::<NationalId>().is_ok());
    }

    #[test]
    fn tagged_form_errors() {
        assert_eq!(
            NationalId::parse_tagged_at("19121212-1212", today()),
            Err(IdentityError::MissingCountry)
        );
        let unknown = NationalId::parse_tagged_at("fi:131052-308T", today()).unwrap_err();
        assert_eq!(unknown, IdentityError::UnknownCountry { code: "fi".into() });
        assert!(matches!(
            NationalId::parse_tagged_at("se:", today()),
            Err(IdentityError::Empty {
                country: Country::Se
            })
        ));
    }

    #[test]
    fn matches_claims_across_layouts() {
        let se = id(Country::Se, "121212+1212");
        assert!(se.matches_claim_at("191212121212", today()));
        assert!(se.matches_claim_at("19121212-1212", today()));
        assert!(!se.matches_claim_at("121212-1212", today()), "born 2012");
        assert!(!se.matches_claim_at("191212121213", today()));
        assert!(!se.matches_claim_at("", today()));
        assert!(se.matches_claim("191212121212"));

        let no = id(Country::No, "291002 07042");
        assert!(no.matches_claim_at("29100207042", today()));
        assert!(!no.matches_claim_at("191212121212", today()));

        let dk = id(Country::Dk, "0707614285");
        assert!(dk.matches_claim_at("070761-4285", today()));
        assert!(!dk.matches_claim_at("070761-4286", today()));
    }

    #[test]
    fn age_on_a_given_day() {
        let id = id(Country::Se, "811218-9876");
        assert_eq!(id.age_on(today()), Some(43));
        assert_eq!(id.age_on(Date::new(2025, 12, 18).unwrap()), Some(44));
        assert_eq!(id.age_on(Date::new(1980, 1, 1).unwrap()), None);
    }

    #[test]
    fn coordination_number_masks_with_offset_and_reports_real_birth_date() {
        let id = id(Country::Se, "701063-2391");
        assert_eq!(id.masked(), "19701063-XXXX");
        assert_eq!(id.birth_date().to_string(), "1970-10-03");
        assert_eq!(id.kind(), IdKind::Samordningsnummer);
    }

    #[test]
    fn error_messages_never_contain_the_number() {
        let today = today();
        let failures = [
            (Country::Se, "19121212-1213"),
            (Country::Se, "1912121212123"),
            (Country::Se, "19121212x1212"),
            (Country::Se, "1912-12121212"),
            (Country::No, "29100207043"),
            (Country::No, "2910020704"),
            (Country::Dk, "310461-4285"),
            (Country::Dk, "010130-4000"),
        ];
        for (country, input) in failures {
            let message = NationalId::parse_at(country, input, today)
                .unwrap_err()
                .to_string();
            let digits: String = input.chars().filter(char::is_ascii_digit).collect();
            assert!(!message.contains(&digits), "{message}");
            assert!(!message.contains(&digits[digits.len() - 4..]), "{message}");
            assert!(!message.contains(input), "{message}");
        }
    }
}
