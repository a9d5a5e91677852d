//! Persistence: verifications and the keyed audit chain, in PostgreSQL or SQLite.
//!
//! One [`Store`], two backends behind it (enum dispatch): [`postgres::PgStore`] for servers
//! (`tokio-postgres` through a `deadpool` pool) and [`sqlite::SqliteStore`] for one small server
//! (`rusqlite` on the blocking pool). Both run the same statements in the same transactions
//! and pass the same test suite (`tests/store.rs`).
//!
//! # Schema
//! SQL migrations in `migrations/{postgres,sqlite}/NNNN_name.sql`, embedded in the binary and
//! recorded (with a checksum) in `schema_migrations`; [`Store::migrate`] applies each missing
//! one in its own transaction, as the database owner, and (PostgreSQL) grants the runtime role
//! exactly what the server needs: `SELECT, INSERT, UPDATE` on `verifications`, `SELECT,
//! INSERT` on `audit_records`, `SELECT` on `schema_migrations`. No sequences: an audit record's
//! `seq` is the previous one's plus one, computed under the chain's lock, so it has no gaps.
//!
//! # One verification per customer, and the agents' rate limit
//! `verifications` has a partial unique index on `identifier_key WHERE NOT final_state`: two
//! servers racing to start a verification of the same customer cannot both insert (the second
//! `INSERT … ON CONFLICT DO NOTHING` waits for the first to commit, then inserts nothing).
//! The per-agent limit (starts in the last 60 s) is counted in the same transaction, after
//! taking a transaction-scoped advisory lock on the agent (PostgreSQL), or inside a
//! `BEGIN IMMEDIATE` transaction (SQLite: one writer at a time), so an agent's concurrent starts
//! are counted one after the other.
//!
//! # The audit chain
//! Append-only: a verification gets a `requested` record before its request is sent and a
//! `final` one when it ends (a partial unique index allows one of each). Each record's
//! `hash` is HMAC-SHA256, under a key the server is given and the database never holds, of
//! the canonical encoding in [`chain`]; `prev_hash` is the previous record's `hash` (64 zeros
//! for seq 1). Appends serialise on a transaction-scoped advisory lock (PostgreSQL; every
//! server instance takes the same one) or `BEGIN IMMEDIATE` (SQLite), and read the head from
//! the last row, so the runtime role needs no `UPDATE` anywhere in the chain. With `SELECT`
//! and `INSERT` only, it cannot change or delete a record; an owner who does is caught by
//! [`Store::verify_audit`] (content altered, link broken, record missing), except for
//! removing the newest records, which only a copy of the head kept elsewhere can show:
//! publish [`AuditCheck::head_hash`] now and then.

mod chain;
pub mod cluster;
mod migrations;
pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretBox};
use serde::Serialize;

use crate::error::{Result, ServerError};

pub use chain::{GENESIS_HASH, HASH_DOMAIN, record_hash};
pub use cluster::{Acknowledged, Claimed, Delivery, DeliveryResult, Lease, NewDelivery};

/// A verification to insert ([`Store::start_verification`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVerification {
    /// Random and URL-safe: the API's id.
    pub id: String,
    pub profile: String,
    pub agent_sub: String,
    pub agent_name: Option<String>,
    pub reference: Option<String>,
    /// HMAC of the normalised identifier (never the identifier itself).
    pub identifier_key: String,
    pub identifier_masked: String,
    pub created_at_ms: i64,
    /// The first state, as the API shows it (JSON text).
    pub state_json: String,
    /// The instance that starts it holds its first lease (fence 1) until this time; `None`:
    /// nobody does yet.
    pub lease: Option<(String, i64)>,
    /// What the agent asked, sealed, for an instance that takes it over.
    pub sealed_request: Option<String>,
    /// Its `requested` audit record, appended in the same transaction: a verification never
    /// exists without its trace.
    pub requested: Option<AuditEntry>,
}

