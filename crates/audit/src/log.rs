//! [`AuditLog`]: the SQLite file, appends, verification, export, retention.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params_from_iter};
use secrecy::{ExposeSecret as _, SecretSlice};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

use crate::anchor::{self, Anchor, AnchorReport};
use crate::chain::{self, ChainReport};
use crate::error::{AuditError, Result};
use crate::export::{self, ExportFormat};
use crate::record::{
    COLUMNS, NewRecord, Outcome, Record, canonical_hash, id_hash, record_from_values,
};

/// The newest file format this build reads and writes.
pub const FORMAT_VERSION: i64 = 3;

/// Shortest HMAC key accepted, in bytes.
pub const MIN_KEY_LEN: usize = 16;

const TIME_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Unix milliseconds as the log writes times: RFC 3339, UTC, milliseconds.
pub fn format_unix_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(TIME_FORMAT).ok())
        .unwrap_or_default()
}

/// Where "now" comes from (tests inject a fixed or moving clock).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// How the log is opened.
#[derive(Clone)]
pub struct AuditOptions {
    /// Store `subject_name` (the verified person's name). Off by default: the
    /// administrator turns it on only where policy allows names in the log.
    pub include_names: bool,
    /// Store the keyed hash of each identifier. Off when the key is not a secret one (no
    /// keyring): a hash under a known key would only pretend to protect the number.
    pub hash_identifiers: bool,
    /// The OS user recorded on each record; `None`: from the environment.
    pub os_user: Option<String>,
    /// The workstation recorded on each record; `None`: the host name.
    pub workstation: Option<String>,
    /// The clock for record times and retention.
    pub clock: Clock,
    /// How long to wait for another process holding the database lock.
    pub busy_timeout: Duration,
    /// Where each record's `seq` and `hash` also go, outside this file.
    pub anchor: Option<Anchor>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self {
            include_names: false,
            hash_identifiers: true,
            os_user: None,
            workstation: None,
            clock: Arc::new(OffsetDateTime::now_utc),
            busy_timeout: Duration::from_secs(5),
            anchor: None,
        }
    }
}

impl fmt::Debug for AuditOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditOptions")
            .field("include_names", &self.include_names)
            .field("os_user", &self.os_user)
            .field("workstation", &self.workstation)
            .field("busy_timeout", &self.busy_timeout)
            .field("anchor", &self.anchor)
            .finish_non_exhaustive()
    }
}

/// What a purge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    /// How many records were deleted.
    pub deleted: u64,
    /// The `retention_purge` record that documents the deletion (`None` if nothing
    /// was old enough to delete, in which case nothing is written).
    pub record: Option<Record>,
}

/// The tamper-evident audit log. `Send + Sync`: share it with an `Arc`.
///
/// Every method blocks on SQLite (an append waits for an fsync): from async code,
/// call it inside `tokio::task::spawn_blocking`.
pub struct AuditLog {
    path: PathBuf,
    conn: Mutex<Connection>,
    key: SecretSlice<u8>,
    include_names: bool,
    hash_identifiers: bool,
    os_user: String,
    workstation: String,
    clock: Clock,
    anchor: Option<Anchor>,
    /// This log's random id, so one anchor can serve many logs.
    log_id: String,
    /// Why the last anchor line could not be written, until one is written again.
    anchor_error: Mutex<Option<String>>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .field("include_names", &self.include_names)
            .field("os_user", &self.os_user)
            .field("workstation", &self.workstation)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Open (creating if needed) the log at `path`, with `hmac_key` for identifier
    /// hashes (the app keeps it in the OS keyring), and default options.
    pub fn open(path: impl AsRef<Path>, hmac_key: &[u8]) -> Result<AuditLog> {
        Self::open_with(path, hmac_key, AuditOptions::default())
    }

