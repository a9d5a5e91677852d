//! Shared by the command line's tests: a private configuration and data directory per test,
//! the binary run with them, and no secret or keyring leaking in from the environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_ciba-desk");

/// Whether the real keyring tests run (inside `crates/secrets/with-test-keyring.sh`).
pub fn real_keyring() -> bool {
    std::env::var("CIBA_DESK_REAL_KEYRING").is_ok_and(|v| v == "1")
}

/// A configuration and a data directory of its own, removed at the end.
pub struct Env {
    pub root: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.path().join("config")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config_dir().join("settings.toml")
    }

    pub fn audit_db(&self) -> PathBuf {
        self.data_dir().join("audit.sqlite3")
    }

    /// Where this environment's administrator's policy file is (none until [`Env::policy`]).
    pub fn policy_file(&self) -> PathBuf {
        self.root.path().join("policy.toml")
    }

    /// Puts an administrator's policy file in place.
    pub fn policy(&self, text: &str) {
        std::fs::write(self.policy_file(), text).unwrap();
    }

    /// Moves the built-in sandbox to `issuer` (a free port per test).
    pub fn sandbox_at(&self, issuer: &str) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        std::fs::write(
            self.settings_file(),
            format!("schema_version = 1\n[preferences]\nsandbox_issuer = \"{issuer}\"\n"),
        )
        .unwrap();
    }

    /// The binary with this environment. The keyring is switched off (CIBA_DESK_KEYRING=none)
    /// unless the real keyring tests run.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("CIBA_DESK_CONFIG_DIR", self.config_dir())
            .env("CIBA_DESK_DATA_DIR", self.data_dir())
            // Never this computer's own policy file.
            .env("CIBA_DESK_POLICY", self.policy_file())
            .env_remove("CIBA_CLIENT_SECRET")
            .env_remove("CIBA_PRIVATE_KEY_PATH")
            .env_remove("CIBA_CLIENT_CERTIFICATE_PATH")
            .env_remove("CIBA_DESK_SANDBOX_AUTO")
            .env_remove("CIBA_DESK_NATIONAL_ID")
            .env_remove("CIBA_DESK_ID_TOKEN_HINT")
            .env_remove("CIBA_DESK_USER_CODE")
            .env_remove("CIBA_DESK_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if real_keyring() {
            c.env_remove("CIBA_DESK_KEYRING");
        } else {
            c.env("CIBA_DESK_KEYRING", "none");
        }
        c
    }

    pub async fn run(&self, args: &[&str]) -> Ran {
        finish(self.cmd(args).spawn().unwrap()).await
    }

    /// Every file under the configuration and data directories, as bytes.
    pub fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = vec![];
        walk(self.root.path(), &mut out);
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p, b));
        }
    }
}

/// What a run printed and how it ended.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or(Value::Null)
    }

    /// stdout and stderr together, for "never printed" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub async fn finish(child: Child) -> Ran {
    let out: Output = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("the command finished within 90 s")
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A port nothing listens on (right now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn listening(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    )
    .is_ok()
}