/// What [`Store::start_verification`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    Inserted,
    /// A verification of the same customer (`identifier_key`) has not ended yet.
    InFlight,
    /// The agent started their limit in the last minute; the oldest of those leaves the
    /// window in `retry_after_secs` (at least 1).
    RateLimited {
        retry_after_secs: u64,
    },
}

/// A stored verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRow {
    pub id: String,
    pub profile: String,
    pub agent_sub: String,
    pub agent_name: Option<String>,
    pub reference: Option<String>,
    /// HMAC of the normalised identifier (the same value as the audit records' `id_hash`).
    pub identifier_key: String,
    pub identifier_masked: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub state_json: String,
    pub final_state: bool,
    /// An agent asked to cancel it; the instance polling it does.
    pub cancel_requested: bool,
}

/// A verification that has not ended, with its `requested` audit record if it has one
/// ([`Store::unfinished`]). Dereferences to the [`VerificationRow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedVerification {
    pub verification: VerificationRow,
    pub requested: Option<AuditRow>,
}

impl Deref for UnfinishedVerification {
    type Target = VerificationRow;
    fn deref(&self) -> &VerificationRow {
        &self.verification
    }
}

/// An audit record to append (all text already masked or redacted by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub time_ms: i64,
    pub verification_id: String,
    /// `requested` or `final` (one of each per verification).
    pub phase: String,
    pub agent_sub: String,
    pub agent_name: Option<String>,
    pub reference: Option<String>,
    pub profile: String,
    pub issuer: String,
    pub identifier_kind: String,
    pub identifier_masked: String,
    pub id_hash: String,
    pub subject_name: Option<String>,
    pub binding_message: String,
    /// `requested`, or how it ended (`verified`, `mismatch`, `denied`, `expired`, `failed`,
    /// `cancelled`, …).
    pub outcome: String,
    pub acr: Option<String>,
    pub transaction_id: Option<String>,
    pub error_code: Option<String>,
    pub duration_ms: Option<i64>,
}

/// The phase of a verification's first audit record.
pub const PHASE_REQUESTED: &str = "requested";
/// The phase of a verification's last audit record.
pub const PHASE_FINAL: &str = "final";
/// The `error_code` of a verification closed because no server finished it.
pub const INTERRUPTED: &str = "interrupted";

impl AuditEntry {
    /// The `final` record of a verification that a server started and never finished: outcome
    /// `failed`, error code `interrupted`. What it asked (issuer, identifier, binding message)
    /// is copied from its `requested` record; without one (the server stopped between the two
    /// writes, so nothing was sent) from the verification row, the issuer and binding message
    /// left empty.
    pub fn interrupted(v: &UnfinishedVerification, now_ms: i64) -> AuditEntry {
        let row = &v.verification;
        let req = v.requested.as_ref();
        let text = |f: fn(&AuditRow) -> &String| req.map(f).cloned().unwrap_or_default();
        AuditEntry {
            time_ms: now_ms,
            verification_id: row.id.clone(),
            phase: PHASE_FINAL.into(),
            agent_sub: row.agent_sub.clone(),
            agent_name: row.agent_name.clone(),
            reference: row.reference.clone(),
            profile: row.profile.clone(),
            issuer: text(|r| &r.issuer),
            identifier_kind: text(|r| &r.identifier_kind),
            identifier_masked: row.identifier_masked.clone(),
            id_hash: req
                .map(|r| r.id_hash.clone())
                .unwrap_or_else(|| row.identifier_key.clone()),
            subject_name: None,
            binding_message: text(|r| &r.binding_message),
            outcome: "failed".into(),
            acr: None,
            transaction_id: req.and_then(|r| r.transaction_id.clone()),
            error_code: Some(INTERRUPTED.into()),
            duration_ms: Some((now_ms - row.created_at_ms).max(0)),
        }
    }
}

