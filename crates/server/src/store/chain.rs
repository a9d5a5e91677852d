//! The audit chain's hash and its verification, the same for both backends.
//!
//! A record's `hash` is the lower-case hex HMAC-SHA256, under the server's audit key, of the
//! compact JSON array (as `serde_json` writes it: no spaces, strings JSON-escaped, integers
//! as numbers, NULL as `null`)
//!
//! ```text
//! ["ciba-desk-server-audit/1", seq, time_ms, verification_id, phase, agent_sub, agent_name,
//!  reference, profile, issuer, identifier_kind, identifier_masked, id_hash, subject_name,
//!  binding_message, outcome, acr, transaction_id, error_code, duration_ms, prev_hash]
//! ```
//!
//! that is, the stored columns in table order, `prev_hash` last, behind a version tag. Anyone
//! with the key can recompute it from an export (`audit_csv`: an empty optional cell is
//! `null`).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::{AuditCheck, AuditRow};

/// The `prev_hash` of seq 1: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The first element of every encoding: names this format and its version.
pub const HASH_DOMAIN: &str = "ciba-desk-server-audit/1";

/// The HMAC-SHA256 (hex) of a record's canonical encoding (its `hash` field is ignored).
pub fn record_hash(key: &[u8], r: &AuditRow) -> String {
    let opt = |o: &Option<String>| o.as_deref().map_or(Value::Null, Value::from);
    let encoding = Value::Array(vec![
        Value::from(HASH_DOMAIN),
        Value::from(r.seq),
        Value::from(r.time_ms),
        Value::from(r.verification_id.as_str()),
        Value::from(r.phase.as_str()),
        Value::from(r.agent_sub.as_str()),
        opt(&r.agent_name),
        opt(&r.reference),
        Value::from(r.profile.as_str()),
        Value::from(r.issuer.as_str()),
        Value::from(r.identifier_kind.as_str()),
        Value::from(r.identifier_masked.as_str()),
        Value::from(r.id_hash.as_str()),
        opt(&r.subject_name),
        Value::from(r.binding_message.as_str()),
        Value::from(r.outcome.as_str()),
        opt(&r.acr),
        opt(&r.transaction_id),
        opt(&r.error_code),
        r.duration_ms.map_or(Value::Null, Value::from),
        Value::from(r.prev_hash.as_str()),
    ]);
    let bytes = serde_json::to_vec(&encoding).expect("JSON values serialise to memory");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&bytes);
    audit::hex(&mac.finalize().into_bytes())
}

/// Walks the chain in seq order and keeps the first problem.
pub(crate) struct ChainWalker<'k> {
    key: &'k [u8],
    records: u64,
    next_seq: u64,
    prev_hash: String,
    problem: Option<(u64, String)>,
}

impl<'k> ChainWalker<'k> {
    pub(crate) fn new(key: &'k [u8]) -> Self {
        ChainWalker {
            key,
            records: 0,
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            problem: None,
        }
    }

    /// The next row (in ascending seq order).
    pub(crate) fn push(&mut self, row: &AuditRow) {
        self.records += 1;
        if self.problem.is_none() {
            let expected = self.next_seq;
            self.problem = if row.seq > expected {
                let message = if row.seq - expected == 1 {
                    format!("record {expected} is missing")
                } else {
                    format!("records {expected} to {} are missing", row.seq - 1)
                };
                Some((expected, message))
            } else if row.seq < expected {
                Some((row.seq, format!("record {} is out of order", row.seq)))
            } else if record_hash(self.key, row) != row.hash {
                Some((
                    row.seq,
                    format!(
                        "record {} was altered: its fields do not match its hash",
                        row.seq
                    ),
                ))
            } else if row.prev_hash != self.prev_hash {
                Some((
                    row.seq,
                    format!(
                        "record {} does not link to the record before it: a record was replaced \
                         or inserted",
                        row.seq
                    ),
                ))
            } else {
                None
            };
        }
        self.next_seq = row.seq.saturating_add(1);
        self.prev_hash.clone_from(&row.hash);
    }

