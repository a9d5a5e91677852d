//! Swedish personnummer and samordningsnummer (Skatteverket SKV 704).

use super::digits::{self, scan};
use super::{Country, IdKind, Parsed, checked_birth_date};
use crate::date::{Date, latest_year_not_after};
use crate::error::IdentityError;

const SE: Country = Country::Se;
const EXPECTED: &str = "10 or 12 (YYMMDD-NNNC or YYYYMMDDNNNC)";
const COORDINATION_DAY_OFFSET: u16 = 60;

/// `today` decides the century of the 10-digit forms: with `-` the latest
/// century that puts the birth date on or before `today`, with `+` the one
/// before that.
pub(super) fn parse(input: &str, today: Date) -> Result<Parsed, IdentityError> {
    // A space is not accepted as a separator: a `+` that went through URL
    // decoding arrives as a space, and guessing `-` would shift the caller's
    // birth year by a century.
    let scanned = scan(SE, input, &['-', '+'], false)?;
    let (century, ten) = match scanned.digits.len() {
        10 => (None, &scanned.digits[..]),
        12 => (
            Some(digits::value(&scanned.digits[..2])),
            &scanned.digits[2..],
        ),
        got => {
            return Err(IdentityError::WrongLength {
                country: SE,
                expected: EXPECTED,
                got,
            });
        }
    };
    let aged_100_or_more = match (scanned.separator, century) {
        (None, _) => false,
        (Some(separator), None) if separator.digits_before == 6 => separator.character == '+',
        // `+` only disambiguates a two-digit year, so with four digits it is
        // more likely a typo than a statement about the caller's age.
        (Some(separator), Some(_))
            if separator.digits_before == 8 && separator.character == '-' =>
        {
            false
        }
        (Some(separator), _) => return Err(separator.misplaced(SE)),
    };

    if !luhn_valid(ten) {
        return Err(IdentityError::CheckDigit { country: SE });
    }

    let year_digits = digits::value(&ten[0..2]);
    let month = digits::value(&ten[2..4]);
    let raw_day = digits::value(&ten[4..6]);
    let (kind, day) = if raw_day > COORDINATION_DAY_OFFSET {
        (IdKind::Samordningsnummer, raw_day - COORDINATION_DAY_OFFSET)
    } else {
        (IdKind::Personnummer, raw_day)
    };
    let (month, day) = (month as u8, day as u8);
    let year = match century {
        Some(century) => i32::from(century * 100 + year_digits),
        None => {
            let latest = latest_year_not_after(year_digits as u8, month, day, today);
            if aged_100_or_more {
                latest - 100
            } else {
                latest
            }
        }
    };
    let birth_date = checked_birth_date(SE, year, month, day, today)?;

    Ok(Parsed {
        normalized: format!("{:02}{}", year / 100, digits::to_text(ten)),
        birth_date,
        kind,
        warnings: Vec::new(),
    })
}

