//! SQLite, for one small server: one connection (WAL, `synchronous = FULL`, a 10 s busy
//! timeout), used on Tokio's blocking pool. Writes that read first run in `BEGIN IMMEDIATE`
//! transactions, which take the file's write lock at once: the in-flight check, the rate
//! limit and the chain's head are read by one writer at a time, in this process and in any
//! other process that opens the same file. A new file is created readable by its owner only.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension as _, Row, TransactionBehavior, params,
};

use super::chain::{ChainWalker, GENESIS_HASH, record_hash};
use super::migrations;
use super::{
    AuditCheck, AuditEntry, AuditFilter, AuditKey, AuditRow, NewVerification, PHASE_REQUESTED,
    Started, UnfinishedVerification, VerificationRow, WINDOW_MS, retry_after_secs,
};
use crate::error::{Result, ServerError};

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const VERIFICATION_COLUMNS: &str = "id, profile, agent_sub, agent_name, reference, \
     identifier_key, identifier_masked, created_at_ms, updated_at_ms, state_json, final_state";
const AUDIT_COLUMNS: &str = "seq, time_ms, verification_id, phase, agent_sub, agent_name, \
     reference, profile, issuer, identifier_kind, identifier_masked, id_hash, subject_name, \
     binding_message, outcome, acr, transaction_id, error_code, duration_ms, prev_hash, hash";

