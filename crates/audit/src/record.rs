//! Audit records: what the caller hands in ([`NewRecord`]), what is stored
//! ([`Record`]), and the canonical encoding their hashes are computed over.

use std::fmt;

use hmac::{Hmac, Mac};
use rusqlite::types::Value;
use secrecy::SecretString;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record ever written: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The first element of every canonical encoding; names this format's version.
pub const HASH_DOMAIN: &str = "ciba-desk-audit/1";

/// How a verification ended, or what else a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The user approved and the ID token was verified.
    Verified,
    /// The user denied the request on their device.
    Denied,
    /// The request expired before the user answered.
    Expired,
    /// A protocol, network or provider error ended the verification.
    Failed,
    /// The agent cancelled the verification.
    Cancelled,
    /// The verified identity did not match the one requested.
    Mismatch,
    /// Written before the request goes to the provider; the verification's final record
    /// links back to it (`request_seq`). One without such a record never finished: the app
    /// was closed, killed or crashed while it ran.
    Requested,
    /// The user approved and the ID token was verified, but it carried nothing to compare
    /// with the identity requested: who approved is known, not that it is the one asked for.
    NotComparable,
    /// Records were deleted by the retention policy (written by the log itself).
    RetentionPurge,
}

impl Outcome {
    /// Every outcome, in a fixed order.
    pub const ALL: [Outcome; 9] = [
        Outcome::Verified,
        Outcome::Denied,
        Outcome::Expired,
        Outcome::Failed,
        Outcome::Cancelled,
        Outcome::Mismatch,
        Outcome::NotComparable,
        Outcome::Requested,
        Outcome::RetentionPurge,
    ];

    /// The stored form (`verified`, `retention_purge`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Verified => "verified",
            Outcome::Denied => "denied",
            Outcome::Expired => "expired",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Mismatch => "mismatch",
            Outcome::NotComparable => "not_comparable",
            Outcome::Requested => "requested",
            Outcome::RetentionPurge => "retention_purge",
        }
    }

    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One verification to record. The log adds seq, time, OS user, workstation and hashes.
///
/// `identifier` is the *normalised* identifier (e.g. a national ID with no separators):
/// only its HMAC is stored. `identifier_masked` is what the History view shows.
/// Not `Debug`-printable in full and not `Serialize`: the identifier is personal data.
pub struct NewRecord {
    /// The provider profile used.
    pub profile: String,
    /// The provider's issuer URL.
    pub issuer: String,
    /// What the identifier is: `national_id`, `user_id`, `email`, `phone`, …
    pub identifier_kind: String,
    /// The normalised identifier; HMAC'd, never stored. May be empty (no identifier).
    pub identifier: SecretString,
    /// The identifier as shown to agents, masked (e.g. `19900101-****`).
    pub identifier_masked: String,
    /// The verified person's name: stored only when `AuditOptions::include_names` is on.
    pub subject_name: Option<String>,
    /// The binding message shown on the user's device.
    pub binding_message: String,
    /// How it ended. `RetentionPurge` is reserved for the log itself.
    pub outcome: Outcome,
    /// The authentication context class the provider reported.
    pub acr: Option<String>,
    /// The provider's transaction id (for cross-referencing with the provider).
    pub transaction_id: Option<String>,
    /// The protocol error code, for failures (`access_denied`, `expired_token`, …).
    pub error_code: Option<String>,
    /// How long the verification took.
    pub duration_ms: Option<u64>,
    /// On a final record: the seq of the verification's `requested` record.
    pub request_seq: Option<u64>,
    /// The case it was for in the caller's own system (a CRM case number), as given.
    pub reference: Option<String>,
}

impl NewRecord {
    /// A record with the required fields; the optional ones start empty.
    pub fn new(
        profile: impl Into<String>,
        issuer: impl Into<String>,
        identifier_kind: impl Into<String>,
        identifier: SecretString,
        identifier_masked: impl Into<String>,
        binding_message: impl Into<String>,
        outcome: Outcome,
    ) -> Self {
        Self {
            profile: profile.into(),
            issuer: issuer.into(),
            identifier_kind: identifier_kind.into(),
            identifier,
            identifier_masked: identifier_masked.into(),
            subject_name: None,
            binding_message: binding_message.into(),
            outcome,
            acr: None,
            transaction_id: None,
            error_code: None,
            duration_ms: None,
            request_seq: None,
            reference: None,
        }
    }
}

