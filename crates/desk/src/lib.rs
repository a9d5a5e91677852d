//! CIBA Desk's application core, testable without a window: provider [profiles](profile) and
//! [presets], the agent's [input] turned into a validated request, verification
//! [sessions](session) (many at once, cancellable, reported as events), the normalised
//! [verified] identity with its identity match, the [settings] file, and server mode
//! ([org]: the organisation's server, reached after the agent signs in).
//!
//! Data flows one way: [`AgentInput`] → [`PreparedRequest`] (nothing sent yet) → a CIBA
//! round-trip in `ciba` → [`VerifiedIdentity`] + [`IdentityMatch`] → an event for the screen.
//! Secrets come through a [`SecretSource`]; none is stored in a profile, printed, serialized
//! or sent in an event. National identity numbers are masked in every output.

pub mod api;
pub mod audit_trail;
pub mod error;
pub mod events;
pub mod input;
pub mod keyring;
pub mod link;
pub mod matching;
pub mod org;
pub mod paths;
pub mod presets;
pub mod profile;
pub mod sandbox_proof;
pub mod screen_pop;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod verified;

pub use audit_trail::{AuditSettings, AuditTrail, RecordDraft};
pub use error::{DeskError, ErrorField, ErrorReport, FailureKind, Location, Param, Result};
pub use events::{
    AuditEntry, FinalSummary, Outcome, VerificationEvent, VerificationId, VerificationState,
};
pub use input::{
    AgentInput, ExpectedIdentity, MAX_REFERENCE, PreparedRequest, check_reference, prepare,
    prepare_at,
};
pub use keyring::{KeyringSecrets, SecretPart};
pub use presets::{Preset, preset, presets};
pub use profile::{
    CallInitiator, ClaimMapping, CustomerLink, Endpoints, HintFormat, IdentityInput, InputKind,
    PhoneAuth, PlaceholderField, Profile, ProviderKind, PublicCredential, SANDBOX_PROFILE,
    SecretRef, SignicatAcr,
};
pub use secrets::{EnvSecrets, MemorySecrets, SecretSource, client_auth};
pub use session::{Desk, DeskOptions, RequestAcknowledged, VerificationHandle};
pub use settings::{ImportMode, ImportReport, Preferences, Settings, SettingsStore};
pub use verified::{
    IdentityMatch, MatchBasis, MethodInfo, ProviderInfo, VerifiedIdentity, identity_match,
};

pub use ciba::{AuthMethod, SecretString};
pub use identity::{BindingMessageRules, Charset, Country, MessageRequirement, NationalId};
