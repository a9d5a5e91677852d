//! CIBA Desk's tamper-evident audit log.
//!
//! One SQLite file (WAL, `synchronous = FULL`: an acknowledged append survives a
//! crash), one table of records, one small table holding the format version and
//! the chain head.
//!
//! # What a record holds
//! Who (OS user, workstation), where (profile, issuer), whom (the kind of
//! identifier, the identifier *masked*, and `id_hash` = HMAC-SHA256 of the
//! normalised identifier under a key the app keeps in the OS keyring), what the
//! user saw (binding message) and how it ended (outcome, ACR, provider transaction
//! id, error code, duration). Never tokens, never full identifiers (a full
//! identifier found in the free-text fields is replaced by `[identifier]`), and
//! names only if the administrator sets [`AuditOptions::include_names`].
//! [`AuditLog::find_by_identifier`] finds a person's records from their number
//! without the log holding it.
//!
//! # The chain
//! Each record's `hash` is SHA-256 over a canonical encoding of its stored values
//! (see [`HASH_DOMAIN`]: a compact JSON array, in column order, ending with
//! `prev_hash`); `prev_hash` is the previous record's `hash`, and the first record's
//! is [`GENESIS_HASH`]. The head (last seq and hash) is also kept beside the table
//! and the next record chains onto it, so deleting the newest records shows too.
//! [`AuditLog::verify_chain`] recomputes everything and names the first broken
//! record: content altered, link broken, record(s) missing, or head mismatch.
//!
//! # Retention
//! [`AuditLog::purge_older_than`] deletes only a *prefix* of the chain (every
//! record up to the first one that is recent enough), then appends a
//! `retention_purge` record carrying the range deleted, the count, the cutoff and
//! the `hash` of the last deleted record (the *anchor*). The new first record's
//! `prev_hash` is that anchor, so verification accepts a chain starting after seq 1
//! exactly when an intact purge record (itself chained and hashed) vouches for
//! that start. Later purges may delete earlier purge records: the newest one
//! covering the start is what counts. A purge is refused if the chain does not
//! verify, so it cannot erase evidence of tampering.
//!
//! # Limits, and the anchor
//! The hashes are not keyed: someone who can write the file can recompute the whole
//! chain. To catch that, [`AuditOptions::anchor`] sends every record's `seq` and `hash`
//! to a sink outside the file as it is written (an append-only file on another volume,
//! or the system log), and [`AuditLog::verify_anchor`] names the first record the two
//! disagree on: rewritten, deleted (also from the end), or never anchored. Without an
//! anchor, publish [`ChainReport::head_hash`] somewhere else now and then.

mod anchor;
mod chain;
mod error;
mod export;
mod log;
mod record;

pub use anchor::{
    ANCHOR_TAG, Anchor, AnchorProblem, AnchorProblemKind, AnchorReport, SYSLOG_SOCKET,
};
pub use chain::{ChainProblem, ChainReport, ProblemKind};
pub use error::{AuditError, Result};
pub use export::{CSV_HEADER, ExportFormat};
pub use log::{
    AuditLog, AuditOptions, Clock, FORMAT_VERSION, MIN_KEY_LEN, PurgeReport, format_unix_ms,
    redact_identifier,
};
pub use record::{GENESIS_HASH, HASH_DOMAIN, NewRecord, Outcome, PurgeInfo, Record, hex, id_hash};

// The date and time types of this API.
pub use time;
