//! PostgreSQL: a `deadpool` pool of `tokio-postgres` connections, `READ COMMITTED`
//! transactions, and transaction-scoped advisory locks where several servers must take turns:
//!
//! | lock (two-key form)               | taken by                         | serialises            |
//! |-----------------------------------|----------------------------------|-----------------------|
//! | `(LOCK_AGENT, key of agent_sub)`  | `start_verification`             | one agent's starts    |
//! | `(LOCK_AUDIT, 0)`                 | `append_audit`                   | every append          |
//! | `(LOCK_MIGRATE, 0)`               | each `migrate` transaction       | concurrent migrations |
//!
//! Any role may take an advisory lock, so the runtime role needs no privilege beyond its
//! `SELECT`/`INSERT` on `audit_records` to append: not `LOCK TABLE … IN SHARE ROW EXCLUSIVE
//! MODE` (which needs `UPDATE`, `DELETE` or `TRUNCATE` on the table) nor `SELECT … FOR
//! UPDATE` on a head row (which needs `UPDATE`). After the lock, the next statement's snapshot
//! sees every append committed before it (the lock is released only after the commit is
//! visible), so the head read from the last row is the true head. The primary key on `seq`
//! backs this up: a writer that skipped the lock could only fail, never fork the chain.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{
    Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime, Transaction,
};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use tokio_stream::StreamExt as _;

use tokio::sync::broadcast;

use super::chain::{ChainWalker, GENESIS_HASH, record_hash};
use super::cluster::{
    Acknowledged, CANCEL_PREFIX, CHANGES_CHANNEL, Claimed, Delivery, DeliveryResult, FEED_RESUMED,
    LEASES_RELEASED, Lease, MAX_NOTIFIED_STATE, NewDelivery,
};
use super::migrations::{self, Migration};
use super::{
    AUDIT_COLUMNS, AuditCheck, AuditEntry, AuditFilter, AuditKey, AuditRow, DELIVERY_COLUMNS,
    NewVerification, PHASE_REQUESTED, Started, UnfinishedVerification, VERIFICATION_COLUMNS,
    VerificationRow, WINDOW_MS, agent_lock_key, qualified, retry_after_secs,
};
use crate::error::{Result, ServerError};

/// First keys of the advisory locks (`'CD'` and a number, to stay clear of other users).
const LOCK_AGENT: i32 = 0x4344_0001;
const LOCK_AUDIT: i32 = 0x4344_0002;
const LOCK_MIGRATE: i32 = 0x4344_0003;

/// Connections in the pool.
const POOL_SIZE: usize = 16;
/// How long a request waits for a free connection.
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting (TCP, TLS negotiation, authentication), unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The store on PostgreSQL. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// `host:port` for messages (never the user information).
    target: Arc<str>,
    user: Arc<str>,
    pub(super) key: Option<AuditKey>,
    /// For the change feed's own connection (a pooled one cannot stay listening).
    config: Arc<tokio_postgres::Config>,
    pub(super) changes: broadcast::Sender<Arc<str>>,
    listening: Arc<std::sync::atomic::AtomicBool>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .field("user", &self.user)
            .field("audit_key", &self.key.as_ref().map(|_| "[given]"))
            .finish_non_exhaustive()
    }
}

