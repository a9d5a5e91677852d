//! Danish CPR number (CPR-kontoret).

use super::digits::{self, scan};
use super::{Country, IdKind, IdWarning, Parsed, checked_birth_date};
use crate::date::Date;
use crate::error::IdentityError;

const DK: Country = Country::Dk;
const EXPECTED: &str = "10 (DDMMYY-SSSS)";
const MODULUS_11_WEIGHTS: [u32; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

/// `today` is only used to reject birth dates in the future.
pub(super) fn parse(input: &str, today: Date) -> Result<Parsed, IdentityError> {
    let scanned = scan(DK, input, &['-'], true)?;
    let ten = &scanned.digits[..];
    if ten.len() != 10 {
        return Err(IdentityError::WrongLength {
            country: DK,
            expected: EXPECTED,
            got: ten.len(),
        });
    }
    if let Some(separator) = scanned.separator.filter(|s| s.digits_before != 6) {
        return Err(separator.misplaced(DK));
    }

    let day = digits::value(&ten[0..2]) as u8;
    let month = digits::value(&ten[2..4]) as u8;
    let year_digits = digits::value(&ten[4..6]);
    let year = i32::from(century(ten[6], year_digits) + year_digits);
    let birth_date = checked_birth_date(DK, year, month, day, today)?;

    // CPR numbers issued since October 2007 need not satisfy modulus 11, so
    // failing it may only make the agent double-check, never block.
    let warnings = if passes_modulus_11(ten) {
        Vec::new()
    } else {
        vec![IdWarning::CprModulus11Failed]
    };

    Ok(Parsed {
        normalized: digits::to_text(ten),
        birth_date,
        kind: IdKind::Cpr,
        warnings,
    })
}

/// CPR-kontoret's table: the 7th digit together with the two-digit year.
fn century(seventh_digit: u8, year_digits: u16) -> u16 {
    match seventh_digit {
        0..=3 => 1900,
        4 | 9 if year_digits <= 36 => 2000,
        4 | 9 => 1900,
        _ if year_digits <= 57 => 2000,
        _ => 1800,
    }
}

fn passes_modulus_11(ten: &[u8]) -> bool {
    let sum: u32 = MODULUS_11_WEIGHTS
        .iter()
        .zip(ten)
        .map(|(weight, &digit)| weight * u32::from(digit))
        .sum();
    sum.is_multiple_of(11)
}

#[cfg(test)]
mod tests {
    use super::*;

    parse_test_helpers!();

    #[test]
    fn accepts_known_valid_number() {
        for input in ["070761-4285", "0707614285", " 070761 4285 "] {
            let parsed = parse_ok(input);
            assert_eq!(parsed.normalized, "0707614285");
            assert_eq!(parsed.birth_date, Date::new(1961, 7, 7).unwrap());
            assert_eq!(parsed.kind, IdKind::Cpr);
            assert!(parsed.warnings.is_empty());
        }
    }

    #[test]
    fn modulus_11_failure_is_only_a_warning() {
        let parsed = parse_ok("010115-4001");
        assert_eq!(parsed.birth_date, Date::new(2015, 1, 1).unwrap());
        assert_eq!(parsed.warnings, [IdWarning::CprModulus11Failed]);
        assert!(parse_ok("010115-4009").warnings.is_empty());
    }

    #[test]
    fn century_table() {
        for (seventh_digit, year_digits, century_start) in [
            (0, 99, 1900),
            (3, 0, 1900),
            (4, 36, 2000),
            (4, 37, 1900),
            (9, 0, 2000),
            (9, 99, 1900),
            (5, 57, 2000),
            (8, 58, 1800),
            (6, 99, 1800),
        ] {
            assert_eq!(century(seventh_digit, year_digits), century_start);
        }
        for (input, year) in [
            ("010199-3999", 1999),
            ("010120-4000", 2020),
            ("010137-9000", 1937),
            ("010158-5000", 1858),
            ("010110-8000", 2010),
        ] {
            assert_eq!(parse_ok(input).birth_date.year(), year, "{input}");
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(
            parse_err("310461-4285"),
            IdentityError::ImpossibleDate {
                country: DK,
                year: 1961,
                month: 4,
                day: 31
            }
        );
        assert!(matches!(
            parse_err("290200-1234"),
            IdentityError::ImpossibleDate { year: 1900, .. }
        ));
        assert!(parse_ok("290200-4234").birth_date.year() == 2000);
    }

    #[test]
    fn rejects_birth_dates_in_the_future() {
        assert!(matches!(
            parse_err("010130-4000"),
            IdentityError::BirthDateInFuture { country: DK, .. }
        ));
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(
            parse_err("070761-428"),
            IdentityError::WrongLength {
                country: DK,
                expected: EXPECTED,
                got: 9
            }
        );
        assert!(matches!(
            parse_err("07076-14285"),
            IdentityError::MisplacedSeparator { position: 6, .. }
        ));
        assert!(matches!(
            parse_err("070761/4285"),
            IdentityError::NotDigits { character: '/', .. }
        ));
        assert_eq!(parse_err(" "), IdentityError::Empty { country: DK });
    }
}