/// The store in an SQLite file (or in memory, for tests). Cheap to clone (one shared
/// connection).
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: Arc<str>,
    pub(super) key: Option<AuditKey>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("audit_key", &self.key.as_ref().map(|_| "[given]"))
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// `None`: an in-memory database (gone when the store is dropped).
    pub(super) async fn open(path: Option<PathBuf>) -> Result<SqliteStore> {
        let shown: Arc<str> = path
            .as_ref()
            .map_or(":memory:".into(), |p| p.display().to_string())
            .into();
        let conn = {
            let in_task = shown.clone();
            tokio::task::spawn_blocking(move || open_connection(path.as_deref(), &in_task))
                .await
                .map_err(|e| ServerError::DatabaseOpen {
                    path: shown.to_string(),
                    reason: e.to_string(),
                })??
        };
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path: shown,
            key: None,
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.conn.clone();
        let job = tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        });
        match job.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(ServerError::Database {
                action: "run a statement",
                reason: e.to_string(),
            }),
        }
    }

    pub(super) async fn migrate(&self, _runtime_role: Option<&str>) -> Result<()> {
        self.run(|conn| {
            let action = "create the schema_migrations table";
            let tx = immediate(conn, action)?;
            tx.execute_batch(migrations::CREATE_TABLE)
                .map_err(sql_error(action))?;
            tx.commit().map_err(sql_error(action))?;
            migrations::refuse_newer(migrations::SQLITE, &applied(conn)?)?;
            for m in migrations::SQLITE {
                let action = "apply a schema migration";
                let tx = immediate(conn, action)?;
                let done: Option<String> = tx
                    .query_row(
                        "SELECT checksum FROM schema_migrations WHERE version = ?1",
                        [m.version],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql_error("read the schema version"))?;
                match done {
                    Some(sum) if sum == m.checksum() => continue,
                    Some(_) => {
                        return Err(ServerError::MigrationChanged {
                            version: m.version,
                            name: m.name.into(),
                        });
                    }
                    None => {}
                }
                tx.execute_batch(m.sql).map_err(sql_error(action))?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at_ms) \
                     VALUES (?1, ?2, ?3, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                    params![m.version, m.name, m.checksum()],
                )
                .map_err(sql_error("record a schema migration"))?;
                tx.commit().map_err(sql_error(action))?;
                tracing::info!(
                    version = m.version,
                    name = m.name,
                    "applied a schema migration"
                );
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn check_schema(&self) -> Result<()> {
        self.run(|conn| {
            let exists: bool = conn
                .query_row(
                    "SELECT count(*) > 0 FROM sqlite_master \
                     WHERE type = 'table' AND name = 'schema_migrations'",
                    [],
                    |r| r.get(0),
                )
                .map_err(sql_error("read the schema version"))?;
            let applied = if exists { applied(conn)? } else { Vec::new() };
            migrations::compare(migrations::SQLITE, &applied)
        })
        .await
    }

    pub(super) async fn audit_is_mutable(&self) -> Result<bool> {
        // No roles: whoever can write the file can change it.
        Ok(true)
    }

    pub(super) async fn ping(&self) -> Result<()> {
        self.run(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(sql_error("answer a ping"))
        })
        .await
    }

    pub(super) async fn start_verification(
        &self,
        v: &NewVerification,
        per_agent_per_minute: u32,
        now_ms: i64,
    ) -> Result<Started> {
        let v = v.clone();
        self.run(move |conn| {
            let action = "start a verification";
            let e = sql_error(action);
            let tx = immediate(conn, action)?;
            let in_flight = tx
                .prepare_cached(
                    "SELECT 1 FROM verifications WHERE identifier_key = ?1 AND NOT final_state",
                )
                .and_then(|mut st| st.query_row([&v.identifier_key], |_| Ok(())).optional())
                .map_err(&e)?;
            if in_flight.is_some() {
                return Ok(Started::InFlight);
            }
            if per_agent_per_minute > 0 {
                // The limit-th newest start in the window is the one that must leave it.
                let recent: Vec<i64> = tx
                    .prepare_cached(
                        "SELECT created_at_ms FROM verifications \
                         WHERE agent_sub = ?1 AND created_at_ms > ?2 \
                         ORDER BY created_at_ms DESC LIMIT ?3",
                    )
                    .and_then(|mut st| {
                        st.query_map(
                            params![
                                v.agent_sub,
                                now_ms - WINDOW_MS,
                                i64::from(per_agent_per_minute)
                            ],
                            |r| r.get(0),
                        )?
                        .collect()
                    })
                    .map_err(&e)?;
                if recent.len() >= per_agent_per_minute as usize {
                    return Ok(Started::RateLimited {
                        retry_after_secs: retry_after_secs(recent[recent.len() - 1], now_ms),
                    });
                }
            }
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO verifications (id, profile, agent_sub, agent_name, reference, \
                         identifier_key, identifier_masked, created_at_ms, updated_at_ms, \
                         state_json, final_state) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, 0) \
                     ON CONFLICT (identifier_key) WHERE NOT final_state DO NOTHING",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        v.id,
                        v.profile,
                        v.agent_sub,
                        v.agent_name,
                        v.reference,
                        v.identifier_key,
                        v.identifier_masked,
                        v.created_at_ms,
                        v.state_json,
                    ])
                })
                .map_err(&e)?;
            if inserted == 0 {
                return Ok(Started::InFlight);
            }
            tx.commit().map_err(&e)?;
            Ok(Started::Inserted)
        })
        .await
    }

    pub(super) async fn set_state(
        &self,
        id: &str,
        state_json: &str,
        final_state: bool,
        now_ms: i64,
    ) -> Result<()> {
        let (id, state_json) = (id.to_owned(), state_json.to_owned());
        self.run(move |conn| {
            let e = sql_error("store a verification's state");
            let n = conn
                .prepare_cached(
                    "UPDATE verifications \
                     SET state_json = ?2, final_state = ?3, updated_at_ms = ?4 \
                     WHERE id = ?1 AND NOT final_state",
                )
                .and_then(|mut st| st.execute(params![id, state_json, final_state, now_ms]))
                .map_err(&e)?;
            if n == 1 {
                return Ok(());
            }
            let exists = conn
                .query_row("SELECT 1 FROM verifications WHERE id = ?1", [&id], |_| {
                    Ok(())
                })
                .optional()
                .map_err(&e)?
                .is_some();
            Err(if exists {
                ServerError::AlreadyFinished
            } else {
                ServerError::NoSuchVerification(id)
            })
        })
        .await
    }

    pub(super) async fn verification(&self, id: &str) -> Result<Option<VerificationRow>> {
        let id = id.to_owned();
        self.run(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE id = ?1"
            ))
            .and_then(|mut st| st.query_row([&id], verification_row).optional())
            .map_err(sql_error("read a verification"))
        })
        .await
    }

    pub(super) async fn unfinished(&self) -> Result<Vec<UnfinishedVerification>> {
        self.run(|conn| {
            let e = sql_error("read the unfinished verifications");
            let rows: Vec<VerificationRow> = conn
                .prepare(&format!(
                    "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE NOT final_state \
                     ORDER BY created_at_ms, id"
                ))
                .and_then(|mut st| st.query_map([], verification_row)?.collect())
                .map_err(&e)?;
            let mut st = conn
                .prepare(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_records \
                     WHERE verification_id = ?1 AND phase = ?2"
                ))
                .map_err(&e)?;
            rows.into_iter()
                .map(|verification| {
                    let requested = st
                        .query_row(params![verification.id, PHASE_REQUESTED], audit_row)
                        .optional()
                        .map_err(&e)?;
                    Ok(UnfinishedVerification {
                        verification,
                        requested,
                    })
                })
                .collect()
        })
        .await
    }

    pub(super) async fn append_audit(&self, entry: &AuditEntry) -> Result<u64> {
        let key = self.key.clone();
        let entry = entry.clone();
        self.run(move |conn| {
            let action = "append to the audit trail";
            let key = AuditKey::get(&key)?;
            let tx = immediate(conn, action)?;
            let last: Option<(i64, String)> = tx
                .prepare_cached("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1")
                .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(sql_error(action))?;
            let (seq, prev_hash) = match last {
                Some((seq, hash)) => (seq_of(seq)? + 1, hash),
                None => (1, GENESIS_HASH.to_owned()),
            };
            let mut row = AuditRow::new(seq, &entry, prev_hash, String::new());
            row.hash = record_hash(key, &row);
            tx.prepare_cached(&format!(
                "INSERT INTO audit_records ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
                 ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
            ))
            .and_then(|mut st| {
                st.execute(params![
                    seq as i64,
                    row.time_ms,
                    row.verification_id,
                    row.phase,
                    row.agent_sub,
                    row.agent_name,
                    row.reference,
                    row.profile,
                    row.issuer,
                    row.identifier_kind,
                    row.identifier_masked,
                    row.id_hash,
                    row.subject_name,
                    row.binding_message,
                    row.outcome,
                    row.acr,
                    row.transaction_id,
                    row.error_code,
                    row.duration_ms,
                    row.prev_hash,
                    row.hash,
                ])
            })
            .map_err(|err| {
                let dup = err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
                    && err.to_string().contains("audit_records.verification_id");
                if dup {
                    ServerError::AuditRecordExists {
                        verification_id: entry.verification_id.clone(),
                        phase: entry.phase.clone(),
                    }
                } else {
                    sql_error(action)(err)
                }
            })?;
            tx.commit().map_err(sql_error(action))?;
            Ok(seq)
        })
        .await
    }

    pub(super) async fn audit_records(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let f = f.clone();
        self.run(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_records \
                 WHERE (?1 IS NULL OR time_ms >= ?1) \
                   AND (?2 IS NULL OR time_ms < ?2) \
                   AND (?3 IS NULL OR agent_sub = ?3) \
                 ORDER BY seq DESC LIMIT ?4"
            ))
            .and_then(|mut st| {
                st.query_map(
                    params![f.since_ms, f.until_ms, f.agent, i64::from(f.limit)],
                    audit_row,
                )?
                .collect()
            })
            .map_err(sql_error("read the audit trail"))
        })
        .await
    }

    pub(super) async fn verify_audit(&self) -> Result<AuditCheck> {
        let key = self.key.clone();
        self.run(move |conn| {
            let key = AuditKey::get(&key)?;
            let e = sql_error("read the audit trail");
            let mut st = conn
                .prepare(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_records ORDER BY seq"
                ))
                .map_err(&e)?;
            let mut rows = st.query([]).map_err(&e)?;
            let mut walker = ChainWalker::new(key);
            while let Some(row) = rows.next().map_err(&e)? {
                walker.push(&audit_row(row).map_err(&e)?);
            }
            Ok(walker.finish())
        })
        .await
    }
}

