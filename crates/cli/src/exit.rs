//! Exit codes: a stable interface for scripts.

use ciba::{CibaError, ErrorClass};

pub const VERIFIED: u8 = 0;
pub const USAGE: u8 = 1;
pub const DENIED: u8 = 2;
pub const EXPIRED: u8 = 3;
pub const PROVIDER: u8 = 4;
pub const REJECTED: u8 = 5;
pub const CANCELLED: u8 = 130;

pub fn for_error(e: &CibaError) -> u8 {
    match e.class() {
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
