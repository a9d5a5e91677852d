//! Norwegian fødselsnummer, D-number and H-number (Skatteetaten).

use super::digits::{self, scan};
use super::{Country, IdKind, IdWarning, Parsed, checked_birth_date};
use crate::date::{Date, latest_year_not_after};
use crate::error::IdentityError;

const NO: Country = Country::No;
const EXPECTED: &str = "11 (DDMMYYIIIKK)";
const D_NUMBER_DAY_OFFSET: u16 = 40;
const H_NUMBER_MONTH_OFFSET: u16 = 40;

const FIRST_CONTROL_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const SECOND_CONTROL_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// Which check-digit rule a number satisfies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckRule {
    /// Both weighted sums (control digit included with weight 1) are 0 mod 11.
    Classic,
    /// Numbers issued from 2032: the first sum may also leave 1, 2 or 3 mod 11;
    /// the second control digit is computed as before.
    ///
    /// Skatteetaten, "Nytt fødselsnummer fra 2032": only k1 gains the extra
    /// remainders, k2 keeps a single valid value. Because the second sum
    /// still has to be 0 and weighs every other digit (5,4,3,2,7,6,5,4,3,2,
    /// then 1 for k2 itself, all non-zero mod the prime 11), any single-digit
    /// change is still caught — by k2 if not by k1.
    From2032,
}

fn check_rule(eleven: &[u8]) -> Option<CheckRule> {
    let weighted = |weights: &[u32], control: u8| {
        let sum: u32 = weights
            .iter()
            .zip(eleven)
            .map(|(weight, &digit)| weight * u32::from(digit))
            .sum();
        (sum + u32::from(control)) % 11
    };
    if weighted(&SECOND_CONTROL_WEIGHTS, eleven[10]) != 0 {
        return None;
    }
    match weighted(&FIRST_CONTROL_WEIGHTS, eleven[9]) {
        0 => Some(CheckRule::Classic),
        1..=3 => Some(CheckRule::From2032),
        _ => None,
    }
}

/// `today` is only consulted for numbers issued under the 2032 rule, whose
/// individual number no longer tells the century, and to reject birth dates
/// in the future.
pub(super) fn parse(input: &str, today: Date) -> Result<Parsed, IdentityError> {
    let scanned = scan(NO, input, &['-'], true)?;
    let eleven = &scanned.digits[..];
    if eleven.len() != 11 {
        return Err(IdentityError::WrongLength {
            country: NO,
            expected: EXPECTED,
            got: eleven.len(),
        });
    }
    if let Some(separator) = scanned.separator.filter(|s| s.digits_before != 6) {
        return Err(separator.misplaced(NO));
    }

    let rule = check_rule(eleven).ok_or(IdentityError::CheckDigit { country: NO })?;

    let raw_day = digits::value(&eleven[0..2]);
    let raw_month = digits::value(&eleven[2..4]);
    let year_digits = digits::value(&eleven[4..6]) as u8;
    let individual = digits::value(&eleven[6..9]);
    // A number with both offsets is not issued; keeping the month offset
    // then makes it fail as an impossible date.
    let (kind, day, month) = if raw_day > D_NUMBER_DAY_OFFSET {
        (IdKind::DNumber, raw_day - D_NUMBER_DAY_OFFSET, raw_month)
    } else if raw_month > H_NUMBER_MONTH_OFFSET {
        (IdKind::HNumber, raw_day, raw_month - H_NUMBER_MONTH_OFFSET)
    } else {
        (IdKind::Fodselsnummer, raw_day, raw_month)
    };
    let (day, month) = (day as u8, month as u8);

    let (year, warnings) = match rule {
        CheckRule::Classic => {
            let year = year_from_individual_number(individual, year_digits).ok_or(
                IdentityError::ImpossibleIndividualNumber {
                    country: NO,
                    year_digits,
                },
            )?;
            (year, Vec::new())
        }
        CheckRule::From2032 => (
            latest_year_not_after(year_digits, month, day, today),
            vec![IdWarning::BirthYearUncertain],
        ),
    };
    let birth_date = checked_birth_date(NO, year, month, day, today)?;

    Ok(Parsed {
        normalized: digits::to_text(eleven),
        birth_date,
        kind,
        warnings,
    })
}