impl PgStore {
    pub(super) async fn connect(url: &str) -> Result<PgStore> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e: tokio_postgres::Error| {
                // tokio-postgres names the parameter at fault, never its value.
                ServerError::DatabaseUrl {
                    reason: format!("it is not a valid PostgreSQL URL ({})", chain(&e)),
                }
            })?;
        if config.get_hosts().is_empty() {
            return Err(ServerError::DatabaseUrl {
                reason: "it names no host: postgres://USER:PASSWORD@HOST:PORT/DATABASE".into(),
            });
        }
        let user = config
            .get_user()
            .ok_or_else(|| ServerError::DatabaseUrl {
                reason: "it names no user: postgres://USER:PASSWORD@HOST:PORT/DATABASE".into(),
            })?
            .to_owned();
        if config.get_ssl_mode() == SslMode::Require {
            return Err(ServerError::DatabaseUrl {
                reason: "it asks for TLS (sslmode=require), which this server does not offer \
                         yet; reach the database over a private network, a Unix socket or a \
                         TLS tunnel, and use sslmode=disable"
                    .into(),
            });
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A database that vanishes (a fail-over, a dropped route) fails requests within about
        // a minute instead of hanging them: keepalives after 30 s idle, and unacknowledged
        // data gives up after 30 s (Linux). The URL's own settings win.
        if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
            config.keepalives_idle(Duration::from_secs(30));
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(30));
        }
        if config.get_application_name().is_none() {
            config.application_name("ciba-desk-server");
        }
        let target = target_of(&config);
        let create_timeout =
            *config.get_connect_timeout().unwrap_or(&CONNECT_TIMEOUT) + Duration::from_secs(5);
        let listen_config = Arc::new(config.clone());
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(create_timeout))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| ServerError::Database {
                action: "set up its connection pool",
                reason: e.to_string(),
            })?;
        let store = PgStore {
            pool,
            target: target.into(),
            user: user.into(),
            key: None,
            config: listen_config,
            changes: broadcast::channel(1024).0,
            listening: Default::default(),
        };
        // Connect once now: a wrong host, password or database shows at start.
        drop(store.conn().await?);
        Ok(store)
    }

    async fn conn(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => self.connect_error(&e),
            PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => ServerError::Database {
                action: "give the server a connection",
                reason: format!(
                    "all {POOL_SIZE} connections stayed busy for {} s",
                    WAIT_TIMEOUT.as_secs()
                ),
            },
            PoolError::Timeout(_) => ServerError::DatabaseUnreachable {
                target: self.target.to_string(),
                reason: "no connection was made in time".into(),
            },
            other => ServerError::Database {
                action: "give the server a connection",
                reason: other.to_string(),
            },
        })
    }

    fn connect_error(&self, e: &tokio_postgres::Error) -> ServerError {
        let target = self.target.to_string();
        if let Some(db) = e.as_db_error() {
            let reason = db.message().to_owned();
            let code = db.code();
            return if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            {
                ServerError::DatabaseLogin {
                    target,
                    user: self.user.to_string(),
                    reason,
                }
            } else if *code == SqlState::CANNOT_CONNECT_NOW {
                ServerError::DatabaseUnreachable { target, reason }
            } else {
                ServerError::DatabaseRefused { target, reason }
            };
        }
        let reason = chain(e);
        if reason.starts_with("authentication error") {
            ServerError::DatabaseLogin {
                target,
                user: self.user.to_string(),
                reason,
            }
        } else {
            ServerError::DatabaseUnreachable { target, reason }
        }
    }

    /// A failed statement, as an error an administrator can act on.
    fn query_error(&self, action: &'static str) -> impl Fn(tokio_postgres::Error) -> ServerError {
        let target = self.target.clone();
        move |e| match e.as_db_error() {
            Some(db) if *db.code() == SqlState::INSUFFICIENT_PRIVILEGE => {
                ServerError::DatabasePermission {
                    action,
                    reason: db.message().to_owned(),
                }
            }
            // The message only: DETAIL may quote the values of a row.
            Some(db) => ServerError::Database {
                action,
                reason: format!("{} (SQLSTATE {})", db.message(), db.code().code()),
            },
            None if e.is_closed() || e.to_string().starts_with("error communicating") => {
                ServerError::DatabaseUnreachable {
                    target: target.to_string(),
                    reason: chain(&e),
                }
            }
            None => ServerError::Database {
                action,
                reason: chain(&e),
            },
        }
    }

    /// A `READ COMMITTED` transaction, whatever the database's default: each statement after
    /// an advisory lock must see what was committed before the lock was granted.
    async fn begin<'c>(
        &self,
        client: &'c mut deadpool_postgres::Object,
        action: &'static str,
    ) -> Result<Transaction<'c>> {
        client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .await
            .map_err(self.query_error(action))
    }

    /// Runs `body` in a `READ COMMITTED` transaction that first takes `locks` (advisory,
    /// transaction-scoped). `BEGIN` and the locks go in one round trip; the statements in
    /// `body` come after the locks were granted, so each sees every commit made before.
    /// Commits when `body` says so, rolls back otherwise and on any error.
    async fn in_transaction<T>(
        &self,
        client: &deadpool_postgres::ClientWrapper,
        locks: &[(i32, i32)],
        action: &'static str,
        body: impl AsyncFnOnce(&deadpool_postgres::ClientWrapper) -> Result<Ending<T>>,
    ) -> Result<T> {
        use std::fmt::Write as _;
        let mut begin = String::from("BEGIN ISOLATION LEVEL READ COMMITTED;");
        for (class, key) in locks {
            let _ = write!(begin, " SELECT pg_advisory_xact_lock({class}, {key});");
        }
        client
            .batch_execute(&begin)
            .await
            .map_err(self.query_error(action))?;
        match body(client).await {
            Ok(Ending::Commit(v)) => {
                client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(self.query_error(action))?;
                Ok(v)
            }
            Ok(Ending::Rollback(v)) => {
                client
                    .batch_execute("ROLLBACK")
                    .await
                    .map_err(self.query_error(action))?;
                Ok(v)
            }
            Err(e) => {
                // Leaves the pooled connection usable (or, if even this fails, broken and
                // replaced by the pool).
                let _ = client.batch_execute("ROLLBACK").await;
                Err(e)
            }
        }
    }

    async fn lock(&self, tx: &Transaction<'_>, class: i32, key: i32) -> Result<()> {
        let st = tx
            .prepare_cached("SELECT pg_advisory_xact_lock($1, $2)")
            .await
            .map_err(self.query_error("take a lock"))?;
        tx.execute(&st, &[&class, &key])
            .await
            .map_err(self.query_error("take a lock"))?;
        Ok(())
    }

    async fn applied(&self, client: &tokio_postgres::Client) -> Result<Vec<(u32, String)>> {
        let rows = client
            .query(
                "SELECT version, checksum FROM schema_migrations ORDER BY version",
                &[],
            )
            .await
            .map_err(self.query_error("read the schema version"))?;
        rows.iter()
            .map(|r| {
                let v: i32 = r.try_get(0).map_err(read_error)?;
                Ok((v.max(0) as u32, r.try_get(1).map_err(read_error)?))
            })
            .collect()
    }

    pub(super) async fn migrate(&self, runtime_role: Option<&str>) -> Result<()> {
        let mut client = self.conn().await?;
        {
            let tx = self.begin(&mut client, "begin a transaction").await?;
            self.lock(&tx, LOCK_MIGRATE, 0).await?;
            tx.batch_execute(migrations::CREATE_TABLE)
                .await
                .map_err(self.query_error("create the schema_migrations table"))?;
            tx.commit()
                .await
                .map_err(self.query_error("create the schema_migrations table"))?;
        }
        migrations::refuse_newer(migrations::POSTGRES, &self.applied(&client).await?)?;
        for m in migrations::POSTGRES {
            self.apply(&mut client, m).await?;
        }
        if let Some(role) = runtime_role {
            self.grant(&mut client, role).await?;
        }
        Ok(())
    }

    async fn apply(&self, client: &mut deadpool_postgres::Object, m: &Migration) -> Result<()> {
        let tx = self.begin(client, "begin a transaction").await?;
        self.lock(&tx, LOCK_MIGRATE, 0).await?;
        let version = m.version as i32;
        let done = tx
            .query_opt(
                "SELECT checksum FROM schema_migrations WHERE version = $1",
                &[&version],
            )
            .await
            .map_err(self.query_error("read the schema version"))?;
        if let Some(row) = done {
            let sum: String = row.try_get(0).map_err(read_error)?;
            tx.rollback()
                .await
                .map_err(self.query_error("end a transaction"))?;
            return if sum == m.checksum() {
                Ok(())
            } else {
                Err(ServerError::MigrationChanged {
                    version: m.version,
                    name: m.name.into(),
                })
            };
        }
        tx.batch_execute(m.sql)
            .await
            .map_err(self.query_error("apply a schema migration"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at_ms) \
             VALUES ($1, $2, $3, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
            &[&version, &m.name, &m.checksum()],
        )
        .await
        .map_err(self.query_error("record a schema migration"))?;
        tx.commit()
            .await
            .map_err(self.query_error("apply a schema migration"))?;
        tracing::info!(
            version = m.version,
            name = m.name,
            "applied a schema migration"
        );
        Ok(())
    }

    /// Exactly the server's privileges for `role`: anything else it had on these tables is
    /// revoked first.
    async fn grant(&self, client: &mut deadpool_postgres::Object, role: &str) -> Result<()> {
        let invalid = |reason: &str| ServerError::RuntimeRoleInvalid {
            role: role.to_owned(),
            reason: reason.to_owned(),
        };
        if role.trim().is_empty() {
            return Err(invalid("the name is empty"));
        }
        let tx = self.begin(client, "begin a transaction").await?;
        self.lock(&tx, LOCK_MIGRATE, 0).await?;
        let row = tx
            .query_opt(
                "SELECT r.rolsuper, r.rolname = current_user, \
                        pg_has_role(r.oid, c.relowner, 'MEMBER') \
                 FROM pg_roles r, pg_class c \
                 WHERE r.rolname = $1 AND c.oid = 'audit_records'::regclass",
                &[&role],
            )
            .await
            .map_err(self.query_error("look up the runtime role"))?
            .ok_or_else(|| {
                invalid(
                    "there is no such role in the database; create it first (CREATE ROLE … \
                     LOGIN PASSWORD …) and put its name in [database] runtime_role",
                )
            })?;
        let (superuser, is_self, member_of_owner): (bool, bool, bool) = (
            row.try_get(0).map_err(read_error)?,
            row.try_get(1).map_err(read_error)?,
            row.try_get(2).map_err(read_error)?,
        );
        if is_self {
            return Err(invalid(
                "it is the role running the migration, which owns the tables; the server must \
                 connect as a separate role that cannot change audit records",
            ));
        }
        if superuser {
            return Err(invalid(
                "it is a superuser, which can change audit records whatever is granted",
            ));
        }
        if member_of_owner {
            return Err(invalid(
                "it is a member of the role that owns the tables, so it has the owner's rights",
            ));
        }
        let r = quote_ident(role);
        tx.batch_execute(&format!(
            "REVOKE ALL ON TABLE verifications, audit_records, schema_migrations, \
                 webhook_deliveries FROM {r};
             GRANT SELECT, INSERT, UPDATE ON TABLE verifications TO {r};
             GRANT SELECT, INSERT, UPDATE ON TABLE webhook_deliveries TO {r};
             GRANT SELECT, INSERT ON TABLE audit_records TO {r};
             GRANT SELECT ON TABLE schema_migrations TO {r};"
        ))
        .await
        .map_err(self.query_error("grant the runtime role its privileges"))?;
        tx.commit()
            .await
            .map_err(self.query_error("grant the runtime role its privileges"))?;
        Ok(())
    }

    pub(super) async fn check_schema(&self) -> Result<()> {
        let client = self.conn().await?;
        let exists: bool = client
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
            .await
            .map_err(self.query_error("read the schema version"))?
            .try_get(0)
            .map_err(read_error)?;
        let applied = if exists {
            self.applied(&client).await?
        } else {
            Vec::new()
        };
        migrations::compare(migrations::POSTGRES, &applied)
    }

    pub(super) async fn audit_is_mutable(&self) -> Result<bool> {
        let client = self.conn().await?;
        client
            .query_one(
                "SELECT has_any_column_privilege(c.oid, 'UPDATE') \
                     OR has_table_privilege(c.oid, 'DELETE') \
                     OR has_table_privilege(c.oid, 'TRUNCATE') \
                     OR pg_has_role(c.relowner, 'MEMBER') \
                 FROM pg_class c WHERE c.oid = 'audit_records'::regclass",
                &[],
            )
            .await
            .map_err(self.query_error("read the audit table's privileges"))?
            .try_get(0)
            .map_err(read_error)
    }

    pub(super) async fn ping(&self) -> Result<()> {
        let client = self.conn().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(self.query_error("answer a ping"))?;
        Ok(())
    }

    pub(super) async fn start_verification(
        &self,
        v: &NewVerification,
        per_agent_per_minute: u32,
        now_ms: i64,
    ) -> Result<Started> {
        let action = "start a verification";
        let key = match &v.requested {
            Some(_) => Some(AuditKey::get(&self.key)?),
            None => None,
        };
        let client = self.conn().await?;
        let mut locks = vec![(LOCK_AGENT, agent_lock_key(&v.agent_sub))];
        if key.is_some() {
            locks.push((LOCK_AUDIT, 0));
        }
        let err = self.query_error(action);
        self.in_transaction(&client, &locks, action, async |c| {
            // In one round trip: is the customer in a verification, the agent's recent
            // starts (the limit-th newest is the one that must leave the window), the head.
            let st = c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM verifications \
                                    WHERE identifier_key = $1 AND NOT final_state), \
                            ARRAY(SELECT created_at_ms FROM verifications \
                                  WHERE agent_sub = $2 AND created_at_ms > $3 \
                                  ORDER BY created_at_ms DESC LIMIT $4), \
                            (SELECT seq FROM audit_records ORDER BY seq DESC LIMIT 1), \
                            (SELECT hash FROM audit_records ORDER BY seq DESC LIMIT 1)",
                )
                .await
                .map_err(&err)?;
            let limit = i64::from(per_agent_per_minute.max(1));
            let row = c
                .query_one(
                    &st,
                    &[
                        &v.identifier_key,
                        &v.agent_sub,
                        &(now_ms - WINDOW_MS),
                        &limit,
                    ],
                )
                .await
                .map_err(&err)?;
            let in_flight: bool = row.try_get(0).map_err(read_error)?;
            let recent: Vec<i64> = row.try_get(1).map_err(read_error)?;
            if in_flight {
                return Ok(Ending::Rollback(Started::InFlight));
            }
            if per_agent_per_minute > 0 && recent.len() >= per_agent_per_minute as usize {
                return Ok(Ending::Rollback(Started::RateLimited {
                    retry_after_secs: retry_after_secs(recent[recent.len() - 1], now_ms),
                }));
            }
            // The partial unique index decides between racing servers: the loser inserts
            // nothing.
            let st = c
                .prepare_cached(
                    "INSERT INTO verifications (id, profile, agent_sub, agent_name, reference, \
                         identifier_key, identifier_masked, created_at_ms, updated_at_ms, \
                         state_json, final_state, lease_owner, lease_until_ms, fence, \
                         sealed_request) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, FALSE, $10, $11, \
                         CASE WHEN $10::TEXT IS NULL THEN 0 ELSE 1 END, $12) \
                     ON CONFLICT (identifier_key) WHERE NOT final_state DO NOTHING",
                )
                .await
                .map_err(&err)?;
            let inserted = c
                .execute(
                    &st,
                    &[
                        &v.id,
                        &v.profile,
                        &v.agent_sub,
                        &v.agent_name,
                        &v.reference,
                        &v.identifier_key,
                        &v.identifier_masked,
                        &v.created_at_ms,
                        &v.state_json,
                        &v.lease.as_ref().map(|l| l.0.as_str()),
                        &v.lease.as_ref().map_or(0, |l| l.1),
                        &v.sealed_request,
                    ],
                )
                .await
                .map_err(&err)?;
            if inserted == 0 {
                return Ok(Ending::Rollback(Started::InFlight));
            }
            if let (Some(entry), Some(key)) = (&v.requested, key) {
                let head = head_of(&row, 2)?;
                self.insert_audit(c, key, head, entry).await?;
            }
            Ok(Ending::Commit(Started::Inserted))
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
        let action = "store a verification's state";
        let client = self.conn().await?;
        let (owner, fence) = lease_params(lease);
        // One round trip: the update, and its notification when it changed a row.
        let st = client
            .prepare_cached(
                "WITH u AS (UPDATE verifications \
                     SET state_json = $2, final_state = $3, updated_at_ms = $4, \
                         lease_owner = CASE WHEN $3 THEN NULL ELSE lease_owner END \
                     WHERE id = $1 AND NOT final_state \
                       AND ($5::TEXT IS NULL OR (lease_owner = $5 AND fence = $6)) \
                     RETURNING id) \
                 SELECT pg_notify($7, id || CASE WHEN octet_length($2) <= $8 \
                                         THEN E'\\n' || $2 ELSE '' END) FROM u",
            )
            .await
            .map_err(self.query_error(action))?;
        let n = client
            .query(
                &st,
                &[
                    &id,
                    &state_json,
                    &final_state,
                    &now_ms,
                    &owner,
                    &fence,
                    &CHANGES_CHANNEL,
                    &MAX_NOTIFIED_STATE,
                ],
            )
            .await
            .map_err(self.query_error(action))?
            .len();
        if n == 1 {
            return Ok(());
        }
        Err(self.why_not_written(&client, id).await)
    }

    /// Why a fenced write changed nothing: the verification is unknown, has ended, or is no
    /// longer this instance's.
    async fn why_not_written(&self, client: &tokio_postgres::Client, id: &str) -> ServerError {
        match client
            .query_opt(
                "SELECT final_state FROM verifications WHERE id = $1",
                &[&id],
            )
            .await
        {
            Ok(None) => ServerError::NoSuchVerification(id.to_owned()),
            Ok(Some(r)) if r.try_get::<_, bool>(0).unwrap_or(false) => ServerError::AlreadyFinished,
            Ok(Some(_)) => ServerError::LeaseLost,
            Err(e) => self.query_error("store a verification's state")(e),
        }
    }

    pub(super) async fn acknowledged(
        &self,
        id: &str,
        lease: &Lease,
        ack: &Acknowledged,
        state_json: &str,
        now_ms: i64,
    ) -> Result<()> {
        let action = "store a provider's acknowledgement";
        let client = self.conn().await?;
        let st = client
            .prepare_cached(
                "WITH u AS (UPDATE verifications \
                     SET sealed_auth_req_id = $2, expires_at_ms = $3, interval_ms = $4, \
                         state_json = $7, updated_at_ms = $8 \
                     WHERE id = $1 AND NOT final_state AND lease_owner = $5 AND fence = $6 \
                     RETURNING id) \
                 SELECT pg_notify($9, id || CASE WHEN octet_length($7) <= $10 \
                                         THEN E'\\n' || $7 ELSE '' END) FROM u",
            )
            .await
            .map_err(self.query_error(action))?;
        let n = client
            .query(
                &st,
                &[
                    &id,
                    &ack.sealed_auth_req_id,
                    &ack.expires_at_ms,
                    &ack.interval_ms,
                    &lease.owner,
                    &lease.fence,
                    &state_json,
                    &now_ms,
                    &CHANGES_CHANNEL,
                    &MAX_NOTIFIED_STATE,
                ],
            )
            .await
            .map_err(self.query_error(action))?
            .len();
        if n == 1 {
            return Ok(());
        }
        Err(self.why_not_written(&client, id).await)
    }

    pub(super) async fn finish(
        &self,
        lease: Option<&Lease>,
        entry: &AuditEntry,
        state_json: &str,
        deliveries: &[NewDelivery],
        now_ms: i64,
    ) -> Result<u64> {
        let action = "end a verification";
        let key = AuditKey::get(&self.key)?;
        let id = &entry.verification_id;
        let client = self.conn().await?;
        let err = self.query_error(action);
        self.in_transaction(&client, &[(LOCK_AUDIT, 0)], action, async |c| {
            let st = c
                .prepare_cached(
                    "SELECT v.final_state, v.lease_owner, v.fence, \
                            (SELECT seq FROM audit_records ORDER BY seq DESC LIMIT 1), \
                            (SELECT hash FROM audit_records ORDER BY seq DESC LIMIT 1) \
                     FROM verifications v WHERE v.id = $1 FOR UPDATE",
                )
                .await
                .map_err(&err)?;
            let row = c
                .query_opt(&st, &[id])
                .await
                .map_err(&err)?
                .ok_or_else(|| ServerError::NoSuchVerification(id.clone()))?;
            let (ended, owner, fence): (bool, Option<String>, i64) = (
                row.try_get(0).map_err(read_error)?,
                row.try_get(1).map_err(read_error)?,
                row.try_get(2).map_err(read_error)?,
            );
            if ended {
                return Err(ServerError::AlreadyFinished);
            }
            if let Some(l) = lease
                && (owner.as_deref() != Some(l.owner.as_str()) || fence != l.fence)
            {
                return Err(ServerError::LeaseLost);
            }
            let seq = self.insert_audit(c, key, head_of(&row, 3)?, entry).await?;
            // The final state, the deliveries it causes and its notification: one statement.
            let st = c
                .prepare_cached(
                    "WITH u AS (UPDATE verifications SET state_json = $2, final_state = TRUE, \
                                    updated_at_ms = $3, lease_owner = NULL \
                                WHERE id = $1 RETURNING id), \
                          d AS (INSERT INTO webhook_deliveries (verification_id, url, event, \
                                    body, created_at_ms, next_attempt_ms) \
                                SELECT $1, t.url, t.event, t.body, $3, $3 \
                                FROM unnest($4::TEXT[], $5::TEXT[], $6::TEXT[]) \
                                    AS t(url, event, body) \
                                ON CONFLICT DO NOTHING) \
                     SELECT pg_notify($7, u.id || CASE WHEN octet_length($2) <= $8 \
                                                  THEN E'\\n' || $2 ELSE '' END) FROM u",
                )
                .await
                .map_err(&err)?;
            let urls: Vec<&str> = deliveries.iter().map(|d| d.url.as_str()).collect();
            let events: Vec<&str> = deliveries.iter().map(|d| d.event.as_str()).collect();
            let bodies: Vec<&str> = deliveries.iter().map(|d| d.body.as_str()).collect();
            c.query(
                &st,
                &[
                    id,
                    &state_json,
                    &now_ms,
                    &urls,
                    &events,
                    &bodies,
                    &CHANGES_CHANNEL,
                    &MAX_NOTIFIED_STATE,
                ],
            )
            .await
            .map_err(&err)?;
            Ok(Ending::Commit(seq))
        })
        .await
    }

    /// Appends `e` after `head` (the chain's last seq and hash, read under the chain's lock).
    async fn insert_audit(
        &self,
        c: &deadpool_postgres::ClientWrapper,
        key: &[u8],
        head: Option<(u64, String)>,
        e: &AuditEntry,
    ) -> Result<u64> {
        let action = "append to the audit trail";
        let (seq, prev_hash) = match head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let mut row = AuditRow::new(seq, e, prev_hash, String::new());
        row.hash = record_hash(key, &row);
        let st = c
            .prepare_cached(&format!(
                "INSERT INTO audit_records ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
                 $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
            ))
            .await
            .map_err(self.query_error(action))?;
        let seq_i64 = seq as i64;
        c.execute(
            &st,
            &[
                &seq_i64,
                &row.time_ms,
                &row.verification_id,
                &row.phase,
                &row.agent_sub,
                &row.agent_name,
                &row.reference,
                &row.profile,
                &row.issuer,
                &row.identifier_kind,
                &row.identifier_masked,
                &row.id_hash,
                &row.subject_name,
                &row.binding_message,
                &row.outcome,
                &row.acr,
                &row.transaction_id,
                &row.error_code,
                &row.duration_ms,
                &row.prev_hash,
                &row.hash,
            ],
        )
        .await
        .map_err(|err| {
            let dup = err.as_db_error().is_some_and(|db| {
                *db.code() == SqlState::UNIQUE_VIOLATION
                    && db.constraint() == Some("audit_records_one_per_phase")
            });
            if dup {
                ServerError::AuditRecordExists {
                    verification_id: e.verification_id.clone(),
                    phase: e.phase.clone(),
                }
            } else {
                self.query_error(action)(err)
            }
        })?;
        Ok(seq)
    }

    pub(super) async fn renew_leases(
        &self,
        owner: &str,
        until_ms: i64,
    ) -> Result<Vec<(String, bool)>> {
        let action = "renew its leases";
        let client = self.conn().await?;
        let rows = client
            .query(
                "UPDATE verifications SET lease_until_ms = $2 \
                 WHERE lease_owner = $1 AND NOT final_state RETURNING id, cancel_requested",
                &[&owner, &until_ms],
            )
            .await
            .map_err(self.query_error(action))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(read_error)?,
                    r.try_get(1).map_err(read_error)?,
                ))
            })
            .collect()
    }

    pub(super) async fn claim_expired(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>> {
        let action = "take over verifications";
        let client = self.conn().await?;
        // SKIP LOCKED: instances claiming at once take different rows, none waits.
        let cols = qualified("v", VERIFICATION_COLUMNS);
        let rows = client
            .query(
                &format!(
                    "UPDATE verifications v \
                     SET lease_owner = $1, lease_until_ms = $3, fence = v.fence + 1 \
                     FROM (SELECT id, lease_owner AS previous FROM verifications \
                           WHERE NOT final_state AND lease_until_ms < $2 \
                           ORDER BY lease_until_ms LIMIT $4 FOR UPDATE SKIP LOCKED) c \
                     WHERE v.id = c.id \
                     RETURNING {cols}, c.previous, v.fence, v.sealed_request, \
                         v.sealed_auth_req_id, v.expires_at_ms, v.interval_ms"
                ),
                &[&owner, &now_ms, &until_ms, &i64::from(limit)],
            )
            .await
            .map_err(self.query_error(action))?;
        rows.iter()
            .map(|r| {
                let n = 12;
                Ok(Claimed {
                    verification: verification_row(r)?,
                    previous_owner: r.try_get(n).map_err(read_error)?,
                    lease: Lease {
                        owner: owner.to_owned(),
                        fence: r.try_get(n + 1).map_err(read_error)?,
                    },
                    sealed_request: r.try_get(n + 2).map_err(read_error)?,
                    sealed_auth_req_id: r.try_get(n + 3).map_err(read_error)?,
                    expires_at_ms: r.try_get(n + 4).map_err(read_error)?,
                    interval_ms: r.try_get(n + 5).map_err(read_error)?,
                })
            })
            .collect()
    }

    pub(super) async fn release_leases(&self, owner: &str) -> Result<u64> {
        let action = "hand its leases back";
        let mut client = self.conn().await?;
        let tx = self.begin(&mut client, action).await?;
        let n = tx
            .execute(
                "UPDATE verifications SET lease_owner = NULL, lease_until_ms = 0 \
                 WHERE lease_owner = $1 AND NOT final_state",
                &[&owner],
            )
            .await
            .map_err(self.query_error(action))?;
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANGES_CHANNEL, &LEASES_RELEASED],
        )
        .await
        .map_err(self.query_error(action))?;
        tx.commit().await.map_err(self.query_error(action))?;
        Ok(n)
    }

    pub(super) async fn request_cancel(&self, id: &str, now_ms: i64) -> Result<()> {
        let action = "ask for a cancel";
        let client = self.conn().await?;
        let n = client
            .query(
                "WITH u AS (UPDATE verifications SET cancel_requested = TRUE, updated_at_ms = $2 \
                     WHERE id = $1 AND NOT final_state RETURNING id) \
                 SELECT pg_notify($3, $4 || id) FROM u",
                &[&id, &now_ms, &CHANGES_CHANNEL, &CANCEL_PREFIX],
            )
            .await
            .map_err(self.query_error(action))?
            .len();
        if n == 1 {
            return Ok(());
        }
        Err(self.why_not_written(&client, id).await)
    }

    pub(super) async fn requested_record(&self, id: &str) -> Result<Option<AuditRow>> {
        let client = self.conn().await?;
        client
            .query_opt(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_records \
                     WHERE verification_id = $1 AND phase = $2"
                ),
                &[&id, &PHASE_REQUESTED],
            )
            .await
            .map_err(self.query_error("read the audit trail"))?
            .map(|r| audit_row(&r))
            .transpose()
    }

    pub(super) async fn claim_deliveries(
        &self,
        now_ms: i64,
        hold_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let action = "take webhook deliveries";
        let client = self.conn().await?;
        let cols = qualified("d", DELIVERY_COLUMNS);
        let rows = client
            .query(
                &format!(
                    "UPDATE webhook_deliveries d SET next_attempt_ms = $2 \
                     FROM (SELECT verification_id, url FROM webhook_deliveries \
                           WHERE status = 'pending' AND next_attempt_ms <= $1 \
                           ORDER BY next_attempt_ms LIMIT $3 FOR UPDATE SKIP LOCKED) c \
                     WHERE d.verification_id = c.verification_id AND d.url = c.url \
                     RETURNING {cols}"
                ),
                &[&now_ms, &hold_until_ms, &i64::from(limit)],
            )
            .await
            .map_err(self.query_error(action))?;
        rows.iter().map(delivery_row).collect()
    }

    pub(super) async fn record_delivery(
        &self,
        verification_id: &str,
        url: &str,
        result: &DeliveryResult,
        now_ms: i64,
    ) -> Result<()> {
        let (status, next, error) = result.columns();
        let client = self.conn().await?;
        client
            .execute(
                "UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, \
                     next_attempt_ms = COALESCE($4, next_attempt_ms), last_error = $5, \
                     delivered_at_ms = CASE WHEN $3 = 'delivered' THEN $6::BIGINT END \
                 WHERE verification_id = $1 AND url = $2",
                &[&verification_id, &url, &status, &next, &error, &now_ms],
            )
            .await
            .map_err(self.query_error("record a webhook delivery"))?;
        Ok(())
    }

    pub(super) async fn deliveries(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                     WHERE ($1::TEXT IS NULL OR status = $1) \
                     ORDER BY created_at_ms DESC, verification_id, url LIMIT $2"
                ),
                &[&status, &i64::from(limit)],
            )
            .await
            .map_err(self.query_error("read webhook deliveries"))?;
        rows.iter().map(delivery_row).collect()
    }

    pub(super) async fn deliveries_of(&self, verification_id: &str) -> Result<Vec<Delivery>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                     WHERE verification_id = $1 ORDER BY created_at_ms, url"
                ),
                &[&verification_id],
            )
            .await
            .map_err(self.query_error("read webhook deliveries"))?;
        rows.iter().map(delivery_row).collect()
    }

    pub(super) fn pool_use(&self) -> (usize, usize) {
        let s = self.pool.status();
        (s.size.saturating_sub(s.available), s.max_size)
    }

    /// Starts the change feed's listener, once; returns when it listens (or its first
    /// connection failed: it keeps trying).
    pub(super) async fn listen(&self) {
        use std::sync::atomic::Ordering;
        if self.listening.swap(true, Ordering::SeqCst) {
            return;
        }
        let config = self.config.clone();
        let changes = self.changes.clone();
        let target = self.target.clone();
        let (ready, listening) = tokio::sync::oneshot::channel();
        let mut ready = Some(ready);
        tokio::spawn(async move {
            let mut first = true;
            loop {
                match listen_once(&config, &changes, first, &mut ready).await {
                    Ok(()) => {}
                    Err(e) => tracing::warn!(
                        target = %target,
                        error = %chain(&e),
                        "the change feed's connection was lost; reconnecting"
                    ),
                }
                first = false;
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        let _ = listening.await;
    }

    pub(super) async fn verification(&self, id: &str) -> Result<Option<VerificationRow>> {
        let action = "read a verification";
        let client = self.conn().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE id = $1"
            ))
            .await
            .map_err(self.query_error(action))?;
        client
            .query_opt(&st, &[&id])
            .await
            .map_err(self.query_error(action))?
            .map(|r| verification_row(&r))
            .transpose()
    }

    pub(super) async fn unfinished(&self) -> Result<Vec<UnfinishedVerification>> {
        let action = "read the unfinished verifications";
        let client = self.conn().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {VERIFICATION_COLUMNS} FROM verifications WHERE NOT final_state \
                     ORDER BY created_at_ms, id"
                ),
                &[],
            )
            .await
            .map_err(self.query_error(action))?
            .iter()
            .map(verification_row)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut requested = client
            .query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_records \
                     WHERE verification_id = ANY($1) AND phase = $2"
                ),
                &[&ids, &PHASE_REQUESTED],
            )
            .await
            .map_err(self.query_error(action))?
            .iter()
            .map(audit_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .map(|verification| {
                let requested = requested
                    .iter()
                    .position(|a| a.verification_id == verification.id)
                    .map(|i| requested.swap_remove(i));
                UnfinishedVerification {
                    verification,
                    requested,
                }
            })
            .collect())
    }

    pub(super) async fn append_audit(&self, e: &AuditEntry) -> Result<u64> {
        let action = "append to the audit trail";
        let key = AuditKey::get(&self.key)?;
        let client = self.conn().await?;
        self.in_transaction(&client, &[(LOCK_AUDIT, 0)], action, async |c| {
            let row = c
                .query_one(
                    "SELECT (SELECT seq FROM audit_records ORDER BY seq DESC LIMIT 1), \
                            (SELECT hash FROM audit_records ORDER BY seq DESC LIMIT 1)",
                    &[],
                )
                .await
                .map_err(self.query_error(action))?;
            let seq = self.insert_audit(c, key, head_of(&row, 0)?, e).await?;
            Ok(Ending::Commit(seq))
        })
        .await
    }

    pub(super) async fn audit_records(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let action = "read the audit trail";
        let client = self.conn().await?;
        let st = client
            .prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_records \
                 WHERE ($1::BIGINT IS NULL OR time_ms >= $1) \
                   AND ($2::BIGINT IS NULL OR time_ms < $2) \
                   AND ($3::TEXT IS NULL OR agent_sub = $3) \
                 ORDER BY seq DESC LIMIT $4"
            ))
            .await
            .map_err(self.query_error(action))?;
        client
            .query(
                &st,
                &[&f.since_ms, &f.until_ms, &f.agent, &i64::from(f.limit)],
            )
            .await
            .map_err(self.query_error(action))?
            .iter()
            .map(audit_row)
            .collect()
    }

    pub(super) async fn verify_audit(&self) -> Result<AuditCheck> {
        let action = "read the audit trail";
        let key = AuditKey::get(&self.key)?;
        let client = self.conn().await?;
        // One statement, one snapshot; rows stream in as they are checked.
        let rows = client
            .query_raw(
                &format!("SELECT {AUDIT_COLUMNS} FROM audit_records ORDER BY seq"),
                std::iter::empty::<i32>(),
            )
            .await
            .map_err(self.query_error(action))?;
        let mut rows = std::pin::pin!(rows);
        let mut walker = ChainWalker::new(key);
        while let Some(row) = rows.next().await {
            let row = row.map_err(self.query_error(action))?;
            walker.push(&audit_row(&row)?);
        }
        Ok(walker.finish())
    }
}