    pub(crate) fn finish(self) -> AuditCheck {
        let (first_broken_seq, problem) = match self.problem {
            Some((seq, p)) => (Some(seq), Some(p)),
            None => (None, None),
        };
        let any = self.records > 0;
        AuditCheck {
            records: self.records,
            intact: first_broken_seq.is_none(),
            first_broken_seq,
            problem,
            last_seq: any.then(|| self.next_seq - 1),
            head_hash: any.then_some(self.prev_hash),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditEntry;

    fn row(seq: u64, prev_hash: &str) -> AuditRow {
        AuditRow {
            seq,
            entry: AuditEntry {
                time_ms: 1_700_000_000_000,
                verification_id: "v1".into(),
                phase: "requested".into(),
                agent_sub: "agent".into(),
                agent_name: None,
                reference: Some("CASE-1".into()),
                profile: "p".into(),
                issuer: "https://op.example".into(),
                identifier_kind: "national_id".into(),
                identifier_masked: "19900101-****".into(),
                id_hash: "ab".into(),
                subject_name: None,
                binding_message: "Hej".into(),
                outcome: "requested".into(),
                acr: None,
                transaction_id: None,
                error_code: None,
                duration_ms: None,
            },
            prev_hash: prev_hash.into(),
            hash: String::new(),
        }
    }

    fn chain(key: &[u8], n: u64) -> Vec<AuditRow> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut r = row(seq, &prev);
                r.hash = record_hash(key, &r);
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn check(key: &[u8], rows: &[AuditRow]) -> AuditCheck {
        let mut w = ChainWalker::new(key);
        rows.iter().for_each(|r| w.push(r));
        w.finish()
    }

    #[test]
    fn the_encoding_is_the_documented_json() {
        let key = b"k";
        let r = row(1, GENESIS_HASH);
        let json = format!(
            r#"["{HASH_DOMAIN}",1,1700000000000,"v1","requested","agent",null,"CASE-1","p","https://op.example","national_id","19900101-****","ab",null,"Hej","requested",null,null,null,null,"{GENESIS_HASH}"]"#
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(json.as_bytes());
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(record_hash(key, &r), expected);
    }

    #[test]
    fn the_hash_is_keyed_and_covers_null_versus_empty() {
        let r = row(1, GENESIS_HASH);
        assert_ne!(record_hash(b"one", &r), record_hash(b"two", &r));
        let mut empty = r.clone();
        empty.agent_name = Some(String::new());
        assert_ne!(record_hash(b"k", &r), record_hash(b"k", &empty));
    }

    #[test]
    fn an_intact_chain_and_its_head() {
        let rows = chain(b"k", 3);
        let c = check(b"k", &rows);
        assert!(c.intact, "{c:?}");
        assert_eq!(c.records, 3);
        assert_eq!(c.last_seq, Some(3));
        assert_eq!(c.head_hash.as_deref(), Some(rows[2].hash.as_str()));
        let empty = check(b"k", &[]);
        assert!(empty.intact && empty.records == 0 && empty.head_hash.is_none());
    }

    #[test]
    fn the_first_problem_is_named() {
        let rows = chain(b"k", 5);
        assert_eq!(check(b"wrong", &rows).first_broken_seq, Some(1));

        let mut altered = rows.clone();
        altered[2].binding_message = "changed".into();
        let c = check(b"k", &altered);
        assert_eq!(c.first_broken_seq, Some(3));
        assert!(c.problem.unwrap().contains("altered"));

        let mut gap = rows.clone();
        gap.drain(1..3);
        let c = check(b"k", &gap);
        assert_eq!(c.first_broken_seq, Some(2));
        assert_eq!(c.problem.as_deref(), Some("records 2 to 3 are missing"));
        assert_eq!(c.records, 3);

        let mut relinked = rows.clone();
        relinked[3].prev_hash = rows[1].hash.clone();
        relinked[3].hash = record_hash(b"k", &relinked[3]);
        let c = check(b"k", &relinked);
        assert_eq!(c.first_broken_seq, Some(4));
        assert!(c.problem.unwrap().contains("does not link"));
    }
}