/// A stored audit record: its place in the chain, its fields as appended, and the two hashes.
/// Reads and writes of the fields go through to the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub seq: u64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The previous record's `hash` ([`GENESIS_HASH`] for seq 1).
    pub prev_hash: String,
    /// HMAC-SHA256 (hex) of this record's canonical encoding ([`record_hash`]).
    pub hash: String,
}

impl Deref for AuditRow {
    type Target = AuditEntry;
    fn deref(&self) -> &AuditEntry {
        &self.entry
    }
}

impl DerefMut for AuditRow {
    fn deref_mut(&mut self) -> &mut AuditEntry {
        &mut self.entry
    }
}

impl AuditRow {
    fn new(seq: u64, e: &AuditEntry, prev_hash: String, hash: String) -> AuditRow {
        AuditRow {
            seq,
            entry: e.clone(),
            prev_hash,
            hash,
        }
    }

    /// The fields as they were appended.
    pub fn entry(&self) -> AuditEntry {
        self.entry.clone()
    }
}

/// Which audit records [`Store::audit_records`] returns: newest first, `time_ms` in
/// `[since_ms, until_ms)`, optionally one agent's (`agent_sub`), at most `limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub agent: Option<String>,
    pub limit: u32,
}

/// What [`Store::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditCheck {
    /// How many records were read.
    pub records: u64,
    pub intact: bool,
    /// The first record at fault (for missing records, the first missing seq).
    pub first_broken_seq: Option<u64>,
    /// What is wrong with it, as a sentence.
    pub problem: Option<String>,
    /// The last record's seq.
    pub last_seq: Option<u64>,
    /// The last record's hash: kept somewhere else (a ticket, a daily report), it also shows
    /// records removed from the end of the chain, which the chain alone cannot.
    pub head_hash: Option<String>,
}

/// The audit chain's key: the server's, never stored in the database.
#[derive(Clone)]
pub(crate) struct AuditKey(Arc<SecretBox<[u8]>>);

impl AuditKey {
    /// The key, or why the chain cannot be used without one.
    pub(crate) fn get(key: &Option<AuditKey>) -> Result<&[u8]> {
        let key = key.as_ref().ok_or(ServerError::AuditKeyNotGiven)?;
        let bytes = key.0.expose_secret();
        if bytes.len() < crate::config::MIN_AUDIT_KEY {
            return Err(ServerError::AuditKeyTooShort {
                min: crate::config::MIN_AUDIT_KEY,
            });
        }
        Ok(bytes)
    }
}

/// The database: PostgreSQL or SQLite.
#[derive(Clone)]
pub enum Store {
    Postgres(postgres::PgStore),
    Sqlite(sqlite::SqliteStore),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Store::Postgres(s) => f.debug_tuple("Postgres").field(s).finish(),
            Store::Sqlite(s) => f.debug_tuple("Sqlite").field(s).finish(),
        }
    }
}

macro_rules! dispatch {
    ($store:expr, $s:ident => $e:expr) => {
        match $store {
            Store::Postgres($s) => $e,
            Store::Sqlite($s) => $e,
        }
    };
}

