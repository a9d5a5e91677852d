use crate::binding_message::Charset;
use crate::date::Date;
use crate::national_id::Country;

/// Why an identity input was rejected.
///
/// Each message is a sentence the agent can act on. None of them contains the
/// full identity number: at most the date part, which the masked form shows
/// anyway, or a single offending non-digit character.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    #[error("no country given; write the number as se:NUMBER, no:NUMBER or dk:NUMBER")]
    MissingCountry,

    #[error("unknown country \"{code}\"; use se (Sweden), no (Norway) or dk (Denmark)")]
    UnknownCountry {
        /// What was typed as the country, with digits replaced by `X`.
        code: String,
    },

    #[error("no {name} entered", name = .country.id_name())]
    Empty { country: Country },

    #[error(
        "{name} has {got} digits, expected {expected}",
        name = .country.id_name()
    )]
    WrongLength {
        country: Country,
        expected: &'static str,
        got: usize,
    },

    #[error(
        "{name}: character {character:?} at position {position} is not allowed; enter digits only, as {format}",
        name = .country.id_name(),
        format = .country.format_hint()
    )]
    NotDigits {
        country: Country,
        character: char,
        /// 1-based, counted in characters of the trimmed input.
        position: usize,
    },

    #[error(
        "{name}: the {character:?} at position {position} is in the wrong place; write {format}",
        name = .country.id_name(),
        format = .country.format_hint()
    )]
    MisplacedSeparator {
        country: Country,
        character: char,
        position: usize,
    },

    #[error(
        "{name}: the birth date {year:04}-{month:02}-{day:02} does not exist; check the date digits",
        name = .country.id_name()
    )]
    ImpossibleDate {
        country: Country,
        year: i32,
        /// After removing an H-number offset, if any.
        month: u8,
        /// After removing a samordningsnummer or D-number offset, if any.
        day: u8,
    },

    #[error(
        "{name}: the birth date {date} lies in the future; check the year digits",
        name = .country.id_name()
    )]
    BirthDateInFuture { country: Country, date: Date },

    #[error(
        "{name}: the individual number (digits 7-9) is never issued for a birth year ending in {year_digits:02}; verify the 5th to 9th digits with the caller",
        name = .country.id_name()
    )]
    ImpossibleIndividualNumber { country: Country, year_digits: u8 },

    #[error(
        "{name}: the check digit does not match, so a digit is probably mistyped or two digits are swapped; read the number back to the caller",
        name = .country.id_name()
    )]
    CheckDigit { country: Country },

    #[error(
        "this provider requires a binding message; type a short text or code that the caller will also see in their app"
    )]
    BindingMessageRequired,

    #[error("this provider does not allow a binding message: {reason}")]
    BindingMessageForbidden { reason: String },

    #[error("the binding message is too long: {chars} of max {max} characters; shorten it")]
    BindingMessageTooLong { chars: usize, max: usize },

    #[error(
        "character {character:?} is not allowed in the binding message; allowed are {allowed}",
        allowed = .charset.description()
    )]
    BindingMessageCharacter { character: char, charset: Charset },
}
