//! A server for tests, with real parts: panva's oidc-provider as the organisation's sign-in
//! provider and as the customers' CIBA provider, SQLite or a throwaway PostgreSQL cluster.
//! Shared by the server's API tests and the command line's `--server` tests.
#![allow(dead_code)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use server::config::Config;
use server::service::Service;
use testkit::oidc_op::BASIC_CLIENT;
use testkit::org_op::{Agent, OrgOp};
use testkit::postgres::TempPostgres;

pub const CUSTOMER: &str = "191212121212";

pub struct Harness {
    pub op: OrgOp,
    pub base: String,
    pub http: reqwest::Client,
    pub service: Arc<Service>,
    _dir: tempfile::TempDir,
}

pub enum Db {
    Sqlite,
    Postgres,
}

pub fn private_file(dir: &std::path::Path, name: &str, contents: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// The configuration a test server runs with; `database` is its `[database]` section.
pub fn config_text(
    op: &OrgOp,
    dir: &std::path::Path,
    database: &str,
    allow_mutable: bool,
) -> String {
    let secret = private_file(dir, "bank.secret", BASIC_CLIENT.1);
    let key = private_file(dir, "audit.key", &"5a".repeat(32));
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
[database]
{database}
[agents]
issuer = "{issuer}"
[limits]
per_agent_per_minute = 3
[audit]
hmac_key = {{ file = "{key}" }}
allow_mutable = {allow_mutable}
[[profiles]]
name = "bank"
provider = "generic"
issuer = "{issuer}"
client_id = "{client}"
auth_method = "client_secret_basic"
secret = {{ file = "{secret}" }}
scopes = ["openid", "profile"]
inputs = [{{ kind = "national_id", countries = ["se"] }}, {{ kind = "email" }}, {{ kind = "user_id" }}]
hint = "login_hint"
claims = {{ national_id = ["ssn"] }}
"#,
        issuer = op.issuer(),
        client = BASIC_CLIENT.0,
        key = key.display(),
        secret = secret.display(),
    )
}

pub async fn harness(db: Db) -> Option<Harness> {
    harness_with(db, |_, _| {}).await
}

/// As [`harness`], with `more` changing the configuration (in the test's own directory).
pub async fn harness_with(
    db: Db,
    more: impl FnOnce(&mut Config, &std::path::Path),
) -> Option<Harness> {
    let op = OrgOp::start(&[
        Agent::new("anna", "Anna Agent", &["agent"]),
        Agent::new("bo", "Bo Agent", &["agent"]),
        Agent::new("ulla", "Ulla Auditor", &["auditor"]),
        Agent::new("nils", "Nils Nobody", &[]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (database, mutable) = match db {
        Db::Sqlite => (
            format!(
                "url = \"sqlite://{}\"",
                dir.path().join("server.sqlite3").display()
            ),
            // SQLite cannot keep the file's owner from rewriting it: stated explicitly.
            true,
        ),
        Db::Postgres => {
            let pg = TempPostgres::shared().await?;
            let d = pg.fresh_database().await;
            let store = server::store::Store::connect(&d.owner_url).await.unwrap();
            store
                .migrate(Some(testkit::postgres::RUNTIME_ROLE))
                .await
                .unwrap();
            (format!("url = \"{}\"", d.runtime_url), false)
        }
    };
    let text = config_text(&op, dir.path(), &database, mutable);
    if matches!(db, Db::Sqlite) {
        let config = Config::parse(&text, std::path::Path::new("server.toml")).unwrap();
        server::store::Store::connect(&config.database.url)
            .await
            .unwrap()
            .migrate(None)
            .await
            .unwrap();
    }
    let mut config = Config::parse(&text, std::path::Path::new("server.toml")).unwrap();
    more(&mut config, dir.path());
    let service = server::prepare(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = server::api::router(service.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Some(Harness {
        op,
        base,
        http: reqwest::Client::new(),
        service,
        _dir: dir,
    })
}

impl Harness {
    pub async fn token(&self, sub: &str) -> String {
        self.op.access_token(sub).await
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    pub async fn start(
        &self,
        token: &str,
        body: Value,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        self.call(
            reqwest::Method::POST,
            "/api/v1/verifications",
            Some(token),
            Some(body),
        )
        .await
    }

    /// The `state` events of a verification's stream until it ends.
    pub async fn states(&self, token: &str, id: &str) -> Vec<Value> {
        let resp = self
            .http
            .get(format!("{}/api/v1/verifications/{id}/events", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let text = tokio::time::timeout(Duration::from_secs(60), resp.text())
            .await
            .expect("the stream ends after the final state")
            .unwrap();
        text.split("\n\n")
            .filter(|b| b.contains("event: state"))
            .filter_map(|b| {
                b.lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .and_then(|d| serde_json::from_str(d).ok())
            })
            .collect()
    }
}

/// A valid Swedish personnummer of 1960 for customer `n` (the test OP knows each as a person).
pub fn personnummer(n: u32) -> String {
    let body = format!("600101{:03}", n % 1000);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap() * if i % 2 == 0 { 2 } else { 1 };
            if d > 9 { d - 9 } else { d }
        })
        .sum();
    format!("19{body}{}", (10 - sum % 10) % 10)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Instance {
    pub child: tokio::process::Child,
    pub base: String,
}

impl Instance {
    /// Runs `bin serve` with `text` (its `127.0.0.1:0` replaced by a port of its own), logging to
    /// `DIR/NAME.log`; returns once `/readyz` answers.
    pub async fn start(bin: &str, dir: &std::path::Path, name: &str, text: &str) -> Instance {
        Self::start_on(bin, dir, name, text, free_port()).await
    }

    /// As [`start`](Self::start), on `port`.
    pub async fn start_on(
        bin: &str,
        dir: &std::path::Path,
        name: &str,
        text: &str,
        port: u16,
    ) -> Instance {
        let text = text.replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
        let config = private_file(dir, &format!("{name}.toml"), &text);
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let child = tokio::process::Command::new(bin)
            .args(["serve", "--config", config.to_str().unwrap()])
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "{name} never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Instance { child, base }
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().expect("running").to_string();
        assert!(
            std::process::Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    /// SIGTERM; returns how long it took to exit (it must exit cleanly).
    pub async fn stop(mut self) -> Duration {
        let t = Instant::now();
        self.signal("-TERM");
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("stopped")
            .unwrap();
        assert!(status.success(), "{status:?}");
        t.elapsed()
    }

    pub async fn kill(mut self) {
        self.signal("-KILL");
        let _ = self.child.wait().await;
    }
}
