//! The application layer: what an agent (or a script, or the server on an agent's behalf) can
//! do, as plain functions over one [`App`]. Every shell calls this layer and re-implements
//! none of it: the desktop app's commands are one-line forwards, `ciba-desk` runs its
//! verifications through it, and the server is a third shell over the same functions.
//!
//! What crosses to a screen is in [`views`]: serialisable, with TypeScript types generated
//! from them for the page, and never a secret, a token or a full national ID.

mod app;
mod checks;
mod history;
mod organisation;
mod preferences;
mod profiles;
mod verify;
pub mod views;

pub use app::{App, AppOptions};
pub use profiles::{NewProfile, ProfileEdit, normalise_issuer, secret_status};
pub use verify::{AdhocProfile, ProfileChoice, StartParams};
pub use views::*;