    /// Open with explicit options.
    pub fn open_with(
        path: impl AsRef<Path>,
        hmac_key: &[u8],
        options: AuditOptions,
    ) -> Result<AuditLog> {
        if hmac_key.len() < MIN_KEY_LEN {
            return Err(AuditError::WeakKey {
                len: hmac_key.len(),
            });
        }
        let path = path.as_ref().to_path_buf();
        private_files(&path).map_err(|e| AuditError::NotWritable {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let sql = |e| AuditError::sqlite(&path, e);
        let conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(options.busy_timeout).map_err(sql)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(AuditError::NotWritable {
                path,
                detail: format!("SQLite would not switch to WAL mode (got {mode})"),
            });
        }
        // FULL: a commit is fsynced before append() returns, so an acknowledged
        // record survives a crash or power loss. secure_delete: purged records are
        // overwritten, not left in free pages.
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(sql)?;
        init_schema(&conn, &path)?;
        let log_id: String = conn
            .query_row(
                "SELECT value FROM audit_meta WHERE key = 'log_id'",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;

        let os_user = options.os_user.unwrap_or_else(current_os_user);
        let workstation = options
            .workstation
            .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
        Ok(AuditLog {
            path,
            conn: Mutex::new(conn),
            key: SecretSlice::from(hmac_key.to_vec()),
            include_names: options.include_names,
            hash_identifiers: options.hash_identifiers,
            os_user,
            workstation,
            clock: options.clock,
            anchor: options.anchor,
            log_id,
            anchor_error: Mutex::new(None),
        })
    }

    /// This log's id, as anchor lines name it.
    pub fn log_id(&self) -> &str {
        &self.log_id
    }

    /// Why the last anchor line could not be written (the record itself was kept), if it
    /// could not.
    pub fn anchor_error(&self) -> Option<String> {
        self.anchor_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// After a commit: a record that is not anchored shows at the next anchored check, so a
    /// sink that cannot be written never stops recording.
    fn anchor(&self, record: &Record) {
        let Some(anchor) = &self.anchor else { return };
        let result = anchor
            .write(&self.log_id, record.seq, &record.hash)
            .err()
            .map(|e| format!("could not write to the audit anchor {anchor}: {e}"));
        *self.anchor_error.lock().unwrap_or_else(|p| p.into_inner()) = result;
    }

    /// The chain's own check, then the log against the lines of an anchor (`text`).
    pub fn verify_anchor(&self, text: &str) -> Result<(ChainReport, AnchorReport)> {
        let conn = self.lock();
        let chain = chain::verify(&conn).map_err(|e| self.sql(e))?;
        let records: BTreeMap<u64, String> = conn
            .prepare("SELECT seq, hash FROM audit_records ORDER BY seq")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?
                    .collect()
            })
            .map_err(|e| self.sql(e))?;
        let anchored = anchor::parse(text, &self.log_id);
        let report = anchor::verify(&records, &chain, &anchored);
        Ok((chain, report))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append a record. Returns only after the record is committed (and fsynced).
    pub fn append(&self, new: NewRecord) -> Result<Record> {
        if new.outcome == Outcome::RetentionPurge {
            return Err(AuditError::invalid(
                "retention_purge records are written by purge_older_than only",
            ));
        }
        let identifier = new.identifier.expose_secret();
        let id_hash = if identifier.is_empty() || !self.hash_identifiers {
            String::new()
        } else {
            id_hash(self.key.expose_secret(), identifier)
        };
        // The log must never hold a full identifier: redact it wherever a caller
        // let it slip into free text.
        let redact = |s: String| redact_identifier(s, identifier);
        let subject_name = if self.include_names {
            new.subject_name.map(redact)
        } else {
            None
        };
        let fields = Fields {
            profile: new.profile,
            issuer: new.issuer,
            identifier_kind: new.identifier_kind,
            identifier_masked: redact(new.identifier_masked),
            id_hash,
            subject_name,
            binding_message: redact(new.binding_message),
            outcome: new.outcome,
            acr: new.acr,
            transaction_id: new.transaction_id.map(redact),
            error_code: new.error_code,
            duration_ms: new.duration_ms,
            purge: None,
            request_seq: new.request_seq,
            reference: new.reference.map(redact),
        };
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.sql(e))?;
        let record = self.insert(&tx, fields)?;
        tx.commit().map_err(|e| self.sql(e))?;
        self.anchor(&record);
        Ok(record)
    }

    /// Check every record's hash and link; name the first broken record.
    pub fn verify_chain(&self) -> Result<ChainReport> {
        let conn = self.lock();
        chain::verify(&conn).map_err(|e| self.sql(e))
    }

    /// The newest `limit` records, newest first (for the History view).
    pub fn recent(&self, limit: usize) -> Result<Vec<Record>> {
        let conn = self.lock();
        let sql = format!(
            "SELECT {}, hash FROM audit_records ORDER BY seq DESC LIMIT ?1",
            COLUMNS.join(", ")
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query_records(&conn, &sql, Value::Integer(limit))
    }

    /// The newest `limit` records before seq `before` (all of them when `None`), newest first:
    /// pages of History.
    pub fn recent_before(&self, before: Option<u64>, limit: usize) -> Result<Vec<Record>> {
        let Some(before) = before else {
            return self.recent(limit);
        };
        let conn = self.lock();
        let sql = format!(
            "SELECT {}, hash FROM audit_records WHERE seq < ?1 ORDER BY seq DESC LIMIT {}",
            COLUMNS.join(", "),
            i64::try_from(limit).unwrap_or(i64::MAX)
        );
        self.query_records(&conn, &sql, Value::Integer(before as i64))
    }

    /// The `requested` records from seq `from` on that a final record names: the
    /// verifications that finished.
    pub fn finished_requests(&self, from: u64) -> Result<std::collections::HashSet<u64>> {
        let conn = self.lock();
        conn.prepare_cached("SELECT request_seq FROM audit_records WHERE request_seq >= ?1")
            .and_then(|mut stmt| {
                stmt.query_map([from as i64], |r| r.get::<_, i64>(0).map(|s| s as u64))?
                    .collect()
            })
            .map_err(|e| self.sql(e))
    }

    /// Every record whose identifier, normalised, was `normalised`, oldest first.
    /// `key` is the HMAC key the records were written with (normally the app's
    /// key from the keyring; an older key finds records written before a key change).
    pub fn find_by_identifier(&self, normalised: &str, key: &[u8]) -> Result<Vec<Record>> {
        if normalised.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.lock();
        let sql = format!(
            "SELECT {}, hash FROM audit_records WHERE id_hash = ?1 ORDER BY seq",
            COLUMNS.join(", ")
        );
        self.query_records(&conn, &sql, Value::Text(id_hash(key, normalised)))
    }

    /// Write the records recorded on or after `since` (UTC midnight; `None`: all)
    /// to `writer` as CSV or JSON, oldest first. Returns how many were written.
    ///
    /// Reads through a connection of its own, from one snapshot, so appends go on
    /// while a large export is written.
    pub fn export<W: Write>(
        &self,
        since: Option<time::Date>,
        format: ExportFormat,
        writer: W,
    ) -> Result<u64> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.sql(e))?;
        let _ = conn.busy_timeout(Duration::from_secs(5));
        let since = since.map(|d| format!("{d}T00:00:00.000Z"));
        let sql = format!(
            "SELECT {}, hash FROM audit_records WHERE ?1 IS NULL OR time >= ?1 ORDER BY seq",
            COLUMNS.join(", ")
        );
        let mut stmt = conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let mut rows = stmt
            .query([since.map_or(Value::Null, Value::Text)])
            .map_err(|e| self.sql(e))?;
        let mut out = export::Writer::new(format, writer).map_err(AuditError::Export)?;
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            let record = self.row_to_record(row)?;
            out.write(&record).map_err(AuditError::Export)?;
        }
        out.finish().map_err(AuditError::Export)
    }

    /// Delete the records older than `days` days, and record the deletion as a
    /// `retention_purge` record in the chain.
    ///
    /// Only a prefix of the chain is deleted (up to the first record that is not
    /// old enough), so the chain stays contiguous. The purge record stores the
    /// range deleted and the hash of the last deleted record, which is the
    /// `prev_hash` of the new first record: verification accepts a chain that
    /// starts after seq 1 only if an intact purge record vouches for its start.
    /// Refused with [`AuditError::ChainBroken`] if the chain does not verify, so a
    /// purge never destroys evidence of tampering.
    pub fn purge_older_than(&self, days: u32) -> Result<PurgeReport> {
        let now = (self.clock)();
        let cutoff = format_time(now - time::Duration::days(i64::from(days)));
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.sql(e))?;

        let report = chain::verify(&tx).map_err(|e| self.sql(e))?;
        if let Some(problem) = report.problem {
            return Err(AuditError::ChainBroken { problem });
        }
        let (Some(first_seq), Some(last_seq)) = (report.first_seq, report.last_seq) else {
            return Ok(PurgeReport {
                deleted: 0,
                record: None,
            });
        };
        // The deletable prefix ends just before the first record that is recent enough.
        let first_recent: Option<i64> = tx
            .query_row(
                "SELECT MIN(seq) FROM audit_records WHERE time >= ?1",
                [&cutoff],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        let through_seq = match first_recent {
            Some(seq) => seq as u64 - 1,
            None => last_seq,
        };
        if through_seq < first_seq {
            return Ok(PurgeReport {
                deleted: 0,
                record: None,
            });
        }
        let anchor_hash: String = tx
            .query_row(
                "SELECT hash FROM audit_records WHERE seq = ?1",
                [through_seq as i64],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        let deleted = tx
            .execute(
                "DELETE FROM audit_records WHERE seq <= ?1",
                [through_seq as i64],
            )
            .map_err(|e| self.sql(e))? as u64;
        let fields = Fields {
            profile: String::new(),
            issuer: String::new(),
            identifier_kind: String::new(),
            identifier_masked: String::new(),
            id_hash: String::new(),
            subject_name: None,
            binding_message: format!("retention: deleted records older than {days} days"),
            outcome: Outcome::RetentionPurge,
            acr: None,
            transaction_id: None,
            error_code: None,
            duration_ms: None,
            request_seq: None,
            reference: None,
            purge: Some(crate::PurgeInfo {
                from_seq: first_seq,
                through_seq,
                count: deleted,
                anchor_hash,
                before: cutoff,
            }),
        };
        let record = self.insert(&tx, fields)?;
        tx.commit().map_err(|e| self.sql(e))?;
        self.anchor(&record);
        // Move the deleted pages out of the WAL as well.
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(PurgeReport {
            deleted,
            record: Some(record),
        })
    }

    // ----- internals -------------------------------------------------------------

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done transaction behind
        // (it is rolled back when dropped), so the connection is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sql(&self, e: rusqlite::Error) -> AuditError {
        AuditError::sqlite(&self.path, e)
    }

    /// Chain `fields` onto the head and insert them, inside the caller's transaction.
    fn insert(&self, tx: &Connection, fields: Fields) -> Result<Record> {
        let (head_seq, head_hash) = chain::read_head(tx).map_err(|e| self.sql(e))?;
        let seq = head_seq + 1;
        let mut record = Record {
            seq,
            time: format_time((self.clock)()),
            os_user: self.os_user.clone(),
            workstation: self.workstation.clone(),
            profile: fields.profile,
            issuer: fields.issuer,
            identifier_kind: fields.identifier_kind,
            identifier_masked: fields.identifier_masked,
            id_hash: fields.id_hash,
            subject_name: fields.subject_name,
            binding_message: fields.binding_message,
            outcome: fields.outcome,
            acr: fields.acr,
            transaction_id: fields.transaction_id,
            error_code: fields.error_code,
            duration_ms: fields.duration_ms,
            purge: fields.purge,
            prev_hash: head_hash,
            request_seq: fields.request_seq,
            reference: fields.reference,
            hash: String::new(),
        };
        let values = record.values();
        let hash = Value::Text(canonical_hash(&values));
        let placeholders = vec!["?"; COLUMNS.len() + 1].join(", ");
        let sql = format!(
            "INSERT INTO audit_records ({}, hash) VALUES ({placeholders})",
            COLUMNS.join(", ")
        );
        tx.prepare_cached(&sql)
            .and_then(|mut stmt| stmt.execute(params_from_iter(values.iter().chain([&hash]))))
            .map_err(|e| self.sql(e))?;
        tx.prepare_cached(
            "INSERT INTO audit_meta (key, value) VALUES ('head_seq', ?1), ('head_hash', ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .and_then(|mut stmt| stmt.execute((seq as i64, &hash)))
        .map_err(|e| self.sql(e))?;
        if let Value::Text(h) = hash {
            record.hash = h;
        }
        Ok(record)
    }

    fn row_to_record(&self, row: &rusqlite::Row<'_>) -> Result<Record> {
        let mut values = Vec::with_capacity(COLUMNS.len());
        for i in 0..COLUMNS.len() {
            values.push(row.get::<_, Value>(i).map_err(|e| self.sql(e))?);
        }
        let hash: Value = row.get(COLUMNS.len()).map_err(|e| self.sql(e))?;
        record_from_values(&values, &hash).map_err(|reason| AuditError::BadRecord {
            path: self.path.clone(),
            seq: match values[0] {
                Value::Integer(i) => i,
                _ => -1,
            },
            reason,
        })
    }

    fn query_records(&self, conn: &Connection, sql: &str, param: Value) -> Result<Vec<Record>> {
        let mut stmt = conn.prepare_cached(sql).map_err(|e| self.sql(e))?;
        let mut rows = stmt.query([param]).map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            out.push(self.row_to_record(row)?);
        }
        Ok(out)
    }
}

