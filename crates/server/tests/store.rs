//! The store's contract, one suite run twice: against SQLite (a file in a temporary directory)
//! and against PostgreSQL (one throwaway cluster per test binary from `testkit::postgres`, a
//! fresh database per test; the server's store connects as the runtime role, migrations and
//! tampering as the owner).
//!
//! Where the backends legitimately differ (roles and privileges exist only in PostgreSQL) the
//! test says so. Without PostgreSQL installed the PostgreSQL half fails, unless
//! `CIBA_DESK_SKIP_POSTGRES=1` is set (then it prints why and passes).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use secrecy::SecretBox;
use server::ServerError;
use server::store::cluster::parse_change;
use server::store::{
    Acknowledged, AuditEntry, AuditFilter, AuditRow, DeliveryResult, GENESIS_HASH, Lease,
    NewDelivery, NewVerification, Started, Store, record_hash,
};
use testkit::postgres::{OWNER_ROLE, RUNTIME_ROLE, TempDatabase, TempPostgres};
use tokio::sync::Barrier;

const KEY: &[u8] = b"an audit key of thirty-two bytes";
const T0: i64 = 1_790_000_000_000;

fn key() -> SecretBox<[u8]> {
    SecretBox::new(KEY.into())
}

enum Kind {
    Sqlite {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
    Postgres {
        pg: &'static TempPostgres,
        db: TempDatabase,
    },
}

/// One migrated database and the stores a test needs.
struct Db {
    /// What the server uses (PostgreSQL: the runtime role), with the audit key.
    store: Store,
    /// The owner's store (ran the migrations), with the audit key.
    owner: Store,
    /// The server's URL, to start more "servers" on the same database.
    server_url: String,
    kind: Kind,
}

async fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    let url = format!("sqlite://{}", path.display());
    assert!(url.starts_with("sqlite:///"), "an absolute path: {url}");
    let owner = Store::connect(&url).await.unwrap();
    owner.migrate(None).await.unwrap();
    Db {
        store: Store::connect(&url).await.unwrap().with_audit_key(key()),
        owner: owner.with_audit_key(key()),
        server_url: url,
        kind: Kind::Sqlite { _dir: dir, path },
    }
}

async fn postgres_db() -> Option<Db> {
    let pg = TempPostgres::shared().await?;
    let db = pg.fresh_database().await;
    let owner = Store::connect(&db.owner_url).await.unwrap();
    owner.migrate(Some(RUNTIME_ROLE)).await.unwrap();
    Some(Db {
        store: Store::connect(&db.runtime_url)
            .await
            .unwrap()
            .with_audit_key(key()),
        owner: owner.with_audit_key(key()),
        server_url: db.runtime_url.clone(),
        kind: Kind::Postgres { pg, db },
    })
}

impl Db {
    fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    /// Another server on the same database (its own connection or pool).
    async fn another_server(&self) -> Store {
        Store::connect(&self.server_url)
            .await
            .unwrap()
            .with_audit_key(key())
    }

    /// A database of the same kind that nobody migrated (connected as its owner).
    async fn blank(&self) -> Store {
        match &self.kind {
            Kind::Sqlite { path, .. } => {
                static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let blank = path.with_extension(format!("blank{n}.sqlite3"));
                Store::connect(&format!("sqlite://{}", blank.display()))
                    .await
                    .unwrap()
            }
            Kind::Postgres { pg, .. } => Store::connect(&pg.fresh_database().await.owner_url)
                .await
                .unwrap(),
        }
    }

    /// Runs SQL as the owner, outside the store (tampering, set-up).
    async fn owner_sql(&self, sql: &str) {
        match &self.kind {
            Kind::Sqlite { path, .. } => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                c.execute_batch(sql).unwrap();
            }
            Kind::Postgres { db, .. } => {
                pg_client(&db.owner_url)
                    .await
                    .batch_execute(sql)
                    .await
                    .unwrap();
            }
        }
    }
}

impl Db {
    /// PostgreSQL: new connections default to SERIALIZABLE (a DBA's choice the store must
    /// survive: its locks only work with statement snapshots, so it asks for READ COMMITTED).
    async fn strictest_default_isolation(&self) {
        if let Kind::Postgres { db, .. } = &self.kind {
            self.owner_sql(&format!(
                "ALTER DATABASE {} SET default_transaction_isolation = 'serializable'",
                db.name
            ))
            .await;
        }
    }

    /// The first column of the first row, as the owner sees it.
    async fn owner_text(&self, sql: &str) -> String {
        match &self.kind {
            Kind::Sqlite { path, .. } => rusqlite::Connection::open(path)
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
            Kind::Postgres { db, .. } => pg_client(&db.owner_url)
                .await
                .query_one(sql, &[])
                .await
                .unwrap()
                .get(0),
        }
    }
}

async fn pg_client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}

/// One async test per backend: `sqlite::NAME` and `postgres::NAME`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::sqlite_db().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = super::postgres_db().await else { return };
                    super::$name(db).await
                }
            )*
        }
    };
}

both!(
    migrate_is_idempotent_and_the_schema_is_checked,
    privileges_keep_the_audit_trail_append_only,
    one_verification_per_customer_and_the_rate_limit,
    racing_starts_for_one_customer_insert_exactly_once,
    racing_starts_by_one_agent_respect_the_limit,
    states_are_stored_and_a_final_state_frees_the_customer,
    leases_are_fenced_and_expired_ones_are_claimed_once,
    a_final_state_its_record_and_its_deliveries_are_one_transaction,
    unfinished_verifications_can_be_closed_as_interrupted,
    the_audit_chain_appends_filters_and_verifies,
    an_altered_record_is_named,
    a_deleted_record_is_named,
    concurrent_appends_from_several_servers_give_a_gapless_chain,
    the_audit_key_is_required,
    values_postgres_cannot_hold_are_refused_by_both,
);