impl Store {
    /// Connects, and checks that the database answers (so a wrong URL, password or host shows
    /// at start, not at the first request).
    ///
    /// `postgres://user[:password]@host[:port]/db[?param=value…]` (also `postgresql://`; the
    /// parameters libpq's URLs take, such as `connect_timeout` or `application_name`), or
    /// `sqlite:///absolute/path.sqlite3`, `sqlite://relative/path.sqlite3`, `sqlite::memory:`.
    /// No error message repeats the URL: they name the host and port or the file.
    pub async fn connect(url: &str) -> Result<Store> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store::Postgres(postgres::PgStore::connect(url).await?));
        }
        if url == "sqlite::memory:" {
            return Ok(Store::Sqlite(sqlite::SqliteStore::open(None).await?));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(ServerError::DatabaseUrl {
                    reason: "a sqlite:// URL needs a file: sqlite:///absolute/path.sqlite3 or \
                             sqlite://relative/path.sqlite3"
                        .into(),
                });
            }
            return Ok(Store::Sqlite(
                sqlite::SqliteStore::open(Some(path.into())).await?,
            ));
        }
        Err(ServerError::DatabaseUrl {
            reason: match scheme_of(url) {
                Some(scheme) => format!(
                    "the scheme {scheme:?} is not offered; use postgres://USER:PASSWORD@HOST:PORT/DB \
                     or sqlite:///PATH"
                ),
                None => "it has no scheme; use postgres://USER:PASSWORD@HOST:PORT/DB or \
                         sqlite:///PATH"
                    .into(),
            },
        })
    }

    /// The key of the audit chain (given at start, never stored in the database). Without
    /// one, [`append_audit`](Self::append_audit) and [`verify_audit`](Self::verify_audit) fail
    /// with `AuditKeyNotGiven`; a key shorter than `config::MIN_AUDIT_KEY` bytes, with
    /// `AuditKeyTooShort`.
    pub fn with_audit_key(self, key: SecretBox<[u8]>) -> Self {
        let key = Some(AuditKey(Arc::new(key)));
        match self {
            Store::Postgres(mut s) => {
                s.key = key;
                Store::Postgres(s)
            }
            Store::Sqlite(mut s) => {
                s.key = key;
                Store::Sqlite(s)
            }
        }
    }

    /// Which backend: `"postgres"` or `"sqlite"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Postgres(_) => "postgres",
            Store::Sqlite(_) => "sqlite",
        }
    }

    /// As the database owner: applies the missing migrations (each in one transaction; safe
    /// to run from several servers at once, and again), then (PostgreSQL) grants
    /// `runtime_role` exactly what the server needs, revoking anything else it had on these
    /// tables. Refuses a runtime role that is the owner, a member of it, or a superuser.
    /// SQLite has no roles and ignores `runtime_role`.
    pub async fn migrate(&self, runtime_role: Option<&str>) -> Result<()> {
        dispatch!(self, s => s.migrate(runtime_role).await)
    }

    /// Refuses with `SchemaOutdated` when a migration is missing, `SchemaNewer` when the
    /// database was migrated by a newer server, `MigrationChanged` when an applied migration
    /// differs from this server's.
    pub async fn check_schema(&self) -> Result<()> {
        dispatch!(self, s => s.check_schema().await)
    }

    /// Whether the connected role could change or delete audit records (PostgreSQL: owns the
    /// table or is a member of its owner, or holds UPDATE on any column, DELETE or TRUNCATE;
    /// a superuser holds everything). SQLite: always true, whoever can write the file can do
    /// anything; protect the file instead.
    pub async fn audit_is_mutable(&self) -> Result<bool> {
        dispatch!(self, s => s.audit_is_mutable().await)
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        dispatch!(self, s => s.ping().await)
    }

    /// Inserts the verification in one transaction, unless a verification of the same
    /// customer has not ended ([`Started::InFlight`]; checked before the limit) or the agent
    /// already started `per_agent_per_minute` in the 60 s before `now_ms`
    /// ([`Started::RateLimited`]). `per_agent_per_minute == 0` means no limit. Its
    /// `requested` record, if any, is appended in the same transaction.
    pub async fn start_verification(
        &self,
        v: &NewVerification,
        per_agent_per_minute: u32,
        now_ms: i64,
    ) -> Result<Started> {
        check_new_verification(v)?;
        if let Some(r) = &v.requested {
            check_audit_entry(r)?;
        }
        dispatch!(self, s => s.start_verification(v, per_agent_per_minute, now_ms).await)
    }

    /// Stores the verification's latest state. `final_state = true` ends it and frees its
    /// customer for a new verification. A verification that has ended keeps its final state:
    /// a later write is refused with `AlreadyFinished` (the first final state wins, also when
    /// two servers race); an unknown id gives `NoSuchVerification`.
    ///
    /// With a `lease`, only while it holds (`LeaseLost` otherwise). Followers hear of it on
    /// the change feed.
    pub async fn set_state(
        &self,
        id: &str,
        lease: Option<&Lease>,
        state_json: &str,
        final_state: bool,
        now_ms: i64,
    ) -> Result<()> {
        no_nul("state", state_json)?;
        dispatch!(self, s => s.set_state(id, lease, state_json, final_state, now_ms).await)
    }

    /// Keeps what another instance needs to go on polling, with the state that follows the
    /// acknowledgement (while `lease` holds). Followers hear of it on the change feed.
    pub async fn acknowledged(
        &self,
        id: &str,
        lease: &Lease,
        ack: &Acknowledged,
        state_json: &str,
        now_ms: i64,
    ) -> Result<()> {
        no_nul("state", state_json)?;
        dispatch!(self, s => s.acknowledged(id, lease, ack, state_json, now_ms).await)
    }

    /// Ends a verification in one transaction: its final audit record (returned: its seq), its
    /// final state and the webhook deliveries it causes. With a `lease`, only while it holds;
    /// a verification that has ended already is refused with `AlreadyFinished` and nothing
    /// is written.
    pub async fn finish(
        &self,
        lease: Option<&Lease>,
        entry: &AuditEntry,
        state_json: &str,
        deliveries: &[NewDelivery],
        now_ms: i64,
    ) -> Result<u64> {
        check_audit_entry(entry)?;
        no_nul("state", state_json)?;
        for d in deliveries {
            no_nul("webhook body", &d.body)?;
        }
        dispatch!(self, s => s.finish(lease, entry, state_json, deliveries, now_ms).await)
    }

    /// Extends `owner`'s leases to `until_ms`; returns the ids it still holds (any other it
    /// was polling has been taken over, or has ended), each with whether a cancel was asked.
    pub async fn renew_leases(&self, owner: &str, until_ms: i64) -> Result<Vec<(String, bool)>> {
        dispatch!(self, s => s.renew_leases(owner, until_ms).await)
    }

    /// Takes over at most `limit` unfinished verifications whose lease ran out before
    /// `now_ms` (or was handed back), each with a fence one higher than before. Instances
    /// claiming at once each get different ones.
    pub async fn claim_expired(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>> {
        dispatch!(self, s => s.claim_expired(owner, now_ms, until_ms, limit).await)
    }

    /// Hands `owner`'s leases back (at shutdown) and tells the other instances; returns how
    /// many.
    pub async fn release_leases(&self, owner: &str) -> Result<u64> {
        dispatch!(self, s => s.release_leases(owner).await)
    }

    /// Marks a verification for cancelling, whichever instance polls it.
    pub async fn request_cancel(&self, id: &str, now_ms: i64) -> Result<()> {
        dispatch!(self, s => s.request_cancel(id, now_ms).await)
    }

    /// The `requested` audit record of a verification, if it has one.
    pub async fn requested_record(&self, id: &str) -> Result<Option<AuditRow>> {
        dispatch!(self, s => s.requested_record(id).await)
    }

    /// Takes at most `limit` webhook deliveries due at `now_ms`, holding them until
    /// `hold_until_ms` (an instance that dies mid-delivery leaves them to another after that).
    pub async fn claim_deliveries(
        &self,
        now_ms: i64,
        hold_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        dispatch!(self, s => s.claim_deliveries(now_ms, hold_until_ms, limit).await)
    }

    pub async fn record_delivery(
        &self,
        verification_id: &str,
        url: &str,
        result: &DeliveryResult,
        now_ms: i64,
    ) -> Result<()> {
        dispatch!(self, s => s.record_delivery(verification_id, url, result, now_ms).await)
    }

    /// Webhook deliveries for auditors: newest first, optionally only those in `status`
    /// (`pending`, `delivered`, `failed`), at most `limit`.
    pub async fn deliveries(&self, status: Option<&str>, limit: u32) -> Result<Vec<Delivery>> {
        dispatch!(self, s => s.deliveries(status, limit).await)
    }

    /// A verification's webhook deliveries, in the order of the configuration's receivers.
    pub async fn deliveries_of(&self, verification_id: &str) -> Result<Vec<Delivery>> {
        dispatch!(self, s => s.deliveries_of(verification_id).await)
    }

    /// The change feed: a verification's id after each change of its state,
    /// [`cluster::CANCEL_PREFIX`] and its id after a cancel request,
    /// [`cluster::LEASES_RELEASED`] and [`cluster::FEED_RESUMED`]. PostgreSQL: from
    /// every instance, once [`listen`](Self::listen) has returned.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<Arc<str>> {
        dispatch!(self, s => s.changes.subscribe())
    }

    /// PostgreSQL: keeps one connection listening to the change feed (reconnecting after a
    /// loss, then sending [`cluster::FEED_RESUMED`]); returns once it listens. SQLite:
    /// nothing to do.
    pub async fn listen(&self) {
        if let Store::Postgres(s) = self {
            s.listen().await;
        }
    }

    /// SQLite: takes the file's instance lock, so a second server on the same file is refused
    /// at start (`SqliteInUse`). PostgreSQL serves any number of instances.
    pub fn serve_alone(&self) -> Result<()> {
        match self {
            Store::Postgres(_) => Ok(()),
            Store::Sqlite(s) => s.serve_alone(),
        }
    }

    /// Connections in use and in the pool, for the metrics (SQLite: one connection).
    pub fn pool_use(&self) -> (usize, usize) {
        match self {
            Store::Postgres(s) => s.pool_use(),
            Store::Sqlite(_) => (0, 1),
        }
    }

    pub async fn verification(&self, id: &str) -> Result<Option<VerificationRow>> {
        dispatch!(self, s => s.verification(id).await)
    }

    /// Every verification that has not ended, oldest first, each with its `requested` audit
    /// record (see [`AuditEntry::interrupted`]).
    pub async fn unfinished(&self) -> Result<Vec<UnfinishedVerification>> {
        dispatch!(self, s => s.unfinished().await)
    }

    /// Appends a record to the chain in one transaction and returns its seq. Appends from
    /// every server instance are serialised; a second record of the same phase for the same
    /// verification is refused (`AuditRecordExists`).
    pub async fn append_audit(&self, r: &AuditEntry) -> Result<u64> {
        check_audit_entry(r)?;
        dispatch!(self, s => s.append_audit(r).await)
    }

    /// Newest first (by seq), `time_ms` in `[since_ms, until_ms)`, optionally one agent's.
    pub async fn audit_records(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        if f.limit == 0 {
            return Ok(Vec::new());
        }
        dispatch!(self, s => s.audit_records(f).await)
    }

    /// Reads the whole chain in seq order, recomputes every hash with the key and names the
    /// first broken record: altered, not linked to the one before, or missing.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        dispatch!(self, s => s.verify_audit().await)
    }
}

