//! Exit codes: a stable interface for scripts (listed in `--help`, see `args::EXIT_CODES`).

use ciba::{CibaError, ErrorClass};

pub const VERIFIED: u8 = 0;
/// Usage or configuration: nothing was sent.
pub const USAGE: u8 = 1;
pub const DENIED: u8 = 2;
pub const EXPIRED: u8 = 3;
pub const PROVIDER: u8 = 4;
pub const REJECTED: u8 = 5;
/// Verified, but the person who approved is not the one the agent asked for.
pub const MISMATCH: u8 = 6;
/// The audit log's hash chain does not verify.
pub const AUDIT_BROKEN: u8 = 7;
pub const CANCELLED: u8 = 130;

pub fn for_error(e: &CibaError) -> u8 {
    for_class(e.class())
}

fn for_class(c: ErrorClass) -> u8 {
    match c {
        ErrorClass::Configuration => USAGE,
        ErrorClass::Denied => DENIED,
        ErrorClass::Expired => EXPIRED,
        ErrorClass::Provider => PROVIDER,
        ErrorClass::Rejected => REJECTED,
        ErrorClass::Cancelled => CANCELLED,
    }
}

/// The `status` word of the JSON result for a failure.
pub fn status_word(e: &CibaError) -> &'static str {
    match e.class() {
        ErrorClass::Denied => "denied",
        ErrorClass::Expired => "expired",
        ErrorClass::Rejected => "rejected",
        ErrorClass::Cancelled => "cancelled",
        ErrorClass::Configuration | ErrorClass::Provider => "failed",
    }
}

/// Error codes (from `ciba` and `desk`) that mean "fix the configuration or the input":
/// nothing reached the customer.
const CONFIGURATION_CODES: &[&str] = &[
    "insecure_url",
    "invalid_configuration",
    "invalid_private_key",
    "profile_placeholder",
    "invalid_profile",
    "unknown_profile",
    "missing_secret",
    "secret_unavailable",
    "settings_malformed",
    "settings_too_new",
    "no_config_dir",
    "io_error",
];

/// The exit code and status word for a desk error code (a `Failed` verification, or an
/// error returned before anything was sent).
pub fn for_code(code: &str) -> (u8, &'static str) {
    match code {
        "access_denied" => (DENIED, "denied"),
        "expired" => (EXPIRED, "expired"),
        "id_token_rejected" => (REJECTED, "rejected"),
        "cancelled" => (CANCELLED, "cancelled"),
        c if CONFIGURATION_CODES.contains(&c) => (USAGE, "failed"),
        _ => (PROVIDER, "failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_their_class() {
        assert_eq!(for_code("missing_secret").0, USAGE);
        assert_eq!(for_code("id_token_rejected").0, REJECTED);
        assert_eq!(for_code("unreachable").0, PROVIDER);
        assert_eq!(for_code("access_denied"), (DENIED, "denied"));
        assert_eq!(for_error(&CibaError::Expired), EXPIRED);
    }
}
