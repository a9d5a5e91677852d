//! A throwaway PostgreSQL cluster for tests: its own data directory, its own port on 127.0.0.1,
//! an owner role and a separate runtime role (both with passwords, SCRAM over TCP), and a
//! database owned by the owner.
//!
//! ```no_run
//! # async fn t() {
//! // One cluster per test binary, a fresh database per test:
//! let Some(pg) = testkit::postgres::TempPostgres::shared().await else { return }; // skipped
//! let db = pg.fresh_database().await;
//! // connect with db.owner_url (migrations) and db.runtime_url (the server)
//! # }
//! ```
//!
//! # Requirements
//! The PostgreSQL server binaries (`initdb`, `pg_ctl`): Debian's `postgresql` package, found in
//! `/usr/lib/postgresql/<version>/bin`, in `$CIBA_DESK_PG_BIN`, or on `PATH`. Missing binaries
//! fail the test loudly (CI must run these tests) unless `CIBA_DESK_SKIP_POSTGRES=1` is set, in
//! which case [`TempPostgres::start`] and [`TempPostgres::shared`] print why and return `None`.
//!
//! `initdb` refuses to run as root, so as root (CI, containers) the cluster belongs to the
//! `postgres` OS user (created by the Debian package) and every server command runs through
//! `runuser -u postgres`; as any other user it belongs to that user.
//!
//! # Clean-up
//! A small watchdog shell process holds the read end of a pipe whose write end only this process
//! has. When the [`TempPostgres`] is dropped, or the test process exits in any way (a `static`
//! is never dropped; a panic, `abort` or Ctrl-C also counts), the pipe closes and the watchdog
//! stops the cluster (`pg_ctl -m immediate stop`) and removes its directory.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_postgres::NoTls;

/// Set to `1` to skip (instead of fail) when the PostgreSQL binaries are not installed.
pub const SKIP_ENV: &str = "CIBA_DESK_SKIP_POSTGRES";
/// Optional: the directory holding `initdb` and `pg_ctl`.
pub const BIN_ENV: &str = "CIBA_DESK_PG_BIN";
/// The role that owns the databases (runs migrations).
pub const OWNER_ROLE: &str = "ciba_owner";
/// The least-privileged role the server runs as.
pub const RUNTIME_ROLE: &str = "ciba_runtime";
/// The database [`TempPostgres::start`] creates.
pub const DATABASE: &str = "ciba_desk";
/// The cluster's superuser (local socket, trust authentication).
pub const SUPERUSER: &str = "postgres";

/// A running throwaway cluster. Dropping it stops the cluster and removes its directory.
pub struct TempPostgres {
    dir: PathBuf,
    port: u16,
    owner_password: String,
    runtime_password: String,
    databases: AtomicU32,
    started_in: Duration,
    _cleanup: Cleanup,
}

/// A database of its own in a [`TempPostgres`], owned by [`OWNER_ROLE`].
#[derive(Debug, Clone)]
pub struct TempDatabase {
    pub name: String,
    /// `postgres://ciba_owner:…@127.0.0.1:PORT/NAME`
    pub owner_url: String,
    /// `postgres://ciba_runtime:…@127.0.0.1:PORT/NAME`
    pub runtime_url: String,
}

impl std::fmt::Debug for TempPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempPostgres")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

static SHARED: tokio::sync::OnceCell<Option<TempPostgres>> = tokio::sync::OnceCell::const_new();

impl TempPostgres {
    /// Starts a new cluster (a few seconds). `None` only when the binaries are missing and
    /// `CIBA_DESK_SKIP_POSTGRES=1`; any other problem panics with the server's log.
    pub async fn start() -> Option<TempPostgres> {
        let bin = match find_bin_dir() {
            Some(bin) => bin,
            None if std::env::var(SKIP_ENV).as_deref() == Ok("1") => {
                eprintln!(
                    "SKIPPED: the PostgreSQL server binaries (initdb, pg_ctl) are not installed \
                     and {SKIP_ENV}=1 is set; these tests did not run against PostgreSQL"
                );
                return None;
            }
            None => panic!(
                "the PostgreSQL server binaries (initdb, pg_ctl) were not found in \
                 /usr/lib/postgresql/*/bin, ${BIN_ENV} or PATH: install them (Debian: \
                 `apt-get install postgresql`), point {BIN_ENV} at them, or set {SKIP_ENV}=1 to \
                 skip the PostgreSQL tests on this machine"
            ),
        };
        let started = Instant::now();
        let mut pg = tokio::task::spawn_blocking(move || start_cluster(&bin))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        pg.create_roles_and_database().await;
        pg.started_in = started.elapsed();
        Some(pg)
    }