impl ServerError {
    /// Whether this is the database failing (unreachable, refusing, an outdated schema, …)
    /// rather than the request: the API answers 503 for these.
    pub fn is_database(&self) -> bool {
        use ServerError::*;
        matches!(
            self,
            DatabaseUnreachable { .. }
                | DatabaseLogin { .. }
                | DatabaseRefused { .. }
                | DatabaseOpen { .. }
                | SchemaOutdated { .. }
                | SchemaNewer { .. }
                | MigrationChanged { .. }
                | DatabasePermission { .. }
                | Database { .. }
        )
    }
}

/// The CSV columns of [`audit_csv`]: the stored columns in canonical (hashed) order, then
/// `hash`.
pub const AUDIT_CSV_HEADER: [&str; 21] = [
    "seq",
    "time_ms",
    "verification_id",
    "phase",
    "agent_sub",
    "agent_name",
    "reference",
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
    "prev_hash",
    "hash",
];

/// RFC 4180 CSV (CRLF line ends) with a header row; NULL as an empty cell. Values are written
/// verbatim, so an auditor can recompute each hash from the export (as the desk's export
/// does): open it in a spreadsheet as text, with formulas disabled.
pub fn audit_csv(rows: &[AuditRow]) -> String {
    let mut out = String::new();
    push_csv_row(
        &mut out,
        AUDIT_CSV_HEADER.iter().map(|s| Some((*s).to_owned())),
    );
    for r in rows {
        let cells: [Option<String>; 21] = [
            Some(r.seq.to_string()),
            Some(r.time_ms.to_string()),
            Some(r.verification_id.clone()),
            Some(r.phase.clone()),
            Some(r.agent_sub.clone()),
            r.agent_name.clone(),
            r.reference.clone(),
            Some(r.profile.clone()),
            Some(r.issuer.clone()),
            Some(r.identifier_kind.clone()),
            Some(r.identifier_masked.clone()),
            Some(r.id_hash.clone()),
            r.subject_name.clone(),
            Some(r.binding_message.clone()),
            Some(r.outcome.clone()),
            r.acr.clone(),
            r.transaction_id.clone(),
            r.error_code.clone(),
            r.duration_ms.map(|d| d.to_string()),
            Some(r.prev_hash.clone()),
            Some(r.hash.clone()),
        ];
        push_csv_row(&mut out, cells.into_iter());
    }
    out
}

