//! The built-in sandbox CIBA provider: a real OpenID Connect CIBA OP (poll mode) on the
//! loopback interface, for training, demos and tests, without any provider contract.
//!
//! **Nothing it says is a real identity.** It knows a handful of fictional [test
//! persons](persons()), signs ID tokens with a key of its own, and lets whoever opens its
//! "customer phone" page (`/device`) approve or deny each request. Its client credentials,
//! [`CLIENT_ID`] / [`CLIENT_SECRET`], are public on purpose.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sandbox::SandboxError> {
//! let sandbox = sandbox::start(sandbox::SandboxConfig::new("/tmp/ciba-desk")).await?;
//! println!("issuer {}, phone page {}", sandbox.issuer(), sandbox.device_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Endpoints: `/.well-known/openid-configuration`, `/jwks`, `/ciba/auth` (backchannel
//! authentication), `/token`; the phone page `/device` and the Authway-style pickup link
//! `/identity/ciba?requestId=…`; a JSON control API under `/sandbox/requests` for scripts;
//! `DELETE /ciba/auth/{auth_req_id}` to withdraw a request; `POST /sandbox/proof` to prove
//! that the listener is this sandbox ([`proof`]).

mod client_auth;
mod config;
mod error;
mod html;
mod id_token;
mod keys;
mod oauth;
mod persons;
pub mod proof;
mod routes;
mod server;
mod state;

pub use client_auth::{CLIENT_ID, CLIENT_SECRET};
pub use config::{AutoDecision, DEFAULT_PORT, Decision, SandboxConfig, UnknownDecision};
pub use error::SandboxError;
pub use id_token::SANDBOX_CLAIM;
pub use keys::KEY_FILE_NAME;
pub use persons::{Person, find_person, persons, stand_in_for};
pub use server::{Sandbox, start};
pub use state::{DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, POLL_INTERVAL};
