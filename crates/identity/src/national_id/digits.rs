//! Splitting typed input into digits and at most one separator, shared by the
//! country parsers so that every country reports stray characters alike.

use super::Country;
use crate::error::IdentityError;

pub(super) struct Scanned {
    pub digits: Vec<u8>,
    pub separator: Option<Separator>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Separator {
    pub character: char,
    /// 1-based position in the trimmed input, for error messages.
    pub position: usize,
    pub digits_before: usize,
}

impl Separator {
    pub fn misplaced(self, country: Country) -> IdentityError {
        IdentityError::MisplacedSeparator {
            country,
            character: self.character,
            position: self.position,
        }
    }
}

/// Trims the input, then accepts ASCII digits, at most one of `separators`
/// and, if `skip_inner_whitespace`, any whitespace in between.
pub(super) fn scan(
    country: Country,
    input: &str,
    separators: &[char],
    skip_inner_whitespace: bool,
) -> Result<Scanned, IdentityError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(IdentityError::Empty { country });
    }
    let mut digits = Vec::with_capacity(12);
    let mut separator = None;
    for (index, character) in input.chars().enumerate() {
        let position = index + 1;
        if character.is_ascii_digit() {
            digits.push(character as u8 - b'0');
        } else if skip_inner_whitespace && character.is_whitespace() {
            continue;
        } else if separators.contains(&character) {
            let found = Separator {
                character,
                position,
                digits_before: digits.len(),
            };
            if separator.is_some() {
                return Err(found.misplaced(country));
            }
            separator = Some(found);
        } else {
            return Err(IdentityError::NotDigits {
                country,
                character,
                position,
            });
        }
    }
    Ok(Scanned { digits, separator })
}

/// The number written by `digits`, most significant first.
pub(super) fn value(digits: &[u8]) -> u16 {
    digits
        .iter()
        .fold(0, |total, &digit| total * 10 + u16::from(digit))
}

pub(super) fn to_text(digits: &[u8]) -> String {
    digits
        .iter()
        .map(|&digit| char::from(b'0' + digit))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_first_stray_character_with_position() {
        let error = scan(Country::Se, " 1912x2", &['-'], false).err().unwrap();
        assert_eq!(
            error,
            IdentityError::NotDigits {
                country: Country::Se,
                character: 'x',
                position: 5
            }
        );
    }

    #[test]
    fn non_ascii_digits_are_not_digits() {
        assert!(matches!(
            scan(Country::No, "١٢", &[], true),
            Err(IdentityError::NotDigits {
                character: '١', ..
            })
        ));
    }

    #[test]
    fn second_separator_is_misplaced() {
        assert!(matches!(
            scan(Country::Dk, "01-01-90", &['-'], true),
            Err(IdentityError::MisplacedSeparator { position: 6, .. })
        ));
    }

    #[test]
    fn whitespace_only_is_empty() {
        assert!(matches!(
            scan(Country::Dk, " \t", &['-'], true),
            Err(IdentityError::Empty {
                country: Country::Dk
            })
        ));
    }

    #[test]
    fn converts_digits() {
        let scanned = scan(Country::No, "01 2-3", &['-'], true).ok().unwrap();
        assert_eq!(scanned.digits, [0, 1, 2, 3]);
        assert_eq!(value(&scanned.digits), 123);
        assert_eq!(to_text(&scanned.digits), "0123");
        let separator = scanned.separator.unwrap();
        assert_eq!((separator.position, separator.digits_before), (5, 3));
    }
}
