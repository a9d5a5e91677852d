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

use tokio::sync::broadcast;

use super::chain::{ChainWalker, GENESIS_HASH, record_hash};
use super::cluster::{
    Acknowledged, CANCEL_PREFIX, Claimed, Delivery, DeliveryResult, LEASES_RELEASED, Lease,
    NewDelivery,
};
use super::migrations;
use super::{
    AUDIT_COLUMNS, AuditCheck, AuditEntry, AuditFilter, AuditKey, AuditRow, DELIVERY_COLUMNS,
    NewVerification, PHASE_REQUESTED, Started, UnfinishedVerification, VERIFICATION_COLUMNS,
    VerificationRow, WINDOW_MS, retry_after_secs,
};
use crate::error::{Result, ServerError};

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The store in an SQLite file (or in memory, for tests). Cheap to clone (one shared
/// connection).
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: Arc<str>,
    file: Option<Arc<PathBuf>>,
    pub(super) key: Option<AuditKey>,
    pub(super) changes: broadcast::Sender<Arc<str>>,
    /// The instance lock ([`SqliteStore::serve_alone`]), held while the store lives.
    instance: Arc<Mutex<Option<std::fs::File>>>,
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
        let file = path.clone().map(Arc::new);
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
            file,
            key: None,
            changes: broadcast::channel(1024).0,
            instance: Arc::default(),
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

    /// Takes the file's instance lock (`PATH.instance-lock`, released by the OS when the
    /// process ends, however it ends): a second server on the same file is refused at start.
    pub(super) fn serve_alone(&self) -> Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".instance-lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| ServerError::DatabaseOpen {
                path: PathBuf::from(lock_path).display().to_string(),
                reason: e.to_string(),
            })?;
        match file.try_lock() {
            Ok(()) => {
                *self.instance.lock().unwrap_or_else(PoisonError::into_inner) = Some(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(ServerError::SqliteInUse {
                path: self.path.to_string(),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(ServerError::DatabaseOpen {
                path: self.path.to_string(),
                reason: format!("its instance lock could not be taken: {e}"),
            }),
        }
    }

    fn changed(&self, id: &str) {
        let _ = self.changes.send(id.into());
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
        let key = self.key.clone();
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
                         state_json, final_state, lease_owner, lease_until_ms, fence, \
                         sealed_request) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, 0, ?10, ?11, \
                         CASE WHEN ?10 IS NULL THEN 0 ELSE 1 END, ?12) \
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
                        v.lease.as_ref().map(|l| l.0.as_str()),
                        v.lease.as_ref().map_or(0, |l| l.1),
                        v.sealed_request,
                    ])
                })
                .map_err(&e)?;
            if inserted == 0 {
                return Ok(Started::InFlight);
            }
            if let Some(r) = &v.requested {
                append_in(&tx, AuditKey::get(&key)?, r)?;
            }
            tx.commit().map_err(&e)?;
            Ok(Started::Inserted)
        })
        .await
    }

    pub(super) async fn set_state(
        &self,
        id: &str,
        lease: Option<&Lease>,
        state_json: &str,
        final_state: bool,
        now_ms: i64,
    ) -> Result<()> {
        let (id, state_json, lease) = (id.to_owned(), state_json.to_owned(), lease.cloned());
        let (changed, notified) = (id.clone(), state_json.clone());
        self.run(move |conn| {
            let e = sql_error("store a verification's state");
            let (owner, fence) = lease_params(lease.as_ref());
            let n = conn
                .prepare_cached(
                    "UPDATE verifications \
                     SET state_json = ?2, final_state = ?3, updated_at_ms = ?4, \
                         lease_owner = CASE WHEN ?3 THEN NULL ELSE lease_owner END \
                     WHERE id = ?1 AND NOT final_state \
                       AND (?5 IS NULL OR (lease_owner = ?5 AND fence = ?6))",
                )
                .and_then(|mut st| {
                    st.execute(params![id, state_json, final_state, now_ms, owner, fence])
                })
                .map_err(&e)?;
            if n == 1 {
                return Ok(());
            }
            Err(why_not_written(conn, &id))
        })
        .await?;
        self.changed(&format!("{changed}\n{notified}"));
        Ok(())
    }

    pub(super) async fn acknowledged(
        &self,
        id: &str,
        lease: &Lease,
        ack: &Acknowledged,
        state_json: &str,
        now_ms: i64,
    ) -> Result<()> {
        let (id, lease, ack, state_json) = (
            id.to_owned(),
            lease.clone(),
            ack.clone(),
            state_json.to_owned(),
        );
        let (changed, notified) = (id.clone(), state_json.clone());
        self.run(move |conn| {
            let n = conn
                .prepare_cached(
                    "UPDATE verifications \
                     SET sealed_auth_req_id = ?2, expires_at_ms = ?3, interval_ms = ?4, \
                         state_json = ?7, updated_at_ms = ?8 \
                     WHERE id = ?1 AND NOT final_state AND lease_owner = ?5 AND fence = ?6",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        id,
                        ack.sealed_auth_req_id,
                        ack.expires_at_ms,
                        ack.interval_ms,
                        lease.owner,
                        lease.fence,
                        state_json,
                        now_ms
                    ])
                })
                .map_err(sql_error("store a provider's acknowledgement"))?;
            if n == 1 {
                return Ok(());
            }
            Err(why_not_written(conn, &id))
        })
        .await?;
        self.changed(&format!("{changed}\n{notified}"));
        Ok(())
    }

    pub(super) async fn finish(
        &self,
        lease: Option<&Lease>,
        entry: &AuditEntry,
        state_json: &str,
        deliveries: &[NewDelivery],
        now_ms: i64,
    ) -> Result<u64> {
        let key = self.key.clone();
        let (lease, entry, state_json, deliveries) = (
            lease.cloned(),
            entry.clone(),
            state_json.to_owned(),
            deliveries.to_vec(),
        );
        let (id, notified) = (entry.verification_id.clone(), state_json.clone());
        let seq = self
            .run(move |conn| {
                let action = "end a verification";
                let e = sql_error(action);
                let key = AuditKey::get(&key)?;
                let tx = immediate(conn, action)?;
                let id = &entry.verification_id;
                let (ended, owner, fence): (bool, Option<String>, i64) = tx
                    .query_row(
                        "SELECT final_state, lease_owner, fence FROM verifications WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(&e)?
                    .ok_or_else(|| ServerError::NoSuchVerification(id.clone()))?;
                if ended {
                    return Err(ServerError::AlreadyFinished);
                }
                if let Some(l) = &lease
                    && (owner.as_deref() != Some(l.owner.as_str()) || fence != l.fence)
                {
                    return Err(ServerError::LeaseLost);
                }
                let seq = append_in(&tx, key, &entry)?;
                tx.execute(
                    "UPDATE verifications SET state_json = ?2, final_state = 1, \
                         updated_at_ms = ?3, lease_owner = NULL WHERE id = ?1",
                    params![id, state_json, now_ms],
                )
                .map_err(&e)?;
                for d in &deliveries {
                    tx.execute(
                        "INSERT INTO webhook_deliveries (verification_id, url, event, body, \
                             created_at_ms, next_attempt_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
                         ON CONFLICT DO NOTHING",
                        params![id, d.url, d.event, d.body, now_ms],
                    )
                    .map_err(&e)?;
                }
                tx.commit().map_err(&e)?;
                Ok(seq)
            })
            .await?;
        self.changed(&format!("{id}\n{notified}"));
        Ok(seq)
    }

    pub(super) async fn renew_leases(
        &self,
        owner: &str,
        until_ms: i64,
    ) -> Result<Vec<(String, bool)>> {
        let owner = owner.to_owned();
        self.run(move |conn| {
            conn.prepare_cached(
                "UPDATE verifications SET lease_until_ms = ?2 \
                 WHERE lease_owner = ?1 AND NOT final_state RETURNING id, cancel_requested",
            )
            .and_then(|mut st| {
                st.query_map(params![owner, until_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(sql_error("renew its leases"))
        })
        .await
    }

    pub(super) async fn claim_expired(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>> {
        let owner = owner.to_owned();
        self.run(move |conn| {
            let action = "take over verifications";
            let e = sql_error(action);
            let tx = immediate(conn, action)?;
            let ids: Vec<(String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT id, lease_owner FROM verifications \
                     WHERE NOT final_state AND lease_until_ms < ?1 \
                     ORDER BY lease_until_ms LIMIT ?2",
                )
                .and_then(|mut st| {
                    st.query_map(params![now_ms, i64::from(limit)], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect()
                })
                .map_err(&e)?;
            let mut claimed = Vec::with_capacity(ids.len());
            for (id, previous_owner) in ids {
                let c = tx
                    .prepare_cached(&format!(
                        "UPDATE verifications \
                         SET lease_owner = ?2, lease_until_ms = ?3, fence = fence + 1 \
                         WHERE id = ?1 \
                         RETURNING {VERIFICATION_COLUMNS}, fence, sealed_request, \
                             sealed_auth_req_id, expires_at_ms, interval_ms"
                    ))
                    .and_then(|mut st| {
                        st.query_row(params![id, owner, until_ms], |r| {
                            let n = 12;
                            Ok(Claimed {
                                verification: verification_row(r)?,
                                previous_owner: previous_owner.clone(),
                                lease: Lease {
                                    owner: owner.clone(),
                                    fence: r.get(n)?,
                                },
                                sealed_request: r.get(n + 1)?,
                                sealed_auth_req_id: r.get(n + 2)?,
                                expires_at_ms: r.get(n + 3)?,
                                interval_ms: r.get(n + 4)?,
                            })
                        })
                    })
                    .map_err(&e)?;
                claimed.push(c);
            }
            tx.commit().map_err(&e)?;
            Ok(claimed)
        })
        .await
    }

    pub(super) async fn release_leases(&self, owner: &str) -> Result<u64> {
        let owner = owner.to_owned();
        let n = self
            .run(move |conn| {
                conn.execute(
                    "UPDATE verifications SET lease_owner = NULL, lease_until_ms = 0 \
                     WHERE lease_owner = ?1 AND NOT final_state",
                    [owner],
                )
                .map_err(sql_error("hand its leases back"))
            })
            .await?;
        self.changed(LEASES_RELEASED);
        Ok(n as u64)
    }

    pub(super) async fn request_cancel(&self, id: &str, now_ms: i64) -> Result<()> {
        let id = id.to_owned();
        let changed = id.clone();
        self.run(move |conn| {
            let n = conn
                .execute(
                    "UPDATE verifications SET cancel_requested = 1, updated_at_ms = ?2 \
                     WHERE id = ?1 AND NOT final_state",
                    params![id, now_ms],
                )
                .map_err(sql_error("ask for a cancel"))?;
            if n == 1 {
                return Ok(());
            }
            Err(why_not_written(conn, &id))
        })
        .await?;
        self.changed(&format!("{CANCEL_PREFIX}{changed}"));
        Ok(())
    }

    pub(super) async fn requested_record(&self, id: &str) -> Result<Option<AuditRow>> {
        let id = id.to_owned();
        self.run(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_records \
                 WHERE verification_id = ?1 AND phase = ?2"
            ))
            .and_then(|mut st| {
                st.query_row(params![id, PHASE_REQUESTED], audit_row)
                    .optional()
            })
            .map_err(sql_error("read the audit trail"))
        })
        .await
    }

    pub(super) async fn claim_deliveries(
        &self,
        now_ms: i64,
        hold_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        self.run(move |conn| {
            conn.prepare_cached(&format!(
                "UPDATE webhook_deliveries SET next_attempt_ms = ?2 \
                 WHERE rowid IN (SELECT rowid FROM webhook_deliveries \
                     WHERE status = 'pending' AND next_attempt_ms <= ?1 \
                     ORDER BY next_attempt_ms LIMIT ?3) \
                 RETURNING {DELIVERY_COLUMNS}"
            ))
            .and_then(|mut st| {
                st.query_map(
                    params![now_ms, hold_until_ms, i64::from(limit)],
                    delivery_row,
                )?
                .collect()
            })
            .map_err(sql_error("take webhook deliveries"))
        })
        .await
    }

    pub(super) async fn record_delivery(
        &self,
        verification_id: &str,
        url: &str,
        result: &DeliveryResult,
        now_ms: i64,
    ) -> Result<()> {
        let (verification_id, url, result) =
            (verification_id.to_owned(), url.to_owned(), result.clone());
        self.run(move |conn| {
            let (status, next, error) = result.columns();
            conn.execute(
                "UPDATE webhook_deliveries SET status = ?3, attempts = attempts + 1, \
                     next_attempt_ms = COALESCE(?4, next_attempt_ms), last_error = ?5, \
                     delivered_at_ms = CASE WHEN ?3 = 'delivered' THEN ?6 END \
                 WHERE verification_id = ?1 AND url = ?2",
                params![verification_id, url, status, next, error, now_ms],
            )
            .map_err(sql_error("record a webhook delivery"))?;
            Ok(())
        })
        .await
    }

    pub(super) async fn deliveries(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let status = status.map(str::to_owned);
        self.run(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                 WHERE (?1 IS NULL OR status = ?1) \
                 ORDER BY created_at_ms DESC, verification_id, url LIMIT ?2"
            ))
            .and_then(|mut st| {
                st.query_map(params![status, i64::from(limit)], delivery_row)?
                    .collect()
            })
            .map_err(sql_error("read webhook deliveries"))
        })
        .await
    }

    pub(super) async fn deliveries_of(&self, verification_id: &str) -> Result<Vec<Delivery>> {
        let verification_id = verification_id.to_owned();
        self.run(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                 WHERE verification_id = ?1 ORDER BY created_at_ms, url"
            ))
            .and_then(|mut st| st.query_map([verification_id], delivery_row)?.collect())
            .map_err(sql_error("read webhook deliveries"))
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
            let seq = append_in(&tx, key, &entry)?;
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

/// Appends inside a `BEGIN IMMEDIATE` transaction (which holds the file's write lock).
fn append_in(tx: &rusqlite::Transaction<'_>, key: &[u8], entry: &AuditEntry) -> Result<u64> {
    let action = "append to the audit trail";
    let last: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1")
        .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(sql_error(action))?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq_of(seq)? + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let mut row = AuditRow::new(seq, entry, prev_hash, String::new());
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
    Ok(seq)
}

/// Why a fenced write changed nothing: the verification is unknown, has ended, or is no
/// longer this instance's.
fn why_not_written(conn: &Connection, id: &str) -> ServerError {
    match conn
        .query_row(
            "SELECT final_state FROM verifications WHERE id = ?1",
            [id],
            |r| r.get::<_, bool>(0),
        )
        .optional()
    {
        Ok(None) => ServerError::NoSuchVerification(id.to_owned()),
        Ok(Some(true)) => ServerError::AlreadyFinished,
        Ok(Some(false)) => ServerError::LeaseLost,
        Err(e) => sql_error("store a verification's state")(e),
    }
}

fn lease_params(lease: Option<&Lease>) -> (Option<&str>, Option<i64>) {
    (lease.map(|l| l.owner.as_str()), lease.map(|l| l.fence))
}

fn delivery_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        verification_id: r.get(0)?,
        url: r.get(1)?,
        event: r.get(2)?,
        body: r.get(3)?,
        status: r.get(4)?,
        attempts: r.get(5)?,
        created_at_ms: r.get(6)?,
        next_attempt_ms: r.get(7)?,
        last_error: r.get(8)?,
    })
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
        cancel_requested: r.get(11)?,
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
