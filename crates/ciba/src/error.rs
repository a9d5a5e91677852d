//! Everything that can go wrong in a CIBA round-trip, named after what happened in the
//! protocol, not after the library that noticed. Messages are meant for an agent or an
//! administrator: they say what happened and what to do, and never contain a secret, a token
//! or a national identity number.

use std::fmt;

/// What the provider said when it refused something: its `error` code and, when it sent one,
/// its `error_description`, kept verbatim so an administrator can look it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub error: String,
    pub description: Option<String>,
    pub status: u16,
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.description {
            Some(d) if !d.is_empty() => write!(f, "{} ({})", self.error, d),
            _ => f.write_str(&self.error),
        }
    }
}

/// Why an ID token was not accepted. Each variant is one check of OpenID Connect Core §3.1.3.7
/// (plus the CIBA-specific hashes), so the agent's screen and the audit log can say which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationFailure {
    #[error("the ID token is not a signed JWT (expected three dot-separated parts)")]
    Malformed,
    #[error("the ID token header or claims are not valid JSON: {0}")]
    BadEncoding(String),
    #[error("the ID token is unsigned (alg \"none\"), which is never accepted")]
    Unsigned,
    #[error(
        "the ID token marks header extensions as critical ({names}), which CIBA Desk does not implement, so it must refuse the token"
    )]
    CriticalHeader { names: String },
    #[error(
        "the token's type is {found:?}, not an ID token: an access token or another kind of JWT is never accepted in its place"
    )]
    WrongType { found: String },
    #[error("the ID token uses the symmetric algorithm {0}, which is never accepted for ID tokens")]
    SymmetricAlgorithm(String),
    #[error("the ID token is signed with {alg}, which is not on the allow-list ({allowed})")]
    AlgorithmNotAllowed { alg: String, allowed: String },
    #[error(
        "no key in the provider's JWKS matches the ID token's key id {kid:?}, even after refreshing the key set"
    )]
    UnknownKey { kid: Option<String> },
    #[error("the provider's key {kid:?} does not fit the ID token's algorithm {alg}: {reason}")]
    KeyMismatch {
        kid: Option<String>,
        alg: String,
        reason: String,
    },
    #[error("the ID token's signature does not verify against the provider's published keys")]
    BadSignature,
    #[error("the ID token was issued by {found:?}, not by the configured provider {expected:?}")]
    WrongIssuer { expected: String, found: String },
    #[error("the ID token is addressed to {found:?}, not to this client ({client_id:?})")]
    WrongAudience {
        client_id: String,
        found: Vec<String>,
    },
    #[error("the ID token has several audiences but no azp claim naming this client")]
    MissingAzp,
    #[error("the ID token's azp claim {found:?} is not this client ({client_id:?})")]
    WrongAzp { client_id: String, found: String },
    #[error("the ID token has no {0} claim, which is required")]
    MissingClaim(&'static str),
    #[error("the ID token's {claim} claim is not a valid value")]
    InvalidClaim { claim: &'static str },
    #[error("the ID token expired {seconds_ago} s ago (allowed clock skew {leeway} s)")]
    Expired { seconds_ago: u64, leeway: u64 },
    #[error(
        "the ID token claims to be issued {seconds_ahead} s in the future; check the clock of this computer"
    )]
    IssuedInFuture { seconds_ahead: u64 },
    #[error(
        "the ID token is not valid for another {seconds_ahead} s (nbf); check the clock of this computer"
    )]
    NotYetValid { seconds_ahead: u64 },
    #[error(
        "the ID token was issued {seconds_before} s before this request was sent, so it cannot be its answer"
    )]
    IssuedBeforeRequest { seconds_before: u64 },
    #[error(
        "the customer authenticated {seconds_before} s before this request was sent (auth_time), so that approval is not an answer to it"
    )]
    AuthenticatedBeforeRequest { seconds_before: u64 },
    #[error("the ID token's at_hash does not match the access token it came with")]
    AtHashMismatch,
    #[error("the ID token's rt_hash does not match the refresh token it came with")]
    RtHashMismatch,
    #[error("the ID token belongs to another authentication request (auth_req_id claim differs)")]
    AuthReqIdMismatch,
}