/// Luhn (mod 10, weights 2,1,2,1,… from the left) over the 10-digit form;
/// valid when the weighted digit sum including the check digit ends in 0.
fn luhn_valid(ten: &[u8]) -> bool {
    let sum: u32 = ten
        .iter()
        .enumerate()
        .map(|(index, &digit)| {
            let weighted = u32::from(digit) * if index % 2 == 0 { 2 } else { 1 };
            weighted / 10 + weighted % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    parse_test_helpers!();

    #[test]
    fn accepts_every_layout_of_the_test_number() {
        for input in [
            "19121212-1212",
            "191212121212",
            " 191212121212 ",
            "121212+1212",
        ] {
            let parsed = parse_ok(input);
            assert_eq!(parsed.normalized, "191212121212", "{input}");
            assert_eq!(parsed.birth_date, Date::new(1912, 12, 12).unwrap());
            assert_eq!(parsed.kind, IdKind::Personnummer);
            assert!(parsed.warnings.is_empty());
        }
    }

    #[test]
    fn minus_and_no_separator_mean_under_100() {
        assert_eq!(parse_ok("121212-1212").normalized, "201212121212");
        assert_eq!(parse_ok("1212121212").normalized, "201212121212");
        assert_eq!(parse_ok("811218-9876").normalized, "198112189876");
    }

    #[test]
    fn plus_means_one_century_further_back() {
        assert_eq!(parse_ok("811218+9876").normalized, "188112189876");
        assert_eq!(
            parse_ok("811218+9876").birth_date,
            Date::new(1881, 12, 18).unwrap()
        );
    }

    #[test]
    fn century_boundary_follows_today() {
        // 2025-06-01 exactly: born today this century, tomorrow last century.
        let born_today = checked_luhn("250601", "123");
        assert!(parse_ok(&born_today).normalized.starts_with("2025"));
        let born_tomorrow = checked_luhn("250602", "123");
        assert!(parse_ok(&born_tomorrow).normalized.starts_with("1925"));
        assert!(
            parse_ok(&format!("{}+{}", &born_tomorrow[..6], &born_tomorrow[6..]))
                .normalized
                .starts_with("1825")
        );
    }

    #[test]
    fn coordination_number() {
        let parsed = parse_ok("701063-2391");
        assert_eq!(parsed.kind, IdKind::Samordningsnummer);
        assert_eq!(parsed.normalized, "197010632391");
        assert_eq!(parsed.birth_date, Date::new(1970, 10, 3).unwrap());
    }

    #[test]
    fn ten_and_twelve_digit_forms_round_trip() {
        for ten in ["811218-9876", "701063-2391", "121212+1212"] {
            let twelve = parse_ok(ten).normalized;
            assert_eq!(parse_ok(&twelve).normalized, twelve);
            let separator = &ten[6..7];
            let back = format!("{}{separator}{}", &twelve[2..8], &twelve[8..]);
            assert_eq!(back, ten);
        }
    }

    #[test]
    fn rejects_bad_check_digit() {
        assert_eq!(
            parse_err("19121212-1213"),
            IdentityError::CheckDigit { country: SE }
        );
        assert_eq!(
            parse_err("811218-9867"),
            IdentityError::CheckDigit { country: SE }
        );
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(
            parse_err("1912121-1212"),
            IdentityError::WrongLength {
                country: SE,
                expected: EXPECTED,
                got: 11
            }
        );
        assert!(matches!(
            parse_err("12121212"),
            IdentityError::WrongLength { got: 8, .. }
        ));
    }

    #[test]
    fn rejects_stray_characters() {
        assert!(matches!(
            parse_err("121212 1212"),
            IdentityError::NotDigits {
                character: ' ',
                position: 7,
                ..
            }
        ));
        assert!(matches!(
            parse_err("19121212/1212"),
            IdentityError::NotDigits { character: '/', .. }
        ));
        assert_eq!(parse_err("  "), IdentityError::Empty { country: SE });
    }

    #[test]
    fn rejects_misplaced_separators() {
        for (input, character, position) in [
            ("1212-121212", '-', 5),
            ("19121212+1212", '+', 9),
            ("191212-121212", '-', 7),
            ("121212-12-12", '-', 10),
        ] {
            assert_eq!(
                parse_err(input),
                IdentityError::MisplacedSeparator {
                    country: SE,
                    character,
                    position
                },
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        // Check digits are valid, so the date is what gets reported.
        let month_13 = checked_luhn("811318", "987");
        assert!(matches!(
            parse_err(&month_13),
            IdentityError::ImpossibleDate { month: 13, .. }
        ));
        let leap_day_1900 = checked_luhn("000229", "123");
        let plus = format!("{}+{}", &leap_day_1900[..6], &leap_day_1900[6..]);
        assert_eq!(
            parse_err(&plus),
            IdentityError::ImpossibleDate {
                country: SE,
                year: 1900,
                month: 2,
                day: 29
            }
        );
        assert_eq!(parse_ok(&leap_day_1900).normalized[..8], *"20000229");
        let day_45 = checked_luhn("811245", "987");
        assert!(matches!(
            parse_err(&day_45),
            IdentityError::ImpossibleDate { day: 45, .. }
        ));
    }

    #[test]
    fn rejects_twelve_digit_birth_dates_in_the_future() {
        let future = format!("21{}", checked_luhn("121212", "121"));
        assert_eq!(
            parse_err(&future),
            IdentityError::BirthDateInFuture {
                country: SE,
                date: Date::new(2112, 12, 12).unwrap()
            }
        );
    }

    /// `yymmdd` + `serial` + the Luhn check digit, without separator.
    fn checked_luhn(yymmdd: &str, serial: &str) -> String {
        let nine = format!("{yymmdd}{serial}");
        (0..=9)
            .map(|check| format!("{nine}{check}"))
            .find(|ten| luhn_valid(&ten.bytes().map(|b| b - b'0').collect::<Vec<_>>()))
            .unwrap()
    }
}