fn verification(id: &str, agent: &str, customer: &str, at: i64) -> NewVerification {
    NewVerification {
        id: id.into(),
        profile: "bankid".into(),
        agent_sub: agent.into(),
        agent_name: Some(format!("Agent {agent}")),
        reference: Some("CASE-17".into()),
        identifier_key: format!("key-of-{customer}"),
        identifier_masked: "19121212-****".into(),
        created_at_ms: at,
        state_json: r#"{"state":"requesting"}"#.into(),
        lease: None,
        sealed_request: None,
        requested: None,
    }
}

fn entry(verification_id: &str, phase: &str, agent: &str, at: i64) -> AuditEntry {
    AuditEntry {
        time_ms: at,
        verification_id: verification_id.into(),
        phase: phase.into(),
        agent_sub: agent.into(),
        agent_name: Some(format!("Agent {agent}")),
        reference: None,
        profile: "bankid".into(),
        issuer: "https://op.example".into(),
        identifier_kind: "national_id".into(),
        identifier_masked: "19121212-****".into(),
        id_hash: "ab".repeat(32),
        subject_name: None,
        binding_message: "Kundtjänst, ärende 17 \"quoted\", comma".into(),
        outcome: if phase == "requested" {
            "requested".into()
        } else {
            "verified".into()
        },
        acr: (phase == "final").then(|| "urn:acr:high".into()),
        transaction_id: Some("tx-1".into()),
        error_code: None,
        duration_ms: (phase == "final").then_some(4200),
    }
}

// ---------------------------------------------------------------------------------------------