/// Skatteetaten's allocation table of individual numbers per century.
fn year_from_individual_number(individual: u16, year_digits: u8) -> Option<i32> {
    let century = match (individual, year_digits) {
        (0..=499, _) => 1900,
        (500..=749, 54..=99) => 1800,
        (500..=999, 0..=39) => 2000,
        (900..=999, 40..=99) => 1900,
        _ => return None,
    };
    Some(century + i32::from(year_digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    parse_test_helpers!();

    /// Appends control digits to nine digits such that the first weighted sum
    /// leaves `first_remainder` (0 for classic numbers) and the second leaves
    /// 0; `None` when a control digit would have to be 10.
    fn with_remainder(nine: &str, first_remainder: u32) -> Option<String> {
        let mut digits: Vec<u8> = nine.bytes().map(|b| b - b'0').collect();
        let control = |weights: &[u32], digits: &[u8], remainder: u32| {
            let sum: u32 = weights
                .iter()
                .zip(digits)
                .map(|(w, &d)| w * u32::from(d))
                .sum();
            let digit = (remainder + 11 - sum % 11) % 11;
            (digit < 10).then_some(digit as u8)
        };
        let k1 = control(&FIRST_CONTROL_WEIGHTS, &digits, first_remainder)?;
        digits.push(k1);
        let k2 = control(&SECOND_CONTROL_WEIGHTS, &digits, 0)?;
        digits.push(k2);
        Some(digits::to_text(&digits))
    }

    fn with_control_digits(nine: &str) -> Option<String> {
        with_remainder(nine, 0)
    }

    #[test]
    fn accepts_computed_and_published_numbers() {
        // Our generator, then checked against independently published ones.
        assert_eq!(
            with_control_digits("020132999").as_deref(),
            Some("02013299997")
        );
        let cases = [
            ("29100207042", IdKind::Fodselsnummer, (1902, 10, 29)),
            ("02013299997", IdKind::Fodselsnummer, (2032, 1, 2)),
            ("30108299920", IdKind::Fodselsnummer, (1982, 10, 30)),
            ("43022014103", IdKind::DNumber, (1920, 2, 3)),
        ];
        let today = Date::new(2033, 1, 1).unwrap();
        for (input, kind, (year, month, day)) in cases {
            let parsed = parse(input, today).unwrap();
            assert_eq!(parsed.normalized, input);
            assert_eq!(parsed.kind, kind, "{input}");
            assert_eq!(parsed.birth_date, Date::new(year, month, day).unwrap());
            assert!(parsed.warnings.is_empty());
        }
    }

    #[test]
    fn accepts_spaces_and_a_dash_after_the_date() {
        let number = issuable("010190", 100..=499);
        let spaced = format!(" {} {} {} ", &number[..2], &number[2..6], &number[6..]);
        let dashed = format!("{}-{}", &number[..6], &number[6..]);
        assert_eq!(parse_ok(&spaced).normalized, number);
        assert_eq!(parse_ok(&dashed).normalized, number);
    }

    #[test]
    fn h_number() {
        let number = issuable("014190", 100..=499);
        let parsed = parse_ok(&number);
        assert_eq!(parsed.kind, IdKind::HNumber);
        assert_eq!(parsed.birth_date, Date::new(1990, 1, 1).unwrap());
    }

    /// The first number for `ddmmyy` whose individual number lies in
    /// `individuals` and has issuable control digits.
    fn issuable(ddmmyy: &str, individuals: std::ops::RangeInclusive<u16>) -> String {
        individuals
            .filter_map(|individual| with_control_digits(&format!("{ddmmyy}{individual:03}")))
            .next()
            .unwrap()
    }

    #[test]
    fn century_table() {
        for (individual, year_digits, year) in [
            (0, 0, Some(1900)),
            (499, 99, Some(1999)),
            (500, 54, Some(1854)),
            (749, 99, Some(1899)),
            (500, 0, Some(2000)),
            (999, 39, Some(2039)),
            (900, 40, Some(1940)),
            (999, 99, Some(1999)),
            (500, 40, None),
            (749, 53, None),
            (750, 40, None),
            (899, 99, None),
        ] {
            assert_eq!(
                year_from_individual_number(individual, year_digits),
                year,
                "{individual} {year_digits}"
            );
        }
        assert_eq!(
            parse_ok(&issuable("010160", 500..=749)).birth_date.year(),
            1860
        );
        assert_eq!(
            parse_ok(&issuable("010110", 500..=999)).birth_date.year(),
            2010
        );
        assert_eq!(
            parse_ok(&issuable("010145", 900..=999)).birth_date.year(),
            1945
        );
    }

    #[test]
    fn rejects_individual_number_outside_the_table() {
        for number in [issuable("010190", 750..=899), issuable("010145", 500..=749)] {
            assert!(matches!(
                parse_err(&number),
                IdentityError::ImpossibleIndividualNumber { country: NO, .. }
            ));
        }
    }

    #[test]
    fn accepts_the_2032_rule_with_a_warning() {
        // Skatteetaten's example of a second number for 30.10.1982 in 2032.
        let parsed = parse("30108299939", Date::new(2032, 2, 1).unwrap()).unwrap();
        assert_eq!(parsed.birth_date, Date::new(1982, 10, 30).unwrap());
        assert_eq!(parsed.warnings, [IdWarning::BirthYearUncertain]);
        assert_eq!(
            check_rule(&[3, 0, 1, 0, 8, 2, 9, 9, 9, 3, 9]),
            Some(CheckRule::From2032)
        );
    }

    #[test]
    fn rejects_bad_control_digits() {
        assert_eq!(
            parse_err("29100207043"),
            IdentityError::CheckDigit { country: NO }
        );
        assert_eq!(
            parse_err("29100207142"),
            IdentityError::CheckDigit { country: NO }
        );
        // Remainders 1-3 of the first sum are the 2032 rule; 4 is outside
        // both rules even with a valid second control digit.
        for remainder in 1..=3 {
            let number = (100..=499)
                .find_map(|individual| with_remainder(&format!("010190{individual}"), remainder))
                .unwrap();
            assert_eq!(parse_ok(&number).warnings, [IdWarning::BirthYearUncertain]);
        }
        let remainder_4 = (100..=499)
            .find_map(|individual| with_remainder(&format!("010190{individual}"), 4))
            .unwrap();
        assert_eq!(
            parse_err(&remainder_4),
            IdentityError::CheckDigit { country: NO }
        );
    }

    #[test]
    fn rejects_wrong_length_and_stray_characters() {
        assert_eq!(
            parse_err("2910020704"),
            IdentityError::WrongLength {
                country: NO,
                expected: EXPECTED,
                got: 10
            }
        );
        assert!(matches!(
            parse_err("291002.07042"),
            IdentityError::NotDigits {
                character: '.',
                position: 7,
                ..
            }
        ));
        assert!(matches!(
            parse_err("2910-0207042"),
            IdentityError::MisplacedSeparator { position: 5, .. }
        ));
        assert_eq!(parse_err(""), IdentityError::Empty { country: NO });
    }

    #[test]
    fn rejects_impossible_dates() {
        let february_30 = issuable("300290", 100..=499);
        assert_eq!(
            parse_err(&february_30),
            IdentityError::ImpossibleDate {
                country: NO,
                year: 1990,
                month: 2,
                day: 30
            }
        );
        let both_offsets = issuable("414190", 100..=499);
        assert!(matches!(
            parse_err(&both_offsets),
            IdentityError::ImpossibleDate {
                month: 41,
                day: 1,
                ..
            }
        ));
    }

    #[test]
    fn rejects_birth_dates_in_the_future() {
        let in_2030 = issuable("010130", 500..=999);
        assert!(matches!(
            parse_err(&in_2030),
            IdentityError::BirthDateInFuture { country: NO, .. }
        ));
    }
}