/// The crate's one error type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CibaError {
    // --- configuration, caught before anything is sent ---
    #[error(
        "{url} is not allowed: providers must use HTTPS (plain HTTP only on this computer's loopback address)"
    )]
    InsecureUrl { url: String },
    #[error("invalid configuration: {0}")]
    InvalidConfiguration(String),
    #[error("the private key cannot be used: {0}")]
    InvalidPrivateKey(String),
    #[error("the client certificate cannot be used: {0}")]
    InvalidClientCertificate(String),

    // --- discovery ---
    #[error(
        "the discovery document names issuer {found:?}, but the configured issuer is {expected:?}; check the issuer URL (they must match exactly)"
    )]
    IssuerMismatch { expected: String, found: String },
    #[error(
        "the provider {issuer} does not offer CIBA: its discovery document has no backchannel_authentication_endpoint"
    )]
    CibaNotSupported { issuer: String },
    #[error("the provider's discovery document is missing {field}")]
    IncompleteDiscovery { field: &'static str },

    // --- transport ---
    #[error("could not reach the provider at {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("the provider at {endpoint} did not answer within {seconds} s")]
    Timeout { endpoint: String, seconds: u64 },
    #[error("the provider's answer from {endpoint} is larger than {limit} bytes and was refused")]
    ResponseTooLarge { endpoint: String, limit: usize },
    #[error(
        "the provider answered {endpoint} with HTTP {status} and {what} instead of JSON; it may be down or misconfigured"
    )]
    UnexpectedResponse {
        endpoint: String,
        status: u16,
        what: String,
    },
    #[error("the provider's answer from {endpoint} is not what the protocol expects: {reason}")]
    MalformedResponse { endpoint: String, reason: String },

    // --- the authentication request (CIBA Core §13) ---
    #[error("the provider rejected the request as invalid: {0}")]
    InvalidRequest(ProviderError),
    #[error("the provider does not allow the requested scope: {0}")]
    InvalidScope(ProviderError),
    #[error("the login hint token has expired: {0}")]
    ExpiredLoginHintToken(ProviderError),
    #[error("the provider does not know this user; check the identifier: {0}")]
    UnknownUserId(ProviderError),
    #[error("this client is not allowed to use CIBA at the provider: {0}")]
    UnauthorizedClient(ProviderError),
    #[error("the provider requires a user code: {0}")]
    MissingUserCode(ProviderError),
    #[error("the user code is wrong: {0}")]
    InvalidUserCode(ProviderError),
    #[error(
        "the provider refused the binding message; shorten it or remove special characters: {0}"
    )]
    InvalidBindingMessage(ProviderError),
    #[error(
        "the provider did not accept this client's credentials; check the client id and secret or key: {0}"
    )]
    InvalidClient(ProviderError),

    // --- the outcome ---
    #[error("the customer declined the request, or the provider refused it: {0}")]
    AuthorizationDenied(ProviderError),
    #[error("the request expired before the customer answered")]
    Expired,
    #[error("the provider no longer accepts this request: {0}")]
    InvalidGrant(ProviderError),
    #[error("the provider reported an error: {0}")]
    Provider(ProviderError),
    #[error("the ID token was rejected: {0}")]
    IdTokenRejected(#[from] ValidationFailure),
    #[error("the verification was cancelled")]
    Cancelled,
    #[error("polling stopped here, for another process to go on with the request")]
    HandedOver,
    #[error("ping notification refused: {0}")]
    PingRefused(&'static str),

    // --- signing a person in (authorization code) ---
    #[error("{0}")]
    SignIn(String),
}

/// The coarse outcome classes the command line turns into exit codes and the UI into colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad configuration or input: nothing useful was sent.
    Configuration,
    /// The customer (or the provider on their behalf) said no.
    Denied,
    /// Nobody answered in time.
    Expired,
    /// The provider or the network failed.
    Provider,
    /// An ID token arrived and failed verification.
    Rejected,
    Cancelled,
}

