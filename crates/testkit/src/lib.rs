//! What the test suites of the other crates share: providers to test against.
//! - [`fake_op`]: an in-process fake that can misbehave on demand.
//! - [`oidc_op`]: the real thing, panva's `oidc-provider` (npm), started on loopback.
//! - [`tls`]: a throwaway certificate authority, for providers served over HTTPS.
//! - [`policy`]: administrators' policy files.

pub mod fake_op;
pub mod oidc_op;
pub mod org_op;
pub mod ping_listener;
pub mod policy;
pub mod postgres;
pub mod tls;