fn push_csv_row(out: &mut String, cells: impl Iterator<Item = Option<String>>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = cell.unwrap_or_default();
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// The columns a [`VerificationRow`] is read from, in its fields' order (both backends).
const VERIFICATION_COLUMNS: &str = "id, profile, agent_sub, agent_name, reference, \
     identifier_key, identifier_masked, created_at_ms, updated_at_ms, state_json, final_state, \
     cancel_requested";
/// The columns a [`Delivery`] is read from.
const DELIVERY_COLUMNS: &str = "verification_id, url, event, body, status, attempts, \
     created_at_ms, next_attempt_ms, last_error";
/// The columns of an audit record, in canonical (hashed) order: [`AUDIT_CSV_HEADER`] as SQL.
const AUDIT_COLUMNS: &str = "seq, time_ms, verification_id, phase, agent_sub, agent_name, \
     reference, profile, issuer, identifier_kind, identifier_masked, id_hash, subject_name, \
     binding_message, outcome, acr, transaction_id, error_code, duration_ms, prev_hash, hash";

/// `columns` with each name prefixed by a table alias (`v.id, v.profile, …`).
fn qualified(alias: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scheme of a URL-like string, if it has a plausible one (never anything after it).
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && scheme.len() <= 32;
    ok.then_some(scheme)
}

/// PostgreSQL's text cannot hold NUL; refuse it in both backends so they behave alike.
fn no_nul(field: &'static str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(ServerError::StoreValueInvalid { field });
    }
    Ok(())
}

