//! The binding message is the short text shown both on the agent's screen and
//! in the caller's authenticator app, so the caller can tell that the request
//! on their phone is the one the agent just started.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::IdentityError;

/// What one identity provider accepts as a binding message.
///
/// Stored in provider profiles (TOML), e.g.
///
/// ```toml
/// max_chars = 40
/// allowed = "latin"
/// requirement = { forbidden = { reason = "read the word pair the app shows instead" } }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingMessageRules {
    /// Counted in Unicode scalar values (`char`s), not bytes or UTF-16 units:
    /// that is the closest portable approximation of "characters" a provider
    /// documents. Input is not Unicode-normalised, so a decomposed "é"
    /// (e + combining accent) counts as two.
    pub max_chars: usize,
    #[serde(default)]
    pub allowed: Charset,
    #[serde(default)]
    pub requirement: MessageRequirement,
    /// Fill an empty message with [`generate_code`]. Never applies when the
    /// message is [`MessageRequirement::Forbidden`].
    #[serde(default)]
    pub generate_when_empty: bool,
}

/// Which characters a provider accepts in a binding message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// Anything visible: no control characters and no invisible formatting
    /// characters. Bidirectional overrides in particular are refused because
    /// they can make the caller's app display a different text than the
    /// agent typed.
    #[default]
    Printable,
    /// Latin letters (ASCII, Latin-1 and Latin Extended-A, which covers
    /// åäöæøéü and the like), digits, space and `. , : ; ! ? - _ ( ) ' " / + # @ &`.
    Latin,
    /// `A-Z`, `a-z`, `0-9` and space.
    AsciiAlnumSpace,
}

impl Charset {
    pub fn allows(self, character: char) -> bool {
        match self {
            Charset::Printable => !character.is_control() && !is_invisible_format(character),
            Charset::Latin => {
                character.is_ascii_alphanumeric()
                    || character == ' '
                    || LATIN_PUNCTUATION.contains(character)
                    || is_latin_letter_beyond_ascii(character)
            }
            Charset::AsciiAlnumSpace => character.is_ascii_alphanumeric() || character == ' ',
        }
    }

    /// Completes the sentence "allowed are …".
    pub fn description(self) -> &'static str {
        match self {
            Charset::Printable => {
                "visible characters only (no control or invisible formatting characters)"
            }
            Charset::Latin => "letters, digits, spaces and . , : ; ! ? - _ ( ) ' \" / + # @ &",
            Charset::AsciiAlnumSpace => "A-Z, a-z, 0-9 and spaces",
        }
    }
}

const LATIN_PUNCTUATION: &str = ".,:;!?-_()'\"/+#@&";

fn is_latin_letter_beyond_ascii(character: char) -> bool {
    // Latin-1 Supplement letters are U+00C0..=U+00FF except × and ÷;
    // Latin Extended-A (U+0100..=U+017F) is letters only.
    matches!(character, '\u{C0}'..='\u{17F}') && character != '×' && character != '÷'
}

