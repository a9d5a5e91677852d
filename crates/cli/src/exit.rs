//! Exit codes: a stable interface for scripts (listed in `--help`, see `args::EXIT_CODES`),
//! derived from the desk's typed [`Outcome`] in one place.

use desk::{DeskError, FailureKind, Outcome, VerificationState};

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
/// `verify --server`: the server refused (sign-in, role, a verification of this customer
/// already running, rate limit).
pub const SERVER_REFUSED: u8 = 8;
pub const CANCELLED: u8 = 130;

pub fn for_outcome(o: Outcome) -> u8 {
    match o {
        Outcome::Verified => VERIFIED,
        Outcome::Mismatch => MISMATCH,
        Outcome::Denied => DENIED,
        Outcome::Expired => EXPIRED,
        Outcome::Cancelled => CANCELLED,
        Outcome::Failed(FailureKind::Configuration) => USAGE,
        Outcome::Failed(FailureKind::Rejected) => REJECTED,
        Outcome::Failed(FailureKind::Provider | FailureKind::Internal) => PROVIDER,
    }
}

/// The outcome an error ends a verification with.
pub fn outcome_of(e: &DeskError) -> Outcome {
    VerificationState::ended_by(e)
        .outcome()
        .expect("an error ends a verification")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciba::CibaError;

    #[test]
    fn errors_map_through_their_class() {
        let exit = |e: DeskError| for_outcome(outcome_of(&e));
        assert_eq!(exit(DeskError::UnknownProfile("x".into())), USAGE);
        assert_eq!(
            exit(CibaError::IdTokenRejected(ciba::ValidationFailure::Unsigned).into()),
            REJECTED
        );
        assert_eq!(
            exit(
                CibaError::Unreachable {
                    endpoint: "token".into(),
                    reason: "refused".into()
                }
                .into()
            ),
            PROVIDER
        );
        assert_eq!(exit(CibaError::Expired.into()), EXPIRED);
        assert_eq!(exit(CibaError::Cancelled.into()), CANCELLED);
        assert_eq!(
            outcome_of(&CibaError::Expired.into()).status_word(),
            "expired"
        );
    }
}