/// A record's content before it is chained.
struct Fields {
    profile: String,
    issuer: String,
    identifier_kind: String,
    identifier_masked: String,
    id_hash: String,
    subject_name: Option<String>,
    binding_message: String,
    outcome: Outcome,
    acr: Option<String>,
    transaction_id: Option<String>,
    error_code: Option<String>,
    duration_ms: Option<u64>,
    purge: Option<crate::PurgeInfo>,
    request_seq: Option<u64>,
    reference: Option<String>,
}

fn init_schema(conn: &Connection, path: &Path) -> Result<()> {
    let sql = |e| AuditError::sqlite(path, e);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS audit_meta (
             key   TEXT PRIMARY KEY,
             value ANY
         ) STRICT;
         CREATE TABLE IF NOT EXISTS audit_records (
             seq               INTEGER PRIMARY KEY,
             time              TEXT NOT NULL,
             os_user           TEXT NOT NULL,
             workstation       TEXT NOT NULL,
             profile           TEXT NOT NULL,
             issuer            TEXT NOT NULL,
             identifier_kind   TEXT NOT NULL,
             identifier_masked TEXT NOT NULL,
             id_hash           TEXT NOT NULL,
             subject_name      TEXT,
             binding_message   TEXT NOT NULL,
             outcome           TEXT NOT NULL,
             acr               TEXT,
             transaction_id    TEXT,
             error_code        TEXT,
             duration_ms       INTEGER,
             purge_from_seq    INTEGER,
             purge_through_seq INTEGER,
             purge_count       INTEGER,
             purge_anchor_hash TEXT,
             purge_before      TEXT,
             prev_hash         TEXT NOT NULL,
             hash              TEXT NOT NULL,
             request_seq       INTEGER,
             reference         TEXT
         ) STRICT;
         CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time);
         CREATE INDEX IF NOT EXISTS audit_records_id_hash ON audit_records (id_hash);
         INSERT OR IGNORE INTO audit_meta (key, value) VALUES ('format_version', 3);
         INSERT OR IGNORE INTO audit_meta (key, value) VALUES ('log_id', lower(hex(randomblob(16))));",
    )
    .map_err(sql)?;
    let found: i64 = conn
        .query_row(
            "SELECT value FROM audit_meta WHERE key = 'format_version'",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if found > FORMAT_VERSION {
        return Err(AuditError::NewerFormat {
            path: path.to_path_buf(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    if found < 2 {
        // Format 2 adds `request_seq`. Records from format 1 keep their hashes (see
        // `canonical_hash`); an older CIBA Desk then refuses the file instead of misreading
        // the new records.
        // Another process may migrate at the same moment: its column is as good as ours.
        match conn.execute_batch("ALTER TABLE audit_records ADD COLUMN request_seq INTEGER") {
            Err(e) if !e.to_string().contains("duplicate column") => return Err(sql(e)),
            _ => {}
        }
        conn.execute_batch("UPDATE audit_meta SET value = 2 WHERE key = 'format_version'")
            .map_err(sql)?;
    }
    if found < 3 {
        // Format 3 adds `reference`, hashed only when it holds one (see `canonical_hash`).
        match conn.execute_batch("ALTER TABLE audit_records ADD COLUMN reference TEXT") {
            Err(e) if !e.to_string().contains("duplicate column") => return Err(sql(e)),
            _ => {}
        }
        conn.execute_batch("UPDATE audit_meta SET value = 3 WHERE key = 'format_version'")
            .map_err(sql)?;
    }
    Ok(())
}

pub(crate) fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIME_FORMAT)
        .expect("every UTC time between years 0 and 9999 formats")
}

/// The directory (created `0700`, or tightened to it) and the database file (created `0600`;
/// SQLite gives its `-wal` and `-shm` files the same mode) are the account's alone: the log
/// holds who was verified when.
#[cfg(unix)]
fn private_files(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = std::fs::metadata(dir)?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    if file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_files(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(())
}

/// The account running this process: on Unix the passwd entry of the real user id (never
/// `$USER`, which anyone can set), else its number.
#[cfg(unix)]
pub fn current_os_user() -> String {
    // SAFETY: getuid cannot fail; getpwuid_r writes only into the buffers given, and the name
    // is read before they go.
    unsafe {
        let uid = libc::getuid();
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found);
        if rc == 0 && !found.is_null() && !pwd.pw_name.is_null() {
            let name = std::ffi::CStr::from_ptr(pwd.pw_name).to_string_lossy();
            if !name.is_empty() {
                return name.into_owned();
            }
        }
        format!("uid {uid}")
    }
}

/// The account running this process (Windows: `USERNAME`, set by the system at logon).
#[cfg(not(unix))]
pub fn current_os_user() -> String {
    std::env::var("USERNAME")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Replace every occurrence of `identifier` in `text` (identifiers shorter than 4
/// characters are too short to look for), also written with separators or without the
/// century: free text in a record never carries the customer's number.
pub fn redact_identifier(text: String, identifier: &str) -> String {
    if identifier.chars().count() < 4 {
        return text;
    }
    let text = text.replace(identifier, "[identifier]");
    // The same number written another way: with separators, or without the century
    // (`19121212-1212`, `121212-1212` for `191212121212`).
    let id_digits: String = identifier.chars().filter(char::is_ascii_digit).collect();
    if id_digits.len() < 10 {
        return text;
    }
    identity::replace_numbers(&text, "[identifier]", |digits| {
        digits.len() >= 10 && id_digits.ends_with(digits)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_is_wal_full_sync_secure_delete() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path().join("a.sqlite"), &[1; 32]).unwrap();
        let conn = log.lock();
        let get = |pragma: &str| -> String {
            conn.query_row(&format!("PRAGMA {pragma}"), [], |r| {
                r.get::<_, Value>(0).map(|v| match v {
                    Value::Integer(i) => i.to_string(),
                    Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
            })
            .unwrap()
        };
        assert_eq!(get("journal_mode"), "wal");
        assert_eq!(get("synchronous"), "2", "2 = FULL");
        assert_eq!(get("secure_delete"), "1");
    }

    #[test]
    fn times_are_utc_milliseconds() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_123_456_789)
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(format_time(t), "2026-01-01T00:00:00.123Z");
    }

    #[test]
    fn redaction_needs_a_real_identifier() {
        assert_eq!(
            redact_identifier("a 1234 b".into(), "1234"),
            "a [identifier] b"
        );
        assert_eq!(redact_identifier("a 123 b".into(), "123"), "a 123 b");
        assert_eq!(
            redact_identifier("nothing".into(), "199001011234"),
            "nothing"
        );
    }

    #[test]
    fn the_number_written_another_way_is_redacted_too() {
        let id = "191212121212";
        assert_eq!(
            redact_identifier("re 19121212-1212, or 121212-1212 / 1212121212".into(), id),
            "re [identifier], or [identifier] / [identifier]"
        );
        assert_eq!(
            redact_identifier("070761 4285 and 0707614285".into(), "0707614285"),
            "[identifier] and [identifier]"
        );
        // Other numbers, and short parts of this one, stay: they may be case numbers.
        assert_eq!(
            redact_identifier("case 2024-0117, call 1212, 198507232380".into(), id),
            "case 2024-0117, call 1212, 198507232380"
        );
    }
}