fn check_new_verification(v: &NewVerification) -> Result<()> {
    no_nul("verification id", &v.id)?;
    no_nul("profile", &v.profile)?;
    no_nul("agent", &v.agent_sub)?;
    no_nul("agent name", v.agent_name.as_deref().unwrap_or(""))?;
    no_nul("reference", v.reference.as_deref().unwrap_or(""))?;
    no_nul("identifier key", &v.identifier_key)?;
    no_nul("masked identifier", &v.identifier_masked)?;
    no_nul("state", &v.state_json)
}

fn check_audit_entry(e: &AuditEntry) -> Result<()> {
    fn opt(o: &Option<String>) -> &str {
        o.as_deref().unwrap_or("")
    }
    for (field, value) in [
        ("verification id", e.verification_id.as_str()),
        ("phase", &e.phase),
        ("agent", &e.agent_sub),
        ("agent name", opt(&e.agent_name)),
        ("reference", opt(&e.reference)),
        ("profile", &e.profile),
        ("issuer", &e.issuer),
        ("identifier kind", &e.identifier_kind),
        ("masked identifier", &e.identifier_masked),
        ("identifier hash", &e.id_hash),
        ("subject name", opt(&e.subject_name)),
        ("binding message", &e.binding_message),
        ("outcome", &e.outcome),
        ("acr", opt(&e.acr)),
        ("transaction id", opt(&e.transaction_id)),
        ("error code", opt(&e.error_code)),
    ] {
        no_nul(field, value)?;
    }
    Ok(())
}