    /// One cluster for the whole test binary, started by the first caller (the others wait).
    /// Give each test its own database with [`fresh_database`](Self::fresh_database).
    pub async fn shared() -> Option<&'static TempPostgres> {
        SHARED.get_or_init(Self::start).await.as_ref()
    }

    /// The owner's URL of the database [`start`](Self::start) created ([`DATABASE`]).
    pub fn owner_url(&self) -> String {
        self.url(OWNER_ROLE, &self.owner_password, DATABASE)
    }

    /// The runtime role's URL of [`DATABASE`].
    pub fn runtime_url(&self) -> String {
        self.url(RUNTIME_ROLE, &self.runtime_password, DATABASE)
    }

    /// `postgres://ROLE:PASSWORD@127.0.0.1:PORT/DB`, the password percent-encoded.
    pub fn url(&self, role: &str, password: &str, db: &str) -> String {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/{}",
            percent_encode(role),
            percent_encode(password),
            self.port,
            percent_encode(db)
        )
    }

    /// The owner role's password (random hex).
    pub fn owner_password(&self) -> &str {
        &self.owner_password
    }

    /// The runtime role's password. It holds `@ : / ? # %` on purpose, so URL handling is
    /// exercised: use [`runtime_url`](Self::runtime_url) rather than formatting it into a URL.
    pub fn runtime_password(&self) -> &str {
        &self.runtime_password
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the data directory, the server log and the Unix socket.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How long `initdb`, the server start and the roles took.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// A new, empty database owned by [`OWNER_ROLE`], with URLs for both roles.
    pub async fn fresh_database(&self) -> TempDatabase {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{}_{n}", std::process::id());
        let admin = self.superuser_client(SUPERUSER).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {OWNER_ROLE}"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {}", db_error(&e)));
        TempDatabase {
            owner_url: self.url(OWNER_ROLE, &self.owner_password, &name),
            runtime_url: self.url(RUNTIME_ROLE, &self.runtime_password, &name),
            name,
        }
    }

    /// A superuser connection to `db` through the cluster's Unix socket (for test set-up and
    /// assertions that need more than the owner may do). Its connection task runs on the
    /// current runtime.
    pub async fn superuser_client(&self, db: &str) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::Config::new()
            .host_path(&self.dir)
            .port(self.port)
            .user(SUPERUSER)
            .dbname(db)
            .connect(NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "connecting to the test cluster's socket in {} failed: {}",
                    self.dir.display(),
                    db_error(&e)
                )
            });
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client
    }

    async fn create_roles_and_database(&self) {
        let admin = self.superuser_client(SUPERUSER).await;
        for sql in [
            format!(
                "CREATE ROLE {OWNER_ROLE} LOGIN PASSWORD {}",
                sql_literal(&self.owner_password)
            ),
            format!(
                "CREATE ROLE {RUNTIME_ROLE} LOGIN PASSWORD {}",
                sql_literal(&self.runtime_password)
            ),
            // CREATE DATABASE cannot run inside a (multi-statement, implicit) transaction.
            format!("CREATE DATABASE {DATABASE} OWNER {OWNER_ROLE}"),
        ] {
            admin.batch_execute(&sql).await.unwrap_or_else(|e| {
                panic!(
                    "setting up the test cluster's roles failed: {}",
                    db_error(&e)
                )
            });
        }
    }
}

/// Stops the cluster and removes its directory when dropped (through the watchdog).
struct Cleanup {
    watchdog: Mutex<Option<Child>>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let child = self.watchdog.lock().map(|mut w| w.take()).ok().flatten();
        if let Some(mut child) = child {
            drop(child.stdin.take()); // EOF: the watchdog stops the cluster and removes the dir
            let _ = child.wait();
        }
    }
}