impl fmt::Debug for NewRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewRecord")
            .field("profile", &self.profile)
            .field("issuer", &self.issuer)
            .field("identifier_kind", &self.identifier_kind)
            .field("identifier", &"[redacted]")
            .field("identifier_masked", &self.identifier_masked)
            .field(
                "subject_name",
                &self.subject_name.as_ref().map(|_| "[redacted]"),
            )
            .field("binding_message", &self.binding_message)
            .field("outcome", &self.outcome)
            .field("acr", &self.acr)
            .field("transaction_id", &self.transaction_id)
            .field("error_code", &self.error_code)
            .field("duration_ms", &self.duration_ms)
            .field("request_seq", &self.request_seq)
            .field("reference", &self.reference)
            .finish()
    }
}

/// What a `retention_purge` record says about the records it deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeInfo {
    /// First deleted seq.
    pub from_seq: u64,
    /// Last deleted seq: the chain now starts at `through_seq + 1`.
    pub through_seq: u64,
    /// How many records were deleted.
    pub count: u64,
    /// The `hash` of record `through_seq`: the `prev_hash` of the new first record.
    pub anchor_hash: String,
    /// The retention cutoff: records older than this were eligible (RFC 3339, UTC).
    pub before: String,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Position in the chain, from 1, without gaps (except a purged prefix).
    pub seq: u64,
    /// When it was recorded (RFC 3339, UTC, milliseconds).
    pub time: String,
    /// The OS account of the agent.
    pub os_user: String,
    /// The workstation's host name.
    pub workstation: String,
    /// The provider profile.
    pub profile: String,
    /// The provider's issuer.
    pub issuer: String,
    /// `national_id`, `user_id`, `email`, …
    pub identifier_kind: String,
    /// The masked identifier.
    pub identifier_masked: String,
    /// HMAC-SHA256 (hex) of the normalised identifier; empty if there was none.
    pub id_hash: String,
    /// The person's name, only if names are included by the administrator.
    pub subject_name: Option<String>,
    /// The binding message.
    pub binding_message: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The ACR reported by the provider.
    pub acr: Option<String>,
    /// The provider's transaction id.
    pub transaction_id: Option<String>,
    /// The protocol error code.
    pub error_code: Option<String>,
    /// Duration in milliseconds.
    pub duration_ms: Option<u64>,
    /// Set on `retention_purge` records.
    pub purge: Option<PurgeInfo>,
    /// The previous record's `hash` ([`GENESIS_HASH`] for seq 1).
    pub prev_hash: String,
    /// On a final record: the seq of the verification's `requested` record.
    pub request_seq: Option<u64>,
    /// The caller's case reference (a CRM case number).
    pub reference: Option<String>,
    /// SHA-256 (hex) over the canonical encoding of this record and `prev_hash`.
    pub hash: String,
}

impl Record {
    /// The stored values in [`COLUMNS`] order (everything but `hash`): what the hash covers,
    /// what the table holds and what an export lists, written once.
    pub(crate) fn values(&self) -> Vec<Value> {
        let text = |v: &str| Value::Text(v.to_owned());
        let opt_text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        let opt_int = |v: Option<u64>| v.map_or(Value::Null, |i| Value::Integer(i as i64));
        let purge = self.purge.as_ref();
        vec![
            Value::Integer(self.seq as i64),
            text(&self.time),
            text(&self.os_user),
            text(&self.workstation),
            text(&self.profile),
            text(&self.issuer),
            text(&self.identifier_kind),
            text(&self.identifier_masked),
            text(&self.id_hash),
            opt_text(&self.subject_name),
            text(&self.binding_message),
            text(self.outcome.as_str()),
            opt_text(&self.acr),
            opt_text(&self.transaction_id),
            opt_text(&self.error_code),
            opt_int(self.duration_ms),
            opt_int(purge.map(|p| p.from_seq)),
            opt_int(purge.map(|p| p.through_seq)),
            opt_int(purge.map(|p| p.count)),
            opt_text(&purge.map(|p| p.anchor_hash.clone())),
            opt_text(&purge.map(|p| p.before.clone())),
            text(&self.prev_hash),
            opt_int(self.request_seq),
            opt_text(&self.reference),
        ]
    }

