use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::IdentityError;

/// The country that issued a national identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Country {
    Se,
    No,
    Dk,
}

impl Country {
    pub const ALL: [Country; 3] = [Country::Se, Country::No, Country::Dk];

    /// The lowercase ISO 3166-1 alpha-2 code used in `se:…` / `no:…` / `dk:…`.
    pub fn code(self) -> &'static str {
        match self {
            Country::Se => "se",
            Country::No => "no",
            Country::Dk => "dk",
        }
    }

    /// How an agent would name this country's number in a sentence.
    pub fn id_name(self) -> &'static str {
        match self {
            Country::Se => "Swedish personnummer",
            Country::No => "Norwegian fødselsnummer",
            Country::Dk => "Danish CPR number",
        }
    }

    /// The accepted layouts, for error messages.
    pub fn format_hint(self) -> &'static str {
        match self {
            Country::Se => "YYMMDD-NNNC, YYMMDD+NNNC (aged 100 or more) or YYYYMMDD-NNNC",
            Country::No => "DDMMYYIIIKK (11 digits, spaces allowed)",
            Country::Dk => "DDMMYY-SSSS",
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Country {
    type Err = IdentityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let code = text.trim();
        Country::ALL
            .into_iter()
            .find(|country| country.code().eq_ignore_ascii_case(code))
            .ok_or_else(|| IdentityError::UnknownCountry {
                code: redact_digits(code),
            })
    }
}

/// Someone may type a number where the country belongs; the error message
/// must not carry it into a log.
fn redact_digits(text: &str) -> String {
    text.chars()
        .take(16)
        .map(|c| if c.is_ascii_digit() { 'X' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_case_insensitively() {
        assert_eq!("se".parse::<Country>(), Ok(Country::Se));
        assert_eq!(" NO ".parse::<Country>(), Ok(Country::No));
        assert_eq!("Dk".parse::<Country>(), Ok(Country::Dk));
    }

    #[test]
    fn unknown_country_is_rejected_without_digits() {
        let error = "191212121212".parse::<Country>().unwrap_err();
        assert_eq!(
            error,
            IdentityError::UnknownCountry {
                code: "XXXXXXXXXXXX".into()
            }
        );
        let message = "fi".parse::<Country>().unwrap_err().to_string();
        assert!(message.contains("\"fi\"") && message.contains("se (Sweden)"));
    }

    #[test]
    fn serde_uses_lowercase_codes() {
        assert_eq!(serde_json::to_string(&Country::Dk).unwrap(), "\"dk\"");
        assert_eq!(
            serde_json::from_str::<Country>("\"no\"").unwrap(),
            Country::No
        );
        for country in Country::ALL {
            assert_eq!(country.to_string().parse::<Country>(), Ok(country));
        }
    }
}