fn open_connection(path: Option<&Path>, shown: &str) -> Result<Connection> {
    let open_error = |reason: String| ServerError::DatabaseOpen {
        path: shown.to_owned(),
        reason,
    };
    let conn = match path {
        None => Connection::open_in_memory(),
        Some(path) => {
            create_private(path).map_err(|e| open_error(e.to_string()))?;
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        }
    }
    .map_err(|e| open_error(e.to_string()))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| open_error(e.to_string()))?;
    // Setting WAL reads the file: "file is not a database" shows here, at start.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
        .map_err(|e| open_error(e.to_string()))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| open_error(e.to_string()))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| open_error(e.to_string()))?;
    Ok(conn)
}

/// Creates the file, if it does not exist yet, readable and writable by its owner only
/// (SQLite gives its `-wal` and `-shm` files the same mode).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn immediate<'c>(
    conn: &'c mut Connection,
    action: &'static str,
) -> Result<rusqlite::Transaction<'c>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error(action))
}

fn applied(conn: &Connection) -> Result<Vec<(u32, String)>> {
    conn.prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?
                .collect()
        })
        .map_err(sql_error("read the schema version"))
}

fn sql_error(action: &'static str) -> impl Fn(rusqlite::Error) -> ServerError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => ServerError::Database {
            action,
            reason: format!(
                "another process held the database file's lock for {} s",
                BUSY_TIMEOUT.as_secs()
            ),
        },
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
            ServerError::DatabasePermission {
                action,
                reason: e.to_string(),
            }
        }
        _ => ServerError::Database {
            action,
            reason: e.to_string(),
        },
    }
}