/// The advisory-lock key (second half) of an agent: the first 4 bytes of SHA-256 of their
/// `sub`. Computed here rather than with PostgreSQL's internal `hashtext`, so it is stable
/// across server versions; two agents sharing a key only wait for each other.
fn agent_lock_key(agent_sub: &str) -> i32 {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(agent_sub.as_bytes());
    i32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// `retry_after` for the rate limit: when the row at `created_at_ms` leaves the 60 s window
/// seen from `now_ms`, rounded up to whole seconds, at least 1.
fn retry_after_secs(created_at_ms: i64, now_ms: i64) -> u64 {
    let ms = (created_at_ms + WINDOW_MS - now_ms).max(0) as u64;
    ms.div_ceil(1000).max(1)
}

/// The rate limit's window.
const WINDOW_MS: i64 = 60_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one_second() {
        assert_eq!(retry_after_secs(0, 0), 60);
        assert_eq!(retry_after_secs(0, 59_999), 1);
        assert_eq!(retry_after_secs(0, 58_001), 2);
        assert_eq!(retry_after_secs(0, 60_000), 1);
        assert_eq!(retry_after_secs(1_000, 500), 61);
    }

    #[test]
    fn schemes_are_shown_only_when_they_look_like_one() {
        assert_eq!(scheme_of("mysql://u:pw@h/db"), Some("mysql"));
        assert_eq!(scheme_of("u:secret@host/db"), Some("u"));
        assert_eq!(scheme_of("p@ss:word@host"), None);
        assert_eq!(scheme_of("no scheme here"), None);
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let row = AuditRow {
            seq: 1,
            entry: AuditEntry {
                time_ms: 2,
                verification_id: "v".into(),
                phase: "final".into(),
                agent_sub: "a".into(),
                agent_name: None,
                reference: Some("x,\"y\"\nz".into()),
                profile: "p".into(),
                issuer: "i".into(),
                identifier_kind: "k".into(),
                identifier_masked: "m".into(),
                id_hash: "h".into(),
                subject_name: None,
                binding_message: "b".into(),
                outcome: "verified".into(),
                acr: None,
                transaction_id: None,
                error_code: None,
                duration_ms: Some(5),
            },
            prev_hash: "0".into(),
            hash: "1".into(),
        };
        let csv = audit_csv(&[row]);
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next().unwrap(), AUDIT_CSV_HEADER.join(","));
        assert_eq!(
            lines.next().unwrap(),
            "1,2,v,final,a,,\"x,\"\"y\"\"\nz\",p,i,k,m,h,,b,verified,,,,5,0,1"
        );
    }

    #[test]
    fn the_audit_columns_are_the_csv_header() {
        assert_eq!(AUDIT_COLUMNS, AUDIT_CSV_HEADER.join(", "));
        assert_eq!(qualified("d", "a, b"), "d.a, d.b");
    }

    #[test]
    fn agent_lock_keys_are_stable() {
        assert_eq!(agent_lock_key("alice"), agent_lock_key("alice"));
        assert_ne!(agent_lock_key("alice"), agent_lock_key("bob"));
    }
}