    /// `time` as Unix milliseconds (`None` only if the stored text is not RFC 3339).
    pub fn unix_ms(&self) -> Option<u64> {
        let t =
            time::OffsetDateTime::parse(&self.time, &time::format_description::well_known::Rfc3339)
                .ok()?;
        u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
    }
}

/// Stored columns in canonical order (everything but `hash`). Columns after the first
/// [`V1_COLUMNS`] were added later; see [`canonical_hash`].
pub(crate) const COLUMNS: [&str; 24] = [
    "seq",
    "time",
    "os_user",
    "workstation",
    "profile",
    "issuer",
    "identifier_kind",
    "identifier_masked",
    "id_hash",
    "subject_name",
    "binding_message",
    "outcome",
    "acr",
    "transaction_id",
    "error_code",
    "duration_ms",
    "purge_from_seq",
    "purge_through_seq",
    "purge_count",
    "purge_anchor_hash",
    "purge_before",
    "prev_hash",
    "request_seq",
    "reference",
];

pub(crate) const PREV_HASH: usize = 21;

/// How many columns the first format hashed: records written before `request_seq` existed
/// hash exactly as they did.
pub(crate) const V1_COLUMNS: usize = 22;

/// SHA-256 (hex) of the canonical encoding of a record's stored values
/// (in [`COLUMNS`] order, `prev_hash` last).
///
/// The encoding is the compact JSON array `["ciba-desk-audit/1", v1, …, v22]` as
/// `serde_json` writes it: TEXT as a JSON string, INTEGER as a number, NULL as
/// `null` (REAL as a number and BLOB as `{"blob":"<hex>"}`, which this log never
/// writes). It is computed over the raw stored values, so verification needs no
/// parsing and any change of value or type shows.
///
/// Columns added after the first format are left out from the last one holding a value
/// onwards, so every record written before a column existed keeps its hash: a first-format
/// record hashes its 22 values, one of the second format (`request_seq`) 23 unless it also
/// has a `reference`.
pub(crate) fn canonical_hash(values: &[Value]) -> String {
    let mut end = values.len();
    while end > V1_COLUMNS && matches!(values[end - 1], Value::Null) {
        end -= 1;
    }
    let values = &values[..end];
    let mut items = Vec::with_capacity(values.len() + 1);
    items.push(serde_json::Value::from(HASH_DOMAIN));
    for v in values {
        items.push(match v {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::Real(r) => serde_json::Value::from(*r),
            Value::Text(s) => serde_json::Value::from(s.as_str()),
            Value::Blob(b) => serde_json::json!({ "blob": hex(b) }),
        });
    }
    let encoded = serde_json::to_vec(&serde_json::Value::Array(items))
        .expect("serialising JSON values to memory cannot fail");
    hex(&Sha256::digest(&encoded))
}