fn seq_of(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| ServerError::Database {
        action: "read the audit trail",
        reason: format!("an audit record has the seq {v}"),
    })
}

fn verification_row(r: &Row<'_>) -> rusqlite::Result<VerificationRow> {
    Ok(VerificationRow {
        id: r.get(0)?,
        profile: r.get(1)?,
        agent_sub: r.get(2)?,
        agent_name: r.get(3)?,
        reference: r.get(4)?,
        identifier_key: r.get(5)?,
        identifier_masked: r.get(6)?,
        created_at_ms: r.get(7)?,
        updated_at_ms: r.get(8)?,
        state_json: r.get(9)?,
        final_state: r.get(10)?,
    })
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    let seq: i64 = r.get(0)?;
    Ok(AuditRow {
        seq: u64::try_from(seq).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, seq))?,
        entry: AuditEntry {
            time_ms: r.get(1)?,
            verification_id: r.get(2)?,
            phase: r.get(3)?,
            agent_sub: r.get(4)?,
            agent_name: r.get(5)?,
            reference: r.get(6)?,
            profile: r.get(7)?,
            issuer: r.get(8)?,
            identifier_kind: r.get(9)?,
            identifier_masked: r.get(10)?,
            id_hash: r.get(11)?,
            subject_name: r.get(12)?,
            binding_message: r.get(13)?,
            outcome: r.get(14)?,
            acr: r.get(15)?,
            transaction_id: r.get(16)?,
            error_code: r.get(17)?,
            duration_ms: r.get(18)?,
        },
        prev_hash: r.get(19)?,
        hash: r.get(20)?,
    })
}