/// How a transaction's body wants it to end.
enum Ending<T> {
    Commit(T),
    Rollback(T),
}

/// The chain's head from columns `at` (seq) and `at + 1` (hash) of `row`, if it has one.
fn head_of(row: &Row, at: usize) -> Result<Option<(u64, String)>> {
    let seq: Option<i64> = row.try_get(at).map_err(read_error)?;
    let hash: Option<String> = row.try_get(at + 1).map_err(read_error)?;
    match (seq, hash) {
        (Some(seq), Some(hash)) => Ok(Some((seq_of(seq)?, hash))),
        _ => Ok(None),
    }
}

/// `(owner, fence)` of an optional lease, as statement parameters.
fn lease_params(lease: Option<&Lease>) -> (Option<&str>, Option<i64>) {
    (lease.map(|l| l.owner.as_str()), lease.map(|l| l.fence))
}

/// One listening connection until it fails: `LISTEN`, then every notification onto the feed.
async fn listen_once(
    config: &tokio_postgres::Config,
    changes: &broadcast::Sender<Arc<str>>,
    first: bool,
    ready: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> std::result::Result<(), tokio_postgres::Error> {
    use tokio_postgres::AsyncMessage;
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        while let Some(m) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = tx.send(Ok(n.payload().to_owned()));
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .await?;
    if let Some(r) = ready.take() {
        let _ = r.send(());
    }
    if !first {
        let _ = changes.send(FEED_RESUMED.into());
    }
    let result = loop {
        match rx.recv().await {
            Some(Ok(payload)) => {
                let _ = changes.send(payload.into());
            }
            Some(Err(e)) => break Err(e),
            None => break Ok(()),
        }
    };
    driver.abort();
    drop(client);
    result
}

fn delivery_row(r: &Row) -> Result<Delivery> {
    Ok(Delivery {
        verification_id: r.try_get(0).map_err(read_error)?,
        url: r.try_get(1).map_err(read_error)?,
        event: r.try_get(2).map_err(read_error)?,
        body: r.try_get(3).map_err(read_error)?,
        status: r.try_get(4).map_err(read_error)?,
        attempts: r.try_get(5).map_err(read_error)?,
        created_at_ms: r.try_get(6).map_err(read_error)?,
        next_attempt_ms: r.try_get(7).map_err(read_error)?,
        last_error: r.try_get(8).map_err(read_error)?,
    })
}

fn verification_row(r: &Row) -> Result<VerificationRow> {
    Ok(VerificationRow {
        id: r.try_get(0).map_err(read_error)?,
        profile: r.try_get(1).map_err(read_error)?,
        agent_sub: r.try_get(2).map_err(read_error)?,
        agent_name: r.try_get(3).map_err(read_error)?,
        reference: r.try_get(4).map_err(read_error)?,
        identifier_key: r.try_get(5).map_err(read_error)?,
        identifier_masked: r.try_get(6).map_err(read_error)?,
        created_at_ms: r.try_get(7).map_err(read_error)?,
        updated_at_ms: r.try_get(8).map_err(read_error)?,
        state_json: r.try_get(9).map_err(read_error)?,
        final_state: r.try_get(10).map_err(read_error)?,
        cancel_requested: r.try_get(11).map_err(read_error)?,
    })
}

fn audit_row(r: &Row) -> Result<AuditRow> {
    Ok(AuditRow {
        seq: seq_of(r.try_get(0).map_err(read_error)?)?,
        entry: AuditEntry {
            time_ms: r.try_get(1).map_err(read_error)?,
            verification_id: r.try_get(2).map_err(read_error)?,
            phase: r.try_get(3).map_err(read_error)?,
            agent_sub: r.try_get(4).map_err(read_error)?,
            agent_name: r.try_get(5).map_err(read_error)?,
            reference: r.try_get(6).map_err(read_error)?,
            profile: r.try_get(7).map_err(read_error)?,
            issuer: r.try_get(8).map_err(read_error)?,
            identifier_kind: r.try_get(9).map_err(read_error)?,
            identifier_masked: r.try_get(10).map_err(read_error)?,
            id_hash: r.try_get(11).map_err(read_error)?,
            subject_name: r.try_get(12).map_err(read_error)?,
            binding_message: r.try_get(13).map_err(read_error)?,
            outcome: r.try_get(14).map_err(read_error)?,
            acr: r.try_get(15).map_err(read_error)?,
            transaction_id: r.try_get(16).map_err(read_error)?,
            error_code: r.try_get(17).map_err(read_error)?,
            duration_ms: r.try_get(18).map_err(read_error)?,
        },
        prev_hash: r.try_get(19).map_err(read_error)?,
        hash: r.try_get(20).map_err(read_error)?,
    })
}

fn seq_of(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| ServerError::Database {
        action: "read the audit trail",
        reason: format!("an audit record has the seq {v}"),
    })
}

fn read_error(e: tokio_postgres::Error) -> ServerError {
    ServerError::Database {
        action: "read a stored row",
        reason: chain(&e),
    }
}

/// `host:port` of each host the URL names (or the socket directory).
fn target_of(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                Host::Tcp(host) if host.contains(':') => format!("[{host}]:{port}"),
                Host::Tcp(host) => format!("{host}:{port}"),
                #[cfg(unix)]
                Host::Unix(dir) => format!("the socket in {} (port {port})", dir.display()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error and its causes, one sentence (tokio-postgres's own text never holds a password).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = c.source();
    }
    s
}

/// A role name as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("ciba_runtime"), "\"ciba_runtime\"");
        assert_eq!(quote_ident("a\"b; DROP"), "\"a\"\"b; DROP\"");
    }

    #[test]
    fn targets_name_hosts_and_ports_only() {
        let c: tokio_postgres::Config = "postgres://u:secret@db.example:6543/x".parse().unwrap();
        assert_eq!(target_of(&c), "db.example:6543");
        let c: tokio_postgres::Config = "postgres://u:secret@db.example/x".parse().unwrap();
        assert_eq!(target_of(&c), "db.example:5432");
    }
}