async fn migrate_is_idempotent_and_the_schema_is_checked(db: Db) {
    db.owner
        .migrate(db.is_postgres().then_some(RUNTIME_ROLE))
        .await
        .unwrap();
    db.owner
        .migrate(db.is_postgres().then_some(RUNTIME_ROLE))
        .await
        .unwrap();
    db.store.check_schema().await.unwrap();
    db.owner.check_schema().await.unwrap();
    db.store.ping().await.unwrap();

    // Concurrent migrations (two servers started at once) take turns.
    let blank = db.blank().await;
    let again = blank.clone();
    let role = db.is_postgres().then_some(RUNTIME_ROLE);
    let (a, b) = tokio::join!(blank.migrate(role), again.migrate(role));
    a.unwrap();
    b.unwrap();
    blank.check_schema().await.unwrap();

    // A database nobody migrated is refused with what to do.
    let blank = db.blank().await;
    let e = blank.check_schema().await.unwrap_err();
    assert!(
        matches!(
            e,
            ServerError::SchemaOutdated {
                current: 0,
                needed: 2
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), "schema_outdated");
    assert!(e.to_string().contains("ciba-desk-server migrate"), "{e}");

    // An applied migration that differs from this server's is noticed, not skipped.
    let sum = db
        .owner_text("SELECT checksum FROM schema_migrations WHERE version = 1")
        .await;
    assert_eq!(sum.len(), 64);
    db.owner_sql("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        .await;
    let e = db.store.check_schema().await.unwrap_err();
    assert!(
        matches!(e, ServerError::MigrationChanged { version: 1, .. }),
        "{e:?}"
    );
    let e = db.owner.migrate(None).await.unwrap_err();
    assert!(
        matches!(e, ServerError::MigrationChanged { version: 1, .. }),
        "{e:?}"
    );

    // A schema from a newer server: this one neither serves nor migrates it.
    db.owner_sql(&format!(
        "UPDATE schema_migrations SET checksum = '{sum}' WHERE version = 1; \
         INSERT INTO schema_migrations (version, name, checksum, applied_at_ms) \
         VALUES (3, 'future', 'x', 0)"
    ))
    .await;
    let e = db.store.check_schema().await.unwrap_err();
    assert!(
        matches!(
            e,
            ServerError::SchemaNewer {
                current: 3,
                known: 2
            }
        ),
        "{e:?}"
    );
    let e = db.owner.migrate(None).await.unwrap_err();
    assert!(
        matches!(
            e,
            ServerError::SchemaNewer {
                current: 3,
                known: 2
            }
        ),
        "{e:?}"
    );
}

async fn privileges_keep_the_audit_trail_append_only(db: Db) {
    let seq = db
        .store
        .append_audit(&entry("v1", "requested", "alice", T0))
        .await
        .unwrap();
    assert_eq!(seq, 1);
    let Kind::Postgres { db: pg_db, pg } = &db.kind else {
        // SQLite has no roles: whoever writes the file could change it, and the store says so.
        assert!(db.store.audit_is_mutable().await.unwrap());
        assert!(db.owner.audit_is_mutable().await.unwrap());
        return;
    };
    assert!(!db.store.audit_is_mutable().await.unwrap());
    assert!(db.owner.audit_is_mutable().await.unwrap());

    // The runtime role, straight at the database: PostgreSQL itself refuses.
    let runtime = pg_client(&pg_db.runtime_url).await;
    for sql in [
        "UPDATE audit_records SET outcome = 'verified'",
        "DELETE FROM audit_records",
        "TRUNCATE audit_records",
        "ALTER TABLE audit_records DISABLE TRIGGER ALL",
        "DROP TABLE audit_records",
        "DELETE FROM verifications",
        "UPDATE schema_migrations SET checksum = 'x'",
        "INSERT INTO schema_migrations VALUES (9, 'x', 'x', 0)",
        "CREATE TABLE mine (x int)",
        // Why appends serialise on an advisory lock: this lock mode needs UPDATE/DELETE.
        "BEGIN; LOCK TABLE audit_records IN SHARE ROW EXCLUSIVE MODE; COMMIT",
    ] {
        let e = runtime.batch_execute(sql).await.unwrap_err();
        let db_error = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
        assert_eq!(db_error.code().code(), "42501", "{sql}: {db_error}");
        let _ = runtime.batch_execute("ROLLBACK").await;
    }
    let e = runtime
        .batch_execute("UPDATE audit_records SET outcome = 'verified'")
        .await
        .unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42501");
    assert!(db.store.verify_audit().await.unwrap().intact);

    // Exactly the grants the contract names.
    let grants: BTreeSet<(String, String)> = runtime
        .query(
            "SELECT table_name::text, privilege_type::text FROM information_schema.role_table_grants \
             WHERE grantee = $1",
            &[&RUNTIME_ROLE],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("audit_records", "INSERT"),
        ("audit_records", "SELECT"),
        ("schema_migrations", "SELECT"),
        ("verifications", "INSERT"),
        ("verifications", "SELECT"),
        ("verifications", "UPDATE"),
        ("webhook_deliveries", "INSERT"),
        ("webhook_deliveries", "SELECT"),
        ("webhook_deliveries", "UPDATE"),
    ]
    .into_iter()
    .map(|(t, p)| (t.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(grants, expected);

    // Too much granted by hand (even on one column) shows, and migrate takes it back.
    db.owner_sql(&format!(
        "GRANT UPDATE (outcome) ON audit_records TO {RUNTIME_ROLE}"
    ))
    .await;
    assert!(db.store.audit_is_mutable().await.unwrap());
    db.owner.migrate(Some(RUNTIME_ROLE)).await.unwrap();
    assert!(!db.store.audit_is_mutable().await.unwrap());

    // Roles that would make the grants meaningless are refused.
    for (role, words) in [
        (OWNER_ROLE, "separate role"),
        ("postgres", "superuser"),
        ("nobody_here", "no such role"),
    ] {
        let e = db.owner.migrate(Some(role)).await.unwrap_err();
        assert!(matches!(e, ServerError::RuntimeRoleInvalid { .. }), "{e:?}");
        assert!(e.to_string().contains(words), "{e}");
    }
    let admin = pg.superuser_client(&pg_db.name).await;
    admin
        .batch_execute(&format!(
            "CREATE ROLE member_of_owner LOGIN; GRANT {OWNER_ROLE} TO member_of_owner"
        ))
        .await
        .unwrap();
    let e = db.owner.migrate(Some("member_of_owner")).await.unwrap_err();
    assert!(
        e.to_string().contains("member of the role that owns"),
        "{e}"
    );
    admin
        .batch_execute("DROP ROLE member_of_owner")
        .await
        .unwrap();
}

async fn one_verification_per_customer_and_the_rate_limit(db: Db) {
    let s = &db.store;
    assert_eq!(
        s.start_verification(&verification("v1", "alice", "anna", T0), 3, T0)
            .await
            .unwrap(),
        Started::Inserted
    );
    // Anna is being asked: nobody may ask her again until that ends, whoever asks.
    for agent in ["alice", "bob"] {
        assert_eq!(
            s.start_verification(&verification("v2", agent, "anna", T0 + 10), 3, T0 + 10)
                .await
                .unwrap(),
            Started::InFlight
        );
    }
    assert_eq!(db.store.verification("v2").await.unwrap(), None);

    // Alice's limit is 3 a minute: two more customers, then she must wait for the first to
    // leave the window (57 s after the fourth try at T0 + 3 s).
    for (id, customer, at) in [("v3", "bert", T0 + 1000), ("v4", "cecilia", T0 + 2000)] {
        assert_eq!(
            s.start_verification(&verification(id, "alice", customer, at), 3, at)
                .await
                .unwrap(),
            Started::Inserted
        );
    }
    assert_eq!(
        s.start_verification(
            &verification("v5", "alice", "david", T0 + 3000),
            3,
            T0 + 3000
        )
        .await
        .unwrap(),
        Started::RateLimited {
            retry_after_secs: 57
        }
    );
    // The in-flight answer comes first: it tells the agent more.
    assert_eq!(
        s.start_verification(
            &verification("v5", "alice", "anna", T0 + 3000),
            3,
            T0 + 3000
        )
        .await
        .unwrap(),
        Started::InFlight
    );
    // Less than a second left still says 1 s.
    assert_eq!(
        s.start_verification(
            &verification("v5", "alice", "david", T0 + 59_500),
            3,
            T0 + 59_500
        )
        .await
        .unwrap(),
        Started::RateLimited {
            retry_after_secs: 1
        }
    );
    // Bob has his own limit.
    assert_eq!(
        s.start_verification(&verification("v6", "bob", "david", T0 + 3000), 3, T0 + 3000)
            .await
            .unwrap(),
        Started::Inserted
    );
    // A minute after her first start, Alice may start again (not David: Bob is asking him).
    assert_eq!(
        s.start_verification(
            &verification("v7", "alice", "erik", T0 + 60_000),
            3,
            T0 + 60_000
        )
        .await
        .unwrap(),
        Started::Inserted
    );
    // 0 means no limit.
    for i in 0..5 {
        let v = verification(&format!("u{i}"), "carol", &format!("c{i}"), T0);
        assert_eq!(
            s.start_verification(&v, 0, T0).await.unwrap(),
            Started::Inserted
        );
    }
    // The same id twice is an error, not a silent success.
    let mut dup = verification("v1", "zed", "zora", T0);
    dup.identifier_key = "key-of-zora".into();
    let e = s.start_verification(&dup, 3, T0).await.unwrap_err();
    assert!(matches!(e, ServerError::Database { .. }), "{e:?}");
}

async fn racing_starts_for_one_customer_insert_exactly_once(db: Db) {
    let mut servers = Vec::new();
    for _ in 0..4 {
        servers.push(db.another_server().await);
    }
    for round in 0..5 {
        let barrier = Arc::new(Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = servers[i % servers.len()].clone();
                let barrier = barrier.clone();
                let v = verification(&format!("r{round}-{i}"), &format!("agent{i}"), "anna", T0);
                tokio::spawn(async move {
                    barrier.wait().await;
                    (
                        v.id.clone(),
                        store.start_verification(&v, 10, T0).await.unwrap(),
                    )
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            let (id, started) = t.await.unwrap();
            match started {
                Started::Inserted => winners.push(id),
                Started::InFlight => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        db.store
            .set_state(&winners[0], None, r#"{"state":"denied"}"#, true, T0 + 1)
            .await
            .unwrap();
    }
}

async fn racing_starts_by_one_agent_respect_the_limit(db: Db) {
    db.strictest_default_isolation().await;
    let mut servers = Vec::new();
    for _ in 0..4 {
        servers.push(db.another_server().await);
    }
    let barrier = Arc::new(Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = servers[i % servers.len()].clone();
            let barrier = barrier.clone();
            let v = verification(&format!("a{i}"), "alice", &format!("customer{i}"), T0);
            tokio::spawn(async move {
                barrier.wait().await;
                store.start_verification(&v, 3, T0).await.unwrap()
            })
        })
        .collect();
    let mut inserted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Started::Inserted => inserted += 1,
            Started::RateLimited { retry_after_secs } => assert_eq!(retry_after_secs, 60),
            Started::InFlight => panic!("different customers"),
        }
    }
    assert_eq!(inserted, 3);
}

fn leased(id: &str, customer: &str, owner: &str, until: i64) -> NewVerification {
    NewVerification {
        lease: Some((owner.into(), until)),
        sealed_request: Some(format!("sealed-{id}")),
        requested: Some(entry(id, "requested", "alice", T0)),
        ..verification(id, "alice", customer, T0)
    }
}

async fn leases_are_fenced_and_expired_ones_are_claimed_once(db: Db) {
    let s = &db.store;
    let mut feed = s.changes();
    s.listen().await;
    s.start_verification(&leased("v1", "anna", "a", T0 + 10_000), 0, T0)
        .await
        .unwrap();
    s.start_verification(&leased("v2", "bert", "a", T0 + 10_000), 0, T0)
        .await
        .unwrap();
    let a1 = Lease {
        owner: "a".into(),
        fence: 1,
    };
    s.acknowledged(
        "v1",
        &a1,
        &Acknowledged {
            sealed_auth_req_id: "sealed-req".into(),
            expires_at_ms: T0 + 120_000,
            interval_ms: 1000,
        },
        r#"{"state":"waiting_for_user"}"#,
        T0 + 1,
    )
    .await
    .unwrap();
    // The write reaches the change feed (PostgreSQL: through NOTIFY on another connection),
    // the new state with it.
    let heard = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            let change = feed.recv().await.unwrap();
            if let ("v1", state) = parse_change(&change) {
                return state.map(str::to_owned);
            }
        }
    })
    .await
    .expect("no change heard for v1");
    assert_eq!(heard.as_deref(), Some(r#"{"state":"waiting_for_user"}"#));

    // Renewed leases are named; nothing has expired before they run out.
    let mut held = s.renew_leases("a", T0 + 20_000).await.unwrap();
    held.sort();
    assert_eq!(held, [("v1".into(), false), ("v2".into(), false)]);
    assert!(
        s.claim_expired("b", T0 + 15_000, T0 + 30_000, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Two instances claim at once after the leases ran out: each verification once.
    let (x, y) = tokio::join!(
        s.claim_expired("b", T0 + 21_000, T0 + 31_000, 10),
        s.claim_expired("c", T0 + 21_000, T0 + 31_000, 10),
    );
    let mut claimed: Vec<_> = x.unwrap().into_iter().chain(y.unwrap()).collect();
    claimed.sort_by(|p, q| p.verification.id.cmp(&q.verification.id));
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    let c1 = &claimed[0];
    assert_eq!(c1.verification.id, "v1");
    assert_eq!(c1.previous_owner.as_deref(), Some("a"));
    assert_eq!(c1.lease.fence, 2);
    assert_eq!(c1.sealed_request.as_deref(), Some("sealed-v1"));
    assert_eq!(c1.sealed_auth_req_id.as_deref(), Some("sealed-req"));
    assert_eq!(
        (c1.expires_at_ms, c1.interval_ms),
        (Some(T0 + 120_000), Some(1000))
    );
    assert_eq!(
        c1.verification.state_json,
        r#"{"state":"waiting_for_user"}"#
    );
    assert_eq!(claimed[1].sealed_auth_req_id, None);

    // The old owner wakes up: every write it tries is refused, and nothing changes.
    let e = s
        .set_state("v1", Some(&a1), r#"{"state":"stale"}"#, false, T0 + 22_000)
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::LeaseLost), "{e:?}");
    let e = s
        .finish(
            Some(&a1),
            &entry("v1", "final", "alice", T0 + 22_000),
            "{}",
            &[],
            T0 + 22_000,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::LeaseLost), "{e:?}");
    assert!(s.renew_leases("a", T0 + 40_000).await.unwrap().is_empty());
    let row = s.verification("v1").await.unwrap().unwrap();
    assert_eq!(row.state_json, r#"{"state":"waiting_for_user"}"#);
    // Only the two "requested" records, written with their verifications.
    let records = s
        .audit_records(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.phase == "requested"));

    // A cancel asked anywhere is on the row, and heard.
    s.request_cancel("v1", T0 + 23_000).await.unwrap();
    assert!(
        s.verification("v1")
            .await
            .unwrap()
            .unwrap()
            .cancel_requested
    );

    // Handing back makes them claimable at once, whatever the clock says.
    let new_owner = c1.lease.owner.clone();
    assert!(s.release_leases(&new_owner).await.unwrap() >= 1);
    let again = s
        .claim_expired("d", T0 + 23_001, T0 + 33_000, 10)
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .any(|c| c.verification.id == "v1" && c.lease.fence == 3)
    );
    assert!(matches!(
        s.request_cancel("nope", T0).await.unwrap_err(),
        ServerError::NoSuchVerification(_)
    ));
}

async fn a_final_state_its_record_and_its_deliveries_are_one_transaction(db: Db) {
    let s = &db.store;
    s.start_verification(&leased("v1", "anna", "a", T0 + 10_000), 0, T0)
        .await
        .unwrap();
    let lease = Lease {
        owner: "a".into(),
        fence: 1,
    };
    let deliveries = [
        NewDelivery {
            url: "https://crm.example/hook".into(),
            event: "verified".into(),
            body: r#"{"id":"v1"}"#.into(),
        },
        NewDelivery {
            url: "https://phone.example/hook".into(),
            event: "verified".into(),
            body: r#"{"id":"v1"}"#.into(),
        },
    ];
    let seq = s
        .finish(
            Some(&lease),
            &entry("v1", "final", "alice", T0 + 5),
            r#"{"state":"verified"}"#,
            &deliveries,
            T0 + 5,
        )
        .await
        .unwrap();
    assert_eq!(seq, 2, "after the requested record");
    let row = s.verification("v1").await.unwrap().unwrap();
    assert!(row.final_state);
    assert_eq!(row.state_json, r#"{"state":"verified"}"#);
    // A second end writes nothing: no second record, no second delivery.
    let e = s
        .finish(
            None,
            &entry("v1", "final", "alice", T0 + 6),
            "{}",
            &deliveries,
            T0 + 6,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::AlreadyFinished), "{e:?}");
    assert!(s.verify_audit().await.unwrap().intact);
    assert_eq!(s.deliveries_of("v1").await.unwrap().len(), 2);

    // Due deliveries are claimed once and held; results are recorded.
    let (x, y) = tokio::join!(
        s.claim_deliveries(T0 + 5, T0 + 30_005, 10),
        s.claim_deliveries(T0 + 5, T0 + 30_005, 10),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.len() + y.len(), 2, "{x:?} {y:?}");
    assert!(
        s.claim_deliveries(T0 + 6, T0 + 30_006, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.record_delivery(
        "v1",
        "https://crm.example/hook",
        &DeliveryResult::Retry {
            next_attempt_ms: T0 + 5_000,
            error: "the receiver answered HTTP 503".into(),
        },
        T0 + 7,
    )
    .await
    .unwrap();
    s.record_delivery(
        "v1",
        "https://phone.example/hook",
        &DeliveryResult::Delivered,
        T0 + 7,
    )
    .await
    .unwrap();
    let d = s.deliveries_of("v1").await.unwrap();
    let crm = d.iter().find(|d| d.url.contains("crm")).unwrap();
    assert_eq!((crm.status.as_str(), crm.attempts), ("pending", 1));
    assert_eq!(
        crm.last_error.as_deref(),
        Some("the receiver answered HTTP 503")
    );
    let phone = d.iter().find(|d| d.url.contains("phone")).unwrap();
    assert_eq!((phone.status.as_str(), phone.attempts), ("delivered", 1));
    assert_eq!(phone.last_error, None);
    let due = s
        .claim_deliveries(T0 + 5_000, T0 + 35_000, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].url, "https://crm.example/hook");
    assert_eq!(due[0].body, r#"{"id":"v1"}"#);
}

async fn states_are_stored_and_a_final_state_frees_the_customer(db: Db) {
    let s = &db.store;
    let v = verification("v1", "alice", "anna", T0);
    s.start_verification(&v, 10, T0).await.unwrap();
    let row = s.verification("v1").await.unwrap().unwrap();
    assert_eq!(
        (
            row.id.as_str(),
            row.agent_sub.as_str(),
            row.agent_name.as_deref()
        ),
        ("v1", "alice", Some("Agent alice"))
    );
    assert_eq!(row.reference.as_deref(), Some("CASE-17"));
    assert_eq!(row.identifier_key, "key-of-anna");
    assert_eq!(row.identifier_masked, "19121212-****");
    assert_eq!((row.created_at_ms, row.updated_at_ms), (T0, T0));
    assert_eq!(row.state_json, v.state_json);
    assert!(!row.final_state);

    s.set_state("v1", None, r#"{"state":"waiting_for_user"}"#, false, T0 + 5)
        .await
        .unwrap();
    let row = s.verification("v1").await.unwrap().unwrap();
    assert_eq!(row.state_json, r#"{"state":"waiting_for_user"}"#);
    assert_eq!((row.created_at_ms, row.updated_at_ms), (T0, T0 + 5));
    assert!(!row.final_state);
    assert_eq!(
        s.start_verification(&verification("v2", "bob", "anna", T0 + 6), 10, T0 + 6)
            .await
            .unwrap(),
        Started::InFlight
    );

    s.set_state("v1", None, r#"{"state":"verified"}"#, true, T0 + 7)
        .await
        .unwrap();
    let row = s.verification("v1").await.unwrap().unwrap();
    assert!(row.final_state);
    assert_eq!(row.state_json, r#"{"state":"verified"}"#);
    assert_eq!(
        s.start_verification(&verification("v2", "bob", "anna", T0 + 8), 10, T0 + 8)
            .await
            .unwrap(),
        Started::Inserted
    );

    // The first final state wins: a late writer (another server, a stale event) is told.
    for final_state in [false, true] {
        let e = s
            .set_state("v1", None, r#"{"state":"cancelled"}"#, final_state, T0 + 9)
            .await
            .unwrap_err();
        assert!(matches!(e, ServerError::AlreadyFinished), "{e:?}");
    }
    assert_eq!(
        s.verification("v1").await.unwrap().unwrap().state_json,
        r#"{"state":"verified"}"#
    );
    let e = s
        .set_state("nope", None, "{}", false, T0)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServerError::NoSuchVerification(ref id) if id == "nope"),
        "{e:?}"
    );
    assert_eq!(s.verification("nope").await.unwrap(), None);
}

async fn unfinished_verifications_can_be_closed_as_interrupted(db: Db) {
    let s = &db.store;
    s.start_verification(&verification("v1", "alice", "anna", T0), 10, T0)
        .await
        .unwrap();
    s.append_audit(&entry("v1", "requested", "alice", T0))
        .await
        .unwrap();
    // v2: the server stopped between the row and its first audit record.
    s.start_verification(&verification("v2", "alice", "bert", T0 + 1), 10, T0 + 1)
        .await
        .unwrap();
    s.start_verification(&verification("v3", "bob", "cecilia", T0 + 2), 10, T0 + 2)
        .await
        .unwrap();
    s.set_state("v3", None, "{}", true, T0 + 3).await.unwrap();

    let open = s.unfinished().await.unwrap();
    assert_eq!(
        open.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        ["v1", "v2"]
    );
    assert_eq!(open[0].requested.as_ref().unwrap().seq, 1);
    assert!(open[1].requested.is_none());

    let now = T0 + 10_000;
    let first = AuditEntry::interrupted(&open[0], now);
    assert_eq!(
        (first.phase.as_str(), first.outcome.as_str()),
        ("final", "failed")
    );
    assert_eq!(first.error_code.as_deref(), Some("interrupted"));
    assert_eq!(first.issuer, "https://op.example");
    assert_eq!(
        first.binding_message,
        entry("v1", "requested", "alice", T0).binding_message
    );
    assert_eq!(first.duration_ms, Some(10_000));
    let second = AuditEntry::interrupted(&open[1], now);
    assert_eq!(second.id_hash, "key-of-bert");
    assert_eq!(second.identifier_masked, "19121212-****");
    for (v, e) in open.iter().zip([first, second]) {
        s.append_audit(&e).await.unwrap();
        s.set_state(&v.id, None, r#"{"state":"failed"}"#, true, now)
            .await
            .unwrap();
    }
    assert!(s.unfinished().await.unwrap().is_empty());
    let check = s.verify_audit().await.unwrap();
    assert!(check.intact && check.records == 3, "{check:?}");
}

async fn the_audit_chain_appends_filters_and_verifies(db: Db) {
    let s = &db.store;
    let empty = s.verify_audit().await.unwrap();
    assert!(empty.intact && empty.records == 0 && empty.head_hash.is_none());

    let entries = [
        entry("v1", "requested", "alice", T0),
        entry("v1", "final", "alice", T0 + 1000),
        entry("v2", "requested", "bob", T0 + 2000),
        entry("v2", "final", "bob", T0 + 3000),
    ];
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(s.append_audit(e).await.unwrap(), i as u64 + 1);
    }
    let all = s
        .audit_records(&AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 3, 2, 1]);
    // Stored as given, chained and hashed as documented.
    let mut prev = GENESIS_HASH.to_owned();
    for (r, e) in all.iter().rev().zip(&entries) {
        assert_eq!(&r.entry(), e);
        assert_eq!(r.prev_hash, prev);
        assert_eq!(r.hash, record_hash(KEY, r));
        prev = r.hash.clone();
    }

    let seqs = |rows: Vec<AuditRow>| rows.iter().map(|r| r.seq).collect::<Vec<_>>();
    let filter = |since, until, agent: Option<&str>, limit| AuditFilter {
        since_ms: since,
        until_ms: until,
        agent: agent.map(str::to_owned),
        limit,
    };
    // [since, until)
    assert_eq!(
        seqs(
            s.audit_records(&filter(Some(T0 + 1000), Some(T0 + 3000), None, 100))
                .await
                .unwrap()
        ),
        [3, 2]
    );
    assert_eq!(
        seqs(
            s.audit_records(&filter(None, None, Some("alice"), 100))
                .await
                .unwrap()
        ),
        [2, 1]
    );
    assert_eq!(
        seqs(
            s.audit_records(&filter(Some(T0 + 1), None, Some("alice"), 100))
                .await
                .unwrap()
        ),
        [2]
    );
    assert_eq!(
        seqs(s.audit_records(&filter(None, None, None, 3)).await.unwrap()),
        [4, 3, 2]
    );
    assert!(
        s.audit_records(&filter(None, None, None, 0))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.audit_records(&filter(None, None, Some("nobody"), 10))
            .await
            .unwrap()
            .is_empty()
    );

    let check = s.verify_audit().await.unwrap();
    assert!(check.intact, "{check:?}");
    assert_eq!(check.records, 4);
    assert_eq!((check.first_broken_seq, check.problem), (None, None));
    assert_eq!(check.last_seq, Some(4));
    assert_eq!(check.head_hash.as_deref(), Some(all[0].hash.as_str()));

    // One record of each phase per verification, even when asked twice.
    let e = s
        .append_audit(&entry("v1", "final", "alice", T0 + 5000))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServerError::AuditRecordExists { ref verification_id, ref phase }
            if verification_id == "v1" && phase == "final"),
        "{e:?}"
    );
    // Nothing was written and no seq was used up.
    assert_eq!(
        s.append_audit(&entry("v3", "requested", "alice", T0 + 6000))
            .await
            .unwrap(),
        5
    );

    // The same chain checked with another key is not this server's chain.
    let wrong = db.another_server().await.with_audit_key(SecretBox::new(
        b"another key of thirty-two bytes!".as_slice().into(),
    ));
    let check = wrong.verify_audit().await.unwrap();
    assert_eq!(check.first_broken_seq, Some(1));
}

async fn three_records(db: &Db) {
    for (id, phase, at) in [
        ("v1", "requested", T0),
        ("v1", "final", T0 + 1),
        ("v2", "requested", T0 + 2),
    ] {
        db.store
            .append_audit(&entry(id, phase, "alice", at))
            .await
            .unwrap();
    }
}

async fn an_altered_record_is_named(db: Db) {
    three_records(&db).await;
    db.owner_sql("UPDATE audit_records SET outcome = 'denied' WHERE seq = 2")
        .await;
    let check = db.owner.verify_audit().await.unwrap();
    assert!(!check.intact);
    assert_eq!(check.first_broken_seq, Some(2));
    assert_eq!(check.records, 3);
    assert!(
        check
            .problem
            .as_deref()
            .unwrap()
            .contains("record 2 was altered"),
        "{check:?}"
    );
    // The server's store sees the same.
    assert_eq!(
        db.store.verify_audit().await.unwrap().first_broken_seq,
        Some(2)
    );

    // A NULL made an empty string is a change too.
    db.owner_sql(
        "UPDATE audit_records SET outcome = 'verified' WHERE seq = 2; \
                  UPDATE audit_records SET reference = '' WHERE seq = 1",
    )
    .await;
    assert_eq!(
        db.owner.verify_audit().await.unwrap().first_broken_seq,
        Some(1)
    );

    // Someone with the key re-hashes a replaced record 1: record 2 no longer links to it.
    db.owner_sql("UPDATE audit_records SET reference = NULL WHERE seq = 1")
        .await;
    assert!(db.owner.verify_audit().await.unwrap().intact);
    let mut rows = db
        .owner
        .audit_records(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut first = rows.pop().unwrap();
    first.binding_message = "replaced".into();
    first.hash = record_hash(KEY, &first);
    db.owner_sql(&format!(
        "UPDATE audit_records SET binding_message = 'replaced', hash = '{}' WHERE seq = 1",
        first.hash
    ))
    .await;
    let check = db.owner.verify_audit().await.unwrap();
    assert_eq!(check.first_broken_seq, Some(2));
    assert!(check.problem.unwrap().contains("does not link"));
}

async fn a_deleted_record_is_named(db: Db) {
    three_records(&db).await;
    db.store
        .append_audit(&entry("v2", "final", "alice", T0 + 3))
        .await
        .unwrap();
    db.owner_sql("DELETE FROM audit_records WHERE seq = 2")
        .await;
    let check = db.owner.verify_audit().await.unwrap();
    assert!(!check.intact);
    assert_eq!(check.first_broken_seq, Some(2));
    assert_eq!(check.problem.as_deref(), Some("record 2 is missing"));
    assert_eq!(check.records, 3);

    db.owner_sql("DELETE FROM audit_records WHERE seq = 3")
        .await;
    let check = db.owner.verify_audit().await.unwrap();
    assert_eq!(check.problem.as_deref(), Some("records 2 to 3 are missing"));

    db.owner_sql("DELETE FROM audit_records WHERE seq = 1")
        .await;
    let check = db.owner.verify_audit().await.unwrap();
    assert_eq!(check.first_broken_seq, Some(1));
    assert_eq!(check.problem.as_deref(), Some("records 1 to 3 are missing"));
}

async fn concurrent_appends_from_several_servers_give_a_gapless_chain(db: Db) {
    const TASKS: usize = 8;
    const EACH: usize = 25;
    db.strictest_default_isolation().await;
    let mut servers = Vec::new();
    for _ in 0..4 {
        servers.push(db.another_server().await);
    }
    let started = Instant::now();
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = servers[t % servers.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut seqs = Vec::new();
                for i in 0..EACH {
                    let e = entry(&format!("t{t}-{i}"), "requested", &format!("agent{t}"), T0);
                    seqs.push(store.append_audit(&e).await.unwrap());
                }
                seqs
            })
        })
        .collect();
    let mut seqs = BTreeSet::new();
    for t in tasks {
        for s in t.await.unwrap() {
            assert!(seqs.insert(s), "seq {s} handed out twice");
        }
    }
    let n = (TASKS * EACH) as u64;
    assert_eq!(seqs, (1..=n).collect());
    let check = db.store.verify_audit().await.unwrap();
    assert!(check.intact, "{check:?}");
    assert_eq!((check.records, check.last_seq), (n, Some(n)));
    eprintln!(
        "{} concurrent appends from {} servers in {:?}",
        n,
        servers.len(),
        started.elapsed()
    );
}

async fn the_audit_key_is_required(db: Db) {
    let without = Store::connect(&db.server_url).await.unwrap();
    let e = without
        .append_audit(&entry("v1", "requested", "alice", T0))
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::AuditKeyNotGiven), "{e:?}");
    let e = without.verify_audit().await.unwrap_err();
    assert!(matches!(e, ServerError::AuditKeyNotGiven), "{e:?}");
    let short = without.with_audit_key(SecretBox::new(b"short".as_slice().into()));
    let e = short
        .append_audit(&entry("v1", "requested", "alice", T0))
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::AuditKeyTooShort { .. }), "{e:?}");
    // The key never reaches the database, nor the store's Debug output.
    db.store
        .append_audit(&entry("v1", "requested", "alice", T0))
        .await
        .unwrap();
    let debug = format!("{:?}", db.store);
    assert!(!debug.contains("thirty-two"), "{debug}");
    let csv = server::store::audit_csv(
        &db.store
            .audit_records(&AuditFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap(),
    );
    assert!(!csv.contains("thirty-two"));
}

async fn values_postgres_cannot_hold_are_refused_by_both(db: Db) {
    let mut v = verification("v1", "alice", "anna", T0);
    v.reference = Some("a\0b".into());
    let e = db.store.start_verification(&v, 10, T0).await.unwrap_err();
    assert!(
        matches!(e, ServerError::StoreValueInvalid { field: "reference" }),
        "{e:?}"
    );
    let mut a = entry("v1", "requested", "alice", T0);
    a.binding_message = "\0".into();
    let e = db.store.append_audit(&a).await.unwrap_err();
    assert!(matches!(e, ServerError::StoreValueInvalid { .. }), "{e:?}");
    assert!(db.store.verify_audit().await.unwrap().records == 0);
    // Everything else Unicode is kept as given.
    let mut v = verification("v2", "ålice ☃", "anna", T0);
    v.state_json = r#"{"name":"Zoë 🦀 \"x\""}"#.into();
    db.store.start_verification(&v, 10, T0).await.unwrap();
    let row = db.store.verification("v2").await.unwrap().unwrap();
    assert_eq!((row.agent_sub, row.state_json), (v.agent_sub, v.state_json));
}

// --- connecting: errors an administrator can act on, never with the password -----------------

const PASSWORD: &str = "s3cr3t-Pa55";

fn assert_no_secret(e: &ServerError, secrets: &[&str]) {
    let text = format!("{e} {e:?}");
    for s in secrets {
        assert!(!text.contains(s), "{s:?} leaked: {text}");
    }
}

#[tokio::test]
async fn unusable_urls_are_named_without_the_password() {
    for (url, words) in [
        (
            format!("mysql://root:{PASSWORD}@db:3306/x"),
            "\"mysql\" is not offered",
        ),
        (format!("root:{PASSWORD}@db/x"), "not offered"),
        (format!("//root:{PASSWORD}@db/x"), "no scheme"),
        (format!("postgres://root:{PASSWORD}@db:port/x"), "`port`"),
        (format!("postgres://root:{PASSWORD}@db/x?bogus=1"), "bogus"),
        (
            format!("postgres://root:{PASSWORD}@db/x?sslmode=require"),
            "TLS",
        ),
        (format!("postgresql://:{PASSWORD}@/x"), "names no"),
        ("sqlite://".to_owned(), "needs a file"),
    ] {
        let e = Store::connect(&url).await.unwrap_err();
        assert!(matches!(e, ServerError::DatabaseUrl { .. }), "{url}: {e:?}");
        assert_eq!(e.code(), "database_url_invalid");
        assert!(e.to_string().contains(words), "{url}: {e}");
        assert_no_secret(&e, &[PASSWORD, "root:"]);
        assert!(
            !e.is_database(),
            "a configuration error, not the database failing"
        );
    }
}

#[tokio::test]
async fn an_unreachable_database_is_named_by_host_and_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // closed again: nothing listens there
    let started = Instant::now();
    let e = Store::connect(&format!("postgres://ciba:{PASSWORD}@127.0.0.1:{port}/ciba"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServerError::DatabaseUnreachable { .. }),
        "{e:?}"
    );
    assert_eq!(e.code(), "database_unreachable");
    assert!(e.is_database());
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "the database at 127.0.0.1:{port} did not answer: "
        )),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert_no_secret(&e, &[PASSWORD]);
    assert!(started.elapsed().as_secs() < 5);
}

