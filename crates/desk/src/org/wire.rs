//! What the organisation's server sends, read back into the shapes a screen shows: its
//! verification states (the desk's own [`VerificationState`](crate::VerificationState) as
//! JSON, the identity already masked) and its audit records.

use serde::Deserialize;
use serde_json::Value;

use crate::api::views::{
    HistoryEntry, HistoryOutcome, IdentityView, MatchWord, VerificationUpdate,
};
use crate::error::ErrorReport;
use crate::matching::IdentityMatch;
use crate::profile::ProviderKind;

#[derive(Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum WireState {
    Requesting {},
    WaitingForUser {
        expires_at: u64,
        interval: u64,
        #[serde(default)]
        word_pair: Option<String>,
        #[serde(default)]
        customer_link: Option<String>,
        #[serde(default)]
        qr_svg: Option<String>,
    },
    Verified {
        identity: WireIdentity,
        identity_match: IdentityMatch,
    },
    Denied {
        error: ErrorReport,
    },
    Expired {
        error: ErrorReport,
    },
    Failed {
        error: ErrorReport,
    },
    Cancelled {
        #[serde(default)]
        provider_notified: bool,
    },
}

/// The verified identity as the desk serialises it (national ID masked, claims redacted).
#[derive(Deserialize)]
struct WireIdentity {
    display_name: Option<String>,
    national_id: Option<String>,
    date_of_birth: Option<String>,
    provider: WireProvider,
    #[serde(default)]
    method: WireMethod,
    auth_time: Option<u64>,
    transaction_id: Option<String>,
    #[serde(default)]
    is_sandbox: bool,
}

#[derive(Deserialize)]
struct WireProvider {
    kind: ProviderKind,
    profile: String,
}

#[derive(Deserialize, Default)]
struct WireMethod {
    acr: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
    idp: Option<String>,
}

/// A server's state for the screen; `None` for what this version cannot read (a newer
/// server's state is skipped rather than shown wrongly).
pub fn update_of(id: &str, state: &Value, today: identity::Date) -> Option<VerificationUpdate> {
    let id = id.to_owned();
    let state: WireState = serde_json::from_value(state.clone()).ok()?;
    Some(match state {
        WireState::Requesting {} => VerificationUpdate::Requesting { id },
        WireState::WaitingForUser {
            expires_at,
            interval,
            word_pair,
            customer_link,
            qr_svg,
        } => VerificationUpdate::Waiting {
            id,
            expires_at_ms: expires_at,
            interval_s: interval,
            word_pair,
            customer_link,
            qr_svg,
        },
        WireState::Verified {
            identity: i,
            identity_match,
        } => {
            let age = IdentityView::age(i.date_of_birth.as_deref(), today);
            VerificationUpdate::Verified {
                id,
                identity: IdentityView {
                    display_name: i.display_name,
                    national_id_masked: i.national_id,
                    date_of_birth: i.date_of_birth,
                    age,
                    provider: i.provider.kind,
                    profile: i.provider.profile,
                    acr: i.method.acr,
                    amr: i.method.amr,
                    idp: i.method.idp,
                    auth_time_ms: i.auth_time.map(|t| t.saturating_mul(1000)),
                    transaction_id: i.transaction_id,
                    is_sandbox: i.is_sandbox,
                },
                identity_match: (&identity_match).into(),
                match_detail: identity_match,
            }
        }
        WireState::Denied { error } => VerificationUpdate::Denied { id, error },
        WireState::Expired { error } => VerificationUpdate::Expired { id, error },
        WireState::Failed { error } => VerificationUpdate::Failed { id, error },
        WireState::Cancelled { provider_notified } => VerificationUpdate::Cancelled {
            id,
            provider_notified,
        },
    })
}

/// Whether an update is a verification's last.
pub fn is_final(u: &VerificationUpdate) -> bool {
    !matches!(
        u,
        VerificationUpdate::Requesting { .. }
            | VerificationUpdate::Waiting { .. }
            | VerificationUpdate::AuditFailed { .. }
    )
}

#[derive(Deserialize)]
struct WireAuditRow {
    seq: u64,
    time_ms: i64,
    verification_id: String,
    phase: String,
    agent_sub: String,
    agent_name: Option<String>,
    reference: Option<String>,
    profile: String,
    issuer: String,
    identifier_kind: String,
    identifier_masked: String,
    subject_name: Option<String>,
    binding_message: String,
    outcome: String,
    acr: Option<String>,
    transaction_id: Option<String>,
    error_code: Option<String>,
    duration_ms: Option<i64>,
}

fn outcome_of(word: &str) -> Option<HistoryOutcome> {
    Some(match word {
        "verified" => HistoryOutcome::Verified,
        "mismatch" => HistoryOutcome::Mismatch,
        "not_comparable" => HistoryOutcome::NotComparable,
        "denied" => HistoryOutcome::Denied,
        "expired" => HistoryOutcome::Expired,
        "failed" | "rejected" => HistoryOutcome::Failed,
        "cancelled" => HistoryOutcome::Cancelled,
        _ => return None,
    })
}