/// Format characters (general category Cf) and separators that render as
/// nothing but change how the surrounding text is displayed.
fn is_invisible_format(character: char) -> bool {
    matches!(
        character,
        '\u{AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Whether a provider wants a binding message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRequirement {
    Required,
    #[default]
    Optional,
    Forbidden {
        /// Shown to the agent verbatim, so it should say what to do instead,
        /// e.g. "Norwegian BankID does not allow a binding message; read the
        /// word pair the app shows instead".
        reason: String,
    },
}

impl BindingMessageRules {
    /// The message to send, if any, after trimming surrounding whitespace.
    ///
    /// Generated codes come from the thread-local RNG; use
    /// [`validate_with`](Self::validate_with) to control it.
    pub fn validate(&self, input: &str) -> Result<Option<String>, IdentityError> {
        self.validate_with(input, &mut rand::rng())
    }

    pub fn validate_with<R: Rng + ?Sized>(
        &self,
        input: &str,
        rng: &mut R,
    ) -> Result<Option<String>, IdentityError> {
        let message = input.trim();
        if let MessageRequirement::Forbidden { reason } = &self.requirement {
            return if message.is_empty() {
                Ok(None)
            } else {
                Err(IdentityError::BindingMessageForbidden {
                    reason: reason.clone(),
                })
            };
        }
        if message.is_empty() {
            if self.generate_when_empty {
                // Checked like typed input so a profile with max_chars < 4
                // fails loudly instead of sending something the provider rejects.
                let code = generate_code_with(rng);
                self.check_content(&code)?;
                return Ok(Some(code));
            }
            return match self.requirement {
                MessageRequirement::Required => Err(IdentityError::BindingMessageRequired),
                _ => Ok(None),
            };
        }
        self.check_content(message)?;
        Ok(Some(message.to_owned()))
    }

    fn check_content(&self, message: &str) -> Result<(), IdentityError> {
        let chars = message.chars().count();
        if chars > self.max_chars {
            return Err(IdentityError::BindingMessageTooLong {
                chars,
                max: self.max_chars,
            });
        }
        match message.chars().find(|&c| !self.allowed.allows(c)) {
            Some(character) => Err(IdentityError::BindingMessageCharacter {
                character,
                charset: self.allowed,
            }),
            None => Ok(()),
        }
    }
}

/// A random 4-digit code (leading zeros kept) for the agent to read aloud.
pub fn generate_code() -> String {
    generate_code_with(&mut rand::rng())
}

pub fn generate_code_with<R: Rng + ?Sized>(rng: &mut R) -> String {
    format!("{:04}", rng.random_range(0..10_000u16))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn rules(requirement: MessageRequirement, allowed: Charset) -> BindingMessageRules {
        BindingMessageRules {
            max_chars: 10,
            allowed,
            requirement,
            generate_when_empty: false,
        }
    }

    fn is_code(text: &str) -> bool {
        text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit())
    }

    #[test]
    fn trims_and_accepts() {
        let rules = rules(MessageRequirement::Required, Charset::Latin);
        assert_eq!(
            rules.validate("  Räksmörgås \n").unwrap(),
            Some("Räksmörgås".into())
        );
    }

    #[test]
    fn empty_optional_is_none() {
        let rules = rules(MessageRequirement::Optional, Charset::Printable);
        assert_eq!(rules.validate(" \t ").unwrap(), None);
    }

    #[test]
    fn empty_required_is_an_error() {
        let rules = rules(MessageRequirement::Required, Charset::Printable);
        let error = rules.validate("").unwrap_err();
        assert_eq!(error, IdentityError::BindingMessageRequired);
        assert!(error.to_string().contains("requires a binding message"));
    }

    #[test]
    fn empty_with_generation_yields_a_code() {
        for requirement in [MessageRequirement::Required, MessageRequirement::Optional] {
            let mut rules = rules(requirement, Charset::AsciiAlnumSpace);
            rules.generate_when_empty = true;
            let code = rules.validate("  ").unwrap().unwrap();
            assert!(is_code(&code), "{code}");
        }
    }

    #[test]
    fn generation_respects_a_too_small_limit() {
        let mut rules = rules(MessageRequirement::Required, Charset::Printable);
        rules.generate_when_empty = true;
        rules.max_chars = 3;
        assert!(matches!(
            rules.validate(""),
            Err(IdentityError::BindingMessageTooLong { chars: 4, max: 3 })
        ));
    }

    #[test]
    fn forbidden_rejects_text_with_the_reason() {
        let reason = "Norwegian BankID does not allow a binding message; read the word pair the app shows instead";
        let mut rules = rules(
            MessageRequirement::Forbidden {
                reason: reason.into(),
            },
            Charset::Printable,
        );
        rules.generate_when_empty = true;
        assert_eq!(rules.validate("   ").unwrap(), None);
        let error = rules.validate("hello").unwrap_err();
        assert!(error.to_string().ends_with(reason), "{error}");
    }

    #[test]
    fn too_long_counts_scalar_values() {
        let rules = rules(MessageRequirement::Optional, Charset::Latin);
        assert!(rules.validate("åäöåäöåäöå").is_ok());
        let error = rules.validate("åäöåäöåäöåä").unwrap_err();
        assert_eq!(
            error,
            IdentityError::BindingMessageTooLong { chars: 11, max: 10 }
        );
        assert!(error.to_string().contains("11 of max 10 characters"));
    }

    #[test]
    fn rejects_characters_outside_the_charset() {
        let cases = [
            (Charset::Printable, "a\u{7}b", '\u{7}'),
            (Charset::Printable, "pay\u{202E}321", '\u{202E}'),
            (Charset::Printable, "zero\u{200B}width", '\u{200B}'),
            (Charset::Latin, "Ref: 5×3", '×'),
            (Charset::Latin, "emoji 🙂", '🙂'),
            (Charset::Latin, "Ωmega", 'Ω'),
            (Charset::AsciiAlnumSpace, "ref-12", '-'),
            (Charset::AsciiAlnumSpace, "Malmö", 'ö'),
        ];
        for (charset, input, bad) in cases {
            let error = rules(MessageRequirement::Optional, charset)
                .validate(input)
                .unwrap_err();
            assert_eq!(
                error,
                IdentityError::BindingMessageCharacter {
                    character: bad,
                    charset
                },
                "{input}"
            );
            assert!(error.to_string().contains(&format!("{bad:?}")), "{error}");
        }
    }

    #[test]
    fn accepts_what_each_charset_promises() {
        let accepts = [
            (Charset::Printable, "Ärende #42 🙂 Ω"),
            (Charset::Latin, "Æbleø, Ölçü? (ref/42) \"ok\" + #@&_;:!'é"),
            (Charset::AsciiAlnumSpace, "Ref 42 abc"),
        ];
        for (charset, input) in accepts {
            let mut rules = rules(MessageRequirement::Optional, charset);
            rules.max_chars = 100;
            assert!(rules.validate(input).is_ok(), "{charset:?} {input}");
        }
    }

    #[test]
    fn codes_are_four_digits_with_leading_zeros() {
        let mut rng = StdRng::seed_from_u64(7);
        let codes: Vec<String> = (0..2_000).map(|_| generate_code_with(&mut rng)).collect();
        assert!(codes.iter().all(|code| is_code(code)));
        assert!(codes.iter().any(|code| code.starts_with('0')));
        assert!(is_code(&generate_code()));
    }

    #[test]
    fn rules_round_trip_through_toml() {
        let text = r#"
            max_chars = 40
            allowed = "latin"
            requirement = { forbidden = { reason = "read the word pair instead" } }
        "#;
        let parsed: BindingMessageRules = toml::from_str(text).unwrap();
        assert_eq!(
            parsed,
            BindingMessageRules {
                max_chars: 40,
                allowed: Charset::Latin,
                requirement: MessageRequirement::Forbidden {
                    reason: "read the word pair instead".into()
                },
                generate_when_empty: false,
            }
        );
        let again: BindingMessageRules =
            toml::from_str(&toml::to_string(&parsed).unwrap()).unwrap();
        assert_eq!(again, parsed);

        let minimal: BindingMessageRules = toml::from_str(
            "max_chars = 20\nrequirement = \"required\"\ngenerate_when_empty = true",
        )
        .unwrap();
        assert_eq!(minimal.allowed, Charset::Printable);
        assert_eq!(minimal.requirement, MessageRequirement::Required);
    }
}