#[tokio::test]
async fn postgres_refusals_are_clear_and_keep_the_password() {
    let Some(pg) = TempPostgres::shared().await else {
        return;
    };
    eprintln!("test cluster started in {:?}", pg.started_in());
    let db = pg.fresh_database().await;

    let wrong = pg.url(RUNTIME_ROLE, PASSWORD, &db.name);
    let e = Store::connect(&wrong).await.unwrap_err();
    assert!(matches!(e, ServerError::DatabaseLogin { .. }), "{e:?}");
    assert_eq!(e.code(), "database_login_failed");
    let text = e.to_string();
    assert!(text.contains(&format!("127.0.0.1:{}", pg.port())), "{text}");
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(text.contains(RUNTIME_ROLE), "{text}");
    assert_no_secret(&e, &[PASSWORD]);

    // The real password (it holds @ : / ? # %) does not show either.
    let missing = pg.url(RUNTIME_ROLE, pg.runtime_password(), "no_such_db");
    let e = Store::connect(&missing).await.unwrap_err();
    assert!(matches!(e, ServerError::DatabaseRefused { .. }), "{e:?}");
    assert!(e.to_string().contains("does not exist"), "{e}");
    assert_no_secret(
        &e,
        &[
            pg.runtime_password(),
            &testkit::postgres::percent_encode(pg.runtime_password()),
        ],
    );

    // Serving before migrating: the runtime role is told what to run.
    let store = Store::connect(&db.runtime_url).await.unwrap();
    let e = store.check_schema().await.unwrap_err();
    assert!(matches!(e, ServerError::SchemaOutdated { .. }), "{e:?}");
    // Without grants, the store's own queries are refused as a permission problem.
    Store::connect(&db.owner_url)
        .await
        .unwrap()
        .migrate(None)
        .await
        .unwrap();
    let e = store.verification("v1").await.unwrap_err();
    assert!(matches!(e, ServerError::DatabasePermission { .. }), "{e:?}");
    assert!(e.to_string().contains("runtime_role"), "{e}");
}