/// One History line of a server's audit record: its final records only (a verification's
/// `requested` record says nothing its final one does not, and one still running has none).
/// `server` names where it ran, in the place of a workstation. A verified record does not say
/// whether the identity could be compared, so only this run's result card tells the match.
pub fn history_entry(row: &Value, server: &str) -> Option<HistoryEntry> {
    let r: WireAuditRow = serde_json::from_value(row.clone()).ok()?;
    if r.phase != "final" {
        return None;
    }
    let outcome = outcome_of(&r.outcome)?;
    let recorded_at_ms = u64::try_from(r.time_ms).unwrap_or(0);
    let duration_ms = r.duration_ms.and_then(|d| u64::try_from(d).ok());
    Some(HistoryEntry {
        id: r.seq.to_string(),
        seq: r.seq,
        started_at_ms: recorded_at_ms.saturating_sub(duration_ms.unwrap_or(0)),
        recorded_at_ms,
        duration_ms,
        profile: r.profile,
        issuer: r.issuer,
        identifier_kind: r.identifier_kind,
        masked_identity: r.identifier_masked,
        subject_name: r.subject_name,
        binding_message: r.binding_message,
        reference: r.reference,
        outcome,
        acr: r.acr,
        transaction_id: r.transaction_id,
        error_code: r.error_code,
        os_user: r.agent_name.unwrap_or(r.agent_sub),
        workstation: server.to_owned(),
        verification_id: Some(r.verification_id),
        result: None,
        identity_match: match outcome {
            HistoryOutcome::Mismatch => Some(MatchWord::Mismatch),
            HistoryOutcome::NotComparable => Some(MatchWord::NotComparable),
            _ => None,
        },
        error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> identity::Date {
        "2026-12-01".parse().unwrap()
    }

    #[test]
    fn a_verified_state_reads_back_as_the_screen_shows_it() {
        let state = json!({
            "state": "verified",
            "identity": {
                "display_name": "Tolvan Tolvansson",
                "national_id": "19121212-XXXX",
                "date_of_birth": "1912-12-12",
                "email": null, "country": "se", "user_id": null, "device_id": null,
                "subject": "s", "provider": {"kind": "sandbox", "profile": "bank", "issuer": "https://op"},
                "method": {"acr": "urn:loa:high", "amr": ["bankid"], "idp": null},
                "auth_time": 1_700_000_000u64, "transaction_id": "t-1", "is_sandbox": true,
                "label": "Sandbox: not a real identity", "claims": {}
            },
            "identity_match": {"result": "match", "on": "national_id"}
        });
        let Some(VerificationUpdate::Verified {
            id,
            identity,
            identity_match,
            ..
        }) = update_of("abc", &state, today())
        else {
            panic!("not verified");
        };
        assert_eq!(id, "abc");
        assert_eq!(
            identity.national_id_masked.as_deref(),
            Some("19121212-XXXX")
        );
        assert_eq!(identity.age, Some(113));
        assert_eq!(identity.auth_time_ms, Some(1_700_000_000_000));
        assert_eq!(identity.profile, "bank");
        assert!(identity.is_sandbox);
        assert_eq!(identity_match, MatchWord::Match);
    }

    #[test]
    fn other_states_and_unknown_ones() {
        let w = update_of(
            "a",
            &json!({"state": "waiting_for_user", "expires_at": 5, "interval": 2, "word_pair": null}),
            today(),
        )
        .unwrap();
        assert!(matches!(
            w,
            VerificationUpdate::Waiting {
                expires_at_ms: 5,
                interval_s: 2,
                ..
            }
        ));
        assert!(!is_final(&w));
        let f = update_of(
            "a",
            &json!({"state": "failed", "kind": "provider", "error": {"code": "timeout", "message": "m"}}),
            today(),
        )
        .unwrap();
        assert!(is_final(&f));
        assert!(update_of("a", &json!({"state": "teleported"}), today()).is_none());
    }

    #[test]
    fn only_final_audit_records_make_history_lines() {
        let mut row = json!({
            "seq": 7, "time_ms": 10_000, "verification_id": "v1", "phase": "final",
            "agent_sub": "agent-1", "agent_name": "Agent One", "reference": "CASE-1",
            "profile": "bank", "issuer": "https://op", "identifier_kind": "national_id",
            "identifier_masked": "19121212-XXXX", "id_hash": "h", "subject_name": null,
            "binding_message": "Counter 3", "outcome": "mismatch", "acr": null,
            "transaction_id": null, "error_code": null, "duration_ms": 4000,
            "prev_hash": "p", "hash": "h"
        });
        let e = history_entry(&row, "https://desk.example").unwrap();
        assert_eq!(e.outcome, HistoryOutcome::Mismatch);
        assert_eq!(e.identity_match, Some(MatchWord::Mismatch));
        assert_eq!(e.started_at_ms, 6_000);
        assert_eq!(e.os_user, "Agent One");
        assert_eq!(e.reference.as_deref(), Some("CASE-1"));
        assert!(e.matches("case-1"));
        row["phase"] = "requested".into();
        assert!(history_entry(&row, "x").is_none());
    }
}
