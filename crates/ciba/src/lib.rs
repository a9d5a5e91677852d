//! An OpenID Connect CIBA client (Client-Initiated Backchannel Authentication Core 1.0), poll
//! and ping modes. Inside, the modules follow the protocol's steps: discovery
//! ([`ProviderMetadata`], [`discover`]), client authentication ([`ClientAuth`]), the
//! authentication request ([`AuthRequest`], answered by an [`Acknowledgement`]), waiting for the
//! customer ([`Progress`], [`CancelHandle`], [`PingGate`]), the token request
//! ([`TokenResponse`]) and the ID token's verification against the provider's key set
//! ([`VerifiedIdToken`]). [`CibaClient`] ties them together. Everything public is exported
//! here, at the crate root.
//!
//! Nothing here knows about desks, keyrings or windows. Secrets stay in `secrecy` types or
//! redacting wrappers from the moment they are read until they leave in a request.

mod backchannel;
mod client;
mod client_auth;
mod clock;
mod discovery;
mod error;
mod fapi;
mod http;
mod id_token;
mod jwks;
mod mtls;
mod poll;
mod request_object;
mod sign_in;
mod token;

pub use backchannel::{Acknowledgement, AuthRequest, Hint};
pub use client::{CibaClient, ClientConfig, PendingAuth, Verified};
pub use client_auth::{ASSERTION_ALGORITHMS, AUTH_METHODS, AuthMethod, ClientAuth, SigningKey};
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use discovery::{
    EndpointOverrides, MtlsEndpointAliases, ProviderMetadata, SigningMetadata, discover,
    discover_signing,
};
pub use error::{CibaError, ErrorClass, ProviderError, Result, ValidationFailure};
pub use fapi::FAPI_ALGORITHMS;
pub use http::{
    Endpoint, Http, HttpOptions, LOCALHOST_ADDRS, MAX_PROVIDER_TEXT, Observer,
    certificate_authorities, loopback_addr, pin_localhost, provider_text, require_secure,
};
pub use id_token::{Binding, ID_TOKEN_TYPES, IdTokenVerifier, StandardClaims, VerifiedIdToken};
pub use jwks::{DEFAULT_MAX_AGE as JWKS_DEFAULT_MAX_AGE, JwksCache};
pub use mtls::ClientCertificate;
pub use poll::{CancelHandle, DEFAULT_INTERVAL, PingGate, Progress};
pub use request_object::REQUEST_ALGORITHMS;
pub use secrecy::{ExposeSecret, SecretString};
pub use sign_in::{
    AuthorizationRequest, SignInClient, SignInMetadata, SignInTokens, code_challenge,
    discover_sign_in,
};
pub use token::TokenResponse;