#[tokio::test]
async fn sqlite_files_that_cannot_be_opened_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("no/such/dir/store.sqlite3");
    let e = Store::connect(&format!("sqlite://{}", missing_dir.display()))
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::DatabaseOpen { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&missing_dir.display().to_string()),
        "{e}"
    );

    let garbage = dir.path().join("garbage.sqlite3");
    std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
    let e = Store::connect(&format!("sqlite://{}", garbage.display()))
        .await
        .unwrap_err();
    assert!(matches!(e, ServerError::DatabaseOpen { .. }), "{e:?}");
    assert!(e.to_string().contains("not a database"), "{e}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_file_is_private_and_memory_works() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.sqlite3");
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.migrate(None).await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // A relative path is relative to the working directory; memory is for tests.
    let memory = Store::connect("sqlite::memory:")
        .await
        .unwrap()
        .with_audit_key(key());
    memory.migrate(None).await.unwrap();
    memory.check_schema().await.unwrap();
    memory
        .append_audit(&entry("v", "requested", "a", T0))
        .await
        .unwrap();
    assert!(memory.verify_audit().await.unwrap().intact);
    assert_eq!(memory.backend(), "sqlite");
}

/// The same records give the same hashes in both backends: the chain is the format's, not the
/// database's.
#[tokio::test]
async fn both_backends_write_the_same_chain() {
    let sqlite = sqlite_db().await;
    let Some(postgres) = postgres_db().await else {
        return;
    };
    for db in [&sqlite, &postgres] {
        for (id, phase, at) in [("v1", "requested", T0), ("v1", "final", T0 + 9)] {
            db.store
                .append_audit(&entry(id, phase, "alice", at))
                .await
                .unwrap();
        }
    }
    let read = |db: &Db| {
        let store = db.store.clone();
        async move {
            store
                .audit_records(&AuditFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(read(&sqlite).await, read(&postgres).await);
}
