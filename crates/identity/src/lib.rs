//! Pure functions for the identity inputs an agent types into CIBA Desk.
//!
//! - [`NationalId`]: Swedish personnummer / samordningsnummer, Norwegian
//!   fødselsnummer / D-number / H-number and Danish CPR numbers, validated and
//!   normalised so they can be sent as a login hint and compared with the
//!   identity provider's claim ([`NationalId::matches_claim`]).
//! - [`BindingMessageRules`]: what a provider accepts as a binding message, and
//!   a short code the agent can read aloud when none is typed.
//! - [`parse_email`], [`parse_uuid`], [`check_user_name`]: the other identifiers.
//! - [`mask_email`] / [`mask_generic`]: redaction for screens and logs.
//!
//! National identity numbers are sensitive personal data. [`NationalId`]'s
//! `Display`, `Debug` and `Serialize` all produce the masked form, and every
//! [`IdentityError`] message leaves the full number out, so a number only
//! reaches a log when someone calls [`NationalId::expose`] on purpose.
//!
//! Nothing here reads the clock except the convenience functions that say so
//! (`parse`, `matches_claim`, [`Date::today`]); their `*_at` twins take
//! `today` so results are reproducible in tests.

mod binding_message;
mod date;
mod error;
mod mask;
mod national_id;
mod user_id;

pub use binding_message::{
    BindingMessageRules, Charset, MessageRequirement, generate_code, generate_code_with,
};
pub use date::{Date, InvalidDate};
pub use error::IdentityError;
pub use mask::{mask_email, mask_generic, replace_numbers};
pub use national_id::{Country, IdKind, IdWarning, NationalId};
pub use user_id::{MAX_USER_NAME, UserNameProblem, check_user_name, parse_email, parse_uuid};