impl CibaError {
    pub fn class(&self) -> ErrorClass {
        use CibaError::*;
        match self {
            InsecureUrl { .. }
            | InvalidConfiguration(_)
            | InvalidPrivateKey(_)
            | InvalidClientCertificate(_) => ErrorClass::Configuration,
            AuthorizationDenied(_) => ErrorClass::Denied,
            Expired => ErrorClass::Expired,
            IdTokenRejected(_) => ErrorClass::Rejected,
            Cancelled | HandedOver => ErrorClass::Cancelled,
            _ => ErrorClass::Provider,
        }
    }

    /// A stable, machine-readable code for the UI and the audit log.
    pub fn code(&self) -> &'static str {
        use CibaError::*;
        match self {
            InsecureUrl { .. } => "insecure_url",
            InvalidConfiguration(_) => "invalid_configuration",
            InvalidPrivateKey(_) => "invalid_private_key",
            InvalidClientCertificate(_) => "invalid_client_certificate",
            IssuerMismatch { .. } => "issuer_mismatch",
            CibaNotSupported { .. } => "ciba_not_supported",
            IncompleteDiscovery { .. } => "incomplete_discovery",
            Unreachable { .. } => "unreachable",
            Timeout { .. } => "timeout",
            ResponseTooLarge { .. } => "response_too_large",
            UnexpectedResponse { .. } => "unexpected_response",
            MalformedResponse { .. } => "malformed_response",
            InvalidRequest(_) => "invalid_request",
            InvalidScope(_) => "invalid_scope",
            ExpiredLoginHintToken(_) => "expired_login_hint_token",
            UnknownUserId(_) => "unknown_user_id",
            UnauthorizedClient(_) => "unauthorized_client",
            MissingUserCode(_) => "missing_user_code",
            InvalidUserCode(_) => "invalid_user_code",
            InvalidBindingMessage(_) => "invalid_binding_message",
            InvalidClient(_) => "invalid_client",
            AuthorizationDenied(_) => "access_denied",
            Expired => "expired",
            InvalidGrant(_) => "invalid_grant",
            Provider(_) => "provider_error",
            IdTokenRejected(_) => "id_token_rejected",
            Cancelled => "cancelled",
            HandedOver => "handed_over",
            PingRefused(_) => "ping_refused",
            SignIn(_) => "sign_in_failed",
        }
    }

    /// The provider's own error, when the provider sent one.
    pub fn provider_error(&self) -> Option<&ProviderError> {
        use CibaError::*;
        match self {
            InvalidRequest(e)
            | InvalidScope(e)
            | ExpiredLoginHintToken(e)
            | UnknownUserId(e)
            | UnauthorizedClient(e)
            | MissingUserCode(e)
            | InvalidUserCode(e)
            | InvalidBindingMessage(e)
            | InvalidClient(e)
            | AuthorizationDenied(e)
            | InvalidGrant(e)
            | Provider(e) => Some(e),
            _ => None,
        }
    }

    /// Failures worth retrying while a request is still alive: the network or the provider's
    /// server failed, but nothing says the request itself is dead.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            CibaError::Unreachable { .. } | CibaError::Timeout { .. } => true,
            CibaError::UnexpectedResponse { status, .. } => *status >= 500,
            CibaError::Provider(e) => e.status >= 500 || e.error == "temporarily_unavailable",
            _ => false,
        }
    }

    /// Maps an OAuth error answer from the backchannel endpoint to its CIBA Core §13 variant.
    pub(crate) fn from_backchannel(e: ProviderError) -> Self {
        use CibaError::*;
        match e.error.as_str() {
            "invalid_request" => InvalidRequest(e),
            "invalid_scope" => InvalidScope(e),
            "expired_login_hint_token" => ExpiredLoginHintToken(e),
            "unknown_user_id" => UnknownUserId(e),
            "unauthorized_client" => UnauthorizedClient(e),
            "missing_user_code" => MissingUserCode(e),
            "invalid_user_code" => InvalidUserCode(e),
            "invalid_binding_message" => InvalidBindingMessage(e),
            "invalid_client" => InvalidClient(e),
            "access_denied" => AuthorizationDenied(e),
            _ => Provider(e),
        }
    }
}

pub type Result<T, E = CibaError> = std::result::Result<T, E>;