/// HMAC-SHA256 (hex) of a normalised identifier: finds one customer's records without the
/// log holding the identifier.
pub fn id_hash(key: &[u8], normalised: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(normalised.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Build a [`Record`] from stored values (COLUMNS order) and the stored hash.
pub(crate) fn record_from_values(values: &[Value], hash: &Value) -> Result<Record, String> {
    fn text(v: &Value, name: &str) -> Result<String, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            _ => Err(format!("{name} is not text")),
        }
    }
    fn opt_text(v: &Value, name: &str) -> Result<Option<String>, String> {
        match v {
            Value::Null => Ok(None),
            other => text(other, name).map(Some),
        }
    }
    fn opt_int(v: &Value, name: &str) -> Result<Option<u64>, String> {
        match v {
            Value::Null => Ok(None),
            Value::Integer(i) if *i >= 0 => Ok(Some(*i as u64)),
            _ => Err(format!("{name} is not a non-negative integer")),
        }
    }
    let seq = opt_int(&values[0], "seq")?.ok_or("seq is missing")?;
    let outcome_text = text(&values[11], "outcome")?;
    let outcome =
        Outcome::parse(&outcome_text).ok_or_else(|| format!("unknown outcome {outcome_text:?}"))?;
    let purge = match opt_int(&values[16], "purge_from_seq")? {
        None => None,
        Some(from_seq) => Some(PurgeInfo {
            from_seq,
            through_seq: opt_int(&values[17], "purge_through_seq")?
                .ok_or("purge_through_seq is missing")?,
            count: opt_int(&values[18], "purge_count")?.ok_or("purge_count is missing")?,
            anchor_hash: text(&values[19], "purge_anchor_hash")?,
            before: text(&values[20], "purge_before")?,
        }),
    };
    Ok(Record {
        seq,
        time: text(&values[1], "time")?,
        os_user: text(&values[2], "os_user")?,
        workstation: text(&values[3], "workstation")?,
        profile: text(&values[4], "profile")?,
        issuer: text(&values[5], "issuer")?,
        identifier_kind: text(&values[6], "identifier_kind")?,
        identifier_masked: text(&values[7], "identifier_masked")?,
        id_hash: text(&values[8], "id_hash")?,
        subject_name: opt_text(&values[9], "subject_name")?,
        binding_message: text(&values[10], "binding_message")?,
        outcome,
        acr: opt_text(&values[12], "acr")?,
        transaction_id: opt_text(&values[13], "transaction_id")?,
        error_code: opt_text(&values[14], "error_code")?,
        duration_ms: opt_int(&values[15], "duration_ms")?,
        purge,
        prev_hash: text(&values[PREV_HASH], "prev_hash")?,
        request_seq: match values.get(V1_COLUMNS) {
            Some(v) => opt_int(v, "request_seq")?,
            None => None,
        },
        reference: match values.get(V1_COLUMNS + 1) {
            Some(v) => opt_text(v, "reference")?,
            None => None,
        },
        hash: text(hash, "hash")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        assert_eq!(Outcome::parse("approved"), None);
    }

    #[test]
    fn canonical_hash_depends_on_value_and_type() {
        let a = canonical_hash(&[Value::Integer(1), Value::Text("x".into())]);
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            canonical_hash(&[Value::Integer(1), Value::Text("y".into())])
        );
        assert_ne!(
            a,
            canonical_hash(&[Value::Text("1".into()), Value::Text("x".into())])
        );
        assert_ne!(
            canonical_hash(&[Value::Null]),
            canonical_hash(&[Value::Text(String::new())])
        );
        // Field boundaries are unambiguous.
        assert_ne!(
            canonical_hash(&[Value::Text("a,b".into()), Value::Text("c".into())]),
            canonical_hash(&[Value::Text("a".into()), Value::Text("b,c".into())])
        );
    }

    #[test]
    fn canonical_encoding_is_documented_json() {
        // An external verifier can recompute the hash from an export.
        let values = [Value::Integer(7), Value::Text("å\"".into()), Value::Null];
        let expected = hex(&Sha256::digest(
            r#"["ciba-desk-audit/1",7,"å\"",null]"#.as_bytes(),
        ));
        assert_eq!(canonical_hash(&values), expected);
    }

    #[test]
    fn id_hash_is_keyed() {
        let h1 = id_hash(b"0123456789abcdef", "199001011234");
        assert_eq!(h1.len(), 64);
        assert_eq!(h1, id_hash(b"0123456789abcdef", "199001011234"));
        assert_ne!(h1, id_hash(b"fedcba9876543210", "199001011234"));
        assert_ne!(h1, id_hash(b"0123456789abcdef", "199001011235"));
    }

    #[test]
    fn new_record_debug_hides_the_identifier_and_name() {
        let mut r = NewRecord::new(
            "p",
            "https://idp",
            "national_id",
            SecretString::from("199001011234"),
            "19900101-****",
            "Login to bank",
            Outcome::Verified,
        );
        r.subject_name = Some("Anna Andersson".into());
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("199001011234") && !shown.contains("Anna"),
            "{shown}"
        );
    }
}