/// Who runs the server commands: `None` for the current user, `Some("postgres")` as root.
fn run_as(as_user: Option<&str>, program: &Path) -> Command {
    match as_user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(user).arg("--").arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn start_cluster(bin: &Path) -> TempPostgres {
    let dir = make_private_dir();
    let as_user = if is_root(&dir) { Some(SUPERUSER) } else { None };
    let pg_ctl = bin.join("pg_ctl");
    let data = dir.join("data");
    let log = dir.join("server.log");

    // The watchdog first, so the directory goes away even if a step below panics.
    let cleanup = Cleanup {
        watchdog: Mutex::new(Some(spawn_watchdog(&pg_ctl, &data, &dir, as_user))),
    };

    if let Some(user) = as_user {
        let (uid, gid) = (os_id(user, "-u"), os_id(user, "-g"));
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("chown {} to {user}: {e}", dir.display()));
    }

    let out = run_as(as_user, &bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", SUPERUSER, "-E", "UTF8", "--no-locale", "--no-sync"])
        .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
        .stdin(Stdio::null())
        .output()
        .expect("running initdb");
    assert!(
        out.status.success(),
        "initdb failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A free port can be taken by someone else before the server binds it: try a few.
    let mut last_log = String::new();
    for _ in 0..5 {
        let port = free_port();
        let opts = format!(
            "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            dir.display()
        );
        let out = run_as(as_user, &pg_ctl)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .stdin(Stdio::null())
            .output()
            .expect("running pg_ctl start");
        if out.status.success() {
            return TempPostgres {
                dir,
                port,
                owner_password: random_hex(16),
                // Characters that must be percent-encoded in a URL, on purpose.
                runtime_password: format!("rt@:/?#%{}", random_hex(12)),
                databases: AtomicU32::new(0),
                started_in: Duration::ZERO,
                _cleanup: cleanup,
            };
        }
        last_log = std::fs::read_to_string(&log).unwrap_or_default();
        if !last_log.contains("could not bind") && !last_log.contains("already in use") {
            panic!(
                "pg_ctl start failed ({}):\n{}{}\nserver log:\n{last_log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    drop(cleanup);
    panic!("the test PostgreSQL server found no free port:\n{last_log}");
}

/// `sh` waits for EOF on its stdin (this process's pipe), then stops the cluster and removes
/// the directory. It ignores SIGINT/SIGTERM/SIGHUP so a Ctrl-C on the test run still cleans up.
fn spawn_watchdog(pg_ctl: &Path, data: &Path, dir: &Path, as_user: Option<&str>) -> Child {
    const SCRIPT: &str = r#"trap '' INT TERM HUP
cat >/dev/null 2>&1
if [ -f "$2/postmaster.pid" ]; then
  if [ -n "$4" ]; then runuser -u "$4" -- "$1" -D "$2" -m immediate -w stop
  else "$1" -D "$2" -m immediate -w stop; fi
fi >/dev/null 2>&1
rm -rf "$3""#;
    Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("ciba-desk-pg-watchdog")
        .arg(pg_ctl)
        .arg(data)
        .arg(dir)
        .arg(as_user.unwrap_or(""))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the clean-up watchdog (sh)")
}

fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os(BIN_ENV).map(PathBuf::from) {
        return has_both(&d).then_some(d);
    }
    // Debian/Ubuntu: /usr/lib/postgresql/<major>/bin, newest first.
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has_both(d))
        .collect();
    debian.sort();
    if let Some((_, d)) = debian.pop() {
        return Some(d);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).find(|d| has_both(d))
}

fn make_private_dir() -> PathBuf {
    use std::os::unix::fs::DirBuilderExt;
    static N: AtomicU32 = AtomicU32::new(0);
    // Short: the Unix socket path (dir + "/.s.PGSQL.PORT") must stay under ~100 bytes.
    let base = std::env::temp_dir();
    loop {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let dir = base.join(format!(
            "cdpg-{}-{}-{nanos:x}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return dir,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("creating {}: {e}", dir.display()),
        }
    }
}

fn is_root(own_dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // The owner of a directory this process just created is its effective user.
    std::fs::metadata(own_dir)
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn os_id(user: &str, flag: &str) -> u32 {
    let out = Command::new("id")
        .arg(flag)
        .arg(user)
        .output()
        .expect("running id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!(
                "initdb refuses to run as root and the `{user}` OS user does not exist: install \
                 Debian's `postgresql` package (it creates the user) or run the tests as \
                 another user"
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("reading /dev/urandom");
    let mut s = String::with_capacity(bytes * 2);
    for b in buf {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn db_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(c) = src {
                s.push_str(&format!(": {c}"));
                src = c.source();
            }
            s
        }
    }
}
