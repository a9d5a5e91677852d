//! An OpenID Connect CIBA client (Client-Initiated Backchannel Authentication Core 1.0), poll
//! and ping modes. The modules follow the protocol's steps: [`discovery`], [`client_auth`],
//! [`backchannel`] (the authentication request), [`poll`] (waiting for the customer),
//! [`token`], [`id_token`] with its [`jwks`] cache. [`client::CibaClient`] ties them together.
//!
//! Nothing here knows about desks, keyrings or windows. Secrets stay in `secrecy` types or
//! redacting wrappers from the moment they are read until they leave in a request.

pub mod backchannel;
pub mod client;
pub mod client_auth;
pub mod clock;
pub mod discovery;
pub mod error;
pub mod http;
pub mod id_token;
pub mod jwks;
pub mod poll;
pub mod token;

pub use backchannel::{Acknowledgement, AuthRequest, Hint};
pub use client::{CibaClient, ClientConfig, PendingAuth, Verified};
pub use client_auth::{AuthMethod, ClientAuth, SigningKey};
pub use clock::{Clock, ManualClock, SystemClock};
pub use discovery::{EndpointOverrides, ProviderMetadata};
pub use error::{CibaError, ErrorClass, ProviderError, Result, ValidationFailure};
pub use http::{Http, HttpOptions};
pub use id_token::{StandardClaims, VerifiedIdToken};
pub use poll::{CancelHandle, PingGate, Progress};
pub use secrecy::{ExposeSecret, SecretString};
pub use token::TokenResponse;
